"""Collective pages of the pro portal (offers for school groups, SPEC §8).

Only referenced structures see the collective section: for the others every collective page
leads to the referencing page (apply, or follow the application). Views parse input with
:mod:`culturepass.pro.forms_collective`, call one collective service or selector and render;
every structure, collective offer or collective booking in a URL is resolved among the user's
structures (404 for non-members, as in :mod:`culturepass.pro.access`). Dates are shown in the
offer's time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from culturepass.collective import reference, selectors
from culturepass.collective import services as collective_services
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    ReferencingApplication,
    School,
)
from culturepass.collective.services import format_euros as collective_format_euros
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.offerers import selectors as offerer_selectors
from culturepass.offerers.models import Offerer
from culturepass.pro import access
from culturepass.pro.forms_collective import (
    CollectiveCancelForm,
    CollectiveOfferForm,
    ReferencingForm,
)
from culturepass.pro.forms_offers import apply_domain_error

DEFAULT_TIMEZONE = "Europe/Paris"


def format_euros(cents: int | None) -> str:
    """ "1 234,50 €": group totals and budgets run into thousands, so digits are grouped
    (as in the collective services' messages); "" for None."""
    return "" if cents is None else collective_format_euros(cents)


# --- access (small selectors: nothing in culturepass.collective names a member's objects) -----


def _member_collective_offer_or_404(user: Any, offer_id: int) -> CollectiveOffer:
    """A collective offer of one of ``user``'s structures (validated membership), else 404."""
    if not getattr(user, "pk", None):
        raise Http404
    offer = (
        CollectiveOffer.objects.select_related("offerer", "venue", "target_school")
        .filter(pk=offer_id, offerer__in=offerer_selectors.offerers_of_user(user))
        .first()
    )
    if offer is None:
        raise Http404
    return offer


def _member_collective_booking_or_404(user: Any, booking_id: int) -> CollectiveBooking:
    if not getattr(user, "pk", None):
        raise Http404
    booking = (
        CollectiveBooking.objects.select_related("offer", "offerer", "school", "teacher")
        .filter(pk=booking_id, offerer__in=offerer_selectors.offerers_of_user(user))
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def _not_referenced(offerer: Offerer) -> HttpResponse | None:
    """The way to the referencing page when the structure may not offer to schools yet."""
    if selectors.offerer_is_referenced(offerer.pk):
        return None
    return redirect("pro:collective_referencing", offerer_id=offerer.pk)


def _posted(request: HttpRequest) -> Any:
    """The POST data, even empty (a form of unticked checkboxes posts nothing)."""
    return request.POST if request.method == "POST" else None


# --- display helpers --------------------------------------------------------------------------


def _tz(offer: CollectiveOffer) -> str:
    return offer.timezone or DEFAULT_TIMEZONE


def _labels(codes: list[str], label: Any) -> str:
    return ", ".join(label(code) for code in codes)


def _offer_row(offer: CollectiveOffer) -> dict[str, Any]:
    return {
        "offer": offer,
        "tz": _tz(offer),
        "price_display": format_euros(offer.price_cents),
        "domains_display": _labels(offer.domains, reference.domain_label),
        "is_booked": getattr(offer, "is_booked", False),
    }


def _offer_facts(offer: CollectiveOffer) -> dict[str, Any]:
    return {
        **_offer_row(offer),
        "levels_display": _labels(offer.school_levels, reference.school_level_label),
        "show_tz": _tz(offer) != DEFAULT_TIMEZONE,
    }


def _cancellable(booking: CollectiveBooking, now: dt.datetime) -> bool:
    """As the services decide: pending always, confirmed until the cancellation limit."""
    if booking.status == CollectiveBooking.Status.PENDING:
        return True
    return (
        booking.status == CollectiveBooking.Status.CONFIRMED and now <= booking.cancellation_limit
    )


def _booking_row(booking: CollectiveBooking, now: dt.datetime) -> dict[str, Any]:
    return {
        "booking": booking,
        "tz": _tz(booking.offer),
        "price_display": format_euros(booking.price_cents),
        "can_cancel": _cancellable(booking, now),
    }


# --- referencing ------------------------------------------------------------------------------


@login_required
def collective_home(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """The nav entry: the offers when referenced, else the referencing page."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    return _not_referenced(offerer) or redirect("pro:collective_offers", offerer_id=offerer.pk)


@login_required
def collective_referencing(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """Apply for referencing (venues, domains, educational project) and follow the application."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    latest = selectors.referencing_application_latest(offerer.pk)
    referenced = selectors.offerer_is_referenced(offerer.pk)
    # A structure may apply when it has no application under review and is not referenced.
    may_apply = not referenced and (
        latest is None or latest.status == ReferencingApplication.Status.REFUSED
    )
    venues = offerer_selectors.offerer_venues(offerer)
    form = ReferencingForm(_posted(request), venues=venues)
    status = 200
    if request.method == "POST":
        if not may_apply:
            messages.error(
                request, _("Une demande de référencement est déjà en cours ou acceptée.")
            )
            return redirect("pro:collective_referencing", offerer_id=offerer.pk)
        if form.is_valid():
            try:
                collective_services.referencing_apply(
                    actor=request.user,
                    offerer=offerer,
                    venue_ids=[venue.pk for venue in form.cleaned_data["venues"]],
                    domains=form.cleaned_data["domains"],
                    educational_project=form.cleaned_data["educational_project"],
                    now=clock.now(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc, {"venue_ids": "venues"})
            else:
                messages.success(
                    request,
                    _(
                        "Votre demande de référencement est envoyée : la commission régionale "
                        "l'étudie et vous répond par email."
                    ),
                )
                return redirect("pro:collective_referencing", offerer_id=offerer.pk)
        status = 400
    return render(
        request,
        "pro/collective/referencing.html",
        {
            "offerer": offerer,
            "section": "collective",
            "latest": latest,
            "latest_domains": _labels(latest.domains, reference.domain_label) if latest else "",
            "referenced": referenced,
            "may_apply": may_apply,
            "form": form,
        },
        status=status,
    )


# --- offers -----------------------------------------------------------------------------------


@login_required
def collective_offers(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if (refusal := _not_referenced(offerer)) is not None:
        return refusal
    offers = selectors.offerer_collective_offers(offerer.pk)
    return render(
        request,
        "pro/collective/offer_list.html",
        {
            "offerer": offerer,
            "section": "collective",
            "tab": "offers",
            "rows": [_offer_row(offer) for offer in offers],
        },
    )


def _school_for(form: CollectiveOfferForm) -> School | None:
    """The target school typed as a UAI (None when blank); an unknown code is a form error."""
    uai = form.cleaned_data.get("target_school_uai") or ""
    if not uai:
        return None
    school = School.objects.filter(uai=uai).first()
    if school is None:
        form.add_error(
            "target_school_uai",
            _("Aucun établissement scolaire n'a le code UAI %(uai)s.") % {"uai": uai},
        )
    return school


def _offer_fields(form: CollectiveOfferForm, school: School | None) -> dict[str, Any]:
    """The form's values under the services' names (the venue apart: it never changes)."""
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "name": data["name"],
        "description": data["description"],
        "domains": data["domains"],
        "school_levels": data["school_levels"],
        "location_kind": data["location_kind"],
        "location_label": data["location_label"],
        "street": data["street"],
        "postal_code": data["postal_code"],
        "city": data["city"],
        "location_comment": data["location_comment"],
        "start_datetime": data["start_datetime"],
        "end_datetime": data["end_datetime"],
        "booking_limit_datetime": data["booking_limit_datetime"],
        "price_cents": data["price"],
        "participants": data["participants"],
        "price_details": data["price_details"],
        "target_school": school,
        "contact_email": data["contact_email"],
        "contact_phone": data["contact_phone"],
    }


def _published_message(offer: CollectiveOffer) -> str:
    if offer.validation == CollectiveOffer.Validation.APPROVED:
        return _("L'offre collective « %(name)s » est publiée : les établissements la voient.")
    return _(
        "L'offre collective « %(name)s » est envoyée à la validation : nos équipes la "
        "vérifient avant que les établissements la voient."
    )


def _form_page(
    request: HttpRequest,
    offerer: Offerer,
    form: CollectiveOfferForm,
    offer: CollectiveOffer | None,
    status: int,
) -> HttpResponse:
    return render(
        request,
        "pro/collective/offer_form.html",
        {
            "offerer": offerer,
            "section": "collective",
            "tab": "offers",
            "form": form,
            "offer": offer,
            "tz": form.tz,
            "show_tz": form.tz != DEFAULT_TIMEZONE,
        },
        status=status,
    )


@login_required
def collective_offer_create(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """Create a collective offer; "Publier" sends it to validation at once."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if (refusal := _not_referenced(offerer)) is not None:
        return refusal
    venues = list(offerer_selectors.offerer_venues(offerer))
    initial: dict[str, Any] = {"contact_email": getattr(request.user, "email", "")}
    if request.GET.get("type") == "vitrine":
        initial["kind"] = CollectiveOffer.Kind.SHOWCASE
    form = CollectiveOfferForm(_posted(request), venues=venues, initial=initial)
    if request.method != "POST":
        return _form_page(request, offerer, form, None, 200)
    if form.is_valid():
        school = _school_for(form)
        if form.is_valid():
            now = clock.now()
            try:
                offer = collective_services.collective_offer_create(
                    actor=request.user,
                    venue=form.cleaned_data["venue"],
                    now=now,
                    **_offer_fields(form, school),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return _after_save(request, offer, publish=request.POST.get("action") == "publish")
    return _form_page(request, offerer, form, None, 400)


def _after_save(request: HttpRequest, offer: CollectiveOffer, *, publish: bool) -> HttpResponse:
    """Publish when asked; a refusal of the publication is shown on the offer page."""
    if not publish:
        saved = (
            _("L'offre collective « %(name)s » est enregistrée en brouillon.")
            if offer.validation == CollectiveOffer.Validation.DRAFT
            else _("L'offre collective « %(name)s » est enregistrée.")
        )
        messages.success(request, saved % {"name": offer.name})
        return redirect("pro:collective_offer_detail", collective_offer_id=offer.pk)
    try:
        offer = collective_services.collective_offer_publish(
            actor=request.user, offer=offer, now=clock.now()
        )
    except DomainError as exc:
        messages.error(
            request,
            _("L'offre est enregistrée en brouillon mais n'est pas publiée : %(reason)s")
            % {"reason": exc.message},
        )
    else:
        messages.success(request, _published_message(offer) % {"name": offer.name})
    return redirect("pro:collective_offer_detail", collective_offer_id=offer.pk)


@login_required
def collective_offer_detail(request: HttpRequest, collective_offer_id: int) -> HttpResponse:
    offer = _member_collective_offer_or_404(request.user, collective_offer_id)
    if (refusal := _not_referenced(offer.offerer)) is not None:
        return refusal
    now = clock.now()
    bookings = [
        _booking_row(booking, now)
        for booking in selectors.offerer_collective_bookings(offer.offerer_id).filter(offer=offer)
    ]
    requests = list(selectors.offerer_collective_requests(offer.offerer_id).filter(offer=offer))
    return render(
        request,
        "pro/collective/offer_detail.html",
        {
            "offerer": offer.offerer,
            "section": "collective",
            "tab": "offers",
            "offer": offer,
            "facts": _offer_facts(offer),
            "bookings": bookings,
            "requests": requests,
            "can_publish": offer.validation == CollectiveOffer.Validation.DRAFT,
            "can_edit": offer.validation != CollectiveOffer.Validation.REJECTED,
        },
    )


@login_required
def collective_offer_edit(request: HttpRequest, collective_offer_id: int) -> HttpResponse:
    offer = _member_collective_offer_or_404(request.user, collective_offer_id)
    offerer = offer.offerer
    if (refusal := _not_referenced(offerer)) is not None:
        return refusal
    if offer.validation == CollectiveOffer.Validation.REJECTED:
        messages.error(request, _("Cette offre a été refusée : elle ne peut plus être modifiée."))
        return redirect("pro:collective_offer_detail", collective_offer_id=offer.pk)
    form = CollectiveOfferForm(
        _posted(request),
        venues=[offer.venue],
        initial=CollectiveOfferForm.initial_for(offer),
        editing=True,
        kind_locked=offer.validation != CollectiveOffer.Validation.DRAFT,
        tz=_tz(offer),
    )
    if request.method != "POST":
        return _form_page(request, offerer, form, offer, 200)
    if form.is_valid():
        school = _school_for(form)
        if form.is_valid():
            try:
                offer = collective_services.collective_offer_update(
                    actor=request.user, offer=offer, now=clock.now(), **_offer_fields(form, school)
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return _after_save(request, offer, publish=request.POST.get("action") == "publish")
    return _form_page(request, offerer, form, offer, 400)


@login_required
def collective_offer_publish(request: HttpRequest, collective_offer_id: int) -> HttpResponse:
    offer = _member_collective_offer_or_404(request.user, collective_offer_id)
    if (refusal := _not_referenced(offer.offerer)) is not None:
        return refusal
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _after_save(request, offer, publish=True)


# --- requests and bookings --------------------------------------------------------------------


@login_required
def collective_requests(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """Teachers' requests about the showcase offers."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if (refusal := _not_referenced(offerer)) is not None:
        return refusal
    return render(
        request,
        "pro/collective/requests.html",
        {
            "offerer": offerer,
            "section": "collective",
            "tab": "requests",
            "requests": list(selectors.offerer_collective_requests(offerer.pk)),
        },
    )


@login_required
def collective_bookings(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if (refusal := _not_referenced(offerer)) is not None:
        return refusal
    now = clock.now()
    return render(
        request,
        "pro/collective/bookings.html",
        {
            "offerer": offerer,
            "section": "collective",
            "tab": "bookings",
            "rows": [
                _booking_row(booking, now)
                for booking in selectors.offerer_collective_bookings(offerer.pk)
            ],
        },
    )


@login_required
def collective_booking_cancel(request: HttpRequest, collective_booking_id: int) -> HttpResponse:
    """Cancel a booking with a reason (sent to the school), until its cancellation limit."""
    booking = _member_collective_booking_or_404(request.user, collective_booking_id)
    offerer = booking.offerer
    if (refusal := _not_referenced(offerer)) is not None:
        return refusal
    now = clock.now()
    form = CollectiveCancelForm(_posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                collective_services.collective_booking_cancel_by_offerer(
                    actor=request.user,
                    booking=booking,
                    reason=form.cleaned_data["reason"],
                    now=now,
                )
            except DomainError as exc:
                apply_domain_error(form, exc, {"comment": "reason"})
            else:
                messages.success(
                    request,
                    _("La réservation de « %(school)s » est annulée ; l'établissement est prévenu.")
                    % {"school": booking.school.name},
                )
                return redirect("pro:collective_bookings", offerer_id=offerer.pk)
        status = 400
    return render(
        request,
        "pro/collective/booking_cancel.html",
        {
            "offerer": offerer,
            "section": "collective",
            "tab": "bookings",
            "row": _booking_row(booking, now),
            "booking": booking,
            "form": form,
        },
        status=status,
    )
