"""Forms of the pro portal's webhook pages: input parsing only (the rules, URL checks
included, live in :mod:`culturepass.notifications.webhooks`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.notifications.models import Webhook


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("URL de réception"),
        max_length=500,
        help_text=_(
            "Adresse https de votre logiciel qui recevra les notifications (requêtes POST en JSON)."
        ),
        widget=forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Évènements notifiés"),
        choices=Webhook.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un évènement.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class WebhookEditForm(WebhookForm):
    is_active = forms.BooleanField(
        label=_("Actif"),
        required=False,
        help_text=_("Décochez pour suspendre les notifications sans supprimer le webhook."),
    )
    rotate_secret = forms.BooleanField(
        label=_("Générer un nouveau secret"),
        required=False,
        help_text=_("L'ancien secret cesse aussitôt d'être utilisé pour signer."),
    )
