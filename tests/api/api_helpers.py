"""Rows for the app API tests, built directly (fast; the services are tested elsewhere)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.api.auth import app_token_create
from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer, PriceCategory, Stock

PASSWORD = "Motdepasse-solide-2026"
UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday; Paris = UTC+1
PARIS = (48.85661, 2.35222)
BASE = "/api/app/v1"


def make_beneficiary(
    email: str = "lea@example.test",
    *,
    verified: bool = True,
    granted_cents: int = 15_000,
    age: int = 18,
    is_beneficiary: bool = True,
) -> User:
    user = User.objects.create_user(
        email,
        PASSWORD,
        first_name="Léa",
        last_name="Martin",
        phone="+33612345678",
        is_beneficiary=is_beneficiary,
        email_verified_at=NOW - dt.timedelta(days=10) if verified else None,
    )
    if not is_beneficiary:
        return user
    birth = NOW.date().replace(year=NOW.year - age) - dt.timedelta(days=30)
    BeneficiaryProfile.objects.create(
        user=user,
        birth_date=birth,
        street="10 rue de la Paix",
        postal_code="75002",
        city="Paris",
        department_code="75",
        latitude=Decimal(str(PARIS[0])),
        longitude=Decimal(str(PARIS[1])),
        identity_status="VERIFIED",
        identity_checked_at=NOW - dt.timedelta(days=9),
        created_at=NOW - dt.timedelta(days=10),
    )
    expires = dt.datetime(birth.year + 21, birth.month, birth.day, tzinfo=UTC)
    account = CreditAccount.objects.create(
        user=user,
        granted_cents=granted_cents,
        digital_cap_cents=10_000,
        expires_at=expires,
        updated_at=NOW - dt.timedelta(days=9),
    )
    CreditGrant.objects.create(
        account=account,
        amount_cents=granted_cents,
        scheme_id="test",
        age=age,
        granted_at=NOW - dt.timedelta(days=9),
        expires_at=expires,
    )
    return user


def make_offer(
    *,
    name: str = "Concert du printemps",
    siren: str = "123456782",
    price_cents: int = 1500,
    quantity: int | None = 10,
    days: int = 7,
    is_duo: bool = False,
) -> Offer:
    offerer = Offerer.objects.filter(siren=siren).first() or Offerer.objects.create(
        siren=siren,
        name="Festival des Lumières",
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        region_code="11",
        status="VALIDATED",
        created_at=NOW - dt.timedelta(days=100),
        validated_at=NOW - dt.timedelta(days=90),
    )
    venue = offerer.venues.first() or Venue.objects.create(
        offerer=offerer,
        comment="Lieu de test",
        name="Salle Rivoli",
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        latitude=Decimal(str(PARIS[0])),
        longitude=Decimal(str(PARIS[1])),
        coordinates_source="MANUAL",
        created_at=NOW - dt.timedelta(days=90),
    )
    offer = Offer.objects.create(
        offerer=offerer,
        venue=venue,
        subcategory_id="CONCERT",
        name=name,
        description="Un concert de musique de chambre.",
        street=venue.street,
        postal_code=venue.postal_code,
        city=venue.city,
        department_code="75",
        latitude=venue.latitude,
        longitude=venue.longitude,
        withdrawal_type="on_site",
        withdrawal_delay_seconds=3600,
        withdrawal_details="Retrait au guichet avec une pièce d'identité.",
        is_duo=is_duo,
        validation="APPROVED",
        validated_at=NOW - dt.timedelta(days=2),
        publication_datetime=NOW - dt.timedelta(days=1),
        created_at=NOW - dt.timedelta(days=2),
        updated_at=NOW - dt.timedelta(days=2),
    )
    category = PriceCategory.objects.create(
        offer=offer, label="Plein tarif", price_cents=price_cents, created_at=NOW
    )
    start = (NOW + dt.timedelta(days=days)).replace(hour=19)
    Stock.objects.create(
        offer=offer,
        price_category=category,
        beginning_datetime=start,
        booking_limit_datetime=start - dt.timedelta(hours=1),
        quantity=quantity,
        created_at=NOW,
        updated_at=NOW,
    )
    return offer


def bearer(user: User) -> dict[str, str]:
    """Headers of a client authenticated as ``user`` with a fresh token."""
    issued = app_token_create(user=user, name="test", now=timezone.now())
    return {"Authorization": f"Bearer {issued.token}"}
