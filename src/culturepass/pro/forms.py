"""Forms of the pro portal: input parsing only; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from culturepass.core.errors import DomainError
from culturepass.offerers.identifiers import clean_ape_code, clean_siret
from culturepass.offerers.models import Membership, Venue
from culturepass.offerers.places import normalize_postal_code
from culturepass.offerers.services import VenueInput, parse_coordinate
from culturepass.offerers.venue_types import DEFAULT_VENUE_TYPE, venue_type_choices


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service refusal on its field when the form has it, else on the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class _DomainCleanMixin:
    """Turn DomainError raised by a clean_<field> helper into a field error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Same label style as the account forms: no " :" after labels. (A class
        # attribute is not enough: Form.__init__ overwrites it.)
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def _domain(self, func: Any, value: Any, **kwargs: Any) -> Any:
        try:
            return func(value, **kwargs)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class PostalCodeField(forms.CharField):
    def __init__(self, **kwargs: Any):
        kwargs.setdefault("label", _("Code postal"))
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "postal-code"})

    def clean(self, value: Any) -> str:
        value = normalize_postal_code(super().clean(value))
        if value and not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError(_("Le code postal doit comporter 5 chiffres."))
        return value


class OffererCreateForm(_DomainCleanMixin, forms.Form):
    siret = forms.CharField(
        label=_("SIRET du siège"),
        max_length=20,
        help_text=_("14 chiffres, espaces autorisés. Le SIREN correspond aux 9 premiers."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Nom de la structure (raison sociale)"), max_length=140)
    ape_code = forms.CharField(
        label=_("Activité principale (code APE/NAF)"),
        max_length=8,
        help_text=_("Par exemple 90.01Z pour les arts du spectacle vivant."),
    )
    street = forms.CharField(
        label=_("Adresse du siège"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = PostalCodeField()
    city = forms.CharField(
        label=_("Ville"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )

    def clean_siret(self) -> str:
        return self._domain(clean_siret, self.cleaned_data["siret"])

    def clean_ape_code(self) -> str:
        return self._domain(clean_ape_code, self.cleaned_data["ape_code"])


class AttachmentRequestForm(_DomainCleanMixin, forms.Form):
    siret = forms.CharField(label=_("SIRET"), max_length=20)

    def clean_siret(self) -> str:
        return self._domain(clean_siret, self.cleaned_data["siret"])


class VenueForm(_DomainCleanMixin, forms.Form):
    """Create or edit a venue. ``fieldsets`` groups the fields for the template."""

    name = forms.CharField(label=_("Nom du lieu"), max_length=140)
    public_name = forms.CharField(
        label=_("Nom public"),
        max_length=140,
        required=False,
        help_text=_("Le nom affiché aux jeunes dans l'application, s'il diffère."),
    )
    venue_type = forms.ChoiceField(label=_("Type de lieu"), choices=())
    siret = forms.CharField(
        label=_("SIRET du lieu"),
        max_length=20,
        required=False,
        help_text=_("Facultatif. Il doit appartenir à votre structure (même SIREN)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    comment = forms.CharField(
        label=_("Commentaire"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire pour un lieu sans SIRET : expliquez pourquoi il n'en a pas."),
    )
    street = forms.CharField(
        label=_("Adresse"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = PostalCodeField()
    city = forms.CharField(
        label=_("Ville"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    latitude = forms.CharField(
        label=_("Latitude"),
        required=False,
        help_text=_("Laissez vide pour la calculer à partir de l'adresse. Exemple : 48.85341"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.CharField(
        label=_("Longitude"),
        required=False,
        help_text=_("Laissez vide pour la calculer à partir de l'adresse. Exemple : 2.34880"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    booking_email = forms.EmailField(
        label=_("Email de notification des réservations"),
        required=False,
        help_text=_("Chaque nouvelle réservation y est signalée."),
    )
    withdrawal_details = forms.CharField(
        label=_("Modalités de retrait par défaut"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_open_to_public = forms.BooleanField(label=_("Lieu ouvert au public"), required=False)
    accessibility_motor = forms.BooleanField(label=_("Handicap moteur"), required=False)
    accessibility_visual = forms.BooleanField(label=_("Handicap visuel"), required=False)
    accessibility_hearing = forms.BooleanField(label=_("Handicap auditif"), required=False)
    accessibility_mental = forms.BooleanField(
        label=_("Handicap psychique ou cognitif"), required=False
    )

    fieldsets = (
        (_("Identification"), ("name", "public_name", "venue_type", "siret", "comment")),
        (_("Adresse"), ("street", "postal_code", "city")),
        (_("Coordonnées géographiques (facultatif)"), ("latitude", "longitude")),
        (_("Réservations"), ("booking_email", "withdrawal_details", "is_open_to_public")),
        (
            _("Accessibilité"),
            (
                "accessibility_motor",
                "accessibility_visual",
                "accessibility_hearing",
                "accessibility_mental",
            ),
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["venue_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = venue_type_choices()
        field.initial = DEFAULT_VENUE_TYPE

    def clean_siret(self) -> str:
        value = self.cleaned_data["siret"]
        return self._domain(clean_siret, value) if value.strip() else ""

    def clean_latitude(self) -> Any:
        return self._domain(
            parse_coordinate, self.cleaned_data["latitude"], field="latitude", limit=90
        )

    def clean_longitude(self) -> Any:
        return self._domain(
            parse_coordinate, self.cleaned_data["longitude"], field="longitude", limit=180
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "siret" in data and not data["siret"] and not (data.get("comment") or "").strip():
            self.add_error(
                "comment",
                _(
                    "Sans SIRET, un commentaire est obligatoire (par exemple : lieu sans SIRET propre)."
                ),
            )
        lat, lon = data.get("latitude"), data.get("longitude")
        if "latitude" in data and "longitude" in data and (lat is None) != (lon is None):
            self.add_error(
                "longitude" if lon is None else "latitude",
                _("Renseignez la latitude et la longitude, ou aucune des deux."),
            )
        return data

    def to_input(self) -> VenueInput:
        data = self.cleaned_data
        return VenueInput(
            name=data["name"],
            public_name=data["public_name"],
            venue_type=data["venue_type"],
            siret=data["siret"],
            comment=data["comment"],
            street=data["street"],
            postal_code=data["postal_code"],
            city=data["city"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            booking_email=data["booking_email"],
            withdrawal_details=data["withdrawal_details"],
            is_open_to_public=data["is_open_to_public"],
            accessibility_motor=data["accessibility_motor"],
            accessibility_visual=data["accessibility_visual"],
            accessibility_hearing=data["accessibility_hearing"],
            accessibility_mental=data["accessibility_mental"],
        )

    @classmethod
    def initial_for(cls, venue: Venue) -> dict[str, Any]:
        initial = {
            name: getattr(venue, name)
            for name in cls.base_fields
            if name not in {"latitude", "longitude", "siret"}
        }
        initial["siret"] = venue.siret or ""
        # Manual coordinates are shown (and kept unless cleared); computed ones are
        # shown beside the form instead, so that an address change updates them.
        if venue.coordinates_source == Venue.CoordinatesSource.MANUAL:
            initial["latitude"] = venue.latitude
            initial["longitude"] = venue.longitude
        return initial


class InviteForm(_DomainCleanMixin, forms.Form):
    email = forms.EmailField(
        label=_("Adresse email de votre collègue"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Rôle"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )
