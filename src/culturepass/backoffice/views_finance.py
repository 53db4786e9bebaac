"""Backoffice review of bank accounts (staff holding the ``finance`` permission).

Staff decide through the same services as everywhere else (``finance.services``), which check
the permission again, write the history and the audit log and email the structure.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from culturepass.backoffice.access import staff_required
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.finance import services as finance
from culturepass.finance.models import BankAccount, VenueBankAccountLink
from culturepass.pro.views_finance import document_response

PAGE_SIZE = 50
Status = BankAccount.Status

# action (the pressed button's value) → (service, success message)
DECISIONS: dict[str, tuple[Any, Any]] = {
    "accept": (finance.bank_account_accept, gettext_lazy("Le compte bancaire est validé.")),
    "refuse": (finance.bank_account_refuse, gettext_lazy("Le compte bancaire est refusé.")),
    "correction": (
        finance.bank_account_request_correction,
        gettext_lazy("Une correction est demandée à la structure."),
    ),
    "without_follow_up": (
        finance.bank_account_close_without_follow_up,
        gettext_lazy("Le compte bancaire est classé sans suite."),
    ),
}
DECISION_TARGETS = {
    "accept": Status.ACCEPTED,
    "refuse": Status.REFUSED,
    "correction": Status.NEEDS_CORRECTION,
    "without_follow_up": Status.WITHOUT_FOLLOW_UP,
}
DECISION_LABELS = {
    "accept": gettext_lazy("Valider"),
    "refuse": gettext_lazy("Refuser"),
    "correction": gettext_lazy("Demander une correction"),
    "without_follow_up": gettext_lazy("Classer sans suite"),
}


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Statut"),
        required=False,
        choices=[("", gettext_lazy("Tous")), *Status.choices],
    )


class DecisionForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Message envoyé par email à la structure"),
        help_text=gettext_lazy("Obligatoire pour un refus ou une demande de correction."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@require_GET
@staff_required("finance")
def bank_account_list(request: HttpRequest) -> HttpResponse:
    """The review queue (under review, oldest first) or every account of one status."""
    form = StatusFilterForm(request.GET or {"status": Status.UNDER_REVIEW})
    status = form.cleaned_data["status"] if form.is_valid() else Status.UNDER_REVIEW
    queryset = (
        finance.bank_accounts_under_review()
        if status == Status.UNDER_REVIEW
        else BankAccount.objects.select_related("offerer").order_by("-status_changed_at", "-id")
    )
    if status and status != Status.UNDER_REVIEW:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/finance/bank_list.html",
        {
            "form": form,
            "status": status,
            "page": page,
            "rows": [(a, finance.iban_display(a.iban, full=True)) for a in page.object_list],
            "query": f"status={status}",
        },
    )


def _detail(
    request: HttpRequest, account: BankAccount, form: DecisionForm, status: int = 200
) -> HttpResponse:
    links = (
        VenueBankAccountLink.objects.filter(bank_account=account)
        .select_related("venue")
        .order_by("-timespan", "venue__name")
    )
    allowed = finance.STAFF_TRANSITIONS.get(account.status, frozenset())
    return render(
        request,
        "backoffice/finance/bank_detail.html",
        {
            "account": account,
            "iban": finance.iban_display(account.iban, full=True),
            "history": account.history.select_related("actor").order_by("-at", "-id"),
            "links": links,
            "now": clock.now(),
            "decisions": [
                (name, DECISION_LABELS[name])
                for name, target in DECISION_TARGETS.items()
                if target in allowed
            ],
            "form": form,
        },
        status=status,
    )


@require_GET
@staff_required("finance")
def bank_account_detail(request: HttpRequest, bank_account_id: int) -> HttpResponse:
    account = get_object_or_404(BankAccount.objects.select_related("offerer"), pk=bank_account_id)
    return _detail(request, account, DecisionForm())


@require_GET
@staff_required("finance")
def bank_account_document(request: HttpRequest, bank_account_id: int) -> HttpResponse:
    return document_response(get_object_or_404(BankAccount, pk=bank_account_id))


@require_POST
@staff_required("finance")
def bank_account_decide(request: HttpRequest, bank_account_id: int) -> HttpResponse:
    account = get_object_or_404(BankAccount.objects.select_related("offerer"), pk=bank_account_id)
    action = request.POST.get("action", "")
    if action not in DECISIONS:
        messages.error(request, _("Choisissez une décision."))
        return redirect("backoffice:finance_bank_account_detail", bank_account_id=account.pk)
    form = DecisionForm(request.POST)
    form.is_valid()  # a free text: always valid
    service, success = DECISIONS[action]
    try:
        service(
            actor=request.user,
            bank_account=account,
            message=form.cleaned_data.get("message", ""),
            now=clock.now(),
        )
    except DomainError as exc:
        form.add_error("message" if exc.field == "message" else None, exc.message)
        return _detail(request, account, form, status=400)
    messages.success(request, str(success))
    return redirect("backoffice:finance_bank_account_detail", bank_account_id=account.pk)
