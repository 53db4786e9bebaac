"""Backoffice pages of the regional commission (staff permission ``collective``): referencing
applications, collective offers review, schools and their yearly budgets.

Staff act through the collective services (which check the permission again and write the
audit log); these views parse input, call one service or read, and render. Reads with no
domain selector (offers under review, schools) stay here as plain filters.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from culturepass.backoffice.access import staff_required
from culturepass.collective import reference, selectors, services
from culturepass.collective.models import (
    CollectiveOffer,
    ReferencingApplication,
    School,
    SchoolBudget,
    SchoolMember,
    school_year_label,
    school_year_of,
)
from culturepass.collective.services import format_euros as collective_format_euros
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.pro.forms import PostalCodeField
from culturepass.pro.forms_offers import EurosField, apply_domain_error

RECENT_DECISIONS = 20
DEFAULT_TIMEZONE = "Europe/Paris"


def format_euros(cents: int | None) -> str:
    """ "1 234,50 €": group totals and budgets run into thousands, so digits are grouped
    (as in the collective services' messages); "" for None."""
    return "" if cents is None else collective_format_euros(cents)


def _domains(codes: list[str]) -> str:
    return ", ".join(reference.domain_label(code) for code in codes)


def _levels(codes: list[str]) -> str:
    return ", ".join(reference.school_level_label(code) for code in codes)


# --- referencing applications -------------------------------------------------------------------


class DecisionForm(forms.Form):
    """The commission's message: optional to accept, required to refuse (the services say so)."""

    message = forms.CharField(
        label=gettext_lazy("Message envoyé par email à la structure"),
        help_text=gettext_lazy("Facultatif pour référencer ; obligatoire pour refuser."),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@require_GET
@staff_required("collective")
def application_queue(request: HttpRequest) -> HttpResponse:
    """Applications under review (the oldest first) and the latest decisions."""
    decided = (
        ReferencingApplication.objects.exclude(status=ReferencingApplication.Status.PENDING)
        .select_related("offerer")
        .order_by("-decided_at", "-id")[:RECENT_DECISIONS]
    )
    return render(
        request,
        "backoffice/collective/application_queue.html",
        {
            "pending": [
                (app, _domains(app.domains)) for app in selectors.referencing_applications_pending()
            ],
            "decided": list(decided),
        },
    )


def _application_page(
    request: HttpRequest, application: ReferencingApplication, form: DecisionForm, status: int = 200
) -> HttpResponse:
    history = ReferencingApplication.objects.filter(offerer=application.offerer).exclude(
        pk=application.pk
    )
    return render(
        request,
        "backoffice/collective/application_detail.html",
        {
            "application": application,
            "domains": _domains(application.domains),
            "venues": list(application.venues.order_by("name", "pk")),
            "history": list(history.order_by("-submitted_at", "-id")),
            "form": form,
        },
        status=status,
    )


@require_GET
@staff_required("collective")
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = get_object_or_404(
        ReferencingApplication.objects.select_related("offerer", "submitted_by", "decided_by"),
        pk=application_id,
    )
    return _application_page(request, application, DecisionForm())


@require_POST
@staff_required("collective")
def application_decide(request: HttpRequest, application_id: int) -> HttpResponse:
    """Accept (``decision=accept``) or refuse (``decision=refuse``) with the message."""
    application = get_object_or_404(
        ReferencingApplication.objects.select_related("offerer"), pk=application_id
    )
    form = DecisionForm(request.POST)
    accept = request.POST.get("decision") == "accept"
    if form.is_valid():
        service = services.referencing_accept if accept else services.referencing_refuse
        try:
            service(
                actor=request.user,
                application=application,
                message=form.cleaned_data["message"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            done = (
                _("La structure « %(name)s » est référencée ; elle est prévenue par email.")
                if accept
                else _("La demande de « %(name)s » est refusée ; la structure est prévenue.")
            )
            messages.success(request, done % {"name": application.offerer.name})
            return redirect("backoffice:collective_applications")
    return _application_page(request, application, form, status=400)


# --- collective offers review -------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du refus"),
        help_text=gettext_lazy("Envoyé par email à la structure."),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": gettext_lazy("Indiquez le motif du refus : il est envoyé à la structure.")
        },
    )


@require_GET
@staff_required("collective")
def offer_queue(request: HttpRequest) -> HttpResponse:
    """Collective offers under review, the longest waiting first."""
    offers = (
        CollectiveOffer.objects.filter(validation=CollectiveOffer.Validation.PENDING)
        .select_related("offerer", "venue")
        .order_by("updated_at", "id")
    )
    return render(
        request,
        "backoffice/collective/offer_queue.html",
        {
            "rows": [
                {"offer": offer, "price": format_euros(offer.price_cents)} for offer in offers
            ],
        },
    )


def _offer_page(
    request: HttpRequest, offer: CollectiveOffer, form: RejectForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "backoffice/collective/offer_detail.html",
        {
            "offer": offer,
            "tz": offer.timezone or DEFAULT_TIMEZONE,
            "domains": _domains(offer.domains),
            "levels": _levels(offer.school_levels),
            "price": format_euros(offer.price_cents),
            "can_approve": offer.validation
            in (CollectiveOffer.Validation.PENDING, CollectiveOffer.Validation.REJECTED),
            "can_reject": offer.validation
            in (CollectiveOffer.Validation.PENDING, CollectiveOffer.Validation.APPROVED),
            "form": form,
        },
        status=status,
    )


def _offer(offer_id: int) -> CollectiveOffer:
    return get_object_or_404(
        CollectiveOffer.objects.select_related("offerer", "venue", "target_school"), pk=offer_id
    )


@require_GET
@staff_required("collective")
def offer_detail(request: HttpRequest, collective_offer_id: int) -> HttpResponse:
    return _offer_page(request, _offer(collective_offer_id), RejectForm())


@require_POST
@staff_required("collective")
def offer_approve(request: HttpRequest, collective_offer_id: int) -> HttpResponse:
    offer = _offer(collective_offer_id)
    try:
        services.collective_offer_approve(actor=request.user, offer=offer, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:collective_offer_detail", collective_offer_id=offer.pk)
    messages.success(
        request,
        _("L'offre collective « %(name)s » est validée ; la structure est prévenue.")
        % {"name": offer.name},
    )
    return redirect("backoffice:collective_offers")


@require_POST
@staff_required("collective")
def offer_reject(request: HttpRequest, collective_offer_id: int) -> HttpResponse:
    offer = _offer(collective_offer_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.collective_offer_reject(
                actor=request.user, offer=offer, reason=form.cleaned_data["reason"], now=clock.now()
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "L'offre collective « %(name)s » est refusée ; le motif est envoyé à la structure."
                )
                % {"name": offer.name},
            )
            return redirect("backoffice:collective_offers")
    return _offer_page(request, offer, form, status=400)


# --- schools and budgets ------------------------------------------------------------------------


class SchoolForm(forms.Form):
    uai = forms.CharField(
        label=gettext_lazy("Code UAI"),
        max_length=8,
        help_text=gettext_lazy("7 chiffres suivis d'une lettre, par exemple 0751234A."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(label=gettext_lazy("Nom de l'établissement"), max_length=200)
    postal_code = PostalCodeField()
    city = forms.CharField(label=gettext_lazy("Ville"), max_length=120)


class BudgetForm(forms.Form):
    school_year_start = forms.TypedChoiceField(
        label=gettext_lazy("Année scolaire"), coerce=int, choices=()
    )
    amount = EurosField(label=gettext_lazy("Budget (€)"), help_text=gettext_lazy("Exemple : 5 000"))

    def __init__(self, *args: Any, current_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school_year_start"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (year, school_year_label(year)) for year in range(current_year - 1, current_year + 2)
        ]
        self.fields["school_year_start"].initial = current_year


def _schools() -> QuerySet[School]:
    return School.objects.annotate(member_count=Count("members")).order_by("name", "id")


def _school_list_page(request: HttpRequest, form: SchoolForm, status: int = 200) -> HttpResponse:
    year = school_year_of(clock.now().date())
    budgets = dict(
        SchoolBudget.objects.filter(school_year_start=year).values_list("school_id", "amount_cents")
    )
    rows = [
        {
            "school": school,
            "budget": format_euros(budgets[school.pk]) if school.pk in budgets else "",
        }
        for school in _schools()
    ]
    return render(
        request,
        "backoffice/collective/school_list.html",
        {"rows": rows, "form": form, "year_label": school_year_label(year)},
        status=status,
    )


@require_GET
@staff_required("collective")
def school_list(request: HttpRequest) -> HttpResponse:
    return _school_list_page(request, SchoolForm())


@require_POST
@staff_required("collective")
def school_create(request: HttpRequest) -> HttpResponse:
    form = SchoolForm(request.POST)
    if form.is_valid():
        try:
            school = services.school_create(
                actor=request.user,
                uai=form.cleaned_data["uai"],
                name=form.cleaned_data["name"],
                city=form.cleaned_data["city"],
                postal_code=form.cleaned_data["postal_code"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("L'établissement « %(name)s » est créé.") % {"name": school.name}
            )
            return redirect("backoffice:collective_school_detail", school_id=school.pk)
    return _school_list_page(request, form, status=400)


class SchoolMemberForm(forms.Form):
    """A teacher or a head to add to a school (the account is found or created by email)."""

    email = forms.EmailField(
        label=gettext_lazy("Adresse email"),
        max_length=254,
        help_text=gettext_lazy(
            "La personne reçoit à cette adresse un lien pour choisir son mot de passe."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": gettext_lazy("Indiquez l'adresse email."),
            "invalid": gettext_lazy(
                "Saisissez une adresse email valide, par exemple nom@exemple.fr."
            ),
        },
    )
    first_name = forms.CharField(
        label=gettext_lazy("Prénom"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Indiquez le prénom.")},
    )
    last_name = forms.CharField(
        label=gettext_lazy("Nom"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Indiquez le nom.")},
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Rôle"),
        choices=[
            (SchoolMember.Role.TEACHER, gettext_lazy("Enseignant")),
            (SchoolMember.Role.HEAD, gettext_lazy("Chef d'établissement")),
        ],
        initial=SchoolMember.Role.TEACHER,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez le rôle dans l'établissement.")},
    )


def _school_page(
    request: HttpRequest,
    school: School,
    form: BudgetForm | None = None,
    member_form: SchoolMemberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    budgets = []
    for budget in school.budgets.order_by("-school_year_start"):
        summary = selectors.school_budget_summary(
            school_id=school.pk, school_year_start=budget.school_year_start
        )
        budgets.append(
            {
                "label": school_year_label(budget.school_year_start),
                "budget": format_euros(summary.budget_cents),
                "spent": format_euros(summary.spent_cents),
                "remaining": format_euros(summary.remaining_cents),
            }
        )
    return render(
        request,
        "backoffice/collective/school_detail.html",
        {
            "school": school,
            "budgets": budgets,
            "members": list(school.members.select_related("user").order_by("role", "id")),
            "form": form or BudgetForm(current_year=school_year_of(clock.now().date())),
            "member_form": member_form or SchoolMemberForm(),
        },
        status=status,
    )


@require_GET
@staff_required("collective")
def school_detail(request: HttpRequest, school_id: int) -> HttpResponse:
    school = get_object_or_404(School, pk=school_id)
    return _school_page(request, school)


@require_POST
@staff_required("collective")
def school_budget_set(request: HttpRequest, school_id: int) -> HttpResponse:
    school = get_object_or_404(School, pk=school_id)
    form = BudgetForm(request.POST, current_year=school_year_of(clock.now().date()))
    if form.is_valid() and form.cleaned_data["amount"] is None:
        form.add_error("amount", _("Indiquez le montant du budget."))
    if form.is_valid():
        year = form.cleaned_data["school_year_start"]
        try:
            services.school_budget_set(
                actor=request.user,
                school=school,
                school_year_start=year,
                amount_cents=form.cleaned_data["amount"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"amount_cents": "amount"})
        else:
            messages.success(
                request,
                _("Le budget %(year)s de « %(name)s » est de %(amount)s.")
                % {
                    "year": school_year_label(year),
                    "name": school.name,
                    "amount": format_euros(form.cleaned_data["amount"]),
                },
            )
            return redirect("backoffice:collective_school_detail", school_id=school.pk)
    return _school_page(request, school, form=form, status=400)


@require_POST
@staff_required("collective")
def school_member_add(request: HttpRequest, school_id: int) -> HttpResponse:
    """Add a teacher or a head; they get an email to choose their password."""
    school = get_object_or_404(School, pk=school_id)
    form = SchoolMemberForm(request.POST)
    if form.is_valid():
        try:
            member = services.school_member_invite(
                actor=request.user,
                school=school,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                role=form.cleaned_data["role"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "%(name)s fait maintenant partie du personnel de « %(school)s » ; un email "
                    "lui est envoyé à %(email)s."
                )
                % {
                    "name": member.user.full_name,
                    "school": school.name,
                    "email": member.user.email,
                },
            )
            return redirect("backoffice:collective_school_detail", school_id=school.pk)
    return _school_page(request, school, member_form=form, status=400)


def _member(school_id: int, member_id: int) -> SchoolMember:
    return get_object_or_404(
        SchoolMember.objects.select_related("user", "school"), pk=member_id, school_id=school_id
    )


@require_GET
@staff_required("collective")
def school_member_remove_confirm(
    request: HttpRequest, school_id: int, member_id: int
) -> HttpResponse:
    """Ask before detaching a person from the school (the page posts to ``school_member_remove``)."""
    member = _member(school_id, member_id)
    return render(
        request,
        "backoffice/collective/school_member_remove.html",
        {"member": member, "school": member.school},
    )


@require_POST
@staff_required("collective")
def school_member_remove(request: HttpRequest, school_id: int, member_id: int) -> HttpResponse:
    member = _member(school_id, member_id)
    try:
        services.school_member_remove(actor=request.user, member=member, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s ne fait plus partie du personnel de « %(school)s ».")
            % {"name": member.user.full_name, "school": member.school.name},
        )
    return redirect("backoffice:collective_school_detail", school_id=school_id)
