"""Collective offers for school groups (SPEC §8): referencing, offers, requests, bookings.

Conventions of the platform: keyword-only services ``<entity>_<verb>(*, actor, ..., now)``,
one transaction per use case, an audit entry for every change, ``DomainError`` with a stable
code and a French message, emails through the outbox inside the transaction.

Locks, always in this order so that two use cases never deadlock:

    collective offer (pre-booking) → collective booking → school budget → finance locks

The invariant "one live booking per offer" is also a database constraint: a violation that
slips past the checks (no lock, see ``_LOCK_ROWS``) is mapped to the same error.

Compliance: publishing runs the individual offers' compliance (``offers.compliance.decide``)
with the structure's confidence level and the active KEYWORD rules; PRICE_ABOVE and
SUBCATEGORY rules are written for individual seats and catalogue subcategories, so they do not
apply to a group's total price or to collective offers (which have no subcategory). Staff of
the commission or of compliance approve or reject the offers sent to review.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from culturepass.accounts.models import User
from culturepass.collective import reference
from culturepass.collective.models import (
    MAX_COLLECTIVE_PRICE_CENTS,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PARTICIPANTS,
    UAI_REGEX,
    CollectiveBooking,
    CollectiveOffer,
    CollectiveRequest,
    ReferencingApplication,
    School,
    SchoolBudget,
    SchoolMember,
    school_year_label,
    school_year_of,
)
from culturepass.collective.selectors import SPENDING_STATUSES, offerer_is_referenced
from culturepass.core.audit import AUTO, audit_record, snapshot
from culturepass.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from culturepass.notifications.services import email_enqueue
from culturepass.offerers.models import Membership, Offerer, Venue
from culturepass.offers import compliance
from culturepass.offers.models import ValidationRule

#: Test seam for the race test (tests/collective/test_collective_race.py): False pre-books
#: without locking the offer row, so two teachers' checks race and only the database
#: constraint keeps one live booking per offer. Never change it outside tests.
_LOCK_ROWS = True

#: A confirmed booking may be cancelled until ``max(start - 30 days, booked at)``.
CANCELLATION_NOTICE = dt.timedelta(days=30)
#: A confirmed booking becomes USED this long after the end of the activity.
USED_AFTER_END = dt.timedelta(hours=48)
MAX_PROJECT_LENGTH = 3_000
MAX_COMMENT_LENGTH = 2_000

_OFFER_AUDITED = (
    "kind",
    "name",
    "venue",
    "start_datetime",
    "end_datetime",
    "booking_limit_datetime",
    "price_cents",
    "participants",
    "target_school",
    "validation",
    "rejection_reason",
    "is_active",
)
_BOOKING_AUDITED = ("status", "price_cents", "cancellation_reason", "confirmed_by", "used_at")
_APPLICATION_AUDITED = ("status", "decision_message", "decided_by")

V = CollectiveOffer.Validation
S = CollectiveBooking.Status


class CollectiveError(DomainError):
    code = "collective_error"


class ValidationErrors(CollectiveError):
    """Several field errors at once (``errors``: field → French message); ``field`` and
    ``message`` are the first one's."""

    code = "invalid"

    def __init__(self, errors: Mapping[str, str], *, code: str | None = None) -> None:
        if not errors:
            raise ValueError("ValidationErrors needs at least one error")
        self.errors: dict[str, str] = {key: str(value) for key, value in errors.items()}
        field, message = next(iter(self.errors.items()))
        super().__init__(message, code=code, field=field)


def _test_hook_checks_passed() -> None:
    """Test seam: called once the pre-booking checks passed, before the INSERT (the race test
    holds both threads here to make their checks overlap)."""


# --- formatting ----------------------------------------------------------------------------


def format_euros(cents: int) -> str:
    """ "1 234,50 €" (French notation)."""
    return f"{formats.number_format(Decimal(cents) / 100, 2, force_grouping=True)} €"


