"""Bank accounts and venue ↔ bank account links (SPEC §6).

A pro deposits a bank account (label, IBAN, BIC, bank document); staff holding the ``finance``
permission accept it, refuse it, ask for corrections or close it without follow-up, and the
structure's members are emailed the decision with its message. Venues of the structure are then
linked to an accepted account through dated links (one account per venue at a time, held by a
PostgreSQL exclusion constraint): no link to an accepted account, no payment.

Every status change writes a ``BankAccountStatusChange`` (the history shown to pro and staff)
and an audit entry. Audit entries carry the masked IBAN only: the audit log is browsed by
support staff who have no business with full bank details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN, exceptions, registry

from culturepass.core.audit import audit_record
from culturepass.core.errors import DomainError, InvalidTransition, PermissionDenied
from culturepass.finance.links import pricing_point_ensure_self, pricing_point_link_current
from culturepass.finance.models import BankAccount, BankAccountStatusChange, VenueBankAccountLink
from culturepass.notifications.services import email_enqueue
from culturepass.offerers.models import Membership, Offerer, Venue

Status = BankAccount.Status

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Recognised by content, not by name or declared type: a renamed executable stays refused.
DOCUMENT_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
)
# French overseas territories (and Monaco's banks) use French IBANs with BICs of their own
# country code; anywhere else the BIC's country must be the IBAN's.
BIC_COUNTRIES_FOR_IBAN: dict[str, frozenset[str]] = {
    "FR": frozenset({"FR", "GP", "GF", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "MC"}),
}
# Staff decisions: status → statuses staff may move it to. ACCEPTED is final: payments and
# invoices already name the account, so its details must not change afterwards.
STAFF_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.UNDER_REVIEW: frozenset(
        {Status.ACCEPTED, Status.REFUSED, Status.NEEDS_CORRECTION, Status.WITHOUT_FOLLOW_UP}
    ),
    Status.NEEDS_CORRECTION: frozenset({Status.REFUSED, Status.WITHOUT_FOLLOW_UP}),
    Status.DRAFT: frozenset({Status.WITHOUT_FOLLOW_UP}),
}
# Statuses a pro may still correct (and so send back to review).
CORRECTABLE = frozenset({Status.DRAFT, Status.NEEDS_CORRECTION})
# Statuses of a live deposit (counted as "account submitted" in the checklists).
LIVE_STATUSES = frozenset({Status.UNDER_REVIEW, Status.ACCEPTED, Status.NEEDS_CORRECTION})


class BankAccountError(DomainError):
    code = "bank_account_invalid"


class VenueLinkError(DomainError):
    code = "venue_link_invalid"


# --- field checks (also used by the forms, so that every field shows its error at once) --------


def iban_display(iban: str, *, full: bool) -> str:
    """Groups of four; masked keeps the country, the check digits and the last four
    characters: ``FR76 **** **** **** **** ***0 189``. Full only for staff with the finance
    permission and members of the structure (the caller decides)."""
    compact = "".join(iban.split()).upper()
    if not full and len(compact) > 8:
        compact = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def iban_clean(value: str) -> str:
    """The compact upper-case IBAN, or a French error on ``iban``."""
    compact = "".join(str(value or "").split()).replace("-", "").upper()
    if not compact:
        raise BankAccountError(_("Saisissez l'IBAN du compte."), field="iban")
    country = compact[:2]
    try:
        iban = IBAN(compact, validate_bban=True)
    except exceptions.InvalidCountryCode as exc:
        raise BankAccountError(
            _("L'IBAN commence par un code pays inconnu (« %(country)s »).") % {"country": country},
            code="iban_country",
            field="iban",
        ) from exc
    except exceptions.InvalidLength as exc:
        try:
            expected = registry.get_iban_spec(country).iban_length
        except Exception:  # an unknown country is reported above; keep a message anyway
            expected = None
        message = (
            _("Un IBAN %(country)s compte %(expected)d caractères ; vous en avez saisi %(count)d.")
            % {"country": country, "expected": expected, "count": len(compact)}
            if expected
            else _("La longueur de l'IBAN est incorrecte.")
        )
        raise BankAccountError(message, code="iban_length", field="iban") from exc
    except exceptions.InvalidChecksumDigits as exc:
        raise BankAccountError(
            _(
                "La clé de contrôle de l'IBAN est incorrecte : vérifiez chaque caractère "
                "(une faute de frappe est probable)."
            ),
            code="iban_checksum",
            field="iban",
        ) from exc
    except (exceptions.InvalidBBANChecksum, exceptions.NationalChecksumNotVerified) as exc:
        raise BankAccountError(
            _("La clé nationale de l'IBAN (clé RIB) est incorrecte : vérifiez chaque caractère."),
            code="iban_checksum",
            field="iban",
        ) from exc
    except exceptions.SchwiftyException as exc:
        raise BankAccountError(
            _("L'IBAN ne respecte pas le format des comptes de son pays (%(country)s).")
            % {"country": country},
            code="iban_format",
            field="iban",
        ) from exc
    return str(iban.compact)


def bic_clean(value: str, *, iban: str | None) -> str:
    """The compact upper-case BIC, or a French error on ``bic``. Left empty, it is deduced
    from the IBAN when the bank is known (``iban`` is a cleaned IBAN, or None when invalid)."""
    compact = "".join(str(value or "").split()).upper()
    if not compact:
        deduced = None
        if iban:
            try:
                deduced = IBAN(iban).bic
            except exceptions.SchwiftyException:
                deduced = None
        if deduced is None:
            raise BankAccountError(_("Saisissez le BIC de la banque."), field="bic")
        return str(deduced.compact)
    try:
        bic = BIC(compact)
    except exceptions.SchwiftyException as exc:
        raise BankAccountError(
            _(
                "Le BIC compte 8 ou 11 caractères : 4 lettres pour la banque, 2 pour le pays, "
                "2 lettres ou chiffres pour la ville et, le cas échéant, 3 pour l'agence."
            ),
            code="bic_format",
            field="bic",
        ) from exc
    if not compact[:6].isalpha():
        raise BankAccountError(
            _("Le BIC commence par 4 lettres (la banque) puis 2 lettres (le pays)."),
            code="bic_format",
            field="bic",
        )
    if iban:
        iban_country = iban[:2]
        allowed = BIC_COUNTRIES_FOR_IBAN.get(iban_country, frozenset({iban_country}))
        if bic.country_code not in allowed:
            raise BankAccountError(
                _(
                    "Le pays du BIC (%(bic_country)s) ne correspond pas à celui de l'IBAN "
                    "(%(iban_country)s)."
                )
                % {"bic_country": bic.country_code, "iban_country": iban_country},
                code="bic_country",
                field="bic",
            )
    return str(bic.compact)


def label_clean(value: str) -> str:
    label = " ".join(str(value or "").split())
    if not label:
        raise BankAccountError(_("Donnez un intitulé au compte."), field="label")
    if len(label) > 100:
        raise BankAccountError(_("L'intitulé compte au plus 100 caractères."), field="label")
    return label


def document_check(document: IO[bytes] | File[Any]) -> str:
    """The extension matching the document's content (pdf, png, jpg), or a French error."""
    size = getattr(document, "size", None)
    if size is None:
        document.seek(0, 2)
        size = document.tell()
    if size > MAX_DOCUMENT_BYTES:
        raise BankAccountError(
            _("Le justificatif pèse plus de 10 Mo : envoyez un fichier plus léger."),
            code="document_too_large",
            field="document",
        )
    document.seek(0)
    head = document.read(16)
    document.seek(0)
    if not head:
        raise BankAccountError(
            _("Le justificatif est vide."), code="document_empty", field="document"
        )
    for signature, extension in DOCUMENT_SIGNATURES:
        if head.startswith(signature):
            return extension
    raise BankAccountError(
        _("Le justificatif doit être un fichier PDF, PNG ou JPEG."),
        code="document_type",
        field="document",
    )


