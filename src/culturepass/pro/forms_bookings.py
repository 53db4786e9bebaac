"""Forms of the box office (Guichet), the bookings tab and the event actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from culturepass.bookings import pro_selectors
from culturepass.bookings.models import CODE_ALPHABET, CODE_LENGTH
from culturepass.bookings.rules import normalize_code
from culturepass.offerers.models import Venue
from culturepass.pro.forms_offers import LocalDateTimeField

#: The statuses a pro sees (SPEC §4), as filter values: (pro_selectors code, label).
STATUS_CHOICES = (
    (pro_selectors.BOOKED, _("réservé")),
    (pro_selectors.CONFIRMED, _("confirmé")),
    (pro_selectors.VALIDATED, _("validé")),
    (pro_selectors.CANCELLED, _("annulé")),
    (pro_selectors.REIMBURSED, _("remboursé")),
)
PERIOD_FIELD_CHOICES = (
    ("booked", _("Date de réservation")),
    ("used", _("Date de validation")),
    ("reimbursed", _("Date de remboursement")),
)


class _NoSuffix:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class GuichetForm(_NoSuffix, forms.Form):
    """A booking code, any case, spaces allowed. A malformed code is refused here: it
    cannot match any booking, so it never reaches (nor counts against) the lookup."""

    code = forms.CharField(
        label=_("Contremarque"),
        max_length=20,
        help_text=_(
            "6 caractères : lettres sans I ni O, chiffres de 2 à 7. "
            "Majuscules ou minuscules, peu importe."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
                "class": "booking-code-input",
                "data-code-length": str(CODE_LENGTH),
                "data-code-alphabet": CODE_ALPHABET,
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        wrong = sorted({char for char in code if char not in CODE_ALPHABET})
        if wrong:
            raise forms.ValidationError(
                _("Caractère non autorisé : %(chars)s. Une contremarque n'a ni 0, 1, 8, 9, I ni O.")
                % {"chars": " ".join(wrong)},
                code="alphabet",
            )
        if len(code) != CODE_LENGTH:
            raise forms.ValidationError(
                _("Une contremarque compte %(length)s caractères (vous en avez saisi %(count)s).")
                % {"length": CODE_LENGTH, "count": len(code)},
                code="length",
            )
        return code


class BookingActionForm(forms.Form):
    """The booking a Guichet button acts on (the service checks it belongs to the pro)."""

    booking_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BookingFilterForm(_NoSuffix, forms.Form):
    """Filters of the bookings tab (GET); the same ones drive the exports."""

    search = forms.CharField(label=_("Nom, email ou contremarque"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Statut"), required=False)
    venue = forms.TypedChoiceField(label=_("Lieu"), required=False, coerce=int, empty_value=None)
    offer = forms.TypedChoiceField(label=_("Offre"), required=False, coerce=int, empty_value=None)
    event_date = forms.DateField(
        label=_("Date de l'évènement"), required=False, widget=_date_input()
    )
    period_field = forms.ChoiceField(
        label=_("Période portant sur"), required=False, choices=PERIOD_FIELD_CHOICES
    )
    period_start = forms.DateField(
        label=pgettext_lazy("period", "Du"), required=False, widget=_date_input()
    )
    period_end = forms.DateField(
        label=pgettext_lazy("period", "au"), required=False, widget=_date_input()
    )

    def __init__(
        self,
        *args: Any,
        venues: Sequence[Venue] = (),
        offers: Sequence[tuple[int, str]] = (),
        with_offer: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._set("status", [("", _("Tous")), *STATUS_CHOICES])
        self._set("venue", [("", _("Tous")), *((v.pk, v.display_name) for v in venues)])
        if with_offer:
            self._set("offer", [("", _("Toutes")), *offers])
        else:
            del self.fields["offer"]
            del self.fields["venue"]

    def _set(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("La fin de la période précède son début."))
        return data

    def selector_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``pro_selectors.bookings_for_offerer`` (none when invalid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "event_date": data.get("event_date"),
            "status": data.get("status") or None,
            "search": (data.get("search") or "").strip() or None,
            "period_field": data.get("period_field") or "booked",
            "period_start": data.get("period_start"),
            "period_end": data.get("period_end"),
        }
        if "venue" in self.fields:
            kwargs["venue_id"] = data.get("venue")
            kwargs["offer_id"] = data.get("offer")
        return kwargs

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            value not in (None, "", "booked") for value in self.selector_kwargs().values()
        )


class PostponeForm(_NoSuffix, forms.Form):
    beginning_datetime = LocalDateTimeField(label=_("Nouvelle date et heure"))

    def __init__(self, *args: Any, tz: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["beginning_datetime"]
        assert isinstance(field, LocalDateTimeField)
        field.tz = tz
        field.help_text = _("Heure du fuseau %(tz)s.") % {"tz": tz}

    @property
    def new_beginning(self) -> dt.datetime:
        value = self.cleaned_data["beginning_datetime"]
        assert isinstance(value, dt.datetime)
        return value


class CapacityForm(_NoSuffix, forms.Form):
    quantity = forms.IntegerField(
        label=_("Nouveau nombre de places"),
        min_value=0,
        help_text=_("Jamais moins que les places déjà réservées."),
    )