def _tz(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        return zoneinfo.ZoneInfo("Europe/Paris")


def format_local_datetime(value: dt.datetime | None, tz_name: str) -> str:
    if value is None:
        return ""
    local = value.astimezone(_tz(tz_name))
    return _("%(date)s à %(time)s") % {
        "date": formats.date_format(local, "j F Y"),
        "time": formats.date_format(local, r"H\hi"),
    }


def _url(name: str, **kwargs: Any) -> str:
    """Absolute URL of a page, or the site root while the page does not exist yet."""
    try:
        return settings.SITE_URL + reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return settings.SITE_URL + "/"


# --- access ----------------------------------------------------------------------------------


def _is_user(actor: Any) -> bool:
    return bool(getattr(actor, "pk", None) and getattr(actor, "is_active", False))


def _is_pro_member(actor: Any, offerer_id: int) -> bool:
    if not _is_user(actor):
        return False
    return Membership.objects.filter(
        user_id=actor.pk, offerer_id=offerer_id, status=Membership.Status.VALIDATED
    ).exists()


def is_collective_staff(actor: Any) -> bool:
    """Staff of the regional commission (``accounts.collective``)."""
    return bool(
        _is_user(actor)
        and getattr(actor, "is_staff", False)
        and actor.has_perm("accounts.collective")
    )


def _is_review_staff(actor: Any) -> bool:
    """Collective offers are reviewed by the commission or by the compliance team."""
    return bool(
        _is_user(actor)
        and getattr(actor, "is_staff", False)
        and (actor.has_perm("accounts.collective") or actor.has_perm("accounts.compliance"))
    )


def _require_collective_staff(actor: Any) -> None:
    if not is_collective_staff(actor):
        raise PermissionDenied(
            _("Action réservée à la commission régionale."), code="staff_required"
        )


def _school_member(
    actor: Any, school: School | int | None, *, roles: Iterable[str] | None = None
) -> SchoolMember:
    """The actor's membership of ``school`` (or of their only school when ``school`` is None)
    with one of ``roles``; ``not_found`` otherwise, so other schools stay invisible."""
    if not _is_user(actor):
        raise NotFound(_("Cet établissement n'existe pas."), code="not_found")
    members = SchoolMember.objects.filter(user_id=actor.pk).select_related("school")
    if school is not None:
        members = members.filter(school_id=school.pk if isinstance(school, School) else school)
    found = list(members.order_by("school_id")[:2])
    if len(found) != 1:
        if len(found) > 1:
            raise CollectiveError(
                _("Choisissez l'établissement concerné."), code="school_required", field="school"
            )
        raise NotFound(_("Cet établissement n'existe pas."), code="not_found")
    member = found[0]
    if roles is not None and member.role not in set(roles):
        if set(roles) == {SchoolMember.Role.HEAD}:
            raise PermissionDenied(
                _("Seul le chef d'établissement peut faire cette action."), code="head_required"
            )
        raise PermissionDenied(_("Vous n'avez pas accès à cette action."), code="forbidden")
    return member


def _not_referenced() -> CollectiveError:
    return CollectiveError(
        _(
            "Cette structure n'est pas référencée pour les offres collectives : déposez une "
            "demande de référencement."
        ),
        code="not_referenced",
    )


# --- recipients and emails -------------------------------------------------------------------


def _pro_recipients(offerer_id: int, contact_email: str = "") -> list[str]:
    """The offer's contact email, else the structure's validated administrators."""
    if contact_email:
        return [contact_email]
    return sorted(
        {
            e
            for e in Membership.objects.filter(
                offerer_id=offerer_id,
                status=Membership.Status.VALIDATED,
                role=Membership.Role.ADMIN,
            ).values_list("user__email", flat=True)
            if e
        }
    )


def _school_recipients(booking: CollectiveBooking) -> list[str]:
    """The teacher who pre-booked and the school's heads."""
    heads = SchoolMember.objects.filter(
        school_id=booking.school_id, role=SchoolMember.Role.HEAD
    ).values_list("user__email", flat=True)
    return sorted({e for e in [booking.teacher.email, *heads] if e})


def _send(to: Sequence[str], template: str, context: Mapping[str, Any], now: dt.datetime) -> None:
    if to:
        email_enqueue(to=to, template=f"emails/collective/{template}", context=context, now=now)


def _offer_context(offer: CollectiveOffer) -> dict[str, Any]:
    return {
        "offer_name": offer.name,
        "offerer_name": offer.offerer.name,
        "venue_name": offer.venue.display_name,
        "start": format_local_datetime(offer.start_datetime, offer.timezone),
        "end": format_local_datetime(offer.end_datetime, offer.timezone),
        "booking_limit": format_local_datetime(offer.booking_limit_datetime, offer.timezone),
        "price": format_euros(offer.price_cents) if offer.price_cents is not None else "",
        "participants": offer.participants,
        "pro_url": _url("pro:collective_offers", offerer_id=offer.offerer_id),
    }


def _booking_context(booking: CollectiveBooking) -> dict[str, Any]:
    offer = booking.offer
    return {
        **_offer_context(offer),
        "booking_id": booking.pk,
        "school_name": booking.school.name,
        "school_uai": booking.school.uai,
        "school_city": booking.school.city,
        "teacher_name": booking.teacher.full_name or booking.teacher.email,
        "teacher_email": booking.teacher.email,
        "price": format_euros(booking.price_cents),
        "confirmation_limit": format_local_datetime(booking.confirmation_limit, offer.timezone),
        "cancellation_limit": format_local_datetime(booking.cancellation_limit, offer.timezone),
        "school_year": school_year_label(booking.school_year_start),
        "reason": booking.get_cancellation_reason_display() if booking.cancellation_reason else "",
        "comment": booking.cancellation_comment,
        "schools_url": _url("schools:bookings"),
        "pro_bookings_url": _url("pro:collective_bookings", offerer_id=booking.offerer_id),
    }


# --- referencing -----------------------------------------------------------------------------


def _clean_domains(domains: Iterable[str], errors: dict[str, str]) -> list[str]:
    values = sorted(set(domains or ()))
    if not values:
        errors["domains"] = _("Choisissez au moins un domaine artistique et culturel.")
    elif reference.unknown_codes(values, reference.domains()):
        errors["domains"] = _("Domaine artistique et culturel inconnu.")
    return values


def referencing_apply(
    *,
    actor: Any,
    offerer: Offerer,
    venue_ids: Iterable[int],
    domains: Iterable[str],
    educational_project: str,
    now: dt.datetime,
) -> ReferencingApplication:
    """A structure applies to be referenced for school groups (PENDING until the commission
    decides). Refused when already referenced or when an application is under review."""
    if not _is_pro_member(actor, offerer.pk):
        raise NotFound(_("Cette structure n'existe pas."), code="not_found")
    if offerer.status in (Offerer.Status.CLOSED, Offerer.Status.REJECTED):
        raise CollectiveError(_("Cette structure est fermée."), code="offerer_closed")
    errors: dict[str, str] = {}
    ids = sorted({int(v) for v in venue_ids or ()})
    venues = list(Venue.objects.filter(offerer_id=offerer.pk, pk__in=ids).order_by("pk"))
    if not ids:
        errors["venue_ids"] = _("Choisissez au moins un lieu.")
    elif len(venues) != len(ids):
        errors["venue_ids"] = _("Ce lieu n'appartient pas à la structure.")
    codes = _clean_domains(domains, errors)
    project = (educational_project or "").strip()
    if not project:
        errors["educational_project"] = _("Décrivez votre projet éducatif.")
    elif len(project) > MAX_PROJECT_LENGTH:
        errors["educational_project"] = _(
            "Le projet éducatif ne peut pas dépasser %(max)s caractères."
        ) % {"max": MAX_PROJECT_LENGTH}
    if errors:
        raise ValidationErrors(errors)
    with transaction.atomic():
        # The structure row serialises two applications of the same structure.
        Offerer.objects.select_for_update().filter(pk=offerer.pk).first()
        if offerer_is_referenced(offerer.pk):
            raise CollectiveError(
                _("Cette structure est déjà référencée."), code="already_referenced"
            )
        if ReferencingApplication.objects.filter(
            offerer_id=offerer.pk, status=ReferencingApplication.Status.PENDING
        ).exists():
            raise CollectiveError(
                _("Une demande de référencement est déjà en cours d'instruction."),
                code="application_pending",
            )
        application = ReferencingApplication.objects.create(
            offerer=offerer,
            domains=codes,
            educational_project=project,
            submitted_by=actor,
            submitted_at=now,
        )
        application.venues.set(venues)
        audit_record(
            actor=actor,
            action="collective.referencing_apply",
            obj=application,
            now=now,
            after={"venue_ids": ids, "domains": codes, "status": application.status},
            offerer_id=offerer.pk,
        )
        _send(
            _pro_recipients(offerer.pk) or [actor.email],
            "referencing_received_pro",
            {"offerer_name": offerer.name},
            now,
        )
    return application


def _decide(
    *,
    actor: Any,
    application: ReferencingApplication,
    status: str,
    message: str,
    now: dt.datetime,
) -> ReferencingApplication:
    _require_collective_staff(actor)
    message = (message or "").strip()
    if status == ReferencingApplication.Status.REFUSED and not message:
        raise ValidationErrors({"message": _("Indiquez le motif du refus.")})
    with transaction.atomic():
        locked = (
            ReferencingApplication.objects.select_for_update(of=("self",))
            .select_related("offerer")
            .get(pk=application.pk)
        )
        if locked.status != ReferencingApplication.Status.PENDING:
            raise InvalidTransition(
                _("Cette demande a déjà été traitée."), code="application_decided"
            )
        before = snapshot(locked, _APPLICATION_AUDITED)
        locked.status = status
        locked.decision_message = message
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["status", "decision_message", "decided_by", "decided_at"])
        accepted = status == ReferencingApplication.Status.ACCEPTED
        audit_record(
            actor=actor,
            action="collective.referencing_accept" if accepted else "collective.referencing_refuse",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, _APPLICATION_AUDITED),
            offerer_id=locked.offerer_id,
            comment=message,
        )
        recipients = _pro_recipients(locked.offerer_id)
        if not recipients and locked.submitted_by is not None:
            recipients = [locked.submitted_by.email]
        _send(
            recipients,
            "referencing_accepted_pro" if accepted else "referencing_refused_pro",
            {
                "offerer_name": locked.offerer.name,
                "message": message,
                "pro_url": _url("pro:collective_offers", offerer_id=locked.offerer_id),
            },
            now,
        )
    return locked


