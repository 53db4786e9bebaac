"""Writes of the offers domain: the creation wizard, price categories, occurrences (stocks),
publication, compliance review and validation rules.

Every function is one use case in one transaction: it locks the offer row (so that counts and
checks hold until the commit), checks who may act and the rules, writes, and leaves an audit
entry. A refusal is a :class:`~culturepass.core.errors.DomainError` with a stable ``code``, the
form ``field`` it concerns and a French message; :class:`ValidationErrors` carries several
field errors at once. Nothing is written when a service raises.

Who may act:

- pro services: a VALIDATED member of the offer's structure; anyone else gets ``not_found``
  (ids reveal nothing). A REJECTED offer is read-only (``offer_rejected``) and a CLOSED
  structure changes nothing (``offerer_closed``).
- staff services (review, rules): staff holding ``accounts.compliance`` (``staff_required``).

Lock order, everywhere: the offer row, then its stock or price-category rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from culturepass.catalog import catalogue
from culturepass.core.actors import acts_for, is_partner, user_or_none
from culturepass.core.audit import AUTO, audit_record, snapshot
from culturepass.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from culturepass.notifications.services import email_enqueue
from culturepass.offerers.models import Membership, Offerer, Venue
from culturepass.offerers.services import locate, parse_coordinate
from culturepass.offers import compliance, images
from culturepass.offers.models import (
    MAX_DESCRIPTION_LENGTH,
    MAX_ID_AT_PROVIDER_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PRICE_CATEGORIES,
    MAX_PRICE_CENTS,
    MAX_STOCK_QUANTITY,
    Offer,
    OfferImage,
    PriceCategory,
    Stock,
    ValidationRule,
)
from culturepass.offers.recurrence import (
    MAX_OCCURRENCES_PER_OFFER,
    Expansion,
    PriceCategoryQuantity,
    RecurrenceRule,
    expand_occurrences,
)

# --- constants --------------------------------------------------------------------------------

# The wizard's steps, in the article's order. ``Offer.wizard_step`` keeps the furthest step
# saved, so a draft resumes at the step after it.
WIZARD_STEPS: Final = (
    "category",
    "description",
    "location",
    "practical_info",
    "prices",
    "duo",
    "stocks",
    "publication",
)
DEFAULT_PRICE_CATEGORY_LABEL = gettext_lazy("Tarif unique")
MAX_PRICE_CATEGORY_LABEL_LENGTH = 50
MAX_DURATION_MINUTES = 24 * 60
MAX_LOCATION_LABEL_LENGTH = 140
MAX_EXTRA_VALUE_LENGTH = 1000
MAX_WITHDRAWAL_DETAILS_LENGTH = 500
MAX_WITHDRAWAL_DELAY_SECONDS = 30 * 24 * 3600
MAX_PUBLICATION_DELAY = dt.timedelta(days=2 * 365)
MAX_REJECTION_REASON_LENGTH = 2000
# The delays pass Culture offers (seconds, label); the pages may offer these.
WITHDRAWAL_DELAY_CHOICES: Final = (
    (15 * 60, gettext_lazy("15 minutes")),
    (30 * 60, gettext_lazy("30 minutes")),
    (3600, gettext_lazy("1 heure")),
    (2 * 3600, gettext_lazy("2 heures")),
    (4 * 3600, gettext_lazy("4 heures")),
    (24 * 3600, gettext_lazy("24 heures")),
    (48 * 3600, gettext_lazy("48 heures")),
    (3 * 24 * 3600, gettext_lazy("3 jours")),
    (7 * 24 * 3600, gettext_lazy("1 semaine")),
)
# Withdrawal types a pro may choose in the portal (in_app is for ticketing partners).
PORTAL_WITHDRAWAL_TYPES: Final = (
    Offer.Withdrawal.NO_TICKET,
    Offer.Withdrawal.BY_EMAIL,
    Offer.Withdrawal.ON_SITE,
)
WITHDRAWAL_TYPES_WITH_DELAY: Final = (Offer.Withdrawal.BY_EMAIL, Offer.Withdrawal.ON_SITE)

OFFER_FIELDS = [
    "offerer",
    "venue",
    "subcategory_id",
    "name",
    "description",
    "extra_data",
    "duration_minutes",
    "address_kind",
    "location_label",
    "street",
    "postal_code",
    "city",
    "department_code",
    "latitude",
    "longitude",
    "timezone",
    "withdrawal_type",
    "withdrawal_delay_seconds",
    "withdrawal_details",
    "booking_contact",
    "booking_email",
    "accessibility_motor",
    "accessibility_visual",
    "accessibility_hearing",
    "accessibility_mental",
    "is_duo",
    "external_ticket_office_url",
    "validation",
    "rejection_reason",
    "validated_at",
    "is_active",
    "publication_datetime",
    "booking_allowed_datetime",
    "wizard_step",
    "pending_publication_datetime",
    "id_at_provider",
]
PRICE_CATEGORY_FIELDS = ["offer", "label", "price_cents", "id_at_provider"]
STOCK_FIELDS = [
    "offer",
    "price_category",
    "beginning_datetime",
    "booking_limit_datetime",
    "quantity",
    "booked_quantity",
    "is_soft_deleted",
    "id_at_provider",
]
IMAGE_FIELDS = ["offer", "original", "width", "height", "credit", "renditions"]
RULE_FIELDS = ["name", "kind", "parameters", "is_active"]

V = Offer.Validation


class _Unset:
    """Marks an argument that was not given (None is a value: "unlimited")."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()


# --- errors -----------------------------------------------------------------------------------


class ValidationErrors(DomainError):
    """Several field errors at once: ``errors`` maps a field name to a French message.

    ``field`` and ``message`` are those of the first error, so a handler that only knows
    :class:`DomainError` still shows something sensible.
    """

    code = "invalid"

    def __init__(self, errors: Mapping[str, str], *, code: str | None = None) -> None:
        if not errors:
            raise ValueError("ValidationErrors needs at least one error")
        self.errors: dict[str, str] = {key: str(value) for key, value in errors.items()}
        field, message = next(iter(self.errors.items()))
        super().__init__(message, code=code, field=field)


def _not_found() -> NotFound:
    return NotFound(_("Cette offre n'existe pas."), code="not_found")


def _rejected() -> DomainError:
    return DomainError(
        _("Cette offre a été refusée : elle ne peut plus être modifiée."), code="offer_rejected"
    )


# --- access -----------------------------------------------------------------------------------


def _is_member(actor: Any, offerer_id: int, venue_id: int | None = None) -> bool:
    """May ``actor`` act for this structure (and venue)? A partner API key acts for its own
    structure only, and only for the venues it reaches; a user needs a validated membership."""
    partner = acts_for(actor, offerer_id)
    if partner is not None:
        return partner and (venue_id is None or actor.reaches_venue(venue_id))
    if not getattr(actor, "pk", None) or not getattr(actor, "is_active", True):
        return False
    return Membership.objects.filter(
        user=actor, offerer_id=offerer_id, status=Membership.Status.VALIDATED
    ).exists()


def _offer_scope(actor: Any) -> Q:
    """The offers ``actor`` may act on, as a filter (same rule as :func:`_is_member`)."""
    if is_partner(actor):
        scope = Q(offerer_id=actor.offerer_id)
        if actor.venue_ids is not None:
            scope &= Q(venue_id__in=sorted(actor.venue_ids))
        return scope
    return Q(
        offerer_id__in=Membership.objects.filter(
            user=actor if getattr(actor, "pk", None) else None,
            status=Membership.Status.VALIDATED,
        ).values_list("offerer_id", flat=True)
    )


def _ensure_offerer_open(offerer: Offerer) -> None:
    if offerer.status == Offerer.Status.CLOSED:
        raise DomainError(_("Cette structure est fermée."), code="offerer_closed")


def _lock_offer(actor: Any, offer: Offer | int, *, editable: bool = True) -> Offer:
    """Lock the offer row for a pro of its structure (``not_found`` for anyone else).

    With ``editable`` (the default) a REJECTED offer or a CLOSED structure is refused.
    """
    pk = offer.pk if isinstance(offer, Offer) else offer
    locked = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("offerer", "venue")
        .filter(pk=pk)
        .first()
    )
    if locked is None or not _is_member(actor, locked.offerer_id, locked.venue_id):
        raise _not_found()
    if editable:
        if locked.validation == V.REJECTED:
            raise _rejected()
        _ensure_offerer_open(locked.offerer)
    return locked


def _is_compliance_staff(actor: Any) -> bool:
    return bool(
        getattr(actor, "pk", None)
        and getattr(actor, "is_staff", False)
        and actor.is_active
        and actor.has_perm("accounts.compliance")
    )


def _require_compliance_staff(actor: Any) -> None:
    if not _is_compliance_staff(actor):
        raise PermissionDenied(
            _("Action réservée à l'équipe conformité de culturepass."), code="staff_required"
        )


# --- small helpers ----------------------------------------------------------------------------


def _aware(value: dt.datetime | None, name: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime")


def _was_published(offer: Offer) -> bool:
    """Published at least once (PENDING, APPROVED or REJECTED): the subcategory is locked."""
    return offer.validation != V.DRAFT


def _advance_step(offer: Offer, step: str) -> None:
    current = WIZARD_STEPS.index(offer.wizard_step) if offer.wizard_step in WIZARD_STEPS else -1
    if WIZARD_STEPS.index(step) > current:
        offer.wizard_step = step


def _subcategory(offer: Offer) -> catalogue.Subcategory | None:
    return catalogue.find_subcategory(offer.subcategory_id)


def _clean_email(value: str | None, *, field: str, required: bool = False) -> str:
    email = (value or "").strip().lower()
    if not email:
        if required:
            raise DomainError(
                _("Indiquez une adresse email."), code=f"{field}_required", field=field
            )
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            _("Saisissez une adresse email valide."), code="email_invalid", field=field
        ) from None
    return email


