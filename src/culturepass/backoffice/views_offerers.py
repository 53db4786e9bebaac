"""Backoffice pages for structures: homologation, attachment requests, territorial contacts.

Staff act through the same services as the pro portal; every action is audited there.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from culturepass.backoffice.access import staff_required
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.offerers import selectors, services
from culturepass.offerers.models import Membership, Offerer, TerritorialContact
from culturepass.offerers.places import regions
from culturepass.offerers.venue_types import venue_type_label

PAGE_SIZE = 50


class OffererFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Nom ou SIREN"), required=False, max_length=140)
    status = forms.ChoiceField(
        label=gettext_lazy("Statut"),
        required=False,
        choices=[("", gettext_lazy("Tous")), *Offerer.Status.choices],
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Commentaire (envoyé à la structure en cas de validation ou de rejet)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TerritorialContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom"), max_length=140)
    email = forms.EmailField(label=gettext_lazy("Adresse email"))
    phone = forms.CharField(label=gettext_lazy("Téléphone"), max_length=32, required=False)


# action name → (service, success message)
STATUS_ACTIONS: dict[str, tuple[Any, Any]] = {
    "validate": (services.offerer_validate, gettext_lazy("La structure est validée.")),
    "set_pending": (
        services.offerer_set_pending,
        gettext_lazy("La structure est mise en attente."),
    ),
    "reject": (services.offerer_reject, gettext_lazy("La structure est rejetée.")),
    "close": (services.offerer_close, gettext_lazy("La structure est fermée.")),
}
ACTION_TARGETS = {
    "validate": Offerer.Status.VALIDATED,
    "set_pending": Offerer.Status.PENDING,
    "reject": Offerer.Status.REJECTED,
    "close": Offerer.Status.CLOSED,
}
ACTION_LABELS = {
    "validate": gettext_lazy("Valider"),
    "set_pending": gettext_lazy("Mettre en attente"),
    "reject": gettext_lazy("Rejeter"),
    "close": gettext_lazy("Fermer"),
}


@require_GET
@staff_required("homologation")
def offerer_list(request: HttpRequest) -> HttpResponse:
    form = OffererFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.backoffice_offerers(status=data.get("status", ""), query=data.get("q", ""))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = selectors.status_counts()
    return render(
        request,
        "backoffice/offerers/offerer_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "status_summary": [
                (value, label, counts.get(value, 0)) for value, label in Offerer.Status.choices
            ],
            "pending_requests": selectors.backoffice_attachment_requests().count(),
        },
    )


def _audit_rows(offerer: Offerer) -> list[tuple[Any, list[tuple[str, Any, Any]]]]:
    return [(entry, entry.changes()) for entry in selectors.offerer_audit_entries(offerer)]


@require_GET
@staff_required("homologation")
def offerer_detail(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = get_object_or_404(Offerer, pk=offerer_id)
    actions = [
        (name, ACTION_LABELS[name])
        for name, target in ACTION_TARGETS.items()
        if services.offerer_transition_allowed(offerer.status, target)
    ]
    return render(
        request,
        "backoffice/offerers/offerer_detail.html",
        {
            "offerer": offerer,
            "region_name": selectors.region_name(offerer.region_code),
            "venues": [
                (venue, venue_type_label(venue.venue_type))
                for venue in selectors.offerer_venues(offerer)
            ],
            "members": selectors.offerer_members(offerer),
            "requests": selectors.offerer_attachment_requests(offerer),
            "invitations": selectors.offerer_open_invitations(offerer),
            "audit_rows": _audit_rows(offerer),
            "actions": actions,
            "comment_form": CommentForm(),
        },
    )


def _status_action(request: HttpRequest, offerer_id: int, action: str) -> HttpResponse:
    offerer = get_object_or_404(Offerer, pk=offerer_id)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"].strip() if form.is_valid() else ""
    service, success = STATUS_ACTIONS[action]
    try:
        service(actor=request.user, offerer=offerer, comment=comment, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(success))
    return redirect("backoffice:offerer_detail", offerer_id=offerer.pk)


@require_POST
@staff_required("homologation")
def offerer_validate(request: HttpRequest, offerer_id: int) -> HttpResponse:
    return _status_action(request, offerer_id, "validate")


@require_POST
@staff_required("homologation")
def offerer_set_pending(request: HttpRequest, offerer_id: int) -> HttpResponse:
    return _status_action(request, offerer_id, "set_pending")


@require_POST
@staff_required("homologation")
def offerer_reject(request: HttpRequest, offerer_id: int) -> HttpResponse:
    return _status_action(request, offerer_id, "reject")


@require_POST
@staff_required("homologation")
def offerer_close(request: HttpRequest, offerer_id: int) -> HttpResponse:
    # Closing is final (its codes can no longer be validated): ask for an explicit confirmation.
    if request.POST.get("confirm") != "yes":
        messages.error(
            request, _("Cochez la case de confirmation pour fermer définitivement la structure.")
        )
        return redirect("backoffice:offerer_detail", offerer_id=offerer_id)
    return _status_action(request, offerer_id, "close")


@require_GET
@staff_required("homologation")
def offerer_attachment_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.backoffice_attachment_requests(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "backoffice/offerers/attachment_list.html", {"page": page})


def _attachment_decide(request: HttpRequest, membership_id: int, *, accept: bool) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"].strip() if form.is_valid() else ""
    service = services.attachment_accept if accept else services.attachment_reject
    try:
        service(actor=request.user, membership=membership, comment=comment, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (
                _("%(email)s est rattaché à la structure.")
                if accept
                else _("La demande de %(email)s est refusée.")
            )
            % {"email": membership.user.email},
        )
    if request.POST.get("next") == "list":
        return redirect("backoffice:offerer_attachment_list")
    return redirect("backoffice:offerer_detail", offerer_id=membership.offerer_id)


@require_POST
@staff_required("homologation")
def offerer_attachment_accept(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _attachment_decide(request, membership_id, accept=True)


@require_POST
@staff_required("homologation")
def offerer_attachment_reject(request: HttpRequest, membership_id: int) -> HttpResponse:
    return _attachment_decide(request, membership_id, accept=False)


# --- territorial contacts ------------------------------------------------------------------


@require_GET
@staff_required("territorial")
def offerer_contact_list(request: HttpRequest) -> HttpResponse:
    contacts = {c.region_code: c for c in selectors.territorial_contacts()}
    rows = [(code, name, contacts.get(code)) for code, name in regions().items()]
    return render(request, "backoffice/offerers/contact_list.html", {"rows": rows})


@staff_required("territorial")
def offerer_contact_edit(request: HttpRequest, region_code: str) -> HttpResponse:
    if region_code not in regions():
        raise Http404
    contact = TerritorialContact.objects.filter(region_code=region_code).first()
    initial = (
        {"name": contact.name, "email": contact.email, "phone": contact.phone} if contact else {}
    )
    form = TerritorialContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.territorial_contact_save(
                actor=request.user, region_code=region_code, now=clock.now(), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Le référent territorial est enregistré."))
            return redirect("backoffice:offerer_contact_list")
    return render(
        request,
        "backoffice/offerers/contact_form.html",
        {
            "form": form,
            "contact": contact,
            "region_code": region_code,
            "region_name": regions()[region_code],
        },
    )


@require_POST
@staff_required("territorial")
def offerer_contact_delete(request: HttpRequest, region_code: str) -> HttpResponse:
    contact = get_object_or_404(TerritorialContact, region_code=region_code)
    try:
        services.territorial_contact_delete(actor=request.user, contact=contact, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Le référent territorial est supprimé."))
    return redirect("backoffice:offerer_contact_list")
