"""Pro portal pages for structures, venues and members.

Views parse input, call one service or selector and render. Object access goes
through :mod:`culturepass.pro.access` (404 for non-members).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from culturepass.bookings.pro_selectors import MonthCount, bookings_per_month
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.finance.services import offerers_finance_status
from culturepass.offerers import selectors, services
from culturepass.offerers.models import Membership, Offerer
from culturepass.offerers.onboarding import (
    DEFAULT_WEBINAR_REFERENCE,
    FEATURE_BANK_ACCOUNT,
    FEATURE_FIRST_OFFER,
    FEATURE_VENUE_LINKS,
    next_webinar_sessions,
    structure_next_steps,
)
from culturepass.offerers.places import regions
from culturepass.offerers.venue_types import venue_type_label
from culturepass.pro import access
from culturepass.pro.forms import (
    AttachmentRequestForm,
    InviteForm,
    OffererCreateForm,
    VenueForm,
    add_domain_error,
)

# Pages of other parts of the portal that the home links to once they exist.
FEATURE_URL_NAMES = {
    FEATURE_BANK_ACCOUNT: "pro:bank_accounts",
    FEATURE_VENUE_LINKS: "pro:bank_account_links",
    FEATURE_FIRST_OFFER: "pro:offer_create",
}
DEFAULT_HELP_LINKS: tuple[tuple[Any, str], ...] = (
    (
        gettext_lazy("Centre d'aide des partenaires culturels"),
        "https://aide.passculture.app/hc/fr/categories/4410482280977",
    ),
    (
        gettext_lazy("Publier une offre d'événement"),
        "https://aide.passculture.app/hc/fr/articles/4411999013265",
    ),
    (
        gettext_lazy("Gérer ses remboursements"),
        "https://aide.passculture.app/hc/fr/articles/4411992051601",
    ),
)


def _feature_url(name: str, offerer_id: int) -> str | None:
    for kwargs in ({"offerer_id": offerer_id}, None):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def _webinar_reference() -> dt.date:
    value = getattr(settings, "PRO_WEBINAR_REFERENCE_DATE", None)
    if isinstance(value, dt.date):
        return value
    if value:
        return dt.date.fromisoformat(str(value))
    return DEFAULT_WEBINAR_REFERENCE


#: Size of the bookings chart of the home (SVG user units): one bar per month.
CHART_BAR_WIDTH = 36
CHART_GAP = 12
CHART_BARS_HEIGHT = 100  # the tallest bar
CHART_TOP = 16  # room for the count above the tallest bar
CHART_BOTTOM = 20  # room for the month labels


def _bookings_chart(months: list[MonthCount]) -> dict[str, Any]:
    """Geometry of the home's bar chart: heights proportional to the counts."""
    peak = max((m.count for m in months), default=0)
    baseline = CHART_TOP + CHART_BARS_HEIGHT
    bars = []
    for index, m in enumerate(months):
        height = round(m.count * CHART_BARS_HEIGHT / peak) if peak else 0
        x = CHART_GAP + index * (CHART_BAR_WIDTH + CHART_GAP)
        bars.append(
            {
                "month": m,
                "x": x,
                "y": baseline - height,
                "height": height,
                "center": x + CHART_BAR_WIDTH // 2,
            }
        )
    return {
        "bars": bars,
        "width": CHART_GAP + len(months) * (CHART_BAR_WIDTH + CHART_GAP),
        "height": baseline + CHART_BOTTOM,
        "bar_width": CHART_BAR_WIDTH,
        "baseline": baseline,
        "label_y": baseline + CHART_BOTTOM - 6,
    }


def _not_post() -> HttpResponse:
    return HttpResponseNotAllowed(["POST"])


def _offerer_context(offerer: Offerer, user: Any, section: str) -> dict[str, Any]:
    membership = selectors.membership_of(user, offerer)
    return {
        "offerer": offerer,
        "membership": membership,
        "is_admin": bool(membership and membership.is_admin),
        "section": section,
        "region_name": selectors.region_name(offerer.region_code),
    }


