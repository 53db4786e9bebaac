"""A pro creates a concert offer through every step of the wizard, in real Chromium.

Category and venue; description with music genre and a real image (after the French error
of a too small one); another address, in Villeurbanne; on-site withdrawal with a delay
(after the error of a delay without ticket); two price categories, one renamed (after the
error of a 300.01 € price); duo; a daily recurrence over a week with two slots, then one
occurrence deleted; the publication scheduled two days ahead. Time then moves past that
date and a real procrastinate worker runs ``offers.publish_due``: the offer is ACTIVE, no
compliance rule matching. axe checks every distinct page, error pages included.

Set ``BROWSER_SHOTS_DIR=/tmp/shots-offers`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from browser_helpers import (
    clear_job_tables,
    definition,
    expect_field_error,
    expect_message,
    field,
    jpeg_bytes,
    link,
    run_worker_until_idle,
    screenshot,
)
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from procrastinate.contrib.django.models import ProcrastinateJob

from culturepass.accounts.models import User
from culturepass.core.models import AuditEntry
from culturepass.offerers.models import Offerer, Venue
from culturepass.offerers.services import offerer_validate
from culturepass.offers.models import Offer, OfferImage, PriceCategory, Stock, ValidationRule
from culturepass.offers.tasks import publish_due

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Nuits du jazz à Villeurbanne"
CREDIT = "Photo : Camille Martin"
CONTACT = "billetterie@festival-lumieres.test"
SAVE = "Enregistrer et continuer"

Check = Callable[..., None]


@dataclass(frozen=True)
class Plan:
    """The dates the pro types, in the venue's time zone (Europe/Paris)."""

    first_day: dt.date
    last_day: dt.date
    publication: dt.datetime  # aware, Europe/Paris, to the minute


def make_plan() -> Plan:
    today = timezone.now().astimezone(PARIS).date()
    first_day = today + dt.timedelta(days=8)  # tomorrow + 7 days
    # Noon, never in a daylight-saving change: the typed wall time is one instant.
    publication_day = today + dt.timedelta(days=2)
    return Plan(
        first_day=first_day,
        last_day=first_day + dt.timedelta(days=6),  # one week: 7 days
        publication=dt.datetime.combine(publication_day, dt.time(12, 5), tzinfo=PARIS),
    )


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def structure(structure_a: Offerer, staff_user: User) -> Offerer:
    """Structure A, validated by staff, with its head-office venue in Paris."""
    return offerer_validate(
        actor=staff_user, offerer=structure_a, comment="Kbis vérifié.", now=timezone.now()
    )


@pytest.fixture
def venue(structure: Offerer) -> Venue:
    return Venue.objects.get(offerer=structure, is_head_office=True)


