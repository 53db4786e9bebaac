"""Forms of the schools portal: they parse what a teacher or a head typed; the collective
services decide (their refusals come back through ``apply_domain_error``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.collective import reference
from culturepass.collective.models import MAX_PARTICIPANTS, SchoolMember
from culturepass.pro.forms_offers import _NoSuffix

#: Search dates are calendar days in metropolitan France (the schools' reference zone).
SEARCH_ZONE = ZoneInfo("Europe/Paris")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _SchoolChoice(forms.ChoiceField):
    """The school the action is for: asked only of people who belong to several."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Établissement"))
        super().__init__(**kwargs)


def _school_choices(members: Sequence[SchoolMember]) -> list[tuple[str, str]]:
    return [(str(m.school_id), f"{m.school.name} ({m.school.uai})") for m in members]


class SearchForm(_NoSuffix, forms.Form):
    domaine = forms.ChoiceField(label=_("Domaine artistique et culturel"), required=False)
    niveau = forms.ChoiceField(label=_("Niveau scolaire"), required=False)
    departement = forms.CharField(
        label=_("Département"),
        required=False,
        max_length=3,
        help_text=_("Son numéro, par exemple 75 ou 2A."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 4}),
    )
    du = forms.DateField(label=_("Entre le"), required=False, widget=_date_input())
    au = forms.DateField(label=_("Et le"), required=False, widget=_date_input())
    etablissement = _SchoolChoice(required=False)

    def __init__(self, *args: Any, members: Sequence[SchoolMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set("domaine", [("", _("Tous")), *reference.domain_choices()])
        self._set("niveau", [("", _("Tous")), *reference.school_level_choices()])
        if len(members) > 1:
            self._set("etablissement", _school_choices(members))
        else:
            del self.fields["etablissement"]

    def _set(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_departement(self) -> str:
        return str(self.cleaned_data.get("departement") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("du"), data.get("au")
        if start and end and end < start:
            self.add_error("au", _("La date de fin doit être après la date de début."))
        return data

    def selector_kwargs(self) -> dict[str, Any]:
        """The search criteria under the selector's names (days → aware datetimes)."""
        data = self.cleaned_data
        start: dt.date | None = data.get("du")
        end: dt.date | None = data.get("au")
        return {
            "domain": data.get("domaine") or None,
            "school_level": data.get("niveau") or None,
            "department_code": data.get("departement") or None,
            "date_from": dt.datetime.combine(start, dt.time.min, tzinfo=SEARCH_ZONE)
            if start
            else None,
            "date_to": dt.datetime.combine(end, dt.time.max, tzinfo=SEARCH_ZONE) if end else None,
        }


class RequestForm(_NoSuffix, forms.Form):
    """A teacher's request about a showcase offer."""

    etablissement = _SchoolChoice()
    requested_date = forms.DateField(
        label=_("Date souhaitée"),
        required=False,
        widget=_date_input(),
        help_text=_("Facultatif."),
    )
    participants = forms.IntegerField(
        label=_("Nombre d'élèves"),
        required=False,
        min_value=1,
        max_value=MAX_PARTICIPANTS,
        help_text=_("Facultatif."),
    )
    comment = forms.CharField(
        label=_("Votre message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Présentez votre classe et votre projet ; la structure vous répond par email."),
        error_messages={"required": _("Écrivez votre message.")},
    )
    error_aliases = {"school": "etablissement"}

    def __init__(self, *args: Any, members: Sequence[SchoolMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(members) > 1:
            field = self.fields["etablissement"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = _school_choices(members)
        else:
            del self.fields["etablissement"]


class PrebookForm(_NoSuffix, forms.Form):
    """Pre-booking: only the school to choose, for people who belong to several."""

    etablissement = _SchoolChoice()
    error_aliases = {"school": "etablissement"}

    def __init__(self, *args: Any, members: Sequence[SchoolMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(members) > 1:
            field = self.fields["etablissement"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = _school_choices(members)
        else:
            del self.fields["etablissement"]


class RefuseForm(_NoSuffix, forms.Form):
    comment = forms.CharField(
        label=_("Commentaire pour la structure"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Facultatif."),
    )
