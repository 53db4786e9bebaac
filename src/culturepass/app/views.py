"""Beneficiary pages: parse input, call one selector or service, render.

Home, search and offer pages are public; booking and "my" pages need a beneficiary
account (others get a page explaining how to get one, status 403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from culturepass.app.forms import QuantityForm, SearchForm
from culturepass.bookings.models import Booking
from culturepass.bookings.selectors import (
    booking_for_beneficiary,
    booking_qr_svg,
    bookings_of_beneficiary,
)
from culturepass.bookings.selectors import booking_ics as make_ics
from culturepass.bookings.services import booking_cancel_by_beneficiary, booking_create
from culturepass.catalog import catalogue
from culturepass.core import clock
from culturepass.core.errors import DomainError, NotFound
from culturepass.credit.selectors import credit_history, credit_summary
from culturepass.highlights.selectors import home_blocks
from culturepass.offerers.places import region_for_department
from culturepass.offers.search import (
    StockView,
    offer_for_beneficiary,
    search_offers,
    stock_for_beneficiary,
)

NEAR_RADIUS_KM = 50
NEAR_COUNT = 10
PER_PAGE = 20

ViewFunc = Callable[..., HttpResponse]


# --- helpers ----------------------------------------------------------------------------------


def _profile(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated or not getattr(user, "is_beneficiary", False):
        return None
    return getattr(user, "beneficiary", None)


def _float(value: str | None, limit: float) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    if number is None or not (-limit <= number <= limit):
        return None
    return number


def _point(request: HttpRequest) -> tuple[float | None, float | None, bool]:
    """(latitude, longitude, from_query): ?lat&lon first, else the beneficiary's address."""
    lat = _float(request.GET.get("lat"), 90)
    lon = _float(request.GET.get("lon"), 180)
    if lat is not None and lon is not None:
        return lat, lon, True
    profile = _profile(request)
    if profile is not None and profile.latitude is not None and profile.longitude is not None:
        return float(profile.latitude), float(profile.longitude), False
    return None, None, False


def beneficiary_required(view: ViewFunc) -> ViewFunc:
    """Logged-in beneficiaries only: anonymous users go to the login page, others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_beneficiary", False):
            return render(request, "app/not_beneficiary.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _local(value: dt.datetime, tz_name: str) -> dt.datetime:
    try:
        return timezone.localtime(value, timezone=_zone(tz_name))
    except Exception:
        return timezone.localtime(value)


def _zone(tz_name: str) -> ZoneInfo:
    return ZoneInfo(tz_name)


def _subcategory_label(subcategory_id: str) -> str:
    sub = catalogue.find_subcategory(subcategory_id)
    if sub is None:
        return ""
    return catalogue.subcategory_label(sub.id)


# --- public pages -----------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    profile = _profile(request)
    region = region_for_department(profile.department_code) if profile else ""
    lat, lon, from_query = _point(request)
    near = None
    if lat is not None and lon is not None:
        near = search_offers(
            now=now, latitude=lat, longitude=lon, radius_km=NEAR_RADIUS_KM, per_page=NEAR_COUNT
        )
    return render(
        request,
        "app/home.html",
        {
            "blocks": home_blocks(now=now, region_code=region or None),
            "near": near,
            "near_radius": NEAR_RADIUS_KM,
            "has_point": lat is not None,
            "point_query": f"lat={lat}&lon={lon}" if from_query else "",
            "profile": profile,
            # The figure a young person looks for first.
            "credit": credit_summary(user=request.user, now=now)  # type: ignore[arg-type]
            if profile is not None
            else None,
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    form = SearchForm(request.GET or None)
    lat, lon, from_query = _point(request)
    page = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        max_price = data.get("prix_max")
        page = search_offers(
            now=now,
            text=data.get("q") or None,
            category_id=data.get("categorie") or None,
            date_from=data.get("du"),
            date_to=data.get("au"),
            latitude=lat,
            longitude=lon,
            radius_km=data.get("rayon") if lat is not None else None,
            max_price_cents=int(max_price * 100) if max_price is not None else None,
            duo=True if data.get("duo") else None,
            page=data.get("page") or 1,
            per_page=PER_PAGE,
        )
    elif not form.is_bound:
        page = search_offers(now=now, latitude=lat, longitude=lon, per_page=PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    if from_query and lat is not None:
        query["lat"], query["lon"] = str(lat), str(lon)
    return render(
        request,
        "app/search.html",
        {
            "form": form,
            "page": page,
            "has_point": lat is not None,
            "base_query": query.urlencode(),
        },
    )


def _date_groups(stocks: list[StockView], tz_name: str) -> list[dict[str, Any]]:
    """Open occurrences grouped by start (date and time), in the offer's time zone."""
    groups = []
    for start, rows in groupby(stocks, key=lambda s: s.stock.beginning_datetime):
        items = list(rows)
        groups.append(
            {
                "start": _local(start, tz_name),
                "stocks": items,
                "bookable": any(s.bookable for s in items),
            }
        )
    return groups


