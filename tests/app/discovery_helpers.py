"""Offers as the beneficiary app sees them, built directly (fast, every field controlled).

Shared by tests/app, tests/highlights and tests/offers/test_search.py. The offer services
are tested in tests/offers; here only the resulting rows matter.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer, PriceCategory, Stock

PASSWORD = "Motdepasse-solide-2026"
UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday, winter time (Paris = UTC+1)

# Some places (latitude, longitude).
PARIS = (48.85661, 2.35222)
VERSAILLES = (48.80137, 2.13014)  # ~17 km from Paris
ORLEANS = (47.90289, 1.90389)  # ~111 km from Paris
MARSEILLE = (43.29648, 5.36978)  # ~660 km from Paris


def make_offerer(
    siren: str = "123456782", *, status: str = "VALIDATED", name: str = "Structure"
) -> Offerer:
    return Offerer.objects.create(
        siren=siren,
        name=name,
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        region_code="11",
        status=status,
        created_at=NOW - dt.timedelta(days=100),
        validated_at=NOW - dt.timedelta(days=90) if status == "VALIDATED" else None,
    )


def make_venue(
    offerer: Offerer, *, point: tuple[float, float] = PARIS, name: str = "Salle"
) -> Venue:
    return Venue.objects.create(
        offerer=offerer,
        comment="Lieu de test",
        name=name,
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        latitude=Decimal(str(point[0])),
        longitude=Decimal(str(point[1])),
        coordinates_source="MANUAL",
        created_at=NOW - dt.timedelta(days=90),
    )


def make_offer(
    venue: Venue,
    *,
    name: str = "Concert du printemps",
    description: str = "",
    subcategory_id: str = "CONCERT",
    point: tuple[float, float] | None = None,
    prices: tuple[int, ...] = (1500,),
    days: tuple[int, ...] = (7,),
    quantity: int | None = 10,
    is_duo: bool = False,
    validation: str = "APPROVED",
    is_active: bool = True,
    publication_datetime: dt.datetime | None = NOW - dt.timedelta(days=1),
    booking_allowed_datetime: dt.datetime | None = None,
    now: dt.datetime = NOW,
    hour: int = 19,
) -> Offer:
    """An offer at ``venue`` (or at ``point``) with one occurrence per price per day offset.

    ``days`` are offsets from ``now``; each occurrence starts at ``hour``:00 UTC that day and
    closes its bookings one hour before.
    """
    lat, lon = point if point else (float(venue.latitude), float(venue.longitude))
    offer = Offer.objects.create(
        offerer=venue.offerer,
        venue=venue,
        subcategory_id=subcategory_id,
        name=name,
        description=description,
        street=venue.street,
        postal_code=venue.postal_code,
        city=venue.city,
        department_code=venue.department_code,
        latitude=Decimal(str(lat)),
        longitude=Decimal(str(lon)),
        withdrawal_type="on_site",
        withdrawal_delay_seconds=3600,
        withdrawal_details="Retrait au guichet avec une pièce d'identité.",
        is_duo=is_duo,
        validation=validation,
        validated_at=now if validation == "APPROVED" else None,
        rejection_reason="Non conforme" if validation == "REJECTED" else "",
        is_active=is_active,
        publication_datetime=publication_datetime,
        booking_allowed_datetime=booking_allowed_datetime,
        created_at=now - dt.timedelta(days=2),
        updated_at=now - dt.timedelta(days=2),
    )
    for index, price in enumerate(prices):
        category = PriceCategory.objects.create(
            offer=offer, label=f"Tarif {index + 1}", price_cents=price, created_at=now
        )
        for day in days:
            start = (now + dt.timedelta(days=day)).replace(hour=hour, minute=0)
            Stock.objects.create(
                offer=offer,
                price_category=category,
                beginning_datetime=start,
                booking_limit_datetime=start - dt.timedelta(hours=1),
                quantity=quantity,
                created_at=now,
                updated_at=now,
            )
    return offer


def make_beneficiary(
    email: str = "jeune@culturepass.test", *, granted_cents: int = 15000, **profile: Any
) -> User:
    """A beneficiary aged 18 in Paris, identity verified, with the 150 € grant."""
    from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant

    user = User.objects.create_user(
        email,
        PASSWORD,
        email_verified_at=timezone.now(),
        is_beneficiary=True,
        first_name="Camille",
        last_name="Martin",
    )
    fields: dict[str, Any] = {
        "birth_date": dt.date(2008, 6, 1),
        "street": "10 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "department_code": "75",
        "latitude": Decimal(str(PARIS[0])),
        "longitude": Decimal(str(PARIS[1])),
        "identity_status": "VERIFIED",
        "created_at": NOW - dt.timedelta(days=30),
    }
    fields.update(profile)
    BeneficiaryProfile.objects.create(user=user, **fields)
    account = CreditAccount.objects.create(
        user=user,
        granted_cents=granted_cents,
        digital_cap_cents=10000,
        expires_at=dt.datetime(2029, 5, 31, 22, 0, tzinfo=UTC),
        updated_at=NOW - dt.timedelta(days=30),
    )
    CreditGrant.objects.create(
        account=account,
        amount_cents=granted_cents,
        scheme_id="fr-2025",
        age=18,
        granted_at=NOW - dt.timedelta(days=30),
        expires_at=account.expires_at,
    )
    return user
