"""Forms of the offer pages: they parse what a pro typed; the offer services decide.

Prices are typed in euros (comma or dot) and handed over in cents; durations in minutes or
"h:mm"; dates and times are typed in the offer's time zone and handed over as aware UTC
datetimes. Business rules (price range, number of tarifs, withdrawal rules, booking limits,
image size, number of occurrences...) are the services': their refusals come back through
:func:`apply_domain_error` onto the field they name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from culturepass.catalog import catalogue
from culturepass.core.errors import DomainError
from culturepass.offerers.models import Venue
from culturepass.offerers.services import parse_coordinate
from culturepass.offers.models import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    Offer,
    OfferImage,
    PriceCategory,
)
from culturepass.offers.recurrence import (
    MonthlyMode,
    PriceCategoryQuantity,
    RecurrenceMode,
    RecurrenceRule,
)
from culturepass.offers.services import WITHDRAWAL_DELAY_CHOICES
from culturepass.pro.forms import PostalCodeField

# --- Errors ----------------------------------------------------------------------------------


def apply_domain_error(
    form: forms.Form, error: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service refusal on the fields it names (several for ``ValidationErrors``).

    ``aliases`` maps the services' field names to the form's ("price_cents" -> "price"); a
    field the form does not have becomes a form-wide error, listed at the top of the page.
    """
    aliases = {**getattr(form, "error_aliases", {}), **(aliases or {})}
    errors = getattr(error, "errors", None)
    items: Iterable[tuple[str | None, Any]] = (
        errors.items() if isinstance(errors, Mapping) and errors else [(error.field, error.message)]
    )
    for name, message in items:
        target = aliases.get(name, name) if name else None
        if target and target.startswith("extra_data."):
            target = target.removeprefix("extra_data.")
        messages = message if isinstance(message, list | tuple) else [message]
        for text in messages:
            form.add_error(target if target in form.fields else None, str(text))


# --- Parsing helpers --------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def parse_euros(value: str) -> int:
    """Cents of an amount typed in euros: "12", "12,5", "12.50", "12,50 €", "1 000"."""
    text = _SPACES.sub("", value).removesuffix("€").removesuffix("EUR").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise forms.ValidationError(
            _("Saisissez un prix en euros, par exemple 12,50."), code="invalid_price"
        ) from exc
    if not amount.is_finite():
        raise forms.ValidationError(
            _("Saisissez un prix en euros, par exemple 12,50."), code="invalid_price"
        )
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise forms.ValidationError(
            _("Un prix a au plus deux chiffres après la virgule."), code="price_precision"
        )
    return int(cents)


def format_euros(cents: int | None) -> str:
    """ "12,50 €" in French, "12.50 €" in English; "" for None."""
    if cents is None:
        return ""
    return f"{formats.number_format(Decimal(cents) / 100, 2)} €"


_DURATION = re.compile(
    r"^(?:(?P<h>\d{1,3})\s*(?:h|:)\s*(?P<m>\d{1,2})?\s*(?:min)?|(?P<only>\d{1,4})\s*(?:min)?)$"
)


def parse_duration(value: str) -> int:
    """Minutes of a duration typed as "90", "90 min", "1:30", "1h30" or "2h"."""
    match = _DURATION.match(value.strip().lower())
    if match is None:
        raise forms.ValidationError(
            _("Saisissez une durée en minutes (90) ou en heures et minutes (1:30)."),
            code="invalid_duration",
        )
    if match["only"] is not None:
        return int(match["only"])
    minutes = int(match["m"] or 0)
    if minutes >= 60:
        raise forms.ValidationError(
            _("Les minutes vont de 0 à 59 (par exemple 1:30)."), code="invalid_duration"
        )
    return int(match["h"]) * 60 + minutes


