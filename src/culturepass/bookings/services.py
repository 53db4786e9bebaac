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
import functools
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field
from django.utils import formats
from django.utils.translation import gettext as _

from culturepass.bookings import rules
from culturepass.bookings.models import Booking
from culturepass.catalog import catalogue
from culturepass.core.audit import audit_record, snapshot
from culturepass.core.errors import DomainError, NotFound
from culturepass.core.prepared import PreparedRead
from culturepass.credit.models import BeneficiaryProfile, CreditAccount
from culturepass.notifications.models import Webhook
from culturepass.notifications.services import RenderedEmail, email_render_later, emails_enqueue
from culturepass.notifications.webhooks import webhooks_emit
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
    """Test seam: called once every rule passed. With ``_LOCK_ROWS`` off, after the
    unlocked checks and before the first write (a test may hold the threads here to widen
    the race window); with it on, once the conditional updates re-checked everything under
    the row locks, before the commit."""


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

#: A booking whose occurrence changed date or price category between the read and the
#: write is planned again; more than this many times in a row means a runaway editor.
_STALE_ATTEMPTS = 5
#: Where booking_create leaves the balance it read back from its credit update.
_BALANCE_AFTER = "_credit_balance_after"
_ACCOUNT_FIELDS = (
    "id",
    "granted_cents",
    "spent_cents",
    "digital_spent_cents",
    "digital_cap_cents",
    "expires_at",
)


@dataclass(frozen=True)
class _Beneficiary:
    identity_status: str | None
    account: CreditAccount | None
    already_booked: bool


@functools.cache
def _beneficiary_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(f"c.{quote(f)}" for f in _ACCOUNT_FIELDS)
    # Table and column names are the models' own; every value is a parameter.
    return (
        f"SELECT p.identity_status, {columns}, EXISTS ("  # noqa: S608
        f" SELECT 1 FROM {quote(Booking._meta.db_table)} b"
        "  WHERE b.beneficiary_id = u.id AND b.offer_id = %s AND b.status <> %s)"
        " FROM (SELECT %s::bigint AS id) u"
        f" LEFT JOIN {quote(BeneficiaryProfile._meta.db_table)} p ON p.user_id = u.id"
        f" LEFT JOIN {quote(CreditAccount._meta.db_table)} c ON c.user_id = u.id"
    )


def _read_beneficiary(*, user_id: int, offer_id: int | None) -> _Beneficiary:
    """Identity, credit account and "already booked this offer" in one cheap statement
    (the booking path's hottest read; the ORM spent more compiling it than PostgreSQL
    running it)."""
    with connection.cursor() as cursor:
        cursor.execute(_beneficiary_sql(), [offer_id, Booking.Status.CANCELLED.value, user_id])
        row = cursor.fetchone()
    identity_status, *account_values, already_booked = row
    account = None
    if account_values[0] is not None:
        account = CreditAccount.from_db(
            connection.alias, ["user_id", *_ACCOUNT_FIELDS], [user_id, *account_values]
        )
    return _Beneficiary(
        identity_status=identity_status, account=account, already_booked=bool(already_booked)
    )


#: The occurrence with its offer, venue, structure and price category, as
#: ``select_related`` would return them: the booking request's first read, whose ORM
#: compilation cost more than PostgreSQL running it.
_STOCK_READ = PreparedRead(
    Stock,
    related=("offer", "offer__venue", "offer__offerer", "price_category"),
    where='t0."id" = %s',
)


class _Stale(Exception):
    """The occurrence changed between the unlocked read and the write: plan again."""


@dataclass
class _Plan:
    """What the read-only checks found, and what the transaction will write."""

    stock: Stock
    quantity: int
    unit_price: int
    amount: int
    is_digital: bool
    balance_cents: int
    booking: Booking
    emails: list[RenderedEmail]


def booking_create(*, beneficiary: Any, stock_id: int, quantity: int, now: dt.datetime) -> Booking:
    """Book ``quantity`` seats of occurrence ``stock_id`` for ``beneficiary``.

    Raises :class:`BookingError` with a stable ``code`` and a French message when a rule
    of SPEC §4 refuses it; on success the booking, the seat count, the credit, the audit
    entry and both emails are committed together.

    Every rule is first checked on plain reads, outside any lock, and both emails are
    prepared then (rendered by the worker when sent). The transaction writes the
    booking, its audit entry and its emails,
    and only then takes the row locks, in the fixed order stock → credit, each with one
    conditional UPDATE that re-checks under the lock whatever may have changed since
    the read (seats, deletion, booking limit, date, price category; credit, expiry,
    digital cap). The hot row of a popular occurrence is thus locked for two statements
    and the commit, not for the whole request.
    """
    for _attempt in range(_STALE_ATTEMPTS):
        plan = _plan_booking(beneficiary=beneficiary, stock_id=stock_id, quantity=quantity, now=now)
        if not _LOCK_ROWS:
            _on_checks_passed()
        try:
            with transaction.atomic():
                return _write_booking(plan=plan, beneficiary=beneficiary, now=now)
        except _Stale:
            continue
        except IntegrityError as exc:
            error = _integrity_to_booking_error(exc)
            if error is None:
                raise
            raise error from exc
    raise RuntimeError(f"stock {stock_id} kept changing while booking it")  # pragma: no cover


