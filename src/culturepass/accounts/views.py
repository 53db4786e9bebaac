"""Account pages: parse the form, call one service, render or redirect."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from culturepass.accounts import services
from culturepass.accounts.forms import (
    EmailForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    SetPasswordForm,
    SignupForm,
)
from culturepass.accounts.models import User
from culturepass.accounts.selectors import user_staff_roles
from culturepass.core import clock
from culturepass.core.errors import DomainError

# The account that signed up (or gave its password) in this browser but has not
# confirmed its address yet: the "check your inbox" page can resend to it.
PENDING_SESSION_KEY = "accounts_pending_user_id"
# As Django's own view does: the reset token moves from the URL to the session
# so that it cannot leak through the Referer header of the password page.
RESET_SESSION_KEY = "accounts_password_reset_token"
RESET_URL_TOKEN = "definir"  # a placeholder, not a secret
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "caller is decorated with login_required"
    return user


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_SESSION_KEY)
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True, email_verified_at__isnull=True).first()


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    user = request.user
    # Young people land in their app; pros (and staff) in the pro portal.
    if getattr(user, "is_beneficiary", False) and not (
        getattr(user, "is_pro", False) or user.is_staff
    ):
        return resolve_url(getattr(settings, "BENEFICIARY_HOME_URL", "/app/"))
    # Teachers and school heads land in the schools portal.
    if not (getattr(user, "is_pro", False) or user.is_staff) and _is_school_member(user):
        return resolve_url("schools:home")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _is_school_member(user: object) -> bool:
    from culturepass.collective.models import SchoolMember

    user_id = getattr(user, "pk", None)
    return user_id is not None and SchoolMember.objects.filter(user_id=user_id).exists()


def _resend_context(request: HttpRequest) -> dict[str, object]:
    pending = _pending_user(request)
    return {"pending_user": pending, "resend_form": None if pending else EmailForm()}


# --- Login and logout ------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = LoginForm(request, request.POST)
        if form.is_valid():
            assert form.user is not None
            auth_login(request, form.user)
            request.session.pop(PENDING_SESSION_KEY, None)
            return redirect(_safe_next(request, form.cleaned_data["next"]))
        if form.unverified_user is not None:
            request.session[PENDING_SESSION_KEY] = form.unverified_user.pk
    else:
        form = LoginForm(request, initial={"next": request.GET.get("next", "")})
    return render(
        request,
        "accounts/login.html",
        {"form": form, "unverified": form.unverified_user is not None},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- Sign-up and email verification ------------------------------------------------------


@sensitive_post_parameters("password", "password_confirm")
def signup_view(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_signup_pro(
                email=data["email"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            request.session[PENDING_SESSION_KEY] = user.pk
            return redirect("accounts:check_inbox")
    return render(request, "accounts/signup.html", {"form": form})


def check_inbox_view(request: HttpRequest) -> HttpResponse:
    """'Check your inbox', with a button to send the link again."""
    pending = _pending_user(request)
    form = EmailForm(request.POST or None) if pending is None else None
    if request.method == "POST":
        now = clock.now()
        if pending is not None:
            try:
                services.verification_email_resend(user=pending, now=now)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Un nouveau lien de confirmation vient d'être envoyé."))
            return redirect("accounts:check_inbox")
        if form is not None and form.is_valid():
            services.verification_email_request(email=form.cleaned_data["email"], now=now)
            messages.success(
                request,
                _(
                    "Si un compte en attente de confirmation existe pour cette adresse, "
                    "un nouveau lien vient d'y être envoyé."
                ),
            )
            return redirect("accounts:check_inbox")
    context = {
        "pending_user": pending,
        "resend_form": form,
        "validity_days": services.EMAIL_VERIFICATION_VALIDITY.days,
    }
    return render(request, "accounts/check_inbox.html", context)


def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.user_verify_email(token=token, now=clock.now())
    except services.AlreadyVerified as exc:
        messages.info(request, exc.message)
        return redirect("accounts:login")
    except DomainError as exc:
        context = {"error": exc, **_resend_context(request)}
        return render(request, "accounts/verify_failed.html", context, status=400)
    # Only the browser that signed up (or gave the password) is logged in by the link:
    # a link forwarded or scanned elsewhere only confirms the address.
    if request.session.get(PENDING_SESSION_KEY) == user.pk:
        auth_login(request, user, backend=_MODEL_BACKEND)
        request.session.pop(PENDING_SESSION_KEY, None)
        messages.success(request, _("Votre adresse email est confirmée. Bienvenue !"))
        return redirect(_safe_next(request, ""))
    messages.success(
        request, _("Votre adresse email est confirmée. Vous pouvez maintenant vous connecter.")
    )
    return redirect("accounts:login")


# --- Password reset ------------------------------------------------------------------------


def password_reset_view(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"], now=clock.now())
        return redirect("accounts:password_reset_done")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_done_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_done.html")


@sensitive_post_parameters("password", "password_confirm")
@never_cache
def password_reset_confirm_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if token != RESET_URL_TOKEN:
        request.session[RESET_SESSION_KEY] = token
        return redirect("accounts:password_reset_confirm", uidb64=uidb64, token=RESET_URL_TOKEN)
    token = request.session.get(RESET_SESSION_KEY, "")
    try:
        services.password_reset_user(uidb64=uidb64, token=token)
    except DomainError as exc:
        return render(request, "accounts/password_reset_confirm.html", {"error": exc}, status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_complete(
                uidb64=uidb64, token=token, password=form.cleaned_data["password"], now=clock.now()
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            request.session.pop(RESET_SESSION_KEY, None)
            return redirect("accounts:password_reset_complete")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


def password_reset_complete_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_complete.html")


# --- Profile ---------------------------------------------------------------------------------


def _profile_page(
    request: HttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    password_form: PasswordChangeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _current_user(request)
    if profile_form is None:
        profile_form = ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "phone": user.phone,
            }
        )
    context = {
        "profile_form": profile_form,
        "password_form": password_form or PasswordChangeForm(),
        "staff_roles": user_staff_roles(user=user),
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        user = _current_user(request)
        try:
            services.user_update_profile(
                user=user, actor=user, now=clock.now(), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Vos informations sont enregistrées."))
            return redirect("accounts:profile")
    return _profile_page(request, profile_form=form)


@login_required
@require_POST
@sensitive_post_parameters("old_password", "new_password", "new_password_confirm")
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        user = _current_user(request)
        try:
            services.user_change_password(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            update_session_auth_hash(request, user)  # stay logged in here, not elsewhere
            messages.success(request, _("Votre mot de passe a été modifié."))
            return redirect(reverse("accounts:profile"))
    return _profile_page(request, password_form=form)
