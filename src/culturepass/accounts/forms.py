"""Account forms: they parse input; the rules live in ``accounts.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from culturepass.accounts import services
from culturepass.accounts.models import User
from culturepass.core.errors import DomainError


class BaseForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No " :" after labels (Form.__init__ would overwrite a class attribute).
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_phone(self) -> str:
        # Checked here too so that a bad number shows up with the other errors.
        try:
            return services.phone_normalize(self.cleaned_data.get("phone") or "")
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal on its field when the form has it, else on the form."""
        field = error.field if error.field in self.fields else None
        messages = getattr(error, "messages", None) or [error.message]
        for message in messages:
            self.add_error(field, forms.ValidationError(message, code=error.code))


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label=_("Adresse email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _password_field(label: Any, autocomplete: str, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def _first_name_field() -> forms.CharField:
    return forms.CharField(
        label=_("Prénom"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )


def _last_name_field() -> forms.CharField:
    return forms.CharField(
        label=_("Nom"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )


def _phone_field() -> forms.CharField:
    return forms.CharField(
        label=_("Téléphone (facultatif)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


_NEW_PASSWORD_HELP = _(
    "Au moins 12 caractères. Évitez les mots de passe courants ou proches de votre nom."
)
_PASSWORDS_DIFFER = _("Les deux mots de passe ne sont pas identiques.")


class _NewPasswordMixin(BaseForm):
    """Two password fields that must match; strength is the service's call."""

    password_field = "password"
    confirm_field = "password_confirm"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first = cleaned.get(self.password_field)
        second = cleaned.get(self.confirm_field)
        if first and second and first != second:
            self.add_error(self.confirm_field, _PASSWORDS_DIFFER)
        return cleaned


class SignupForm(_NewPasswordMixin):
    email = _email_field()
    first_name = _first_name_field()
    last_name = _last_name_field()
    phone = _phone_field()
    password = _password_field(_("Mot de passe"), "new-password", _NEW_PASSWORD_HELP)
    password_confirm = _password_field(_("Confirmation du mot de passe"), "new-password")
    accept_terms = forms.BooleanField(
        label=_("J'accepte les conditions générales d'utilisation de culturepass."),
        error_messages={
            "required": _("Vous devez accepter les conditions générales d'utilisation.")
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and not self.has_error("password_confirm"):
            # Checked here too so that a weak password shows up with the other errors.
            candidate = User(
                email=cleaned.get("email") or "",
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
            try:
                services.password_validate(password=password, user=candidate)
            except DomainError as exc:
                self.add_domain_error(exc)
        return cleaned


class LoginForm(BaseForm):
    """Email and password; ``request`` goes to ``authenticate`` so django-axes can count failures."""

    # Named "username": django-axes reads the login under AXES_USERNAME_FORM_FIELD.
    username = _email_field()
    password = _password_field(_("Mot de passe"), "current-password")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    error_messages = {
        "invalid_login": _(
            "Adresse email ou mot de passe incorrect. Après plusieurs erreurs, la "
            "connexion est bloquée pendant un moment."
        ),
    }

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None
        self.unverified_user: User | None = None

    def clean_username(self) -> str:
        # One spelling per address, so that the lockout counts every case variant together.
        return str(self.cleaned_data["username"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        username, password = cleaned.get("username"), cleaned.get("password")
        if not username or not password:
            return cleaned
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        assert isinstance(user, User)
        try:
            services.user_check_can_log_in(user=user)
        except services.EmailNotVerified as exc:
            self.unverified_user = user
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        self.user = user
        return cleaned


class EmailForm(BaseForm):
    email = _email_field()


class SetPasswordForm(_NewPasswordMixin):
    password = _password_field(_("Nouveau mot de passe"), "new-password", _NEW_PASSWORD_HELP)
    password_confirm = _password_field(_("Confirmation du nouveau mot de passe"), "new-password")


class PasswordChangeForm(_NewPasswordMixin):
    password_field = "new_password"
    confirm_field = "new_password_confirm"

    old_password = _password_field(_("Mot de passe actuel"), "current-password")
    new_password = _password_field(_("Nouveau mot de passe"), "new-password", _NEW_PASSWORD_HELP)
    new_password_confirm = _password_field(
        _("Confirmation du nouveau mot de passe"), "new-password"
    )


class ProfileForm(BaseForm):
    first_name = _first_name_field()
    last_name = _last_name_field()
    phone = _phone_field()
