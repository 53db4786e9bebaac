"""Offers endpoints of the partner API (``/public/offers/v1/...``, contract §2 and §3).

Routes are thin: they check the scope (a key reaches its structure's venues, or the subset it
is restricted to; anything else is a 404 with the contract's body), translate the request into
calls of the same services the pro portal uses (``offers.services``, ``bookings.lifecycle``),
so every rule and effect applies, and turn the result or the refusal into pass Culture's shapes.
A request that calls several services runs them in one transaction: all or nothing.

Only events are served: things (books, subscriptions…) are not offered to partners.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from culturepass.api.partner import images as partner_images
from culturepass.api.partner import schemas_offers as s
from culturepass.api.partner.base import (
    PartnerError,
    partner_actor,
    reachable_venues,
    utc_z,
    venue_or_404,
)
from culturepass.bookings import lifecycle
from culturepass.catalog import catalogue
from culturepass.core import clock
from culturepass.core.actors import PartnerActor
from culturepass.core.errors import DomainError
from culturepass.offerers.models import Offerer, Venue
from culturepass.offers import images as offer_images
from culturepass.offers import selectors
from culturepass.offers import services as offers
from culturepass.offers.models import (
    MAX_PRICE_CATEGORIES,
    Offer,
    OfferImage,
    PriceCategory,
    Stock,
)
from culturepass.offers.recurrence import MAX_OCCURRENCES_PER_OFFER

offers_router = Router(tags=["Offres (événements)"])

EVENT_NOT_FOUND = {"event_id": ["The event offer could not be found"]}
EVENT_NOT_FOUND_SHORT = {"event_id": ["The event could not be found"]}
STOCK_NOT_FOUND = {"stock_id": ["No stock could be found"]}
PRICE_CATEGORY_NOT_FOUND = {"price_category_id": ["No price category could be found"]}
HAS_TICKET_REFUSED = {
    "global": (
        "You cannot create an event with `has_ticket=true` because you dont have a ticketing "
        "service enabled (neither at provider level nor at venue level)."
    )
}
DURATION_MESSAGE = "The duration must be under 1440 minutes (24 hours)."

# Fields of the conditional data that pass Culture lists but partners never send.
INTERNAL_FIELDS = ("musicSubType", "showSubType", "gtl_id")
# A Titelive music genre (what ``/music_types/event`` lists, as pass Culture does) also gets
# the nearest event genre of the pro portal, because the app and the pro pages show that one.
GTL_TO_MUSIC_TYPE = {
    "01000000": "600",  # Musique classique → Classique
    "02000000": "501",  # Jazz / Blues → Jazz
    "04000000": "880",  # Electro
    "05000000": "800",  # Pop
    "06000000": "820",  # Rock
    "07000000": "840",  # Metal
    "09000000": "1000",  # Variétés → Chansons / Variétés
    "11000000": "900",  # Rap / Hip Hop
    "12000000": "530",  # Reggae / Ragga → Reggae
    "13000000": "700",  # Musique du monde
    "14000000": "860",  # Country / Folk → Folk
}
OTHER_MUSIC_TYPE = "-1"
EAN_IN_NAME = re.compile(r"(?<!\d)\d{13}(?!\d)")

# Service field names → the contract's aliases, for refusals the route did not foresee.
FIELD_ALIASES = {
    "name": "name",
    "description": "description",
    "duration_minutes": "eventDuration",
    "booking_contact": "bookingContact",
    "booking_email": "bookingEmail",
    "external_ticket_office_url": "externalTicketOfficeUrl",
    "withdrawal_details": "itemCollectionDetails",
    "withdrawal_type": "hasTicket",
    "withdrawal_delay_seconds": "hasTicket",
    "is_duo": "enableDoubleBookings",
    "id_at_provider": "idAtProvider",
    "publication_datetime": "publicationDatetime",
    "booking_allowed_datetime": "bookingAllowedDatetime",
    "label": "label",
    "price_cents": "price",
    "quantity": "quantity",
    "beginning_datetime": "beginningDatetime",
    "booking_limit_datetime": "bookingLimitDatetime",
    "price_category": "priceCategoryId",
    "subcategory_id": "categoryRelatedFields.category",
    "address_kind": "location",
}

OPENAPI_PUBLICATION = """
**Publication.** An event is created as a draft (`status` `DRAFT`) and published through the
same steps as in the pro portal: it needs at least one price category and one date still
bookable. `publicationDatetime` says when: `"now"` (the default) publishes it as soon as it is
complete, usually when its first dates are posted; a future datetime schedules the publication
then (status `SCHEDULED` once complete); `null` keeps it a draft until a `PATCH` sets one.
`bookingAllowedDatetime` opens bookings later than the publication (status `PUBLISHED` until
then). At publication, culturepass's compliance rules decide: `ACTIVE` at once, or `PENDING`
while the team reviews the event (`REJECTED` if refused). Events only: `hasTicket: true` and
online events (`location.type` `digital`), other addresses (`address`) and videos are not
available yet and are refused with a 400 (or 404 for an unknown address).

**Image.** `image.file` is a base64 PNG or JPEG, 400 x 600 to 800 x 1200 pixels, portrait
2:3; it is checked and resized as an image uploaded in the pro portal. A refused image gives
a 400 whose body is a string, as in pass Culture: `{"imageFile": "<message>"}`.
"""


# --- errors -------------------------------------------------------------------------------


def _alias(field: str | None, prefix: str = "") -> str:
    if not field:
        return "global"
    if field.startswith("extra_data."):
        return "categoryRelatedFields." + field.removeprefix("extra_data.")
    return prefix + FIELD_ALIASES.get(field, field)


@contextmanager
def _refusals(not_found: Mapping[str, Any], *, prefix: str = "") -> Iterator[None]:
    """Turn a service's refusal into the contract's shapes: ``not_found`` codes → 404 with
    the route's body; field errors → 400 keyed by alias; anything else → 400 global."""
    try:
        yield
    except offers.ValidationErrors as exc:
        body: dict[str, list[str]] = {}
        for field, message in exc.errors.items():
            body.setdefault(_alias(field, prefix), []).append(message)
        raise PartnerError(400, body) from None
    except DomainError as exc:
        if exc.code == "not_found" or exc.code.endswith("not_found"):
            raise PartnerError(404, dict(not_found)) from None
        if exc.code == "offer_rejected":
            raise PartnerError(400, _not_editable()) from None
        raise PartnerError(400, {_alias(exc.field, prefix): [exc.message]}) from None


