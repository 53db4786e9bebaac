"""Forms of the collective pages of the pro portal: they parse what a pro typed; the
collective services decide.

Prices are typed in euros and handed over in cents; dates and times are typed in the time zone
of the venue chosen on the form (the offer's) and handed over as aware UTC datetimes. Business
rules (referencing, dates order, deadline, price cap, target school...) are the services': their
refusals come back through :func:`culturepass.pro.forms_offers.apply_domain_error`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.collective import reference
from culturepass.collective.models import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    CollectiveBooking,
    CollectiveOffer,
)
from culturepass.offerers.models import Venue
from culturepass.pro.forms import PostalCodeField
from culturepass.pro.forms_offers import EurosField, LocalDateTimeField, _NoSuffix

DEFAULT_TIMEZONE = "Europe/Paris"
UAI_PATTERN = re.compile(r"^[0-9]{7}[A-Z]$")


class _VenueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class _VenueMultipleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ReferencingForm(_NoSuffix, forms.Form):
    """The referencing application: venues concerned, domains, educational project."""

    venues = _VenueMultipleField(
        label=_("Lieux concernés"),
        queryset=Venue.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins un lieu qui accueillera les élèves.")},
    )
    domains = forms.MultipleChoiceField(
        label=_("Domaines artistiques et culturels"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins un domaine artistique et culturel.")},
    )
    educational_project = forms.CharField(
        label=_("Votre projet d'éducation artistique et culturelle"),
        help_text=_(
            "Décrivez les activités proposées aux élèves, les publics visés et vos "
            "expériences avec des établissements scolaires."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": _("Décrivez votre projet d'éducation artistique et culturelle.")
        },
    )

    def __init__(self, *args: Any, venues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["venues"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = venues
        self._set_choices("domains", reference.domain_choices())

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class CollectiveOfferForm(_NoSuffix, forms.Form):
    """Every field of a showcase or bookable collective offer.

    Dates and the price only matter for a bookable offer: the template groups them under the
    bookable heading, and the services refuse what is missing (or present on a showcase).
    """

    error_aliases: Mapping[str, str] = {
        "price_cents": "price",
        "target_school": "target_school_uai",
        "target_school_id": "target_school_uai",
        "venue_id": "venue",
    }

    kind = forms.ChoiceField(
        label=_("Type d'offre"),
        choices=(
            (CollectiveOffer.Kind.BOOKABLE, _("Offre réservable : une date et un prix")),
            (CollectiveOffer.Kind.SHOWCASE, _("Offre vitrine : sans date, sur demande")),
        ),
        widget=forms.RadioSelect,
        initial=CollectiveOffer.Kind.BOOKABLE,
    )
    venue = _VenueChoiceField(
        label=_("Lieu qui porte l'offre"),
        queryset=Venue.objects.none(),
        empty_label=None,
        help_text=_("Les dates et heures sont saisies dans le fuseau horaire de ce lieu."),
    )
    name = forms.CharField(label=_("Titre de l'offre"), max_length=MAX_NAME_LENGTH)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    domains = forms.MultipleChoiceField(
        label=_("Domaines artistiques et culturels"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins un domaine artistique et culturel.")},
    )
    school_levels = forms.MultipleChoiceField(
        label=_("Niveaux scolaires"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins un niveau scolaire.")},
    )
    location_kind = forms.ChoiceField(
        label=_("Où se déroule l'activité ?"),
        choices=CollectiveOffer.LocationKind.choices,
        widget=forms.RadioSelect,
        initial=CollectiveOffer.LocationKind.ADDRESS,
    )
    location_label = forms.CharField(
        label=_("Intitulé du lieu"),
        required=False,
        max_length=140,
        help_text=_("Facultatif. Par exemple : Grande salle du théâtre."),
    )
    street = forms.CharField(
        label=_("Adresse"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        help_text=_("Pour une activité à une adresse précise."),
    )
    postal_code = PostalCodeField(required=False)
    city = forms.CharField(
        label=_("Ville"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    location_comment = forms.CharField(
        label=_("Commentaire sur le lieu"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    start_datetime = LocalDateTimeField(
        label=_("Date et heure de début"),
        required=False,
        help_text=_("Offre réservable uniquement."),
    )
    end_datetime = LocalDateTimeField(
        label=_("Date et heure de fin"),
        required=False,
        help_text=_("Pour une seule date, la même que le début ; sinon la fin de la période."),
    )
    booking_limit_datetime = LocalDateTimeField(
        label=_("Date limite de réservation"),
        required=False,
        help_text=_(
            "Le chef d'établissement doit confirmer la préréservation avant cette date ; "
            "au plus tard le début."
        ),
    )
    price = EurosField(
        label=_("Prix total pour le groupe (€)"),
        required=False,
        help_text=_("Offre réservable uniquement. Exemple : 450,00"),
    )
    participants = forms.IntegerField(
        label=_("Nombre de participants"),
        required=False,
        min_value=1,
        help_text=_("Élèves et accompagnateurs compris."),
    )
    price_details = forms.CharField(
        label=_("Informations sur le prix"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Ce que comprend le prix, modalités de paiement…"),
    )
    target_school_uai = forms.CharField(
        label=_("Établissement destinataire (code UAI)"),
        required=False,
        max_length=8,
        help_text=_(
            "Facultatif : seul cet établissement verra l'offre. 7 chiffres et une lettre, "
            "par exemple 0751234A."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact_email = forms.EmailField(
        label=_("Email de contact"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Les enseignants vous écrivent à cette adresse. Un email ou un téléphone."),
    )
    contact_phone = forms.CharField(
        label=_("Téléphone de contact"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    FIELDSETS = (
        (
            _("Type et descriptif"),
            ("kind", "venue", "name", "description", "domains", "school_levels"),
        ),
        (
            _("Lieu de l'activité"),
            (
                "location_kind",
                "location_label",
                "street",
                "postal_code",
                "city",
                "location_comment",
            ),
        ),
        (
            _("Date et prix (offre réservable)"),
            (
                "start_datetime",
                "end_datetime",
                "booking_limit_datetime",
                "price",
                "participants",
                "price_details",
            ),
        ),
        (
            _("Établissement et contact"),
            ("target_school_uai", "contact_email", "contact_phone"),
        ),
    )
    ADDRESS_FIELDS = ("location_label", "street", "postal_code", "city")

    def __init__(
        self,
        *args: Any,
        venues: Sequence[Venue],
        editing: bool = False,
        kind_locked: bool = False,
        tz: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        venue_field = self.fields["venue"]
        assert isinstance(venue_field, forms.ModelChoiceField)
        venue_field.queryset = Venue.objects.filter(pk__in=[v.pk for v in venues]).order_by(
            "-is_head_office", "name", "pk"
        )
        self._set_choices("domains", reference.domain_choices())
        self._set_choices("school_levels", reference.school_level_choices())
        if editing:
            # An offer stays at its venue (its time zone and department come from it).
            venue_field.disabled = True
            venue_field.help_text = _("Le lieu d'une offre ne peut pas être changé.")
        if kind_locked:
            # The kind of a published offer cannot change (its bookings depend on it).
            self.fields["kind"].disabled = True
        # Dates are read in the chosen venue's zone: the posted venue, else the offer's.
        zone = tz or DEFAULT_TIMEZONE
        posted = self.data.get("venue") if self.is_bound else None
        for venue in venues:
            if posted and str(venue.pk) == str(posted):
                zone = venue.timezone or zone
        self.tz = zone
        for name in ("start_datetime", "end_datetime", "booking_limit_datetime"):
            field = self.fields[name]
            assert isinstance(field, LocalDateTimeField)
            field.tz = zone

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """(legend, bound fields) of each group of the page."""
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def clean_target_school_uai(self) -> str:
        value = str(self.cleaned_data.get("target_school_uai") or "").strip().upper()
        if value and not UAI_PATTERN.match(value):
            raise forms.ValidationError(
                _("Le code UAI comporte 7 chiffres suivis d'une lettre, par exemple 0751234A.")
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == CollectiveOffer.Kind.SHOWCASE:
            # Hidden by meaning on a showcase: what these hold is ignored, never an error.
            for name in ("start_datetime", "end_datetime", "booking_limit_datetime"):
                self.errors.pop(name, None)
                data[name] = None
        if data.get("location_kind") != CollectiveOffer.LocationKind.ADDRESS:
            for name in self.ADDRESS_FIELDS:
                self.errors.pop(name, None)
                data[name] = ""
        return data

    @classmethod
    def initial_for(cls, offer: CollectiveOffer) -> dict[str, Any]:
        return {
            "kind": offer.kind,
            "venue": offer.venue_id,
            "name": offer.name,
            "description": offer.description,
            "domains": list(offer.domains),
            "school_levels": list(offer.school_levels),
            "location_kind": offer.location_kind,
            "location_label": offer.location_label,
            "street": offer.street,
            "postal_code": offer.postal_code,
            "city": offer.city,
            "location_comment": offer.location_comment,
            "start_datetime": offer.start_datetime,
            "end_datetime": offer.end_datetime,
            "booking_limit_datetime": offer.booking_limit_datetime,
            "price": offer.price_cents,
            "participants": offer.participants,
            "price_details": offer.price_details,
            "target_school_uai": offer.target_school.uai if offer.target_school else "",
            "contact_email": offer.contact_email,
            "contact_phone": offer.contact_phone,
        }


class CollectiveCancelForm(_NoSuffix, forms.Form):
    """Cancelling a collective booking: the reason is sent to the school."""

    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        help_text=_("Envoyé par email à l'enseignant et au chef d'établissement."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Indiquez le motif de l'annulation : il est envoyé à l'établissement.")
        },
    )


BOOKING_STATUS_CHOICES = [("", _("Tous")), *CollectiveBooking.Status.choices]
