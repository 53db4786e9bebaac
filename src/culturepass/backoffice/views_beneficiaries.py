"""Backoffice beneficiary pages: identities to check, one beneficiary's profile and credit.

Staff act through ``credit.services`` (identity approve / reject), which check the
``support`` permission again, grant the credit and write the audit log.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from culturepass.backoffice.access import staff_required
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.credit import schemes, selectors, services
from culturepass.credit.models import BeneficiaryProfile

PAGE_SIZE = 50


class IdentityRejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du refus"),
        help_text=gettext_lazy("Envoyé par email au jeune ; il doit comprendre quoi corriger."),
        max_length=services.MAX_REJECTION_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy("Indiquez le motif du refus : il est envoyé au bénéficiaire.")
        },
    )


def _profile(user_id: int) -> BeneficiaryProfile:
    profile = selectors.beneficiary_profile(user_id=user_id)
    if profile is None:
        raise Http404
    return profile


@require_GET
@staff_required("support")
def beneficiary_queue(request: HttpRequest) -> HttpResponse:
    """Identities waiting for a decision, the longest waiting first."""
    now = clock.now()
    page = Paginator(selectors.identity_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    today = schemes.local_date(now)
    rows = [(p, schemes.age_on(p.birth_date, today)) for p in page.object_list]
    return render(
        request,
        "backoffice/beneficiaries/queue.html",
        {"page": page, "rows": rows, "reject_form": IdentityRejectForm()},
    )


def _detail_context(profile: BeneficiaryProfile, reject_form: IdentityRejectForm) -> dict[str, Any]:
    now = clock.now()
    user = profile.user
    return {
        "profile": profile,
        "subject": user,
        "age": schemes.age_on(profile.birth_date, schemes.local_date(now)),
        "summary": selectors.credit_summary(user=user, now=now),
        "history": selectors.credit_history(user=user),
        "is_pending": profile.identity_status == BeneficiaryProfile.Identity.PENDING,
        "reject_form": reject_form,
    }


@require_GET
@staff_required("support")
def beneficiary_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    profile = _profile(user_id)
    return render(
        request,
        "backoffice/beneficiaries/detail.html",
        _detail_context(profile, IdentityRejectForm()),
    )


@require_POST
@staff_required("support")
def beneficiary_approve(request: HttpRequest, user_id: int) -> HttpResponse:
    profile = _profile(user_id)
    try:
        services.identity_approve(actor=request.user, user=profile.user, now=clock.now())  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:beneficiary_detail", user_id=user_id)
    messages.success(
        request,
        _("L'identité de %(name)s est vérifiée ; son crédit est versé.")
        % {"name": profile.user.full_name},
    )
    return redirect("backoffice:beneficiary_queue")


@require_POST
@staff_required("support")
def beneficiary_reject(request: HttpRequest, user_id: int) -> HttpResponse:
    profile = _profile(user_id)
    form = IdentityRejectForm(request.POST)
    if form.is_valid():
        try:
            services.identity_reject(
                actor=request.user,  # type: ignore[arg-type]
                user=profile.user,
                reason=form.cleaned_data["reason"],
                now=clock.now(),
            )
        except DomainError as exc:
            if exc.field != "reason":
                messages.error(request, exc.message)
                return redirect("backoffice:beneficiary_detail", user_id=user_id)
            form.add_error("reason", exc.message)
        else:
            messages.success(
                request,
                _("L'identité de %(name)s est refusée ; le motif lui est envoyé.")
                % {"name": profile.user.full_name},
            )
            return redirect("backoffice:beneficiary_queue")
    return render(
        request,
        "backoffice/beneficiaries/detail.html",
        _detail_context(profile, form),
        status=400,
    )