# --- home ----------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    offerers = selectors.home_offerers(request.user)
    contacts = selectors.territorial_contacts_by_region({o.region_code for o in offerers})
    monthly = bookings_per_month(offerer_ids=[o.pk for o in offerers], now=now)
    # Bank set-up of every structure in a fixed number of queries (the home must not grow).
    finance = offerers_finance_status(offerer_ids=[o.pk for o in offerers], now=now)
    structures = []
    for offerer in offerers:
        urls = {key: _feature_url(name, offerer.pk) for key, name in FEATURE_URL_NAMES.items()}
        steps = structure_next_steps(
            status=offerer.status,
            venues_without_booking_email=offerer.venues_without_booking_email,  # type: ignore[attr-defined]
            member_count=offerer.member_count,  # type: ignore[attr-defined]
            open_invitations=offerer.open_invitation_count,  # type: ignore[attr-defined]
            has_offer=offerer.has_offer,  # type: ignore[attr-defined]
            has_bank_account=finance[offerer.pk].has_bank_account,
            has_linked_venues=finance[offerer.pk].has_linked_venues,
            available_features={key for key, url in urls.items() if url},
        )
        urls["venues"] = reverse("pro:venue_list", kwargs={"offerer_id": offerer.pk})
        urls["members"] = reverse("pro:members", kwargs={"offerer_id": offerer.pk})
        urls["validation"] = None
        urls["created"] = reverse("pro:offerer_detail", kwargs={"offerer_id": offerer.pk})
        structures.append(
            {
                "offerer": offerer,
                "steps": [(step, urls.get(step.key)) for step in steps],
                "contact": contacts.get(offerer.region_code),
                "region_name": selectors.region_name(offerer.region_code),
                "bookings_chart": _bookings_chart(monthly.get(offerer.pk, [])),
                "venues_without_account": finance[offerer.pk].venues_without_account,
                "finance_url": urls.get(FEATURE_BANK_ACCOUNT),
            }
        )
    context = {
        "structures": structures,
        "pending_requests": selectors.pending_requests_of_user(request.user),
        "webinar_sessions": next_webinar_sessions(now=now, reference=_webinar_reference()),
        "webinar_url": getattr(settings, "PRO_WEBINAR_URL", ""),
        "help_links": getattr(settings, "PRO_HELP_LINKS", DEFAULT_HELP_LINKS),
    }
    return render(request, "pro/home.html", context)


@login_required
def territorial_contacts(request: HttpRequest) -> HttpResponse:
    contacts = {c.region_code: c for c in selectors.territorial_contacts()}
    rows = [(code, name, contacts.get(code)) for code, name in regions().items()]
    return render(request, "pro/territorial_contacts.html", {"rows": rows})


# --- structures ------------------------------------------------------------------------


@login_required
def offerer_create(request: HttpRequest) -> HttpResponse:
    form = OffererCreateForm(request.POST or None)
    attachment_siret = None
    if request.method == "POST" and form.is_valid():
        try:
            offerer = services.offerer_create_from_siret(
                actor=request.user, now=clock.now(), **form.cleaned_data
            )
        except services.SirenAlreadyRegistered as exc:
            attachment_siret = form.cleaned_data["siret"]
            add_domain_error(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("La structure « %(name)s » est créée. Elle sera validée par nos équipes.")
                % {"name": offerer.name},
            )
            return redirect("pro:offerer_detail", offerer_id=offerer.pk)
    return render(
        request,
        "pro/offerer_create.html",
        {"form": form, "attachment_siret": attachment_siret},
    )


@login_required
def attachment_request(request: HttpRequest) -> HttpResponse:
    """Ask to join an existing structure (by SIRET; the structure is not named by id)."""
    if request.method != "POST":
        return _not_post()
    form = AttachmentRequestForm(request.POST)
    if form.is_valid():
        try:
            services.attachment_request(
                actor=request.user, siret=form.cleaned_data["siret"], now=clock.now()
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Votre demande de rattachement est envoyée. Les administrateurs de la "
                    "structure et nos équipes vont l'examiner."
                ),
            )
            return redirect("pro:home")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("pro:offerer_create")


