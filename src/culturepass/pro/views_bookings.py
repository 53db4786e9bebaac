"""Box office pages of the pro portal: the Guichet, the bookings tab (structure-wide and
per offer) with its CSV / XLSX exports, and the event actions of the offer page (cancel,
postpone, close ticketing, reduce capacity).

Views parse input, call one lifecycle service or pro selector and render; every
structure, offer or occurrence in a URL goes through :mod:`culturepass.pro.access` (404
for non-members). Dates are shown in the offer's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from culturepass.bookings import exports, lifecycle, pro_selectors
from culturepass.bookings.models import Booking
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer, Stock
from culturepass.pro import access
from culturepass.pro.forms_bookings import (
    BookingActionForm,
    BookingFilterForm,
    CapacityForm,
    GuichetForm,
    PostponeForm,
)
from culturepass.pro.forms_offers import apply_domain_error, format_euros

DEFAULT_TIMEZONE = "Europe/Paris"
PER_PAGE = 50
#: Bookings an offerer action touches: every booking not yet cancelled nor reimbursed.
LIVE_STATUSES = (Booking.Status.CONFIRMED, Booking.Status.USED)


def _tz(offer: Offer) -> str:
    return offer.timezone or DEFAULT_TIMEZONE


# --- Guichet ---------------------------------------------------------------------------------


def _booking_view(booking: Booking, now: dt.datetime) -> dict[str, Any]:
    """What the Guichet shows about a booking, with the refusal "Valider" would meet."""
    try:
        lifecycle.booking_check_usable(booking=booking, now=now)
    except DomainError as exc:
        refusal: str | None = exc.message
    else:
        refusal = None
    return {
        "refusal": refusal,
        "booking": booking,
        "tz": _tz(booking.offer),
        "status_label": pro_selectors.pro_display_status(booking, now),
        "price_display": format_euros(booking.amount_cents),
        "beneficiary_name": booking.beneficiary.full_name or booking.beneficiary.email,
    }


#: Query parameter naming the booking just validated (POST-redirect-GET of "Valider").
VALIDATED_PARAM = "valide"
_MAX_BIGINT = 2**63 - 1


def _validated_view(
    request: HttpRequest, offerer: Offerer, now: dt.datetime
) -> dict[str, Any] | None:
    """The booking named by ``?valide=`` for the success panel: only a booking of this
    structure (the member's, checked by the caller) that is still validated. Anything
    else (malformed, unknown, another structure's, undone since) is ignored."""
    raw = request.GET.get(VALIDATED_PARAM, "")
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= _MAX_BIGINT:
        return None
    booking = (
        pro_selectors.bookings_for_offerer(offerer=offerer, now=now)
        .filter(pk=int(raw), status=Booking.Status.USED)
        .first()
    )
    if booking is None:
        return None
    return {
        "booking": booking,
        "tz": _tz(booking.offer),
        "price_display": format_euros(booking.amount_cents),
        "beneficiary_name": booking.beneficiary.full_name or booking.beneficiary.email,
    }


def _guichet_render(
    request: HttpRequest,
    offerer: Offerer,
    *,
    form: GuichetForm,
    found: dict[str, Any] | None = None,
    validated: dict[str, Any] | None = None,
    error: str | None = None,
    confirm_unuse: bool = False,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "pro/guichet/guichet.html",
        {
            "offerer": offerer,
            "section": "guichet",
            "form": form,
            "found": found,
            "validated": validated,
            "error": error,
            "confirm_unuse": confirm_unuse,
        },
        status=status,
    )


def _load_for_action(
    offerer: Offerer, action: BookingActionForm, now: dt.datetime
) -> Booking | None:
    """The booking a button names, re-read through the pro lookup (same access rules)."""
    if not action.is_valid():
        return None
    booking = (
        pro_selectors.bookings_for_offerer(offerer=offerer, now=now)
        .filter(pk=action.cleaned_data["booking_id"])
        .first()
    )
    return booking


@login_required
def guichet(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """Look a code up (POST ``lookup``), validate it (``use``), or undo a validation
    (``confirm_unuse`` asks first, ``unuse`` does it). POST only for lookups too: codes
    stay out of URLs and access logs. A validation redirects to ``?valide=<booking id>``:
    the page then shows what was validated, with its undo button, above an empty code
    field ready for the next person."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    now = clock.now()
    if request.method != "POST":
        return _guichet_render(
            request, offerer, form=GuichetForm(), validated=_validated_view(request, offerer, now)
        )
    action = request.POST.get("action", "lookup")
    if action == "lookup":
        form = GuichetForm(request.POST)
        if not form.is_valid():
            return _guichet_render(request, offerer, form=form, status=400)
        try:
            booking = lifecycle.booking_find_for_pro(
                actor=request.user,
                code=form.cleaned_data["code"],
                now=now,
                ip_address=request.META.get("REMOTE_ADDR") or None,
            )
        except DomainError as exc:
            form.add_error("code", exc.message)
            return _guichet_render(request, offerer, form=form, status=400)
        if booking.offerer_id != offerer.pk:
            # A code of another of the user's structures reads as unknown on this page too.
            form.add_error(
                "code",
                _("Cette contremarque n'existe pas ou n'est pas rattachée à votre structure."),
            )
            return _guichet_render(request, offerer, form=form, status=400)
        return _guichet_render(
            request, offerer, form=GuichetForm(), found=_booking_view(booking, now)
        )

    action_form = BookingActionForm(request.POST)
    target = _load_for_action(offerer, action_form, now)
    if target is None:
        messages.error(
            request,
            _("Cette contremarque n'existe pas ou n'est pas rattachée à votre structure."),
        )
        return redirect("pro:guichet", offerer_id=offerer.pk)
    if action == "confirm_unuse":
        return _guichet_render(
            request,
            offerer,
            form=GuichetForm(),
            found=_booking_view(target, now),
            confirm_unuse=True,
        )
    service: Callable[..., Booking]
    if action == "use":
        service = lifecycle.booking_use
    elif action == "unuse":
        service = lifecycle.booking_unuse
    else:
        return redirect("pro:guichet", offerer_id=offerer.pk)
    try:
        booking = service(actor=request.user, booking_id=target.pk, now=now)
    except DomainError as exc:
        return _guichet_render(
            request,
            offerer,
            form=GuichetForm(),
            found=_booking_view(target, now),
            error=exc.message,
            status=400,
        )
    guichet_url = reverse("pro:guichet", args=[offerer.pk])
    if action == "use":
        # The success panel of the page says it (no flash message: said once, not twice).
        return redirect(f"{guichet_url}?{urlencode({VALIDATED_PARAM: booking.pk})}")
    messages.success(
        request,
        _("La validation de la contremarque %(code)s est annulée.") % {"code": booking.code},
    )
    return redirect(guichet_url)


# --- Bookings tab ----------------------------------------------------------------------------


def _filter_form(request: HttpRequest, offerer: Offerer, offer: Offer | None) -> BookingFilterForm:
    if offer is not None:
        return BookingFilterForm(request.GET or None, with_offer=False)
    venues = list(Venue.objects.filter(offerer=offerer).order_by("name"))
    offers = list(
        Offer.objects.filter(offerer=offerer, bookings__isnull=False)
        .distinct()
        .order_by("name")
        .values_list("pk", "name")
    )
    return BookingFilterForm(request.GET or None, venues=venues, offers=offers)


def _filtered(
    offerer: Offerer, offer: Offer | None, form: BookingFilterForm, now: dt.datetime
) -> QuerySet[Booking]:
    kwargs = form.selector_kwargs()
    if offer is not None:
        kwargs["offer_id"] = offer.pk
    return pro_selectors.bookings_for_offerer(offerer=offerer, now=now, **kwargs)


def _query(request: HttpRequest, *drop: str) -> str:
    return urlencode(
        [(key, value) for key, value in request.GET.items() if key not in drop and value != ""]
    )


def _bookings_page(
    request: HttpRequest, offerer: Offerer, offer: Offer | None, export_url: str
) -> HttpResponse:
    now = clock.now()
    form = _filter_form(request, offerer, offer)
    if form.is_bound and not form.is_valid():
        queryset = Booking.objects.none()
    else:
        queryset = _filtered(offerer, offer, form, now)
    try:
        page = pro_selectors.bookings_page(
            queryset=queryset,
            after=request.GET.get("apres") or None,
            before=request.GET.get("avant") or None,
            per_page=PER_PAGE,
        )
    except DomainError:  # a mangled cursor: back to the first page
        page = pro_selectors.bookings_page(queryset=queryset, per_page=PER_PAGE)
    rows = [
        {
            "booking": booking,
            "tz": _tz(booking.offer),
            "status": pro_selectors.pro_display_status(booking, now),
            "price_display": format_euros(booking.amount_cents),
        }
        for booking in page.items
    ]
    query = _query(request, "apres", "avant")
    return render(
        request,
        "pro/bookings/list.html",
        {
            "offerer": offerer,
            "offer": offer,
            "section": "bookings",
            "filter_form": form,
            "filtered": form.is_bound and form.is_filtered,
            "rows": rows,
            "page": page,
            "query": query,
            "next_url": _page_url(query, "apres", page.next_cursor),
            "previous_url": _page_url(query, "avant", page.previous_cursor),
            "export_csv_url": f"{export_url}?{_join(query, 'format=csv')}",
            "export_xlsx_url": f"{export_url}?{_join(query, 'format=xlsx')}",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _join(*parts: str) -> str:
    return "&".join(part for part in parts if part)


def _page_url(query: str, direction: str, cursor: str | None) -> str | None:
    return f"?{_join(query, urlencode({direction: cursor}))}" if cursor else None


@login_required
def bookings(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    return _bookings_page(request, offerer, None, reverse("pro:bookings_export", args=[offerer.pk]))


@login_required
def offer_bookings(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    return _bookings_page(
        request,
        offer.offerer,
        offer,
        reverse("pro:offer_bookings_export", args=[offer.pk]),
    )


# --- Exports ---------------------------------------------------------------------------------


def booking_records(rows: Iterator[dict[str, Any]]) -> Iterator[list[exports.Cell]]:
    keys = [key for key, _label in pro_selectors.EXPORT_COLUMNS]
    for row in rows:
        yield [row.get(key) for key in keys]


def export_response(
    queryset: QuerySet[Booking], *, fmt: str, filename: str, now: dt.datetime | None = None
) -> HttpResponseBase:
    """The export of ``queryset`` as a streamed CSV or an XLSX file (the benchmark calls
    this too)."""
    header = [str(label) for _key, label in pro_selectors.EXPORT_COLUMNS]
    # Local datetimes without tzinfo: what both writers (and spreadsheets) expect.
    records = booking_records(pro_selectors.export_rows(queryset, now=now, naive=True))
    if fmt == "xlsx":
        euro_columns = [
            index
            for index, (key, _label) in enumerate(pro_selectors.EXPORT_COLUMNS)
            if key in pro_selectors.EURO_COLUMNS
        ]
        return FileResponse(
            exports.xlsx_file(header, records, euro_columns=euro_columns),
            as_attachment=True,
            filename=f"{filename}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = StreamingHttpResponse(
        exports.csv_chunks(header, records), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _export(
    request: HttpRequest, offerer: Offerer, offer: Offer | None, filename: str
) -> HttpResponseBase:
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = _filter_form(request, offerer, offer)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Corrigez les filtres avant d'exporter."))
        return redirect(request.path.rsplit("export/", 1)[0] + "?" + _query(request, "format"))
    now = clock.now()
    queryset = _filtered(offerer, offer, form, now)
    stamp = now.strftime("%Y%m%d-%H%M")
    return export_response(queryset, fmt=fmt, filename=f"{filename}-{stamp}", now=now)


@login_required
def bookings_export(request: HttpRequest, offerer_id: int) -> HttpResponseBase:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    return _export(request, offerer, None, f"reservations-{offerer.pk}")


@login_required
def offer_bookings_export(request: HttpRequest, offer_id: int) -> HttpResponseBase:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    return _export(request, offer.offerer, offer, f"reservations-offre-{offer.pk}")


# --- Event actions on the offer page ---------------------------------------------------------


def _live_bookings(**filters: Any) -> int:
    return Booking.objects.filter(status__in=LIVE_STATUSES, **filters).count()


def _action_context(offer: Offer, stock: Stock | None) -> dict[str, Any]:
    tz = _tz(offer)
    return {
        "offer": offer,
        "offerer": offer.offerer,
        "stock": stock,
        "offer_tz": tz,
        "show_tz": tz != DEFAULT_TIMEZONE,
        "back_url": reverse("pro:offer_detail", args=[offer.pk]),
    }


def _run(
    request: HttpRequest,
    offer: Offer,
    call: Callable[[], Any],
    success: Callable[[Any], str],
) -> HttpResponse | None:
    """Run a service; on success flash ``success(result)`` and go back to the offer page."""
    try:
        result = call()
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    messages.success(request, success(result))
    return redirect("pro:offer_detail", offer_id=offer.pk)


def _cancelled_text(count: int) -> str:
    return ngettext(
        "%(count)s réservation annulée : le bénéficiaire est prévenu par email.",
        "%(count)s réservations annulées : les bénéficiaires sont prévenus par email.",
        count,
    ) % {"count": count}


@login_required
def stock_cancel(request: HttpRequest, stock_id: int) -> HttpResponse:
    """GET asks for confirmation with the number of bookings cancelled; POST cancels."""
    stock = access.get_member_stock_or_404(request.user, stock_id)
    offer = stock.offer
    if request.method == "POST":
        done = _run(
            request,
            offer,
            lambda: lifecycle.stock_cancel_by_offerer(
                actor=request.user, stock_id=stock.pk, now=clock.now()
            ),
            lambda count: _("La date est annulée.") + " " + _cancelled_text(int(count or 0)),
        )
        if done:
            return done
    context = _action_context(offer, stock)
    context.update({"kind": "stock", "booking_count": _live_bookings(stock_id=stock.pk)})
    return render(request, "pro/bookings/event_cancel.html", context)


@login_required
def offer_cancel(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    if request.method == "POST":
        done = _run(
            request,
            offer,
            lambda: lifecycle.offer_cancel_by_offerer(
                actor=request.user, offer_id=offer.pk, now=clock.now()
            ),
            lambda count: _("L'évènement est annulé.") + " " + _cancelled_text(int(count or 0)),
        )
        if done:
            return done
    context = _action_context(offer, None)
    context.update({"kind": "offer", "booking_count": _live_bookings(offer_id=offer.pk)})
    return render(request, "pro/bookings/event_cancel.html", context)


@login_required
def stock_postpone(request: HttpRequest, stock_id: int) -> HttpResponse:
    stock = access.get_member_stock_or_404(request.user, stock_id)
    offer = stock.offer
    context = _action_context(offer, stock)
    form = PostponeForm(
        request.POST if request.method == "POST" else None,
        tz=context["offer_tz"],
        initial={"beginning_datetime": stock.beginning_datetime},
    )
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.stock_postpone(
                actor=request.user,
                stock_id=stock.pk,
                new_beginning=form.new_beginning,
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"new_beginning": "beginning_datetime"})
        else:
            messages.success(
                request,
                _("La date est reportée : les bénéficiaires sont prévenus par email."),
            )
            return redirect("pro:offer_detail", offer_id=offer.pk)
    context.update({"form": form, "booking_count": _live_bookings(stock_id=stock.pk)})
    status = 400 if request.method == "POST" else 200
    return render(request, "pro/bookings/stock_postpone.html", context, status=status)


@login_required
def stock_close(request: HttpRequest, stock_id: int) -> HttpResponse:
    stock = access.get_member_stock_or_404(request.user, stock_id)
    offer = stock.offer
    if request.method == "POST":
        done = _run(
            request,
            offer,
            lambda: lifecycle.stock_close_ticketing(
                actor=request.user, stock_id=stock.pk, now=clock.now()
            ),
            lambda _result: _("Les réservations de cette date sont closes."),
        )
        if done:
            return done
    context = _action_context(offer, stock)
    context["kind"] = "stock"
    return render(request, "pro/bookings/close_ticketing.html", context)


@login_required
def offer_close(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    if request.method == "POST":
        done = _run(
            request,
            offer,
            lambda: lifecycle.offer_close_ticketing(
                actor=request.user, offer_id=offer.pk, now=clock.now()
            ),
            lambda _result: _("Les réservations de cet évènement sont closes."),
        )
        if done:
            return done
    context = _action_context(offer, None)
    context["kind"] = "offer"
    return render(request, "pro/bookings/close_ticketing.html", context)


@login_required
def stock_capacity(request: HttpRequest, stock_id: int) -> HttpResponse:
    stock = access.get_member_stock_or_404(request.user, stock_id)
    offer = stock.offer
    form = CapacityForm(
        request.POST if request.method == "POST" else None,
        initial={"quantity": stock.quantity},
    )
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.stock_reduce_capacity(
                actor=request.user,
                stock_id=stock.pk,
                quantity=form.cleaned_data["quantity"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Le nombre de places est réduit."))
            return redirect("pro:offer_detail", offer_id=offer.pk)
    context = _action_context(offer, stock)
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "pro/bookings/stock_capacity.html", context, status=status)
