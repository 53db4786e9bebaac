"""Writes of the offerers domain: structures, venues, members, invitations, contacts.

Every function is one use case in one transaction, checks who may do it, and
leaves an audit entry for each state change. Rules refuse with a
:class:`~culturepass.core.errors.DomainError` whose ``code`` is stable.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from culturepass.core.audit import audit_record, snapshot
from culturepass.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from culturepass.notifications.services import email_enqueue
from culturepass.offerers.geocoding import get_geocoder
from culturepass.offerers.identifiers import clean_ape_code, clean_siret, siren_of
from culturepass.offerers.models import Invitation, Membership, Offerer, TerritorialContact, Venue
from culturepass.offerers.places import (
    department_from_postal_code,
    normalize_postal_code,
    region_for_department,
    regions,
    timezone_for_department,
)
from culturepass.offerers.registry import RegistryEntry, get_registry
from culturepass.offerers.venue_types import DEFAULT_VENUE_TYPE, venue_type_codes

OFFERER_FIELDS = [
    "siren",
    "name",
    "ape_code",
    "street",
    "postal_code",
    "city",
    "department_code",
    "region_code",
    "status",
    "validated_at",
]
VENUE_FIELDS = [
    "offerer",
    "siret",
    "comment",
    "name",
    "public_name",
    "street",
    "postal_code",
    "city",
    "department_code",
    "latitude",
    "longitude",
    "coordinates_source",
    "timezone",
    "venue_type",
    "booking_email",
    "withdrawal_details",
    "accessibility_motor",
    "accessibility_visual",
    "accessibility_hearing",
    "accessibility_mental",
    "is_open_to_public",
    "is_head_office",
]
MEMBERSHIP_FIELDS = ["user", "offerer", "role", "status", "validated_at"]
INVITATION_FIELDS = ["offerer", "email", "role", "expires_at", "accepted_at", "accepted_by"]
CONTACT_FIELDS = ["region_code", "name", "email", "phone"]

DEFAULT_INVITATION_DAYS = 14

S = Offerer.Status
# target status → statuses it may be reached from. CLOSED is final.
OFFERER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.NEW, S.REJECTED}),
    S.VALIDATED: frozenset({S.NEW, S.PENDING, S.REJECTED}),
    S.REJECTED: frozenset({S.NEW, S.PENDING}),
    S.CLOSED: frozenset({S.NEW, S.PENDING, S.VALIDATED, S.REJECTED}),
}


class SirenAlreadyRegistered(DomainError):
    """The SIREN has a structure already: the user may ask to be attached to it."""

    code = "siren_already_registered"

    def __init__(self, offerer_id: int):
        super().__init__(
            _(
                "Une structure avec ce SIREN est déjà inscrite. Vous pouvez demander "
                "à y être rattaché."
            ),
            field="siret",
        )
        self.offerer_id = offerer_id


# --- pure helpers ------------------------------------------------------------------


def offerer_transition_allowed(current: str, target: str) -> bool:
    return current in OFFERER_TRANSITIONS.get(target, frozenset())


@dataclass(frozen=True)
class Location:
    department_code: str
    latitude: Decimal
    longitude: Decimal
    source: str
    timezone: str


def parse_coordinate(value: Any, *, field: str, limit: int) -> Decimal | None:
    """A coordinate typed by a person (comma or dot), or None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise DomainError(
            _("Saisissez un nombre."), code="coordinate_invalid", field=field
        ) from exc
    if not number.is_finite() or not -limit <= number <= limit:
        raise DomainError(
            _("La valeur doit être comprise entre -%(limit)s et %(limit)s.") % {"limit": limit},
            code="coordinate_out_of_range",
            field=field,
        )
    return number.quantize(Decimal("0.00001"))


