"""A new pro's first steps, in real Chromium against the live server.

Sign-up and email verification, a structure created from its SIRET (after the
French errors of invalid ones), venues with and without SIRET, a colleague
invited, the structure validated by staff in the backoffice; axe checks every
distinct page on the way, and each step leaves an audit entry.

Set ``BROWSER_SHOTS_DIR=/tmp/shots`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from browser_helpers import (
    emails_to,
    link_path,
    screenshot,
    siren_from,
    siret_of,
    with_bad_check_digit,
)
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from culturepass.accounts.models import User
from culturepass.core.models import AuditEntry
from culturepass.notifications.models import OutboxEmail
from culturepass.offerers.models import Offerer

pytestmark = pytest.mark.browser

PASSWORD = "Motdepasse-solide-2026"
PRO_EMAIL = "direction@theatre-des-halles.test"
COLLEAGUE_EMAIL = "billetterie@theatre-des-halles.test"
STRUCTURE_NAME = "Théâtre des Halles"
SIREN = siren_from("81234567")
HEAD_OFFICE_SIRET = siret_of(SIREN, "0001")
SECOND_VENUE_SIRET = siret_of(SIREN, "0002")

Check = Callable[..., None]


# --- locating things as a user sees them ---------------------------------------------------


def field(page: Page, label: str) -> Locator:
    """The form control labelled ``label`` (Django may add " :" after the label)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$"))


def field_group(page: Page, label: str) -> Locator:
    """The block around a control: its label, help text and errors."""
    return page.locator(".field").filter(has=field(page, label))


def expect_field_error(page: Page, label: str, message: str) -> None:
    """``message`` is shown next to the field and announced with it."""
    control = field(page, label)
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(field_group(page, label).locator(".errorlist")).to_contain_text(message)
    expect(control).to_have_accessible_description(re.compile(re.escape(message)))


def row_value(page: Page, header: str) -> Locator:
    """The cell next to the row header ``header`` of a two-column table."""
    return page.locator(f"xpath=//tr[th[normalize-space()={header!r}]]/td")


def definition(page: Page, term: str) -> Locator:
    return page.locator(f"xpath=//dt[normalize-space()={term!r}]/following-sibling::dd[1]")


def expect_message(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def link(page: Page, name: str) -> Locator:
    """A link, also when it is styled as a button (Pico's ``<a role="button">``)."""
    return page.get_by_role("link", name=name, exact=True).or_(
        page.get_by_role("button", name=name, exact=True)
    )


def section_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Sections de la structure").get_by_role(
        "link", name=name
    )


# --- the journey, step by step --------------------------------------------------------------