def referencing_accept(
    *, actor: Any, application: ReferencingApplication, message: str = "", now: dt.datetime
) -> ReferencingApplication:
    """The commission references the structure; the message (optional) is emailed."""
    return _decide(
        actor=actor,
        application=application,
        status=ReferencingApplication.Status.ACCEPTED,
        message=message,
        now=now,
    )


def referencing_refuse(
    *, actor: Any, application: ReferencingApplication, message: str, now: dt.datetime
) -> ReferencingApplication:
    """The commission refuses, with a message (required) that is emailed."""
    return _decide(
        actor=actor,
        application=application,
        status=ReferencingApplication.Status.REFUSED,
        message=message,
        now=now,
    )


# --- schools and budgets (backoffice) --------------------------------------------------------


def school_create(
    *,
    actor: Any,
    uai: str,
    name: str,
    city: str,
    postal_code: str,
    department_code: str = "",
    now: dt.datetime,
) -> School:
    """Staff of the commission register a school (UAI: 7 digits and a letter)."""
    _require_collective_staff(actor)
    errors: dict[str, str] = {}
    uai = (uai or "").strip().upper()
    if not re.fullmatch(UAI_REGEX, uai):
        errors["uai"] = _("Le code UAI est composé de 7 chiffres suivis d'une lettre.")
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Indiquez le nom de l'établissement.")
    city = (city or "").strip()
    if not city:
        errors["city"] = _("Indiquez la ville.")
    postal_code = (postal_code or "").strip()
    if not re.fullmatch(r"[0-9]{5}", postal_code):
        errors["postal_code"] = _("Le code postal est composé de 5 chiffres.")
    department_code = (department_code or "").strip().upper() or _department_of(postal_code)
    if errors:
        raise ValidationErrors(errors)
    try:
        with transaction.atomic():
            school = School.objects.create(
                uai=uai,
                name=name[:200],
                city=city[:120],
                postal_code=postal_code,
                department_code=department_code,
                created_at=now,
            )
            audit_record(
                actor=actor,
                action="collective.school_create",
                obj=school,
                now=now,
                after={"uai": uai, "name": school.name},
            )
    except IntegrityError:
        raise ValidationErrors(
            {"uai": _("Un établissement existe déjà avec ce code UAI.")}
        ) from None
    return school


def _department_of(postal_code: str) -> str:
    """The department of a French postal code (Corsica 20 → 2A/2B, overseas 97x)."""
    if len(postal_code) != 5:
        return ""
    if postal_code.startswith("97") or postal_code.startswith("98"):
        return postal_code[:3]
    if postal_code.startswith("20"):
        return "2A" if postal_code < "20200" else "2B"
    return postal_code[:2]


def school_budget_set(
    *, actor: Any, school: School, school_year_start: int, amount_cents: int, now: dt.datetime
) -> SchoolBudget:
    """Set (create or change) a school's budget for a school year; never below what is
    already spent (confirmed, used or reimbursed)."""
    _require_collective_staff(actor)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise ValidationErrors({"amount_cents": _("Le montant doit être positif.")})
    if not 2000 <= int(school_year_start) <= 2100:
        raise ValidationErrors({"school_year_start": _("Année scolaire invalide.")})
    with transaction.atomic():
        budget, created = SchoolBudget.objects.select_for_update().get_or_create(
            school=school,
            school_year_start=school_year_start,
            defaults={"amount_cents": amount_cents, "updated_at": now},
        )
        before = None if created else {"amount_cents": budget.amount_cents}
        spent = (
            CollectiveBooking.objects.filter(
                school_id=school.pk,
                school_year_start=school_year_start,
                status__in=SPENDING_STATUSES,
            ).aggregate(total=Sum("price_cents"))["total"]
            or 0
        )
        if amount_cents < spent:
            raise ValidationErrors(
                {
                    "amount_cents": _(
                        "Le budget ne peut pas être inférieur aux dépenses déjà engagées "
                        "(%(spent)s)."
                    )
                    % {"spent": format_euros(spent)}
                }
            )
        budget.amount_cents = amount_cents
        budget.updated_at = now
        budget.save(update_fields=["amount_cents", "updated_at"])
        audit_record(
            actor=actor,
            action="collective.budget_set",
            obj=budget,
            now=now,
            before=before,
            after={"school_year_start": school_year_start, "amount_cents": amount_cents},
        )
    return budget


def school_member_add(
    *, actor: Any, school: School, user: Any, role: str, now: dt.datetime
) -> SchoolMember:
    """Staff of the commission attach a user to a school as teacher or head (idempotent: an
    existing membership gets the new role)."""
    _require_collective_staff(actor)
    if role not in SchoolMember.Role.values:
        raise ValidationErrors({"role": _("Choisissez le rôle dans l'établissement.")})
    with transaction.atomic():
        member, created = SchoolMember.objects.select_for_update().get_or_create(
            user=user, school=school, defaults={"role": role, "created_at": now}
        )
        before = None if created else {"role": member.role}
        if member.role != role:
            member.role = role
            member.save(update_fields=["role"])
        if created or before != {"role": role}:
            audit_record(
                actor=actor,
                action="collective.school_member_set",
                obj=member,
                now=now,
                before=before,
                after={"user_id": user.pk, "school_id": school.pk, "role": role},
            )
    return member