def locate(
    *,
    postal_code: str,
    city: str,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Location:
    """Department, coordinates and time zone of an address.

    Manual coordinates (both given) win; otherwise the configured geocoder decides.
    """
    postal_code = normalize_postal_code(postal_code)
    department = department_from_postal_code(postal_code)
    if department is None:
        raise DomainError(
            _("Ce code postal n'est pas un code postal français valide."),
            code="postal_code_unknown",
            field="postal_code",
        )
    if (latitude is None) != (longitude is None):
        raise DomainError(
            _("Renseignez la latitude et la longitude, ou aucune des deux."),
            code="coordinates_incomplete",
            field="latitude" if latitude is None else "longitude",
        )
    timezone = timezone_for_department(department)
    if latitude is not None and longitude is not None:
        return Location(department, latitude, longitude, Venue.CoordinatesSource.MANUAL, timezone)
    result = get_geocoder().geocode(postal_code=postal_code, city=city)
    if result is None:
        raise DomainError(
            _(
                "Impossible de situer cette adresse : vérifiez le code postal ou saisissez "
                "les coordonnées."
            ),
            code="address_not_found",
            field="postal_code",
        )
    return Location(department, result.latitude, result.longitude, result.source, timezone)


def invitation_is_expired(invitation: Invitation, now: dt.datetime) -> bool:
    return invitation.accepted_at is None and now >= invitation.expires_at


def _required(value: str, *, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code=f"{field}_required", field=field)
    return value


def _clean_email(value: str, *, field: str = "email", required: bool = True) -> str:
    email = (value or "").strip().lower()
    if not email:
        if required:
            raise DomainError(
                _("L'adresse email est obligatoire."), code="email_required", field=field
            )
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(
            _("Saisissez une adresse email valide."), code="email_invalid", field=field
        ) from exc
    return email


# --- permissions ----------------------------------------------------------------


def _is_staff_with(actor: Any, permission: str) -> bool:
    return bool(
        getattr(actor, "is_staff", False)
        and actor.is_active
        and actor.has_perm(f"accounts.{permission}")
    )


def _membership_of(actor: Any, offerer: Offerer) -> Membership | None:
    if not getattr(actor, "pk", None):
        return None
    return Membership.objects.filter(
        user=actor, offerer=offerer, status=Membership.Status.VALIDATED
    ).first()


def _require_member(actor: Any, offerer: Offerer, *, admin: bool = False) -> Membership | None:
    """Validated member (admin if asked) of ``offerer``, or staff with homologation."""
    membership = _membership_of(actor, offerer)
    if membership is not None and (membership.is_admin or not admin):
        return membership
    if _is_staff_with(actor, "homologation"):
        return None
    if membership is not None:
        raise PermissionDenied(
            _("Seuls les administrateurs de la structure peuvent faire cela."),
            code="admin_required",
        )
    raise PermissionDenied(_("Vous n'êtes pas membre de cette structure."), code="not_a_member")


def _require_staff(actor: Any, permission: str) -> None:
    if not _is_staff_with(actor, permission):
        raise PermissionDenied(_("Action réservée à l'équipe culturepass."), code="staff_required")


def _ensure_not_closed(offerer: Offerer) -> None:
    if offerer.status == Offerer.Status.CLOSED:
        raise DomainError(_("Cette structure est fermée."), code="offerer_closed")


def _lock_offerer(offerer_id: int) -> Offerer:
    """Lock the structure row: membership changes of one structure are serialised."""
    return Offerer.objects.select_for_update().get(pk=offerer_id)


def _mark_pro(user: Any) -> None:
    if not user.is_pro:
        user.is_pro = True
        user.save(update_fields=["is_pro"])


# --- emails ------------------------------------------------------------------------


def _url(name: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs or None)


def _emails_of(memberships: Any) -> list[str]:
    return sorted({m.user.email for m in memberships})


def _validated_memberships(offerer: Offerer, *, admins_only: bool = False) -> Any:
    qs = Membership.objects.filter(offerer=offerer, status=Membership.Status.VALIDATED)
    if admins_only:
        qs = qs.filter(role=Membership.Role.ADMIN)
    return qs.select_related("user")


# --- structures ------------------------------------------------------------------


def offerer_create_from_siret(
    *,
    actor: Any,
    siret: str,
    name: str,
    ape_code: str,
    street: str,
    postal_code: str,
    city: str,
    now: dt.datetime,
) -> Offerer:
    """Create a structure (NEW) from its head-office SIRET, its head-office venue and
    an ADMIN membership for ``actor``: the administrative page exists at once.

    Raises :class:`SirenAlreadyRegistered` when the SIREN exists (the caller then
    offers :func:`attachment_request`).
    """
    siret = clean_siret(siret)
    declared = RegistryEntry(
        siret=siret,
        name=_required(name, field="name", message=_("Le nom de la structure est obligatoire.")),
        ape_code=clean_ape_code(ape_code),
        street=_required(street, field="street", message=_("L'adresse est obligatoire.")),
        postal_code=normalize_postal_code(postal_code),
        city=_required(city, field="city", message=_("La ville est obligatoire.")),
    )
    entry = get_registry().lookup(siret=siret, declared=declared)
    if not entry.is_active:
        raise DomainError(
            _("Cet établissement est fermé d'après le répertoire des entreprises."),
            code="siret_inactive",
            field="siret",
        )
    location = locate(postal_code=entry.postal_code, city=entry.city)
    siren = siren_of(siret)
    with transaction.atomic():
        existing = Offerer.objects.filter(siren=siren).values_list("pk", flat=True).first()
        if existing is not None:
            raise SirenAlreadyRegistered(existing)
        if Venue.objects.filter(siret=siret).exists():
            raise DomainError(
                _("Ce SIRET est déjà rattaché à un lieu."),
                code="siret_already_registered",
                field="siret",
            )
        try:
            with transaction.atomic():
                offerer = Offerer.objects.create(
                    siren=siren,
                    name=entry.name,
                    ape_code=entry.ape_code,
                    street=entry.street,
                    postal_code=entry.postal_code,
                    city=entry.city,
                    department_code=location.department_code,
                    region_code=region_for_department(location.department_code),
                    status=Offerer.Status.NEW,
                    created_at=now,
                )
        except IntegrityError:  # created by someone else since the check
            existing = Offerer.objects.filter(siren=siren).values_list("pk", flat=True).first()
            raise SirenAlreadyRegistered(existing or 0) from None
        audit_record(
            actor=actor,
            action="offerer.create",
            obj=offerer,
            now=now,
            after=snapshot(offerer, OFFERER_FIELDS),
            offerer_id=offerer.pk,
        )
        venue = Venue.objects.create(
            offerer=offerer,
            siret=siret,
            name=entry.name,
            street=entry.street,
            postal_code=entry.postal_code,
            city=entry.city,
            department_code=location.department_code,
            latitude=location.latitude,
            longitude=location.longitude,
            coordinates_source=location.source,
            timezone=location.timezone,
            venue_type=DEFAULT_VENUE_TYPE,
            booking_email=actor.email,
            is_head_office=True,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="venue.create",
            obj=venue,
            now=now,
            after=snapshot(venue, VENUE_FIELDS),
            offerer_id=offerer.pk,
        )
        membership = Membership.objects.create(
            user=actor,
            offerer=offerer,
            role=Membership.Role.ADMIN,
            status=Membership.Status.VALIDATED,
            created_at=now,
            validated_at=now,
        )
        audit_record(
            actor=actor,
            action="membership.create",
            obj=membership,
            now=now,
            after=snapshot(membership, MEMBERSHIP_FIELDS),
            offerer_id=offerer.pk,
        )
        _mark_pro(actor)
    return offerer


def _offerer_transition(
    *, actor: Any, offerer: Offerer, target: str, action: str, comment: str, now: dt.datetime
) -> Offerer:
    _require_staff(actor, "homologation")
    with transaction.atomic():
        locked = _lock_offerer(offerer.pk)
        if not offerer_transition_allowed(locked.status, target):
            raise InvalidTransition(
                _("Impossible de passer une structure « %(current)s » à « %(target)s ».")
                % {
                    "current": locked.get_status_display(),
                    "target": Offerer.Status(target).label,
                },
                code="offerer_invalid_transition",
            )
        before = snapshot(locked, OFFERER_FIELDS)
        locked.status = target
        if target == Offerer.Status.VALIDATED:
            locked.validated_at = now
        locked.save(update_fields=["status", "validated_at"])
        audit_record(
            actor=actor,
            action=action,
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, OFFERER_FIELDS),
            offerer_id=locked.pk,
            comment=comment,
        )
        if target in {Offerer.Status.VALIDATED, Offerer.Status.REJECTED}:
            recipients = _emails_of(_validated_memberships(locked))
            if recipients:
                email_enqueue(
                    to=recipients,
                    template=f"offerers/emails/offerer_{target.lower()}",
                    context={
                        "offerer_name": locked.name,
                        "siren": locked.siren,
                        "comment": comment,
                        "url": _url("pro:offerer_detail", offerer_id=locked.pk),
                    },
                    now=now,
                )
    offerer.refresh_from_db()
    return offerer