@contextmanager
def _image_files_removed_on_failure() -> Iterator[list[str]]:
    """Files of images set inside the block (names added to the list) are deleted again when
    the block fails: the image service only cleans up after a failure of its own transaction,
    not after one of the request's transaction around it."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        offer_images.delete_files(written)
        raise


def _set_image(
    *,
    actor: PartnerActor,
    offer: Offer,
    image: s.ImageIn,
    processed: offer_images.ProcessedImage,
    written: list[str],
    now: dt.datetime,
) -> None:
    stored = offers.offer_set_image(
        actor=actor, offer=offer, processed=processed, credit=image.credit or "", now=now
    )
    written.extend(partner_images.stored_names(stored))


def _not_editable() -> dict[str, list[str]]:
    return {
        "global": [_("Les offres refusées ou en attente de validation ne sont pas modifiables")]
    }


def _ids_at_provider(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(ids) > s.MAX_IDS_AT_PROVIDER:
        raise PartnerError(400, {"idsAtProvider": ["Too many ids"]})
    return ids


# --- scope --------------------------------------------------------------------------------


def _event_events(actor: PartnerActor) -> QuerySet[Offer]:
    """The events this key may see: its structure's, at the venues it reaches."""
    queryset = Offer.objects.filter(
        offerer_id=actor.offerer_id, subcategory_id__in=_event_subcategory_ids()
    )
    if actor.venue_ids is not None:
        queryset = queryset.filter(venue_id__in=sorted(actor.venue_ids))
    return queryset


def _event_subcategory_ids() -> list[str]:
    return [sub.id for sub in catalogue.subcategories() if sub.is_event]


def _event_or_404(actor: PartnerActor, event_id: int, body: Mapping[str, Any]) -> Offer:
    offer = _event_events(actor).select_related("venue", "offerer").filter(pk=event_id).first()
    if offer is None:
        raise PartnerError(404, dict(body))
    return offer


def _stock_or_404(offer: Offer, stock_id: int) -> Stock:
    stock = (
        Stock.objects.select_related("price_category")
        .filter(pk=stock_id, offer=offer, is_soft_deleted=False)
        .first()
    )
    if stock is None:
        raise PartnerError(404, STOCK_NOT_FOUND)
    return stock


# --- output -------------------------------------------------------------------------------


def _accessibility(obj: Offer | Venue) -> dict[str, bool]:
    return {
        "audio_disability_compliant": obj.accessibility_hearing,
        "mental_disability_compliant": obj.accessibility_mental,
        "motor_disability_compliant": obj.accessibility_motor,
        "visual_disability_compliant": obj.accessibility_visual,
    }


def _music_type_out(extra: Mapping[str, str]) -> str | None:
    if gtl := extra.get("gtl_id"):
        choice = catalogue.extra_field_choice("gtl_id", gtl)
        if choice is not None:
            return choice.key
    music_type = extra.get("musicType")
    if music_type is None:
        return None
    sub_type = catalogue.extra_field_choice(
        "musicSubType", extra.get("musicSubType", "-1"), parent_code=music_type
    )
    return sub_type.key if sub_type else None


def _show_type_out(extra: Mapping[str, str]) -> str | None:
    show_type = extra.get("showType")
    if show_type is None:
        return None
    sub_type = catalogue.extra_field_choice(
        "showSubType", extra.get("showSubType", "-1"), parent_code=show_type
    )
    return sub_type.key if sub_type else None


def _category_fields(offer: Offer) -> dict[str, Any]:
    sub = catalogue.find_subcategory(offer.subcategory_id)
    fields: dict[str, Any] = {"category": offer.subcategory_id}
    extra = offer.extra_data or {}
    for name in sub.conditional_field_names if sub else ():
        if name in INTERNAL_FIELDS:
            continue
        if name == "musicType":
            fields[name] = _music_type_out(extra)
        elif name == "showType":
            fields[name] = _show_type_out(extra)
        else:
            fields[name] = extra.get(name) or None
    return fields


def _location_out(offer: Offer) -> dict[str, Any]:
    if offer.address_kind == Offer.AddressKind.OTHER:
        # culturepass keeps the address on the offer, without an address id.
        return {
            "type": "address",
            "venueId": offer.venue_id,
            "addressId": None,
            "addressLabel": offer.location_label or None,
        }
    return {"type": "physical", "venueId": offer.venue_id}


def _image_out(offer: Offer) -> dict[str, Any] | None:
    try:
        image = offer.image
    except OfferImage.DoesNotExist:
        return None
    url = partner_images.image_url(image)
    return {"credit": image.credit or None, "url": url} if url else None


def _price_category_out(pc: PriceCategory) -> dict[str, Any]:
    return {
        "id": pc.pk,
        "label": pc.label,
        "price": pc.price_cents,
        "id_at_provider": pc.id_at_provider,
    }


