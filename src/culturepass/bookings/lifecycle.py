"""Box office and event lifecycle (SPEC §4 Guichet, §5): validate a code, undo it,
cancel / postpone / close an event, and the periodic jobs on bookings.

Lock order, shared with the booking engine (``bookings/services.py``):

    offer (pro operations only) → booking(s) → stock(s) → credit account(s)

Several rows of one kind are locked by increasing id. The offer row serialises every
pro operation on one offer (the offers services lock it first as well); bookings are
never locked after a stock, except the few created while we waited for the stock lock
(see :func:`_lock_live_bookings_and_stocks`).

Money and seats follow the booking engine: relative ``UPDATE``s under the locks, and
the database constraints (credit ≥ 0, booked ≤ quantity) as a second guard.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from culturepass.bookings import rules
from culturepass.bookings.models import CODE_ALPHABET, CODE_LENGTH, Booking
from culturepass.bookings.services import (
    BookingError,
    BookingNotFound,
    booking_email_context,
    format_local_date,
    format_local_datetime,
    format_local_time,
)
from culturepass.catalog import catalogue
from culturepass.core.actors import is_partner
from culturepass.core.audit import AUTO, audit_record, snapshot
from culturepass.core.errors import DomainError, NotFound
from culturepass.core.throttle import Throttled, throttle_hit, throttle_refund
from culturepass.credit.models import CreditAccount
from culturepass.finance.events import (
    finance_events_on_reschedule,
    finance_events_on_unuse,
    finance_events_on_use,
)
from culturepass.finance.models import FinanceEvent
from culturepass.notifications.models import Webhook
from culturepass.notifications.services import email_enqueue
from culturepass.notifications.webhooks import webhooks_emit
from culturepass.offerers.models import Membership, Offerer
from culturepass.offers.models import MAX_STOCK_QUANTITY, Offer, Stock

__all__ = [
    "Throttled",
    "booking_cancel_by_offerer",
    "booking_check_usable",
    "booking_find_by_code",
    "booking_find_for_pro",
    "booking_unuse",
    "booking_use",
    "bookings_auto_validate",
    "bookings_expire",
    "bookings_send_reminders",
    "offer_cancel_by_offerer",
    "offer_close_ticketing",
    "stock_cancel_by_offerer",
    "stock_close_ticketing",
    "stock_postpone",
    "stock_reduce_capacity",
]

_AUDITED = (
    "code",
    "status",
    "stock",
    "quantity",
    "amount_cents",
    "cancellation_reason",
    "cancellation_limit",
    "used_at",
    "used_by",
)
_STOCK_AUDITED = ("beginning_datetime", "booking_limit_datetime", "quantity", "is_soft_deleted")
_LIVE = (Booking.Status.CONFIRMED, Booking.Status.USED)
#: An event that ended longer ago than this can no longer be cancelled or postponed.
EVENT_EDIT_GRACE = dt.timedelta(hours=48)
#: Postponed further than this from now, validated bookings go back to confirmed.
POSTPONE_UNUSE_THRESHOLD = dt.timedelta(days=2)


# --- settings (defaults match SPEC §4) ------------------------------------------------------


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def auto_validation_delay() -> dt.timedelta:
    return dt.timedelta(hours=_setting("AUTO_VALIDATION_DELAY_HOURS", 72))


# --- access --------------------------------------------------------------------------------


def _is_backoffice(actor: Any) -> bool:
    return bool(
        getattr(actor, "pk", None)
        and getattr(actor, "is_active", False)
        and getattr(actor, "is_superuser", False)
    )


def _offerer_scope(actor: Any) -> Q:
    """The structures ``actor`` works for (validated memberships; staff: all; a partner API
    key: its structure, restricted to its venues when it has some)."""
    if is_partner(actor):
        scope = Q(offerer_id=actor.offerer_id)
        if actor.venue_ids is not None:
            # Offers and bookings both carry venue_id, so the same Q serves both querysets.
            scope &= Q(venue_id__in=sorted(actor.venue_ids))
        return scope
    if _is_backoffice(actor):
        return Q()
    if not getattr(actor, "pk", None) or not getattr(actor, "is_active", True):
        return Q(pk__in=[])
    return Q(
        offerer_id__in=Membership.objects.filter(
            user_id=actor.pk, status=Membership.Status.VALIDATED
        ).values("offerer_id")
    )


def _is_event(offer: Offer) -> bool:
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    return bool(subcategory is None or subcategory.is_event)


@functools.cache
def _event_subcategory_ids() -> tuple[str, ...]:
    return tuple(s.id for s in catalogue.subcategories() if s.is_event)


@functools.cache
def _expiring_subcategory_ids() -> tuple[str, ...]:
    return tuple(s.id for s in catalogue.subcategories() if not s.is_event and s.can_expire)


def _offer_not_found() -> NotFound:
    return NotFound(_("Cette offre n'existe pas."), code="not_found")


def _stock_not_found() -> NotFound:
    return NotFound(_("Cette date n'existe pas."), code="stock_not_found")


def _lock_offer(actor: Any, offer_id: int) -> Offer:
    """Lock the offer for a pro of its structure; anyone else reads "not found"."""
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("offerer", "venue")
        .filter(_offerer_scope(actor), pk=offer_id)
        .first()
    )
    if offer is None:
        raise _offer_not_found()
    if offer.offerer.status == Offerer.Status.CLOSED:
        raise DomainError(_("Cette structure est fermée."), code="offerer_closed")
    return offer


def _offer_of_stock(actor: Any, stock_id: int) -> tuple[Offer, Stock]:
    """Lock the stock's offer, then read the live stock (not locked yet)."""
    offer_id = Stock.objects.filter(pk=stock_id).values_list("offer_id", flat=True).first()
    if offer_id is None:
        raise _stock_not_found()
    try:
        offer = _lock_offer(actor, offer_id)
    except NotFound:
        raise _stock_not_found() from None
    stock = Stock.objects.filter(pk=stock_id, is_soft_deleted=False).first()
    if stock is None:
        raise _stock_not_found()
    stock.offer = offer
    return offer, stock