def offerer_set_pending(
    *, actor: Any, offerer: Offerer, comment: str = "", now: dt.datetime
) -> Offerer:
    return _offerer_transition(
        actor=actor,
        offerer=offerer,
        target=Offerer.Status.PENDING,
        action="offerer.set_pending",
        comment=comment,
        now=now,
    )


def offerer_validate(
    *, actor: Any, offerer: Offerer, comment: str = "", now: dt.datetime
) -> Offerer:
    return _offerer_transition(
        actor=actor,
        offerer=offerer,
        target=Offerer.Status.VALIDATED,
        action="offerer.validate",
        comment=comment,
        now=now,
    )


def offerer_reject(*, actor: Any, offerer: Offerer, comment: str = "", now: dt.datetime) -> Offerer:
    return _offerer_transition(
        actor=actor,
        offerer=offerer,
        target=Offerer.Status.REJECTED,
        action="offerer.reject",
        comment=comment,
        now=now,
    )


def offerer_close(*, actor: Any, offerer: Offerer, comment: str = "", now: dt.datetime) -> Offerer:
    return _offerer_transition(
        actor=actor,
        offerer=offerer,
        target=Offerer.Status.CLOSED,
        action="offerer.close",
        comment=comment,
        now=now,
    )


# --- attachment requests ---------------------------------------------------------