def credit_balance_after(booking: Booking) -> int | None:
    """The beneficiary's balance as :func:`booking_create` left it (None: not known)."""
    value = booking.__dict__.get(_BALANCE_AFTER)
    return value if isinstance(value, int) else None


def _plan_booking(*, beneficiary: Any, stock_id: int, quantity: int, now: dt.datetime) -> _Plan:
    """Check every rule on unlocked reads (two queries) and prepare the emails."""
    # Offer, venue and structure are read with the occurrence: pros keep editing them
    # while young people book, and they are never locked here.
    stock = _STOCK_READ.first([stock_id])
    person = _read_beneficiary(
        user_id=beneficiary.pk, offer_id=stock.offer_id if stock is not None else None
    )
    account = person.account
    if (
        not getattr(beneficiary, "is_beneficiary", False)
        or person.identity_status != BeneficiaryProfile.Identity.VERIFIED
    ):
        raise BookingError(
            _("Votre compte ne permet pas encore de réserver : votre identité doit être vérifiée."),
            code="not_beneficiary",
        )
    if stock is None:
        raise BookingError(_("Cette date n'existe pas."), code="stock_not_found")

    offer: Offer = stock.offer
    unit_price = stock.price_category.price_cents
    amount = unit_price * quantity
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    is_digital = bool(subcategory and subcategory.is_digital)
    is_event = bool(subcategory is None or subcategory.is_event)

    # Free offers need a verified beneficiary but no credit.
    if unit_price > 0:
        _check_account(account=account, amount=None, is_digital=is_digital, offer=offer, now=now)
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
    _check_seats(stock=stock, quantity=quantity)
    if person.already_booked:
        raise BookingError(_("Vous avez déjà réservé cette offre."), code="already_booked")
    if amount > 0:
        _check_account(account=account, amount=amount, is_digital=is_digital, offer=offer, now=now)

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
        amount_cents=amount,
        is_digital=is_digital,
        status=Booking.Status.CONFIRMED,
        booked_at=now,
        cancellation_limit=rules.cancellation_limit(start=stock.beginning_datetime, booked_at=now)
        if is_event
        else None,
    )
    return _Plan(
        stock=stock,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        is_digital=is_digital,
        balance_cents=account.balance_cents if account else 0,
        booking=booking,
        emails=_booking_emails(booking=booking, beneficiary=beneficiary, stock=stock, kind="new"),
    )


def _check_account(
    *,
    account: CreditAccount | None,
    amount: int | None,
    is_digital: bool,
    offer: Offer,
    now: dt.datetime,
) -> None:
    """The credit account exists and is not expired; with ``amount``, it also covers it."""
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
    if amount is None:
        return
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


def _check_seats(*, stock: Stock, quantity: int) -> None:
    if stock.quantity is not None and stock.booked_quantity + quantity > stock.quantity:
        raise BookingError(
            _("Il ne reste pas assez de places pour cette date."), code="not_enough_seats"
        )


def _check_bookable(*, stock: Stock, offer: Offer, is_event: bool, now: dt.datetime) -> None:
    """The occurrence and its offer accept bookings at ``now``."""
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


def _write_booking(*, plan: _Plan, beneficiary: Any, now: dt.datetime) -> Booking:
    """The transaction of a planned booking (caller holds ``transaction.atomic``)."""
    booking = plan.booking
    emails = plan.emails
    for attempt in range(_CODE_ATTEMPTS):
        if _insert_booking(booking):
            break
        if attempt == _CODE_ATTEMPTS - 1:  # pragma: no cover
            raise RuntimeError("could not draw a free booking code")
        # A (rare) clash on the code: draw again; the emails show the code.
        booking.code = rules.generate_code()
        emails = _booking_emails(
            booking=booking, beneficiary=beneficiary, stock=plan.stock, kind="new"
        )
    audit_record(
        actor=beneficiary,
        action="booking.create",
        obj=booking,
        now=now,
        before=None,
        after=snapshot(booking, _AUDITED),
        offerer_id=booking.offerer_id,
    )
    emails_enqueue(emails, now=now)
    # Partner webhooks: one query when the structure has none subscribed (the usual case).
    webhooks_emit(event=Webhook.Event.BOOKING_CREATED, bookings=[booking], now=now)
    # The row locks come last, stock then credit. Relative updates: with the conditions
    # they re-check under the lock; without them (_LOCK_ROWS off) the CHECK constraints
    # still see the true totals and refuse an oversell.
    _update_stock(plan=plan, now=now)
    balance = plan.balance_cents
    if plan.amount > 0:
        balance = _update_credit(plan=plan, beneficiary=beneficiary, now=now)
    if _LOCK_ROWS:
        _on_checks_passed()
    booking.__dict__[_BALANCE_AFTER] = balance
    return booking