# --- permissions ---------------------------------------------------------------------------


def _is_finance_staff(actor: Any) -> bool:
    return bool(
        getattr(actor, "is_staff", False)
        and getattr(actor, "is_active", False)
        and actor.has_perm("accounts.finance")
    )


def _is_member(actor: Any, offerer_id: int) -> bool:
    if not getattr(actor, "pk", None):
        return False
    return Membership.objects.filter(
        user_id=actor.pk, offerer_id=offerer_id, status=Membership.Status.VALIDATED
    ).exists()


def can_see_full_iban(user: Any, offerer_id: int) -> bool:
    """Full IBAN and bank document: members of the structure and finance staff only."""
    return _is_finance_staff(user) or _is_member(user, offerer_id)


def _require_member(actor: Any, offerer_id: int) -> None:
    if not _is_member(actor, offerer_id):
        raise PermissionDenied(_("Vous n'êtes pas membre de cette structure."), code="not_a_member")


def _require_member_or_finance(actor: Any, offerer_id: int) -> None:
    if not (_is_member(actor, offerer_id) or _is_finance_staff(actor)):
        raise PermissionDenied(_("Vous n'êtes pas membre de cette structure."), code="not_a_member")


def _require_finance_staff(actor: Any) -> None:
    if not _is_finance_staff(actor):
        raise PermissionDenied(
            _("Action réservée à l'équipe finance de culturepass."), code="staff_required"
        )


