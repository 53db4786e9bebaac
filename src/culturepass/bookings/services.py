"""Booking engine: book an occurrence, cancel a booking (beneficiary side).

Lock the aggregate, then check, then write (DESIGN example 4). Every use case runs in
one short transaction that takes its row locks in one fixed order:

    booking (cancel only) → stock → credit account

so two bookings, or a booking and a cancellation, never deadlock. The invariants
(seats, credit ≥ 0, digital cap, one live booking per offer and beneficiary) are also
database constraints; a violation that slips past the checks is mapped to the same
error codes (defence in depth).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats
from django.utils.translation import gettext as _

from culturepass.bookings import rules
from culturepass.bookings.models import Booking
from culturepass.catalog import catalogue
from culturepass.core.audit import audit_record, snapshot
from culturepass.core.errors import DomainError, NotFound
from culturepass.credit.models import BeneficiaryProfile, CreditAccount
from culturepass.notifications.services import email_enqueue
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer, Stock

#: Test seam for the concurrency tests (tests/bookings/test_bookings_concurrency.py).
#: False reads the stock and credit rows *without* locking them, so concurrent checks
#: race each other and only the database constraints protect the invariants.
#: Never change it outside tests.
_LOCK_ROWS = True

_CODE_ATTEMPTS = 10
_AUDITED = ("code", "status", "stock", "quantity", "amount_cents", "cancellation_reason")


class BookingError(DomainError):
    code = "booking_error"


class BookingNotFound(BookingError, NotFound):
    """Unknown booking, or another beneficiary's: both read as "not found"."""

    code = "booking_not_found"


def _on_checks_passed() -> None:
    """Test seam: called once every rule passed, before the first write. A test may
    hold the threads here to widen the race window when ``_LOCK_ROWS`` is off."""


# --- formatting (emails and messages speak the offer's local time) ----------------------