def _event_end(offer: Offer, stock: Stock) -> dt.datetime:
    return stock.beginning_datetime + dt.timedelta(minutes=offer.duration_minutes or 0)


def _ended_too_long_ago(offer: Offer, stock: Stock, now: dt.datetime) -> bool:
    return _is_event(offer) and now > _event_end(offer, stock) + EVENT_EDIT_GRACE


def _event_too_old() -> DomainError:
    return DomainError(
        _(
            "Cet évènement s'est terminé il y a plus de 48 heures : "
            "ses réservations ne peuvent plus être annulées ni reportées."
        ),
        code="event_too_old",
    )


def _pro_recipients(offer: Offer) -> list[str]:
    """The offer's notification address, else the structure's administrators."""
    if offer.booking_email:
        return [offer.booking_email]
    return sorted(
        e
        for e in Membership.objects.filter(
            offerer_id=offer.offerer_id,
            status=Membership.Status.VALIDATED,
            role=Membership.Role.ADMIN,
        ).values_list("user__email", flat=True)
        if e
    )


# --- Guichet -------------------------------------------------------------------------------


def _looks_like_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def booking_find_for_pro(
    *, actor: Any, code: str, now: dt.datetime, ip_address: str | None = None
) -> Booking:
    """The booking with ``code`` (any case, spaces ignored) of one of ``actor``'s structures.

    Unknown codes and other structures' codes read the same (``booking_not_found``).
    Wrong codes are throttled per user (``GUICHET_THROTTLE_USER_LIMIT``, 10) and per
    address (``GUICHET_THROTTLE_IP_LIMIT``, 30) per ``GUICHET_THROTTLE_WINDOW_SECONDS``
    (60): past the limit every attempt, even with a right code, raises
    :class:`~culturepass.core.throttle.Throttled` (``too_many_attempts``). A found code
    does not count. Any status is returned: see :func:`booking_check_usable`.

    Call it outside ``transaction.atomic`` (or let the block commit): the counter must
    survive the ``booking_not_found`` refusal.
    """
    window = int(_setting("GUICHET_THROTTLE_WINDOW_SECONDS", 60))
    keys = [
        (f"guichet:user:{getattr(actor, 'pk', None)}", _setting("GUICHET_THROTTLE_USER_LIMIT", 10))
    ]
    if ip_address:
        keys.append((f"guichet:ip:{ip_address}", _setting("GUICHET_THROTTLE_IP_LIMIT", 30)))
    message = _("Trop de codes erronés : réessayez dans une minute.")
    # Reserve the attempt on every key first: concurrent guesses cannot pass the limit.
    counted: list[str] = []
    for key, limit in keys:
        try:
            throttle_hit(key=key, limit=int(limit), window_seconds=window, now=now, message=message)
        except Throttled:
            for other in counted:  # refused before any lookup: it was not a wrong code there
                throttle_refund(key=other, window_seconds=window, now=now)
            raise
        counted.append(key)

    normalized = rules.normalize_code(code or "")
    booking = None
    if _looks_like_code(normalized):
        booking = (
            Booking.objects.select_related(
                "beneficiary", "offer", "offerer", "venue", "stock", "stock__price_category"
            )
            .filter(_offerer_scope(actor), code=normalized)
            .first()
        )
    if booking is None:
        raise BookingNotFound(
            _("Cette contremarque n'existe pas ou n'est pas rattachée à votre structure."),
            field="code",
        )
    for key in counted:
        throttle_refund(key=key, window_seconds=window, now=now)
    return booking


