"""Forms of the beneficiary pages: they parse input, the selectors and services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.catalog import catalogue

RADIUS_CHOICES = [
    ("", _("Peu importe")),
    ("5", _("5 km")),
    ("10", _("10 km")),
    ("20", _("20 km")),
    ("50", _("50 km")),
    ("100", _("100 km")),
]


def category_choices() -> list[tuple[str, str]]:
    choices = [("", str(_("Toutes les catégories")))]
    choices += [
        (c.id, catalogue.category_label(c.id)) for c in catalogue.categories() if c.is_selectable
    ]
    return choices


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=200)
    categorie = forms.ChoiceField(label=_("Catégorie"), required=False, choices=())
    du = forms.DateField(
        label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    au = forms.DateField(
        label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rayon = forms.TypedChoiceField(
        label=_("Distance maximale"),
        required=False,
        choices=RADIUS_CHOICES,
        coerce=int,
        empty_value=None,
    )
    prix_max = forms.DecimalField(
        label=_("Prix maximum (€)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(300),
        decimal_places=2,
    )
    duo = forms.BooleanField(label=_("Offres duo uniquement"), required=False)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categorie"].choices = category_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("du"), data.get("au")
        if start and end and end < start:
            self.add_error("au", _("La date de fin doit suivre la date de début."))
        return data


class QuantityForm(forms.Form):
    quantity = forms.TypedChoiceField(
        label=_("Nombre de places"),
        coerce=int,
        choices=[(1, _("1 place")), (2, _("2 places (duo)"))],
        widget=forms.RadioSelect,
        initial=1,
    )

    def __init__(self, *args: Any, duo: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not duo:
            self.fields["quantity"].choices = [(1, _("1 place"))]  # type: ignore[attr-defined]
