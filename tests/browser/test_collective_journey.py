"""Collective offers for a school group, from referencing to reimbursement, in real Chromium
(issue 8).

Structure A (validated, with a bank account linked to its head office) is not referenced:
the pro applies from "Référencement scolaire" (first without ticking anything: the French
errors), staff of the regional commission references it in the backoffice with a message
(emailed), the pro publishes a bookable collective offer (first with a booking limit after the
start: the service's French refusal). A teacher finds it on the schools portal and pre-books
it; the head of the school confirms it, within the budget shown. Time passes the event: a real
procrastinate worker runs ``collective.mark_used`` (USED 48 h after the end), then the payment
run of the next cutoff (``finance.run_due_payments``) pays it at 100 %; the pro finds it on
"Justificatifs et remboursements" and the collective booking reads "remboursée". axe checks
every page visited.

Set ``BROWSER_SHOTS_DIR=/tmp/shots-collective`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from browser_helpers import (
    clear_job_tables,
    emails_to,
    expect_field_error,
    expect_message,
    field,
    link,
    run_worker_until_idle,
    screenshot,
)
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from procrastinate.contrib.django.models import ProcrastinateJob

from culturepass.accounts.models import User
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    ReferencingApplication,
    School,
    SchoolBudget,
    SchoolMember,
    school_year_of,
)
from culturepass.collective.tasks import mark_used
from culturepass.finance import calendar
from culturepass.finance.models import Payment, PaymentRun
from culturepass.finance.services import (
    bank_account_accept,
    bank_account_create,
    bank_account_link_venues,
)
from culturepass.finance.tasks import run_due_payments
from culturepass.offerers.models import Offerer, Venue
from culturepass.offerers.services import offerer_validate

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "Motdepasse-solide-2026"
OFFER = "Concert commenté pour les 6e"
PROJECT = "Nous accueillons des classes pour des concerts commentés et des ateliers de pratique."
COMMISSION_MESSAGE = "Votre projet répond aux attentes de la commission : bienvenue !"
PRICE_CENTS = 45_000
BUDGET_CENTS = 200_000
CONTACT = "scolaires@festival.test"

Check = Callable[..., None]


def start_instant() -> dt.datetime:
    """10:00 Paris on the 2nd of next month: the event (the 7th) and its use (the 9th) fall in
    the 1st-15th, paid by the run of the 16th, whatever day the test runs."""
    today = timezone.now().astimezone(PARIS).date()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(next_month.replace(day=2), dt.time(10, 0), tzinfo=PARIS)


@dataclass(frozen=True)
class World:
    start: dt.datetime
    pro: User
    commission: User
    teacher: User
    head: User
    offerer: Offerer
    venue: Venue
    school: School


@pytest.fixture
def traveller(transactional_db: Any) -> Iterator[Any]:
    """The whole test runs on a moving clock; the live server and the worker run in this
    process, so their clocks move with it. No job from elsewhere, none left behind."""
    clear_job_tables()
    start = start_instant()
    with time_machine.travel(start, tick=True) as coordinates:
        yield coordinates
    clear_job_tables()


def staff_with(email: str, codename: str) -> User:
    user = User.objects.create_user(
        email, PASSWORD, is_staff=True, email_verified_at=timezone.now()
    )
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename=codename)
    )
    return User.objects.get(pk=user.pk)


def school_person(school: School, email: str, role: str, first_name: str) -> User:
    user = User.objects.create_user(
        email, PASSWORD, first_name=first_name, last_name="Durand", email_verified_at=timezone.now()
    )
    SchoolMember.objects.create(user=user, school=school, role=role, created_at=timezone.now())
    return user


@pytest.fixture
def world(
    traveller: Any,
    settings: Any,
    tmp_path: Path,
    staff_user: User,
    pro_a: User,
    structure_a: Offerer,
) -> World:
    settings.DEMO_MODE = False
    settings.PRIVATE_ROOT = tmp_path / "private"
    now = timezone.now()
    offerer = offerer_validate(actor=staff_user, offerer=structure_a, comment="Kbis ok.", now=now)
    venue = Venue.objects.get(offerer=offerer, is_head_office=True)
    # Finance is set up through the services (its pages have their own journey).
    finance = staff_with("finance@culturepass.test", "finance")
    account = bank_account_create(
        actor=pro_a,
        offerer=offerer,
        label="Compte principal",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        document=ContentFile(b"%PDF-1.4\n%%EOF\n", "rib.pdf"),
        now=now,
    )
    bank_account_accept(actor=finance, bank_account=account, now=now)
    bank_account_link_venues(actor=pro_a, bank_account=account, venue_ids=[venue.pk], now=now)
    school = School.objects.create(
        uai="0751234A",
        name="Collège Jean Moulin",
        city="Paris",
        postal_code="75011",
        department_code="75",
        created_at=now,
    )
    SchoolBudget.objects.create(
        school=school,
        school_year_start=school_year_of(now.astimezone(PARIS).date()),
        amount_cents=BUDGET_CENTS,
        updated_at=now,
    )
    return World(
        start=now,
        pro=pro_a,
        commission=staff_with("commission@culturepass.test", "collective"),
        teacher=school_person(school, "prof@jean-moulin.test", SchoolMember.Role.TEACHER, "Inès"),
        head=school_person(school, "principal@jean-moulin.test", SchoolMember.Role.HEAD, "Paul"),
        offerer=offerer,
        venue=venue,
        school=school,
    )


def switch_user(page: Page, login: Callable[[Any, Any], None], user: User) -> None:
    page.context.clear_cookies()
    login(page, user)


def h2(page: Page) -> Any:
    return page.get_by_role("heading", level=2)


def sections(page: Page) -> Any:
    return page.get_by_role("navigation", name="Sections de la structure")


def local(day: dt.date, hour: int) -> str:
    """What a ``datetime-local`` input holds."""
    return f"{day.isoformat()}T{hour:02d}:00"


# --- the steps ---------------------------------------------------------------------------------


def pro_applies(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("pro:offer_list", args=[world.offerer.pk]))
    expect(sections(page).get_by_role("link", name="Offres collectives")).to_have_count(0)
    sections(page).get_by_role("link", name="Référencement scolaire").click()
    expect(h2(page)).to_have_text("Référencement pour les offres collectives")
    check(page)
    screenshot(page, "00-referencing-empty")

    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    expect(page.locator(".field").filter(has_text="Lieux concernés")).to_contain_text(
        "Cochez au moins un lieu qui accueillera les élèves."
    )
    expect_field_error(
        page,
        "Votre projet d'éducation artistique et culturelle",
        "Décrivez votre projet d'éducation artistique et culturelle.",
    )
    check(page)
    screenshot(page, "01-referencing-errors")

    page.get_by_role("checkbox", name=world.venue.display_name).check()
    page.get_by_role("checkbox", name="Musique").check()
    field(page, "Votre projet d'éducation artistique et culturelle").fill(PROJECT)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect_message(page, "Votre demande de référencement est envoyée")
    expect(page.locator(".status")).to_have_text("en cours d'instruction")
    check(page)
    screenshot(page, "02-referencing-pending")
    assert ReferencingApplication.objects.get().status == ReferencingApplication.Status.PENDING


def commission_accepts(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("backoffice:dashboard"))
    page.get_by_role("link", name="Offres collectives", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes de référencement")
    queue = page.get_by_role("table", name=re.compile("demande en instruction"))
    expect(queue.locator("tbody tr")).to_have_count(1)
    check(page)
    screenshot(page, "03-backoffice-queue")

    queue.get_by_role("link", name=world.offerer.name).click()
    expect(page.locator("main")).to_contain_text(PROJECT)
    check(page)
    field(page, "Message envoyé par email à la structure").fill(COMMISSION_MESSAGE)
    page.get_by_role("button", name="Référencer la structure").click()
    expect_message(page, "est référencée ; elle est prévenue par email.")
    check(page)
    screenshot(page, "04-backoffice-accepted")
    assert ReferencingApplication.objects.get().status == ReferencingApplication.Status.ACCEPTED
    assert any(COMMISSION_MESSAGE in str(m.body) for m in emails_to(world.pro.email))


def pro_publishes(page: Page, check: Check, world: World) -> CollectiveOffer:
    page.goto(reverse("pro:offer_list", args=[world.offerer.pk]))
    sections(page).get_by_role("link", name="Offres collectives").click()
    expect(h2(page)).to_have_text("Offres collectives")
    check(page)
    screenshot(page, "05-collective-offers-empty")

    link(page, "Créer une offre réservable").click()
    expect(h2(page)).to_have_text("Créer une offre collective")
    check(page)
    event_day = world.start.astimezone(PARIS).date() + dt.timedelta(days=5)
    field(page, "Titre de l'offre").fill(OFFER)
    field(page, "Description").fill("L'orchestre présente ses instruments, puis joue.")
    page.get_by_role("group", name="Domaines artistiques et culturels").get_by_role(
        "checkbox", name="Musique"
    ).check()
    page.get_by_role("group", name="Niveaux scolaires").get_by_role("checkbox", name="6e").check()
    page.get_by_role("radio", name="Dans l'établissement scolaire").check()
    field(page, "Date et heure de début").fill(local(event_day, 9))
    field(page, "Date et heure de fin").fill(local(event_day, 12))
    # After the start: refused by the service, in French, next to the field.
    field(page, "Date limite de réservation").fill(local(event_day, 18))
    field(page, "Prix total pour le groupe (€)").fill("450,00")
    field(page, "Nombre de participants").fill("28")
    field(page, "Email de contact").fill(CONTACT)
    page.get_by_role("button", name="Publier l'offre").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    limit_field = field(page, "Date limite de réservation")
    expect(limit_field).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Titre de l'offre")).to_have_value(OFFER)
    check(page)
    screenshot(page, "06-offer-error")
    assert not CollectiveOffer.objects.exists()

    limit_field.fill(local(event_day - dt.timedelta(days=1), 18))
    page.get_by_role("button", name="Publier l'offre").click()
    expect_message(page, f"L'offre collective « {OFFER} » est publiée")
    expect(h2(page)).to_contain_text(OFFER)
    expect(h2(page).locator(".status")).to_have_text("validée")
    check(page)
    screenshot(page, "07-offer-published")
    offer = CollectiveOffer.objects.get()
    assert offer.validation == CollectiveOffer.Validation.APPROVED
    assert offer.start_datetime == dt.datetime.combine(event_day, dt.time(9), tzinfo=PARIS)
    assert offer.price_cents == PRICE_CENTS
    return offer


def teacher_prebooks(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("schools:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Offres culturelles pour vos classes")
    check(page)
    screenshot(page, "08-schools-home")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Rechercher une offre"
    ).click()
    field(page, "Domaine artistique et culturel").select_option(label="Musique")
    field(page, "Niveau scolaire").select_option(label="6e")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".offer-list article")).to_have_count(1)
    check(page)
    screenshot(page, "09-schools-search")

    page.get_by_role("link", name=OFFER).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(OFFER)
    expect(page.locator("main")).to_contain_text("450,00 €")
    check(page)
    screenshot(page, "10-schools-offer")
    link(page, "Préréserver").click()
    check(page)
    page.get_by_role("button", name="Confirmer la préréservation").click()
    expect_message(page, f"L'offre « {OFFER} » est préréservée")
    expect(page.get_by_role("heading", level=1)).to_have_text("Réservations de l'établissement")
    row = page.get_by_role("row", name=re.compile(OFFER))
    expect(row.locator(".status")).to_have_text("préréservée")
    expect(row.get_by_role("button", name=f"Confirmer « {OFFER} »")).to_have_count(0)
    check(page)
    screenshot(page, "11-schools-prebooked")
    assert CollectiveBooking.objects.get().status == CollectiveBooking.Status.PENDING
    # The structure hears of it at the offer's contact address, the head is asked to confirm.
    assert any(OFFER in str(m.body) for m in emails_to(CONTACT))
    assert any(OFFER in str(m.body) for m in emails_to(world.head.email))


def head_confirms(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("schools:bookings"))
    budget = page.get_by_role("table", name="Budget de l'établissement pour les offres collectives")
    expect(budget.locator("tbody tr").first).to_contain_text("2 000,00 €")
    check(page)
    row = page.get_by_role("row", name=re.compile(OFFER))
    row.get_by_role("button", name=f"Confirmer « {OFFER} »").click()
    expect_message(page, f"La réservation de « {OFFER} » est confirmée.")
    expect(page.get_by_role("row", name=re.compile(OFFER)).locator(".status")).to_have_text(
        "confirmée"
    )
    first_year = budget.locator("tbody tr").first
    expect(first_year.get_by_role("cell").nth(1)).to_have_text("450,00 €")  # spent
    expect(first_year.get_by_role("cell").nth(2)).to_have_text("1 550,00 €")  # remaining
    check(page)
    screenshot(page, "12-schools-confirmed")
    assert CollectiveBooking.objects.get().status == CollectiveBooking.Status.CONFIRMED


def worker_marks_it_used(traveller: Any, offer: CollectiveOffer) -> None:
    assert offer.end_datetime is not None
    traveller.move_to(offer.end_datetime + dt.timedelta(hours=48, minutes=10))
    # What the periodic job defers (the test worker leaves periodic tasks out).
    mark_used.defer(timestamp=int(time.time()))
    run_worker_until_idle(["bookings"])
    assert ProcrastinateJob.objects.get(task_name="collective.mark_used").status == "succeeded"
    assert CollectiveBooking.objects.get().status == CollectiveBooking.Status.USED


def worker_pays_the_run(traveller: Any, world: World) -> PaymentRun:
    run_day = world.start.astimezone(PARIS).date().replace(day=16)
    cutoff = calendar.cutoff_for(run_day)
    traveller.move_to(cutoff + dt.timedelta(hours=1, minutes=5))
    run_due_payments.defer(timestamp=int(time.time()))
    run_worker_until_idle(["finance"])
    assert ProcrastinateJob.objects.get(task_name="finance.run_due_payments").status == "succeeded"
    run = PaymentRun.objects.get()
    assert (run.cutoff, run.status) == (cutoff, PaymentRun.Status.DONE)
    assert Payment.objects.get(run=run).amount_cents == PRICE_CENTS  # 100 %
    booking = CollectiveBooking.objects.get()
    assert booking.status == CollectiveBooking.Status.REIMBURSED
    return run


def pro_sees_the_reimbursement(page: Page, check: Check, world: World, run: PaymentRun) -> None:
    page.goto(reverse("pro:finance_invoices", args=[world.offerer.pk]))
    expect(h2(page)).to_have_text("Justificatifs et remboursements")
    table = page.get_by_role(
        "table", name="Justificatifs de remboursement, les plus récents d'abord"
    )
    row = table.locator("tbody tr").first
    expect(row).to_contain_text(calendar.period_label(run.cutoff))
    expect(row).to_contain_text("450,00 €")
    check(page)
    screenshot(page, "13-invoices")

    sections(page).get_by_role("link", name="Offres collectives").click()
    page.get_by_role("navigation", name="Offres collectives").get_by_role(
        "link", name="Réservations"
    ).click()
    expect(h2(page)).to_have_text("Réservations collectives")
    booking_row = page.get_by_role("row", name=re.compile(world.school.name))
    expect(booking_row.locator(".status")).to_have_text("remboursée")
    check(page)
    screenshot(page, "14-collective-bookings")


# --- the test ----------------------------------------------------------------------------------


def test_a_school_group_books_a_collective_offer_reimbursed_at_100_percent(
    page: Page,
    world: World,
    traveller: Any,
    login: Callable[[Any, Any], None],
    assert_accessible: Check,
) -> None:
    login(page, world.pro)
    pro_applies(page, assert_accessible, world)

    switch_user(page, login, world.commission)
    commission_accepts(page, assert_accessible, world)

    switch_user(page, login, world.pro)
    offer = pro_publishes(page, assert_accessible, world)

    switch_user(page, login, world.teacher)
    teacher_prebooks(page, assert_accessible, world)

    switch_user(page, login, world.head)
    head_confirms(page, assert_accessible, world)

    worker_marks_it_used(traveller, offer)
    run = worker_pays_the_run(traveller, world)

    switch_user(page, login, world.pro)
    pro_sees_the_reimbursement(page, assert_accessible, world, run)