def booking_check_usable(*, booking: Booking, now: dt.datetime) -> None:
    """Raise the Guichet refusal for ``booking`` at ``now``, if any (reads ``offer`` and
    ``offerer``: select them with the booking). The page shows it before "Valider"."""
    offer: Offer = booking.offer
    tz = offer.timezone
    if booking.status == Booking.Status.REIMBURSED or booking.reimbursed_at is not None:
        raise BookingError(_("Cette réservation a déjà été remboursée."), code="booking_reimbursed")
    if booking.status == Booking.Status.CANCELLED:
        assert booking.cancelled_at is not None  # a database constraint
        raise BookingError(
            _("Cette réservation a été annulée le %(date)s.")
            % {"date": format_local_datetime(booking.cancelled_at, tz)},
            code="booking_cancelled",
        )
    if booking.status == Booking.Status.USED:
        raise BookingError(
            _("Cette réservation a déjà été validée le %(date)s.")
            % {"date": format_local_datetime(booking.used_at, tz)}
            if booking.used_at
            else _("Cette réservation a déjà été validée."),
            code="booking_already_used",
        )
    if booking.offerer.status == Offerer.Status.CLOSED:
        raise BookingError(
            _("Cette structure est fermée : ses réservations ne peuvent plus être validées."),
            code="offerer_closed",
        )
    limit = booking.cancellation_limit
    if _is_event(offer) and limit is not None and now <= limit:
        raise BookingError(
            _(
                "Cette réservation peut encore être annulée par le bénéficiaire : "
                "vous pourrez la valider à partir du %(date)s à %(time)s."
            )
            % {"date": format_local_date(limit, tz), "time": format_local_time(limit, tz)},
            code="booking_not_yet_validatable",
        )


def _lock_booking_for_pro(actor: Any, booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("offer", "offerer", "venue", "stock", "beneficiary")
        .filter(_offerer_scope(actor), pk=booking_id)
        .first()
    )
    if booking is None:
        raise BookingNotFound(
            _("Cette contremarque n'existe pas ou n'est pas rattachée à votre structure.")
        )
    return booking


def booking_use(*, actor: Any, booking_id: int, now: dt.datetime) -> Booking:
    """Validate (CONFIRMED → USED) a booking of one of ``actor``'s structures.

    Refusals: ``booking_not_found``, ``booking_already_used``, ``booking_cancelled``,
    ``booking_reimbursed``, ``offerer_closed``, ``booking_not_yet_validatable`` (an event
    booking the beneficiary may still cancel; the message gives the date and time, in the
    offer's time zone, from which it can be validated).
    """
    with transaction.atomic():
        booking = _lock_booking_for_pro(actor, booking_id)
        booking_check_usable(booking=booking, now=now)
        before = snapshot(booking, _AUDITED)
        booking.status = Booking.Status.USED
        booking.used_at = now
        booking.used_by = getattr(actor, "email", "") or ""
        booking.save(update_fields=["status", "used_at", "used_by"])
        finance_events_on_use(bookings=[booking], now=now)
        audit_record(
            actor=actor,
            action="booking.use",
            obj=booking,
            now=now,
            before=before,
            after=snapshot(booking, _AUDITED),
            offerer_id=booking.offerer_id,
        )
        webhooks_emit(event=Webhook.Event.BOOKING_USED, bookings=[booking], now=now)
    return booking


def booking_unuse(*, actor: Any, booking_id: int, now: dt.datetime) -> Booking:
    """Undo a validation (USED → CONFIRMED) unless its reimbursement has started
    (``booking_reimbursed``); ``booking_not_used`` when it is not validated."""
    with transaction.atomic():
        booking = _lock_booking_for_pro(actor, booking_id)
        if booking.status == Booking.Status.REIMBURSED or booking.reimbursed_at is not None:
            raise BookingError(
                _(
                    "Cette réservation a déjà été remboursée : sa validation ne peut plus être annulée."
                ),
                code="booking_reimbursed",
            )
        if booking.status != Booking.Status.USED:
            raise BookingError(_("Cette réservation n'est pas validée."), code="booking_not_used")
        if booking.offerer.status == Offerer.Status.CLOSED:
            raise BookingError(_("Cette structure est fermée."), code="offerer_closed")
        # Refuses (booking_reimbursed) when its pricing is already paid.
        finance_events_on_unuse(
            bookings=[booking], motive=FinanceEvent.Motive.BOOKING_UNUSED, now=now
        )
        before = snapshot(booking, _AUDITED)
        booking.status = Booking.Status.CONFIRMED
        booking.used_at = None
        booking.used_by = ""
        booking.save(update_fields=["status", "used_at", "used_by"])
        audit_record(
            actor=actor,
            action="booking.unuse",
            obj=booking,
            now=now,
            before=before,
            after=snapshot(booking, _AUDITED),
            offerer_id=booking.offerer_id,
        )
    return booking


# --- locking the bookings of occurrences ---------------------------------------------------