# --- bank accounts ----------------------------------------------------------------------------


def _snapshot(account: BankAccount) -> dict[str, Any]:
    return {
        "label": account.label,
        "iban": iban_display(account.iban, full=False),
        "bic": account.bic,
        "status": account.status,
        "document": bool(account.document),
    }


def _history(
    *, account: BankAccount, actor: Any, message: str = "", now: dt.datetime
) -> BankAccountStatusChange:
    return BankAccountStatusChange.objects.create(
        bank_account=account,
        status=account.status,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        message=message,
    )


def _save_document(account: BankAccount, document: IO[bytes] | File[Any], extension: str) -> None:
    # The stored name comes from the detected type, never from the uploaded file's name.
    content = document if isinstance(document, File) else File(document)
    account.document.save(f"document.{extension}", content, save=False)


@dataclass(frozen=True)
class BankAccountInput:
    label: str
    iban: str
    bic: str


def bank_account_input_clean(*, label: str, iban: str, bic: str) -> BankAccountInput:
    clean_iban = iban_clean(iban)
    return BankAccountInput(
        label=label_clean(label), iban=clean_iban, bic=bic_clean(bic, iban=clean_iban)
    )


def bank_account_create(
    *,
    actor: Any,
    offerer: Offerer,
    label: str,
    iban: str,
    bic: str,
    document: IO[bytes] | File[Any] | None,
    now: dt.datetime,
) -> BankAccount:
    """Deposit a bank account: under review when it comes with its document, else a draft
    completed later through :func:`bank_account_correct`."""
    _require_member(actor, offerer.pk)
    if offerer.status == Offerer.Status.CLOSED:
        raise BankAccountError(_("Cette structure est fermée."), code="offerer_closed")
    data = bank_account_input_clean(label=label, iban=iban, bic=bic)
    extension = document_check(document) if document is not None else None
    with transaction.atomic():
        account = BankAccount.objects.create(
            offerer=offerer,
            label=data.label,
            iban=data.iban,
            bic=data.bic,
            status=Status.UNDER_REVIEW if extension else Status.DRAFT,
            status_changed_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            updated_at=now,
        )
        if document is not None and extension:
            # The upload path names the account's id, known only once the row exists.
            _save_document(account, document, extension)
            account.save(update_fields=["document"])
        _history(account=account, actor=actor, now=now)
        audit_record(
            actor=actor,
            action="bank_account.create",
            obj=account,
            now=now,
            after=_snapshot(account),
            offerer_id=offerer.pk,
        )
    return account