def _event_out(offer: Offer, *, now: dt.datetime) -> dict[str, Any]:
    status = selectors.row_display_status(offer, now=now)
    price_categories = getattr(offer, "price_category_list", None)
    if price_categories is None:
        price_categories = list(offer.price_categories.order_by("pk"))
    return {
        "id": offer.pk,
        "name": offer.name,
        "description": offer.description or None,
        "status": str(status.value),
        "accessibility": _accessibility(offer),
        "booking_contact": offer.booking_contact or None,
        "booking_email": offer.booking_email or None,
        "category_related_fields": _category_fields(offer),
        "enable_double_bookings": offer.is_duo,
        "event_duration": offer.duration_minutes,
        "external_ticket_office_url": offer.external_ticket_office_url or None,
        "has_ticket": offer.withdrawal_type == Offer.Withdrawal.IN_APP,
        "id_at_provider": offer.id_at_provider,
        "image": _image_out(offer),
        "item_collection_details": offer.withdrawal_details or None,
        "location": _location_out(offer),
        "price_categories": [_price_category_out(pc) for pc in price_categories],
        "publication_datetime": utc_z(
            offer.publication_datetime or offer.pending_publication_datetime
        ),
        "booking_allowed_datetime": utc_z(offer.booking_allowed_datetime),
        "video_url": None,
    }


def _date_out(stock: Stock) -> dict[str, Any]:
    return {
        "id": stock.pk,
        "beginning_datetime": utc_z(stock.beginning_datetime),
        "booking_limit_datetime": utc_z(stock.booking_limit_datetime),
        "price_category": _price_category_out(stock.price_category),
        "quantity": "unlimited" if stock.quantity is None else stock.quantity,
        "booked_quantity": stock.booked_quantity,
        "id_at_provider": stock.id_at_provider,
    }


def _reload_event(offer_id: int, now: dt.datetime) -> dict[str, Any]:
    offer = (
        Offer.objects.select_related("venue", "image")
        .prefetch_related(
            Prefetch(
                "price_categories",
                queryset=PriceCategory.objects.order_by("pk"),
                to_attr="price_category_list",
            )
        )
        .get(pk=offer_id)
    )
    return _event_out(offer, now=now)


# --- input checks shared by create and patch ----------------------------------------------


def _email(value: str | None, alias: str, errors: dict[str, list[str]]) -> str:
    if not value:
        return ""
    try:
        validate_email(value)
    except DjangoValidationError:
        errors[alias] = ["value is not a valid email address"]
    return value


def _url(value: str | None, alias: str, errors: dict[str, list[str]]) -> str:
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except DjangoValidationError:
        errors[alias] = ["invalid or missing URL scheme"]
    return value


def _check_name(name: str | None, errors: dict[str, list[str]]) -> None:
    if name and EAN_IN_NAME.search(name):
        errors["name"] = [_("Le titre d'une offre ne peut contenir l'EAN")]


def _check_duration(minutes: int | None, errors: dict[str, list[str]]) -> int | None:
    if minutes is not None and minutes >= offers.MAX_DURATION_MINUTES:
        errors["eventDuration"] = [DURATION_MESSAGE]
    return minutes or None  # 0 means "no duration" for us: the portal asks 1 to 1,440


def _music_type_in(value: str) -> dict[str, str] | None:
    """A Titelive genre slug (``JAZZ-BLUES``) or an older event sub-genre (``ELECTRO-HOUSE``)."""
    for choice in catalogue.extra_field_choices("gtl_id"):
        if choice.can_be_event and choice.key == value:
            return {
                "gtl_id": choice.code,
                "musicType": GTL_TO_MUSIC_TYPE.get(choice.code, OTHER_MUSIC_TYPE),
            }
    for choice in catalogue.extra_field_choices("musicSubType"):
        if choice.key == value and choice.parent_code:
            return {"musicType": choice.parent_code, "musicSubType": choice.code}
    return None


def _show_type_in(value: str) -> dict[str, str] | None:
    for choice in catalogue.extra_field_choices("showSubType"):
        if choice.key == value and choice.parent_code:
            return {"showType": choice.parent_code, "showSubType": choice.code}
    return None


def _selectable_event_subcategories() -> list[catalogue.Subcategory]:
    return list(catalogue.selectable_subcategories(events_only=True))


