"""Beneficiary sign-up pages (mounted by the project at /app/inscription/, namespace "credit").

Thin: parse the form, call ``credit.services.beneficiary_signup``, render. After sign-up the
young person confirms the address from the email; that link logs in this browser.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from culturepass.accounts.services import EMAIL_VERIFICATION_VALIDITY
from culturepass.accounts.views import PENDING_SESSION_KEY, _pending_user
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.credit import schemes, services
from culturepass.credit.forms import BeneficiarySignupForm


def _namespace(request: HttpRequest) -> str:
    """ "credit", or "app:credit" where the beneficiary app includes these pages."""
    match = request.resolver_match
    return match.namespace if match and match.namespace else "credit"


@sensitive_post_parameters("password")
@never_cache
def beneficiary_signup(request: HttpRequest) -> HttpResponse:
    form = BeneficiarySignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.beneficiary_signup(
                email=data["email"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                phone=data["phone"],
                street=data["street"],
                postal_code=data["postal_code"],
                city=data["city"],
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            # As for pros: the verification link opened in this browser logs in.
            request.session[PENDING_SESSION_KEY] = user.pk
            return redirect(f"{_namespace(request)}:beneficiary_signup_done")
    scheme = schemes.scheme_at(clock.now())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "credit/signup.html",
        {
            "form": form,
            "eligibility": schemes.eligibility_message(scheme),
            "grants": sorted(scheme.grants_by_age.items()),
        },
        status=status,
    )


@never_cache
def beneficiary_signup_done(request: HttpRequest) -> HttpResponse:
    """'Check your emails', with a button to send the link again."""
    pending = _pending_user(request)
    return render(
        request,
        "credit/signup_done.html",
        {
            "pending_user": pending,
            "resend_form": None,
            "validity_days": EMAIL_VERIFICATION_VALIDITY.days,
        },
    )
