"""Forms of the pro "Gestion financière" bank pages: input parsing only.

The field checks are the services' own (``finance.services.iban_clean`` …), run per field so
that every error shows at once, next to its field; the services check again on save.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.finance import services as finance
from culturepass.finance.models import BankAccount
from culturepass.offerers.models import Venue
from culturepass.pro.forms import _DomainCleanMixin


class BankAccountForm(_DomainCleanMixin, forms.Form):
    label = forms.CharField(
        label=_("Intitulé du compte"),
        max_length=100,
        help_text=_("Pour le reconnaître parmi vos comptes, par exemple « Compte festival »."),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("Espaces autorisés, par exemple FR76 3000 6000 0112 3456 7890 189."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=20,
        required=False,
        help_text=_(
            "8 ou 11 caractères. Laissé vide, il est déduit de l'IBAN si la banque est connue."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    document = forms.FileField(
        label=_("Justificatif bancaire (RIB)"),
        help_text=_("PDF, PNG ou JPEG, 10 Mo au plus, au nom de la structure."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args: Any, correcting: BankAccount | None = None, **kwargs: Any):
        if correcting is not None:
            kwargs.setdefault(
                "initial",
                {"label": correcting.label, "iban": correcting.iban, "bic": correcting.bic},
            )
        super().__init__(*args, **kwargs)
        if correcting is not None and correcting.document:
            self.fields["document"].required = False
            self.fields["document"].help_text = _(
                "PDF, PNG ou JPEG, 10 Mo au plus. Laissé vide, le justificatif déjà envoyé est "
                "conservé."
            )

    def clean_label(self) -> str:
        return self._domain(finance.label_clean, self.cleaned_data["label"])

    def clean_iban(self) -> str:
        return self._domain(finance.iban_clean, self.cleaned_data["iban"])

    def clean_bic(self) -> str:
        # A wrong IBAN is reported on its own field; the BIC is then checked alone.
        return self._domain(
            finance.bic_clean, self.cleaned_data["bic"], iban=self.cleaned_data.get("iban")
        )

    def clean_document(self) -> Any:
        document = self.cleaned_data.get("document")
        if document:
            self._domain(finance.document_check, document)
        return document or None


class VenueLinkForm(_DomainCleanMixin, forms.Form):
    bank_account = forms.TypedChoiceField(
        label=_("Compte bancaire"), coerce=int, widget=forms.RadioSelect
    )
    venues = forms.TypedMultipleChoiceField(
        label=_("Lieux à rattacher"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    confirm_move = forms.BooleanField(
        label=_(
            "Je confirme : les lieux déjà rattachés à un autre compte seront remboursés sur ce "
            "compte à partir de maintenant."
        ),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        accounts: list[BankAccount],
        venue_choices: list[tuple[int, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["bank_account"]).choices = [
            (a.pk, f"{a.label} ({finance.iban_display(a.iban, full=True)})") for a in accounts
        ]
        cast(forms.ChoiceField, self.fields["venues"]).choices = venue_choices


class PricingPointForm(_DomainCleanMixin, forms.Form):
    pricing_point = forms.TypedChoiceField(
        label=_("Point de valorisation"),
        coerce=int,
        help_text=_(
            "Le lieu avec SIRET dont le chiffre d'affaires annuel compte aussi les réservations "
            "de ce lieu (les seuils de remboursement en dépendent). Ce choix est définitif."
        ),
    )

    def __init__(self, *args: Any, candidates: list[Venue], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["pricing_point"]).choices = [
            ("", _("Choisir un lieu")),
            *((v.pk, f"{v.display_name} (SIRET {v.siret})") for v in candidates),
        ]