def attachment_request(*, actor: Any, siret: str, now: dt.datetime) -> Membership:
    """Ask to join the structure of ``siret``'s SIREN: a PENDING membership that its
    validated admins (emailed) or staff accept."""
    siren = siren_of(clean_siret(siret))
    with transaction.atomic():
        offerer = Offerer.objects.select_for_update().filter(siren=siren).first()
        if offerer is None:
            raise NotFound(
                _("Aucune structure n'est inscrite avec ce SIREN."),
                code="siren_not_registered",
                field="siret",
            )
        _ensure_not_closed(offerer)
        membership = Membership.objects.filter(user=actor, offerer=offerer).first()
        before = None
        if membership is not None:
            if membership.status == Membership.Status.VALIDATED:
                raise DomainError(
                    _("Vous êtes déjà membre de cette structure."), code="already_member"
                )
            if membership.status == Membership.Status.PENDING:
                raise DomainError(
                    _("Votre demande de rattachement est déjà en attente."),
                    code="attachment_already_requested",
                )
            before = snapshot(membership, MEMBERSHIP_FIELDS)
            membership.status = Membership.Status.PENDING
            membership.role = Membership.Role.MEMBER
            membership.created_at = now
            membership.validated_at = None
            membership.save()
        else:
            membership = Membership.objects.create(
                user=actor,
                offerer=offerer,
                role=Membership.Role.MEMBER,
                status=Membership.Status.PENDING,
                created_at=now,
            )
        audit_record(
            actor=actor,
            action="membership.request",
            obj=membership,
            now=now,
            before=before,
            after=snapshot(membership, MEMBERSHIP_FIELDS),
            offerer_id=offerer.pk,
        )
        recipients = _emails_of(_validated_memberships(offerer, admins_only=True))
        if recipients:
            email_enqueue(
                to=recipients,
                template="offerers/emails/attachment_requested",
                context={
                    "offerer_name": offerer.name,
                    "requester": actor.email,
                    "url": _url("pro:members", offerer_id=offerer.pk),
                },
                now=now,
            )
        _mark_pro(actor)
    return membership