def school_member_invite(
    *,
    actor: Any,
    school: School,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    now: dt.datetime,
) -> SchoolMember:
    """Staff of the commission add a teacher or a head to a school by email.

    The account with this address is reused, or created without a password (its address
    unverified, as for a sign-up: the emailed link proves it). The person gets an email with
    the schools portal's address and, unless they can already log in, a password-reset link
    (the same token as "mot de passe oublié") to choose their password.
    """
    _require_collective_staff(actor)
    errors: dict[str, str] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = _("Saisissez une adresse email valide, par exemple nom@exemple.fr.")
    first_name = (first_name or "").strip()
    last_name = (last_name or "").strip()
    if not first_name:
        errors["first_name"] = _("Indiquez le prénom.")
    if not last_name:
        errors["last_name"] = _("Indiquez le nom.")
    if role not in SchoolMember.Role.values:
        errors["role"] = _("Choisissez le rôle dans l'établissement.")
    if errors:
        raise ValidationErrors(errors)
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().filter(email__iexact=email).first()
            user_created = user is None
            if user is None:
                user = User(email=email, first_name=first_name[:120], last_name=last_name[:120])
                user.set_unusable_password()
                user.save()
                audit_record(
                    actor=actor,
                    action="user.created_by_staff",
                    obj=user,
                    now=now,
                    after={
                        "email": email,
                        "first_name": user.first_name,
                        "last_name": user.last_name,
                    },
                    comment=_("Ajout au personnel de l'établissement %(uai)s")
                    % {"uai": school.uai},
                )
            elif not user.is_active:
                raise ValidationErrors(
                    {"email": _("Le compte associé à cette adresse email est désactivé.")},
                    code="account_inactive",
                )
            if SchoolMember.objects.filter(user=user, school_id=school.pk).exists():
                raise _already_member()
            member = SchoolMember.objects.create(
                user=user, school=school, role=role, created_at=now
            )
            audit_record(
                actor=actor,
                action="collective.school_member_add",
                obj=member,
                now=now,
                after={
                    "user_id": user.pk,
                    "email": user.email,
                    "school_id": school.pk,
                    "role": role,
                    "user_created": user_created,
                },
            )
            needs_password = not user.has_usable_password() or user.email_verified_at is None
            _send(
                [user.email],
                "school_member_invited",
                {
                    "first_name": user.first_name,
                    "school_name": school.name,
                    "role": SchoolMember.Role(role).label,
                    "set_password_url": _password_set_url(user) if needs_password else "",
                    "validity_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                    "forgotten_url": _url("accounts:password_reset"),
                    "schools_url": _url("schools:home"),
                },
                now,
            )
    except IntegrityError:
        # Two staff members added the same person (or created the same account) at once.
        raise _already_member() from None
    return member


def _already_member() -> ValidationErrors:
    return ValidationErrors(
        {"email": _("Cette personne fait déjà partie du personnel de cet établissement.")},
        code="already_member",
    )


def _password_set_url(user: User) -> str:
    """A password-reset link (accounts' token: one use, ``PASSWORD_RESET_TIMEOUT``)."""
    return settings.SITE_URL + reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def school_member_remove(*, actor: Any, member: SchoolMember, now: dt.datetime) -> None:
    """Staff of the commission detach a teacher or a head from a school (the account stays,
    and so do the requests and bookings the person made)."""
    _require_collective_staff(actor)
    with transaction.atomic():
        # The school row serialises removals: two heads removed at once cannot both pass the
        # "another head remains" check below.
        School.objects.select_for_update().filter(pk=member.school_id).first()
        locked = (
            SchoolMember.objects.select_for_update()
            .select_related("user")
            .filter(pk=member.pk)
            .first()
        )
        if locked is None:
            raise NotFound(_("Cette personne ne fait plus partie de l'établissement."))
        if (
            locked.role == SchoolMember.Role.HEAD
            and not SchoolMember.objects.filter(
                school_id=locked.school_id, role=SchoolMember.Role.HEAD
            )
            .exclude(pk=locked.pk)
            .exists()
            and CollectiveBooking.objects.filter(
                school_id=locked.school_id, status=CollectiveBooking.Status.PENDING
            ).exists()
        ):
            # Only a head confirms a pre-booking: without one they would all expire.
            raise CollectiveError(
                _(
                    "Des préréservations attendent la confirmation du chef d'établissement : "
                    "ajoutez d'abord un autre chef d'établissement."
                ),
                code="last_head",
            )
        audit_record(
            actor=actor,
            action="collective.school_member_remove",
            obj=locked,
            now=now,
            before={
                "user_id": locked.user_id,
                "email": locked.user.email,
                "school_id": locked.school_id,
                "role": locked.role,
            },
        )
        locked.delete()


# --- collective offers -----------------------------------------------------------------------


_OFFER_FIELDS = (
    "kind",
    "name",
    "description",
    "domains",
    "school_levels",
    "location_kind",
    "location_label",
    "street",
    "postal_code",
    "city",
    "location_comment",
    "start_datetime",
    "end_datetime",
    "booking_limit_datetime",
    "price_cents",
    "participants",
    "price_details",
    "target_school",
    "contact_email",
    "contact_phone",
)
#: Fields that cannot change once the offer is booked: the school agreed to them.
_BOOKED_FIELDS = (
    "kind",
    "start_datetime",
    "end_datetime",
    "booking_limit_datetime",
    "price_cents",
    "participants",
    "target_school",
)


def _clean_offer(offer: CollectiveOffer, *, now: dt.datetime, check_future: bool) -> None:
    """Check every field of ``offer`` (in memory); raises ``ValidationErrors``."""
    errors: dict[str, str] = {}
    if offer.kind not in CollectiveOffer.Kind.values:
        errors["kind"] = _("Choisissez le type d'offre.")
    offer.name = (offer.name or "").strip()
    if not offer.name:
        errors["name"] = _("Indiquez le titre de l'offre.")
    elif len(offer.name) > MAX_NAME_LENGTH:
        errors["name"] = _("Le titre ne peut pas dépasser %(max)s caractères.") % {
            "max": MAX_NAME_LENGTH
        }
    offer.description = (offer.description or "").strip()
    if len(offer.description) > MAX_DESCRIPTION_LENGTH:
        errors["description"] = _("La description ne peut pas dépasser %(max)s caractères.") % {
            "max": MAX_DESCRIPTION_LENGTH
        }
    offer.domains = _clean_domains(offer.domains, errors)
    levels = sorted(set(offer.school_levels or ()), key=_level_order)
    if not levels:
        errors["school_levels"] = _("Choisissez au moins un niveau scolaire.")
    elif reference.unknown_codes(levels, reference.school_levels()):
        errors["school_levels"] = _("Niveau scolaire inconnu.")
    offer.school_levels = levels
    if offer.location_kind not in CollectiveOffer.LocationKind.values:
        errors["location_kind"] = _("Choisissez où se déroule l'activité.")
    elif offer.location_kind == CollectiveOffer.LocationKind.ADDRESS:
        if not (offer.street or "").strip() or not (offer.city or "").strip():
            errors["street"] = _("Indiquez l'adresse où se déroule l'activité.")
        if offer.postal_code and not (offer.postal_code.isdigit() and len(offer.postal_code) == 5):
            errors["postal_code"] = _("Le code postal est composé de 5 chiffres.")
    else:
        offer.location_label = offer.street = offer.postal_code = offer.city = ""
    if offer.contact_email:
        try:
            validate_email(offer.contact_email)
        except DjangoValidationError:
            errors["contact_email"] = _("Saisissez une adresse email valide.")
    if not offer.contact_email and not offer.contact_phone:
        errors["contact_email"] = _("Indiquez un email ou un téléphone de contact.")
    if offer.participants is not None and not 1 <= offer.participants <= MAX_PARTICIPANTS:
        errors["participants"] = _(
            "Le nombre de participants doit être compris entre 1 et %(max)s."
        ) % {"max": MAX_PARTICIPANTS}
    if offer.price_cents is not None and not 0 <= offer.price_cents <= MAX_COLLECTIVE_PRICE_CENTS:
        errors["price_cents"] = _("Le prix total doit être compris entre 0 et %(max)s.") % {
            "max": format_euros(MAX_COLLECTIVE_PRICE_CENTS)
        }
    if offer.kind == CollectiveOffer.Kind.SHOWCASE:
        offer.start_datetime = offer.end_datetime = offer.booking_limit_datetime = None
        offer.target_school = None
    elif offer.kind == CollectiveOffer.Kind.BOOKABLE:
        for value in (offer.start_datetime, offer.end_datetime, offer.booking_limit_datetime):
            if value is not None and value.utcoffset() is None:
                raise ValueError("collective offer datetimes must be aware")
        if offer.start_datetime is None:
            errors["start_datetime"] = _("Indiquez la date de début.")
        else:
            if offer.end_datetime is None:
                offer.end_datetime = offer.start_datetime
            if offer.booking_limit_datetime is None:
                offer.booking_limit_datetime = offer.start_datetime
            if offer.end_datetime < offer.start_datetime:
                errors["end_datetime"] = _("La date de fin ne peut pas précéder la date de début.")
            if offer.booking_limit_datetime > offer.start_datetime:
                errors["booking_limit_datetime"] = _(
                    "La date limite de réservation doit précéder le début de l'activité."
                )
            if check_future and offer.start_datetime <= now:
                errors["start_datetime"] = _("La date de début doit être dans le futur.")
            elif check_future and offer.booking_limit_datetime <= now:
                errors["booking_limit_datetime"] = _(
                    "La date limite de réservation doit être dans le futur."
                )
        if offer.price_cents is None:
            errors["price_cents"] = _("Indiquez le prix total de l'offre.")
        if offer.participants is None:
            errors["participants"] = _("Indiquez le nombre de participants.")
    if errors:
        raise ValidationErrors(errors)


