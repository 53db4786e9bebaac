"""Forms of the pro finance reports (reimbursement details CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: A period export covers at most this many days: a year of invoices is plenty for one file,
#: and a bound keeps a mistyped year from streaming a decade.
MAX_PERIOD_DAYS = 366


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReimbursementPeriodForm(forms.Form):
    """Dates of the invoices whose reimbursement details are exported (GET, inclusive)."""

    du = forms.DateField(
        label=pgettext_lazy("period", "Du"),
        widget=_date_input(),
        error_messages={
            "required": _("Indiquez la date de début de la période."),
            "invalid": _("Saisissez une date valide, par exemple 01/03/2027."),
        },
    )
    au = forms.DateField(
        label=pgettext_lazy("period", "au"),
        widget=_date_input(),
        error_messages={
            "required": _("Indiquez la date de fin de la période."),
            "invalid": _("Saisissez une date valide, par exemple 31/03/2027."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("du"), data.get("au")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("au", _("La fin de la période précède son début."))
            elif (end - start).days >= MAX_PERIOD_DAYS:
                self.add_error("au", _("La période ne peut pas dépasser un an."))
        return data