def _attachment_decide(
    *, actor: Any, membership: Membership, accept: bool, comment: str, now: dt.datetime
) -> Membership:
    with transaction.atomic():
        offerer = _lock_offerer(membership.offerer_id)
        _require_member(actor, offerer)
        locked = Membership.objects.select_related("user").get(pk=membership.pk)
        if locked.status != Membership.Status.PENDING:
            raise InvalidTransition(
                _("Cette demande de rattachement a déjà été traitée."),
                code="attachment_not_pending",
            )
        if accept:
            _ensure_not_closed(offerer)
        before = snapshot(locked, MEMBERSHIP_FIELDS)
        locked.status = Membership.Status.VALIDATED if accept else Membership.Status.REJECTED
        locked.validated_at = now if accept else None
        locked.save(update_fields=["status", "validated_at"])
        audit_record(
            actor=actor,
            action="membership.accept" if accept else "membership.reject",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, MEMBERSHIP_FIELDS),
            offerer_id=offerer.pk,
            comment=comment,
        )
        email_enqueue(
            to=[locked.user.email],
            template="offerers/emails/attachment_" + ("accepted" if accept else "rejected"),
            context={
                "offerer_name": offerer.name,
                "comment": comment,
                "url": _url("pro:offerer_detail", offerer_id=offerer.pk)
                if accept
                else _url("pro:home"),
            },
            now=now,
        )
    return locked


def attachment_accept(
    *, actor: Any, membership: Membership, comment: str = "", now: dt.datetime
) -> Membership:
    """Staff (homologation) or a validated member of the structure accepts the request."""
    return _attachment_decide(
        actor=actor, membership=membership, accept=True, comment=comment, now=now
    )


def attachment_reject(
    *, actor: Any, membership: Membership, comment: str = "", now: dt.datetime
) -> Membership:
    return _attachment_decide(
        actor=actor, membership=membership, accept=False, comment=comment, now=now
    )


# --- venues -----------------------------------------------------------------------


@dataclass(frozen=True)
class VenueInput:
    name: str
    street: str
    postal_code: str
    city: str
    siret: str = ""
    comment: str = ""
    public_name: str = ""
    venue_type: str = DEFAULT_VENUE_TYPE
    booking_email: str = ""
    withdrawal_details: str = ""
    accessibility_motor: bool = False
    accessibility_visual: bool = False
    accessibility_hearing: bool = False
    accessibility_mental: bool = False
    is_open_to_public: bool = True
    # Both set: manual coordinates. Both None: computed from the address.
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _clean_venue_siret(offerer: Offerer, data: VenueInput, *, venue: Venue | None) -> str | None:
    if not (data.siret or "").strip():
        if venue is not None and venue.siret:
            raise DomainError(
                _("Le SIRET d'un lieu ne peut pas être retiré."),
                code="siret_immutable",
                field="siret",
            )
        if not (data.comment or "").strip():
            raise DomainError(
                _(
                    "Sans SIRET, un commentaire est obligatoire (par exemple : lieu sans SIRET propre)."
                ),
                code="comment_required",
                field="comment",
            )
        return None
    siret = clean_siret(data.siret)
    if venue is not None and venue.siret and venue.siret != siret:
        raise DomainError(
            _("Le SIRET d'un lieu ne peut pas être modifié."), code="siret_immutable", field="siret"
        )
    if siren_of(siret) != offerer.siren:
        raise DomainError(
            _("Ce SIRET n'appartient pas à la structure (SIREN %(siren)s).")
            % {"siren": offerer.siren},
            code="siret_other_siren",
            field="siret",
        )
    clash = Venue.objects.filter(siret=siret)
    if venue is not None:
        clash = clash.exclude(pk=venue.pk)
    if clash.exists():
        raise DomainError(
            _("Ce SIRET est déjà rattaché à un lieu."),
            code="siret_already_registered",
            field="siret",
        )
    return siret


def _clean_venue_fields(data: VenueInput) -> dict[str, Any]:
    if data.venue_type not in venue_type_codes():
        raise DomainError(_("Type de lieu inconnu."), code="venue_type_unknown", field="venue_type")
    return {
        "name": _required(data.name, field="name", message=_("Le nom du lieu est obligatoire.")),
        "public_name": (data.public_name or "").strip(),
        "comment": (data.comment or "").strip(),
        "street": _required(data.street, field="street", message=_("L'adresse est obligatoire.")),
        "postal_code": normalize_postal_code(data.postal_code),
        "city": _required(data.city, field="city", message=_("La ville est obligatoire.")),
        "venue_type": data.venue_type,
        "booking_email": _clean_email(data.booking_email, field="booking_email", required=False),
        "withdrawal_details": (data.withdrawal_details or "").strip(),
        "accessibility_motor": bool(data.accessibility_motor),
        "accessibility_visual": bool(data.accessibility_visual),
        "accessibility_hearing": bool(data.accessibility_hearing),
        "accessibility_mental": bool(data.accessibility_mental),
        "is_open_to_public": bool(data.is_open_to_public),
    }