def _level_order(code: str) -> int:
    order = [c for c, _label in reference.school_levels()]
    return order.index(code) if code in order else len(order)


def _lock_offer(actor: Any, offer: CollectiveOffer | int) -> CollectiveOffer:
    pk = offer.pk if isinstance(offer, CollectiveOffer) else offer
    locked = (
        CollectiveOffer.objects.select_for_update(of=("self",))
        .select_related("offerer", "venue")
        .filter(pk=pk)
        .first()
    )
    if locked is None or not _is_pro_member(actor, locked.offerer_id):
        raise NotFound(_("Cette offre n'existe pas."), code="not_found")
    return locked


def _has_live_booking(offer_id: int) -> bool:
    return (
        CollectiveBooking.objects.filter(offer_id=offer_id)
        .exclude(status=CollectiveBooking.Status.CANCELLED)
        .exists()
    )


def collective_offer_create(
    *,
    actor: Any,
    venue: Venue,
    kind: str,
    name: str,
    description: str = "",
    domains: Iterable[str] = (),
    school_levels: Iterable[str] = (),
    location_kind: str = CollectiveOffer.LocationKind.ADDRESS,
    location_label: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    location_comment: str = "",
    start_datetime: dt.datetime | None = None,
    end_datetime: dt.datetime | None = None,
    booking_limit_datetime: dt.datetime | None = None,
    price_cents: int | None = None,
    participants: int | None = None,
    price_details: str = "",
    target_school: School | None = None,
    contact_email: str = "",
    contact_phone: str = "",
    now: dt.datetime,
) -> CollectiveOffer:
    """A DRAFT collective offer of a referenced structure (publish it to send it to schools).
    A bookable offer without end or booking limit gets its start for both."""
    if not _is_pro_member(actor, venue.offerer_id):
        raise NotFound(_("Ce lieu n'existe pas."), code="not_found")
    offerer = Offerer.objects.get(pk=venue.offerer_id)
    if offerer.status == Offerer.Status.CLOSED:
        raise CollectiveError(_("Cette structure est fermée."), code="offerer_closed")
    if not offerer_is_referenced(offerer.pk):
        raise _not_referenced()
    offer = CollectiveOffer(
        offerer=offerer,
        venue=venue,
        kind=kind,
        name=name,
        description=description,
        domains=list(domains),
        school_levels=list(school_levels),
        location_kind=location_kind,
        location_label=(location_label or "").strip()[:140],
        street=(street or "").strip()[:200],
        postal_code=(postal_code or "").strip(),
        city=(city or "").strip()[:120],
        location_comment=(location_comment or "").strip(),
        department_code=venue.department_code,
        start_datetime=start_datetime,
        end_datetime=end_datetime,
        booking_limit_datetime=booking_limit_datetime,
        price_cents=price_cents,
        participants=participants,
        price_details=(price_details or "").strip(),
        target_school=target_school,
        contact_email=(contact_email or "").strip(),
        contact_phone=(contact_phone or "").strip()[:20],
        timezone=venue.timezone,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _clean_offer(offer, now=now, check_future=True)
    with transaction.atomic():
        offer.save()
        audit_record(
            actor=actor,
            action="collective.offer_create",
            obj=offer,
            now=now,
            after=snapshot(offer, _OFFER_AUDITED),
            offerer_id=offer.offerer_id,
        )
    return offer


def collective_offer_update(
    *, actor: Any, offer: CollectiveOffer, now: dt.datetime, **changes: Any
) -> CollectiveOffer:
    """Change fields of an offer (``changes``: any of the create arguments but ``venue``).
    A rejected offer cannot change; a booked one keeps its date, price, size and target."""
    unknown = set(changes) - set(_OFFER_FIELDS)
    if unknown:
        raise TypeError(f"unknown collective offer fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        if locked.validation == V.REJECTED:
            raise CollectiveError(
                _("Cette offre a été refusée : elle ne peut plus être modifiée."),
                code="offer_rejected",
            )
        if not offerer_is_referenced(locked.offerer_id):
            raise _not_referenced()
        before = snapshot(locked, _OFFER_AUDITED)
        original = {name: getattr(locked, name) for name in _OFFER_FIELDS}
        for name, value in changes.items():
            if isinstance(value, str) and name not in ("kind", "location_kind"):
                value = value.strip()
            setattr(locked, name, value)
        changed_booked = [
            name
            for name in _BOOKED_FIELDS
            if name in changes and getattr(locked, name) != original[name]
        ]
        if changed_booked and _has_live_booking(locked.pk):
            raise CollectiveError(
                _(
                    "Cette offre est réservée : sa date, son prix, son nombre de participants "
                    "et l'établissement destinataire ne peuvent plus être modifiés."
                ),
                code="offer_booked",
            )
        dates_changed = any(
            name in changes and getattr(locked, name) != original[name]
            for name in ("start_datetime", "end_datetime", "booking_limit_datetime")
        )
        _clean_offer(locked, now=now, check_future=dates_changed or locked.validation == V.DRAFT)
        locked.updated_at = now
        locked.save()
        audit_record(
            actor=actor,
            action="collective.offer_update",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, _OFFER_AUDITED),
            offerer_id=locked.offerer_id,
        )
    return locked


def collective_offer_publish(
    *, actor: Any, offer: CollectiveOffer, now: dt.datetime
) -> CollectiveOffer:
    """DRAFT → APPROVED or PENDING (review), through the compliance rules (module docstring)."""
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        if locked.validation != V.DRAFT:
            raise InvalidTransition(
                _("Cette offre est déjà publiée."), code="offer_already_published"
            )
        if locked.offerer.status == Offerer.Status.CLOSED:
            raise CollectiveError(_("Cette structure est fermée."), code="offerer_closed")
        if not offerer_is_referenced(locked.offerer_id):
            raise _not_referenced()
        _clean_offer(locked, now=now, check_future=True)
        before = snapshot(locked, _OFFER_AUDITED)
        rules = [
            rule
            for rule in ValidationRule.objects.filter(is_active=True).order_by("pk")
            if rule.kind in (compliance.KEYWORD, compliance.OFFERER_CONFIDENCE)
        ]
        decision = compliance.decide(
            facts=compliance.OfferFacts(
                name=locked.name,
                description=locked.description,
                subcategory_id="",
                prices_cents=(),
                offerer_confidence=locked.offerer.confidence_level,
            ),
            rules=rules,
        )
        locked.validation = decision.validation
        locked.validated_at = now if decision.validation == V.APPROVED else None
        locked.is_active = True
        locked.updated_at = now
        locked.save()
        audit_record(
            actor=actor,
            action="collective.offer_publish",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, _OFFER_AUDITED),
            offerer_id=locked.offerer_id,
            comment=decision.reason,
        )
    return locked


