"""Rows for the partner API tests: a validated structure with a venue, an admin, a key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.api.partner.keys import partner_api_key_create
from culturepass.offerers.models import Membership, Offerer, Venue

PASSWORD = "Motdepasse-solide-2026"


def make_partner(
    *,
    siren: str = "552100554",
    name: str = "Salle des Fêtes",
    status: str = Offerer.Status.VALIDATED,
    email: str | None = None,
) -> tuple[Offerer, Venue, User]:
    """A structure (``status``) with one head-office venue and a validated admin."""
    now = timezone.now()
    pro = User.objects.create_user(
        email or f"admin@{siren}.test",
        PASSWORD,
        is_pro=True,
        first_name="Inès",
        email_verified_at=now,
    )
    offerer = Offerer.objects.create(
        siren=siren,
        name=name,
        street="1 place de la Mairie",
        postal_code="69001",
        city="Lyon",
        department_code="69",
        status=status,
        created_at=now - dt.timedelta(days=100),
    )
    Membership.objects.create(
        user=pro,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=now - dt.timedelta(days=100),
    )
    venue = make_venue(offerer, siret=f"{siren}00013", name=f"{name} — grande salle")
    return offerer, venue, pro


def make_venue(offerer: Offerer, *, siret: str | None, name: str) -> Venue:
    return Venue.objects.create(
        offerer=offerer,
        siret=siret,
        name=name,
        street="1 place de la Mairie",
        postal_code="69001",
        city="Lyon",
        department_code="69",
        latitude="45.76404",
        longitude="4.83566",
        coordinates_source=Venue.CoordinatesSource.MANUAL,
        is_head_office=siret is not None,
        comment="" if siret else "Sans SIRET",
        created_at=timezone.now() - dt.timedelta(days=100),
    )


def make_key(
    offerer: Offerer, pro: User, *, venue_ids: Iterable[int] = (), label: str = "Billetterie"
) -> str:
    _api_key, clear = partner_api_key_create(
        actor=pro, offerer=offerer, label=label, venue_ids=venue_ids, now=timezone.now()
    )
    return clear


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_event_world(offerer: Offerer, venue: Venue, pro: User, *, code: str) -> dict[str, object]:
    """An event offer of ``venue`` with a price category, one date in 10 days and a booking
    (``code``) of that date, built through the pro portal's services."""
    from culturepass.bookings.models import Booking
    from culturepass.offers.models import Stock
    from culturepass.offers.recurrence import (
        PriceCategoryQuantity,
        RecurrenceMode,
        RecurrenceRule,
    )
    from culturepass.offers.services import (
        offer_create_draft,
        offer_update_description,
        price_category_add,
        stocks_generate,
    )

    now = timezone.now()
    offer = offer_create_draft(actor=pro, venue=venue, subcategory_id="CONCERT", now=now)
    offer_update_description(
        actor=pro,
        offer=offer,
        name=f"Concert de {offerer.name}",
        description="",
        extra_data={"musicType": "501", "musicSubType": "502"},
        duration_minutes=90,
        now=now,
    )
    price_category = price_category_add(
        actor=pro, offer=offer, label="Plein tarif", price_cents=1500, now=now
    )
    stocks_generate(
        actor=pro,
        offer=offer,
        rule=RecurrenceRule(
            mode=RecurrenceMode.ONCE,
            start_date=(now + dt.timedelta(days=10)).date(),
            time_slots=(dt.time(20, 0),),
        ),
        quantities=[PriceCategoryQuantity(price_category.pk, 100)],
        now=now,
    )
    stock = Stock.objects.get(offer=offer)
    beneficiary = User.objects.create_user(
        f"jeune-{code.lower()}@example.test",
        PASSWORD,
        first_name="Léa",
        last_name="Martin",
        is_beneficiary=True,
        email_verified_at=now,
    )
    booking = Booking.objects.create(
        code=code,
        beneficiary=beneficiary,
        offer=offer,
        offerer=offerer,
        venue=venue,
        stock=stock,
        price_category_label=price_category.label,
        quantity=1,
        unit_price_cents=1500,
        amount_cents=1500,
        booked_at=now - dt.timedelta(days=3),
        cancellation_limit=now - dt.timedelta(days=1),
    )
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=1)
    return {
        "offer": offer,
        "price_category": price_category,
        "stock": stock,
        "booking": booking,
    }
