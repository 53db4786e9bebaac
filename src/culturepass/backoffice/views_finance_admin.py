"""Backoffice finance administration: payment runs (list, detail, SEPA file, invoices, launching a
run), custom reimbursement rules, incidents on reimbursed bookings.

Staff holding the ``finance`` permission only. Views parse input, call one finance service
(``payment_run_execute``, ``custom_rule_create``, ``incident_*``, which check, audit and raise
French ``DomainError``s) or read, and render.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from culturepass.backoffice.access import staff_required
from culturepass.bookings.models import Booking
from culturepass.bookings.rules import normalize_code
from culturepass.catalog import catalogue
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.finance import calendar, incidents, payments, pricing
from culturepass.finance.exports import rate_label
from culturepass.finance.invoices import invoice_pdf
from culturepass.finance.models import (
    CustomReimbursementRule,
    FinanceIncident,
    Invoice,
    Payment,
    PaymentRun,
)
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers.models import Offer
from culturepass.pro.forms_offers import EurosField, apply_domain_error, format_euros

PAGE_SIZE = 50


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _paris_midnight(day: dt.date) -> dt.datetime:
    """Rules and run days are chosen as Paris calendar days."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=calendar.PARIS).astimezone(dt.UTC)


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- Payment runs ----------------------------------------------------------------------------


def latest_due_cutoff(now: dt.datetime) -> dt.datetime:
    """The most recent cutoff at or before ``now`` (what "Lancer le virement" runs by default)."""
    return calendar.previous_cutoff(calendar.next_cutoff(now))


class PaymentRunLaunchForm(forms.Form):
    run_day = forms.DateField(
        label=gettext_lazy("Jour du virement"),
        required=False,
        widget=_date_input(),
        help_text=gettext_lazy(
            "Le 1er ou le 16 d'un mois, déjà arrivé. Laissez vide pour la dernière échéance."
        ),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide.")},
    )

    def __init__(self, *args: Any, now: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def clean_run_day(self) -> dt.date | None:
        day = self.cleaned_data.get("run_day")
        if day is None:
            return None
        if day.day not in calendar.RUN_DAYS:
            raise forms.ValidationError(_("Les virements ont lieu le 1er et le 16 du mois."))
        # A cutoff still to come is refused by the service itself (its message is shown).
        return day

    def cutoff(self) -> dt.datetime:
        day = self.cleaned_data.get("run_day")
        return calendar.cutoff_for(day) if day else latest_due_cutoff(self.now)


def _runs_render(
    request: HttpRequest, form: PaymentRunLaunchForm, *, status: int = 200
) -> HttpResponse:
    runs = PaymentRun.objects.annotate(
        payment_count=Count("payments"), total_cents=Sum("payments__amount_cents")
    ).order_by("-cutoff")
    page = _page(request, runs)
    rows = [
        {
            "run": run,
            "period": calendar.period_label(run.cutoff),
            "run_day": calendar.run_day_of(run.cutoff),
            "total": format_euros(run.total_cents or 0),
        }
        for run in page.object_list
    ]
    latest = latest_due_cutoff(form.now)
    return render(
        request,
        "backoffice/finance/admin_runs.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "latest_run_day": calendar.run_day_of(latest),
            "latest_period": calendar.period_label(latest),
        },
        status=status,
    )


@require_GET
@staff_required("finance")
def payment_run_list(request: HttpRequest) -> HttpResponse:
    return _runs_render(request, PaymentRunLaunchForm(now=clock.now()))


@require_POST
@staff_required("finance")
def payment_run_launch(request: HttpRequest) -> HttpResponse:
    """Runs (or resumes) the payment run of the chosen cutoff; a DONE run is returned as is."""
    now = clock.now()
    form = PaymentRunLaunchForm(request.POST, now=now)
    if not form.is_valid():
        return _runs_render(request, form, status=400)
    try:
        run = payments.payment_run_execute(cutoff=form.cutoff(), actor=request.user, now=now)
    except DomainError as exc:
        form.add_error("run_day", exc.message)
        return _runs_render(request, form, status=400)
    messages.success(
        request,
        _("Le virement %(label)s (%(period)s) est effectué.")
        % {"label": run.label, "period": calendar.period_label(run.cutoff)},
    )
    return redirect("backoffice:finance_run_detail", run_id=run.pk)