def _review(
    *, actor: Any, offer: CollectiveOffer, approve: bool, reason: str, now: dt.datetime
) -> CollectiveOffer:
    if not _is_review_staff(actor):
        raise PermissionDenied(
            _("Action réservée à la commission régionale et à l'équipe conformité."),
            code="staff_required",
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationErrors({"reason": _("Indiquez le motif du refus.")})
    with transaction.atomic():
        locked = (
            CollectiveOffer.objects.select_for_update(of=("self",))
            .select_related("offerer", "venue")
            .get(pk=offer.pk)
        )
        if locked.validation == V.DRAFT:
            raise InvalidTransition(
                _("Cette offre n'a pas encore été publiée."), code="offer_not_published"
            )
        target = V.APPROVED if approve else V.REJECTED
        if locked.validation == target:
            raise InvalidTransition(_("Cette offre a déjà ce statut."), code="offer_same_status")
        if not approve and _has_live_booking(locked.pk):
            raise CollectiveError(
                _("Cette offre est réservée : annulez d'abord la réservation."),
                code="offer_booked",
            )
        before = snapshot(locked, _OFFER_AUDITED)
        locked.validation = target
        locked.rejection_reason = "" if approve else reason
        locked.validated_at = now
        locked.updated_at = now
        locked.save()
        audit_record(
            actor=actor,
            action="collective.offer_approve" if approve else "collective.offer_reject",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, _OFFER_AUDITED),
            offerer_id=locked.offerer_id,
            comment=reason,
        )
        _send(
            _pro_recipients(locked.offerer_id, locked.contact_email),
            "offer_approved_pro" if approve else "offer_rejected_pro",
            {**_offer_context(locked), "reason": reason},
            now,
        )
    return locked


def collective_offer_approve(
    *, actor: Any, offer: CollectiveOffer, now: dt.datetime
) -> CollectiveOffer:
    """Staff (commission or compliance) approve an offer under review (or a rejected one)."""
    return _review(actor=actor, offer=offer, approve=True, reason="", now=now)


def collective_offer_reject(
    *, actor: Any, offer: CollectiveOffer, reason: str, now: dt.datetime
) -> CollectiveOffer:
    """Staff reject an offer, with a reason emailed to the structure; never a booked one."""
    return _review(actor=actor, offer=offer, approve=False, reason=reason, now=now)


def collective_offer_set_active(
    *, actor: Any, offer: CollectiveOffer, is_active: bool, now: dt.datetime
) -> CollectiveOffer:
    """Hide an offer from schools (or show it again); existing bookings are unchanged."""
    with transaction.atomic():
        locked = _lock_offer(actor, offer)
        if locked.is_active != is_active:
            before = snapshot(locked, _OFFER_AUDITED)
            locked.is_active = is_active
            locked.updated_at = now
            locked.save(update_fields=["is_active", "updated_at"])
            audit_record(
                actor=actor,
                action="collective.offer_activate" if is_active else "collective.offer_deactivate",
                obj=locked,
                now=now,
                before=before,
                after=snapshot(locked, _OFFER_AUDITED),
                offerer_id=locked.offerer_id,
            )
    return locked


def _visible_refusal(offer: CollectiveOffer, school_id: int) -> CollectiveError | None:
    """Why a school may not book or ask for this offer (None: it may)."""
    if offer.validation != V.APPROVED or not offer.is_active:
        return CollectiveError(
            _("Cette offre n'est pas disponible : elle n'a pas été validée."),
            code="offer_not_approved",
        )
    if not offerer_is_referenced(offer.offerer_id):
        return CollectiveError(
            _("Cette structure n'est pas référencée pour les offres collectives."),
            code="not_referenced",
        )
    if offer.target_school_id is not None and offer.target_school_id != school_id:
        return CollectiveError(
            _("Cette offre est réservée à un autre établissement."), code="target_school_mismatch"
        )
    return None


# --- requests (showcase offers) --------------------------------------------------------------