def format_duration(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return f"{minutes // 60}:{minutes % 60:02d}"


# --- Fields ----------------------------------------------------------------------------------


class EurosField(forms.CharField):
    """An amount in euros typed by a person; cleans to integer cents (None when blank)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return formats.number_format(Decimal(value) / 100, 2)
        return value

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        return parse_euros(text)


class DurationField(forms.CharField):
    """A duration in minutes or "h:mm"; cleans to minutes (None when blank)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return format_duration(value)
        return value

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        return parse_duration(text)


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in ``tz`` (the offer's zone); cleans to UTC."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]

    def __init__(self, *, tz: str = "Europe/Paris", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tz = tz

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return value.astimezone(ZoneInfo(self.tz)).replace(tzinfo=None)
        return value

    def to_python(self, value: Any) -> dt.datetime | None:
        # Django makes the naive value aware in the *current* zone (and refuses a time that
        # does not exist there, e.g. in the spring DST gap): make that zone the offer's.
        with timezone.override(ZoneInfo(self.tz)):
            result = super().to_python(value)
        return result.astimezone(dt.UTC) if result is not None else None


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class _NoSuffix:
    """Labels without the " :" Django adds (a class attribute is not enough: __init__ sets it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class _OfferForm(_NoSuffix, forms.Form):
    error_aliases: Mapping[str, str] = {}


# --- Step 1: category ------------------------------------------------------------------------


def subcategory_choices() -> list[tuple[str, Any]]:
    """The subcategories a pro may choose, grouped by category (translated labels).

    Only events for now: occurrences are dated, and the offer service refuses things.
    """
    choices: list[tuple[str, Any]] = [("", _("Choisissez une sous-catégorie"))]
    for category, members in catalogue.subcategories_by_category(events_only=True):
        choices.append(
            (
                catalogue.category_label(category.id),
                [(s.id, catalogue.subcategory_label(s.id)) for s in members],
            )
        )
    return choices


class OfferCreateForm(_OfferForm):
    subcategory_id = forms.ChoiceField(
        label=_("Catégorie et sous-catégorie"),
        help_text=_(
            "Obligatoire. Attention : une fois l'offre publiée, la catégorie et la "
            "sous-catégorie ne sont plus modifiables."
        ),
    )
    venue_id = forms.TypedChoiceField(label=_("Lieu"), coerce=int)
    error_aliases = {"venue": "venue_id"}

    def __init__(self, *args: Any, venues: Sequence[Venue], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.venues = {venue.pk: venue for venue in venues}
        self._choices("subcategory_id", subcategory_choices())
        self._choices("venue_id", [(v.pk, v.display_name) for v in venues])
        if len(venues) == 1:
            self.fields["venue_id"].initial = venues[0].pk
        self.fields["venue_id"].help_text = _(
            "L'adresse du lieu est proposée par défaut comme adresse de l'offre."
        )

    def _choices(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    @property
    def venue(self) -> Venue:
        return self.venues[self.cleaned_data["venue_id"]]


class CategoryForm(_OfferForm):
    subcategory_id = forms.ChoiceField(
        label=_("Catégorie et sous-catégorie"),
        help_text=_(
            "Obligatoire. Attention : une fois l'offre publiée, la catégorie et la "
            "sous-catégorie ne sont plus modifiables."
        ),
    )

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["subcategory_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = subcategory_choices()
        if locked:
            # Shown, not submitted: the service refuses a change anyway.
            field.widget.attrs["disabled"] = True
            field.help_text = _(
                "L'offre est publiée : sa catégorie et sa sous-catégorie ne sont plus modifiables."
            )


# --- Step 2: description ---------------------------------------------------------------------

CHOICE_FIELDS = ("musicType", "showType", "gtl_id")
SUBTYPE_OF = {"musicSubType": "musicType", "showSubType": "showType"}


class DescriptionForm(_OfferForm):
    name = forms.CharField(
        label=_("Titre de l'offre"),
        max_length=MAX_NAME_LENGTH,
        help_text=_("90 caractères maximum."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "10 000 caractères maximum. Soyez le plus précis possible : les mots clés rendent "
            "votre offre plus visible et plus attractive."
        ),
    )
    duration_minutes = DurationField(
        label=_("Durée"),
        required=False,
        help_text=_("Facultatif. En minutes (90) ou en heures et minutes (1:30)."),
    )
    image = forms.FileField(
        label=_("Image de l'offre"),
        required=False,
        help_text=_(
            "Facultatif. Format JPG, PNG ou WEBP, 10 Mo maximum, au moins 400 × 400 pixels."  # noqa: RUF001
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    image_credit = forms.CharField(
        label=_("Crédit de l'image"),
        required=False,
        max_length=255,
        help_text=_("Facultatif. Le nom de l'auteur ou du détenteur des droits."),
    )
    error_aliases = {"upload": "image", "credit": "image_credit", "duration": "duration_minutes"}

    def __init__(self, *args: Any, subcategory_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image"].widget = forms.FileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        )
        subcategory = catalogue.find_subcategory(subcategory_id)
        self.extra_names: list[str] = []
        if subcategory is None:
            return
        for cf in self.displayed_fields(subcategory):
            self.fields[cf.name] = self._extra_field(cf, subcategory.is_event)
            self.extra_names.append(cf.name)

    @staticmethod
    def displayed_fields(
        subcategory: catalogue.Subcategory,
    ) -> list[catalogue.ConditionalField]:
        """The extra fields the page asks for, each sub-type right after its type.

        Concerts list both the event genres (musicType / musicSubType) and the record genres
        (gtl_id), which share the label "Genre musical": an event page asks for the first.
        """
        names = subcategory.conditional_field_names
        fields = [
            cf
            for cf in subcategory.conditional_fields
            if not (cf.name == "gtl_id" and subcategory.is_event and "musicType" in names)
        ]
        positions = {cf.name: cf.position for cf in fields}

        def key(cf: catalogue.ConditionalField) -> tuple[int, int]:
            parent = SUBTYPE_OF.get(cf.name)
            if parent in positions:
                return (positions[parent], 1)
            return (cf.position, 0)

        return sorted(fields, key=key)

    @staticmethod
    def _extra_field(cf: catalogue.ConditionalField, is_event: bool) -> forms.Field:
        label = catalogue.conditional_field_label(cf.name)
        help_text = _("Obligatoire.") if cf.required_in_pro_form else _("Facultatif.")
        if cf.name in CHOICE_FIELDS:
            values = [
                (c.code, catalogue.choice_label(cf.name, c.code))
                for c in catalogue.extra_field_choices(cf.name)
                if c.can_be_event or not is_event
            ]
            return forms.ChoiceField(
                label=label,
                required=False,
                help_text=help_text,
                choices=[("", _("Choisissez dans la liste")), *values],
            )
        if cf.name in SUBTYPE_OF:
            type_field = SUBTYPE_OF[cf.name]
            # Sub-type codes repeat under every type ("Autre" is -1 everywhere): the options
            # carry the slug, turned back into the code in clean().
            groups: list[tuple[str, Any]] = [("", _("Choisissez dans la liste"))]
            for parent, children in catalogue.extra_field_tree(type_field):
                groups.append(
                    (
                        catalogue.choice_label(type_field, parent.code),
                        [
                            (
                                c.key,
                                catalogue.choice_label(cf.name, c.code, parent_code=parent.code),
                            )
                            for c in children
                        ],
                    )
                )
            return forms.ChoiceField(
                label=label,
                required=False,
                help_text=_("%(required)s Choisissez un sous-genre du genre choisi.")
                % {"required": help_text},
                choices=groups,
            )
        return forms.CharField(label=label, required=False, max_length=300, help_text=help_text)

    @classmethod
    def initial_for(cls, offer: Offer) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": offer.name,
            "description": offer.description,
            "duration_minutes": offer.duration_minutes,
        }
        extra = offer.extra_data or {}
        for name, value in extra.items():
            if name in SUBTYPE_OF:
                choice = catalogue.extra_field_choice(
                    name, str(value), parent_code=str(extra.get(SUBTYPE_OF[name], "")) or None
                )
                initial[name] = choice.key if choice else value
            else:
                initial[name] = value
        with contextlib.suppress(OfferImage.DoesNotExist):
            initial["image_credit"] = offer.image.credit
        return initial

    def extra_data(self) -> dict[str, str]:
        """The conditional fields, sub-type slugs turned back into codes."""
        data: dict[str, str] = {}
        for name in self.extra_names:
            value = self.cleaned_data.get(name) or ""
            if name in SUBTYPE_OF and value:
                choice = next(
                    (c for c in catalogue.extra_field_choices(name) if c.key == value), None
                )
                value = choice.code if choice else value
            if value:
                data[name] = value
        return data


# --- Step 3: location ------------------------------------------------------------------------


class LocationForm(_OfferForm):
    address_kind = forms.ChoiceField(
        label=_("Adresse de l'événement"),
        choices=Offer.AddressKind.choices,
        widget=forms.RadioSelect,
        initial=Offer.AddressKind.VENUE,
    )
    location_label = forms.CharField(
        label=_("Intitulé du lieu"),
        required=False,
        max_length=140,
        help_text=_("Facultatif. Par exemple : Parc de la Villette."),
    )
    street = forms.CharField(
        label=_("Adresse"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = PostalCodeField(required=False)
    city = forms.CharField(
        label=_("Ville"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    latitude = forms.CharField(
        label=_("Latitude"),
        required=False,
        help_text=_("Facultatif : calculée à partir de l'adresse si vide. Exemple : 48.85341"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.CharField(
        label=_("Longitude"),
        required=False,
        help_text=_("Facultatif : calculée à partir de l'adresse si vide. Exemple : 2.34880"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    OTHER_FIELDS = ("location_label", "street", "postal_code", "city", "latitude", "longitude")

    def _coordinate(self, name: str, limit: int) -> Decimal | None:
        try:
            return parse_coordinate(self.cleaned_data[name], field=name, limit=limit)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def clean_latitude(self) -> Decimal | None:
        return self._coordinate("latitude", 90)

    def clean_longitude(self) -> Decimal | None:
        return self._coordinate("longitude", 180)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("address_kind") == Offer.AddressKind.VENUE:
            # The other address is hidden then: what it holds is ignored, never an error.
            for name in self.OTHER_FIELDS:
                self.errors.pop(name, None)
                data[name] = None if name in ("latitude", "longitude") else ""
        return data

    @classmethod
    def initial_for(cls, offer: Offer) -> dict[str, Any]:
        initial: dict[str, Any] = {"address_kind": offer.address_kind}
        if offer.address_kind == Offer.AddressKind.OTHER:
            initial.update({name: getattr(offer, name) for name in cls.OTHER_FIELDS})
        return initial


# --- Step 4: practical information -----------------------------------------------------------

WITHDRAWAL_CHOICES = [
    (value, label) for value, label in Offer.Withdrawal.choices if value != Offer.Withdrawal.IN_APP
]


class PracticalInfoForm(_OfferForm):
    withdrawal_type = forms.ChoiceField(
        label=_("Modalité de retrait"),
        required=False,
        choices=WITHDRAWAL_CHOICES,
        widget=forms.RadioSelect,
        help_text=_(
            "Le choix d'une de ces trois options est obligatoire pour finaliser la création "
            "de votre offre, car culturepass n'est pas en charge de l'envoi des billets "
            "aux bénéficiaires."
        ),
    )
    withdrawal_delay_seconds = forms.TypedChoiceField(
        label=_("Délai d'envoi ou de retrait avant l'événement"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Aucun délai")),
            *((str(seconds), label) for seconds, label in WITHDRAWAL_DELAY_CHOICES),
        ],
        help_text=_(
            "Obligatoire si les billets sont envoyés par email ou retirés sur place ; "
            "à laisser sur « Aucun délai » si aucun billet n'est nécessaire."
        ),
    )
    withdrawal_details = forms.CharField(
        label=_("Informations de retrait"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Par exemple : se présenter avec sa carte d'identité, adresse email utilisée pour "
            "l'envoi des billets, horaires d'ouverture du guichet."
        ),
    )
    booking_contact = forms.EmailField(
        label=_("Email de contact pour les bénéficiaires"),
        required=False,
        help_text=_("Obligatoire pour les offres avec retrait de billets."),
    )
    booking_email = forms.EmailField(
        label=_("Email de notification des nouvelles réservations"),
        required=False,
        help_text=_("Facultatif. Chaque nouvelle réservation y est signalée."),
    )
    accessibility_motor = forms.BooleanField(label=_("Handicap moteur"), required=False)
    accessibility_visual = forms.BooleanField(label=_("Handicap visuel"), required=False)
    accessibility_hearing = forms.BooleanField(label=_("Handicap auditif"), required=False)
    accessibility_mental = forms.BooleanField(
        label=_("Handicap psychique ou cognitif"), required=False
    )
    external_ticket_office_url = forms.URLField(
        label=_("Lien vers votre billetterie"),
        required=False,
        assume_scheme="https",
        help_text=_("Facultatif. Par exemple : https://billetterie.example.org"),
    )
    WITHDRAWAL_FIELDS = ("withdrawal_type", "withdrawal_delay_seconds")
    ACCESSIBILITY_FIELDS = (
        "accessibility_motor",
        "accessibility_visual",
        "accessibility_hearing",
        "accessibility_mental",
    )
    error_aliases = {"withdrawal_delay": "withdrawal_delay_seconds"}

    def __init__(self, *args: Any, withdrawable: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.withdrawable = withdrawable
        if not withdrawable:
            for name in self.WITHDRAWAL_FIELDS:
                del self.fields[name]
            self.fields["booking_contact"].help_text = _("Facultatif.")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "withdrawal_type": data.get("withdrawal_type") or "",
            "withdrawal_delay_seconds": data.get("withdrawal_delay_seconds"),
            "withdrawal_details": data["withdrawal_details"],
            "booking_contact": data["booking_contact"],
            "booking_email": data["booking_email"],
            "accessibility_motor": data["accessibility_motor"],
            "accessibility_visual": data["accessibility_visual"],
            "accessibility_hearing": data["accessibility_hearing"],
            "accessibility_mental": data["accessibility_mental"],
            "external_ticket_office_url": data["external_ticket_office_url"],
        }

    @classmethod
    def initial_for(cls, offer: Offer) -> dict[str, Any]:
        # A new draft already carries its venue's defaults (notification email, details,
        # accessibility): the offer service copied them.
        return {name: getattr(offer, name) for name in cls.base_fields}


# --- Step 5: price categories ----------------------------------------------------------------


class PriceCategoryForm(_OfferForm):
    label = forms.CharField(
        label=_("Intitulé du tarif"),
        max_length=50,
        help_text=_("Par exemple : Tarif unique, Catégorie A, Balcon, Moins de 18 ans."),
    )
    price = EurosField(
        label=_("Prix (€)"),
        help_text=_("Entre 0 et 300 €. Par exemple 12,50."),
    )
    error_aliases = {"price_cents": "price"}

    @classmethod
    def initial_for(cls, price_category: PriceCategory) -> dict[str, Any]:
        return {"label": price_category.label, "price": price_category.price_cents}


# --- Step 6: duo -----------------------------------------------------------------------------


class DuoForm(_OfferForm):
    is_duo = forms.BooleanField(
        label=_("Accepter les réservations « Duo »"),
        required=False,
        help_text=_(
            "Avec l'option Duo, un bénéficiaire peut réserver deux places pour l'événement."
        ),
    )


# --- Step 7: dates and capacities ------------------------------------------------------------

WEEKDAYS = (
    (0, _("Lundi")),
    (1, _("Mardi")),
    (2, _("Mercredi")),
    (3, _("Jeudi")),
    (4, _("Vendredi")),
    (5, _("Samedi")),
    (6, _("Dimanche")),
)
RECURRENCE_CHOICES = (
    (RecurrenceMode.ONCE.value, _("Une seule date")),
    (RecurrenceMode.DAILY.value, _("Tous les jours")),
    (RecurrenceMode.WEEKLY.value, _("Toutes les semaines")),
    (RecurrenceMode.MONTHLY.value, _("Tous les mois")),
)
MONTHLY_CHOICES = (
    (
        MonthlyMode.SAME_DAY.value,
        _("Le même jour du mois que la date de début (par exemple le 14)"),
    ),
    (
        MonthlyMode.NTH_WEEKDAY.value,
        _("Le même jour de la semaine, au même rang (par exemple le 2e mardi du mois)"),
    ),
    (
        MonthlyMode.LAST_WEEKDAY.value,
        _("Le dernier de ce jour de la semaine dans le mois (par exemple le dernier vendredi)"),
    ),
)
DEFAULT_SLOT_COUNT = 4
MAX_SLOT_COUNT = 24


class DatesForm(_OfferForm):
    """The recurrence rule and a quantity per price category (blank: unlimited)."""

    mode = forms.ChoiceField(
        label=_("Fréquence"),
        choices=RECURRENCE_CHOICES,
        widget=forms.RadioSelect,
        initial=RecurrenceMode.ONCE.value,
    )
    start_date = forms.DateField(
        label=_("Date de l'événement ou début de la période"), widget=_date_input()
    )
    end_date = forms.DateField(
        label=_("Fin de la période"),
        required=False,
        widget=_date_input(),
        help_text=_("Pour une date récurrente : le dernier jour inclus (2 ans au plus)."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la semaine"),
        required=False,
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pour « Toutes les semaines » : les jours où l'événement a lieu."),
    )
    monthly_mode = forms.ChoiceField(
        label=_("Répétition mensuelle"),
        required=False,
        choices=MONTHLY_CHOICES,
        widget=forms.RadioSelect,
        initial=MonthlyMode.SAME_DAY.value,
        help_text=_("Pour « Tous les mois » : le jour est déduit de la date de début."),
    )
    booking_limit_days = forms.IntegerField(
        label=_("Fin des réservations (jours avant l'événement)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_(
            "Facultatif. Vide ou 0 : réservable jusqu'au début de l'événement. 1 : jusqu'à "
            "23 h 59 la veille."
        ),
    )
    slot_count = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_SLOT_COUNT
    )
    error_aliases = {"time_slots": "time_slot_0", "price_categories": "quantity_first"}

    def __init__(
        self,
        *args: Any,
        price_categories: Sequence[PriceCategory],
        slot_count: int = DEFAULT_SLOT_COUNT,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.price_categories = list(price_categories)
        slots = max(1, min(slot_count, MAX_SLOT_COUNT))
        self.fields["slot_count"].initial = slots
        self.slot_names = [f"time_slot_{i}" for i in range(slots)]
        for i, name in enumerate(self.slot_names, start=1):
            self.fields[name] = forms.TimeField(
                label=_("Créneau %(number)s") % {"number": i},
                required=False,
                widget=_time_input(),
                input_formats=["%H:%M", "%H:%M:%S", "%Hh%M", "%H h %M"],
            )
        self.quantity_names = {}
        for pc in self.price_categories:
            name = f"quantity_{pc.pk}"
            self.quantity_names[pc.pk] = name
            self.fields[name] = forms.IntegerField(
                label=_("Nombre de places au tarif « %(label)s » (%(price)s)")
                % {"label": pc.label, "price": format_euros(pc.price_cents)},
                required=False,
                min_value=0,
                help_text=_("Par date et par créneau. Laissez vide pour un nombre illimité."),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        first_quantity = next(iter(self.quantity_names.values()), None)
        if first_quantity:
            self.error_aliases = {**self.error_aliases, "quantity": first_quantity}
            self.error_aliases["price_categories"] = first_quantity

    @staticmethod
    def slot_count_from(data: Mapping[str, Any] | None) -> int:
        """How many slot inputs to show: the number posted (plus one after "Ajouter")."""
        if not data:
            return DEFAULT_SLOT_COUNT
        try:
            count = int(data.get("slot_count") or DEFAULT_SLOT_COUNT)
        except (TypeError, ValueError):
            count = DEFAULT_SLOT_COUNT
        if "add_slot" in data:
            count += 1
        return max(1, min(count, MAX_SLOT_COUNT))

    def unbound_copy(self) -> DatesForm:
        """The same page without errors: what was typed becomes the initial values."""
        assert self.data is not None
        initial: dict[str, Any] = {}
        for name in self.fields:
            key = self.add_prefix(name)
            initial[name] = (
                self.data.getlist(key)
                if hasattr(self.data, "getlist") and name == "weekdays"
                else self.data.get(key)
            )
        initial["slot_count"] = len(self.slot_names)
        return DatesForm(
            initial=initial,
            price_categories=self.price_categories,
            slot_count=len(self.slot_names),
        )

    @property
    def slot_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.slot_names]

    @property
    def quantity_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.quantity_names.values()]

    def to_rule(self) -> RecurrenceRule:
        data = self.cleaned_data
        slots = tuple(data[name] for name in self.slot_names if data.get(name) is not None)
        return RecurrenceRule(
            mode=RecurrenceMode(data["mode"]),
            start_date=data["start_date"],
            end_date=data.get("end_date"),
            time_slots=slots,
            weekdays=frozenset(data.get("weekdays") or ()),
            monthly_mode=MonthlyMode(data.get("monthly_mode") or MonthlyMode.SAME_DAY),
            booking_limit_days=data.get("booking_limit_days"),
        )

    def to_quantities(self) -> list[PriceCategoryQuantity]:
        return [
            PriceCategoryQuantity(price_category_id=pk, quantity=self.cleaned_data.get(name))
            for pk, name in self.quantity_names.items()
        ]


# --- Occurrence edit -------------------------------------------------------------------------


class StockForm(_OfferForm):
    beginning_datetime = LocalDateTimeField(label=_("Date et heure"))
    booking_limit_datetime = LocalDateTimeField(
        label=_("Date limite de réservation"),
        help_text=_("Au plus tard le début de l'événement."),
    )
    quantity = forms.IntegerField(
        label=_("Nombre de places"),
        required=False,
        min_value=0,
        help_text=_(
            "Laissez vide pour un nombre illimité. Jamais moins que les places déjà réservées."
        ),
    )

    def __init__(self, *args: Any, tz: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("beginning_datetime", "booking_limit_datetime"):
            field = self.fields[name]
            assert isinstance(field, LocalDateTimeField)
            field.tz = tz


# --- Step 8: publication ---------------------------------------------------------------------


class PublicationForm(_OfferForm):
    ACTIONS = (
        ("draft", _("Enregistrer comme brouillon")),
        ("publish", _("Publier maintenant")),
        ("schedule", _("Planifier la publication")),
        ("unschedule", _("Annuler la programmation")),
    )
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    publication_datetime = LocalDateTimeField(
        label=_("Date et heure de publication"),
        required=False,
        help_text=_("Pour « Planifier la publication » : au plus deux ans à l'avance."),
    )
    booking_allowed_datetime = LocalDateTimeField(
        label=_("Ouverture des réservations"),
        required=False,
        help_text=_(
            "Facultatif. Jusqu'à cette date, l'offre est visible mais pas encore réservable."
        ),
    )

    def __init__(self, *args: Any, tz: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("publication_datetime", "booking_allowed_datetime"):
            field = self.fields[name]
            assert isinstance(field, LocalDateTimeField)
            field.tz = tz

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("action") == "schedule"
            and not data.get("publication_datetime")
            and "publication_datetime" not in self.errors
        ):
            self.add_error(
                "publication_datetime",
                _("Indiquez la date et l'heure de publication."),
            )
        if data.get("action") == "publish" and data.get("publication_datetime"):
            # The date field sits right above "Publier maintenant": publishing at once
            # while a date is typed would surprise the pro.
            self.add_error(
                "publication_datetime",
                _(
                    "Une date de publication est indiquée : cliquez sur « Planifier la "
                    "publication » pour publier à cette date, ou videz ce champ pour publier "
                    "maintenant."
                ),
            )
        return data


# --- Offers list -----------------------------------------------------------------------------


class OfferFilterForm(_NoSuffix, forms.Form):
    """The filters of the offers list (GET)."""

    text = forms.CharField(label=_("Titre de l'offre"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Statut"), required=False)
    venue = forms.TypedChoiceField(label=_("Lieu"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    period_start = forms.DateField(
        label=pgettext_lazy("period", "Dates du"), required=False, widget=_date_input()
    )
    period_end = forms.DateField(
        label=pgettext_lazy("period", "au"), required=False, widget=_date_input()
    )

    def __init__(
        self,
        *args: Any,
        venues: Sequence[Venue],
        statuses: Sequence[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._set("status", [("", _("Tous")), *statuses])
        self._set("venue", [("", _("Tous")), *((v.pk, v.display_name) for v in venues)])
        # Offers are events for now: only categories that have some.
        categories = [
            (category.id, catalogue.category_label(category.id))
            for category, _members in catalogue.subcategories_by_category(events_only=True)
        ]
        self._set("category", [("", _("Toutes")), *categories])

    def _set(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def selector_kwargs(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "status": data.get("status") or None,
            "venue_id": data.get("venue"),
            "category_id": data.get("category") or None,
            "period_start": data.get("period_start"),
            "period_end": data.get("period_end"),
            "text": (data.get("text") or "").strip() or None,
        }


class BulkOfferForm(forms.Form):
    ACTIONS = (("deactivate", _("Désactiver")), ("activate", _("Réactiver")))
    offer_ids = forms.ModelMultipleChoiceField(
        queryset=Offer.objects.none(),
        error_messages={
            "required": _("Cochez au moins une offre."),
            "invalid_choice": _("Une des offres cochées n'existe plus."),
            "invalid_pk_value": _("Une des offres cochées n'existe plus."),
        },
    )
    action = forms.ChoiceField(choices=ACTIONS)

    def __init__(self, *args: Any, offers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["offer_ids"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = offers