def clean_id_at_provider(value: str | None) -> str | None:
    """A partner's identifier (partner API), stripped; blank is None. ``ValueError`` when
    longer than 70 characters (the API validates the length before calling)."""
    clean = (value or "").strip()
    if len(clean) > MAX_ID_AT_PROVIDER_LENGTH:
        raise ValueError("id_at_provider is longer than 70 characters")
    return clean or None


def _id_at_provider_taken() -> DomainError:
    return DomainError(
        _("Cet identifiant est déjà utilisé."),
        code="id_at_provider_taken",
        field="id_at_provider",
    )


def _save(offer: Offer, now: dt.datetime) -> None:
    offer.updated_at = now
    offer.save()


def _audit_offer(
    *,
    actor: Any,
    action: str,
    offer: Offer,
    now: dt.datetime,
    before: Mapping[str, Any] | None,
    comment: str = "",
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=offer,
        now=now,
        before=before,
        after=snapshot(offer, OFFER_FIELDS),
        offerer_id=offer.offerer_id,
        comment=comment,
    )


def _offer_url(offer: Offer) -> str:
    try:
        return settings.SITE_URL + reverse("pro:offer_detail", kwargs={"offer_id": offer.pk})
    except NoReverseMatch:  # the page belongs to the pro portal; the email works without it
        return settings.SITE_URL


def _recipients(offer: Offer) -> list[str]:
    """The offer's notification address and the structure's validated members."""
    emails = set(
        Membership.objects.filter(
            offerer_id=offer.offerer_id, status=Membership.Status.VALIDATED
        ).values_list("user__email", flat=True)
    )
    if offer.booking_email:
        emails.add(offer.booking_email)
    return sorted(e for e in emails if e)


# --- step 1: category -------------------------------------------------------------------------


def _selectable_subcategory(subcategory_id: str) -> catalogue.Subcategory:
    sub = catalogue.find_subcategory((subcategory_id or "").strip())
    selectable = {s.id for s in catalogue.selectable_subcategories()}
    if sub is None or sub.id not in selectable:
        raise DomainError(
            _("Choisissez une sous-catégorie de la liste."),
            code="subcategory_unknown",
            field="subcategory_id",
        )
    if not sub.is_event:
        # Occurrences are dated: offers of things (books, subscriptions...) come later.
        raise DomainError(
            _("Choisissez une sous-catégorie d'événement."),
            code="subcategory_not_event",
            field="subcategory_id",
        )
    return sub


def offer_create_draft(*, actor: Any, venue: Venue, subcategory_id: str, now: dt.datetime) -> Offer:
    """Step 1: a new DRAFT offer of ``venue``'s structure, in ``subcategory_id``.

    The offer starts at the venue's address (coordinates, time zone), with the venue's
    notification email, withdrawal details and accessibility, and duo on where the
    subcategory allows it. Its title comes at the next step.
    """
    sub = _selectable_subcategory(subcategory_id)
    with transaction.atomic():
        locked_venue = Venue.objects.select_related("offerer").filter(pk=venue.pk).first()
        if locked_venue is None or not _is_member(actor, locked_venue.offerer_id, locked_venue.pk):
            raise NotFound(_("Ce lieu n'existe pas."), code="not_found", field="venue")
        _ensure_offerer_open(locked_venue.offerer)
        offer = Offer(
            offerer_id=locked_venue.offerer_id,
            venue=locked_venue,
            subcategory_id=sub.id,
            name="",
            extra_data={},
            is_duo=sub.can_be_duo,
            booking_email=locked_venue.booking_email,
            withdrawal_details=locked_venue.withdrawal_details,
            accessibility_motor=locked_venue.accessibility_motor,
            accessibility_visual=locked_venue.accessibility_visual,
            accessibility_hearing=locked_venue.accessibility_hearing,
            accessibility_mental=locked_venue.accessibility_mental,
            validation=V.DRAFT,
            wizard_step="category",
            created_by=user_or_none(actor),
            created_at=now,
            updated_at=now,
        )
        _copy_venue_address(offer, locked_venue)
        offer.save()
        _audit_offer(actor=actor, action="offer.create", offer=offer, now=now, before=None)
    return offer


def offer_update_category(
    *, actor: Any, offer: Offer, subcategory_id: str, now: dt.datetime
) -> Offer:
    """Change the subcategory of an offer never published (``subcategory_locked`` after).

    The extra data keeps only the fields the new subcategory has; withdrawal settings go
    when it is not withdrawable, duo goes when it cannot be duo (and comes on by default
    when the old one could not).
    """
    sub = _selectable_subcategory(subcategory_id)
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        if _was_published(locked):
            raise DomainError(
                _("La catégorie et la sous-catégorie ne sont plus modifiables après publication."),
                code="subcategory_locked",
                field="subcategory_id",
            )
        old = _subcategory(locked)
        before = snapshot(locked, OFFER_FIELDS)
        locked.subcategory_id = sub.id
        locked.extra_data = catalogue.clean_extra_data(sub, locked.extra_data or {})
        if not sub.is_withdrawable:
            locked.withdrawal_type = ""
            locked.withdrawal_delay_seconds = None
        if not sub.can_be_duo:
            locked.is_duo = False
        elif old is None or not old.can_be_duo:
            locked.is_duo = True
        _advance_step(locked, "category")
        if snapshot(locked, OFFER_FIELDS) != before:
            _save(locked, now)
            _audit_offer(
                actor=actor, action="offer.update_category", offer=locked, now=now, before=before
            )
    return locked


# --- step 2: description ----------------------------------------------------------------------


