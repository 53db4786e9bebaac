"""Reads of bookings for the beneficiary: lists, one booking, calendar file, QR code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import qrcode
import qrcode.image.svg
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from culturepass.bookings.models import Booking
from culturepass.bookings.services import BookingNotFound
from culturepass.catalog import catalogue

_RELATED = ("offer", "offer__venue", "venue", "stock", "stock__price_category")


def bookings_of_beneficiary(*, user: Any) -> QuerySet[Booking]:
    """The beneficiary's bookings, most recent first, with what the list shows."""
    return Booking.objects.filter(beneficiary_id=user.pk).select_related(*_RELATED)


def booking_for_beneficiary(*, user: Any, booking_id: int) -> Booking:
    """One of the beneficiary's bookings; another's reads as not found."""
    booking = bookings_of_beneficiary(user=user).filter(pk=booking_id).first()
    if booking is None:
        raise BookingNotFound(_("Réservation introuvable."))
    return booking


def _location(booking: Booking) -> str:
    offer, venue = booking.offer, booking.venue
    if offer.address_kind == offer.AddressKind.OTHER and offer.street:
        parts = [offer.location_label, offer.street, f"{offer.postal_code} {offer.city}"]
    else:
        parts = [venue.display_name, venue.street, f"{venue.postal_code} {venue.city}"]
    return ", ".join(p.strip() for p in parts if p and p.strip())


def booking_ics(*, booking: Booking) -> bytes:
    """An iCalendar file with one event: the occurrence, with the code in the description."""
    offer = booking.offer
    start = booking.stock.beginning_datetime.astimezone(dt.UTC)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//culturepass//bookings//FR")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"booking-{booking.pk}-{booking.code}@culturepass")
    event.add("dtstamp", booking.booked_at.astimezone(dt.UTC))
    event.add("summary", offer.name)
    sub = catalogue.find_subcategory(offer.subcategory_id)
    if sub is None or sub.is_event:
        event.add("dtstart", start)
        if offer.duration_minutes:
            event.add("duration", dt.timedelta(minutes=offer.duration_minutes))
    else:
        event.add("dtstart", start.date())
    event.add("location", _location(booking))
    lines = [
        _("Code de réservation : %(code)s") % {"code": booking.code},
        ngettext(
            "Tarif : %(label)s, %(quantity)s place",
            "Tarif : %(label)s, %(quantity)s places",
            booking.quantity,
        )
        % {"label": booking.price_category_label, "quantity": booking.quantity},
    ]
    if offer.withdrawal_details:
        lines.append(offer.withdrawal_details)
    event.add("description", "\n".join(lines))
    if booking.status == Booking.Status.CANCELLED:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()


def booking_qr_svg(*, booking: Booking) -> str:
    """An inline SVG QR code encoding the booking code (scanned at the guichet)."""
    image = qrcode.make(
        booking.code,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    return svg if isinstance(svg, str) else svg.decode()