@login_required
def offerer_detail(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    context = _offerer_context(offerer, request.user, "detail")
    context["head_office"] = offerer.venues.filter(is_head_office=True).first()
    return render(request, "pro/offerer_detail.html", context)


# --- venues ---------------------------------------------------------------------------


@login_required
def venue_list(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    context = _offerer_context(offerer, request.user, "venues")
    context["venues"] = [
        (venue, venue_type_label(venue.venue_type)) for venue in selectors.offerer_venues(offerer)
    ]
    return render(request, "pro/venue_list.html", context)


@login_required
def venue_create(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    form = VenueForm(request.POST or None, initial={"is_open_to_public": True})
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.venue_create(
                actor=request.user, offerer=offerer, data=form.to_input(), now=clock.now()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Le lieu « %(name)s » est créé.") % {"name": venue.name})
            return redirect("pro:venue_edit", venue_id=venue.pk)
    context = _offerer_context(offerer, request.user, "venues")
    context.update({"form": form, "venue": None})
    return render(request, "pro/venue_form.html", context)


@login_required
def venue_edit(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = access.get_member_venue_or_404(request.user, venue_id)
    form = VenueForm(request.POST or None, initial=VenueForm.initial_for(venue))
    if venue.siret:
        form.fields["siret"].disabled = True
        form.fields["siret"].help_text = _("Le SIRET d'un lieu ne se modifie pas.")
    if request.method == "POST" and form.is_valid():
        try:
            venue = services.venue_update(
                actor=request.user, venue=venue, data=form.to_input(), now=clock.now()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Le lieu est enregistré."))
            return redirect("pro:venue_edit", venue_id=venue.pk)
    context = _offerer_context(venue.offerer, request.user, "venues")
    context.update({"form": form, "venue": venue})
    return render(request, "pro/venue_form.html", context)


# --- members ---------------------------------------------------------------------------


def _members_page(
    request: HttpRequest, offerer: Offerer, form: InviteForm, status: int = 200
) -> HttpResponse:
    context = _offerer_context(offerer, request.user, "members")
    context.update(
        {
            "members": selectors.offerer_members(offerer),
            "requests": selectors.offerer_attachment_requests(offerer),
            "invitations": selectors.offerer_open_invitations(offerer),
            "admin_count": selectors.offerer_members(offerer)
            .filter(role=Membership.Role.ADMIN)
            .count(),
            "form": form,
        }
    )
    return render(request, "pro/members.html", context, status=status)


@login_required
def members(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    return _members_page(request, offerer, InviteForm())


@login_required
def member_invite(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if request.method != "POST":
        return _not_post()
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.member_invite(
                actor=request.user,
                offerer=offerer,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Une invitation a été envoyée à %(email)s.") % {"email": invitation.email},
            )
            return redirect("pro:members", offerer_id=offerer.pk)
    return _members_page(request, offerer, form, status=400)


@login_required
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access.get_member_membership_or_404(request.user, membership_id)
    if request.method != "POST":
        return _not_post()
    offerer_id = membership.offerer_id
    try:
        services.member_remove(actor=request.user, membership=membership, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if membership.user_id == request.user.pk:
            messages.success(request, _("Vous avez quitté la structure."))
            return redirect("pro:home")
        messages.success(
            request, _("%(email)s a été retiré de la structure.") % {"email": membership.user.email}
        )
    return redirect("pro:members", offerer_id=offerer_id)


@login_required
def invitation_cancel(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access.get_member_invitation_or_404(request.user, invitation_id)
    if request.method != "POST":
        return _not_post()
    try:
        services.invitation_cancel(actor=request.user, invitation=invitation, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("L'invitation de %(email)s est annulée.") % {"email": invitation.email}
        )
    return redirect("pro:members", offerer_id=invitation.offerer_id)


def _decide_attachment(request: HttpRequest, membership_id: int, *, accept: bool) -> HttpResponse:
    membership = access.get_member_membership_or_404(request.user, membership_id)
    if request.method != "POST":
        return _not_post()
    service = services.attachment_accept if accept else services.attachment_reject
    try:
        service(actor=request.user, membership=membership, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (
                _("%(email)s a rejoint la structure.")
                if accept
                else _("La demande de %(email)s est refusée.")
            )
            % {"email": membership.user.email},
        )
    return redirect("pro:members", offerer_id=membership.offerer_id)


@login_required
def attachment_accept(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _decide_attachment(request, membership_id, accept=True)


@login_required
def attachment_reject(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _decide_attachment(request, membership_id, accept=False)


# --- invitations ---------------------------------------------------------------------------


@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation email: shown to (and accepted by) its addressee only."""
    invitation = access.get_own_invitation_or_404(request.user, token)
    now = clock.now()
    if request.method == "POST":
        try:
            membership = services.invitation_accept(actor=request.user, token=token, now=now)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Vous avez rejoint la structure « %(name)s ».")
                % {"name": invitation.offerer.name},
            )
            return redirect("pro:offerer_detail", offerer_id=membership.offerer_id)
    return render(
        request,
        "pro/invitation.html",
        {
            "invitation": invitation,
            "expired": services.invitation_is_expired(invitation, now),
        },
    )
