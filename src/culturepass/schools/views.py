"""Pages of the schools portal (/ecoles/): search collective offers, the offer page, a
request about a showcase offer, pre-booking, and the school's bookings with the head's
confirm / refuse actions and the budget of the school year.

Only people with a ``SchoolMember`` row get in (others: a page explaining it, 403). Every
offer or booking named in a URL is looked up through one of the user's schools: an offer
targeted at another school, or a booking of another school, is a 404. Views parse input,
call one collective service or selector and render; refusals are the services' French
messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from culturepass.collective import reference, selectors, services
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    ReferencingApplication,
    SchoolMember,
    school_year_label,
    school_year_of,
)
from culturepass.collective.services import format_euros as collective_format_euros
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.pro.forms_offers import apply_domain_error
from culturepass.schools.forms import PrebookForm, RefuseForm, RequestForm, SearchForm

ViewFunc = Callable[..., HttpResponse]
DEFAULT_TIMEZONE = "Europe/Paris"
PER_PAGE = 50


def format_euros(cents: int | None) -> str:
    """ "1 234,50 €": group totals and budgets run into thousands, so digits are grouped
    (as in the collective services' messages); "" for None."""
    return "" if cents is None else collective_format_euros(cents)


def member_required(view: ViewFunc) -> ViewFunc:
    """Teachers and heads only: anonymous users log in, others get an explanation (403).
    The view receives the user's memberships (``members``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        members = selectors.school_memberships(request.user)
        if not members:
            return render(request, "schools/not_member.html", status=403)
        return view(request, members, *args, **kwargs)

    return wrapper


# --- lookups through the user's schools (404 otherwise) ---------------------------------------


def _visible_offer_or_404(
    members: list[SchoolMember], offer_id: int
) -> tuple[CollectiveOffer, SchoolMember]:
    """The offer if one of the user's schools may see it, with that membership; else 404.

    Looser than the search (``collective_offers_visible_to_school``): an offer booked
    meanwhile, or past its booking limit, still opens, so that pre-booking it meets the
    services' French refusal ("déjà réservée", "date limite dépassée") rather than a 404.
    Offers not approved, inactive, of a structure no longer referenced or targeted at another
    school stay invisible; an offer one of the user's schools booked always opens.
    """
    school_ids = [m.school_id for m in members]
    referenced = ReferencingApplication.objects.filter(
        offerer_id=OuterRef("offerer_id"), status=ReferencingApplication.Status.ACCEPTED
    )
    offer = (
        CollectiveOffer.objects.select_related("offerer", "venue", "target_school")
        .filter(pk=offer_id)
        .filter(
            Q(
                Exists(referenced),
                validation=CollectiveOffer.Validation.APPROVED,
                is_active=True,
            )
            & (Q(target_school__isnull=True) | Q(target_school_id__in=school_ids))
            | Q(bookings__school_id__in=school_ids)
        )
        .distinct()
        .first()
    )
    if offer is None:
        raise Http404
    for member in members:
        if member.school_id == offer.target_school_id:
            return offer, member
    return offer, members[0]


def _booking_or_404(members: list[SchoolMember], booking_id: int) -> CollectiveBooking:
    booking = (
        CollectiveBooking.objects.select_related("offer", "school", "teacher")
        .filter(pk=booking_id, school_id__in=[m.school_id for m in members])
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def _chosen_member(members: list[SchoolMember], value: Any) -> SchoolMember:
    """The membership named by a form's ``etablissement`` (the only one when not asked)."""
    for member in members:
        if str(member.school_id) == str(value):
            return member
    return members[0]


def _posted(request: HttpRequest) -> Any:
    """The POST data, even empty (a form of unticked checkboxes posts nothing)."""
    return request.POST if request.method == "POST" else None


# --- display helpers --------------------------------------------------------------------------


def _tz(offer: CollectiveOffer) -> str:
    return offer.timezone or DEFAULT_TIMEZONE


def _offer_card(offer: CollectiveOffer) -> dict[str, Any]:
    return {
        "offer": offer,
        "tz": _tz(offer),
        "price": format_euros(offer.price_cents),
        "domains": ", ".join(reference.domain_label(code) for code in offer.domains),
        "levels": ", ".join(reference.school_level_label(code) for code in offer.school_levels),
    }


def _budget_rows(
    member: SchoolMember, bookings: list[CollectiveBooking], now: dt.datetime
) -> list[Any]:
    """Budget, spending and remaining for the current school year and the years of the
    school's open bookings."""
    years = {school_year_of(now.date())}
    years.update(
        b.school_year_start
        for b in bookings
        if b.status in (CollectiveBooking.Status.PENDING, CollectiveBooking.Status.CONFIRMED)
    )
    rows = []
    for year in sorted(years):
        summary = selectors.school_budget_summary(
            school_id=member.school_id, school_year_start=year
        )
        rows.append(
            {
                "label": school_year_label(year),
                "budget": format_euros(summary.budget_cents),
                "spent": format_euros(summary.spent_cents),
                "remaining": format_euros(summary.remaining_cents),
            }
        )
    return rows


def _may_refuse(booking: CollectiveBooking, now: dt.datetime) -> bool:
    """As the services decide: pending always, confirmed until the cancellation limit."""
    if booking.status == CollectiveBooking.Status.PENDING:
        return True
    return (
        booking.status == CollectiveBooking.Status.CONFIRMED and now <= booking.cancellation_limit
    )


# --- pages ------------------------------------------------------------------------------------


@require_GET
@member_required
def home(request: HttpRequest, members: list[SchoolMember]) -> HttpResponse:
    return render(request, "schools/home.html", {"members": members})


@require_GET
@member_required
def search(request: HttpRequest, members: list[SchoolMember]) -> HttpResponse:
    form = SearchForm(request.GET or None, members=members)
    now = clock.now()
    cards: list[dict[str, Any]] | None = None
    if not form.is_bound or form.is_valid():
        criteria = form.selector_kwargs() if form.is_bound else {}
        member = _chosen_member(
            members, form.cleaned_data.get("etablissement") if form.is_bound else None
        )
        offers = selectors.collective_offers_visible_to_school(
            school_id=member.school_id, now=now, **criteria
        )[:PER_PAGE]
        cards = [_offer_card(offer) for offer in offers]
    return render(
        request,
        "schools/search.html",
        {"form": form, "cards": cards, "per_page": PER_PAGE},
        status=200 if cards is not None else 400,
    )


@require_GET
@member_required
def offer(
    request: HttpRequest, members: list[SchoolMember], collective_offer_id: int
) -> HttpResponse:
    now = clock.now()
    found, member = _visible_offer_or_404(members, collective_offer_id)
    live = CollectiveBooking.objects.filter(offer=found).exclude(
        status=CollectiveBooking.Status.CANCELLED
    )
    booking = live.filter(school_id__in=[m.school_id for m in members]).first()
    return render(
        request,
        "schools/offer.html",
        {
            "card": _offer_card(found),
            "offer": found,
            "member": member,
            "booking": booking,
            "bookable": found.kind == CollectiveOffer.Kind.BOOKABLE
            and not live.exists()
            and found.booking_limit_datetime is not None
            and now <= found.booking_limit_datetime,
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def offer_request(
    request: HttpRequest, members: list[SchoolMember], collective_offer_id: int
) -> HttpResponse:
    """A request to the structure about a showcase offer."""
    now = clock.now()
    found, _member = _visible_offer_or_404(members, collective_offer_id)
    if found.kind != CollectiveOffer.Kind.SHOWCASE:
        raise Http404
    form = RequestForm(_posted(request), members=members)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            member = _chosen_member(members, form.cleaned_data.get("etablissement"))
            try:
                services.collective_request_create(
                    actor=request.user,
                    offer=found,
                    school=member.school,
                    comment=form.cleaned_data["comment"],
                    requested_date=form.cleaned_data["requested_date"],
                    participants=form.cleaned_data["participants"],
                    now=now,
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Votre demande est envoyée à %(name)s : la structure vous répond par email.")
                    % {"name": found.offerer.name},
                )
                return redirect("schools:offer", collective_offer_id=found.pk)
        status = 400
    return render(
        request,
        "schools/request.html",
        {"card": _offer_card(found), "offer": found, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required
def offer_prebook(
    request: HttpRequest, members: list[SchoolMember], collective_offer_id: int
) -> HttpResponse:
    """Pre-book a bookable offer for the school (GET: what it commits to; POST: do it)."""
    now = clock.now()
    found, _member = _visible_offer_or_404(members, collective_offer_id)
    if found.kind != CollectiveOffer.Kind.BOOKABLE:
        raise Http404
    form = PrebookForm(_posted(request), members=members)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            member = _chosen_member(members, form.cleaned_data.get("etablissement"))
            try:
                services.collective_booking_prebook(
                    actor=request.user, offer=found, school=member.school, now=now
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "L'offre « %(name)s » est préréservée : le chef d'établissement doit la "
                        "confirmer avant la date limite."
                    )
                    % {"name": found.name},
                )
                return redirect("schools:bookings")
        status = 400
    return render(
        request,
        "schools/prebook.html",
        {"card": _offer_card(found), "offer": found, "form": form},
        status=status,
    )


def _bookings_page(
    request: HttpRequest,
    members: list[SchoolMember],
    *,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    now = clock.now()
    schools = []
    for member in members:
        bookings = list(selectors.school_collective_bookings(member.school_id)[:PER_PAGE])
        schools.append(
            {
                "member": member,
                "is_head": member.role == SchoolMember.Role.HEAD,
                "budgets": _budget_rows(member, bookings, now),
                "rows": [
                    {
                        "booking": booking,
                        "tz": _tz(booking.offer),
                        "price": format_euros(booking.price_cents),
                        "can_confirm": member.role == SchoolMember.Role.HEAD
                        and booking.status == CollectiveBooking.Status.PENDING
                        and now <= booking.confirmation_limit,
                        "can_refuse": _may_refuse(booking, now),
                    }
                    for booking in bookings
                ],
            }
        )
    return render(
        request,
        "schools/bookings.html",
        {"schools": schools, "error": error},
        status=status,
    )


@require_GET
@member_required
def bookings(request: HttpRequest, members: list[SchoolMember]) -> HttpResponse:
    return _bookings_page(request, members)


@require_POST
@member_required
def booking_confirm(
    request: HttpRequest, members: list[SchoolMember], collective_booking_id: int
) -> HttpResponse:
    """The head confirms a pre-booking (budget checked by the service)."""
    booking = _booking_or_404(members, collective_booking_id)
    try:
        services.collective_booking_confirm(actor=request.user, booking=booking, now=clock.now())
    except DomainError as exc:
        return _bookings_page(request, members, error=exc.message, status=400)
    messages.success(
        request,
        _("La réservation de « %(name)s » est confirmée.") % {"name": booking.offer.name},
    )
    return redirect("schools:bookings")


@require_POST
@member_required
def booking_refuse(
    request: HttpRequest, members: list[SchoolMember], collective_booking_id: int
) -> HttpResponse:
    """The school refuses a pre-booking (or cancels a confirmed one, in time)."""
    booking = _booking_or_404(members, collective_booking_id)
    form = RefuseForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.collective_booking_refuse(
            actor=request.user, booking=booking, comment=comment, now=clock.now()
        )
    except DomainError as exc:
        return _bookings_page(request, members, error=exc.message, status=400)
    messages.success(
        request,
        _("La réservation de « %(name)s » est annulée ; la structure est prévenue.")
        % {"name": booking.offer.name},
    )
    return redirect("schools:bookings")