def _lock_live_bookings_and_stocks(
    stock_ids: Sequence[int],
) -> tuple[list[Booking], dict[int, Stock]]:
    """Lock the live (CONFIRMED, USED) bookings of ``stock_ids``, then the stocks.

    Caller holds the offer lock. A booking created after our first read and before we got
    the stock lock (its creator held the stock until commit) is locked last: while we hold
    the stocks no other booking can appear.
    """
    live = Booking.objects.select_for_update(of=("self",)).select_related("beneficiary")
    bookings = list(live.filter(stock_id__in=stock_ids, status__in=_LIVE).order_by("pk"))
    stocks = {
        s.pk: s for s in Stock.objects.select_for_update().filter(pk__in=stock_ids).order_by("pk")
    }
    seen = {b.pk for b in bookings}
    late = list(
        live.filter(stock_id__in=stock_ids, status__in=_LIVE).exclude(pk__in=seen).order_by("pk")
    )
    return bookings + late, stocks


def _credit_back(bookings: Iterable[Booking], now: dt.datetime) -> None:
    """Give the amounts back (caller holds the bookings and stocks; credits by user id)."""
    spent: dict[int, int] = defaultdict(int)
    digital: dict[int, int] = defaultdict(int)
    for b in bookings:
        spent[b.beneficiary_id] += b.amount_cents
        if b.is_digital:
            digital[b.beneficiary_id] += b.amount_cents
    for user_id in sorted(u for u, amount in spent.items() if amount):
        CreditAccount.objects.filter(user_id=user_id).update(
            spent_cents=F("spent_cents") - spent[user_id],
            digital_spent_cents=F("digital_spent_cents") - digital[user_id],
            updated_at=now,
        )


def _seats_back(bookings: Iterable[Booking]) -> None:
    seats: dict[int, int] = defaultdict(int)
    for b in bookings:
        seats[b.stock_id] += b.quantity
    for stock_id in sorted(seats):
        Stock.objects.filter(pk=stock_id).update(
            booked_quantity=F("booked_quantity") - seats[stock_id]
        )


def _cancel(
    bookings: Sequence[Booking],
    *,
    actor: Any,
    reason: str,
    action: str,
    now: dt.datetime,
) -> None:
    """Cancel locked live bookings: status, seats, credit, audit (caller holds the locks)."""
    finance_events_on_unuse(
        bookings=[b for b in bookings if b.status == Booking.Status.USED],
        motive=FinanceEvent.Motive.BOOKING_CANCELLED_AFTER_USE,
        now=now,
    )
    for booking in bookings:
        before = snapshot(booking, _AUDITED)
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.cancellation_reason = reason
        booking.save(update_fields=["status", "cancelled_at", "cancellation_reason"])
        audit_record(
            actor=actor,
            action=action,
            obj=booking,
            now=now,
            before=before,
            after=snapshot(booking, _AUDITED),
            offerer_id=booking.offerer_id,
        )
    _seats_back(bookings)
    _credit_back(bookings, now)
    webhooks_emit(event=Webhook.Event.BOOKING_CANCELLED, bookings=bookings, now=now)


def _summary_rows(
    bookings: Iterable[Booking], stocks: dict[int, Stock], tz: str
) -> list[dict[str, Any]]:
    return [
        {
            "code": b.code,
            "name": f"{b.beneficiary.first_name} {b.beneficiary.last_name}".strip(),
            "email": b.beneficiary.email,
            "quantity": b.quantity,
            "price_category": b.price_category_label,
            "date": format_local_datetime(stocks[b.stock_id].beginning_datetime, tz),
        }
        for b in bookings
    ]


def _email_beneficiaries(
    bookings: Iterable[Booking],
    *,
    stocks: dict[int, Stock],
    offer: Offer,
    template: str,
    extra: dict[int, dict[str, Any]] | None = None,
    now: dt.datetime,
) -> None:
    reply_to = [offer.booking_contact] if offer.booking_contact else []
    for b in bookings:
        stock = stocks[b.stock_id]
        stock.offer = offer
        context = booking_email_context(booking=b, beneficiary=b.beneficiary, stock=stock)
        context.update((extra or {}).get(b.pk, {}))
        email_enqueue(
            to=[b.beneficiary.email], template=template, context=context, now=now, reply_to=reply_to
        )


def _email_pro(*, offer: Offer, template: str, context: dict[str, Any], now: dt.datetime) -> None:
    recipients = _pro_recipients(offer)
    if recipients:
        email_enqueue(
            to=recipients,
            template=template,
            context={"offer_name": offer.name, **context},
            now=now,
        )


# --- cancel by the offerer -----------------------------------------------------------------