def sign_up_and_verify(page: Page, assert_accessible: Check) -> None:
    page.goto(reverse("accounts:signup"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte professionnel")
    assert_accessible(page)
    screenshot(page, "01-signup")

    field(page, "Adresse email").fill(PRO_EMAIL)
    field(page, "Prénom").fill("Jeanne")
    field(page, "Nom").fill("Moreau")
    field(page, "Téléphone (facultatif)").fill("01 23 45 67 89")
    field(page, "Mot de passe").fill(PASSWORD)
    field(page, "Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_label("J'accepte les conditions générales d'utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page).to_have_url(re.compile(re.escape(reverse("accounts:check_inbox")) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmez votre adresse email")
    expect(page.locator("main")).to_contain_text(PRO_EMAIL)
    assert_accessible(page)
    screenshot(page, "02-check-inbox")

    [verification] = emails_to(PRO_EMAIL)
    assert verification.subject == "Confirmez votre adresse email sur culturepass"
    page.goto(link_path(verification, "/compte/verification/"))

    # The browser that signed up is logged in by the link and lands on the pro home.
    expect(page).to_have_url(re.compile(re.escape(reverse("pro:home")) + "$"))
    expect_message(page, "Votre adresse email est confirmée. Bienvenue !")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre espace professionnel")
    expect(page.locator("main")).to_contain_text("Vous n'êtes encore membre d'aucune structure")
    assert_accessible(page)
    screenshot(page, "03-pro-home-empty")


def create_structure(page: Page, assert_accessible: Check, *, taken_siret: str) -> None:
    link(page, "Créer une structure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer une structure")
    field(page, "SIRET du siège").fill("1234567890123")
    field(page, "Nom de la structure (raison sociale)").fill(STRUCTURE_NAME)
    field(page, "Activité principale (code APE/NAF)").fill("9004Z")
    field(page, "Adresse du siège").fill("12 rue des Halles")
    field(page, "Code postal").fill("75001")
    field(page, "Ville").fill("Paris")
    submit = page.get_by_role("button", name="Créer la structure")

    submit.click()
    expect_field_error(page, "SIRET du siège", "Le SIRET doit comporter 14 chiffres.")
    # The other fields keep what was typed.
    expect(field(page, "Nom de la structure (raison sociale)")).to_have_value(STRUCTURE_NAME)
    assert_accessible(page)
    screenshot(page, "04-structure-create-length-error")

    field(page, "SIRET du siège").fill(with_bad_check_digit(HEAD_OFFICE_SIRET))
    submit.click()
    expect_field_error(
        page, "SIRET du siège", "Ce SIRET n'est pas valide : la clé de contrôle est incorrecte."
    )

    field(page, "SIRET du siège").fill(taken_siret)
    submit.click()
    expect_field_error(page, "SIRET du siège", "Une structure avec ce SIREN est déjà inscrite.")
    # An existing SIREN leads to the attachment request instead.
    attach = page.get_by_role("region", name="Cette structure existe déjà")
    expect(attach.get_by_role("button", name="Demander le rattachement")).to_be_visible()
    expect(attach.locator("input[name=siret]")).to_have_value(taken_siret)
    assert_accessible(page)
    screenshot(page, "05-structure-create-siren-taken")

    # Spaces are allowed, as on a Kbis extract.
    spaced = f"{HEAD_OFFICE_SIRET[:3]} {HEAD_OFFICE_SIRET[3:6]} {HEAD_OFFICE_SIRET[6:9]} "
    field(page, "SIRET du siège").fill(spaced + HEAD_OFFICE_SIRET[9:])
    submit.click()

    expect_message(page, f"La structure « {STRUCTURE_NAME} » est créée.")
    expect(page.get_by_role("heading", level=1)).to_have_text(STRUCTURE_NAME)
    expect(row_value(page, "Statut")).to_have_text("Nouvelle")
    expect(row_value(page, "SIREN")).to_have_text(SIREN)
    expect(row_value(page, "SIRET du siège")).to_have_text(HEAD_OFFICE_SIRET)
    expect(row_value(page, "Nom")).to_have_text(STRUCTURE_NAME)
    expect(row_value(page, "Activité principale (APE)")).to_have_text("90.04Z")
    expect(row_value(page, "Adresse du siège")).to_have_text("12 rue des Halles, 75001 Paris")
    expect(row_value(page, "Région")).to_have_text("Île-de-France")
    expect(page.locator("main")).to_contain_text("Cette structure est en cours de validation.")
    assert_accessible(page)
    screenshot(page, "06-structure-detail-new")


def add_venues(page: Page, assert_accessible: Check) -> None:
    section_link(page, "Lieux").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Lieux")
    # The head office is a venue from the start.
    expect(
        page.get_by_role("table", name="Lieux de la structure").locator("tbody tr")
    ).to_have_count(1)

    # A second establishment of the same company, with its own SIRET.
    link(page, "Ajouter un lieu").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Ajouter un lieu")
    field(page, "Nom du lieu").fill("Petit Théâtre des Halles")
    field(page, "SIRET du lieu").fill(SECOND_VENUE_SIRET)
    field(page, "Adresse").fill("3 place du Châtelet")
    field(page, "Code postal").fill("75004")
    field(page, "Ville").fill("Paris")
    field(page, "Email de notification des réservations").fill("resa@theatre-des-halles.test")
    field(page, "Handicap moteur").check()
    page.get_by_role("button", name="Créer le lieu").click()

    expect_message(page, "Le lieu « Petit Théâtre des Halles » est créé.")
    expect(page.get_by_role("heading", level=2)).to_have_text("Lieu « Petit Théâtre des Halles »")
    expect(definition(page, "Origine des coordonnées")).to_have_text("Commune (géocodage)")
    expect(definition(page, "Latitude")).to_have_text(re.compile(r"^48[,.]8\d*$"))
    expect(definition(page, "Longitude")).to_have_text(re.compile(r"^2[,.]3\d*$"))
    expect(definition(page, "Fuseau horaire")).to_have_text("Europe/Paris")
    expect(field(page, "SIRET du lieu")).to_be_disabled()
    assert_accessible(page)
    screenshot(page, "07-venue-with-siret")

    # A touring stage in La Réunion, without SIRET: the comment is required.
    section_link(page, "Lieux").click()
    link(page, "Ajouter un lieu").click()
    field(page, "Nom du lieu").fill("Scène nomade de La Réunion")
    field(page, "Adresse").fill("5 rue de Paris")
    field(page, "Code postal").fill("97400")
    field(page, "Ville").fill("Saint-Denis")
    page.get_by_role("button", name="Créer le lieu").click()

    expect_field_error(
        page,
        "Commentaire",
        "Sans SIRET, un commentaire est obligatoire (par exemple : lieu sans SIRET propre).",
    )
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    assert_accessible(page)
    screenshot(page, "08-venue-without-siret-error")

    field(page, "Commentaire").fill("Scène itinérante, sans SIRET propre : gérée par le siège.")
    page.get_by_role("button", name="Créer le lieu").click()

    expect_message(page, "Le lieu « Scène nomade de La Réunion » est créé.")
    expect(definition(page, "Fuseau horaire")).to_have_text("Indian/Reunion")
    expect(definition(page, "Latitude")).to_have_text(re.compile(r"^-20[,.]8\d*$"))
    expect(definition(page, "Longitude")).to_have_text(re.compile(r"^55[,.]4\d*$"))

    section_link(page, "Lieux").click()
    rows = page.get_by_role("table", name="Lieux de la structure").locator("tbody tr")
    expect(rows).to_have_count(3)
    reunion = rows.filter(has_text="Scène nomade de La Réunion")
    expect(reunion).to_contain_text("sans SIRET")
    expect(reunion).to_contain_text("Indian/Reunion")
    expect(rows.filter(has_text="Petit Théâtre des Halles")).to_contain_text(SECOND_VENUE_SIRET)
    assert_accessible(page)
    screenshot(page, "09-venue-list")


def invite_colleague(page: Page, assert_accessible: Check) -> None:
    section_link(page, "Membres").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Membres")
    members = page.get_by_role("table", name="Membres de la structure")
    expect(members).to_contain_text(PRO_EMAIL)
    expect(members).to_contain_text("Administrateur")

    field(page, "Adresse email de votre collègue").fill(COLLEAGUE_EMAIL)
    page.get_by_role("button", name="Envoyer l'invitation").click()

    expect_message(page, f"Une invitation a été envoyée à {COLLEAGUE_EMAIL}.")
    expect(page.get_by_role("table", name="Invitations en attente")).to_contain_text(
        COLLEAGUE_EMAIL
    )
    assert_accessible(page)
    screenshot(page, "10-members")

    queued = OutboxEmail.objects.get(template="offerers/emails/invitation")
    assert queued.to == [COLLEAGUE_EMAIL]
    [invitation] = emails_to(COLLEAGUE_EMAIL)
    assert invitation.subject == f"Invitation à rejoindre {STRUCTURE_NAME} sur culturepass"
    assert link_path(invitation, "/pro/invitations/").startswith("/pro/invitations/")


def staff_validates(
    staff_page: Page, assert_accessible: Check, *, staff: User, comment: str
) -> None:
    # Straight to the backoffice: the login page sends the staff member back there.
    staff_page.goto(reverse("backoffice:offerer_list"))
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    assert_accessible(staff_page)
    screenshot(staff_page, "11-login")
    field(staff_page, "Adresse email").fill(staff.email)
    field(staff_page, "Mot de passe").fill(PASSWORD)
    staff_page.get_by_role("button", name="Se connecter").click()

    expect(staff_page).to_have_url(re.compile(re.escape(reverse("backoffice:offerer_list")) + "$"))
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Structures")
    row = staff_page.locator("tbody tr").filter(has_text=STRUCTURE_NAME)
    expect(row).to_contain_text("Nouvelle")
    expect(row).to_contain_text(SIREN)
    assert_accessible(staff_page)
    screenshot(staff_page, "12-backoffice-structures")

    row.get_by_role("link", name=STRUCTURE_NAME).click()
    expect(staff_page.get_by_role("heading", level=1)).to_contain_text(STRUCTURE_NAME)
    venues = staff_page.get_by_role("table", name="Lieux de la structure")
    expect(venues.locator("tbody tr")).to_have_count(3)
    expect(venues).to_contain_text("sans SIRET propre")
    expect(staff_page.get_by_role("table", name="Invitations en attente")).to_contain_text(
        COLLEAGUE_EMAIL
    )
    assert_accessible(staff_page)
    screenshot(staff_page, "13-backoffice-structure")

    field(staff_page, "Commentaire (envoyé à la structure en cas de validation ou de rejet)").fill(
        comment
    )
    staff_page.get_by_role("button", name="Valider", exact=True).click()

    expect_message(staff_page, "La structure est validée.")
    expect(staff_page.get_by_role("heading", level=1)).to_contain_text("Validée")
    expect(staff_page.get_by_role("table", name="Journal d'audit de la structure")).to_contain_text(
        "offerer.validate"
    )


def pro_sees_validation(page: Page, assert_accessible: Check) -> None:
    section_link(page, "Informations administratives").click()
    expect(row_value(page, "Statut")).to_have_text("Validée")
    expect(row_value(page, "Validée le")).not_to_be_empty()
    expect(page.locator("main")).not_to_contain_text("en cours de validation")
    screenshot(page, "14-structure-detail-validated")

    page.get_by_role("link", name="Accueil", exact=True).click()
    card = page.get_by_role("article", name=STRUCTURE_NAME)
    expect(card).to_contain_text("Validée")
    expect(card).to_contain_text("3 lieux")
    assert_accessible(page)
    screenshot(page, "15-pro-home-validated")

    validated = [m for m in emails_to(PRO_EMAIL) if "validée" in m.subject]
    assert [m.subject for m in validated] == [f"Votre structure {STRUCTURE_NAME} est validée"]


# --- the test -----------------------------------------------------------------------------


def test_new_pro_signs_up_creates_structure_and_venues_and_staff_validates(
    browser: Any,
    page: Page,
    live_server: Any,
    structure_b: Offerer,
    homologation_staff: User,
    assert_accessible: Check,
) -> None:
    taken_siret = siret_of(structure_b.siren, "0002")  # another establishment of B
    audit_before = set(AuditEntry.objects.values_list("pk", flat=True))

    sign_up_and_verify(page, assert_accessible)
    create_structure(page, assert_accessible, taken_siret=taken_siret)
    add_venues(page, assert_accessible)
    invite_colleague(page, assert_accessible)

    staff_context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    staff_context.set_default_timeout(10_000)
    try:
        staff_validates(
            staff_context.new_page(),
            assert_accessible,
            staff=homologation_staff,
            comment="Kbis vérifié.",
        )
    finally:
        staff_context.close()

    pro_sees_validation(page, assert_accessible)

    pro = User.objects.get(email=PRO_EMAIL)
    offerer = Offerer.objects.get(siren=SIREN)
    assert offerer.status == Offerer.Status.VALIDATED
    assert not Offerer.objects.filter(siren=structure_b.siren).exclude(pk=structure_b.pk).exists()
    entries = AuditEntry.objects.exclude(pk__in=audit_before).order_by("created_at", "id")
    journal = [(entry.actor_id, entry.action, entry.offerer_id) for entry in entries]
    assert journal == [
        (pro.pk, "user.signup", None),
        (pro.pk, "user.email_verified", None),
        (pro.pk, "offerer.create", offerer.pk),
        (pro.pk, "venue.create", offerer.pk),  # the head office
        (pro.pk, "membership.create", offerer.pk),  # its first admin
        (pro.pk, "venue.create", offerer.pk),  # with SIRET
        (pro.pk, "venue.create", offerer.pk),  # without SIRET
        (pro.pk, "invitation.create", offerer.pk),
        (homologation_staff.pk, "offerer.validate", offerer.pk),
    ]
    validation = entries.get(action="offerer.validate")
    assert validation.before["status"] == "NEW"
    assert validation.after["status"] == "VALIDATED"
    assert validation.comment == "Kbis vérifié."