@require_GET
def offer(request: HttpRequest, offer_id: int) -> HttpResponse:
    now = clock.now()
    lat, lon, _ = _point(request)
    try:
        view = offer_for_beneficiary(offer_id=offer_id, now=now, latitude=lat, longitude=lon)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    item = view.offer
    return render(
        request,
        "app/offer.html",
        {
            "view": view,
            "offer": item,
            "subcategory_label": _subcategory_label(item.subcategory_id),
            "groups": _date_groups(view.stocks, item.timezone),
            "image": getattr(item, "image", None),
            "withdrawal_delay": (
                dt.timedelta(seconds=item.withdrawal_delay_seconds)
                if item.withdrawal_delay_seconds
                else None
            ),
            "booking_opens": item.booking_allowed_datetime
            if item.booking_allowed_datetime and item.booking_allowed_datetime > now
            else None,
        },
    )


# --- booking ----------------------------------------------------------------------------------


def _stock_or_404(stock_id: int, now: dt.datetime) -> StockView:
    try:
        return stock_for_beneficiary(stock_id=stock_id, now=now)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@beneficiary_required
@require_GET
def book(request: HttpRequest, stock_id: int) -> HttpResponse:
    """Step "seats": 1, or 1 or 2 for a duo offer; continues to the confirmation page."""
    now = clock.now()
    stock_view = _stock_or_404(stock_id, now)
    item = stock_view.stock.offer
    return render(
        request,
        "app/book.html",
        {
            "stock_view": stock_view,
            "offer": item,
            "start": _local(stock_view.stock.beginning_datetime, item.timezone),
            "form": QuantityForm(duo=item.is_duo, initial={"quantity": 1}),
        },
    )


@beneficiary_required
@require_http_methods(["GET", "POST"])
def booking_confirm(request: HttpRequest) -> HttpResponse:
    """Summary with the price and the credit left after booking; POST books."""
    now = clock.now()
    source = request.POST if request.method == "POST" else request.GET
    try:
        stock_id = int(source.get("stock", ""))
    except ValueError:
        raise Http404 from None
    stock_view = _stock_or_404(stock_id, now)
    item = stock_view.stock.offer
    form = QuantityForm(source, duo=item.is_duo)
    error = None
    if form.is_valid():
        quantity = form.cleaned_data["quantity"]
        if request.method == "POST":
            try:
                booking = booking_create(
                    beneficiary=request.user, stock_id=stock_id, quantity=quantity, now=now
                )
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(
                    request,
                    _("Réservation confirmée. Votre code : %(code)s") % {"code": booking.code},
                )
                return redirect("app:booking_detail", booking_id=booking.pk)
    else:
        quantity = 1
        error = _("Choisissez un nombre de places possible pour cette offre.")
    summary = credit_summary(user=request.user, now=now)  # type: ignore[arg-type]
    total = stock_view.price_cents * quantity
    return render(
        request,
        "app/booking_confirm.html",
        {
            "stock_view": stock_view,
            "offer": item,
            "start": _local(stock_view.stock.beginning_datetime, item.timezone),
            "quantity": quantity,
            "total_cents": total,
            "credit": summary,
            "remaining_cents": summary.balance_cents - total,
            "can_confirm": form.is_valid() and stock_view.bookable,
            "error": error,
        },
        status=400 if error and request.method == "POST" else 200,
    )


# --- my bookings ------------------------------------------------------------------------------


def _booking_or_404(request: HttpRequest, booking_id: int) -> Booking:
    try:
        return booking_for_beneficiary(user=request.user, booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@beneficiary_required
@require_GET
def bookings(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    rows = list(bookings_of_beneficiary(user=request.user))
    for row in rows:
        row.local_start = _local(row.stock.beginning_datetime, row.offer.timezone)  # type: ignore[attr-defined]
    upcoming = [
        b for b in rows if b.status == Booking.Status.CONFIRMED and b.stock.beginning_datetime > now
    ]
    others = [b for b in rows if b not in upcoming]
    return render(request, "app/bookings.html", {"upcoming": upcoming, "others": others})


@beneficiary_required
@require_GET
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    now = clock.now()
    booking = _booking_or_404(request, booking_id)
    item = booking.offer
    can_cancel = (
        booking.status == Booking.Status.CONFIRMED
        and booking.cancellation_limit is not None
        and now <= booking.cancellation_limit
    )
    return render(
        request,
        "app/booking_detail.html",
        {
            "booking": booking,
            "offer": item,
            "venue": booking.venue,
            "start": _local(booking.stock.beginning_datetime, item.timezone),
            "cancellation_limit": _local(booking.cancellation_limit, item.timezone)
            if booking.cancellation_limit
            else None,
            "can_cancel": can_cancel,
            "qr_svg": booking_qr_svg(booking=booking)
            if booking.status == Booking.Status.CONFIRMED
            else "",
            "withdrawal_delay": (
                dt.timedelta(seconds=item.withdrawal_delay_seconds)
                if item.withdrawal_delay_seconds
                else None
            ),
        },
    )


@beneficiary_required
@require_POST
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    now = clock.now()
    try:
        booking_cancel_by_beneficiary(beneficiary=request.user, booking_id=booking_id, now=now)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Réservation annulée : le montant est revenu sur votre crédit.")
        )
    return redirect("app:booking_detail", booking_id=booking_id)


@beneficiary_required
@require_GET
def booking_ics(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking_or_404(request, booking_id)
    response = HttpResponse(make_ics(booking=booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reservation-{booking.code}.ics"'
    return response


# --- my credit --------------------------------------------------------------------------------


@beneficiary_required
@require_GET
def credit(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    return render(
        request,
        "app/credit.html",
        {
            "credit": credit_summary(user=request.user, now=now),  # type: ignore[arg-type]
            "history": credit_history(user=request.user),  # type: ignore[arg-type]
        },
    )