def _clean_duration(value: Any, errors: dict[str, str]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        errors["duration_minutes"] = _("Indiquez une durée en minutes.")
        return None
    if isinstance(value, bool) or str(value).strip() not in (str(minutes), f"{minutes}.0"):
        errors["duration_minutes"] = _("Indiquez une durée en minutes.")
        return None
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = _("La durée doit être comprise entre 1 minute et 24 heures.")
        return None
    return minutes


def offer_update_description(
    *,
    actor: Any,
    offer: Offer,
    name: str,
    description: str,
    extra_data: Mapping[str, Any],
    duration_minutes: int | None,
    now: dt.datetime,
) -> Offer:
    """Step 2: title (1-90 characters), description (≤ 10,000), the subcategory's extra
    fields (errors on ``extra_data.<name>``) and duration (1-1,440 minutes, or none).

    Raises :class:`ValidationErrors` with every problem at once.
    """
    errors: dict[str, str] = {}
    clean_name = " ".join((name or "").split())
    if not clean_name:
        errors["name"] = _("Indiquez un titre.")
    elif len(clean_name) > MAX_NAME_LENGTH:
        errors["name"] = _("Le titre ne peut pas dépasser %(max)s caractères.") % {
            "max": MAX_NAME_LENGTH
        }
    clean_description = (description or "").strip().replace("\r\n", "\n")
    if len(clean_description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = _(
            "La description ne peut pas dépasser %(max)s caractères (elle en compte %(count)s)."
        ) % {"max": "10 000", "count": len(clean_description)}
    minutes = _clean_duration(duration_minutes, errors)

    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        sub = _subcategory(locked)
        clean_extra: dict[str, str] = {}
        if sub is not None:
            extra_data = extra_data or {}
            for field_name, message in catalogue.validate_extra_data(sub, extra_data).items():
                errors[f"extra_data.{field_name}"] = message
            clean_extra = catalogue.clean_extra_data(sub, extra_data)
            for field_name, value in clean_extra.items():
                if len(value) > MAX_EXTRA_VALUE_LENGTH:
                    errors[f"extra_data.{field_name}"] = _(
                        "Ce champ ne peut pas dépasser %(max)s caractères."
                    ) % {"max": MAX_EXTRA_VALUE_LENGTH}
        if errors:
            raise ValidationErrors(errors)
        before = snapshot(locked, OFFER_FIELDS)
        locked.name = clean_name
        locked.description = clean_description
        locked.extra_data = clean_extra
        locked.duration_minutes = minutes
        _advance_step(locked, "description")
        if snapshot(locked, OFFER_FIELDS) != before:
            _save(locked, now)
            _audit_offer(
                actor=actor,
                action="offer.update_description",
                offer=locked,
                now=now,
                before=before,
            )
    return locked


# --- step 2: image ----------------------------------------------------------------------------


def offer_set_image(
    *,
    actor: Any,
    offer: Offer,
    upload: Any = None,
    credit: str = "",
    now: dt.datetime,
    processed: images.ProcessedImage | None = None,
) -> OfferImage:
    """Attach an image (JPG/PNG/WEBP by content, ≤ 10 MB, ≥ 400 x 400 px) with an optional
    credit line, replacing the current one. Errors have ``field="image"`` (or ``credit``).

    ``processed`` is an upload already through :func:`images.process_upload` (the partner API
    checks the result against its own limits first); otherwise ``upload`` is processed here.
    The files are written before the commit and removed again if the transaction fails;
    the replaced image's files are deleted after the commit (unless a duplicated offer
    still uses them).
    """
    clean_credit = " ".join((credit or "").split())
    if len(clean_credit) > images.MAX_CREDIT_LENGTH:
        raise DomainError(
            _("Le crédit ne peut pas dépasser %(max)s caractères.")
            % {"max": images.MAX_CREDIT_LENGTH},
            code="credit_too_long",
            field="credit",
        )
    # Check the access first: a stranger's upload is not even decoded.
    with transaction.atomic():
        _lock_offer(actor, offer)
    if processed is None:
        processed = images.process_upload(upload)
    stored = images.store(offer.pk, processed)
    try:
        with transaction.atomic():
            locked = _lock_offer(actor, offer)
            current = OfferImage.objects.filter(offer=locked).first()
            before = snapshot(current, IMAGE_FIELDS) if current else None
            if current is not None:
                old_names = images.image_file_names(current.original.name or "", current.renditions)
                old_original = current.original.name or ""
                image = current
            else:
                old_names, old_original = [], ""
                image = OfferImage(offer=locked)
            image.original.name = stored.original
            image.renditions = stored.renditions
            image.width = processed.width
            image.height = processed.height
            image.credit = clean_credit
            image.uploaded_at = now
            image.save()
            if old_names:
                images.delete_files_later(old_names, unless_used_by_original=old_original)
            locked.updated_at = now
            locked.save(update_fields=["updated_at"])
            audit_record(
                actor=actor,
                action="offer.set_image",
                obj=image,
                now=now,
                before=before,
                after=snapshot(image, IMAGE_FIELDS),
                offerer_id=locked.offerer_id,
            )
    except BaseException:
        images.delete_files(stored.names)
        raise
    return image


def offer_update_image_credit(*, actor: Any, offer: Offer, credit: str, now: dt.datetime) -> Offer:
    """Change the credit line of the current image (nothing to do without an image)."""
    clean_credit = " ".join((credit or "").split())
    if len(clean_credit) > images.MAX_CREDIT_LENGTH:
        raise DomainError(
            _("Le crédit ne peut pas dépasser %(max)s caractères.")
            % {"max": images.MAX_CREDIT_LENGTH},
            code="credit_too_long",
            field="credit",
        )
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        image = OfferImage.objects.filter(offer=locked).first()
        if image is not None and image.credit != clean_credit:
            before = snapshot(image, IMAGE_FIELDS)
            image.credit = clean_credit
            image.save(update_fields=["credit"])
            audit_record(
                actor=actor,
                action="offer.update_image_credit",
                obj=image,
                now=now,
                before=before,
                after=snapshot(image, IMAGE_FIELDS),
                offerer_id=locked.offerer_id,
            )
    return locked


def offer_remove_image(*, actor: Any, offer: Offer, now: dt.datetime) -> Offer:
    """Remove the offer's image; its files go after the commit (if no other offer uses them)."""
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        image = OfferImage.objects.filter(offer=locked).first()
        if image is not None:
            audit_record(
                actor=actor,
                action="offer.remove_image",
                obj=image,
                now=now,
                before=snapshot(image, IMAGE_FIELDS),
                offerer_id=locked.offerer_id,
            )
            names = images.image_file_names(image.original.name or "", image.renditions)
            original = image.original.name or ""
            image.delete()
            images.delete_files_later(names, unless_used_by_original=original)
            locked.updated_at = now
            locked.save(update_fields=["updated_at"])
    return locked


# --- step 3: location -------------------------------------------------------------------------


def _copy_venue_address(offer: Offer, venue: Venue) -> None:
    offer.address_kind = Offer.AddressKind.VENUE
    offer.location_label = ""
    offer.street = venue.street
    offer.postal_code = venue.postal_code
    offer.city = venue.city
    offer.department_code = venue.department_code
    offer.latitude = venue.latitude
    offer.longitude = venue.longitude
    offer.timezone = venue.timezone


def offer_update_location(
    *,
    actor: Any,
    offer: Offer,
    address_kind: str,
    location_label: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    now: dt.datetime,
) -> Offer:
    """Step 3: the venue's address (``VENUE``, copied as it is now) or another one
    (``OTHER``: street, postal code and city required, geocoded offline unless both
    coordinates are given; the time zone follows the department).

    Occurrences are stored in UTC: moving an offer to another time zone keeps their instant.
    """
    errors: dict[str, str] = {}
    if address_kind not in Offer.AddressKind.values:
        raise DomainError(
            _("Choisissez où se déroule l'offre."),
            code="address_kind_invalid",
            field="address_kind",
        )
    label = " ".join((location_label or "").split())
    if len(label) > MAX_LOCATION_LABEL_LENGTH:
        errors["location_label"] = _("L'intitulé ne peut pas dépasser %(max)s caractères.") % {
            "max": MAX_LOCATION_LABEL_LENGTH
        }
    location = None
    if address_kind == Offer.AddressKind.OTHER:
        street = " ".join((street or "").split())
        city = " ".join((city or "").split())
        postal_code = "".join((postal_code or "").split())
        if not street:
            errors["street"] = _("Indiquez l'adresse.")
        elif len(street) > 200:
            errors["street"] = _("L'adresse ne peut pas dépasser 200 caractères.")
        if not postal_code:
            errors["postal_code"] = _("Indiquez le code postal.")
        if not city:
            errors["city"] = _("Indiquez la ville.")
        elif len(city) > 120:
            errors["city"] = _("La ville ne peut pas dépasser 120 caractères.")
        lat = lon = None
        try:
            lat = parse_coordinate(latitude, field="latitude", limit=90)
        except DomainError as exc:
            errors["latitude"] = exc.message
        try:
            lon = parse_coordinate(longitude, field="longitude", limit=180)
        except DomainError as exc:
            errors["longitude"] = exc.message
        if not errors:
            try:
                location = locate(postal_code=postal_code, city=city, latitude=lat, longitude=lon)
            except DomainError as exc:
                errors[exc.field or "postal_code"] = exc.message
    if errors:
        raise ValidationErrors(errors)

    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        before = snapshot(locked, OFFER_FIELDS)
        if location is None:
            _copy_venue_address(locked, locked.venue)
            locked.location_label = label
        else:
            locked.address_kind = Offer.AddressKind.OTHER
            locked.location_label = label
            locked.street = street
            locked.postal_code = postal_code
            locked.city = city
            locked.department_code = location.department_code
            locked.latitude = location.latitude
            locked.longitude = location.longitude
            locked.timezone = location.timezone
        _advance_step(locked, "location")
        if snapshot(locked, OFFER_FIELDS) != before:
            _save(locked, now)
            _audit_offer(
                actor=actor, action="offer.update_location", offer=locked, now=now, before=before
            )
    return locked


# --- step 4: practical information ------------------------------------------------------------


def offer_update_practical_info(
    *,
    actor: Any,
    offer: Offer,
    withdrawal_type: str,
    withdrawal_delay_seconds: int | None,
    withdrawal_details: str,
    booking_contact: str,
    booking_email: str,
    accessibility_motor: bool,
    accessibility_visual: bool,
    accessibility_hearing: bool,
    accessibility_mental: bool,
    external_ticket_office_url: str,
    now: dt.datetime,
) -> Offer:
    """Step 4: withdrawal, contacts, accessibility, external ticket office.

    For a withdrawable subcategory a withdrawal type is required (no_ticket, by_email,
    on_site; in_app is reserved to ticketing partners), with a delay for by_email and
    on_site and none for no_ticket, and a booking contact email. For other subcategories
    the withdrawal type and delay are cleared. Raises :class:`ValidationErrors`.
    """
    errors: dict[str, str] = {}
    details = (withdrawal_details or "").strip().replace("\r\n", "\n")
    if len(details) > MAX_WITHDRAWAL_DETAILS_LENGTH:
        errors["withdrawal_details"] = _(
            "Les informations de retrait ne peuvent pas dépasser %(max)s caractères."
        ) % {"max": MAX_WITHDRAWAL_DETAILS_LENGTH}
    emails: dict[str, str] = {}
    for field_name, value in (
        ("booking_contact", booking_contact),
        ("booking_email", booking_email),
    ):
        try:
            emails[field_name] = _clean_email(value, field=field_name)
        except DomainError as exc:
            errors[field_name] = exc.message
    url = (external_ticket_office_url or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["external_ticket_office_url"] = _(
                "Saisissez une adresse web valide (https://…)."
            )
        if len(url) > 200:
            errors["external_ticket_office_url"] = _(
                "L'adresse web ne peut pas dépasser 200 caractères."
            )

    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        sub = _subcategory(locked)
        withdrawable = bool(sub and sub.is_withdrawable)
        kind = (withdrawal_type or "").strip()
        delay: int | None = None
        if withdrawable:
            delay = _check_withdrawal(kind, withdrawal_delay_seconds, errors)
            if "booking_contact" not in errors and not emails.get("booking_contact"):
                errors["booking_contact"] = _(
                    "Indiquez l'adresse email que les bénéficiaires peuvent contacter."
                )
        else:
            kind = ""
        if errors:
            raise ValidationErrors(errors)
        before = snapshot(locked, OFFER_FIELDS)
        locked.withdrawal_type = kind
        locked.withdrawal_delay_seconds = delay
        locked.withdrawal_details = details
        locked.booking_contact = emails["booking_contact"]
        locked.booking_email = emails["booking_email"]
        locked.accessibility_motor = bool(accessibility_motor)
        locked.accessibility_visual = bool(accessibility_visual)
        locked.accessibility_hearing = bool(accessibility_hearing)
        locked.accessibility_mental = bool(accessibility_mental)
        locked.external_ticket_office_url = url
        _advance_step(locked, "practical_info")
        if snapshot(locked, OFFER_FIELDS) != before:
            _save(locked, now)
            _audit_offer(
                actor=actor,
                action="offer.update_practical_info",
                offer=locked,
                now=now,
                before=before,
            )
    return locked


def _check_withdrawal(kind: str, delay: Any, errors: dict[str, str]) -> int | None:
    """The delay to store for a withdrawable offer; problems go to ``errors``."""
    if not kind:
        errors["withdrawal_type"] = _("Choisissez une modalité de retrait.")
        return None
    if kind == Offer.Withdrawal.IN_APP:
        errors["withdrawal_type"] = _(
            "Le billet dans l'application est réservé aux partenaires de billetterie."
        )
        return None
    if kind not in PORTAL_WITHDRAWAL_TYPES:
        errors["withdrawal_type"] = _("Choisissez une modalité de retrait de la liste.")
        return None
    blank = delay is None or (isinstance(delay, str) and not delay.strip())
    if kind == Offer.Withdrawal.NO_TICKET:
        if not blank:
            errors["withdrawal_delay_seconds"] = _(
                "Aucun délai ne s'applique quand aucun billet n'est nécessaire."
            )
        return None
    if blank:
        errors["withdrawal_delay_seconds"] = (
            _("Indiquez dans quel délai les billets sont envoyés.")
            if kind == Offer.Withdrawal.BY_EMAIL
            else _("Indiquez à partir de quand les billets peuvent être retirés.")
        )
        return None
    try:
        seconds = int(delay)
    except (TypeError, ValueError):
        seconds = -1
    if isinstance(delay, bool) or not 0 < seconds <= MAX_WITHDRAWAL_DELAY_SECONDS:
        errors["withdrawal_delay_seconds"] = _("Choisissez un délai de la liste.")
        return None
    return seconds


# --- step 5: price categories -----------------------------------------------------------------


def _clean_price_category(label: str, price_cents: Any) -> tuple[str, int]:
    errors: dict[str, str] = {}
    clean_label = " ".join((label or "").split()) or str(DEFAULT_PRICE_CATEGORY_LABEL)
    if len(clean_label) > MAX_PRICE_CATEGORY_LABEL_LENGTH:
        errors["label"] = _("L'intitulé ne peut pas dépasser %(max)s caractères.") % {
            "max": MAX_PRICE_CATEGORY_LABEL_LENGTH
        }
    price = -1
    if price_cents is None or isinstance(price_cents, bool) or not isinstance(price_cents, int):
        errors["price_cents"] = _("Indiquez un prix.")
    elif price_cents < 0:
        errors["price_cents"] = _("Le prix ne peut pas être négatif.")
    elif price_cents > MAX_PRICE_CENTS:
        errors["price_cents"] = _("Le prix ne peut pas dépasser 300 €.")
    else:
        price = price_cents
    if errors:
        raise ValidationErrors(errors)
    return clean_label, price


def _duplicate_price_category() -> DomainError:
    return DomainError(
        _("Un tarif avec cet intitulé et ce prix existe déjà."),
        code="price_category_duplicate",
        field="label",
    )


def _lock_price_category(actor: Any, price_category: PriceCategory) -> tuple[Offer, PriceCategory]:
    offer_id = (
        PriceCategory.objects.filter(pk=price_category.pk)
        .values_list("offer_id", flat=True)
        .first()
    )
    if offer_id is None:
        raise NotFound(_("Ce tarif n'existe pas."), code="not_found")
    offer = _lock_offer(actor, offer_id)
    locked = PriceCategory.objects.select_for_update().filter(pk=price_category.pk).first()
    if locked is None:
        raise NotFound(_("Ce tarif n'existe pas."), code="not_found")
    return offer, locked


def price_category_add(
    *,
    actor: Any,
    offer: Offer,
    label: str,
    price_cents: int,
    id_at_provider: str | None = None,
    now: dt.datetime,
) -> PriceCategory:
    """Add a price category ("Ajouter un tarif"): price 0-30,000 cents, a blank label is
    "Tarif unique", at most 50 per offer, (label, price) unique per offer, and the partner's
    identifier (partner API) unique per offer (``id_at_provider_taken``)."""
    clean_label, price = _clean_price_category(label, price_cents)
    provider_id = clean_id_at_provider(id_at_provider)
    with transaction.atomic():
        # The offer lock serialises adds: two can't both see 49 and make 51.
        locked = _lock_offer(actor, offer)
        existing = PriceCategory.objects.filter(offer=locked)
        if existing.count() >= MAX_PRICE_CATEGORIES:
            raise DomainError(
                _("Une offre peut avoir au plus %(max)s tarifs.") % {"max": MAX_PRICE_CATEGORIES},
                code="too_many_price_categories",
                field="price_cents",
            )
        if existing.filter(label=clean_label, price_cents=price).exists():
            raise _duplicate_price_category()
        if provider_id is not None and existing.filter(id_at_provider=provider_id).exists():
            raise _id_at_provider_taken()
        price_category = PriceCategory.objects.create(
            offer=locked,
            label=clean_label,
            price_cents=price,
            id_at_provider=provider_id,
            created_at=now,
        )
        _advance_step(locked, "prices")
        locked.updated_at = now
        locked.save(update_fields=["wizard_step", "updated_at"])
        audit_record(
            actor=actor,
            action="price_category.create",
            obj=price_category,
            now=now,
            after=snapshot(price_category, PRICE_CATEGORY_FIELDS),
            offerer_id=locked.offerer_id,
        )
    return price_category


def price_category_update(
    *,
    actor: Any,
    price_category: PriceCategory,
    label: str,
    price_cents: int,
    id_at_provider: str | _Unset | None = UNSET,
    now: dt.datetime,
) -> PriceCategory:
    """Rename or reprice a price category; its occurrences follow (they point at it).
    ``id_at_provider`` (partner API) changes only when given."""
    clean_label, price = _clean_price_category(label, price_cents)
    provider_id = (
        UNSET if isinstance(id_at_provider, _Unset) else clean_id_at_provider(id_at_provider)
    )
    with transaction.atomic():
        offer, locked = _lock_price_category(actor, price_category)
        if (
            PriceCategory.objects.filter(offer=offer, label=clean_label, price_cents=price)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise _duplicate_price_category()
        if (
            isinstance(provider_id, str)
            and PriceCategory.objects.filter(offer=offer, id_at_provider=provider_id)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise _id_at_provider_taken()
        before = snapshot(locked, PRICE_CATEGORY_FIELDS)
        locked.label = clean_label
        locked.price_cents = price
        if not isinstance(provider_id, _Unset):
            locked.id_at_provider = provider_id
        if snapshot(locked, PRICE_CATEGORY_FIELDS) != before:
            locked.save(update_fields=["label", "price_cents", "id_at_provider"])
            offer.updated_at = now
            offer.save(update_fields=["updated_at"])
            audit_record(
                actor=actor,
                action="price_category.update",
                obj=locked,
                now=now,
                before=before,
                after=snapshot(locked, PRICE_CATEGORY_FIELDS),
                offerer_id=offer.offerer_id,
            )
    return locked


def price_category_delete(*, actor: Any, price_category: PriceCategory, now: dt.datetime) -> int:
    """Delete a price category of a never-published offer, and its occurrences.

    Returns how many occurrences went with it. Refused once the offer was published
    (``price_category_locked``).
    """
    with transaction.atomic():
        offer, locked = _lock_price_category(actor, price_category)
        if _was_published(offer):
            raise DomainError(
                _("Un tarif ne peut plus être supprimé une fois l'offre publiée."),
                code="price_category_locked",
                field="price_category",
            )
        stock_count = Stock.objects.filter(price_category=locked).count()
        audit_record(
            actor=actor,
            action="price_category.delete",
            obj=locked,
            now=now,
            before=snapshot(locked, PRICE_CATEGORY_FIELDS),
            offerer_id=offer.offerer_id,
            comment=ngettext(
                "%(count)s date supprimée avec ce tarif.",
                "%(count)s dates supprimées avec ce tarif.",
                stock_count,
            )
            % {"count": stock_count}
            if stock_count
            else "",
        )
        # In a draft nobody has booked: its occurrences go for good.
        Stock.objects.filter(price_category=locked).delete()
        locked.delete()
        offer.updated_at = now
        offer.save(update_fields=["updated_at"])
    return stock_count


# --- step 6: duo ------------------------------------------------------------------------------


def offer_set_duo(*, actor: Any, offer: Offer, is_duo: bool, now: dt.datetime) -> Offer:
    """Switch duo on or off; on only where the subcategory can be duo (``duo_not_allowed``)."""
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        sub = _subcategory(locked)
        if is_duo and not (sub and sub.can_be_duo):
            raise DomainError(
                _("L'option duo n'est pas possible pour cette sous-catégorie."),
                code="duo_not_allowed",
                field="is_duo",
            )
        before = snapshot(locked, OFFER_FIELDS)
        locked.is_duo = bool(is_duo)
        _advance_step(locked, "duo")
        if snapshot(locked, OFFER_FIELDS) != before:
            _save(locked, now)
            _audit_offer(actor=actor, action="offer.set_duo", offer=locked, now=now, before=before)
    return locked


# --- step 7: dates and capacities -------------------------------------------------------------


def _live_stocks(offer: Offer) -> QuerySet[Stock]:
    return Stock.objects.filter(offer=offer, is_soft_deleted=False)


def stocks_generate(
    *,
    actor: Any,
    offer: Offer,
    rule: RecurrenceRule,
    quantities: Sequence[PriceCategoryQuantity] | Mapping[int, int | None],
    now: dt.datetime,
) -> Expansion:
    """Create the occurrences of ``rule`` (in the offer's time zone) for the given price
    categories of the offer, skipping past ones and those the offer already has.

    All or nothing: an invalid rule (:class:`~culturepass.offers.recurrence.RecurrenceError`),
    a price category of another offer (``price_category_unknown``) or more than 2,500 live
    occurrences in all (``too_many_occurrences``) creates none.
    """
    if isinstance(quantities, Mapping):
        quantities = [
            PriceCategoryQuantity(price_category_id=int(pk), quantity=qty)
            for pk, qty in quantities.items()
        ]
    quantities = list(quantities)
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        own = set(PriceCategory.objects.filter(offer=locked).values_list("pk", flat=True))
        if any(q.price_category_id not in own for q in quantities):
            raise DomainError(
                _("Ce tarif n'appartient pas à cette offre."),
                code="price_category_unknown",
                field="price_categories",
            )
        existing = list(_live_stocks(locked).values_list("beginning_datetime", "price_category_id"))
        expansion = expand_occurrences(
            rule,
            tz=locked.timezone,
            now=now,
            price_categories=quantities,
            existing=existing,
            existing_count=len(existing),
            max_total=MAX_OCCURRENCES_PER_OFFER,
        )
        if expansion.occurrences:
            Stock.objects.bulk_create(
                [
                    Stock(
                        offer=locked,
                        price_category_id=o.price_category_id,
                        beginning_datetime=o.beginning_datetime,
                        booking_limit_datetime=o.booking_limit_datetime,
                        quantity=o.quantity,
                        booked_quantity=0,
                        created_at=now,
                        updated_at=now,
                    )
                    for o in expansion.occurrences
                ],
                batch_size=500,
            )
            _advance_step(locked, "stocks")
            locked.updated_at = now
            locked.save(update_fields=["wizard_step", "updated_at"])
            audit_record(
                actor=actor,
                action="stock.generate",
                obj=locked,
                now=now,
                after={
                    "created": len(expansion.occurrences),
                    "skipped_past": expansion.skipped_past,
                    "skipped_duplicates": expansion.skipped_duplicates,
                    "rule": {
                        "mode": str(rule.mode),
                        "start_date": rule.start_date,
                        "end_date": rule.end_date,
                        "time_slots": list(rule.time_slots),
                        "weekdays": sorted(rule.weekdays),
                        "monthly_mode": str(rule.monthly_mode),
                        "booking_limit_days": rule.booking_limit_days,
                    },
                    "quantities": {q.price_category_id: q.quantity for q in quantities},
                },
                offerer_id=locked.offerer_id,
            )
    return expansion


@dataclass(frozen=True)
class NewStock:
    """One occurrence given explicitly (partner API), rather than by a recurrence rule."""

    price_category_id: int
    beginning_datetime: dt.datetime
    booking_limit_datetime: dt.datetime
    quantity: int | None  # None: unlimited
    id_at_provider: str | None = None


def stocks_add(
    *, actor: Any, offer: Offer, stocks: Sequence[NewStock], now: dt.datetime
) -> list[Stock]:
    """Create the given occurrences, in order (partner API ``POST …/dates``).

    All or nothing. Raises :class:`ValidationErrors` keyed ``<index>.<field>`` (fields
    ``price_category``, ``beginning_datetime``, ``booking_limit_datetime``, ``quantity``,
    ``id_at_provider``) for: a price category of another offer, a start not in the future, a
    booking limit after the start, a quantity outside 0-1,000,000, an occurrence the offer
    already has (same start and price category) or an identifier already used; and
    ``too_many_occurrences`` past 2,500 live occurrences.
    """
    for item in stocks:
        _aware(item.beginning_datetime, "beginning_datetime")
        _aware(item.booking_limit_datetime, "booking_limit_datetime")
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        live = _live_stocks(locked)
        existing_count = live.count()
        if existing_count + len(stocks) > MAX_OCCURRENCES_PER_OFFER:
            raise DomainError(
                _("Une offre peut avoir au plus %(max)s dates : celle-ci en aurait %(total)s.")
                % {"max": MAX_OCCURRENCES_PER_OFFER, "total": existing_count + len(stocks)},
                code="too_many_occurrences",
                field="stocks",
            )
        own = set(PriceCategory.objects.filter(offer=locked).values_list("pk", flat=True))
        taken_slots = set(live.values_list("beginning_datetime", "price_category_id"))
        taken_ids = set(
            live.filter(id_at_provider__isnull=False).values_list("id_at_provider", flat=True)
        )
        errors: dict[str, str] = {}
        rows: list[Stock] = []
        for index, item in enumerate(stocks):
            provider_id = clean_id_at_provider(item.id_at_provider)
            if item.price_category_id not in own:
                errors[f"{index}.price_category"] = _("Ce tarif n'appartient pas à cette offre.")
            if item.beginning_datetime <= now:
                errors[f"{index}.beginning_datetime"] = _("Choisissez une date à venir.")
            elif (item.beginning_datetime, item.price_category_id) in taken_slots:
                errors[f"{index}.beginning_datetime"] = _("Cette date existe déjà pour ce tarif.")
            if item.booking_limit_datetime > item.beginning_datetime:
                errors[f"{index}.booking_limit_datetime"] = _(
                    "La date limite de réservation ne peut pas être après le début de l'événement."
                )
            if item.quantity is not None and not 0 <= item.quantity <= MAX_STOCK_QUANTITY:
                errors[f"{index}.quantity"] = _(
                    "Le nombre de places doit être compris entre 0 et 1 000 000."
                )
            if provider_id is not None and provider_id in taken_ids:
                errors[f"{index}.id_at_provider"] = _("Cet identifiant est déjà utilisé.")
            taken_slots.add((item.beginning_datetime, item.price_category_id))
            if provider_id is not None:
                taken_ids.add(provider_id)
            rows.append(
                Stock(
                    offer=locked,
                    price_category_id=item.price_category_id,
                    beginning_datetime=item.beginning_datetime,
                    booking_limit_datetime=item.booking_limit_datetime,
                    quantity=item.quantity,
                    booked_quantity=0,
                    id_at_provider=provider_id,
                    created_at=now,
                    updated_at=now,
                )
            )
        if errors:
            raise ValidationErrors(errors)
        created = Stock.objects.bulk_create(rows, batch_size=500)
        if created:
            _advance_step(locked, "stocks")
            locked.updated_at = now
            locked.save(update_fields=["wizard_step", "updated_at"])
            audit_record(
                actor=actor,
                action="stock.add",
                obj=locked,
                now=now,
                after={"created": [s.pk for s in created]},
                offerer_id=locked.offerer_id,
            )
    return created


def _lock_stock(actor: Any, stock: Stock) -> tuple[Offer, Stock]:
    offer_id = Stock.objects.filter(pk=stock.pk).values_list("offer_id", flat=True).first()
    if offer_id is None:
        raise NotFound(_("Cette date n'existe pas."), code="not_found")
    offer = _lock_offer(actor, offer_id)
    locked = Stock.objects.select_for_update().filter(pk=stock.pk, is_soft_deleted=False).first()
    if locked is None:
        raise NotFound(_("Cette date n'existe pas."), code="not_found")
    return offer, locked


def _refuse_past(stock: Stock, now: dt.datetime) -> None:
    if stock.beginning_datetime <= now:
        raise DomainError(
            _("Cette date est passée : elle ne peut plus être modifiée."), code="stock_past"
        )


def stock_update(
    *,
    actor: Any,
    stock: Stock,
    beginning_datetime: dt.datetime | _Unset = UNSET,
    booking_limit_datetime: dt.datetime | _Unset = UNSET,
    quantity: int | _Unset | None = UNSET,
    available_quantity: int | _Unset | None = UNSET,
    price_category: PriceCategory | int | _Unset = UNSET,
    id_at_provider: str | _Unset | None = UNSET,
    now: dt.datetime,
) -> Stock:
    """Edit one future occurrence: its start, booking limit and quantity (None = unlimited).

    ``available_quantity`` (partner API) is the seats still to sell: the stored quantity
    becomes it plus the seats booked, read under the lock (None = unlimited; not with
    ``quantity``). ``price_category`` moves the occurrence to another price category of the
    offer (bookings made keep their price); ``id_at_provider`` is the partner's identifier,
    unique among the offer's live occurrences.

    Past occurrences are read-only (``stock_past``). The quantity never goes below the seats
    already booked; the booking limit is never after the start (moving the start alone
    moves the booking limit by as much). Moving the start of an occurrence that has
    bookings is a postponement, which needs to tell the beneficiaries: refused here
    (``stock_has_bookings``).
    """
    for name, value in (
        ("beginning_datetime", beginning_datetime),
        ("booking_limit_datetime", booking_limit_datetime),
    ):
        if isinstance(value, dt.datetime):
            _aware(value, name)
    if not isinstance(quantity, _Unset) and not isinstance(available_quantity, _Unset):
        raise ValueError("give quantity or available_quantity, not both")
    provider_id = (
        UNSET if isinstance(id_at_provider, _Unset) else clean_id_at_provider(id_at_provider)
    )
    errors: dict[str, str] = {}
    for given in (quantity, available_quantity):
        if given is not UNSET and given is not None:
            if isinstance(given, bool) or not isinstance(given, int):
                errors["quantity"] = _("Indiquez un nombre de places.")
            elif not 0 <= given <= MAX_STOCK_QUANTITY:
                errors["quantity"] = _(
                    "Le nombre de places doit être compris entre 0 et 1 000 000."
                )
    with transaction.atomic():
        offer, locked = _lock_stock(actor, stock)
        _refuse_past(locked, now)
        if isinstance(available_quantity, int) and "quantity" not in errors:
            quantity = available_quantity + locked.booked_quantity
            if quantity > MAX_STOCK_QUANTITY:
                errors["quantity"] = _(
                    "Le nombre de places doit être compris entre 0 et 1 000 000."
                )
        elif available_quantity is None:
            quantity = None
        new_price_category_id = locked.price_category_id
        if not isinstance(price_category, _Unset):
            wanted = (
                price_category.pk
                if isinstance(price_category, PriceCategory)
                else int(price_category)
            )
            if not PriceCategory.objects.filter(pk=wanted, offer=offer).exists():
                errors["price_category"] = _("Ce tarif n'appartient pas à cette offre.")
            else:
                new_price_category_id = wanted
        if (
            isinstance(provider_id, str)
            and _live_stocks(offer)
            .filter(id_at_provider=provider_id)
            .exclude(pk=locked.pk)
            .exists()
        ):
            errors["id_at_provider"] = _("Cet identifiant est déjà utilisé.")
        before = snapshot(locked, STOCK_FIELDS)
        new_beginning = locked.beginning_datetime
        new_limit = locked.booking_limit_datetime
        if isinstance(beginning_datetime, dt.datetime) and (
            beginning_datetime != locked.beginning_datetime
        ):
            if locked.booked_quantity > 0:
                errors["beginning_datetime"] = _(
                    "Des places sont déjà réservées pour cette date : elle ne peut pas être "
                    "déplacée. Pour reporter l'événement, contactez le support."
                )
            elif beginning_datetime <= now:
                errors["beginning_datetime"] = _("Choisissez une date à venir.")
            else:
                new_beginning = beginning_datetime
                if not isinstance(booking_limit_datetime, dt.datetime):
                    new_limit = locked.booking_limit_datetime + (
                        beginning_datetime - locked.beginning_datetime
                    )
        if isinstance(booking_limit_datetime, dt.datetime):
            new_limit = booking_limit_datetime
        if "beginning_datetime" not in errors and new_limit > new_beginning:
            errors["booking_limit_datetime"] = _(
                "La date limite de réservation ne peut pas être après le début de l'événement."
            )
        if (
            quantity is not UNSET
            and "quantity" not in errors
            and quantity is not None
            and isinstance(quantity, int)
            and quantity < locked.booked_quantity
        ):
            errors["quantity"] = _(
                "Le nombre de places ne peut pas être inférieur au nombre de places déjà "
                "réservées (%(booked)s)."
            ) % {"booked": locked.booked_quantity}
        if (
            "beginning_datetime" not in errors
            and (
                new_beginning != locked.beginning_datetime
                or new_price_category_id != locked.price_category_id
            )
            and _live_stocks(offer)
            .filter(price_category_id=new_price_category_id, beginning_datetime=new_beginning)
            .exclude(pk=locked.pk)
            .exists()
        ):
            errors["beginning_datetime"] = _("Cette date existe déjà pour ce tarif.")
        if errors:
            raise ValidationErrors(errors)
        locked.beginning_datetime = new_beginning
        locked.booking_limit_datetime = new_limit
        locked.price_category_id = new_price_category_id
        if not isinstance(quantity, _Unset):
            locked.quantity = quantity
        if not isinstance(provider_id, _Unset):
            locked.id_at_provider = provider_id
        if snapshot(locked, STOCK_FIELDS) != before:
            locked.updated_at = now
            locked.save()
            audit_record(
                actor=actor,
                action="stock.update",
                obj=locked,
                now=now,
                before=before,
                after=snapshot(locked, STOCK_FIELDS),
                offerer_id=offer.offerer_id,
            )
    return locked


def stock_delete(*, actor: Any, stock: Stock, now: dt.datetime) -> Stock:
    """Delete one future occurrence (trash icon). It is kept, marked deleted, because
    bookings will point at occurrences.

    Past occurrences stay (``stock_past``). Bookings do not exist yet in this version:
    deleting an occurrence with booked seats is refused (``stock_has_bookings``) until
    cancelling an occurrence, which cancels its bookings, exists.
    """
    with transaction.atomic():
        offer, locked = _lock_stock(actor, stock)
        _refuse_past(locked, now)
        if locked.booked_quantity > 0:
            raise DomainError(
                _(
                    "Des places sont déjà réservées pour cette date : elle ne peut pas être "
                    "supprimée."
                ),
                code="stock_has_bookings",
            )
        before = snapshot(locked, STOCK_FIELDS)
        locked.is_soft_deleted = True
        locked.updated_at = now
        locked.save(update_fields=["is_soft_deleted", "updated_at"])
        audit_record(
            actor=actor,
            action="stock.delete",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, STOCK_FIELDS),
            offerer_id=offer.offerer_id,
        )
    return locked


# --- step 8: publication ----------------------------------------------------------------------


def offer_publication_errors(
    offer: Offer, *, now: dt.datetime, opening: dt.datetime | None = None
) -> dict[str, str]:
    """What is missing before ``offer`` can be published, as {field: French message}.

    ``opening`` is when bookings would open (default: ``now``): at least one occurrence
    must still be bookable then (not deleted, not started, booking limit not passed).
    Empty when the offer is complete. The summary page can show this before publishing.
    """
    opening = max(opening or now, now)
    errors: dict[str, str] = {}
    sub = _subcategory(offer)
    if sub is None:
        errors["subcategory_id"] = _("Choisissez une sous-catégorie de la liste.")
    if not offer.name.strip():
        errors["name"] = _("Indiquez un titre.")
    if sub is not None:
        for field_name, message in catalogue.validate_extra_data(sub, offer.extra_data).items():
            errors[f"extra_data.{field_name}"] = message
    if offer.latitude is None or offer.longitude is None or not offer.postal_code:
        errors["address_kind"] = _("Indiquez où se déroule l'offre.")
    if sub is not None and sub.is_withdrawable:
        _check_withdrawal(offer.withdrawal_type, offer.withdrawal_delay_seconds, errors)
        if not offer.booking_contact:
            errors["booking_contact"] = _(
                "Indiquez l'adresse email que les bénéficiaires peuvent contacter."
            )
    if not PriceCategory.objects.filter(offer=offer).exists():
        errors["price_categories"] = _("Ajoutez au moins un tarif.")
    elif (
        not _live_stocks(offer)
        .filter(beginning_datetime__gt=opening, booking_limit_datetime__gt=opening)
        .exists()
    ):
        errors["stocks"] = (
            _("Ajoutez au moins une date encore réservable.")
            if opening == now
            else _("Ajoutez au moins une date encore réservable à l'ouverture des réservations.")
        )
    return errors


def _facts(offer: Offer) -> compliance.OfferFacts:
    return compliance.OfferFacts(
        name=offer.name,
        description=offer.description,
        subcategory_id=offer.subcategory_id,
        prices_cents=tuple(
            PriceCategory.objects.filter(offer=offer).values_list("price_cents", flat=True)
        ),
        offerer_confidence=offer.offerer.confidence_level,
    )


def _publish_locked(
    *,
    actor: Any,
    offer: Offer,
    now: dt.datetime,
    action: str,
    before: Mapping[str, Any] | None = None,
) -> Offer:
    """Make a locked, complete DRAFT offer public, through compliance. Caller holds the lock;
    ``before`` is the audited state when the caller already changed the offer."""
    before = before if before is not None else snapshot(offer, OFFER_FIELDS)
    rules = list(ValidationRule.objects.filter(is_active=True).order_by("pk"))
    decision = compliance.decide(facts=_facts(offer), rules=rules)
    offer.validation = decision.validation
    offer.validated_at = now if decision.validation == V.APPROVED else None
    offer.is_active = True
    if offer.publication_datetime is None or offer.publication_datetime > now:
        offer.publication_datetime = now
    _advance_step(offer, "publication")
    _save(offer, now)
    if decision.reason == "whitelist":
        comment = _("Structure de confiance : publiée sans vérification.")
    elif decision.reason == "manual_review":
        comment = _("Structure sous surveillance : offre envoyée en vérification.")
    elif decision.matched:
        comment = _("Règles de conformité : %(rules)s") % {
            "rules": ", ".join(rule.name for rule in decision.matched)
        }
    else:
        comment = ""
    _audit_offer(actor=actor, action=action, offer=offer, now=now, before=before, comment=comment)
    return offer


def offer_publish(
    *,
    actor: Any,
    offer: Offer,
    now: dt.datetime,
    publication_datetime: dt.datetime | None = None,
    booking_allowed_datetime: dt.datetime | None = None,
) -> Offer:
    """Publish a draft now, or schedule its publication.

    The offer must be complete (:func:`offer_publication_errors`, raised as
    :class:`ValidationErrors` with code ``offer_incomplete``). ``publication_datetime``
    None publishes now; otherwise it is truncated to the minute and must be in the future
    and at most two years ahead: the offer stays a DRAFT with that date (SCHEDULED) and
    :func:`offer_publish_due` publishes it. ``booking_allowed_datetime`` (optional, not
    before the publication) keeps it visible but not bookable until then.

    At publication, compliance decides: APPROVED at once, or PENDING (staff review).
    """
    _aware(publication_datetime, "publication_datetime")
    _aware(booking_allowed_datetime, "booking_allowed_datetime")
    errors: dict[str, str] = {}
    scheduled = None
    if publication_datetime is not None:
        scheduled = publication_datetime.replace(second=0, microsecond=0)
        if scheduled <= now:
            errors["publication_datetime"] = _("Choisissez une date de publication à venir.")
        elif scheduled > now + MAX_PUBLICATION_DELAY:
            errors["publication_datetime"] = _(
                "La publication ne peut pas être programmée plus de 2 ans à l'avance."
            )
    publishes_at = scheduled or now
    if booking_allowed_datetime is not None:
        if booking_allowed_datetime < publishes_at:
            errors["booking_allowed_datetime"] = _(
                "L'ouverture des réservations ne peut pas précéder la publication."
            )
        elif booking_allowed_datetime > now + MAX_PUBLICATION_DELAY:
            errors["booking_allowed_datetime"] = _(
                "L'ouverture des réservations ne peut pas être fixée plus de 2 ans à l'avance."
            )
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        if _was_published(locked):
            raise InvalidTransition(
                _("Cette offre est déjà publiée."), code="offer_already_published"
            )
        if errors:
            raise ValidationErrors(errors)
        opening = max(publishes_at, booking_allowed_datetime or publishes_at)
        problems = offer_publication_errors(locked, now=now, opening=opening)
        if problems:
            raise ValidationErrors(problems, code="offer_incomplete")
        before = snapshot(locked, OFFER_FIELDS)
        locked.booking_allowed_datetime = booking_allowed_datetime
        if scheduled is not None:
            locked.publication_datetime = scheduled
            locked.is_active = True
            _advance_step(locked, "publication")
            _save(locked, now)
            _audit_offer(actor=actor, action="offer.schedule", offer=locked, now=now, before=before)
            return locked
        locked.publication_datetime = None
        return _publish_locked(
            actor=actor, offer=locked, now=now, action="offer.publish", before=before
        )


def offer_set_id_at_provider(
    *, actor: Any, offer: Offer, id_at_provider: str | None, now: dt.datetime
) -> Offer:
    """Set the partner's identifier of an offer (partner API), unique per venue
    (``id_at_provider_taken``); None clears it."""
    provider_id = clean_id_at_provider(id_at_provider)
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        if (
            provider_id is not None
            and Offer.objects.filter(venue_id=locked.venue_id, id_at_provider=provider_id)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise _id_at_provider_taken()
        if locked.id_at_provider != provider_id:
            before = snapshot(locked, OFFER_FIELDS)
            locked.id_at_provider = provider_id
            _save(locked, now)
            _audit_offer(
                actor=actor, action="offer.set_id_at_provider", offer=locked, now=now, before=before
            )
    return locked


def _publish_if_complete(*, actor: Any, offer: Offer, now: dt.datetime) -> Offer:
    """Publish (or schedule) a locked draft whose publication is pending, once complete.

    Goes through :func:`offer_publish`, so the completeness checks and the compliance
    review are those of the wizard. An incomplete offer stays a draft, still pending.
    """
    pending = offer.pending_publication_datetime
    if offer.validation != V.DRAFT or offer.publication_datetime is not None or pending is None:
        return offer
    scheduled = pending if pending.replace(second=0, microsecond=0) > now else None
    opening = max(scheduled or now, offer.booking_allowed_datetime or now)
    if offer_publication_errors(offer, now=now, opening=opening):
        return offer
    offer.pending_publication_datetime = None
    offer.save(update_fields=["pending_publication_datetime"])
    return offer_publish(
        actor=actor,
        offer=offer,
        now=now,
        publication_datetime=scheduled,
        booking_allowed_datetime=offer.booking_allowed_datetime,
    )


def offer_request_publication(
    *,
    actor: Any,
    offer: Offer,
    publication_datetime: dt.datetime | _Unset | None = UNSET,
    booking_allowed_datetime: dt.datetime | _Unset | None = UNSET,
    now: dt.datetime,
) -> Offer:
    """Partner API: when to publish an offer and open its bookings, before or after it is
    complete.

    On a draft, ``publication_datetime`` is kept as pending (at or before ``now``: as soon as
    the offer is complete; later: scheduled then; None: stays a draft, and a scheduled
    publication is cancelled), and the offer is published at once through
    :func:`offer_publish` if it is already complete. ``booking_allowed_datetime`` (None: at
    publication) must not precede the publication. Once published, only the booking opening
    may change (``offer_already_published`` otherwise). UNSET leaves a value as it is.
    """
    for name, value in (
        ("publication_datetime", publication_datetime),
        ("booking_allowed_datetime", booking_allowed_datetime),
    ):
        if isinstance(value, dt.datetime):
            _aware(value, name)
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        before = snapshot(locked, OFFER_FIELDS)
        if _was_published(locked):
            if isinstance(publication_datetime, dt.datetime) and publication_datetime > now:
                raise InvalidTransition(
                    _("Cette offre est déjà publiée."), code="offer_already_published"
                )
            if publication_datetime is None:
                raise InvalidTransition(
                    _("Cette offre est déjà publiée."), code="offer_already_published"
                )
            if not isinstance(booking_allowed_datetime, _Unset):
                if booking_allowed_datetime is not None and (
                    booking_allowed_datetime > now + MAX_PUBLICATION_DELAY
                ):
                    raise ValidationErrors(
                        {
                            "booking_allowed_datetime": _(
                                "L'ouverture des réservations ne peut pas être fixée plus de "
                                "2 ans à l'avance."
                            )
                        }
                    )
                locked.booking_allowed_datetime = booking_allowed_datetime
        else:
            # A scheduled publication is re-decided from the new values.
            current = locked.publication_datetime or locked.pending_publication_datetime
            locked.publication_datetime = None
            if not isinstance(publication_datetime, _Unset):
                current = publication_datetime
            locked.pending_publication_datetime = (
                None if current is None else current if current > now else now
            )
            if not isinstance(booking_allowed_datetime, _Unset):
                locked.booking_allowed_datetime = booking_allowed_datetime
            pending = locked.pending_publication_datetime
            opening = locked.booking_allowed_datetime
            if pending is not None and opening is not None and opening < pending:
                raise ValidationErrors(
                    {
                        "booking_allowed_datetime": _(
                            "L'ouverture des réservations ne peut pas précéder la publication."
                        )
                    }
                )
            if pending is not None and pending > now + MAX_PUBLICATION_DELAY:
                raise ValidationErrors(
                    {
                        "publication_datetime": _(
                            "La publication ne peut pas être programmée plus de 2 ans à l'avance."
                        )
                    }
                )
        if snapshot(locked, OFFER_FIELDS) != before:
            _save(locked, now)
            _audit_offer(
                actor=actor,
                action="offer.request_publication",
                offer=locked,
                now=now,
                before=before,
            )
        return _publish_if_complete(actor=actor, offer=locked, now=now)


def offer_publish_pending(*, actor: Any, offer: Offer, now: dt.datetime) -> Offer:
    """Publish a draft whose publication was requested (partner API) if it is now complete,
    e.g. after its dates were posted. Does nothing otherwise."""
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        return _publish_if_complete(actor=actor, offer=locked, now=now)


def offer_unschedule(*, actor: Any, offer: Offer, now: dt.datetime) -> Offer:
    """Cancel a scheduled publication: the offer is a plain draft again."""
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        if locked.validation != V.DRAFT or locked.publication_datetime is None:
            raise InvalidTransition(
                _("La publication de cette offre n'est pas programmée."),
                code="offer_not_scheduled",
            )
        before = snapshot(locked, OFFER_FIELDS)
        locked.publication_datetime = None
        locked.booking_allowed_datetime = None
        _save(locked, now)
        _audit_offer(actor=actor, action="offer.unschedule", offer=locked, now=now, before=before)
    return locked


def offer_publish_due(*, now: dt.datetime, limit: int = 500) -> int:
    """Publish the scheduled offers whose date has come; returns how many were published.

    Each offer is claimed in its own short transaction with ``SKIP LOCKED`` and only while
    it is still a due DRAFT, so two workers (or a second run) never publish one twice. An
    offer that is no longer complete (e.g. its dates have passed) goes back to a plain draft
    and its structure gets an email saying why.
    """
    due = list(
        Offer.objects.filter(
            validation=V.DRAFT, publication_datetime__isnull=False, publication_datetime__lte=now
        )
        .order_by("publication_datetime", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    published = 0
    for pk in due:
        with transaction.atomic():
            locked = (
                Offer.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("offerer", "venue")
                .filter(
                    pk=pk,
                    validation=V.DRAFT,
                    publication_datetime__isnull=False,
                    publication_datetime__lte=now,
                )
                .first()
            )
            if locked is None:
                continue
            problems: dict[str, str] = {}
            if locked.offerer.status == Offerer.Status.CLOSED:
                problems["offerer"] = _("Cette structure est fermée.")
            else:
                opening = max(now, locked.booking_allowed_datetime or now)
                problems = offer_publication_errors(locked, now=now, opening=opening)
            if problems:
                _unschedule_incomplete(locked, problems=problems, now=now)
                continue
            _publish_locked(actor=AUTO, offer=locked, now=now, action="offer.publish_scheduled")
            published += 1
    return published


def _unschedule_incomplete(offer: Offer, *, problems: Mapping[str, str], now: dt.datetime) -> None:
    before = snapshot(offer, OFFER_FIELDS)
    offer.publication_datetime = None
    offer.booking_allowed_datetime = None
    _save(offer, now)
    reasons = list(problems.values())
    _audit_offer(
        actor=AUTO,
        action="offer.schedule_failed",
        offer=offer,
        now=now,
        before=before,
        comment=" ".join(reasons),
    )
    recipients = _recipients(offer)
    if recipients:
        email_enqueue(
            to=recipients,
            template="emails/offers/publication_failed",
            context={
                "offer_name": offer.name,
                "offerer_name": offer.offerer.name,
                "reasons": reasons,
                "url": _offer_url(offer),
            },
            now=now,
        )


# --- offers list actions ----------------------------------------------------------------------


def _set_active(
    *, actor: Any, offers: Iterable[Offer | int], active: bool, now: dt.datetime
) -> int:
    ids = sorted({o.pk if isinstance(o, Offer) else int(o) for o in offers})
    if not ids:
        return 0
    changed = 0
    with transaction.atomic():
        locked = list(
            Offer.objects.select_for_update(of=("self",))
            .select_related("offerer")
            .filter(_offer_scope(actor), pk__in=ids)
            .order_by("pk")
        )
        if len(locked) != len(ids):
            raise _not_found()
        for offer in locked:
            if offer.validation == V.REJECTED:
                raise _rejected()
            _ensure_offerer_open(offer.offerer)
        for offer in locked:
            if offer.is_active == active:
                continue
            before = snapshot(offer, OFFER_FIELDS)
            offer.is_active = active
            _save(offer, now)
            _audit_offer(
                actor=actor,
                action="offer.activate" if active else "offer.deactivate",
                offer=offer,
                now=now,
                before=before,
            )
            changed += 1
    return changed


def offer_deactivate(*, actor: Any, offers: Iterable[Offer | int], now: dt.datetime) -> int:
    """Switch offers off (bulk); returns how many changed. All or nothing: an offer of
    another structure (``not_found``) or a rejected one (``offer_rejected``) changes none."""
    return _set_active(actor=actor, offers=offers, active=False, now=now)


def offer_activate(*, actor: Any, offers: Iterable[Offer | int], now: dt.datetime) -> int:
    """Switch offers back on (bulk); same rules as :func:`offer_deactivate`."""
    return _set_active(actor=actor, offers=offers, active=True, now=now)


COPY_SUFFIX = gettext_lazy(" (copie)")


def _copy_name(name: str) -> str:
    suffix = str(COPY_SUFFIX)
    if not name:
        return ""
    return name[: MAX_NAME_LENGTH - len(suffix)].rstrip() + suffix


def offer_duplicate(*, actor: Any, offer: Offer, now: dt.datetime) -> Offer:
    """A new DRAFT copy of ``offer`` (any status, rejected too): same description, place,
    practical information, price categories and image (the files are shared), no dates.
    The title gets " (copie)" (shortened to stay within 90 characters)."""
    with transaction.atomic():
        source = _lock_offer(actor, offer, editable=False)
        _ensure_offerer_open(source.offerer)
        copy = Offer(
            offerer_id=source.offerer_id,
            venue_id=source.venue_id,
            subcategory_id=source.subcategory_id,
            name=_copy_name(source.name),
            description=source.description,
            extra_data=dict(source.extra_data or {}),
            duration_minutes=source.duration_minutes,
            address_kind=source.address_kind,
            location_label=source.location_label,
            street=source.street,
            postal_code=source.postal_code,
            city=source.city,
            department_code=source.department_code,
            latitude=source.latitude,
            longitude=source.longitude,
            timezone=source.timezone,
            withdrawal_type=source.withdrawal_type,
            withdrawal_delay_seconds=source.withdrawal_delay_seconds,
            withdrawal_details=source.withdrawal_details,
            booking_contact=source.booking_contact,
            booking_email=source.booking_email,
            accessibility_motor=source.accessibility_motor,
            accessibility_visual=source.accessibility_visual,
            accessibility_hearing=source.accessibility_hearing,
            accessibility_mental=source.accessibility_mental,
            is_duo=source.is_duo,
            external_ticket_office_url=source.external_ticket_office_url,
            validation=V.DRAFT,
            is_active=True,
            # Everything up to the dates is filled in: the copy resumes at the dates.
            wizard_step="duo",
            created_by=user_or_none(actor),
            created_at=now,
            updated_at=now,
        )
        copy.save()
        PriceCategory.objects.bulk_create(
            [
                PriceCategory(
                    offer=copy, label=pc.label, price_cents=pc.price_cents, created_at=now
                )
                for pc in PriceCategory.objects.filter(offer=source).order_by("pk")
            ]
        )
        image = OfferImage.objects.filter(offer=source).first()
        if image is not None:
            OfferImage.objects.create(
                offer=copy,
                original=image.original.name,
                width=image.width,
                height=image.height,
                credit=image.credit,
                renditions=dict(image.renditions),
                uploaded_at=image.uploaded_at,
            )
        _audit_offer(
            actor=actor,
            action="offer.duplicate",
            offer=copy,
            now=now,
            before=None,
            comment=_("Copie de l'offre n°%(id)s") % {"id": source.pk},
        )
    return copy


# --- staff: compliance review -----------------------------------------------------------------


def _lock_offer_for_staff(offer: Offer | int) -> Offer:
    pk = offer.pk if isinstance(offer, Offer) else offer
    locked = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("offerer", "venue")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise _not_found()
    return locked


def offer_approve(*, actor: Any, offer: Offer, now: dt.datetime) -> Offer:
    """Staff: approve an offer under review (or one rejected earlier); the pros get an email."""
    _require_compliance_staff(actor)
    with transaction.atomic():
        locked = _lock_offer_for_staff(offer)
        if locked.validation not in (V.PENDING, V.REJECTED):
            raise InvalidTransition(
                _("Seule une offre en instruction ou refusée peut être validée."),
                code="offer_invalid_transition",
            )
        before = snapshot(locked, OFFER_FIELDS)
        locked.validation = V.APPROVED
        locked.rejection_reason = ""
        locked.validated_at = now
        _save(locked, now)
        _audit_offer(actor=actor, action="offer.approve", offer=locked, now=now, before=before)
        recipients = _recipients(locked)
        if recipients:
            email_enqueue(
                to=recipients,
                template="emails/offers/offer_approved",
                context={
                    "offer_name": locked.name,
                    "offerer_name": locked.offerer.name,
                    "url": _offer_url(locked),
                },
                now=now,
            )
    return locked


def offer_reject(*, actor: Any, offer: Offer, reason: str, now: dt.datetime) -> Offer:
    """Staff: reject an offer under review (or already approved) with a reason, emailed to
    the offer's notification address and the structure's members. The offer becomes
    read-only for pros."""
    _require_compliance_staff(actor)
    clean_reason = (reason or "").strip().replace("\r\n", "\n")
    if not clean_reason:
        raise DomainError(
            _("Indiquez le motif du refus : il est envoyé à la structure."),
            code="reason_required",
            field="reason",
        )
    if len(clean_reason) > MAX_REJECTION_REASON_LENGTH:
        raise DomainError(
            _("Le motif ne peut pas dépasser %(max)s caractères.")
            % {"max": MAX_REJECTION_REASON_LENGTH},
            code="reason_too_long",
            field="reason",
        )
    with transaction.atomic():
        locked = _lock_offer_for_staff(offer)
        if locked.validation not in (V.PENDING, V.APPROVED):
            raise InvalidTransition(
                _("Seule une offre en instruction ou validée peut être refusée."),
                code="offer_invalid_transition",
            )
        before = snapshot(locked, OFFER_FIELDS)
        locked.validation = V.REJECTED
        locked.rejection_reason = clean_reason
        locked.validated_at = now
        _save(locked, now)
        _audit_offer(
            actor=actor,
            action="offer.reject",
            offer=locked,
            now=now,
            before=before,
            comment=clean_reason,
        )
        recipients = _recipients(locked)
        if recipients:
            email_enqueue(
                to=recipients,
                template="emails/offers/offer_rejected",
                context={
                    "offer_name": locked.name,
                    "offerer_name": locked.offerer.name,
                    "reason": clean_reason,
                    "url": _offer_url(locked),
                },
                now=now,
            )
    return locked


# --- staff: validation rules ------------------------------------------------------------------


def validation_rule_save(
    *,
    actor: Any,
    rule: ValidationRule | None = None,
    name: str,
    kind: str,
    parameters: Mapping[str, Any],
    is_active: bool,
    now: dt.datetime,
) -> ValidationRule:
    """Staff: create (``rule=None``) or change a compliance rule. Raises
    :class:`ValidationErrors` on ``name``, ``kind`` or ``parameters.<name>``."""
    _require_compliance_staff(actor)
    errors: dict[str, str] = {}
    clean_name = " ".join((name or "").split())
    if not clean_name:
        errors["name"] = _("Indiquez un nom.")
    elif len(clean_name) > 140:
        errors["name"] = _("Le nom ne peut pas dépasser 140 caractères.")
    if kind not in ValidationRule.Kind.values:
        errors["kind"] = _("Type de règle inconnu.")
        clean_parameters: dict[str, Any] = {}
    else:
        clean_parameters, parameter_errors = compliance.clean_rule_parameters(
            kind, parameters or {}
        )
        errors.update(parameter_errors)
    if errors:
        raise ValidationErrors(errors)
    with transaction.atomic():
        if rule is None:
            locked = ValidationRule(created_at=now)
            before = None
        else:
            found = ValidationRule.objects.select_for_update().filter(pk=rule.pk).first()
            if found is None:
                raise NotFound(_("Cette règle n'existe pas."), code="not_found")
            locked = found
            before = snapshot(locked, RULE_FIELDS)
        locked.name = clean_name
        locked.kind = kind
        locked.parameters = clean_parameters
        locked.is_active = bool(is_active)
        after = snapshot(locked, RULE_FIELDS)
        if after != before:
            locked.updated_at = now
            locked.save()
            audit_record(
                actor=actor,
                action="validation_rule.create" if before is None else "validation_rule.update",
                obj=locked,
                now=now,
                before=before,
                after=after,
            )
    return locked


def validation_rule_delete(*, actor: Any, rule: ValidationRule, now: dt.datetime) -> None:
    """Staff: delete a compliance rule (offers already reviewed keep their status)."""
    _require_compliance_staff(actor)
    with transaction.atomic():
        locked = ValidationRule.objects.select_for_update().filter(pk=rule.pk).first()
        if locked is None:
            raise NotFound(_("Cette règle n'existe pas."), code="not_found")
        audit_record(
            actor=actor,
            action="validation_rule.delete",
            obj=locked,
            now=now,
            before=snapshot(locked, RULE_FIELDS),
        )
        locked.delete()