def _category_fields_in(
    fields: Mapping[str, Any],
    errors: dict[str, list[str]],
    *,
    current: Offer | None = None,
) -> tuple[catalogue.Subcategory | None, dict[str, str]]:
    """The subcategory and the offer's extra data from ``categoryRelatedFields``.

    Fields the category does not have are dropped silently, as pass Culture does.
    """
    key = "categoryRelatedFields"
    category = fields.get("category")
    if category is None:
        errors[f"{key}.category"] = ["field required"]
        return None, {}
    if current is not None:
        if category != current.subcategory_id:
            errors[f"{key}.category"] = ["The category cannot be changed"]
            return None, {}
        sub = catalogue.find_subcategory(current.subcategory_id)
    else:
        allowed = {sub.id: sub for sub in _selectable_event_subcategories()}
        sub = allowed.get(category) if isinstance(category, str) else None
        if sub is None:
            permitted = ", ".join(f"'{sub_id}'" for sub_id in allowed)
            errors[f"{key}.category"] = [f"unexpected value; permitted: {permitted}"]
            return None, {}
    if sub is None:
        return None, {}
    extra: dict[str, str] = {}
    for cf in sub.conditional_fields:
        if cf.name in INTERNAL_FIELDS:
            continue
        value = fields.get(cf.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if cf.required_in_public_api:
                errors[f"{key}.{cf.name}"] = ["field required"]
            continue
        if not isinstance(value, str):
            errors[f"{key}.{cf.name}"] = ["str type expected"]
            continue
        if cf.name == "musicType":
            music = _music_type_in(value)
            if music is None:
                permitted = ", ".join(
                    f"'{c.key}'" for c in catalogue.extra_field_choices("gtl_id") if c.can_be_event
                )
                errors[f"{key}.musicType"] = [f"unexpected value; permitted: {permitted}"]
            else:
                extra.update(music)
        elif cf.name == "showType":
            show = _show_type_in(value)
            if show is None:
                errors[f"{key}.showType"] = [
                    "unexpected value; permitted: see GET /public/offers/v1/show_types"
                ]
            else:
                extra.update(show)
        elif len(value) > offers.MAX_EXTRA_VALUE_LENGTH:
            errors[f"{key}.{cf.name}"] = [
                f"ensure this value has at most {offers.MAX_EXTRA_VALUE_LENGTH} characters"
            ]
        else:
            extra[cf.name] = value.strip()
    return sub, extra


def _refuse_unsupported(
    payload: s.EventCreate | s.EventPatch, errors: dict[str, list[str]]
) -> None:
    """What culturepass cannot store yet is refused clearly rather than dropped."""
    if payload.video_url is not None:
        errors["videoUrl"] = ["Videos are not available yet"]


def _location_venue(actor: PartnerActor, location: Any) -> Venue:
    venue = venue_or_404(actor, location.venue_id)
    if isinstance(location, s.AddressLocation):
        # culturepass has no address book: no address id can be found.
        raise PartnerError(
            404,
            {
                "location.AddressLocation.addressId": [
                    f"There is no address with id {location.address_id}"
                ]
            },
        )
    if isinstance(location, s.DigitalLocation):
        raise PartnerError(400, {"url": ["Online events are not available yet"]})
    return venue


def _withdrawal_type(sub: catalogue.Subcategory) -> str:
    # Without a ticketing service, a withdrawable event needs no ticket.
    return Offer.Withdrawal.NO_TICKET if sub.is_withdrawable else ""


def _save_practical_info(
    *,
    actor: PartnerActor,
    offer: Offer,
    sub: catalogue.Subcategory,
    withdrawal_details: str,
    booking_contact: str,
    booking_email: str,
    accessibility: Mapping[str, bool],
    external_ticket_office_url: str,
    now: dt.datetime,
) -> Offer:
    return offers.offer_update_practical_info(
        actor=actor,
        offer=offer,
        withdrawal_type=offer.withdrawal_type or _withdrawal_type(sub),
        withdrawal_delay_seconds=offer.withdrawal_delay_seconds,
        withdrawal_details=withdrawal_details,
        booking_contact=booking_contact,
        booking_email=booking_email,
        accessibility_motor=accessibility["motor"],
        accessibility_visual=accessibility["visual"],
        accessibility_hearing=accessibility["hearing"],
        accessibility_mental=accessibility["mental"],
        external_ticket_office_url=external_ticket_office_url,
        now=now,
    )


def _withdrawable_contact_error() -> dict[str, list[str]]:
    return {
        "offer": [
            _("Une offre qui a un ticket retirable doit avoir l'email du contact de réservation")
        ]
    }


# --- §2 venues and categories ---------------------------------------------------------------


@offers_router.get(
    "/offerer_venues",
    response=list[s.OffererVenuesOut],
    summary="Structures et lieux atteints par la clé",
)
def offerer_venues(request: HttpRequest, query: Query[s.OffererVenuesQuery]) -> Any:
    """The key's structure and the venues it reaches (an empty list for another ``siren``)."""
    actor = partner_actor(request)
    offerer = Offerer.objects.filter(pk=actor.offerer_id).first()
    if offerer is None or (query.siren is not None and query.siren != offerer.siren):
        return []
    venues = list(reachable_venues(actor).order_by("pk"))
    return [
        {
            "offerer": {
                "id": offerer.pk,
                "name": offerer.name,
                "siren": offerer.siren,
                "created_datetime": utc_z(offerer.created_at),
                "allowed_on_adage": False,
            },
            "venues": [
                {
                    "id": venue.pk,
                    "legal_name": venue.name,
                    "public_name": venue.public_name or None,
                    "siret": venue.siret,
                    "siret_comment": venue.comment or None,
                    "created_datetime": utc_z(venue.created_at),
                    "activity_domain": venue.venue_type,
                    "location": {
                        "type": "physical",
                        "address": venue.street or None,
                        "city": venue.city or None,
                        "postalCode": venue.postal_code or None,
                    },
                    "accessibility": _accessibility(venue),
                    "booking_url": None,
                    "cancel_url": None,
                    "notification_url": None,
                }
                for venue in venues
            ],
        }
    ]


@offers_router.get(
    "/events/categories", response=list[s.CategoryOut], summary="Catégories d'événements"
)
def event_categories(request: HttpRequest) -> Any:
    """The event categories a partner may use; each conditional field says whether it is
    required at creation."""
    return [
        {
            "id": sub.id,
            "conditional_fields": {
                cf.name: cf.required_in_public_api for cf in sub.conditional_fields
            },
            "label": sub.pro_label,
        }
        for sub in _selectable_event_subcategories()
    ]


@offers_router.get(
    "/music_types/event", response=list[s.TypeOut], summary="Genres musicaux (événements)"
)
def music_types_event(request: HttpRequest) -> Any:
    """Values of ``categoryRelatedFields.musicType`` for events."""
    return [
        {"id": choice.key, "label": choice.label}
        for choice in catalogue.extra_field_choices("gtl_id")
        if choice.can_be_event
    ]


@offers_router.get("/show_types", response=list[s.TypeOut], summary="Types de spectacle")
def show_types(request: HttpRequest) -> Any:
    """Values of ``categoryRelatedFields.showType``."""
    return [
        {"id": choice.key, "label": choice.label}
        for choice in catalogue.extra_field_choices("showSubType")
    ]


# --- §3 events ------------------------------------------------------------------------------


@offers_router.post(
    "/events",
    response=s.EventOut,
    summary="Créer un événement",
    description=OPENAPI_PUBLICATION,
)
def event_create(request: HttpRequest, payload: s.EventCreate) -> Any:
    actor = partner_actor(request)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    fields = payload.model_fields_set
    if "publication_date" in fields and "publication_datetime" in fields:
        raise PartnerError(
            400,
            {
                "__root__": [
                    "You cannot set both `publicationDate` and `publicationDatetime`. "
                    "`publicationDate` is deprecated, use `publicationDatetime`."
                ]
            },
        )
    publication = (
        payload.publication_date if "publication_date" in fields else payload.publication_datetime
    )
    _check_name(payload.name, errors)
    sub, extra = _category_fields_in(payload.category_related_fields, errors)
    booking_contact = _email(payload.booking_contact, "bookingContact", errors)
    booking_email = _email(payload.booking_email, "bookingEmail", errors)
    ticket_url = _url(payload.external_ticket_office_url, "externalTicketOfficeUrl", errors)
    duration = _check_duration(payload.event_duration, errors)
    _refuse_unsupported(payload, errors)
    if sub is not None and payload.enable_double_bookings and not sub.can_be_duo:
        errors["enableDoubleBookings"] = ["the category chosen does not allow double bookings"]
    if (
        isinstance(publication, dt.datetime)
        and payload.booking_allowed_datetime is not None
        and payload.booking_allowed_datetime < publication
    ):
        errors["bookingAllowedDatetime"] = ["must be after the publication datetime"]
    if errors:
        raise PartnerError(400, errors)
    assert sub is not None  # no error means the category was found
    venue = _location_venue(actor, payload.location)
    if payload.has_ticket:
        raise PartnerError(400, HAS_TICKET_REFUSED)
    if sub.is_withdrawable and not booking_contact:
        raise PartnerError(400, _withdrawable_contact_error())
    provider_id = payload.id_at_provider
    if (
        provider_id
        and Offer.objects.filter(venue=venue, id_at_provider=provider_id.strip()).exists()
    ):
        raise PartnerError(
            400, {"idAtProvider": [f"`{provider_id}` is already taken by another venue offer"]}
        )
    # Decoded and checked only once the key's scope and the other fields are known good.
    processed = partner_images.prepare(payload.image.file) if payload.image is not None else None
    accessibility = {
        "hearing": payload.accessibility.audio_disability_compliant,
        "mental": payload.accessibility.mental_disability_compliant,
        "motor": payload.accessibility.motor_disability_compliant,
        "visual": payload.accessibility.visual_disability_compliant,
    }
    with (
        _image_files_removed_on_failure() as written,
        _refusals({"global": "Venue cannot be found"}),
        transaction.atomic(),
    ):
        offer = offers.offer_create_draft(actor=actor, venue=venue, subcategory_id=sub.id, now=now)
        offers.offer_update_description(
            actor=actor,
            offer=offer,
            name=payload.name,
            description=payload.description or "",
            extra_data=extra,
            duration_minutes=duration,
            now=now,
        )
        offer = _save_practical_info(
            actor=actor,
            offer=offer,
            sub=sub,
            withdrawal_details=payload.item_collection_details or "",
            booking_contact=booking_contact,
            booking_email=booking_email,
            accessibility=accessibility,
            external_ticket_office_url=ticket_url,
            now=now,
        )
        duo = (
            sub.can_be_duo
            if payload.enable_double_bookings is None
            else bool(payload.enable_double_bookings)
        )
        offers.offer_set_duo(actor=actor, offer=offer, is_duo=duo, now=now)
        if provider_id:
            offers.offer_set_id_at_provider(
                actor=actor, offer=offer, id_at_provider=provider_id, now=now
            )
        for item in payload.price_categories or ():
            offers.price_category_add(
                actor=actor,
                offer=offer,
                label=item.label,
                price_cents=item.price,
                id_at_provider=item.id_at_provider,
                now=now,
            )
        if payload.image is not None and processed is not None:
            _set_image(
                actor=actor,
                offer=offer,
                image=payload.image,
                processed=processed,
                written=written,
                now=now,
            )
        offers.offer_request_publication(
            actor=actor,
            offer=offer,
            publication_datetime=now if publication == "now" else publication,
            booking_allowed_datetime=payload.booking_allowed_datetime,
            now=now,
        )
    return _reload_event(offer.pk, now)


@offers_router.get("/events", response=s.EventsOut, summary="Lister les événements")
def event_list(request: HttpRequest, query: Query[s.EventListQuery]) -> Any:
    """The key's events by id (``firstIndex`` = the smallest id), at most ``limit``."""
    actor = partner_actor(request)
    now = clock.now()
    queryset = _event_events(actor)
    if query.venue_id is not None:
        venue_or_404(actor, query.venue_id)
        queryset = queryset.filter(venue_id=query.venue_id)
    if query.address_id is not None:
        # No address book in culturepass: no event is at an address id.
        queryset = queryset.none()
    ids = _ids_at_provider(query.ids_at_provider)
    if ids is not None:
        queryset = queryset.filter(id_at_provider__in=ids)
    page = list(
        selectors.annotate_offers(queryset, now=now)
        .select_related("venue", "image")
        .prefetch_related(
            Prefetch(
                "price_categories",
                queryset=PriceCategory.objects.order_by("pk"),
                to_attr="price_category_list",
            )
        )
        .filter(pk__gte=query.first_index)
        .order_by("pk")[: query.limit]
    )
    return {"events": [_event_out(offer, now=now) for offer in page]}


@offers_router.get("/events/{int:event_id}", response=s.EventOut, summary="Lire un événement")
def event_get(request: HttpRequest, event_id: int) -> Any:
    actor = partner_actor(request)
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND)
    return _reload_event(offer.pk, clock.now())