def _apply_location(venue: Venue, location: Location) -> None:
    venue.department_code = location.department_code
    venue.latitude = location.latitude
    venue.longitude = location.longitude
    venue.coordinates_source = location.source
    venue.timezone = location.timezone


def venue_create(*, actor: Any, offerer: Offerer, data: VenueInput, now: dt.datetime) -> Venue:
    """Add a venue, with a SIRET of the structure's SIREN or without SIRET and a comment."""
    fields = _clean_venue_fields(data)
    location = locate(
        postal_code=fields["postal_code"],
        city=fields["city"],
        latitude=data.latitude,
        longitude=data.longitude,
    )
    with transaction.atomic():
        locked = _lock_offerer(offerer.pk)
        _require_member(actor, locked)
        _ensure_not_closed(locked)
        siret = _clean_venue_siret(locked, data, venue=None)
        venue = Venue(offerer=locked, siret=siret, created_at=now, **fields)
        _apply_location(venue, location)
        try:
            with transaction.atomic():
                venue.save()
        except IntegrityError as exc:
            raise DomainError(
                _("Ce SIRET est déjà rattaché à un lieu."),
                code="siret_already_registered",
                field="siret",
            ) from exc
        audit_record(
            actor=actor,
            action="venue.create",
            obj=venue,
            now=now,
            after=snapshot(venue, VENUE_FIELDS),
            offerer_id=locked.pk,
        )
    return venue


