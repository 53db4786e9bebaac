"""The box office and the event lifecycle, in real Chromium.

A concert with two dates (in 5 and 6 days) is booked through the services by three young
people: Inès and Malik on date 1, Nora on date 2. At the Guichet, Malik's code typed in lower
case is refused while he may still cancel (the French message gives the date and time from
which it can be validated), an unknown code is refused in French. Two days later (past his
48 h cancellation window) the code is validated: the page then shows what was validated,
with an undo button, above the empty, focused code field. The validation is undone from
there after a confirmation page warning that it is then not reimbursed, and validated
again. The pro then postpones
date 1 (typed in the offer's time zone): Malik's validation is undone by it, the date being
more than 2 days away. She cancels date 2 with the trash icon, the confirmation page
counting its booking. Inès and Nora log in through the real login page and see the new date
and the cancellation (with its reason) on their bookings pages; their emails say the same.
axe checks every distinct page.

Set ``BROWSER_SHOTS_DIR=/tmp/shots-box-office`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from browser_helpers import (
    definition,
    emails_to,
    expect_field_error,
    expect_message,
    field,
    link,
    screenshot,
)
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from playwright.sync_api import Locator, Page, expect

from culturepass.accounts.models import User
from culturepass.accounts.services import email_verification_token, user_verify_email
from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_create
from culturepass.credit import identity
from culturepass.credit.services import beneficiary_signup, identity_approve
from culturepass.offerers.models import Offerer, Venue
from culturepass.offerers.services import offerer_validate
from culturepass.offers import services as offers
from culturepass.offers.models import Offer, Stock
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceMode, RecurrenceRule

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "Motdepasse-solide-2026"
CONCERT = "Nuit du piano au Châtelet"
PRICE_LABEL = "Tarif unique"
UNKNOWN_CODE = "zzzz22"  # well formed, booked by nobody
NOT_FOUND = "Cette contremarque n'existe pas ou n'est pas rattachée à votre structure."

Check = Callable[..., None]


@dataclass(frozen=True)
class World:
    offerer: Offerer
    offer: Offer
    date1: Stock
    date2: Stock
    ines: Booking  # date 1
    nora: Booking  # date 2
    malik: Booking  # date 1, validated at the Guichet


# --- setup through the services ----------------------------------------------------------------


def approved_beneficiary(staff: User, *, email: str, first_name: str, now: dt.datetime) -> User:
    """18, signed up, email verified, identity approved by staff: 150 € of credit."""
    today = now.astimezone(PARIS).date() - dt.timedelta(days=30)
    user = beneficiary_signup(
        email=email,
        password=PASSWORD,
        first_name=first_name,
        last_name="Moreau",
        birth_date=today.replace(year=today.year - 18, day=min(today.day, 28)),
        phone="06 12 34 56 78",
        street="10 rue de la Roquette",
        postal_code="75011",
        city="Paris",
        now=now,
    )
    user_verify_email(token=email_verification_token(user=user, now=now), now=now)
    identity_approve(actor=staff, user=user, now=now)
    return User.objects.get(pk=user.pk)


def published_concert(actor: User, venue: Venue, days: list[dt.date], now: dt.datetime) -> Offer:
    """A concert at 20:00 on each of ``days``, one price category at 25 €, 50 seats."""
    offer = offers.offer_create_draft(actor=actor, venue=venue, subcategory_id="CONCERT", now=now)
    offers.offer_update_description(
        actor=actor,
        offer=offer,
        name=CONCERT,
        description="Récital de piano : Chopin, Debussy, Satie.",
        extra_data={"musicType": "501"},
        duration_minutes=120,
        now=now,
    )
    offers.offer_update_practical_info(
        actor=actor,
        offer=offer,
        withdrawal_type="on_site",
        withdrawal_delay_seconds=3600,
        withdrawal_details="Billets à retirer au guichet avec une pièce d'identité.",
        booking_contact="billetterie@chatelet.test",
        booking_email="",
        accessibility_motor=True,
        accessibility_visual=False,
        accessibility_hearing=False,
        accessibility_mental=False,
        external_ticket_office_url="",
        now=now,
    )
    category = offers.price_category_add(
        actor=actor, offer=offer, label=PRICE_LABEL, price_cents=2500, now=now
    )
    for day in days:
        offers.stocks_generate(
            actor=actor,
            offer=offer,
            rule=RecurrenceRule(
                mode=RecurrenceMode.ONCE, start_date=day, time_slots=(dt.time(20, 0),)
            ),
            quantities=[PriceCategoryQuantity(category.pk, 50)],
            now=now,
        )
    published = offers.offer_publish(actor=actor, offer=offer, now=now)
    assert published.validation == Offer.Validation.APPROVED
    return published


@pytest.fixture
def world(
    transactional_db: Any,
    settings: Any,
    staff_user: User,
    pro_a: User,
    structure_a: Offerer,
) -> World:
    settings.DEMO_MODE = False
    settings.IDENTITY_PROVIDER = identity.STAFF_REVIEW
    now = timezone.now()
    today = now.astimezone(PARIS).date()
    offerer = offerer_validate(
        actor=staff_user, offerer=structure_a, comment="Kbis vérifié.", now=now
    )
    venue = Venue.objects.get(offerer=offerer, is_head_office=True)
    offer = published_concert(
        pro_a, venue, [today + dt.timedelta(days=5), today + dt.timedelta(days=6)], now
    )
    date1, date2 = Stock.objects.filter(offer=offer).order_by("beginning_datetime")

    def book(first_name: str, stock: Stock) -> Booking:
        user = approved_beneficiary(
            staff_user, email=f"{first_name.lower()}@example.test", first_name=first_name, now=now
        )
        return booking_create(beneficiary=user, stock_id=stock.pk, quantity=1, now=now)

    return World(
        offerer=offerer,
        offer=offer,
        date1=date1,
        date2=date2,
        ines=book("Ines", date1),
        nora=book("Nora", date2),
        malik=book("Malik", date1),
    )


# --- locating things ---------------------------------------------------------------------------


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def french(value: dt.datetime, pattern: str) -> str:
    """``value`` in Paris time, formatted as the French pages do."""
    with translation.override("fr"):
        return dateformat.format(timezone.localtime(value, PARIS), pattern)


def french_time(value: dt.datetime) -> str:
    """« 20h00 », as the Guichet messages and the emails write times."""
    return french(value, r"H\hi")


def found_booking(page: Page) -> Locator:
    return page.get_by_role("region", name=re.compile(r"^Réservation [A-Z2-7]{6}$"))


def validated_panel(page: Page) -> Locator:
    """The success panel shown after "Valider"."""
    return page.get_by_role("status").filter(
        has=page.get_by_role(
            "heading", name=re.compile(r"^La contremarque [A-Z2-7]{6} est validée\.$")
        )
    )


def type_code(page: Page, code: str) -> None:
    field(page, "Contremarque").fill(code)
    page.get_by_role("button", name="Rechercher").click()


def status_of(booking: Booking) -> str:
    return Booking.objects.get(pk=booking.pk).status


# --- the steps ---------------------------------------------------------------------------------


def guichet_before_the_window(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("pro:offer_list", args=[world.offerer.pk]))
    page.get_by_role("navigation", name="Sections de la structure").get_by_role(
        "link", name="Guichet"
    ).click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Guichet")
    expect(found_booking(page)).to_have_count(0)
    check(page)
    screenshot(page, "00-guichet-empty")

    # An unknown code: the French error, tied to the field.
    type_code(page, UNKNOWN_CODE)
    expect_field_error(page, "Contremarque", NOT_FOUND)
    expect(found_booking(page)).to_have_count(0)
    check(page)
    screenshot(page, "01-guichet-unknown")

    # Malik may still cancel: the details, and from when the code can be validated.
    limit = world.malik.cancellation_limit
    assert limit == world.malik.booked_at + dt.timedelta(hours=48)
    type_code(page, world.malik.code.lower())
    booking = found_booking(page)
    expect(booking.get_by_role("alert")).to_have_text(
        "Cette réservation peut encore être annulée par le bénéficiaire : vous pourrez la "
        f"valider à partir du {french(limit, 'j F Y')} à {french_time(limit)}."
    )
    expect(booking.get_by_role("button", name="Valider")).to_have_count(0)
    check(page)
    screenshot(page, "02-guichet-too-early")
    assert status_of(world.malik) == Booking.Status.CONFIRMED


def guichet_validate_undo_validate(page: Page, check: Check, world: World) -> None:
    code = world.malik.code
    type_code(page, code.lower())
    booking = found_booking(page)
    expect(booking.get_by_role("heading")).to_have_text(f"Réservation {code}")
    expect(definition(booking, "Bénéficiaire")).to_have_text("Malik Moreau")
    expect(definition(booking, "Offre")).to_have_text(CONCERT)
    expect(definition(booking, "Date")).to_have_text(
        french(world.date1.beginning_datetime, "l j F Y, H:i")
    )
    expect(definition(booking, "Tarif")).to_have_text(PRICE_LABEL)
    expect(definition(booking, "Nombre de places")).to_have_text("1")
    expect(definition(booking, "Prix")).to_have_text("25,00 €")
    expect(definition(booking, "Statut")).to_have_text("confirmé")
    expect(booking.get_by_role("alert")).to_have_count(0)
    check(page)
    screenshot(page, "03-guichet-details")

    booking.get_by_role("button", name="Valider", exact=True).click()
    # What was validated, with its undo button, above an empty code field for the next one.
    panel = validated_panel(page)
    expect(page).to_have_url(re.compile(rf"\?valide={world.malik.pk}$"))
    expect(panel.get_by_role("heading")).to_have_text(f"La contremarque {code} est validée.")
    expect(definition(panel, "Bénéficiaire")).to_have_text("Malik Moreau")
    expect(definition(panel, "Offre")).to_have_text(CONCERT)
    expect(definition(panel, "Date")).to_have_text(
        french(world.date1.beginning_datetime, "l j F Y, H:i")
    )
    expect(definition(panel, "Tarif")).to_have_text(PRICE_LABEL)
    expect(definition(panel, "Nombre de places")).to_have_text("1")
    expect(definition(panel, "Prix")).to_have_text("25,00 €")
    expect(found_booking(page)).to_have_count(0)
    expect(field(page, "Contremarque")).to_have_value("")
    expect(field(page, "Contremarque")).to_be_focused()
    assert status_of(world.malik) == Booking.Status.USED
    check(page)
    screenshot(page, "04-guichet-validated")

    # Undone straight from the panel, after the confirmation.
    panel.get_by_role("button", name="Annuler la validation").click()
    expect(booking.get_by_role("alert")).to_contain_text(
        "Une réservation dont la validation est annulée ne vous sera pas remboursée, "
        "sauf si elle est de nouveau validée."
    )
    expect(validated_panel(page)).to_have_count(0)
    assert status_of(world.malik) == Booking.Status.USED  # nothing done before confirming
    check(page)
    screenshot(page, "05-guichet-undo-confirm")

    page.get_by_role("button", name="Oui, annuler la validation").click()
    expect_message(page, f"La validation de la contremarque {code} est annulée.")
    assert status_of(world.malik) == Booking.Status.CONFIRMED
    type_code(page, code.lower())
    expect(definition(booking, "Statut")).to_have_text("confirmé")

    booking.get_by_role("button", name="Valider", exact=True).click()
    expect(validated_panel(page).get_by_role("heading")).to_have_text(
        f"La contremarque {code} est validée."
    )
    assert status_of(world.malik) == Booking.Status.USED

    # Looked up again: validated, with the time, and the undo button; the panel is gone.
    type_code(page, code)
    expect(validated_panel(page)).to_have_count(0)
    expect(definition(booking, "Statut")).to_contain_text("validé")
    expect(definition(booking, "Statut")).to_contain_text(
        "validée le " + french(timezone.now(), "j F Y")
    )
    expect(booking.get_by_role("alert")).to_contain_text("déjà été validée")
    expect(booking.get_by_role("button", name="Annuler la validation")).to_be_visible()
    check(page)
    screenshot(page, "05b-guichet-looked-up-validated")


def postpone_date1(page: Page, check: Check, world: World) -> dt.datetime:
    """Postpone date 1 by three days, at 21:30 Paris time; return the new start."""
    new_start = dt.datetime.combine(
        world.date1.beginning_datetime.astimezone(PARIS).date() + dt.timedelta(days=3),
        dt.time(21, 30),
        tzinfo=PARIS,
    )
    page.get_by_role("navigation", name="Sections de la structure").get_by_role(
        "link", name="Offres"
    ).click()
    page.get_by_role("link", name=CONCERT).click()
    expect(heading(page)).to_have_text(CONCERT)
    dates = page.get_by_role("region", name="Dates")
    rows = dates.locator("table.stocks tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_role("cell").nth(2)).to_have_text("2")  # booked: Inès, Malik
    expect(rows.nth(1).get_by_role("cell").nth(2)).to_have_text("1")  # Nora
    check(page)
    screenshot(page, "06-offer")

    when = french(world.date1.beginning_datetime, "j F Y H:i")
    link(dates, f"Reporter la date du {when} ({PRICE_LABEL})").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Reporter cette date")
    expect(definition(page, "Date actuelle")).to_have_text(
        french(world.date1.beginning_datetime, "l j F Y, H:i")
    )
    expect(definition(page, "Réservations en cours")).to_have_text("2")
    check(page)
    screenshot(page, "07-postpone-form")

    field(page, "Nouvelle date et heure").fill(new_start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Reporter", exact=True).click()
    expect_message(page, "La date est reportée : les bénéficiaires sont prévenus par email.")
    expect(heading(page)).to_have_text(CONCERT)
    expect(rows.nth(1).get_by_role("rowheader")).to_contain_text(french(new_start, "j F Y, H:i"))
    assert Stock.objects.get(pk=world.date1.pk).beginning_datetime == new_start
    # More than 2 days away: Malik's validation is undone; both may cancel for 48 h.
    assert status_of(world.malik) == Booking.Status.CONFIRMED
    assert status_of(world.ines) == Booking.Status.CONFIRMED
    return new_start


def cancel_date2(page: Page, check: Check, world: World) -> None:
    dates = page.get_by_role("region", name="Dates")
    when = french(world.date2.beginning_datetime, "j F Y H:i")
    trash = dates.get_by_role("link", name=f"Annuler la date du {when} ({PRICE_LABEL})")
    expect(trash).to_have_attribute("title", "Annuler cette date et ses réservations")
    trash.click()

    expect(page.get_by_role("heading", level=2)).to_have_text("Annuler cette date ?")
    expect(definition(page, "Date et heure")).to_have_text(
        french(world.date2.beginning_datetime, "l j F Y, H:i")
    )
    expect(page.locator(".message-warning")).to_contain_text("1 réservation sera annulée.")
    assert status_of(world.nora) == Booking.Status.CONFIRMED
    check(page)
    screenshot(page, "08-cancel-confirm")

    page.get_by_role("button", name="Annuler la date").click()
    expect_message(
        page,
        "La date est annulée. 1 réservation annulée : le bénéficiaire est prévenu par email.",
    )
    nora = Booking.objects.get(pk=world.nora.pk)
    assert nora.status == Booking.Status.CANCELLED
    assert nora.cancellation_reason == Booking.CancellationReason.OFFERER


def bookings_tab(page: Page, check: Check, world: World) -> None:
    page.get_by_role("navigation", name="Sections de l'offre").get_by_role(
        "link", name="Réservations"
    ).click()
    table = page.locator("table.bookings")
    expect(table.locator("tbody tr")).to_have_count(3)

    def row(booking: Booking) -> Locator:
        return table.locator("tbody tr").filter(has_text=booking.code)

    expect(row(world.nora).locator(".status")).to_have_text("annulé")
    expect(row(world.nora)).to_contain_text("annulée par la structure")
    # Postponed: both may cancel again for 48 h, hence « réservé ».
    expect(row(world.ines).locator(".status")).to_have_text("réservé")
    expect(row(world.malik).locator(".status")).to_have_text("réservé")
    check(page)
    screenshot(page, "09-bookings-tab")


def log_in(page: Page, check: Check, email: str, first_name: str) -> None:
    page.context.clear_cookies()
    page.goto(reverse("accounts:login"))
    expect(heading(page)).to_have_text("Se connecter")
    check(page)
    field(page, "Adresse email").fill(email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("app:home")) + "$"))
    expect(heading(page)).to_have_text(f"Bonjour {first_name} !")


def ines_sees_the_new_date(page: Page, check: Check, world: World, new_start: dt.datetime) -> None:
    log_in(page, check, "ines@example.test", "Ines")
    page.get_by_role("link", name="Mes réservations").first.click()
    expect(heading(page)).to_have_text("Mes réservations")
    upcoming = page.get_by_role("region", name="À venir")
    expect(upcoming.locator("li")).to_have_count(1)
    expect(upcoming).to_contain_text(french(new_start, "l j F Y, H:i"))
    check(page)
    screenshot(page, "10-ines-bookings")

    upcoming.get_by_role("link", name=CONCERT).click()
    expect(heading(page)).to_have_text(CONCERT)
    expect(page.locator(".status")).to_have_text("confirmée")
    expect(definition(page, "Date")).to_have_text(french(new_start, "l j F Y, H:i"))
    # A postponed booking may be cancelled for 48 h again.
    limit = Booking.objects.get(pk=world.ines.pk).cancellation_limit
    assert limit is not None
    assert limit > timezone.now() + dt.timedelta(hours=47)
    expect(page.get_by_role("region", name="Annuler")).to_contain_text(
        f"Vous pouvez annuler jusqu'au {french(limit, 'l j F Y à H:i')}"
    )
    check(page)
    screenshot(page, "11-ines-booking")

    [email] = [m for m in emails_to("ines@example.test") if "reporté" in str(m.subject)]
    assert email.subject == (
        f"« {CONCERT} » est reporté au {french(new_start, 'j F Y')} à {french_time(new_start)}"
    )
    assert f"Nouvelle date : {french(new_start, 'j F Y')} à 21h30." in str(email.body)
    assert world.ines.code in str(email.body)


def nora_sees_the_cancellation(page: Page, check: Check, world: World) -> None:
    log_in(page, check, "nora@example.test", "Nora")
    page.get_by_role("link", name="Mes réservations").first.click()
    expect(page.get_by_role("region", name="À venir")).to_contain_text(
        "Aucune réservation à venir."
    )
    past = page.get_by_role("region", name="Terminées ou annulées")
    expect(past.locator("li")).to_have_count(1)
    expect(past.locator(".status")).to_have_text("annulée")
    check(page)
    screenshot(page, "12-nora-bookings")

    past.get_by_role("link", name=CONCERT).click()
    expect(page.locator(".status")).to_have_text("annulée")
    cancelled = Booking.objects.get(pk=world.nora.pk)
    assert cancelled.cancelled_at is not None
    expect(definition(page, "Annulation")).to_have_text(
        f"Annulée par la structure, le {french(cancelled.cancelled_at, 'l j F Y à H:i')}"
    )
    expect(page.get_by_role("button", name="Annuler ma réservation")).to_have_count(0)
    expect(page.locator(".qr")).to_have_count(0)
    check(page)
    screenshot(page, "13-nora-booking")

    # Her 25 € are back.
    page.get_by_role("link", name="Mon crédit").first.click()
    expect(page.locator(".credit-balance")).to_have_text("150,00 € disponibles")

    [email] = [m for m in emails_to("nora@example.test") if "annulée" in str(m.subject)]
    assert email.subject == f"Votre réservation pour « {CONCERT} » a été annulée par l'organisateur"
    body = str(email.body)
    assert f"votre réservation {world.nora.code} est annulée" in body
    assert french(world.date2.beginning_datetime, "j F Y") in body
    assert "25,00 € ont été recrédités" in body


# --- the test ----------------------------------------------------------------------------------


def test_box_office_validates_undoes_and_a_pro_postpones_and_cancels_dates(
    page: Page, world: World, login: Callable[[Any, Any], None], assert_accessible: Check
) -> None:
    pro = User.objects.get(email="pro-a@structure-a.test")
    login(page, pro)
    guichet_before_the_window(page, assert_accessible, world)

    # Past Malik's cancellation window, still three days before the concert.
    assert world.malik.cancellation_limit is not None
    later = world.malik.cancellation_limit + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=True):
        guichet_validate_undo_validate(page, assert_accessible, world)
        new_start = postpone_date1(page, assert_accessible, world)
        cancel_date2(page, assert_accessible, world)
        bookings_tab(page, assert_accessible, world)
        ines_sees_the_new_date(page, assert_accessible, world, new_start)
        nora_sees_the_cancellation(page, assert_accessible, world)