def bank_account_correct(
    *,
    actor: Any,
    bank_account: BankAccount,
    label: str,
    iban: str,
    bic: str,
    document: IO[bytes] | File[Any] | None,
    now: dt.datetime,
) -> BankAccount:
    """The pro corrects a draft or an account staff asked to correct; it goes back under
    review. ``document`` None keeps the one already sent (there must be one)."""
    _require_member(actor, bank_account.offerer_id)
    data = bank_account_input_clean(label=label, iban=iban, bic=bic)
    extension = document_check(document) if document is not None else None
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
        if account.status not in CORRECTABLE:
            raise InvalidTransition(
                _("Ce compte bancaire ne peut plus être modifié (statut « %(status)s »).")
                % {"status": account.get_status_display()},
                code="bank_account_not_correctable",
            )
        if extension is None and not account.document:
            raise BankAccountError(
                _("Joignez le justificatif bancaire (RIB) du compte."),
                code="document_missing",
                field="document",
            )
        before = _snapshot(account)
        account.label, account.iban, account.bic = data.label, data.iban, data.bic
        if document is not None and extension:
            _save_document(account, document, extension)
        account.status = Status.UNDER_REVIEW
        account.status_changed_at = now
        account.updated_at = now
        account.save()
        _history(account=account, actor=actor, now=now)
        audit_record(
            actor=actor,
            action="bank_account.correct",
            obj=account,
            now=now,
            before=before,
            after=_snapshot(account),
            offerer_id=account.offerer_id,
        )
    bank_account.refresh_from_db()
    return bank_account


def _member_emails(offerer_id: int) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(
                offerer_id=offerer_id, status=Membership.Status.VALIDATED
            ).values_list("user__email", flat=True)
        )
    )


def _staff_decide(
    *,
    actor: Any,
    bank_account: BankAccount,
    target: str,
    message: str,
    message_required: bool,
    action: str,
    now: dt.datetime,
) -> BankAccount:
    _require_finance_staff(actor)
    message = (message or "").strip()
    if message_required and not message:
        raise BankAccountError(
            _("Écrivez le message envoyé à la structure : il explique la décision."),
            code="message_required",
            field="message",
        )
    with transaction.atomic():
        account = (
            BankAccount.objects.select_for_update()
            .select_related("offerer")
            .get(pk=bank_account.pk)
        )
        if target not in STAFF_TRANSITIONS.get(account.status, frozenset()):
            raise InvalidTransition(
                _("Impossible de passer un compte « %(current)s » à « %(target)s ».")
                % {"current": account.get_status_display(), "target": Status(target).label},
                code="bank_account_invalid_transition",
            )
        before = _snapshot(account)
        account.status = target
        account.status_changed_at = now
        account.updated_at = now
        account.save(update_fields=["status", "status_changed_at", "updated_at"])
        _history(account=account, actor=actor, message=message, now=now)
        audit_record(
            actor=actor,
            action=action,
            obj=account,
            now=now,
            before=before,
            after=_snapshot(account),
            offerer_id=account.offerer_id,
            comment=message,
        )
        recipients = _member_emails(account.offerer_id)
        if recipients:
            email_enqueue(
                to=recipients,
                template=f"emails/bank_account_{target.lower()}",
                context={
                    "offerer_name": account.offerer.name,
                    "label": account.label,
                    "iban": iban_display(account.iban, full=False),
                    "message": message,
                    "url": settings.SITE_URL
                    + reverse("pro:bank_accounts", kwargs={"offerer_id": account.offerer_id}),
                },
                now=now,
            )
    bank_account.refresh_from_db()
    return bank_account


def bank_account_accept(
    *, actor: Any, bank_account: BankAccount, message: str = "", now: dt.datetime
) -> BankAccount:
    return _staff_decide(
        actor=actor,
        bank_account=bank_account,
        target=Status.ACCEPTED,
        message=message,
        message_required=False,
        action="bank_account.accept",
        now=now,
    )