def _cancel_stocks(
    *, actor: Any, offer: Offer, stock_ids: list[int], scope: str, now: dt.datetime
) -> tuple[int, dict[int, Stock]]:
    bookings, stocks = _lock_live_bookings_and_stocks(stock_ids)
    _cancel(
        bookings,
        actor=actor,
        reason=Booking.CancellationReason.OFFERER,
        action="booking.cancel_by_offerer",
        now=now,
    )
    for stock in stocks.values():
        cancelled = sum(1 for b in bookings if b.stock_id == stock.pk)
        before = snapshot(stock, _STOCK_AUDITED)
        stock.is_soft_deleted = True
        stock.updated_at = now
        stock.save(update_fields=["is_soft_deleted", "updated_at"])
        audit_record(
            actor=actor,
            action="stock.cancel_by_offerer",
            obj=stock,
            now=now,
            before=before,
            after=snapshot(stock, _STOCK_AUDITED),
            offerer_id=offer.offerer_id,
            comment=ngettext(
                "%(count)s réservation annulée", "%(count)s réservations annulées", cancelled
            )
            % {"count": cancelled},
        )
    _email_beneficiaries(
        bookings,
        stocks=stocks,
        offer=offer,
        template="emails/bookings/cancelled_by_offerer_beneficiary",
        now=now,
    )
    if bookings:
        _email_pro(
            offer=offer,
            template="emails/bookings/cancelled_by_offerer_pro",
            context={
                "count": len(bookings),
                "scope": scope,
                "bookings": _summary_rows(bookings, stocks, offer.timezone),
            },
            now=now,
        )
    return len(bookings), stocks


def stock_cancel_by_offerer(*, actor: Any, stock_id: int, now: dt.datetime) -> int:
    """Cancel one occurrence (trash icon): every booking not reimbursed (validated ones
    too) is cancelled with reason OFFERER, seats and credit come back, each beneficiary
    gets an email and the pro one summary; the occurrence is deleted (kept, marked).

    Returns the number of bookings cancelled. Refused (``event_too_old``) when the event
    ended (start + duration) more than 48 h ago.
    """
    with transaction.atomic():
        offer, stock = _offer_of_stock(actor, stock_id)
        if _ended_too_long_ago(offer, stock, now):
            raise _event_too_old()
        count, _stocks = _cancel_stocks(
            actor=actor,
            offer=offer,
            stock_ids=[stock.pk],
            scope=format_local_datetime(stock.beginning_datetime, offer.timezone),
            now=now,
        )
    return count


def offer_cancel_by_offerer(*, actor: Any, offer_id: int, now: dt.datetime) -> int:
    """Cancel a whole offer: as :func:`stock_cancel_by_offerer` for each live occurrence
    that did not end more than 48 h ago (older ones keep their bookings, due for
    reimbursement); the offer is deactivated. Refused (``event_too_old``) when every
    occurrence ended more than 48 h ago. Returns the number of bookings cancelled."""
    with transaction.atomic():
        offer = _lock_offer(actor, offer_id)
        live = list(Stock.objects.filter(offer=offer, is_soft_deleted=False).order_by("pk"))
        eligible = [s.pk for s in live if not _ended_too_long_ago(offer, s, now)]
        if live and not eligible:
            raise _event_too_old()
        count, _stocks = _cancel_stocks(
            actor=actor, offer=offer, stock_ids=eligible, scope=_("toutes les dates"), now=now
        )
        before = {"is_active": offer.is_active}
        offer.is_active = False
        offer.updated_at = now
        offer.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="offer.cancel_by_offerer",
            obj=offer,
            now=now,
            before=before,
            after={"is_active": False, "cancelled_bookings": count, "deleted_stocks": eligible},
            offerer_id=offer.offerer_id,
        )
    return count


# --- one booking, by the offerer (partner API) ----------------------------------------------


def booking_find_by_code(*, actor: Any, code: str) -> Booking:
    """The booking with ``code`` (any case, spaces ignored) within ``actor``'s scope, any
    status; ``booking_not_found`` otherwise (unknown and out-of-scope codes read the same).

    Unlike :func:`booking_find_for_pro` this does not throttle wrong codes: it serves the
    partner API, whose keys are rate-limited as a whole (a box office scanning tickets
    must not be locked out by a few misreads).
    """
    normalized = rules.normalize_code(code or "")
    booking = None
    if _looks_like_code(normalized):
        booking = (
            Booking.objects.select_related(
                "beneficiary", "offer", "offerer", "venue", "stock", "stock__price_category"
            )
            .filter(_offerer_scope(actor), code=normalized)
            .first()
        )
    if booking is None:
        raise BookingNotFound(
            _("Cette contremarque n'existe pas ou n'est pas rattachée à votre structure."),
            field="code",
        )
    return booking


