"""Booking test helpers: a fixed clock and bookable offers built straight in the database
(the offers and credit services have their own tests)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from culturepass.accounts.models import User
from culturepass.credit.models import BeneficiaryProfile, CreditAccount
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer, PriceCategory, Stock

PASSWORD = "Motdepasse-solide-2026"
# A Monday, winter time (Paris = UTC+1).
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
# Ten days later, 20:00 in Paris.
EVENT_START = dt.datetime(2027, 3, 11, 19, 0, tzinfo=dt.UTC)

_siren = itertools.count(100000000)


def make_offerer(*, status: str = Offerer.Status.VALIDATED) -> Offerer:
    siren = str(next(_siren))
    return Offerer.objects.create(
        siren=siren,
        name=f"Structure {siren}",
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        status=status,
        created_at=NOW - dt.timedelta(days=100),
    )


def make_venue(offerer: Offerer, **extra: Any) -> Venue:
    fields: dict[str, Any] = {
        "offerer": offerer,
        "siret": f"{offerer.siren}00011",
        "name": "Salle Pleyel",
        "street": "252 rue du Faubourg Saint-Honoré",
        "postal_code": "75008",
        "city": "Paris",
        "department_code": "75",
        "latitude": Decimal("48.87736"),
        "longitude": Decimal("2.30043"),
        "coordinates_source": Venue.CoordinatesSource.MANUAL,
        "booking_email": "billetterie-lieu@pleyel.test",
        "is_head_office": True,
        "created_at": NOW - dt.timedelta(days=100),
    }
    fields.update(extra)
    return Venue.objects.create(**fields)


def make_offer(
    venue: Venue | None = None,
    *,
    subcategory_id: str = "CONCERT",
    is_duo: bool = True,
    price_cents: int = 2000,
    quantity: int | None = 100,
    start: dt.datetime = EVENT_START,
    booking_limit: dt.datetime | None = None,
    name: str = "Concert du printemps",
    **extra: Any,
) -> Stock:
    """An approved, published, active offer of a validated structure with one occurrence."""
    venue = venue or make_venue(make_offerer())
    fields: dict[str, Any] = {
        "offerer": venue.offerer,
        "venue": venue,
        "subcategory_id": subcategory_id,
        "name": name,
        "description": "Musique de chambre.",
        "duration_minutes": 90,
        "withdrawal_type": Offer.Withdrawal.ON_SITE,
        "withdrawal_delay_seconds": 3600,
        "withdrawal_details": "Retrait au guichet avec une pièce d'identité.",
        "booking_contact": "contact@pleyel.test",
        "booking_email": "reservations@pleyel.test",
        "is_duo": is_duo,
        "validation": Offer.Validation.APPROVED,
        "validated_at": NOW - dt.timedelta(days=20),
        "publication_datetime": NOW - dt.timedelta(days=20),
        "created_at": NOW - dt.timedelta(days=30),
        "updated_at": NOW - dt.timedelta(days=20),
    }
    fields.update(extra)
    offer = Offer.objects.create(**fields)
    category = PriceCategory.objects.create(
        offer=offer, label="Carré or", price_cents=price_cents, created_at=NOW
    )
    return Stock.objects.create(
        offer=offer,
        price_category=category,
        beginning_datetime=start,
        booking_limit_datetime=booking_limit or start,
        quantity=quantity,
        created_at=NOW,
        updated_at=NOW,
    )


def make_beneficiary(
    email: str = "lea@example.test",
    *,
    granted_cents: int = 15000,
    verified: bool = True,
    with_credit: bool = True,
    expires_at: dt.datetime | None = None,
    digital_cap_cents: int | None = 10000,
) -> User:
    """A beneficiary aged 18 with the 150 € grant (unless told otherwise)."""
    user = User.objects.create_user(
        email,
        PASSWORD,
        first_name="Léa",
        last_name="Martin",
        phone="+33612345678",
        is_beneficiary=True,
        email_verified_at=NOW - dt.timedelta(days=5),
    )
    BeneficiaryProfile.objects.create(
        user=user,
        birth_date=dt.date(2008, 6, 15),
        street="3 rue des Lilas",
        postal_code="75019",
        city="Paris",
        identity_status=(
            BeneficiaryProfile.Identity.VERIFIED
            if verified
            else BeneficiaryProfile.Identity.PENDING
        ),
        created_at=NOW - dt.timedelta(days=5),
    )
    if with_credit:
        CreditAccount.objects.create(
            user=user,
            granted_cents=granted_cents,
            digital_cap_cents=digital_cap_cents,
            expires_at=expires_at or dt.datetime(2029, 6, 14, 22, 0, tzinfo=dt.UTC),
            updated_at=NOW,
        )
    return user


def credit_of(user: User) -> CreditAccount:
    return CreditAccount.objects.get(user=user)
