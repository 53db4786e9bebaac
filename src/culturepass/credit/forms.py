"""Beneficiary sign-up form: parses input; the rules live in ``credit.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.accounts.forms import BaseForm
from culturepass.accounts.models import User
from culturepass.accounts.services import password_validate
from culturepass.core.errors import DomainError

_PASSWORD_HELP = _(
    "Au moins 12 caractères. Évitez les mots de passe courants ou proches de votre nom."
)


class BeneficiarySignupForm(BaseForm):
    email = forms.EmailField(
        label=_("Adresse email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    first_name = forms.CharField(
        label=_("Prénom"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Nom"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        help_text=_("Le pass est ouvert selon votre âge à l'inscription."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": _("Saisissez votre date de naissance."),
            "invalid": _("Saisissez une date valide, par exemple 14/07/2008."),
        },
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        error_messages={"required": _("Saisissez votre numéro de téléphone.")},
    )
    street = forms.CharField(
        label=_("Adresse"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        error_messages={"required": _("Saisissez votre adresse.")},
    )
    postal_code = forms.CharField(
        label=_("Code postal"),
        max_length=5,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "inputmode": "numeric", "pattern": "[0-9AB]{5}"}
        ),
        error_messages={"required": _("Saisissez votre code postal.")},
    )
    city = forms.CharField(
        label=_("Ville"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        error_messages={"required": _("Saisissez votre ville.")},
    )
    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        help_text=_PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(
        label=_("J'accepte les conditions générales d'utilisation de culturepass."),
        error_messages={
            "required": _("Vous devez accepter les conditions générales d'utilisation.")
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            # Checked here too so that a weak password shows up with the other errors.
            candidate = User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validate(password=password, user=candidate)
            except DomainError as exc:
                self.add_domain_error(exc)
        return cleaned