def booking_cancel_by_offerer(*, actor: Any, booking_id: int, now: dt.datetime) -> Booking:
    """Cancel one booking on the structure's side (reason OFFERER): seats and credit come
    back, the beneficiary gets the "cancelled by the structure" email and the pro a summary,
    audit and webhooks as for a whole date.

    Refusals: ``booking_not_found``, ``already_cancelled``, ``booking_already_used`` (a
    validated booking: undo the validation first), ``booking_reimbursed``, and
    ``cancellation_too_late`` for an event booking past its cancellation limit (from then
    on the beneficiary counts on it: only cancelling the whole date remains).
    """
    with transaction.atomic():
        # Lock order: booking → stock → credit (_cancel's UPDATEs take the last two).
        booking = _lock_booking_for_pro(actor, booking_id)
        offer: Offer = booking.offer
        if booking.status == Booking.Status.REIMBURSED or booking.reimbursed_at is not None:
            raise BookingError(
                _("Cette réservation a déjà été remboursée."), code="booking_reimbursed"
            )
        if booking.status == Booking.Status.CANCELLED:
            raise BookingError(_("Cette réservation est déjà annulée."), code="already_cancelled")
        if booking.status == Booking.Status.USED:
            raise BookingError(
                _("Cette réservation a déjà été validée : elle ne peut plus être annulée."),
                code="booking_already_used",
            )
        limit = booking.cancellation_limit
        if _is_event(offer) and limit is not None and now > limit:
            raise BookingError(
                _("Cette réservation n'est plus annulable depuis le %(date)s.")
                % {"date": format_local_datetime(limit, offer.timezone)},
                code="cancellation_too_late",
            )
        _cancel(
            [booking],
            actor=actor,
            reason=Booking.CancellationReason.OFFERER,
            action="booking.cancel_by_offerer",
            now=now,
        )
        stocks = {booking.stock_id: booking.stock}
        booking.stock.offer = offer
        offer.venue = booking.venue
        _email_beneficiaries(
            [booking],
            stocks=stocks,
            offer=offer,
            template="emails/bookings/cancelled_by_offerer_beneficiary",
            now=now,
        )
        _email_pro(
            offer=offer,
            template="emails/bookings/cancelled_by_offerer_pro",
            context={
                "count": 1,
                "scope": format_local_datetime(booking.stock.beginning_datetime, offer.timezone),
                "bookings": _summary_rows([booking], stocks, offer.timezone),
            },
            now=now,
        )
    return booking


# --- postpone ------------------------------------------------------------------------------


def stock_postpone(
    *, actor: Any, stock_id: int, new_beginning: dt.datetime, now: dt.datetime
) -> Stock:
    """Move an event occurrence to ``new_beginning`` (aware, in the future).

    The booking limit moves by as much, never after the new start. Each live booking's
    cancellation limit becomes min(new start, now + 48 h); when the new start is more
    than 2 days away, validated bookings go back to confirmed. Beneficiaries get an
    email with the new date, the pro a summary. Refusals: ``date_invalid``,
    ``date_in_past``, ``date_unchanged``, ``not_event``, ``event_too_old``,
    ``stock_duplicate``, ``stock_not_found``.
    """
    if new_beginning.tzinfo is None or new_beginning.utcoffset() is None:
        raise DomainError(
            _("Indiquez une date et une heure valides."),
            code="date_invalid",
            field="beginning_datetime",
        )
    if new_beginning <= now:
        raise DomainError(
            _("Choisissez une date à venir."), code="date_in_past", field="beginning_datetime"
        )
    with transaction.atomic():
        offer, stock = _offer_of_stock(actor, stock_id)
        if not _is_event(offer):
            raise DomainError(_("Seul un évènement peut être reporté."), code="not_event")
        if _ended_too_long_ago(offer, stock, now):
            raise _event_too_old()
        if new_beginning == stock.beginning_datetime:
            raise DomainError(
                _("Choisissez une date différente de la date actuelle."),
                code="date_unchanged",
                field="beginning_datetime",
            )
        if (
            Stock.objects.filter(
                offer=offer,
                price_category_id=stock.price_category_id,
                beginning_datetime=new_beginning,
                is_soft_deleted=False,
            )
            .exclude(pk=stock.pk)
            .exists()
        ):
            raise DomainError(
                _("Cette date existe déjà pour ce tarif."),
                code="stock_duplicate",
                field="beginning_datetime",
            )
        bookings, stocks = _lock_live_bookings_and_stocks([stock.pk])
        stock = stocks[stock.pk]
        stock.offer = offer
        old_beginning = stock.beginning_datetime
        before_stock = snapshot(stock, _STOCK_AUDITED)
        stock.booking_limit_datetime = min(
            stock.booking_limit_datetime + (new_beginning - old_beginning), new_beginning
        )
        stock.beginning_datetime = new_beginning
        stock.updated_at = now
        stock.save(update_fields=["beginning_datetime", "booking_limit_datetime", "updated_at"])
        audit_record(
            actor=actor,
            action="stock.postpone",
            obj=stock,
            now=now,
            before=before_stock,
            after=snapshot(stock, _STOCK_AUDITED),
            offerer_id=offer.offerer_id,
        )
        new_limit = min(new_beginning, now + rules.CANCELLATION_WINDOW)
        unuse = new_beginning > now + POSTPONE_UNUSE_THRESHOLD
        if unuse:
            finance_events_on_unuse(
                bookings=[b for b in bookings if b.status == Booking.Status.USED],
                motive=FinanceEvent.Motive.BOOKING_UNUSED,
                now=now,
            )
        for booking in bookings:
            before = snapshot(booking, _AUDITED)
            booking.cancellation_limit = new_limit
            if unuse and booking.status == Booking.Status.USED:
                booking.status = Booking.Status.CONFIRMED
                booking.used_at = None
                booking.used_by = ""
            booking.save(update_fields=["cancellation_limit", "status", "used_at", "used_by"])
            audit_record(
                actor=actor,
                action="booking.postpone",
                obj=booking,
                now=now,
                before=before,
                after=snapshot(booking, _AUDITED),
                offerer_id=booking.offerer_id,
            )
        if not unuse:
            # Still validated: their reimbursement now waits for the new date.
            finance_events_on_reschedule(
                bookings=[b for b in bookings if b.status == Booking.Status.USED], now=now
            )
        old_date = format_local_datetime(old_beginning, offer.timezone)
        _email_beneficiaries(
            bookings,
            stocks=stocks,
            offer=offer,
            template="emails/bookings/postponed_beneficiary",
            extra={b.pk: {"old_date": old_date} for b in bookings},
            now=now,
        )
        if bookings:
            _email_pro(
                offer=offer,
                template="emails/bookings/postponed_pro",
                context={
                    "count": len(bookings),
                    "old_date": old_date,
                    "new_date": format_local_datetime(new_beginning, offer.timezone),
                    "bookings": _summary_rows(bookings, stocks, offer.timezone),
                },
                now=now,
            )
    return stock