def collective_request_create(
    *,
    actor: Any,
    offer: CollectiveOffer,
    comment: str,
    school: School | None = None,
    requested_date: dt.date | None = None,
    participants: int | None = None,
    now: dt.datetime,
) -> CollectiveRequest:
    """A teacher asks the structure about a showcase offer; the pro is emailed."""
    member = _school_member(actor, school)
    offer = CollectiveOffer.objects.select_related("offerer", "venue").get(pk=offer.pk)
    if offer.kind != CollectiveOffer.Kind.SHOWCASE:
        raise CollectiveError(
            _("Cette offre se réserve directement : elle ne reçoit pas de demandes."),
            code="not_showcase",
        )
    refusal = _visible_refusal(offer, member.school_id)
    if refusal is not None:
        raise refusal
    errors: dict[str, str] = {}
    comment = (comment or "").strip()
    if not comment:
        errors["comment"] = _("Écrivez votre message.")
    elif len(comment) > MAX_COMMENT_LENGTH:
        errors["comment"] = _("Le message ne peut pas dépasser %(max)s caractères.") % {
            "max": MAX_COMMENT_LENGTH
        }
    if requested_date is not None and requested_date < now.date():
        errors["requested_date"] = _("La date souhaitée doit être dans le futur.")
    if participants is not None and not 1 <= participants <= MAX_PARTICIPANTS:
        errors["participants"] = _("Le nombre d'élèves doit être compris entre 1 et %(max)s.") % {
            "max": MAX_PARTICIPANTS
        }
    if errors:
        raise ValidationErrors(errors)
    with transaction.atomic():
        request = CollectiveRequest.objects.create(
            offer=offer,
            school=member.school,
            teacher=actor,
            requested_date=requested_date,
            participants=participants,
            comment=comment,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="collective.request_create",
            obj=request,
            now=now,
            after={"offer_id": offer.pk, "school_id": member.school_id},
            offerer_id=offer.offerer_id,
        )
        _send(
            _pro_recipients(offer.offerer_id, offer.contact_email),
            "request_pro",
            {
                **_offer_context(offer),
                "school_name": member.school.name,
                "school_uai": member.school.uai,
                "school_city": member.school.city,
                "teacher_name": actor.full_name or actor.email,
                "teacher_email": actor.email,
                "requested_date": (
                    formats.date_format(requested_date, "j F Y") if requested_date else ""
                ),
                "participants": participants or "",
                "comment": comment,
            },
            now,
        )
    return request


# --- bookings --------------------------------------------------------------------------------


def _already_booked() -> CollectiveError:
    return CollectiveError(
        _("Cette offre est déjà réservée par un établissement."), code="already_booked"
    )


def collective_booking_prebook(
    *, actor: Any, offer: CollectiveOffer, school: School | None = None, now: dt.datetime
) -> CollectiveBooking:
    """A teacher pre-books a bookable offer for their school → PENDING, to be confirmed by the
    school head before the offer's booking limit. Emails to the pro and the school."""
    member = _school_member(actor, school)
    with transaction.atomic():
        query = CollectiveOffer.objects.select_related("offerer", "venue").filter(pk=offer.pk)
        if _LOCK_ROWS:
            # Serialises pre-bookings of one offer: the second waits, then sees the first.
            query = query.select_for_update(of=("self",))
        locked = query.first()
        if locked is None:
            raise NotFound(_("Cette offre n'existe pas."), code="not_found")
        if locked.kind != CollectiveOffer.Kind.BOOKABLE:
            raise CollectiveError(
                _("Cette offre n'est pas réservable : envoyez une demande à la structure."),
                code="not_bookable",
            )
        refusal = _visible_refusal(locked, member.school_id)
        if refusal is not None:
            raise refusal
        assert locked.start_datetime is not None
        assert locked.booking_limit_datetime is not None
        assert locked.price_cents is not None
        if now > locked.booking_limit_datetime:
            raise CollectiveError(
                _("La date limite de réservation de cette offre est dépassée."),
                code="deadline_passed",
            )
        if _has_live_booking(locked.pk):
            raise _already_booked()
        _test_hook_checks_passed()
        start_local = locked.start_datetime.astimezone(_tz(locked.timezone))
        try:
            with transaction.atomic():
                booking = CollectiveBooking.objects.create(
                    offer=locked,
                    offerer_id=locked.offerer_id,
                    venue_id=locked.venue_id,
                    school=member.school,
                    teacher=actor,
                    status=S.PENDING,
                    price_cents=locked.price_cents,
                    school_year_start=school_year_of(start_local.date()),
                    confirmation_limit=locked.booking_limit_datetime,
                    cancellation_limit=max(locked.start_datetime - CANCELLATION_NOTICE, now),
                    booked_at=now,
                )
        except IntegrityError:
            # The database constraint: another school won the race.
            raise _already_booked() from None
        booking.offer = locked
        audit_record(
            actor=actor,
            action="collective.booking_prebook",
            obj=booking,
            now=now,
            after=snapshot(booking, _BOOKING_AUDITED),
            offerer_id=booking.offerer_id,
        )
        context = _booking_context(booking)
        _send(
            _pro_recipients(locked.offerer_id, locked.contact_email), "prebooked_pro", context, now
        )
        _send(_school_recipients(booking), "prebooked_school", context, now)
    return booking


def _lock_booking(booking: CollectiveBooking | int) -> CollectiveBooking:
    pk = booking.pk if isinstance(booking, CollectiveBooking) else booking
    locked = (
        CollectiveBooking.objects.select_for_update(of=("self",))
        .select_related("offer", "offer__offerer", "offer__venue", "school", "teacher")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Cette réservation n'existe pas."), code="not_found")
    return locked


def collective_booking_confirm(
    *, actor: Any, booking: CollectiveBooking, now: dt.datetime
) -> CollectiveBooking:
    """The school head confirms a pre-booking before the confirmation deadline, within the
    school's budget of the school year (confirmed + used + reimbursed + price ≤ budget, checked
    under a lock of the budget row so two confirmations cannot both spend the last euros)."""
    with transaction.atomic():
        locked = _lock_booking(booking)
        _school_member(actor, locked.school_id, roles=[SchoolMember.Role.HEAD])
        if locked.status != S.PENDING:
            raise InvalidTransition(
                _("Seule une préréservation peut être confirmée."), code="not_pending"
            )
        if now > locked.confirmation_limit:
            raise CollectiveError(
                _("La date limite de confirmation de cette réservation est dépassée."),
                code="deadline_passed",
            )
        budget = (
            SchoolBudget.objects.select_for_update()
            .filter(school_id=locked.school_id, school_year_start=locked.school_year_start)
            .first()
        )
        spent = (
            CollectiveBooking.objects.filter(
                school_id=locked.school_id,
                school_year_start=locked.school_year_start,
                status__in=SPENDING_STATUSES,
            ).aggregate(total=Sum("price_cents"))["total"]
            or 0
        )
        amount = budget.amount_cents if budget is not None else 0
        if spent + locked.price_cents > amount:
            raise CollectiveError(
                _(
                    "Budget insuffisant : il reste %(remaining)s sur le budget %(year)s de "
                    "l'établissement, cette réservation coûte %(price)s."
                )
                % {
                    "remaining": format_euros(max(amount - spent, 0)),
                    "year": school_year_label(locked.school_year_start),
                    "price": format_euros(locked.price_cents),
                },
                code="budget_exceeded",
            )
        before = snapshot(locked, _BOOKING_AUDITED)
        locked.status = S.CONFIRMED
        locked.confirmed_at = now
        locked.confirmed_by = actor
        locked.save(update_fields=["status", "confirmed_at", "confirmed_by"])
        audit_record(
            actor=actor,
            action="collective.booking_confirm",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, _BOOKING_AUDITED),
            offerer_id=locked.offerer_id,
        )
        context = _booking_context(locked)
        _send(
            _pro_recipients(locked.offerer_id, locked.offer.contact_email),
            "confirmed_pro",
            context,
            now,
        )
        _send(_school_recipients(locked), "confirmed_school", context, now)
    return locked