@require_GET
@staff_required("finance")
def payment_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(PaymentRun, pk=run_id)
    run_payments = (
        Payment.objects.filter(run=run)
        .select_related("bank_account", "offerer", "invoice")
        .order_by("offerer__name", "bank_account__label", "pk")
    )
    page = _page(request, run_payments)
    rows = []
    for payment in page.object_list:
        invoice: Invoice | None = getattr(payment, "invoice", None)
        rows.append(
            {"payment": payment, "invoice": invoice, "amount": format_euros(payment.amount_cents)}
        )
    totals = Payment.objects.filter(run=run).aggregate(total=Sum("amount_cents"), count=Count("pk"))
    return render(
        request,
        "backoffice/finance/admin_run_detail.html",
        {
            "run": run,
            "period": calendar.period_label(run.cutoff),
            "run_day": calendar.run_day_of(run.cutoff),
            "page": page,
            "rows": rows,
            "total": format_euros(totals["total"] or 0),
            "payment_count": totals["count"],
        },
    )


@require_GET
@staff_required("finance")
def payment_run_sepa(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(PaymentRun, pk=run_id)
    if not run.sepa_xml:
        raise Http404
    response = HttpResponse(bytes(run.sepa_xml), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{run.label}.xml"'
    return response


@require_GET
@staff_required("finance")
def invoice_pdf_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(
        Invoice.objects.select_related("payment__run", "bank_account", "offerer"), pk=invoice_id
    )
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


# --- Custom reimbursement rules --------------------------------------------------------------


def _rule_target(rule: CustomReimbursementRule) -> str:
    if rule.offer_id:
        return _("Offre n° %(id)s : %(name)s") % {"id": rule.offer_id, "name": rule.offer}
    if rule.venue_id:
        return _("Lieu n° %(id)s : %(name)s") % {"id": rule.venue_id, "name": rule.venue}
    return _("Structure n° %(id)s : %(name)s") % {"id": rule.offerer_id, "name": rule.offerer}


def _rule_value(rule: CustomReimbursementRule) -> str:
    if rule.amount_cents is not None:
        return _("%(amount)s par place") % {"amount": format_euros(rule.amount_cents)}
    return rate_label(rule.rate or Decimal(0))


@require_GET
@staff_required("finance")
def custom_rule_list(request: HttpRequest) -> HttpResponse:
    rules = CustomReimbursementRule.objects.select_related("offer", "venue", "offerer").order_by(
        "-created_at", "-pk"
    )
    page = _page(request, rules)
    rows = [
        {
            "rule": rule,
            "target": _rule_target(rule),
            "value": _rule_value(rule),
            "subcategories": ", ".join(
                catalogue.subcategory_label(s) for s in rule.subcategory_ids
            ),
        }
        for rule in page.object_list
    ]
    return render(request, "backoffice/finance/admin_rules.html", {"page": page, "rows": rows})


TARGET_CHOICES = (
    ("offer", gettext_lazy("Offre")),
    ("venue", gettext_lazy("Lieu")),
    ("offerer", gettext_lazy("Structure")),
)
_TARGET_MODELS: dict[str, type[Offer] | type[Venue] | type[Offerer]] = {
    "offer": Offer,
    "venue": Venue,
    "offerer": Offerer,
}


def _subcategory_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (
            catalogue.category_label(category.id),
            [(sub.id, catalogue.subcategory_label(sub.id)) for sub in subs],
        )
        for category, subs in catalogue.subcategories_by_category()
    ]


class CustomRuleForm(forms.Form):
    target_kind = forms.ChoiceField(
        label=gettext_lazy("La règle porte sur"), choices=TARGET_CHOICES, widget=forms.RadioSelect
    )
    target_id = forms.IntegerField(
        label=gettext_lazy("Numéro de l'offre, du lieu ou de la structure"), min_value=1
    )
    rate = forms.DecimalField(
        label=gettext_lazy("Taux de remboursement (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        # "92,5" as typed in French.
        localize=True,
        help_text=gettext_lazy("Par exemple 95. Ou bien un montant fixe, pour une offre."),
    )
    amount = EurosField(
        label=gettext_lazy("Montant fixe par place (€)"),
        required=False,
        help_text=gettext_lazy("Pour une offre seulement, à la place d'un taux."),
    )
    subcategory_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Sous-catégories"),
        required=False,
        help_text=gettext_lazy("Aucune : toutes les sous-catégories."),
    )
    valid_from = forms.DateField(label=gettext_lazy("À partir du"), widget=_date_input())
    valid_until = forms.DateField(
        label=gettext_lazy("Jusqu'au (exclu)"),
        required=False,
        widget=_date_input(),
        help_text=gettext_lazy("Laissez vide pour une règle sans fin."),
    )
    label = forms.CharField(label=gettext_lazy("Intitulé"), required=False, max_length=140)

    error_aliases = {
        "offer": "target_id",
        "venue": "target_id",
        "offerer": "target_id",
        "amount_cents": "amount",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subcategory_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _subcategory_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, target_id = data.get("target_kind"), data.get("target_id")
        if kind in _TARGET_MODELS and target_id:
            target = _TARGET_MODELS[kind].objects.filter(pk=target_id).first()
            if target is None:
                self.add_error("target_id", _("Aucun élément de ce type ne porte ce numéro."))
            data["target"] = target
        if data.get("rate") is None and data.get("amount") is None:
            self.add_error("rate", _("Indiquez un taux ou un montant fixe."))
        elif data.get("rate") is not None and data.get("amount") is not None:
            self.add_error("amount", _("Indiquez un taux ou un montant fixe, pas les deux."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["target_kind"]
        rate = data.get("rate")
        until = data.get("valid_until")
        return {
            "offer": data["target"] if kind == "offer" else None,
            "venue": data["target"] if kind == "venue" else None,
            "offerer": data["target"] if kind == "offerer" else None,
            "rate": None if rate is None else (rate / 100).quantize(Decimal("0.0001")),
            "amount_cents": data.get("amount"),
            "subcategory_ids": tuple(data.get("subcategory_ids") or ()),
            "valid_from": _paris_midnight(data["valid_from"]),
            "valid_until": _paris_midnight(until) if until else None,
            "label": data.get("label") or "",
        }


@require_http_methods(["GET", "POST"])
@staff_required("finance")
def custom_rule_create(request: HttpRequest) -> HttpResponse:
    form = CustomRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pricing.custom_rule_create(actor=request.user, now=clock.now(), **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("La règle de remboursement est créée."))
            return redirect("backoffice:finance_rules")
    status = 400 if request.method == "POST" else 200
    return render(request, "backoffice/finance/admin_rule_form.html", {"form": form}, status=status)


# --- Incidents -------------------------------------------------------------------------------


class IncidentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Statut"),
        required=False,
        choices=[("", gettext_lazy("Tous")), *FinanceIncident.Status.choices],
    )


@require_GET
@staff_required("finance")
def incident_list(request: HttpRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET or None)
    found = FinanceIncident.objects.select_related("booking", "venue").order_by(
        "-created_at", "-pk"
    )
    if form.is_valid() and form.cleaned_data.get("status"):
        found = found.filter(status=form.cleaned_data["status"])
    page = _page(request, found)
    rows = [
        {"incident": incident, "amount": format_euros(incident.amount_cents)}
        for incident in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/finance/admin_incidents.html",
        {"page": page, "rows": rows, "filter_form": form, "query": query.urlencode()},
    )


class IncidentForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Contremarque de la réservation"), max_length=20)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type d'incident"),
        choices=FinanceIncident.Kind.choices,
        widget=forms.RadioSelect,
    )
    amount = EurosField(
        label=gettext_lazy("Montant (€)"),
        help_text=gettext_lazy(
            "Trop-perçu : au plus le montant remboursé. Il est déduit des prochains virements."
        ),
    )
    reason = forms.CharField(label=gettext_lazy("Motif"), widget=forms.Textarea(attrs={"rows": 3}))

    error_aliases = {"amount_cents": "amount", "booking": "code"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = data.get("code")
        if code:
            booking = (
                Booking.objects.select_related("offer", "venue")
                .filter(code=normalize_code(code))
                .first()
            )
            if booking is None:
                self.add_error("code", _("Aucune réservation ne porte cette contremarque."))
            data["booking"] = booking
        if data.get("amount") is not None and data["amount"] <= 0:
            self.add_error("amount", _("Le montant doit être positif."))
        return data


@require_http_methods(["GET", "POST"])
@staff_required("finance")
def incident_create(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incidents.incident_create(
                actor=request.user,
                booking=data["booking"],
                kind=data["kind"],
                amount_cents=data["amount"],
                reason=data["reason"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("L'incident sur la réservation %(code)s est créé ; validez-le pour l'appliquer.")
                % {"code": data["booking"].code},
            )
            return redirect("backoffice:finance_incidents")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "backoffice/finance/admin_incident_form.html", {"form": form}, status=status
    )


@require_POST
@staff_required("finance")
def incident_validate(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(FinanceIncident, pk=incident_id)
    try:
        incidents.incident_validate(actor=request.user, incident=incident, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("L'incident n° %(id)s est validé : il sera pris en compte au prochain virement.")
            % {"id": incident.pk},
        )
    return redirect("backoffice:finance_incidents")


@require_POST
@staff_required("finance")
def incident_cancel(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(FinanceIncident, pk=incident_id)
    try:
        incidents.incident_cancel(actor=request.user, incident=incident, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("L'incident n° %(id)s est annulé.") % {"id": incident.pk})
    return redirect("backoffice:finance_incidents")