@functools.cache
def _insert_sql() -> tuple[str, tuple[Field[Any, Any], ...]]:
    meta = Booking._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    code = meta.get_field("code").column
    columns = ", ".join(quote(f.column) for f in fields if f.column)
    # Table and column names are the model's own; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(code or 'code')}) DO NOTHING RETURNING {quote(meta.pk.column or 'id')}"
    )
    return sql, fields


def _insert_booking(booking: Booking) -> bool:
    """Insert ``booking``; False when its code is taken. Any other violation (one live
    booking per offer) raises IntegrityError. No savepoint: one statement."""
    sql, fields = _insert_sql()
    params = [f.get_db_prep_save(getattr(booking, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    booking.pk = row[0]
    booking._state.adding = False
    booking._state.db = connection.alias
    return True


def _update_stock(*, plan: _Plan, now: dt.datetime) -> None:
    """Take the occurrence's seats under its row lock, re-checking what may have changed."""
    stock = plan.stock
    table = connection.ops.quote_name(Stock._meta.db_table)
    sql = f"UPDATE {table} SET booked_quantity = booked_quantity + %s WHERE id = %s"  # noqa: S608
    params: list[Any] = [plan.quantity, stock.pk]
    if _LOCK_ROWS:
        sql += (
            " AND NOT is_soft_deleted AND booking_limit_datetime > %s"
            " AND beginning_datetime = %s AND price_category_id = %s"
            " AND (quantity IS NULL OR booked_quantity + %s <= quantity)"
        )
        params += [now, stock.beginning_datetime, stock.price_category_id, plan.quantity]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 1:
            return
    # Refused: say why, from the row as it is now.
    fresh = Stock.objects.filter(pk=stock.pk).first()
    if fresh is None:
        raise BookingError(_("Cette date n'existe pas."), code="stock_not_found")
    subcategory = catalogue.find_subcategory(stock.offer.subcategory_id)
    is_event = bool(subcategory is None or subcategory.is_event)
    _check_bookable(stock=fresh, offer=stock.offer, is_event=is_event, now=now)
    _check_seats(stock=fresh, quantity=plan.quantity)
    raise _Stale  # a new date or price category: plan again


def _update_credit(*, plan: _Plan, beneficiary: Any, now: dt.datetime) -> int:
    """Spend the amount under the credit row lock; returns the balance left."""
    amount = plan.amount
    table = connection.ops.quote_name(CreditAccount._meta.db_table)
    sql = (
        f"UPDATE {table} SET spent_cents = spent_cents + %s,"  # noqa: S608
        " digital_spent_cents = digital_spent_cents + %s, updated_at = %s WHERE user_id = %s"
    )
    params: list[Any] = [amount, amount if plan.is_digital else 0, now, beneficiary.pk]
    if _LOCK_ROWS:
        sql += " AND (expires_at IS NULL OR expires_at > %s) AND granted_cents - spent_cents >= %s"
        params += [now, amount]
        if plan.is_digital:
            sql += (
                " AND (digital_cap_cents IS NULL OR digital_spent_cents + %s <= digital_cap_cents)"
            )
            params.append(amount)
    sql += " RETURNING granted_cents - spent_cents"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    account = CreditAccount.objects.filter(user_id=beneficiary.pk).first()
    _check_account(
        account=account,
        amount=amount,
        is_digital=plan.is_digital,
        offer=plan.stock.offer,
        now=now,
    )
    raise _Stale  # pragma: no cover - the checks above explain every refusal


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
        webhooks_emit(event=Webhook.Event.BOOKING_CANCELLED, bookings=[booking], now=now)
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


def _booking_emails(
    *, booking: Booking, beneficiary: Any, stock: Stock, kind: str
) -> list[RenderedEmail]:
    """The pro's and the beneficiary's emails about ``booking`` (no database access).

    Rendered by the worker when it sends them (booking and cancelling are the app's
    busiest requests, and rendering cost more than the rest of them): the outbox row,
    written in the caller's transaction, holds the template and its context. These
    templates show only the context's formatted values, so the ``booking`` object (not
    JSON) is left out of it.
    """
    offer: Offer = stock.offer
    context = booking_email_context(booking=booking, beneficiary=beneficiary, stock=stock)
    del context["booking"]
    emails = []
    pro_address = offer.booking_email or offer.venue.booking_email
    if pro_address:
        emails.append(
            email_render_later(
                to=[pro_address],
                template=f"emails/bookings/{'new_booking' if kind == 'new' else 'cancelled'}_pro",
                context=context,
                reply_to=[beneficiary.email],
            )
        )
    reply_to = [offer.booking_contact] if offer.booking_contact else []
    emails.append(
        email_render_later(
            to=[beneficiary.email],
            template=(
                f"emails/bookings/{'confirmation' if kind == 'new' else 'cancelled'}_beneficiary"
            ),
            context=context,
            reply_to=reply_to,
        )
    )
    return emails


def _notify(
    *, booking: Booking, beneficiary: Any, stock: Stock, kind: str, now: dt.datetime
) -> None:
    """Queue the pro's and the beneficiary's emails in the current transaction."""
    emails_enqueue(
        _booking_emails(booking=booking, beneficiary=beneficiary, stock=stock, kind=kind), now=now
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