def _check_cancellable(booking: CollectiveBooking, now: dt.datetime) -> None:
    """A pre-booking can be refused or cancelled while pending; a confirmed booking only until
    its cancellation limit, ``max(start - 30 days, booked at)``."""
    if booking.status not in (S.PENDING, S.CONFIRMED):
        raise InvalidTransition(
            _("Cette réservation ne peut plus être annulée."), code="not_cancellable"
        )
    if booking.status == S.CONFIRMED and now > booking.cancellation_limit:
        raise CollectiveError(
            _(
                "Cette réservation ne peut plus être annulée : la date limite d'annulation "
                "(%(limit)s) est dépassée."
            )
            % {"limit": format_local_datetime(booking.cancellation_limit, booking.offer.timezone)},
            code="cancellation_limit_passed",
        )


def _cancel(
    booking: CollectiveBooking,
    *,
    actor: Any,
    reason: str,
    comment: str,
    action: str,
    now: dt.datetime,
) -> None:
    before = snapshot(booking, _BOOKING_AUDITED)
    booking.status = S.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = actor if getattr(actor, "pk", None) else None
    booking.cancellation_reason = reason
    booking.cancellation_comment = comment
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "cancellation_comment",
        ]
    )
    audit_record(
        actor=actor,
        action=action,
        obj=booking,
        now=now,
        before=before,
        after=snapshot(booking, _BOOKING_AUDITED),
        offerer_id=booking.offerer_id,
        comment=comment,
    )
    context = _booking_context(booking)
    _send(
        _pro_recipients(booking.offerer_id, booking.offer.contact_email),
        "cancelled_pro",
        context,
        now,
    )
    _send(_school_recipients(booking), "cancelled_school", context, now)


def collective_booking_refuse(
    *, actor: Any, booking: CollectiveBooking, comment: str = "", now: dt.datetime
) -> CollectiveBooking:
    """The school (its head, or the teacher) refuses a pre-booking, or cancels a confirmed
    booking until its cancellation limit → CANCELLED (SCHOOL)."""
    with transaction.atomic():
        locked = _lock_booking(booking)
        _school_member(
            actor, locked.school_id, roles=[SchoolMember.Role.HEAD, SchoolMember.Role.TEACHER]
        )
        _check_cancellable(locked, now)
        _cancel(
            locked,
            actor=actor,
            reason=CollectiveBooking.CancellationReason.SCHOOL,
            comment=(comment or "").strip()[:MAX_COMMENT_LENGTH],
            action="collective.booking_refuse",
            now=now,
        )
    return locked


def collective_booking_cancel_by_offerer(
    *, actor: Any, booking: CollectiveBooking, reason: str, now: dt.datetime
) -> CollectiveBooking:
    """The structure cancels (reason required, emailed to the school) → CANCELLED (OFFERER);
    a confirmed booking only until its cancellation limit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationErrors({"reason": _("Indiquez le motif de l'annulation.")})
    with transaction.atomic():
        locked = _lock_booking(booking)
        if not _is_pro_member(actor, locked.offerer_id):
            raise NotFound(_("Cette réservation n'existe pas."), code="not_found")
        _check_cancellable(locked, now)
        _cancel(
            locked,
            actor=actor,
            reason=CollectiveBooking.CancellationReason.OFFERER,
            comment=reason[:MAX_COMMENT_LENGTH],
            action="collective.booking_cancel_by_offerer",
            now=now,
        )
    return locked


# --- jobs ------------------------------------------------------------------------------------
# Each job claims its rows with SELECT ... FOR UPDATE SKIP LOCKED and changes them so that
# they no longer match: a second worker skips them, a re-run finds nothing, and a crash rolls
# the batch back whole (rows, audit, emails and finance events are in one transaction).

_BATCH = 200


def _claim(query: Any, batch_size: int) -> list[CollectiveBooking]:
    return list(
        query.select_for_update(of=("self",), skip_locked=True)
        .select_related("offer", "offer__offerer", "offer__venue", "school", "teacher")
        .order_by("pk")[:batch_size]
    )


def collective_bookings_expire(*, now: dt.datetime, batch_size: int = _BATCH) -> int:
    """Pre-bookings not confirmed by their deadline → CANCELLED (EXPIRED), emails to the pro
    and the school. Returns how many."""
    due = CollectiveBooking.objects.filter(status=S.PENDING, confirmation_limit__lt=now)
    total = 0
    while True:
        with transaction.atomic():
            batch = _claim(due, batch_size)
            for booking in batch:
                _cancel(
                    booking,
                    actor=AUTO,
                    reason=CollectiveBooking.CancellationReason.EXPIRED,
                    comment="",
                    action="collective.booking_expire",
                    now=now,
                )
        total += len(batch)
        if len(batch) < batch_size:
            return total


def collective_bookings_mark_used(*, now: dt.datetime, batch_size: int = _BATCH) -> int:
    """Confirmed bookings become USED 48 h after the end of the activity, with their finance
    event (reimbursed at 100 % by the next payment run). Returns how many."""
    from culturepass.finance.events import finance_events_on_collective_use

    due = CollectiveBooking.objects.filter(
        status=S.CONFIRMED, offer__end_datetime__lte=now - USED_AFTER_END
    )
    total = 0
    while True:
        with transaction.atomic():
            batch = _claim(due, batch_size)
            for booking in batch:
                before = snapshot(booking, _BOOKING_AUDITED)
                booking.status = S.USED
                booking.used_at = now
                booking.save(update_fields=["status", "used_at"])
                audit_record(
                    actor=AUTO,
                    action="collective.booking_use",
                    obj=booking,
                    now=now,
                    before=before,
                    after=snapshot(booking, _BOOKING_AUDITED),
                    offerer_id=booking.offerer_id,
                )
            finance_events_on_collective_use(bookings=batch, now=now)
        total += len(batch)
        if len(batch) < batch_size:
            return total


__all__ = [
    "CANCELLATION_NOTICE",
    "USED_AFTER_END",
    "CollectiveError",
    "ValidationErrors",
    "collective_booking_cancel_by_offerer",
    "collective_booking_confirm",
    "collective_booking_prebook",
    "collective_booking_refuse",
    "collective_bookings_expire",
    "collective_bookings_mark_used",
    "collective_offer_approve",
    "collective_offer_create",
    "collective_offer_publish",
    "collective_offer_reject",
    "collective_offer_set_active",
    "collective_offer_update",
    "collective_request_create",
    "format_euros",
    "is_collective_staff",
    "referencing_accept",
    "referencing_apply",
    "referencing_refuse",
    "school_budget_set",
    "school_create",
    "school_member_add",
    "school_member_invite",
    "school_member_remove",
]