def bank_account_refuse(
    *, actor: Any, bank_account: BankAccount, message: str, now: dt.datetime
) -> BankAccount:
    return _staff_decide(
        actor=actor,
        bank_account=bank_account,
        target=Status.REFUSED,
        message=message,
        message_required=True,
        action="bank_account.refuse",
        now=now,
    )


def bank_account_request_correction(
    *, actor: Any, bank_account: BankAccount, message: str, now: dt.datetime
) -> BankAccount:
    return _staff_decide(
        actor=actor,
        bank_account=bank_account,
        target=Status.NEEDS_CORRECTION,
        message=message,
        message_required=True,
        action="bank_account.request_correction",
        now=now,
    )


def bank_account_close_without_follow_up(
    *, actor: Any, bank_account: BankAccount, message: str = "", now: dt.datetime
) -> BankAccount:
    return _staff_decide(
        actor=actor,
        bank_account=bank_account,
        target=Status.WITHOUT_FOLLOW_UP,
        message=message,
        message_required=False,
        action="bank_account.close_without_follow_up",
        now=now,
    )


# --- venue ↔ bank account links ---------------------------------------------------------------


def _from_now(now: dt.datetime) -> DateTimeTZRange:
    return DateTimeTZRange(now, None, "[)")


def _end_link(link: VenueBankAccountLink, now: dt.datetime) -> None:
    """Close ``link`` at ``now``; a link not yet in force (starting at or after ``now``) never
    applied to anything and is deleted instead of becoming an empty range."""
    lower = link.timespan.lower
    if lower is not None and lower >= now:
        link.delete()
        return
    link.timespan = DateTimeTZRange(lower, now, "[)")
    link.save(update_fields=["timespan"])


def _links_from(venue_ids: Iterable[int], now: dt.datetime) -> QuerySet[VenueBankAccountLink]:
    """Links in force at or after ``now`` (the current one, and any not yet started)."""
    return VenueBankAccountLink.objects.filter(
        venue_id__in=list(venue_ids), timespan__overlap=_from_now(now)
    )


def _link_integrity_error(exc: IntegrityError) -> VenueLinkError:
    if "venue_one_bank_account_at_a_time" in str(exc):
        return VenueLinkError(
            _(
                "Ce lieu vient d'être rattaché à un compte bancaire par une autre personne : "
                "rechargez la page puis recommencez."
            ),
            code="venue_already_linked",
            field="venues",
        )
    return VenueLinkError(_("Le rattachement a échoué."), code="venue_link_failed")