def venue_update(*, actor: Any, venue: Venue, data: VenueInput, now: dt.datetime) -> Venue:
    """Change a venue. A new address is geocoded again unless coordinates are given;
    blank coordinates on a manually placed venue go back to the computed ones."""
    fields = _clean_venue_fields(data)
    with transaction.atomic():
        locked_offerer = _lock_offerer(venue.offerer_id)
        _require_member(actor, locked_offerer)
        _ensure_not_closed(locked_offerer)
        locked = Venue.objects.select_for_update().get(pk=venue.pk)
        siret = _clean_venue_siret(locked_offerer, data, venue=locked)
        before = snapshot(locked, VENUE_FIELDS)
        address_changed = (fields["postal_code"], fields["city"], fields["street"]) != (
            locked.postal_code,
            locked.city,
            locked.street,
        )
        manual = data.latitude is not None or data.longitude is not None
        if manual or address_changed or locked.coordinates_source == Venue.CoordinatesSource.MANUAL:
            _apply_location(
                locked,
                locate(
                    postal_code=fields["postal_code"],
                    city=fields["city"],
                    latitude=data.latitude,
                    longitude=data.longitude,
                ),
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.siret = siret
        after = snapshot(locked, VENUE_FIELDS)
        if after != before:
            try:
                with transaction.atomic():
                    locked.save()
            except IntegrityError as exc:
                raise DomainError(
                    _("Ce SIRET est déjà rattaché à un lieu."),
                    code="siret_already_registered",
                    field="siret",
                ) from exc
            audit_record(
                actor=actor,
                action="venue.update",
                obj=locked,
                now=now,
                before=before,
                after=after,
                offerer_id=locked_offerer.pk,
            )
    return locked


# --- members and invitations ---------------------------------------------------------


def _invitation_days() -> int:
    return int(getattr(settings, "OFFERERS_INVITATION_DAYS", DEFAULT_INVITATION_DAYS))


def member_invite(
    *,
    actor: Any,
    offerer: Offerer,
    email: str,
    role: str = Membership.Role.MEMBER,
    now: dt.datetime,
) -> Invitation:
    """Invite ``email`` to join. Inviting an address again resends its open invitation
    (with a new link if the old one expired)."""
    email = _clean_email(email)
    if role not in Membership.Role.values:
        raise DomainError(_("Rôle inconnu."), code="role_unknown", field="role")
    with transaction.atomic():
        locked = _lock_offerer(offerer.pk)
        membership = _require_member(actor, locked)
        if role == Membership.Role.ADMIN and membership is not None and not membership.is_admin:
            raise PermissionDenied(
                _("Seuls les administrateurs peuvent inviter un administrateur."),
                code="admin_required",
                field="role",
            )
        _ensure_not_closed(locked)
        if Membership.objects.filter(
            offerer=locked, user__email__iexact=email, status=Membership.Status.VALIDATED
        ).exists():
            raise DomainError(
                _("Cette personne est déjà membre de la structure."),
                code="already_member",
                field="email",
            )
        invitation = Invitation.objects.filter(
            offerer=locked, email__iexact=email, accepted_at__isnull=True
        ).first()
        validity = dt.timedelta(days=_invitation_days())
        if invitation is None:
            invitation = Invitation.objects.create(
                offerer=locked,
                email=email,
                role=role,
                token=secrets.token_urlsafe(32),
                invited_by=actor,
                created_at=now,
                expires_at=now + validity,
            )
            before = None
            action = "invitation.create"
        else:
            before = snapshot(invitation, INVITATION_FIELDS)
            if invitation_is_expired(invitation, now):
                invitation.token = secrets.token_urlsafe(32)
            invitation.role = role
            invitation.invited_by = actor
            invitation.created_at = now
            invitation.expires_at = now + validity
            invitation.save()
            action = "invitation.resend"
        audit_record(
            actor=actor,
            action=action,
            obj=invitation,
            now=now,
            before=before,
            after=snapshot(invitation, INVITATION_FIELDS),
            offerer_id=locked.pk,
        )
        email_enqueue(
            to=[email],
            template="offerers/emails/invitation",
            context={
                "offerer_name": locked.name,
                "inviter": actor.email,
                "email": email,
                "url": _url("pro:invitation", token=invitation.token),
                "signup_url": _signup_url(),
                "expires_at": invitation.expires_at,
            },
            now=now,
        )
    return invitation


def _signup_url() -> str:
    try:
        return _url("accounts:signup")
    except Exception:  # the sign-up page belongs to accounts; the email works without it
        return settings.SITE_URL


def invitation_cancel(*, actor: Any, invitation: Invitation, now: dt.datetime) -> None:
    """Withdraw an open invitation (a typo in the address, a colleague who left): its link
    stops working at once. Any validated member may, as any member may invite."""
    with transaction.atomic():
        offerer = _lock_offerer(invitation.offerer_id)
        _require_member(actor, offerer)
        locked = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation.pk, accepted_at__isnull=True)
            .first()
        )
        if locked is None:
            raise NotFound(
                _("Cette invitation n'est plus en attente."), code="invitation_not_found"
            )
        audit_record(
            actor=actor,
            action="invitation.cancel",
            obj=locked,
            now=now,
            before=snapshot(locked, INVITATION_FIELDS),
            after=None,
            offerer_id=offerer.pk,
        )
        locked.delete()