@pytest.fixture
def compliance_rules(db: Any) -> list[ValidationRule]:
    """Active staff rules that this concert does not match: it is published without review."""
    now = timezone.now()
    return [
        ValidationRule.objects.create(
            name="Alcool",
            kind=ValidationRule.Kind.KEYWORD,
            parameters={"keywords": ["alcool", "open bar"]},
            created_at=now,
            updated_at=now,
        ),
        ValidationRule.objects.create(
            name="Plus de 100 €",
            kind=ValidationRule.Kind.PRICE_ABOVE,
            parameters={"price_cents": 10_000},
            created_at=now,
            updated_at=now,
        ),
    ]


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    """Uploaded images go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def job_tables(transactional_db: Any) -> Iterator[None]:
    """No job from elsewhere, none left behind (the live server commits)."""
    clear_job_tables()
    yield
    clear_job_tables()


# --- locating things ---------------------------------------------------------------------------


def step_heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=2)


def expect_step(page: Page, label: str) -> None:
    """The wizard shows step ``label``, marked as the current one."""
    expect(step_heading(page)).to_have_text(label)
    current = page.get_by_role("navigation", name="Étapes de l'offre").locator(
        "[aria-current=step]"
    )
    expect(current).to_have_text(label)


def save(page: Page) -> None:
    page.get_by_role("button", name=SAVE).click()


def status_of_row(page: Page, title: str) -> Locator:
    row = page.get_by_role("table").locator("tbody tr").filter(has_text=title)
    return row.locator(".status")


def expect_image_loaded(image: Locator) -> None:
    """The picture is shown, and its file was served (not a broken image)."""
    expect(image).to_be_visible()
    image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )


# --- the steps -------------------------------------------------------------------------------


def choose_category(page: Page, check: Check, offerer: Offerer, venue: Venue) -> None:
    page.goto(reverse("pro:offer_list", args=[offerer.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text(offerer.name)
    expect(page.locator("main")).to_contain_text("Vous n'avez pas encore d'offre")
    check(page)
    screenshot(page, "00-offer-list-empty")

    link(page, "Créer une offre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer une offre")
    expect_step(page, "Catégorie et sous-catégorie")

    # Sent without a choice: French errors, nothing created.
    save(page)
    expect_field_error(page, "Catégorie et sous-catégorie", "Ce champ est obligatoire.")
    assert not Offer.objects.exists()
    check(page)
    screenshot(page, "01-category-error")

    # "Concert" is found in the "Musique live" group of the select, by its label.
    select = field(page, "Catégorie et sous-catégorie")
    expect(select.locator("optgroup[label='Musique live'] option")).to_contain_text(["Concert"])
    select.select_option(label="Concert")
    expect(select).to_have_value("CONCERT")
    # The structure's only venue is proposed by default.
    expect(field(page, "Lieu")).to_have_value(str(venue.pk))
    field(page, "Lieu").select_option(label=venue.display_name)
    screenshot(page, "02-category-filled")
    save(page)

    expect_message(page, "Le brouillon de l'offre est créé.")
    expect_step(page, "Descriptif")
    expect(page.locator(".offer-meta")).to_contain_text("Musique live · Concert")
    expect(page.locator(".offer-meta .status")).to_have_text("Brouillon")


def describe(page: Page, check: Check) -> None:
    check(page)
    screenshot(page, "03-description-empty")

    field(page, "Titre de l'offre").fill(TITLE)
    field(page, "Description").fill(
        "Une semaine de jazz en plein air : deux concerts chaque soir, avec le quartet "
        "de Lucie Bernard et des invités."
    )
    field(page, "Durée").fill("1h30")
    field(page, "Genre musical").select_option(label="Jazz")
    field(page, "Sous-genre musical").select_option(value="JAZZ-BEBOP")
    field(page, "Interprète").fill("Lucie Bernard Quartet")
    image = field(page, "Image de l'offre")

    # Too small: the French error is next to the field; the text is not saved either.
    image.set_input_files(
        files=[{"name": "vignette.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(300, 300)}]
    )
    field(page, "Crédit de l'image").fill(CREDIT)
    save(page)
    expect_field_error(
        page,
        "Image de l'offre",
        "L'image doit mesurer au moins 400 × 400 pixels (celle-ci : 300 × 300).",  # noqa: RUF001
    )
    expect(field(page, "Titre de l'offre")).to_have_value(TITLE)
    assert Offer.objects.get().name == ""
    check(page)
    screenshot(page, "04-description-image-error")

    # A file input is emptied by the reload: choose the right picture.
    image.set_input_files(
        files=[{"name": "affiche.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(1200, 800)}]
    )
    save(page)

    expect_message(page, "L'étape « Descriptif » est enregistrée.")
    expect_step(page, "Localisation")

    # Back to the description: the picture is previewed with its credit.
    page.get_by_role("navigation", name="Étapes de l'offre").get_by_role(
        "link", name="Descriptif"
    ).click()
    expect_step(page, "Descriptif")
    preview = page.locator("figure.offer-image")
    expect(preview).to_contain_text(CREDIT)
    expect_image_loaded(preview.get_by_role("img", name="Aperçu de l'image actuelle de l'offre"))
    expect(field(page, "Titre de l'offre")).to_have_value(TITLE)
    expect(field(page, "Sous-genre musical")).to_have_value("JAZZ-BEBOP")
    expect(field(page, "Durée")).to_have_value("1:30")
    check(page)
    screenshot(page, "05-description-with-image")
    save(page)
    expect_step(page, "Localisation")


def locate(page: Page, check: Check, venue: Venue) -> None:
    venue_address = f"{venue.display_name}, {venue.street}, {venue.postal_code} {venue.city}"
    expect(field(page, f"À l'adresse du lieu : {venue_address}")).to_be_checked()
    check(page)
    screenshot(page, "06-location")

    field(page, "À une autre adresse").check()
    # Without the address: French errors next to the fields.
    save(page)
    expect_field_error(page, "Adresse", "Indiquez l'adresse.")
    expect_field_error(page, "Code postal", "Indiquez le code postal.")
    expect_field_error(page, "Ville", "Indiquez la ville.")
    expect(field(page, "À une autre adresse")).to_be_checked()
    check(page)
    screenshot(page, "07-location-errors")

    field(page, "Intitulé du lieu").fill("Parc de la Feyssine")
    field(page, "Adresse").fill("Avenue Albert Einstein")
    field(page, "Code postal").fill("69100")
    field(page, "Ville").fill("Villeurbanne")
    save(page)

    expect_message(page, "L'étape « Localisation » est enregistrée.")
    expect_step(page, "Informations pratiques et billetterie")


def practical_info(page: Page, check: Check) -> None:
    check(page)
    screenshot(page, "08-practical-info")

    # A delay without any ticket is refused.
    field(page, "Aucun billet n'est nécessaire").check()
    delay = field(page, "Délai d'envoi ou de retrait avant l'événement")
    delay.select_option(label="1 heure")
    field(page, "Email de contact pour les bénéficiaires").fill(CONTACT)
    save(page)
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    expect_field_error(
        page,
        "Délai d'envoi ou de retrait avant l'événement",
        "Aucun délai ne s'applique quand aucun billet n'est nécessaire.",
    )
    assert Offer.objects.get().withdrawal_type == ""
    check(page)
    screenshot(page, "09-practical-info-error")

    field(page, "Retrait sur place").check()
    expect(delay).to_have_value("3600")
    field(page, "Informations de retrait").fill(
        "Billets à retirer à l'accueil du parc, une heure avant le concert, sur présentation "
        "d'une pièce d'identité."
    )
    expect(field(page, "Email de contact pour les bénéficiaires")).to_have_value(CONTACT)
    field(page, "Handicap moteur").check()
    save(page)

    expect_message(page, "L'étape « Informations pratiques et billetterie » est enregistrée.")
    expect_step(page, "Tarifs")


def prices(page: Page, check: Check) -> None:
    expect(page.locator("main")).to_contain_text(
        "les bénéficiaires ne peuvent réserver qu'un seul des tarifs proposés"
    )
    add = page.get_by_role("form", name="Ajouter un tarif")
    expect(field(add, "Intitulé du tarif")).to_have_value("Tarif unique")
    check(page)
    screenshot(page, "10-prices-empty")

    field(add, "Prix (€)").fill("25")
    add.get_by_role("button", name="Ajouter un tarif").click()
    expect_message(page, "Le tarif « Tarif unique » est ajouté.")

    # Renamed in its row.
    row = page.get_by_role("form", name="Tarif « Tarif unique » (25,00 €)")
    field(row, "Intitulé du tarif").fill("Catégorie A")
    row.get_by_role("button", name="Enregistrer le tarif Tarif unique").click()
    expect_message(page, "Le tarif est enregistré.")
    expect(page.get_by_role("form", name="Tarif « Catégorie A » (25,00 €)")).to_be_visible()

    # A second one, first too expensive.
    add = page.get_by_role("form", name="Ajouter un tarif")
    field(add, "Intitulé du tarif").fill("Catégorie B")
    field(add, "Prix (€)").fill("300,01")
    add.get_by_role("button", name="Ajouter un tarif").click()
    expect_field_error(add, "Prix (€)", "Le prix ne peut pas dépasser 300 €.")
    expect(field(add, "Intitulé du tarif")).to_have_value("Catégorie B")
    assert PriceCategory.objects.count() == 1
    check(page)
    screenshot(page, "11-prices-error")

    field(add, "Prix (€)").fill("15,50")
    add.get_by_role("button", name="Ajouter un tarif").click()
    expect_message(page, "Le tarif « Catégorie B » est ajouté.")
    expect(page.locator("ul.price-categories > li")).to_have_count(2)
    expect(page.get_by_role("form", name="Tarif « Catégorie B » (15,50 €)")).to_be_visible()
    check(page)
    screenshot(page, "12-prices")

    link(page, "Continuer").click()
    expect_step(page, "Réservation duo")


def duo(page: Page, check: Check) -> None:
    # On by default for a concert.
    expect(field(page, "Accepter les réservations « Duo »")).to_be_checked()
    check(page)
    screenshot(page, "13-duo")
    save(page)
    expect_message(page, "L'étape « Réservation duo » est enregistrée.")
    expect_step(page, "Dates et capacités")


def dates(page: Page, check: Check, plan: Plan) -> None:
    expect(page.locator("main")).to_contain_text("fuseau horaire Europe/Paris")
    check(page)
    screenshot(page, "14-dates-empty")

    field(page, "Tous les jours").check()
    field(page, "Date de l'événement ou début de la période").fill(plan.first_day.isoformat())
    field(page, "Fin de la période").fill(plan.last_day.isoformat())
    field(page, "Créneau 1").fill("18:00")
    field(page, "Créneau 2").fill("21:00")
    field(page, "Nombre de places au tarif « Catégorie A » (25,00 €)").fill("100")
    # Catégorie B left blank: unlimited.
    field(page, "Fin des réservations (jours avant l'événement)").fill("1")
    # The end typed before the start: a French error, no date created, nothing retyped.
    field(page, "Fin de la période").fill((plan.first_day - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Valider").click()
    expect_field_error(
        page, "Fin de la période", "La date de fin ne peut pas être antérieure à la date de début."
    )
    expect(field(page, "Créneau 2")).to_have_value("21:00")
    expect(field(page, "Nombre de places au tarif « Catégorie A » (25,00 €)")).to_have_value("100")
    assert not Stock.objects.exists()
    check(page)
    screenshot(page, "15-dates-error")

    field(page, "Fin de la période").fill(plan.last_day.isoformat())
    screenshot(page, "15-dates-filled")
    page.get_by_role("button", name="Valider").click()

    expect_message(page, "28 dates ont été créées.")
    expect_step(page, "Récapitulatif des dates")
    table = page.get_by_role("table", name=re.compile(r"^28 dates"))
    expect(table.locator("tbody tr")).to_have_count(28)  # 7 days x 2 slots x 2 tarifs
    expect(table.locator("tbody tr").filter(has_text="Catégorie A")).to_have_count(14)
    unlimited = table.locator("tbody tr").filter(has_text="Catégorie B")
    expect(unlimited.filter(has_text="Illimité")).to_have_count(14)
    check(page)
    screenshot(page, "16-dates-summary")

    # One occurrence removed with the trash icon, after confirmation.
    table.get_by_role("link", name=re.compile(r"^Supprimer la date du ")).first.click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Supprimer cette date ?")
    check(page)
    screenshot(page, "17-date-delete-confirm")
    page.get_by_role("button", name="Supprimer la date").click()

    expect_message(page, "La date est supprimée.")
    expect(page.get_by_role("table", name=re.compile(r"^27 dates"))).to_be_visible()
    expect(page.locator("table.stocks tbody tr")).to_have_count(27)
    assert Stock.objects.filter(is_soft_deleted=False).count() == 27

    link(page, "Continuer").click()
    expect_step(page, "Publication")


def schedule(page: Page, check: Check, plan: Plan, venue: Venue) -> None:
    main = page.locator("main")
    # The summary repeats what was typed, with the address geocoded in Villeurbanne.
    expect(definition(main, "Titre")).to_have_text(TITLE)
    expect(definition(main, "Durée")).to_have_text("1:30")
    expect(definition(main, "Genre musical")).to_have_text("Jazz")
    expect(definition(main, "Sous-genre musical")).to_have_text("Bebop")
    expect(definition(main, "Lieu")).to_have_text(venue.display_name)
    expect(definition(main, "Adresse")).to_have_text(
        "Parc de la Feyssine, Avenue Albert Einstein, 69100 Villeurbanne (autre adresse)"
    )
    expect(definition(main, "Retrait des billets")).to_have_text(
        "Retrait sur place · 1 heure avant l'événement"
    )
    expect(definition(main, "Email de contact")).to_have_text(CONTACT)
    expect(definition(main, "Accessibilité")).to_contain_text("Handicap moteur")
    expect(definition(main, "Tarifs")).to_have_text("Catégorie B : 15,50 €Catégorie A : 25,00 €")
    expect(definition(main, "Duo")).to_have_text("Oui : deux places par réservation")
    expect(main).to_contain_text("27 dates")
    expect(main).to_contain_text("Heure du lieu de l'événement (fuseau Europe/Paris).")
    expect_image_loaded(definition(main, "Image").get_by_role("img"))
    expect(page.locator("#problems")).to_have_count(0)
    check(page)
    screenshot(page, "18-publication")

    # "Planifier" without a date: a French error next to the field.
    page.get_by_role("button", name="Planifier la publication").click()
    expect_field_error(
        page, "Date et heure de publication", "Indiquez la date et l'heure de publication."
    )
    check(page)
    screenshot(page, "19-publication-error")

    field(page, "Date et heure de publication").fill(plan.publication.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Planifier la publication").click()

    expect_message(page, "La publication de votre offre est programmée.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".offer-meta .status")).to_have_text("Programmée")
    expect(page.locator(".offer-meta")).to_contain_text(
        "publication programmée le " + french_date(plan.publication)
    )
    check(page)
    screenshot(page, "20-offer-scheduled")

    # Back on the publication step: the date is kept; the schedule can be cancelled, and
    # "save as draft" (which would leave it scheduled) is not offered.
    link(page, "Gérer la publication").click()
    expect_step(page, "Publication")
    expect(field(page, "Date et heure de publication")).to_have_value(
        plan.publication.strftime("%Y-%m-%dT%H:%M")
    )
    expect(page.get_by_role("button", name="Annuler la programmation")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer comme brouillon")).to_have_count(0)
    check(page)
    screenshot(page, "21-publication-scheduled")


FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def french_date(moment: dt.datetime) -> str:
    """As the pages write it: "7 juillet 2027, 18:05"."""
    return f"{moment.day} {FRENCH_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"


# --- the test -------------------------------------------------------------------------------


def test_pro_creates_a_concert_through_the_wizard_and_the_worker_publishes_it(
    page: Page,
    login: Callable[[Any, Any], None],
    assert_accessible: Check,
    pro_a: User,
    structure: Offerer,
    venue: Venue,
    compliance_rules: list[ValidationRule],
    media: None,
    job_tables: None,
) -> None:
    plan = make_plan()
    login(page, pro_a)

    choose_category(page, assert_accessible, structure, venue)
    describe(page, assert_accessible)
    locate(page, assert_accessible, venue)
    practical_info(page, assert_accessible)
    prices(page, assert_accessible)
    duo(page, assert_accessible)
    dates(page, assert_accessible, plan)
    schedule(page, assert_accessible, plan, venue)

    offer = Offer.objects.get()
    assert offer.validation == Offer.Validation.DRAFT
    assert offer.publication_datetime == plan.publication.astimezone(dt.UTC)
    assert offer.address_kind == Offer.AddressKind.OTHER
    assert (offer.city, offer.postal_code, offer.department_code) == (
        "Villeurbanne",
        "69100",
        "69",
    )
    assert offer.timezone == "Europe/Paris"
    assert offer.latitude is not None
    assert offer.longitude is not None
    assert (offer.withdrawal_type, offer.withdrawal_delay_seconds) == ("on_site", 3600)
    assert offer.is_duo
    assert OfferImage.objects.get(offer=offer).credit == CREDIT
    assert sorted(PriceCategory.objects.values_list("label", "price_cents")) == [
        ("Catégorie A", 2500),
        ("Catégorie B", 1550),
    ]

    # The offers list shows it as scheduled.
    page.goto(reverse("pro:offer_list", args=[structure.pk]))
    expect(status_of_row(page, TITLE)).to_have_text("Programmée")
    assert_accessible(page)
    screenshot(page, "22-offer-list-scheduled")

    # Past the scheduled minute (the live server runs in this process: its clock moves too).
    with time_machine.travel(plan.publication + dt.timedelta(minutes=1, seconds=5), tick=True):
        # Until the worker runs, the offer waits.
        page.reload()
        expect(status_of_row(page, TITLE)).to_have_text("Programmée")

        publish_due.defer(timestamp=int(time.time()))
        run_worker_until_idle(["offers"])

        job = ProcrastinateJob.objects.get(task_name="offers.publish_due")
        assert job.status == "succeeded"
        offer.refresh_from_db()
        assert offer.validation == Offer.Validation.APPROVED
        assert offer.publication_datetime == plan.publication.astimezone(dt.UTC)

        page.reload()
        expect(status_of_row(page, TITLE)).to_have_text("Active")
        screenshot(page, "23-offer-list-active")

        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(page.locator(".offer-meta .status")).to_have_text("Active")
        expect(page.locator(".offer-meta")).to_contain_text(
            "publiée le " + french_date(plan.publication)
        )
        expect(page.get_by_role("button", name="Désactiver l'offre")).to_be_visible()
        assert_accessible(page)
        screenshot(page, "24-offer-active")

    published = AuditEntry.objects.get(action="offer.publish_scheduled")
    assert published.actor_id is None
    assert published.comment == ""  # no compliance rule matched