def bank_account_link_venues(
    *,
    actor: Any,
    bank_account: BankAccount,
    venue_ids: Sequence[int],
    now: dt.datetime,
    move: bool = True,
) -> list[VenueBankAccountLink]:
    """Link venues of the account's structure to it from ``now``. A venue linked to another
    account is moved (its link closed at ``now``) unless ``move`` is False, in which case it
    is refused: the pro page passes the user's confirmation. A SIRET venue gets its own
    pricing point; a venue without SIRET must have chosen one first."""
    _require_member_or_finance(actor, bank_account.offerer_id)
    ids = sorted({int(pk) for pk in venue_ids})
    if not ids:
        raise VenueLinkError(_("Cochez au moins un lieu."), code="no_venue", field="venues")
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().get(pk=bank_account.pk)
        if account.status != Status.ACCEPTED:
            raise VenueLinkError(
                _("Seul un compte bancaire validé peut recevoir des lieux."),
                code="bank_account_not_accepted",
            )
        # Venue rows locked in id order: two people linking the same venue are serialised
        # (the second sees the first's link), and no two calls deadlock.
        venues = list(
            Venue.objects.select_for_update()
            .filter(pk__in=ids, offerer_id=account.offerer_id)
            .order_by("pk")
        )
        if len(venues) != len(ids):
            raise VenueLinkError(
                _("Ce lieu n'appartient pas à la structure du compte."),
                code="venue_not_of_offerer",
                field="venues",
            )
        for venue in venues:
            if venue.siret:
                pricing_point_ensure_self(venue=venue)
            elif pricing_point_link_current(venue_id=venue.pk) is None:
                raise VenueLinkError(
                    _(
                        "Le lieu « %(venue)s » n'a pas de SIRET : choisissez d'abord son point "
                        "de valorisation."
                    )
                    % {"venue": venue.display_name},
                    code="pricing_point_missing",
                    field="venues",
                )
        existing: dict[int, list[VenueBankAccountLink]] = {}
        for link in _links_from(ids, now).select_for_update().order_by("venue_id", "timespan"):
            existing.setdefault(link.venue_id, []).append(link)
        created: list[VenueBankAccountLink] = []
        for venue in venues:
            links = existing.get(venue.pk, [])
            in_force = [
                link
                for link in links
                if link.bank_account_id == account.pk
                and link.timespan.upper is None
                and link.timespan.lower <= now
            ]
            if in_force and len(links) == 1:
                continue  # already linked to this account
            others = [link for link in links if link.bank_account_id != account.pk]
            if others and not move:
                raise VenueLinkError(
                    _("Le lieu « %(venue)s » est déjà rattaché à un autre compte bancaire.")
                    % {"venue": venue.display_name},
                    code="venue_linked_elsewhere",
                    field="venues",
                )
            before = {"bank_account_id": others[0].bank_account_id if others else None}
            for link in links:
                _end_link(link, now)
            try:
                with transaction.atomic():
                    link = VenueBankAccountLink.objects.create(
                        venue=venue,
                        bank_account=account,
                        timespan=_from_now(now),
                        created_by=actor if getattr(actor, "pk", None) else None,
                        created_at=now,
                    )
            except IntegrityError as exc:
                raise _link_integrity_error(exc) from exc
            created.append(link)
            audit_record(
                actor=actor,
                action="venue.bank_account_link",
                obj=venue,
                now=now,
                before=before,
                after={"bank_account_id": account.pk},
                offerer_id=venue.offerer_id,
            )
    return created


def venue_bank_account_unlink(*, actor: Any, venue: Venue, now: dt.datetime) -> None:
    """End the venue's link at ``now``: its bookings are no longer paid until it is linked
    again."""
    _require_member_or_finance(actor, venue.offerer_id)
    with transaction.atomic():
        Venue.objects.select_for_update().filter(pk=venue.pk).first()
        links = list(_links_from([venue.pk], now).select_for_update())
        if not links:
            raise VenueLinkError(
                _("Ce lieu n'est rattaché à aucun compte bancaire."), code="venue_not_linked"
            )
        before = {"bank_account_id": links[0].bank_account_id}
        for link in links:
            _end_link(link, now)
        audit_record(
            actor=actor,
            action="venue.bank_account_unlink",
            obj=venue,
            now=now,
            before=before,
            after={"bank_account_id": None},
            offerer_id=venue.offerer_id,
        )


# --- reads -------------------------------------------------------------------------------------


def _current_links(now: dt.datetime) -> QuerySet[VenueBankAccountLink]:
    return VenueBankAccountLink.objects.filter(timespan__contains=now)


def _live_bookings(venue_ref: Any) -> Any:
    from culturepass.bookings.models import Booking  # bookings builds on finance, not the reverse

    return Booking.objects.filter(
        venue_id=venue_ref, status__in=[Booking.Status.CONFIRMED, Booking.Status.USED]
    )


def _without_payable_account(venues: QuerySet[Venue], now: dt.datetime) -> QuerySet[Venue]:
    payable = _current_links(now).filter(
        venue_id=OuterRef("pk"), bank_account__status=Status.ACCEPTED
    )
    return (
        venues.filter(Exists(_live_bookings(OuterRef("pk"))))
        .exclude(Exists(payable))
        .order_by("offerer_id", "name", "pk")
    )


def venues_without_payable_account(
    *, offerer: Offerer, now: dt.datetime | None = None
) -> list[Venue]:
    """Venues with live or used bookings and no link in force to an accepted account: their
    bookings will not be paid."""
    now = now or timezone.now()
    return list(_without_payable_account(Venue.objects.filter(offerer=offerer), now))


