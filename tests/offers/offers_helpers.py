"""Helpers of the offers tests: a fixed clock, offers built through the services, images."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import timezone
from PIL import Image

from culturepass.accounts.models import User
from culturepass.core.models import AuditEntry
from culturepass.offers import services
from culturepass.offers.models import Offer, OfferImage, PriceCategory, Stock
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceRule

PASSWORD = "Motdepasse-solide-2026"
UTC = dt.UTC
# Services take the clock as an argument: the tests use a fixed one (a Monday, winter time).
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
NEXT_WEEK = (NOW + dt.timedelta(days=7)).date()


def make_user(email: str, **extra: Any) -> User:
    return User.objects.create_user(
        email,
        PASSWORD,
        email_verified_at=timezone.now(),
        **extra,
    )


def make_draft(actor: Any, venue: Any, *, subcategory_id: str = "CONCERT", now=NOW) -> Offer:
    return services.offer_create_draft(
        actor=actor, venue=venue, subcategory_id=subcategory_id, now=now
    )


def once(day: dt.date = NEXT_WEEK, *slots: dt.time, booking_limit_days=None) -> RecurrenceRule:
    return RecurrenceRule(
        mode="ONCE",
        start_date=day,
        time_slots=slots or (dt.time(20, 0),),
        booking_limit_days=booking_limit_days,
    )


def daily(start: dt.date, end: dt.date, *slots: dt.time) -> RecurrenceRule:
    return RecurrenceRule(
        mode="DAILY", start_date=start, end_date=end, time_slots=slots or (dt.time(20, 0),)
    )


def make_publishable(
    actor: Any,
    venue: Any,
    *,
    name: str = "Concert du printemps",
    description: str = "Un concert de musique de chambre.",
    prices: tuple[int, ...] = (1500,),
    quantity: int | None = 100,
    rule: RecurrenceRule | None = None,
    subcategory_id: str = "CONCERT",
    now=NOW,
) -> Offer:
    """A complete draft: description, on-site withdrawal, price categories, dates."""
    offer = make_draft(actor, venue, subcategory_id=subcategory_id, now=now)
    offer = services.offer_update_description(
        actor=actor,
        offer=offer,
        name=name,
        description=description,
        extra_data={},
        duration_minutes=90,
        now=now,
    )
    offer = services.offer_update_practical_info(
        actor=actor,
        offer=offer,
        withdrawal_type="on_site",
        withdrawal_delay_seconds=3600,
        withdrawal_details="Retrait au guichet avec une pièce d'identité.",
        booking_contact="billetterie@structure-a.test",
        booking_email="",
        accessibility_motor=True,
        accessibility_visual=False,
        accessibility_hearing=False,
        accessibility_mental=False,
        external_ticket_office_url="",
        now=now,
    )
    categories = [
        services.price_category_add(
            actor=actor, offer=offer, label=f"Tarif {i + 1}", price_cents=price, now=now
        )
        for i, price in enumerate(prices)
    ]
    services.stocks_generate(
        actor=actor,
        offer=offer,
        rule=rule or once(),
        quantities=[PriceCategoryQuantity(pc.pk, quantity) for pc in categories],
        now=now,
    )
    return Offer.objects.get(pk=offer.pk)


def publish(actor: Any, offer: Offer, *, now=NOW, **kwargs: Any) -> Offer:
    return services.offer_publish(actor=actor, offer=offer, now=now, **kwargs)


def db_state(offer: Offer) -> dict[str, Any]:
    """Everything a refused operation must leave as it was."""
    fresh = Offer.objects.get(pk=offer.pk)
    return {
        "offer": model_to_dict(fresh),
        "updated_at": fresh.updated_at,
        "price_categories": list(PriceCategory.objects.filter(offer=fresh).order_by("pk").values()),
        "stocks": list(Stock.objects.filter(offer=fresh).order_by("pk").values()),
        "images": list(OfferImage.objects.filter(offer=fresh).values()),
        "audit": AuditEntry.objects.count(),
        "offers": Offer.objects.count(),
    }


def image_bytes(
    size: tuple[int, int] = (800, 600),
    fmt: str = "JPEG",
    *,
    color: tuple[int, ...] = (200, 40, 40),
    mode: str = "RGB",
    exif_orientation: int | None = None,
) -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    options: dict[str, Any] = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        options["exif"] = exif.tobytes()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)