@offers_router.patch(
    "/events/{int:event_id}",
    response=s.EventOut,
    summary="Modifier un événement",
    description="Only the fields sent change; `null` clears a field." + OPENAPI_PUBLICATION,
)
def event_patch(request: HttpRequest, event_id: int, payload: s.EventPatch) -> Any:
    actor = partner_actor(request)
    now = clock.now()
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND)
    sent = payload.model_fields_set
    errors: dict[str, list[str]] = {}
    if "name" in sent and payload.name is None:
        errors["name"] = ["cannot be null"]
    _check_name(payload.name, errors)
    sub = catalogue.find_subcategory(offer.subcategory_id)
    extra = dict(offer.extra_data or {})
    if "category_related_fields" in sent and payload.category_related_fields is not None:
        _sub, extra = _category_fields_in(payload.category_related_fields, errors, current=offer)
    booking_contact = (
        _email(payload.booking_contact, "bookingContact", errors)
        if "booking_contact" in sent
        else offer.booking_contact
    )
    booking_email = (
        _email(payload.booking_email, "bookingEmail", errors)
        if "booking_email" in sent
        else offer.booking_email
    )
    ticket_url = (
        _url(payload.external_ticket_office_url, "externalTicketOfficeUrl", errors)
        if "external_ticket_office_url" in sent
        else offer.external_ticket_office_url
    )
    duration = (
        _check_duration(payload.event_duration, errors)
        if "event_duration" in sent
        else offer.duration_minutes
    )
    _refuse_unsupported(payload, errors)
    if payload.enable_double_bookings and not (sub and sub.can_be_duo):
        errors["enableDoubleBookings"] = ["the category chosen does not allow double bookings"]
    if errors:
        raise PartnerError(400, errors)
    if offer.validation in (Offer.Validation.PENDING, Offer.Validation.REJECTED):
        raise PartnerError(400, _not_editable())
    if payload.location is not None:
        venue = _location_venue(actor, payload.location)
        if venue.pk != offer.venue_id:
            raise PartnerError(400, {"location.venueId": ["The venue cannot be changed"]})
    if sub is not None and sub.is_withdrawable and not booking_contact:
        raise PartnerError(400, _withdrawable_contact_error())
    if (
        "id_at_provider" in sent
        and payload.id_at_provider
        and Offer.objects.filter(venue_id=offer.venue_id, id_at_provider=payload.id_at_provider)
        .exclude(pk=offer.pk)
        .exists()
    ):
        raise PartnerError(
            400,
            {
                "idAtProvider": [
                    f"`{payload.id_at_provider}` is already taken by another venue offer"
                ]
            },
        )
    processed = (
        partner_images.prepare(payload.image.file)
        if "image" in sent and payload.image is not None
        else None
    )
    current = _accessibility(offer)
    if payload.accessibility is not None:
        for name in payload.accessibility.model_fields_set:
            value = getattr(payload.accessibility, name)
            if value is not None:
                current[name] = value
    accessibility = {
        "hearing": current["audio_disability_compliant"],
        "mental": current["mental_disability_compliant"],
        "motor": current["motor_disability_compliant"],
        "visual": current["visual_disability_compliant"],
    }
    with (
        _image_files_removed_on_failure() as written,
        _refusals(EVENT_NOT_FOUND),
        transaction.atomic(),
    ):
        if sent & {"name", "description", "category_related_fields", "event_duration"}:
            offers.offer_update_description(
                actor=actor,
                offer=offer,
                name=payload.name if "name" in sent and payload.name else offer.name,
                description=(payload.description or "")
                if "description" in sent
                else offer.description,
                extra_data=extra,
                duration_minutes=duration,
                now=now,
            )
        if sent & {
            "accessibility",
            "booking_contact",
            "booking_email",
            "external_ticket_office_url",
            "item_collection_details",
        }:
            offer.refresh_from_db()
            if sub is not None:
                _save_practical_info(
                    actor=actor,
                    offer=offer,
                    sub=sub,
                    withdrawal_details=(payload.item_collection_details or "")
                    if "item_collection_details" in sent
                    else offer.withdrawal_details,
                    booking_contact=booking_contact,
                    booking_email=booking_email,
                    accessibility=accessibility,
                    external_ticket_office_url=ticket_url,
                    now=now,
                )
        if "enable_double_bookings" in sent and payload.enable_double_bookings is not None:
            offers.offer_set_duo(
                actor=actor, offer=offer, is_duo=payload.enable_double_bookings, now=now
            )
        if "id_at_provider" in sent:
            offers.offer_set_id_at_provider(
                actor=actor, offer=offer, id_at_provider=payload.id_at_provider, now=now
            )
        if "image" in sent:
            if payload.image is None:
                offers.offer_remove_image(actor=actor, offer=offer, now=now)
            elif processed is not None:
                _set_image(
                    actor=actor,
                    offer=offer,
                    image=payload.image,
                    processed=processed,
                    written=written,
                    now=now,
                )
        if sent & {"publication_datetime", "booking_allowed_datetime"}:
            publication = payload.publication_datetime
            offers.offer_request_publication(
                actor=actor,
                offer=offer,
                publication_datetime=(now if publication == "now" else publication)
                if "publication_datetime" in sent
                else offers.UNSET,
                booking_allowed_datetime=payload.booking_allowed_datetime
                if "booking_allowed_datetime" in sent
                else offers.UNSET,
                now=now,
            )
        if "is_active" in sent and payload.is_active is not None:
            toggle = offers.offer_activate if payload.is_active else offers.offer_deactivate
            toggle(actor=actor, offers=[offer.pk], now=now)
    return _reload_event(offer.pk, now)