@dataclass
class OffererFinanceStatus:
    has_bank_account: bool = False  # a deposit under review, accepted or to correct
    has_accepted_account: bool = False
    has_linked_venues: bool = False  # a venue linked now to an accepted account
    venues_without_account: list[Venue] = field(default_factory=list)


def offerers_finance_status(
    *, offerer_ids: Sequence[int], now: dt.datetime
) -> dict[int, OffererFinanceStatus]:
    """What the pro home shows per structure, in three queries whatever their number."""
    out = {pk: OffererFinanceStatus() for pk in offerer_ids}
    if not out:
        return out
    for offerer_id, status in (
        BankAccount.objects.filter(offerer_id__in=out, status__in=LIVE_STATUSES)
        .values_list("offerer_id", "status")
        .distinct()
    ):
        out[offerer_id].has_bank_account = True
        if status == Status.ACCEPTED:
            out[offerer_id].has_accepted_account = True
    for offerer_id in (
        _current_links(now)
        .filter(venue__offerer_id__in=out, bank_account__status=Status.ACCEPTED)
        .values_list("venue__offerer_id", flat=True)
        .distinct()
    ):
        out[offerer_id].has_linked_venues = True
    for venue in _without_payable_account(Venue.objects.filter(offerer_id__in=out), now):
        out[venue.offerer_id].venues_without_account.append(venue)
    return out


def offerer_bank_accounts(*, offerer: Offerer, now: dt.datetime) -> list[BankAccount]:
    """The structure's accounts, each with ``current_links`` (venue links in force now) and
    its ``history``, newest deposit first."""
    return list(
        BankAccount.objects.filter(offerer=offerer)
        .prefetch_related(
            Prefetch(
                "venue_links",
                queryset=_current_links(now).select_related("venue").order_by("venue__name"),
                to_attr="current_links",
            ),
            Prefetch(
                "history",
                queryset=BankAccountStatusChange.objects.select_related("actor").order_by(
                    "-at", "-id"
                ),
            ),
        )
        .order_by("-created_at", "-id")
    )


@dataclass
class VenueFinanceRow:
    venue: Venue
    bank_account: BankAccount | None  # linked now
    pricing_point: Venue | None  # None: a venue without SIRET that has not chosen yet
    has_bookings: bool

    @property
    def needs_pricing_point(self) -> bool:
        return not self.venue.siret and self.pricing_point is None

    @property
    def is_payable(self) -> bool:
        return self.bank_account is not None and self.bank_account.status == Status.ACCEPTED


def offerer_venue_finance_rows(*, offerer: Offerer, now: dt.datetime) -> list[VenueFinanceRow]:
    """Every venue of the structure with its current bank account and pricing point."""
    from culturepass.finance.models import VenuePricingPointLink

    venues = list(
        Venue.objects.filter(offerer=offerer)
        .annotate(has_bookings=Exists(_live_bookings(OuterRef("pk"))))
        .order_by("name", "pk")
    )
    ids = [v.pk for v in venues]
    accounts = {
        link.venue_id: link.bank_account
        for link in _current_links(now).filter(venue_id__in=ids).select_related("bank_account")
    }
    points = {
        link.venue_id: link.pricing_point
        for link in VenuePricingPointLink.objects.filter(
            venue_id__in=ids, timespan__upper_inf=True
        ).select_related("pricing_point")
    }
    return [
        VenueFinanceRow(
            venue=v,
            bank_account=accounts.get(v.pk),
            # A SIRET venue prices itself even before its link row is created lazily.
            pricing_point=points.get(v.pk) or (v if v.siret else None),
            has_bookings=bool(v.has_bookings),
        )
        for v in venues
    ]


def bank_accounts_under_review() -> QuerySet[BankAccount]:
    """The staff queue, oldest first."""
    return (
        BankAccount.objects.filter(status=Status.UNDER_REVIEW)
        .select_related("offerer")
        .order_by("status_changed_at", "id")
    )