def invitation_accept(*, actor: Any, token: str, now: dt.datetime) -> Membership:
    """The logged-in invitee (same email) joins the structure as a validated member."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(token=token).first()
        if invitation is None or invitation.email.lower() != (actor.email or "").lower():
            raise NotFound(_("Cette invitation n'existe pas."), code="invitation_not_found")
        offerer = _lock_offerer(invitation.offerer_id)
        if invitation.accepted_at is not None:
            raise InvalidTransition(
                _("Cette invitation a déjà été acceptée."), code="invitation_already_accepted"
            )
        if invitation_is_expired(invitation, now):
            raise DomainError(
                _("Cette invitation a expiré : demandez à en recevoir une nouvelle."),
                code="invitation_expired",
            )
        _ensure_not_closed(offerer)
        membership = Membership.objects.filter(user=actor, offerer=offerer).first()
        before = snapshot(membership, MEMBERSHIP_FIELDS) if membership else None
        if membership is None:
            membership = Membership.objects.create(
                user=actor,
                offerer=offerer,
                role=invitation.role,
                status=Membership.Status.VALIDATED,
                created_at=now,
                validated_at=now,
            )
        elif membership.status != Membership.Status.VALIDATED:
            membership.status = Membership.Status.VALIDATED
            membership.role = invitation.role
            membership.validated_at = now
            membership.save(update_fields=["status", "role", "validated_at"])
        elif invitation.role == Membership.Role.ADMIN and not membership.is_admin:
            membership.role = Membership.Role.ADMIN
            membership.save(update_fields=["role"])
        after = snapshot(membership, MEMBERSHIP_FIELDS)
        if after != before:
            audit_record(
                actor=actor,
                action="membership.create" if before is None else "membership.accept",
                obj=membership,
                now=now,
                before=before,
                after=after,
                offerer_id=offerer.pk,
                comment=_("Invitation acceptée"),
            )
        inv_before = snapshot(invitation, INVITATION_FIELDS)
        invitation.accepted_at = now
        invitation.accepted_by = actor
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            actor=actor,
            action="invitation.accept",
            obj=invitation,
            now=now,
            before=inv_before,
            after=snapshot(invitation, INVITATION_FIELDS),
            offerer_id=offerer.pk,
        )
        _mark_pro(actor)
    return membership


def member_remove(*, actor: Any, membership: Membership, now: dt.datetime) -> None:
    """Remove a validated member. Admins (or staff) remove anyone, a member may leave;
    the last admin cannot go."""
    with transaction.atomic():
        offerer = _lock_offerer(membership.offerer_id)
        locked = Membership.objects.filter(pk=membership.pk).first()
        if locked is None:
            raise NotFound(_("Ce membre n'existe pas."), code="membership_not_found")
        if locked.user_id != getattr(actor, "pk", None):
            _require_member(actor, offerer, admin=True)
        elif not locked.is_validated:
            raise PermissionDenied(
                _("Vous n'êtes pas membre de cette structure."), code="not_a_member"
            )
        if locked.status != Membership.Status.VALIDATED:
            raise InvalidTransition(
                _("Une demande de rattachement se refuse, elle ne se retire pas."),
                code="membership_not_validated",
            )
        if (
            locked.is_admin
            and not Membership.objects.filter(
                offerer=offerer, role=Membership.Role.ADMIN, status=Membership.Status.VALIDATED
            )
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise DomainError(
                _("Impossible de retirer le dernier administrateur de la structure."),
                code="last_admin",
            )
        before = snapshot(locked, MEMBERSHIP_FIELDS)
        audit_record(
            actor=actor,
            action="membership.remove",
            obj=locked,
            now=now,
            before=before,
            after=None,
            offerer_id=offerer.pk,
        )
        locked.delete()


# --- territorial contacts ------------------------------------------------------------


def territorial_contact_save(
    *,
    actor: Any,
    region_code: str,
    name: str,
    email: str,
    phone: str = "",
    now: dt.datetime,
) -> TerritorialContact:
    """Create or replace the territorial contact of a region (staff, territorial)."""
    _require_staff(actor, "territorial")
    if region_code not in regions():
        raise DomainError(_("Région inconnue."), code="region_unknown", field="region_code")
    name = _required(name, field="name", message=_("Le nom est obligatoire."))
    email = _clean_email(email)
    with transaction.atomic():
        contact = (
            TerritorialContact.objects.select_for_update().filter(region_code=region_code).first()
        )
        before = snapshot(contact, CONTACT_FIELDS) if contact else None
        if contact is None:
            contact = TerritorialContact(region_code=region_code)
        contact.name = name
        contact.email = email
        contact.phone = (phone or "").strip()
        contact.updated_at = now
        contact.save()
        audit_record(
            actor=actor,
            action="territorial_contact.save",
            obj=contact,
            now=now,
            before=before,
            after=snapshot(contact, CONTACT_FIELDS),
        )
    return contact


def territorial_contact_delete(
    *, actor: Any, contact: TerritorialContact, now: dt.datetime
) -> None:
    _require_staff(actor, "territorial")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="territorial_contact.delete",
            obj=contact,
            now=now,
            before=snapshot(contact, CONTACT_FIELDS),
        )
        contact.delete()
