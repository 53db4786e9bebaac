"""Forms of the pro portal's "Intégrations" section: input parsing only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.api.partner.keys import MAX_LABEL_LENGTH
from culturepass.offerers.models import Offerer, Venue


class ApiKeyCreateForm(forms.Form):
    label = forms.CharField(
        label=_("Nom de la clé"),
        max_length=MAX_LABEL_LENGTH,
        help_text=_("Pour la reconnaître, par exemple le nom de votre logiciel de billetterie."),
    )
    venues = forms.ModelMultipleChoiceField(
        label=_("Lieux accessibles"),
        queryset=Venue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun lieu coché : la clé donne accès à tous les lieux de la structure."),
    )

    def __init__(self, *args: Any, offerer: Offerer, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        venues = self.fields["venues"]
        assert isinstance(venues, forms.ModelMultipleChoiceField)
        venues.queryset = Venue.objects.filter(offerer=offerer).order_by("name", "pk")