# --- close ticketing, reduce capacity ------------------------------------------------------


def _lock_stock(actor: Any, stock_id: int) -> tuple[Offer, Stock]:
    offer, _unlocked = _offer_of_stock(actor, stock_id)
    stock = Stock.objects.select_for_update().get(pk=stock_id)
    stock.offer = offer
    return offer, stock


def _close(actor: Any, offer: Offer, stock: Stock, now: dt.datetime) -> bool:
    """Booking limit → now (caller holds the stock). False when already closed."""
    new_limit = min(now, stock.beginning_datetime)
    if stock.booking_limit_datetime <= new_limit:
        return False
    before = snapshot(stock, _STOCK_AUDITED)
    stock.booking_limit_datetime = new_limit
    stock.updated_at = now
    stock.save(update_fields=["booking_limit_datetime", "updated_at"])
    audit_record(
        actor=actor,
        action="stock.close_ticketing",
        obj=stock,
        now=now,
        before=before,
        after=snapshot(stock, _STOCK_AUDITED),
        offerer_id=offer.offerer_id,
    )
    return True


def stock_close_ticketing(*, actor: Any, stock_id: int, now: dt.datetime) -> Stock:
    """Close the bookings of one occurrence (booking limit = now). Idempotent."""
    with transaction.atomic():
        offer, stock = _lock_stock(actor, stock_id)
        _close(actor, offer, stock, now)
    return stock


def offer_close_ticketing(*, actor: Any, offer_id: int, now: dt.datetime) -> int:
    """Close the bookings of every live future occurrence of an offer (booking limit =
    now). Returns how many occurrences were closed; idempotent."""
    with transaction.atomic():
        offer = _lock_offer(actor, offer_id)
        stocks = list(
            Stock.objects.select_for_update()
            .filter(
                offer=offer,
                is_soft_deleted=False,
                beginning_datetime__gt=now,
                booking_limit_datetime__gt=now,
            )
            .order_by("pk")
        )
        return sum(_close(actor, offer, stock, now) for stock in stocks)


def stock_reduce_capacity(*, actor: Any, stock_id: int, quantity: int, now: dt.datetime) -> Stock:
    """Set the number of seats of an occurrence, never below what is booked
    (``quantity_below_booked``) nor outside 0 to 1,000,000 (``quantity_invalid``)."""
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not (0 <= quantity <= MAX_STOCK_QUANTITY)
    ):
        raise DomainError(
            _("Le nombre de places doit être compris entre 0 et 1 000 000."),
            code="quantity_invalid",
            field="quantity",
        )
    with transaction.atomic():
        offer, stock = _lock_stock(actor, stock_id)
        if quantity < stock.booked_quantity:
            raise DomainError(
                _(
                    "Le nombre de places ne peut pas être inférieur au nombre de places déjà "
                    "réservées (%(booked)s)."
                )
                % {"booked": stock.booked_quantity},
                code="quantity_below_booked",
                field="quantity",
            )
        if stock.quantity != quantity:
            before = snapshot(stock, _STOCK_AUDITED)
            stock.quantity = quantity
            stock.updated_at = now
            stock.save(update_fields=["quantity", "updated_at"])
            audit_record(
                actor=actor,
                action="stock.reduce_capacity",
                obj=stock,
                now=now,
                before=before,
                after=snapshot(stock, _STOCK_AUDITED),
                offerer_id=offer.offerer_id,
            )
    return stock


# --- jobs ----------------------------------------------------------------------------------
# Each job claims its rows with SELECT ... FOR UPDATE SKIP LOCKED and changes them so that
# they no longer match: a second worker skips them, a re-run finds nothing, and a crash
# rolls the batch back whole (rows, audit, emails are in one transaction).

_BATCH = 500


def _claim(queryset: QuerySet[Booking], batch_size: int) -> list[Booking]:
    return list(
        queryset.select_for_update(of=("self",), skip_locked=True).order_by("pk")[:batch_size]
    )