# --- §3.5 price categories ------------------------------------------------------------------


@offers_router.post(
    "/events/{int:event_id}/price_categories",
    response=s.PriceCategoriesOut,
    summary="Ajouter des tarifs",
)
def price_categories_create(
    request: HttpRequest, event_id: int, payload: s.PriceCategoriesCreate
) -> Any:
    actor = partner_actor(request)
    now = clock.now()
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    existing = list(PriceCategory.objects.filter(offer=offer))
    if len(existing) + len(payload.price_categories) > MAX_PRICE_CATEGORIES:
        raise PartnerError(
            400, {"priceCategories": ["An offer cannot have more than 50 price categories"]}
        )
    pairs = {(pc.label, pc.price_cents) for pc in existing}
    ids = {pc.id_at_provider for pc in existing if pc.id_at_provider}
    for item in payload.price_categories:
        if (item.label, item.price) in pairs:
            raise PartnerError(
                400, {"priceCategories": [f"The price category {item.label} already exists"]}
            )
        if item.id_at_provider and item.id_at_provider in ids:
            raise PartnerError(
                400,
                {
                    "idAtProvider": [
                        f"`{item.id_at_provider}` is already taken by another offer price category"
                    ]
                },
            )
    created = []
    with _refusals(EVENT_NOT_FOUND_SHORT), transaction.atomic():
        for item in payload.price_categories:
            created.append(
                offers.price_category_add(
                    actor=actor,
                    offer=offer,
                    label=item.label,
                    price_cents=item.price,
                    id_at_provider=item.id_at_provider,
                    now=now,
                )
            )
    return {"price_categories": [_price_category_out(pc) for pc in created]}