def _local(value: dt.datetime, tz_name: str) -> dt.datetime:
    try:
        tz = zoneinfo.ZoneInfo(tz_name or "Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        tz = zoneinfo.ZoneInfo("Europe/Paris")
    return value.astimezone(tz)


def format_local_date(value: dt.datetime, tz_name: str) -> str:
    """ "8 mars 2027" in the offer's time zone."""
    return formats.date_format(_local(value, tz_name), "j F Y")


def format_local_time(value: dt.datetime, tz_name: str) -> str:
    """ "20h00" in the offer's time zone."""
    return formats.date_format(_local(value, tz_name), r"H\hi")


def format_local_datetime(value: dt.datetime, tz_name: str) -> str:
    """ "8 mars 2027 à 20h00" in the offer's time zone."""
    return _("%(date)s à %(time)s") % {
        "date": format_local_date(value, tz_name),
        "time": format_local_time(value, tz_name),
    }


def _format_euros(cents: int) -> str:
    return f"{formats.number_format(Decimal(cents) / 100, 2)} €"


# --- booking -------------------------------------------------------------------------------


def booking_create(*, beneficiary: Any, stock_id: int, quantity: int, now: dt.datetime) -> Booking:
    """Book ``quantity`` seats of occurrence ``stock_id`` for ``beneficiary``.

    Raises :class:`BookingError` with a stable ``code`` and a French message when a rule
    of SPEC §4 refuses it; on success the booking, the seat count, the credit, the audit
    entry and both emails are committed together.
    """
    try:
        with transaction.atomic():
            return _booking_create(
                beneficiary=beneficiary, stock_id=stock_id, quantity=quantity, now=now
            )
    except IntegrityError as exc:
        error = _integrity_to_booking_error(exc)
        if error is None:
            raise
        raise error from exc


def _booking_create(*, beneficiary: Any, stock_id: int, quantity: int, now: dt.datetime) -> Booking:
    profile = (
        BeneficiaryProfile.objects.filter(user_id=beneficiary.pk).only("identity_status").first()
    )
    if (
        not getattr(beneficiary, "is_beneficiary", False)
        or profile is None
        or profile.identity_status != BeneficiaryProfile.Identity.VERIFIED
    ):
        raise BookingError(
            _("Votre compte ne permet pas encore de réserver : votre identité doit être vérifiée."),
            code="not_beneficiary",
        )

    # Lock 1: the occurrence. Offer, venue and structure are read in the same query but
    # not locked (of=self): pros keep editing them while young people book.
    stocks = Stock.objects.select_related(
        "offer", "offer__venue", "offer__offerer", "price_category"
    )
    if _LOCK_ROWS:
        stocks = stocks.select_for_update(of=("self",))
    stock = stocks.filter(pk=stock_id).first()
    if stock is None:
        raise BookingError(_("Cette date n'existe pas."), code="stock_not_found")
    # Lock 2: the beneficiary's credit, always after the stock.
    accounts = CreditAccount.objects.all()
    if _LOCK_ROWS:
        accounts = accounts.select_for_update()
    account = accounts.filter(user_id=beneficiary.pk).first()

    offer: Offer = stock.offer
    unit_price = stock.price_category.price_cents
    amount = unit_price * quantity
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    is_digital = bool(subcategory and subcategory.is_digital)
    is_event = bool(subcategory is None or subcategory.is_event)

    # Free offers need a verified beneficiary but no credit.
    if unit_price > 0:
        if account is None:
            raise BookingError(
                _("Votre compte ne permet pas encore de réserver : vous n'avez pas de crédit."),
                code="not_beneficiary",
            )
        if account.expires_at is not None and account.expires_at <= now:
            raise BookingError(
                _("Votre crédit a expiré le %(date)s.")
                % {"date": format_local_date(account.expires_at, offer.timezone)},
                code="credit_expired",
            )
    _check_bookable(stock=stock, offer=offer, is_event=is_event, now=now)
    max_quantity = 2 if offer.is_duo else 1
    if not 1 <= quantity <= max_quantity:
        raise BookingError(
            _("Vous pouvez réserver 1 ou 2 places pour cette offre duo.")
            if offer.is_duo
            else _("Vous ne pouvez réserver qu'une place pour cette offre."),
            code="quantity_invalid",
            field="quantity",
        )
    if stock.quantity is not None and stock.booked_quantity + quantity > stock.quantity:
        raise BookingError(
            _("Il ne reste pas assez de places pour cette date."), code="not_enough_seats"
        )
    if (
        Booking.objects.filter(beneficiary_id=beneficiary.pk, offer_id=offer.pk)
        .exclude(status=Booking.Status.CANCELLED)
        .exists()
    ):
        raise BookingError(_("Vous avez déjà réservé cette offre."), code="already_booked")
    if amount > 0:
        assert account is not None
        if amount > account.balance_cents:
            raise BookingError(
                _("Votre crédit est insuffisant pour cette réservation."),
                code="insufficient_credit",
            )
        if (
            is_digital
            and account.digital_cap_cents is not None
            and account.digital_spent_cents + amount > account.digital_cap_cents
        ):
            raise BookingError(
                _("Cette réservation dépasserait le plafond des offres numériques."),
                code="digital_cap_reached",
            )
    _on_checks_passed()

    booking = _insert_booking(
        beneficiary=beneficiary,
        stock=stock,
        quantity=quantity,
        unit_price=unit_price,
        is_digital=is_digital,
        limit=rules.cancellation_limit(start=stock.beginning_datetime, booked_at=now)
        if is_event
        else None,
        now=now,
    )
    # Relative updates: with the locks they are exact; without them the CHECK
    # constraints still see the true totals and refuse an oversell.
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=F("booked_quantity") + quantity)
    if amount > 0:
        assert account is not None
        CreditAccount.objects.filter(pk=account.pk).update(
            spent_cents=F("spent_cents") + amount,
            digital_spent_cents=F("digital_spent_cents") + (amount if is_digital else 0),
            updated_at=now,
        )
    audit_record(
        actor=beneficiary,
        action="booking.create",
        obj=booking,
        now=now,
        before=None,
        after=snapshot(booking, _AUDITED),
        offerer_id=offer.offerer_id,
    )
    _notify(booking=booking, beneficiary=beneficiary, stock=stock, kind="new", now=now)
    return booking