def bookings_auto_validate(*, now: dt.datetime, batch_size: int = _BATCH) -> int:
    """Confirmed event bookings become USED (author AUTO) ``AUTO_VALIDATION_DELAY_HOURS``
    (72) after the start. Returns how many."""
    due = Booking.objects.filter(
        status=Booking.Status.CONFIRMED,
        offer__subcategory_id__in=_event_subcategory_ids(),
        stock__beginning_datetime__lte=now - auto_validation_delay(),
    )
    total = 0
    while True:
        with transaction.atomic():
            batch = _claim(due, batch_size)
            for booking in batch:
                before = snapshot(booking, _AUDITED)
                booking.status = Booking.Status.USED
                booking.used_at = now
                booking.used_by = AUTO
                booking.save(update_fields=["status", "used_at", "used_by"])
                audit_record(
                    actor=AUTO,
                    action="booking.auto_validate",
                    obj=booking,
                    now=now,
                    before=before,
                    after=snapshot(booking, _AUDITED),
                    offerer_id=booking.offerer_id,
                )
            finance_events_on_use(bookings=batch, now=now)
            webhooks_emit(event=Webhook.Event.BOOKING_USED, bookings=batch, now=now)
        total += len(batch)
        if len(batch) < batch_size:
            return total


def bookings_expire(*, now: dt.datetime, batch_size: int = 200) -> int:
    """Cancel (reason EXPIRED, credit and seats back, email) the confirmed bookings of
    expiring non-event offers not validated ``BOOKING_EXPIRY_DAYS`` (30) after booking,
    ``BOOKING_EXPIRY_DAYS_BOOKS`` (10) for ``BOOKING_EXPIRY_BOOK_SUBCATEGORIES``
    (paper books). Returns how many."""
    books = tuple(_setting("BOOKING_EXPIRY_BOOK_SUBCATEGORIES", ("LIVRE_PAPIER",)))
    days = dt.timedelta(days=_setting("BOOKING_EXPIRY_DAYS", 30))
    book_days = dt.timedelta(days=_setting("BOOKING_EXPIRY_DAYS_BOOKS", 10))
    due = Booking.objects.filter(
        Q(booked_at__lte=now - days) & ~Q(offer__subcategory_id__in=books)
        | Q(booked_at__lte=now - book_days, offer__subcategory_id__in=books),
        status=Booking.Status.CONFIRMED,
        offer__subcategory_id__in=_expiring_subcategory_ids(),
    )
    total = 0
    while True:
        with transaction.atomic():
            # booking → stock → credit: the bookings are locked here, the stocks and the
            # credits by the UPDATEs of _cancel, in increasing id order.
            batch = _claim(due.select_related("beneficiary"), batch_size)
            _cancel(
                batch,
                actor=AUTO,
                reason=Booking.CancellationReason.EXPIRED,
                action="booking.expire",
                now=now,
            )
            stocks = Stock.objects.select_related("offer", "offer__venue").in_bulk(
                {b.stock_id for b in batch}
            )
            for booking in batch:
                stock = stocks[booking.stock_id]
                email_enqueue(
                    to=[booking.beneficiary.email],
                    template="emails/bookings/expired_beneficiary",
                    context=booking_email_context(
                        booking=booking, beneficiary=booking.beneficiary, stock=stock
                    ),
                    now=now,
                )
        total += len(batch)
        if len(batch) < batch_size:
            return total


def bookings_send_reminders(*, now: dt.datetime, batch_size: int = _BATCH) -> int:
    """Queue the day-before reminder of live event bookings starting within
    ``BOOKING_REMINDER_HOURS`` (24) — once per booking (``reminder_sent_at``), and not
    for bookings made within that window (their confirmation just went out)."""
    window = dt.timedelta(hours=_setting("BOOKING_REMINDER_HOURS", 24))
    due = Booking.objects.filter(
        reminder_sent_at__isnull=True,
        status__in=_LIVE,
        offer__subcategory_id__in=_event_subcategory_ids(),
        stock__is_soft_deleted=False,
        stock__beginning_datetime__gt=now,
        stock__beginning_datetime__lte=now + window,
        booked_at__lte=F("stock__beginning_datetime") - window,
    ).select_related("beneficiary", "offer", "offer__venue", "stock")
    total = 0
    while True:
        with transaction.atomic():
            batch = _claim(due, batch_size)
            Booking.objects.filter(pk__in=[b.pk for b in batch]).update(reminder_sent_at=now)
            for booking in batch:
                offer = booking.offer
                booking.stock.offer = offer
                email_enqueue(
                    to=[booking.beneficiary.email],
                    template="emails/bookings/reminder_beneficiary",
                    context=booking_email_context(
                        booking=booking, beneficiary=booking.beneficiary, stock=booking.stock
                    ),
                    now=now,
                    reply_to=[offer.booking_contact] if offer.booking_contact else [],
                )
        total += len(batch)
        if len(batch) < batch_size:
            return total