@offers_router.get(
    "/events/{int:event_id}/price_categories",
    response=s.PriceCategoriesOut,
    summary="Lister les tarifs",
)
def price_categories_list(
    request: HttpRequest, event_id: int, query: Query[s.PriceCategoryListQuery]
) -> Any:
    """``limit`` and ``firstIndex`` are accepted and, unlike pass Culture, applied."""
    actor = partner_actor(request)
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    queryset = PriceCategory.objects.filter(offer=offer)
    ids = _ids_at_provider(query.ids_at_provider)
    if ids is not None:
        queryset = queryset.filter(id_at_provider__in=ids)
    page = queryset.filter(pk__gte=query.first_index).order_by("pk")[: query.limit]
    return {"price_categories": [_price_category_out(pc) for pc in page]}


@offers_router.patch(
    "/events/{int:event_id}/price_categories/{int:price_category_id}",
    response=s.PriceCategoryOut,
    summary="Modifier un tarif",
    description="A new price applies to every date of this price category.",
)
def price_category_patch(
    request: HttpRequest, event_id: int, price_category_id: int, payload: s.PriceCategoryPatch
) -> Any:
    actor = partner_actor(request)
    now = clock.now()
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    pc = PriceCategory.objects.filter(pk=price_category_id, offer=offer).first()
    if pc is None:
        raise PartnerError(404, PRICE_CATEGORY_NOT_FOUND)
    sent = payload.model_fields_set
    label = payload.label if "label" in sent and payload.label is not None else pc.label
    price = payload.price if "price" in sent and payload.price is not None else pc.price_cents
    if (
        PriceCategory.objects.filter(offer=offer, label=label, price_cents=price)
        .exclude(pk=pc.pk)
        .exists()
    ):
        raise PartnerError(400, {"priceCategories": [f"The price category {label} already exists"]})
    if (
        "id_at_provider" in sent
        and payload.id_at_provider
        and PriceCategory.objects.filter(offer=offer, id_at_provider=payload.id_at_provider)
        .exclude(pk=pc.pk)
        .exists()
    ):
        raise PartnerError(
            400,
            {
                "idAtProvider": [
                    f"`{payload.id_at_provider}` is already taken by another offer price category"
                ]
            },
        )
    with _refusals(PRICE_CATEGORY_NOT_FOUND):
        updated = offers.price_category_update(
            actor=actor,
            price_category=pc,
            label=label,
            price_cents=price,
            id_at_provider=payload.id_at_provider if "id_at_provider" in sent else offers.UNSET,
            now=now,
        )
    return _price_category_out(updated)


# --- §3.7-3.9 dates ---------------------------------------------------------------------------


def _check_dates(offer: Offer, dates: Sequence[s.DateIn], *, now: dt.datetime) -> None:
    """The contract's per-date refusals, before the service checks again under its lock."""
    live = Stock.objects.filter(offer=offer, is_soft_deleted=False)
    if live.count() + len(dates) > MAX_OCCURRENCES_PER_OFFER:
        raise PartnerError(
            400,
            {
                "dates": [
                    "The maximum number of stock entries allowed per offer is "
                    f"{MAX_OCCURRENCES_PER_OFFER}"
                ]
            },
        )
    own = set(PriceCategory.objects.filter(offer=offer).values_list("pk", flat=True))
    taken = set(live.filter(id_at_provider__isnull=False).values_list("id_at_provider", flat=True))
    opening = max(
        [
            d
            for d in (
                offer.publication_datetime,
                offer.pending_publication_datetime,
                offer.booking_allowed_datetime,
            )
            if d is not None and d > now
        ],
        default=None,
    )
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(dates):
        key = f"dates.{index}"
        if item.price_category_id not in own:
            errors[f"{key}.priceCategoryId"] = ["The price category could not be found"]
        if item.booking_limit_datetime > item.beginning_datetime:
            errors[f"{key}.bookingLimitDatetime"] = [
                "The bookingLimitDatetime must be before the beginning of the event"
            ]
        elif opening is not None and item.booking_limit_datetime <= opening:
            errors[f"{key}.bookingLimitDatetime"] = [
                "the stock will not be bookable before its `bookingLimitDatetime`. Either change "
                "the `bookingLimitDatetime` or the `publicationDatetime` / "
                "`bookingAllowedDatetime` of the event."
            ]
        if item.id_at_provider:
            if item.id_at_provider in taken:
                errors[f"{key}.idAtProvider"] = [
                    f"`{item.id_at_provider}` is already taken by another offer stock"
                ]
            taken.add(item.id_at_provider)
    if errors:
        raise PartnerError(400, errors)


@offers_router.post(
    "/events/{int:event_id}/dates",
    response=s.DatesOut,
    summary="Ajouter des dates",
    description=(
        "One date per (datetime x price category), at most 2,500 live dates per event. "
        "Posting the first dates publishes an event whose publication is due (see the event)."
    ),
)
def dates_create(request: HttpRequest, event_id: int, payload: s.DatesCreate) -> Any:
    actor = partner_actor(request)
    now = clock.now()
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    if offer.validation == Offer.Validation.REJECTED:
        raise PartnerError(400, _not_editable())
    _check_dates(offer, payload.dates, now=now)
    new = [
        offers.NewStock(
            price_category_id=item.price_category_id,
            beginning_datetime=item.beginning_datetime,
            booking_limit_datetime=item.booking_limit_datetime,
            quantity=None if item.quantity == "unlimited" else item.quantity,
            id_at_provider=item.id_at_provider,
        )
        for item in payload.dates
    ]
    try:
        with transaction.atomic():
            created = offers.stocks_add(actor=actor, offer=offer, stocks=new, now=now)
            offers.offer_publish_pending(actor=actor, offer=offer, now=now)
    except offers.ValidationErrors as exc:
        body: dict[str, list[str]] = {}
        for field, message in exc.errors.items():
            index, _dot, name = field.partition(".")
            body.setdefault(f"dates.{index}.{_alias(name)}", []).append(message)
        raise PartnerError(400, body) from None
    except DomainError as exc:
        if exc.code.endswith("not_found"):
            raise PartnerError(404, EVENT_NOT_FOUND_SHORT) from None
        raise PartnerError(400, {"global": [exc.message]}) from None
    by_pk = {
        stock.pk: stock
        for stock in Stock.objects.select_related("price_category").filter(
            pk__in=[c.pk for c in created]
        )
    }
    return {"dates": [_date_out(by_pk[c.pk]) for c in created]}