def _check_bookable(*, stock: Stock, offer: Offer, is_event: bool, now: dt.datetime) -> None:
    """The occurrence and its offer accept bookings at ``now`` (caller holds the stock lock)."""
    offerer: Offerer = offer.offerer
    if stock.is_soft_deleted:
        raise BookingError(_("Cette date a été supprimée."), code="stock_deleted")
    if offer.validation != Offer.Validation.APPROVED:
        raise BookingError(
            _("Cette offre n'est pas validée : elle ne peut pas être réservée."),
            code="offer_not_approved",
        )
    if not offer.is_active:
        raise BookingError(_("Cette offre a été désactivée."), code="offer_inactive")
    if offer.publication_datetime is None or offer.publication_datetime > now:
        raise BookingError(_("Cette offre n'est pas encore publiée."), code="offer_not_published")
    if offer.booking_allowed_datetime is not None and offer.booking_allowed_datetime > now:
        raise BookingError(
            _("Les réservations de cette offre ouvrent le %(date)s.")
            % {"date": format_local_datetime(offer.booking_allowed_datetime, offer.timezone)},
            code="booking_not_open",
        )
    if offerer.status != Offerer.Status.VALIDATED:
        raise BookingError(
            _("La structure qui propose cette offre n'est pas encore validée."),
            code="offerer_not_validated",
        )
    if is_event and stock.beginning_datetime <= now:
        raise BookingError(_("Cet évènement a déjà commencé."), code="event_started")
    if stock.booking_limit_datetime <= now:
        raise BookingError(
            _("Les réservations pour cette date sont closes."), code="booking_limit_passed"
        )


def _insert_booking(
    *,
    beneficiary: Any,
    stock: Stock,
    quantity: int,
    unit_price: int,
    is_digital: bool,
    limit: dt.datetime | None,
    now: dt.datetime,
) -> Booking:
    """Insert with a fresh code; a (rare) clash on the code retries inside a savepoint."""
    offer = stock.offer
    for attempt in range(_CODE_ATTEMPTS):
        booking = Booking(
            code=rules.generate_code(),
            beneficiary_id=beneficiary.pk,
            offer_id=offer.pk,
            offerer_id=offer.offerer_id,
            venue_id=offer.venue_id,
            stock=stock,
            price_category_label=stock.price_category.label,
            quantity=quantity,
            unit_price_cents=unit_price,
            amount_cents=unit_price * quantity,
            is_digital=is_digital,
            status=Booking.Status.CONFIRMED,
            booked_at=now,
            cancellation_limit=limit,
        )
        try:
            with transaction.atomic():
                booking.save(force_insert=True)
        except IntegrityError as exc:
            if _constraint_name(exc).startswith("bookings_booking_code") and (
                attempt < _CODE_ATTEMPTS - 1
            ):
                continue
            raise
        return booking
    raise AssertionError("unreachable")  # pragma: no cover


# --- cancellation --------------------------------------------------------------------------


def booking_cancel_by_beneficiary(
    *, beneficiary: Any, booking_id: int, now: dt.datetime
) -> Booking:
    """Cancel one's own CONFIRMED booking until its cancellation limit; the credit and
    the seats come back at once."""
    with transaction.atomic():
        # Lock order: booking → stock → credit (the UPDATEs below take the other two).
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("offer", "venue", "stock", "stock__price_category")
            .filter(pk=booking_id, beneficiary_id=beneficiary.pk)
            .first()
        )
        if booking is None:
            raise BookingNotFound(_("Réservation introuvable."))
        if booking.status == Booking.Status.CANCELLED:
            raise BookingError(_("Cette réservation est déjà annulée."), code="already_cancelled")
        if booking.status != Booking.Status.CONFIRMED:
            raise BookingError(
                _("Cette réservation a déjà été validée : elle n'est plus annulable."),
                code="cancellation_too_late",
            )
        limit = booking.cancellation_limit
        if limit is not None and now > limit:
            raise BookingError(
                _("La réservation n'est plus annulable depuis le %(date)s.")
                % {"date": format_local_datetime(limit, booking.offer.timezone)},
                code="cancellation_too_late",
            )
        before = snapshot(booking, _AUDITED)
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.cancellation_reason = Booking.CancellationReason.BENEFICIARY
        booking.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
        Stock.objects.filter(pk=booking.stock_id).update(
            booked_quantity=F("booked_quantity") - booking.quantity
        )
        if booking.amount_cents:
            CreditAccount.objects.filter(user_id=beneficiary.pk).update(
                spent_cents=F("spent_cents") - booking.amount_cents,
                digital_spent_cents=F("digital_spent_cents")
                - (booking.amount_cents if booking.is_digital else 0),
                updated_at=now,
            )
        audit_record(
            actor=beneficiary,
            action="booking.cancel_by_beneficiary",
            obj=booking,
            now=now,
            before=before,
            after=snapshot(booking, _AUDITED),
            offerer_id=booking.offerer_id,
        )
        _notify(
            booking=booking, beneficiary=beneficiary, stock=booking.stock, kind="cancel", now=now
        )
        return booking


