"""Bank accounts: IBAN/BIC checks in French, the bank document, statuses with history, staff
decisions emailed with their message, and the venues whose bookings would not be paid."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from bookings_helpers import make_offer, make_offerer, make_venue
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from finance_helpers import BIC, IBAN_A, IBAN_B, NOW, link_venue, make_bank_account, make_booking

from culturepass.accounts.models import User
from culturepass.bookings.models import Booking
from culturepass.core.errors import InvalidTransition, PermissionDenied
from culturepass.core.models import AuditEntry
from culturepass.finance import services
from culturepass.finance.models import BankAccount, BankAccountStatusChange
from culturepass.finance.services import BankAccountError
from culturepass.notifications.models import OutboxEmail
from culturepass.offerers.models import Membership

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def pdf(name: str = "rib.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_member(offerer, email: str = "tresorier@festival.test") -> User:
    user = User.objects.create_user(email, "Motdepasse-solide-2026", is_pro=True)
    Membership.objects.create(
        user=user,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
        validated_at=NOW,
    )
    return user


def make_finance_staff(email: str = "finance@culturepass.test") -> User:
    user = User.objects.create_user(email, "Motdepasse-solide-2026", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="finance")
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def offerer():
    return make_offerer()


@pytest.fixture
def member(offerer):
    return make_member(offerer)


@pytest.fixture
def staff():
    return make_finance_staff()


def create(member, offerer, **overrides):
    fields = {"label": "Compte festival", "iban": IBAN_A, "bic": BIC, "document": pdf()}
    fields.update(overrides)
    return services.bank_account_create(actor=member, offerer=offerer, now=NOW, **fields)


# --- IBAN and BIC ------------------------------------------------------------------------------


def test_iban_is_stored_compact_and_upper_case():
    assert services.iban_clean(" fr76 3000 6000 0112 3456 7890 189 ") == IBAN_A


@pytest.mark.parametrize(
    ("value", "code", "words"),
    [
        ("FR76 3000 6000 0112 3456 7890 18", "iban_length", "compte 27 caractères"),
        ("FR7630006000011234567890188", "iban_checksum", "clé de contrôle"),
        ("XX7630006000011234567890189", "iban_country", "code pays inconnu"),
        ("FR76300060000112345678901@9", "iban_format", "format"),
        ("", "bank_account_invalid", "Saisissez l'IBAN"),
    ],
)
def test_wrong_ibans_are_refused_in_french(value, code, words):
    with pytest.raises(BankAccountError) as error:
        services.iban_clean(value)
    assert error.value.code == code
    assert error.value.field == "iban"
    assert words in error.value.message


def test_bic_format_and_country_are_checked():
    assert services.bic_clean("bnpa frpp xxx", iban=IBAN_A) == "BNPAFRPPXXX"
    with pytest.raises(BankAccountError, match="8 ou 11 caractères") as error:
        services.bic_clean("BNPA", iban=IBAN_A)
    assert error.value.field == "bic"
    with pytest.raises(BankAccountError, match=r"pays du BIC \(DE\)") as error:
        services.bic_clean("DEUTDEFF", iban=IBAN_A)
    assert error.value.code == "bic_country"
    # French overseas banks have French IBANs and BICs of their own territory.
    assert services.bic_clean("BFCORERX", iban=IBAN_A) == "BFCORERX"


def test_an_empty_bic_is_deduced_from_a_known_bank():
    assert services.bic_clean("", iban=IBAN_A)  # bank 30006 is in schwifty's registry
    with pytest.raises(BankAccountError, match="Saisissez le BIC"):
        services.bic_clean("", iban=None)


def test_iban_display_masks_all_but_country_check_digits_and_last_four():
    assert services.iban_display(IBAN_A, full=False) == "FR76 **** **** **** **** ***0 189"
    assert services.iban_display(IBAN_A, full=True) == "FR76 3000 6000 0112 3456 7890 189"


# --- bank document -----------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "extension"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpg")])
def test_documents_are_recognised_by_content(content, extension):
    # The name lies on purpose: only the content counts.
    assert services.document_check(SimpleUploadedFile("rib.exe", content)) == extension


def test_other_documents_and_big_ones_are_refused():
    with pytest.raises(BankAccountError, match="PDF, PNG ou JPEG"):
        services.document_check(SimpleUploadedFile("rib.pdf", b"MZ\x90\x00 not a pdf"))
    with pytest.raises(BankAccountError, match="vide"):
        services.document_check(io.BytesIO(b""))
    big = io.BytesIO(PDF + b"0" * services.MAX_DOCUMENT_BYTES)
    with pytest.raises(BankAccountError, match="10 Mo") as error:
        services.document_check(big)
    assert error.value.field == "document"


# --- creation and corrections ------------------------------------------------------------------


def test_a_member_deposits_an_account_under_review_with_history_audit_and_private_file(
    offerer, member
):
    account = create(member, offerer, iban="fr76 3000 6000 0112 3456 7890 189")
    assert account.status == BankAccount.Status.UNDER_REVIEW
    assert account.iban == IBAN_A
    history = list(BankAccountStatusChange.objects.filter(bank_account=account))
    assert [(h.status, h.actor_id) for h in history] == [("UNDER_REVIEW", member.pk)]
    entry = AuditEntry.objects.get(action="bank_account.create", object_id=str(account.pk))
    assert entry.after["iban"] == "FR76 **** **** **** **** ***0 189"  # never the full IBAN
    path = Path(settings.PRIVATE_ROOT) / account.document.name
    assert path.read_bytes() == PDF
    assert account.document.name.endswith(f"{account.pk}-document.pdf")
    assert not str(path).startswith(str(settings.MEDIA_ROOT))


def test_without_document_the_account_is_a_draft_completed_by_a_correction(offerer, member):
    account = create(member, offerer, document=None)
    assert account.status == BankAccount.Status.DRAFT
    with pytest.raises(BankAccountError, match="Joignez"):
        services.bank_account_correct(
            actor=member,
            bank_account=account,
            label="Compte festival",
            iban=IBAN_A,
            bic=BIC,
            document=None,
            now=NOW,
        )
    services.bank_account_correct(
        actor=member,
        bank_account=account,
        label="Compte festival",
        iban=IBAN_A,
        bic=BIC,
        document=SimpleUploadedFile("rib.png", PNG),
        now=NOW + dt.timedelta(hours=1),
    )
    assert account.status == BankAccount.Status.UNDER_REVIEW
    assert account.document.name.endswith(".png")


def test_outsiders_cannot_deposit_and_invalid_fields_create_nothing(offerer, member):
    outsider = make_member(make_offerer(), "autre@ailleurs.test")
    with pytest.raises(PermissionDenied):
        create(outsider, offerer)
    with pytest.raises(BankAccountError):
        create(member, offerer, iban="FR7630006000011234567890188")
    with pytest.raises(BankAccountError):
        create(member, offerer, document=SimpleUploadedFile("rib.pdf", b"<html>"))
    assert not BankAccount.objects.exists()


def test_staff_decisions_follow_the_allowed_transitions_and_email_the_members(
    offerer, member, staff
):
    colleague = make_member(offerer, "collegue@festival.test")
    account = create(member, offerer)
    with pytest.raises(BankAccountError, match="message"):
        services.bank_account_request_correction(
            actor=staff, bank_account=account, message="  ", now=NOW
        )
    services.bank_account_request_correction(
        actor=staff, bank_account=account, message="Le RIB est illisible.", now=NOW
    )
    assert account.status == BankAccount.Status.NEEDS_CORRECTION
    email = OutboxEmail.objects.get(template="emails/bank_account_needs_correction")
    assert sorted(email.to) == sorted([member.email, colleague.email])
    assert "Le RIB est illisible." in email.body_text
    assert "Le RIB est illisible." in email.body_html
    assert IBAN_A not in email.body_text  # masked in emails
    # A correction sends it back under review.
    services.bank_account_correct(
        actor=member,
        bank_account=account,
        label="Compte festival",
        iban=IBAN_B,
        bic=BIC,
        document=pdf(),
        now=NOW + dt.timedelta(hours=1),
    )
    assert account.status == BankAccount.Status.UNDER_REVIEW
    assert account.iban == IBAN_B
    services.bank_account_accept(
        actor=staff, bank_account=account, message="", now=NOW + dt.timedelta(hours=2)
    )
    assert OutboxEmail.objects.filter(template="emails/bank_account_accepted").count() == 1
    # Accepted is final: payments name the account.
    with pytest.raises(InvalidTransition):
        services.bank_account_refuse(
            actor=staff, bank_account=account, message="Trop tard", now=NOW
        )
    with pytest.raises(InvalidTransition):
        services.bank_account_correct(
            actor=member,
            bank_account=account,
            label="x",
            iban=IBAN_A,
            bic=BIC,
            document=pdf(),
            now=NOW,
        )
    statuses = list(account.history.order_by("at", "id").values_list("status", "message"))
    assert statuses == [
        ("UNDER_REVIEW", ""),
        ("NEEDS_CORRECTION", "Le RIB est illisible."),
        ("UNDER_REVIEW", ""),
        ("ACCEPTED", ""),
    ]
    actions = set(
        AuditEntry.objects.filter(object_id=str(account.pk)).values_list("action", flat=True)
    )
    assert {"bank_account.request_correction", "bank_account.accept"} <= actions


def test_refusal_needs_a_message_and_only_finance_staff_decide(offerer, member, staff):
    account = create(member, offerer)
    homologation = User.objects.create_user("homol@culturepass.test", "x", is_staff=True)
    homologation.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="homologation")
    )
    for actor in (member, User.objects.get(pk=homologation.pk)):
        with pytest.raises(PermissionDenied):
            services.bank_account_accept(actor=actor, bank_account=account, now=NOW)
    with pytest.raises(BankAccountError):
        services.bank_account_refuse(actor=staff, bank_account=account, message="", now=NOW)
    services.bank_account_refuse(
        actor=staff, bank_account=account, message="Compte au nom d'un tiers.", now=NOW
    )
    assert account.status == BankAccount.Status.REFUSED
    email = OutboxEmail.objects.get(template="emails/bank_account_refused")
    assert "Compte au nom d'un tiers." in email.body_text


def test_a_draft_can_be_closed_without_follow_up(offerer, member, staff):
    account = create(member, offerer, document=None)
    services.bank_account_close_without_follow_up(actor=staff, bank_account=account, now=NOW)
    assert account.status == BankAccount.Status.WITHOUT_FOLLOW_UP
    assert OutboxEmail.objects.filter(template="emails/bank_account_without_follow_up").exists()


# --- venues whose bookings would not be paid ----------------------------------------------------


def test_venues_with_bookings_and_no_accepted_account_are_listed(offerer):
    venue = make_venue(offerer)
    quiet = make_venue(
        offerer, siret=None, comment="Sans SIRET", name="Annexe", is_head_office=False
    )
    stock = make_offer(venue)
    make_booking(stock, status=Booking.Status.CONFIRMED)
    assert services.venues_without_payable_account(offerer=offerer, now=NOW) == [venue]
    status = services.offerers_finance_status(offerer_ids=[offerer.pk], now=NOW)[offerer.pk]
    assert status.venues_without_account == [venue]
    assert not status.has_bank_account
    # A link to an account still under review does not pay.
    pending = make_bank_account(offerer, status=BankAccount.Status.UNDER_REVIEW)
    link = link_venue(venue, pending, until=NOW - dt.timedelta(days=1))
    assert services.venues_without_payable_account(offerer=offerer, now=NOW) == [venue]
    accepted = make_bank_account(offerer, label="Autre", iban=IBAN_B)
    link_venue(venue, accepted, since=link.timespan.upper)
    assert services.venues_without_payable_account(offerer=offerer, now=NOW) == []
    status = services.offerers_finance_status(offerer_ids=[offerer.pk], now=NOW)[offerer.pk]
    assert status.has_bank_account
    assert status.has_accepted_account
    assert status.has_linked_venues
    assert status.venues_without_account == []
    assert quiet not in services.venues_without_payable_account(offerer=offerer, now=NOW)


def test_cancelled_bookings_do_not_raise_the_warning(offerer):
    venue = make_venue(offerer)
    booking = make_booking(make_offer(venue), status=Booking.Status.CONFIRMED)
    Booking.objects.filter(pk=booking.pk).update(
        status=Booking.Status.CANCELLED,
        cancelled_at=NOW,
        cancellation_reason=Booking.CancellationReason.BENEFICIARY,
    )
    assert services.venues_without_payable_account(offerer=offerer, now=NOW) == []