@offers_router.get("/events/{int:event_id}/dates", response=s.DatesOut, summary="Lister les dates")
def dates_list(request: HttpRequest, event_id: int, query: Query[s.DateListQuery]) -> Any:
    """Live dates by id (deleted ones are left out)."""
    actor = partner_actor(request)
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    queryset = Stock.objects.filter(offer=offer, is_soft_deleted=False)
    ids = _ids_at_provider(query.ids_at_provider)
    if ids is not None:
        queryset = queryset.filter(id_at_provider__in=ids)
    page = (
        queryset.select_related("price_category")
        .filter(pk__gte=query.first_index)
        .order_by("pk")[: query.limit]
    )
    return {"dates": [_date_out(stock) for stock in page]}


@offers_router.get(
    "/events/{int:event_id}/dates/{int:stock_id}",
    response=s.DateOut,
    summary="Lire une date (extension culturepass)",
)
def date_get(request: HttpRequest, event_id: int, stock_id: int) -> Any:
    """Not in pass Culture's v1: culturepass adds it."""
    actor = partner_actor(request)
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    return _date_out(_stock_or_404(offer, stock_id))


@offers_router.patch(
    "/events/{int:event_id}/dates/{int:stock_id}",
    response=s.DateOut,
    summary="Modifier une date",
    description=(
        "`quantity` is the number of places **still available**: the stored total becomes "
        "`quantity` + `bookedQuantity`. Moving `beginningDatetime` of a date with bookings "
        "postpones it: the beneficiaries are told by email."
    ),
)
def date_patch(request: HttpRequest, event_id: int, stock_id: int, payload: s.DatePatch) -> Any:
    actor = partner_actor(request)
    now = clock.now()
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    stock = _stock_or_404(offer, stock_id)
    sent = payload.model_fields_set
    if (
        payload.price_category_id is not None
        and not PriceCategory.objects.filter(pk=payload.price_category_id, offer=offer).exists()
    ):
        raise PartnerError(404, {"priceCategoryId": ["The price category could not be found"]})
    if (
        "id_at_provider" in sent
        and payload.id_at_provider
        and Stock.objects.filter(
            offer=offer, is_soft_deleted=False, id_at_provider=payload.id_at_provider
        )
        .exclude(pk=stock.pk)
        .exists()
    ):
        raise PartnerError(
            400,
            {
                "idAtProvider": [
                    f"`{payload.id_at_provider}` is already taken by another offer stock"
                ]
            },
        )
    new_beginning = payload.beginning_datetime
    limit = payload.booking_limit_datetime
    if limit is not None and limit > (new_beginning or stock.beginning_datetime):
        raise PartnerError(
            400,
            {
                "bookingLimitDatetime": [
                    "The bookingLimitDatetime must be before the beginning of the event"
                ]
            },
        )
    postpone = (
        new_beginning is not None
        and new_beginning != stock.beginning_datetime
        and stock.booked_quantity > 0
    )
    changes: dict[str, Any] = {}
    if new_beginning is not None and not postpone:
        changes["beginning_datetime"] = new_beginning
    if limit is not None:
        changes["booking_limit_datetime"] = limit
    if "quantity" in sent:
        changes["available_quantity"] = (
            None if payload.quantity in (None, "unlimited") else payload.quantity
        )
    if payload.price_category_id is not None:
        changes["price_category"] = payload.price_category_id
    if "id_at_provider" in sent:
        changes["id_at_provider"] = payload.id_at_provider
    with _refusals(STOCK_NOT_FOUND), transaction.atomic():
        if postpone:
            assert new_beginning is not None
            # With bookings, moving the date is a postponement: emails, new cancellation limits.
            lifecycle.stock_postpone(
                actor=actor, stock_id=stock.pk, new_beginning=new_beginning, now=now
            )
        if changes:
            offers.stock_update(actor=actor, stock=stock, now=now, **changes)
    return _date_out(_stock_or_404(offer, stock.pk))


@offers_router.delete(
    "/events/{int:event_id}/dates/{int:stock_id}",
    response={204: None},
    summary="Supprimer une date",
    description=(
        "Cancels every booking of the date (the beneficiaries get their credit back and an "
        "email), then deletes the date. Refused when the event ended more than two days ago."
    ),
)
def date_delete(request: HttpRequest, event_id: int, stock_id: int) -> Any:
    actor = partner_actor(request)
    offer = _event_or_404(actor, event_id, EVENT_NOT_FOUND_SHORT)
    stock = _stock_or_404(offer, stock_id)
    try:
        lifecycle.stock_cancel_by_offerer(actor=actor, stock_id=stock.pk, now=clock.now())
    except DomainError as exc:
        if exc.code.endswith("not_found"):
            raise PartnerError(404, STOCK_NOT_FOUND) from None
        if exc.code == "event_too_old":
            raise PartnerError(
                400,
                {
                    "global": [
                        _(
                            "L'évènement s'est terminé il y a plus de deux jours, la "
                            "suppression est impossible."
                        )
                    ]
                },
            ) from None
        raise PartnerError(400, {"global": [exc.message]}) from None
    return HttpResponse(status=204)