# --- emails --------------------------------------------------------------------------------


def _address(offer: Offer, venue: Venue) -> str:
    if offer.address_kind == Offer.AddressKind.OTHER and offer.street:
        parts = [offer.location_label, offer.street, f"{offer.postal_code} {offer.city}"]
    else:
        parts = [venue.street, f"{venue.postal_code} {venue.city}"]
    return ", ".join(p.strip() for p in parts if p and p.strip())


def booking_email_context(*, booking: Booking, beneficiary: Any, stock: Stock) -> dict[str, Any]:
    """What the booking emails show, with dates in the offer's time zone."""
    offer: Offer = stock.offer
    venue: Venue = offer.venue
    tz = offer.timezone
    limit = booking.cancellation_limit
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    return {
        "booking": booking,
        "code": booking.code,
        "first_name": beneficiary.first_name,
        "last_name": beneficiary.last_name,
        "email": beneficiary.email,
        "phone": beneficiary.phone,
        "offer_name": offer.name,
        "is_event": bool(subcategory is None or subcategory.is_event),
        "date": format_local_date(stock.beginning_datetime, tz),
        "time": format_local_time(stock.beginning_datetime, tz),
        "price_category": booking.price_category_label,
        "unit_price": _format_euros(booking.unit_price_cents),
        "amount": _format_euros(booking.amount_cents),
        "quantity": booking.quantity,
        "venue_name": venue.display_name,
        "address": _address(offer, venue),
        "withdrawal_mode": offer.get_withdrawal_type_display() if offer.withdrawal_type else "",
        "withdrawal_details": offer.withdrawal_details or venue.withdrawal_details,
        "cancellation_limit": format_local_datetime(limit, tz) if limit else "",
        "booking_contact": offer.booking_contact,
    }


def _notify(
    *, booking: Booking, beneficiary: Any, stock: Stock, kind: str, now: dt.datetime
) -> None:
    """Queue the pro's and the beneficiary's emails in the current transaction."""
    offer: Offer = stock.offer
    context = booking_email_context(booking=booking, beneficiary=beneficiary, stock=stock)
    pro_address = offer.booking_email or offer.venue.booking_email
    if pro_address:
        email_enqueue(
            to=[pro_address],
            template=f"emails/bookings/{'new_booking' if kind == 'new' else 'cancelled'}_pro",
            context=context,
            now=now,
            reply_to=[beneficiary.email],
        )
    reply_to = [offer.booking_contact] if offer.booking_contact else []
    email_enqueue(
        to=[beneficiary.email],
        template=f"emails/bookings/{'confirmation' if kind == 'new' else 'cancelled'}_beneficiary",
        context=context,
        now=now,
        reply_to=reply_to,
    )


# --- defence in depth ----------------------------------------------------------------------

_CONSTRAINT_ERRORS = {
    "booking_one_live_per_offer_and_beneficiary": "already_booked",
    "stock_not_oversold": "not_enough_seats",
    "credit_never_negative": "insufficient_credit",
    "credit_digital_cap": "digital_cap_reached",
}


def _constraint_name(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _integrity_to_booking_error(exc: IntegrityError) -> BookingError | None:
    """A constraint caught what the checks did not (a bug, or the locks switched off)."""
    code = _CONSTRAINT_ERRORS.get(_constraint_name(exc))
    messages = {
        "already_booked": _("Vous avez déjà réservé cette offre."),
        "not_enough_seats": _("Il ne reste pas assez de places pour cette date."),
        "insufficient_credit": _("Votre crédit est insuffisant pour cette réservation."),
        "digital_cap_reached": _("Cette réservation dépasserait le plafond des offres numériques."),
    }
    if code is None:
        return None
    return BookingError(messages[code], code=code)
