"""A young person's journey in the beneficiary app, on a phone-sized screen, in real Chromium.

Inès, 18, signed up and approved through the services (150 €, living in Paris 11e), logs in
through the real login page and lands on /app/. She searches "festival": the Paris festival
comes first with its distance, the Marseille one after it; the 50 km filter keeps Paris only.
The offer page shows the dates, the two price categories, the seats left and the withdrawal.
She books a duo (date → price category → 2 seats → confirmation with the price and the credit
left), gets a 6-character code and a QR code, downloads the .ics (parsed with icalendar),
sees until when she may cancel, cancels, and her credit is 150 € again with the booking and
the refund in its history. Then Hugo, 17, logs in: his credit is 50 €, and a duo at 2 x 35 €
is refused in French on the confirmation page. axe checks every distinct page.

Set ``BROWSER_SHOTS_DIR=/tmp/shots-app`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from browser_helpers import definition, expect_message, field, link, screenshot
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from playwright.sync_api import Locator, Page, ViewportSize, expect

from culturepass.accounts.models import User
from culturepass.accounts.services import email_verification_token, user_verify_email
from culturepass.bookings.models import Booking
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
PHONE: ViewportSize = {"width": 390, "height": 844}  # a common phone screen, in CSS pixels
CODE = re.compile(r"^[ABCDEFGHJKLMNPQRSTUVWXYZ234567]{6}$")

FESTIVAL = "Festival Lumières d'été"
FAR_FESTIVAL = "Festival du Vieux-Port"
DAY_PASS, EVENING_PASS = "Pass journée", "Pass soirée"
SEATS = 40

Check = Callable[..., None]


@dataclass(frozen=True)
class World:
    festival: Offer
    far_festival: Offer
    adult: User  # 18, 150 €
    minor: User  # 17, 50 €


# --- setup through the services ----------------------------------------------------------------


def born(age: int, today: dt.date) -> dt.date:
    """Someone ``age`` today, whose birthday was a month ago."""
    day = today - dt.timedelta(days=30)
    return day.replace(year=day.year - age, day=min(day.day, 28))


def approved_beneficiary(
    staff: User, *, email: str, first_name: str, age: int, postal_code: str, now: dt.datetime
) -> User:
    """Signed up, email verified, identity approved by staff: the grant for the age is paid."""
    user = beneficiary_signup(
        email=email,
        password=PASSWORD,
        first_name=first_name,
        last_name="Moreau",
        birth_date=born(age, now.astimezone(PARIS).date()),
        phone="06 12 34 56 78",
        street="10 rue de la Roquette",
        postal_code=postal_code,
        city="Paris",
        now=now,
    )
    user_verify_email(token=email_verification_token(user=user, now=now), now=now)
    identity_approve(actor=staff, user=user, now=now)
    return User.objects.get(pk=user.pk)


def published_festival(
    actor: User,
    venue: Venue,
    *,
    name: str,
    prices: dict[str, int],
    days: list[dt.date],
    now: dt.datetime,
) -> Offer:
    """A music festival, duo, on-site withdrawal, one 20:00 occurrence per price and day."""
    offer = offers.offer_create_draft(
        actor=actor, venue=venue, subcategory_id="FESTIVAL_MUSIQUE", now=now
    )
    offers.offer_update_description(
        actor=actor,
        offer=offer,
        name=name,
        description="Trois scènes en plein air, de l'électro au jazz.",
        extra_data={"musicType": "880"},  # Electro
        duration_minutes=240,
        now=now,
    )
    offers.offer_update_practical_info(
        actor=actor,
        offer=offer,
        withdrawal_type="on_site",
        withdrawal_delay_seconds=3600,
        withdrawal_details="Retrait des billets à l'accueil du festival avec une pièce d'identité.",
        booking_contact="billetterie@festival-lumieres.test",
        booking_email="",
        accessibility_motor=True,
        accessibility_visual=False,
        accessibility_hearing=False,
        accessibility_mental=False,
        external_ticket_office_url="",
        now=now,
    )
    categories = [
        offers.price_category_add(actor=actor, offer=offer, label=label, price_cents=cents, now=now)
        for label, cents in prices.items()
    ]
    for day in days:
        offers.stocks_generate(
            actor=actor,
            offer=offer,
            rule=RecurrenceRule(
                mode=RecurrenceMode.ONCE, start_date=day, time_slots=(dt.time(20, 0),)
            ),
            quantities=[PriceCategoryQuantity(c.pk, SEATS) for c in categories],
            now=now,
        )
    offers.offer_set_duo(actor=actor, offer=offer, is_duo=True, now=now)
    published = offers.offer_publish(actor=actor, offer=offer, now=now)
    assert published.validation == Offer.Validation.APPROVED
    return published


@pytest.fixture
def world(
    transactional_db: Any,
    settings: Any,
    staff_user: User,
    pro_a: User,
    pro_b: User,
    structure_a: Offerer,
    structure_b: Offerer,
) -> World:
    settings.DEMO_MODE = False
    settings.IDENTITY_PROVIDER = identity.STAFF_REVIEW  # staff approve, as in production
    now = timezone.now()
    today = now.astimezone(PARIS).date()
    for structure in (structure_a, structure_b):
        offerer_validate(actor=staff_user, offerer=structure, comment="Kbis vérifié.", now=now)
    paris = Venue.objects.get(offerer=structure_a, is_head_office=True)  # Paris 1er
    marseille = Venue.objects.get(offerer=structure_b, is_head_office=True)
    festival = published_festival(
        pro_a,
        paris,
        name=FESTIVAL,
        prices={DAY_PASS: 3500, EVENING_PASS: 2000},
        days=[today + dt.timedelta(days=10), today + dt.timedelta(days=11)],
        now=now,
    )
    far_festival = published_festival(
        pro_b,
        marseille,
        name=FAR_FESTIVAL,
        prices={DAY_PASS: 2500},
        days=[today + dt.timedelta(days=9)],  # sooner: only the distance puts it second
        now=now,
    )
    return World(
        festival=festival,
        far_festival=far_festival,
        adult=approved_beneficiary(
            staff_user,
            email="ines@example.test",
            first_name="Inès",
            age=18,
            postal_code="75011",
            now=now,
        ),
        minor=approved_beneficiary(
            staff_user,
            email="hugo@example.test",
            first_name="Hugo",
            age=17,
            postal_code="75011",
            now=now,
        ),
    )


# --- locating things -----------------------------------------------------------------------------


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def card(scope: Any, name: str) -> Locator:
    """The offer card titled ``name`` in ``scope`` (a page or a locator)."""
    # ``has`` is matched inside each card: it must not start from ``scope`` again.
    page = getattr(scope, "page", scope)
    return scope.locator(".offer-card").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def french(value: dt.datetime, pattern: str) -> str:
    """``value`` in Paris time, formatted as the French pages do."""
    with translation.override("fr"):
        return dateformat.format(timezone.localtime(value, PARIS), pattern)


def balance(page: Page) -> Locator:
    return page.locator(".credit-balance")


# --- the steps -------------------------------------------------------------------------------------


def log_in(page: Page, check: Check, user: User) -> None:
    page.goto(reverse("accounts:login"))
    expect(heading(page)).to_have_text("Se connecter")
    check(page)
    screenshot(page, f"00-login-{user.email.split('@')[0]}")
    field(page, "Adresse email").fill(user.email)
    field(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # Young people land in their app, not in the pro portal.
    expect(page).to_have_url(re.compile(re.escape(reverse("app:home")) + "$"))
    expect(heading(page)).to_have_text(f"Bonjour {user.first_name} !")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect_message(page, "Vous êtes déconnecté.")


def home_and_search(page: Page, check: Check, world: World) -> None:
    # The home page lists what is near her address: the Paris festival, not Marseille.
    near = page.get_by_role("region", name="Près de chez vous")
    expect(card(near, FESTIVAL)).to_be_visible()
    expect(card(near, FAR_FESTIVAL)).to_have_count(0)
    check(page)
    screenshot(page, "01-home")

    page.get_by_role("searchbox", name="Rechercher une offre").fill("festival")
    page.get_by_role("button", name="Rechercher").click()

    expect(heading(page)).to_have_text("Rechercher une offre")
    results = page.get_by_role("region", name="Résultats")
    cards = results.locator(".offer-card")
    # Both festivals match; the nearer one first, each with its distance from her address.
    expect(cards).to_have_count(2)
    expect(cards.nth(0).get_by_role("heading")).to_have_text(FESTIVAL)
    expect(cards.nth(1).get_by_role("heading")).to_have_text(FAR_FESTIVAL)
    expect(cards.nth(0)).to_contain_text(re.compile(r"à \d,\d km"))  # Paris 1er → 11e
    expect(cards.nth(1)).to_contain_text(re.compile(r"à 6\d\d km"))  # Marseille
    expect(cards.nth(0)).to_contain_text("dès 20,00 €")
    expect(cards.nth(0).locator(".badge")).to_have_text("Duo")
    check(page)
    screenshot(page, "02-search-festival")

    # Within 50 km, only Paris is left. The filters are folded after a text search: on a
    # phone they would push the results out of sight.
    filters = page.locator("form.search-form details")
    expect(filters).not_to_have_attribute("open", re.compile(".*"))
    filters.locator("summary").click()
    field(page, "Distance maximale").select_option(label="50 km")
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"rayon=50"))
    expect(field(page, "Rechercher")).to_have_value("festival")
    expect(cards).to_have_count(1)
    expect(cards.first.get_by_role("heading")).to_have_text(FESTIVAL)
    expect(filters).to_have_attribute("open", "")  # a filter is on: they stay unfolded
    check(page)
    screenshot(page, "03-search-50km")

    cards.first.get_by_role("link", name=FESTIVAL).click()


def offer_page(page: Page, check: Check, world: World) -> Stock:
    """The offer page; returns the occurrence she books (first date, day pass)."""
    offer = world.festival
    expect(heading(page)).to_have_text(FESTIVAL)
    expect(page.locator(".offer-page header .offer-meta")).to_contain_text("Festival de musique")
    expect(page.get_by_role("region", name="Où ?")).to_contain_text(
        re.compile(r"À \d,\d km de vous")
    )

    stocks = list(
        Stock.objects.filter(offer=offer)
        .select_related("price_category")
        .order_by("beginning_datetime", "price_category__price_cents")
    )
    assert len(stocks) == 4
    dates = page.locator("ul.dates > li")
    expect(dates).to_have_count(2)
    first_date = dates.nth(0)
    expect(first_date.get_by_role("heading", level=3)).to_have_text(
        french(stocks[0].beginning_datetime, "l j F Y, H:i")
    )
    expect(first_date.get_by_role("heading", level=3)).to_contain_text("20:00")
    prices = first_date.locator(".price-choices > li")
    expect(prices).to_have_count(2)
    expect(prices.filter(has_text=EVENING_PASS)).to_contain_text("20,00 €")
    expect(prices.filter(has_text=DAY_PASS)).to_contain_text("35,00 €")
    expect(prices.filter(has_text=DAY_PASS)).to_contain_text(f"{SEATS} places restantes")

    withdrawal = page.get_by_role("region", name="Retrait")
    expect(definition(withdrawal, "Modalité")).to_have_text("Retrait sur place")
    expect(definition(withdrawal, "Délai")).to_contain_text("avant le début")
    expect(definition(withdrawal, "Informations")).to_contain_text("pièce d'identité")
    expect(page.locator("main")).to_contain_text("Offre duo")
    check(page)
    screenshot(page, "04-offer")

    stock = next(s for s in stocks[:2] if s.price_category.label == DAY_PASS)
    prices.filter(has_text=DAY_PASS).get_by_role("button", name=re.compile(r"^Réserver")).click()
    return stock


def book_a_duo(page: Page, check: Check, stock: Stock) -> Booking:
    expect(heading(page)).to_have_text("Réserver")
    expect(definition(page, "Tarif")).to_have_text(f"{DAY_PASS} · 35,00 €")
    expect(definition(page, "Date")).to_have_text(french(stock.beginning_datetime, "l j F Y, H:i"))
    seats = page.get_by_role("group", name="Nombre de places")
    expect(seats.get_by_role("radio")).to_have_count(2)
    expect(seats.get_by_role("radio", name="1 place")).to_be_checked()
    check(page)
    screenshot(page, "05-book-seats")

    seats.get_by_role("radio", name="2 places (duo)").check()
    page.get_by_role("button", name="Continuer").click()

    expect(heading(page)).to_have_text("Confirmer la réservation")
    expect(definition(page, "Places")).to_have_text("2")
    expect(definition(page, "Total")).to_have_text("70,00 €")
    expect(definition(page, "Votre crédit")).to_have_text("150,00 €")
    expect(definition(page, "Crédit restant après réservation")).to_have_text("80,00 €")
    check(page)
    screenshot(page, "06-book-confirm")
    assert not Booking.objects.exists()  # nothing is booked before she confirms

    page.get_by_role("button", name="Confirmer ma réservation").click()

    booking = Booking.objects.get()
    expect(page).to_have_url(
        re.compile(re.escape(reverse("app:booking_detail", args=[booking.pk])) + "$")
    )
    assert (booking.stock_id, booking.quantity, booking.amount_cents) == (stock.pk, 2, 7000)
    return booking


def booking_page(page: Page, check: Check, booking: Booking) -> None:
    expect_message(page, f"Réservation confirmée. Votre code : {booking.code}")
    expect(heading(page)).to_have_text(FESTIVAL)
    code = page.locator(".booking-code .code")
    expect(code).to_have_text(booking.code)
    assert CODE.fullmatch(code.inner_text().strip())
    qr = page.get_by_role("img", name=f"QR code de la réservation {booking.code}")
    expect(qr.locator("svg")).to_be_visible()
    box = qr.locator("svg").bounding_box()
    assert box is not None
    assert box["width"] >= 120, box  # large enough to scan
    expect(page.locator(".status")).to_have_text("confirmée")
    expect(definition(page, "Places")).to_have_text("2")
    expect(definition(page, "Montant")).to_have_text("70,00 €")
    withdrawal = page.get_by_role("region", name="Retrait")
    expect(definition(withdrawal, "Informations")).to_contain_text("accueil du festival")

    # The calendar file: one event, the festival, at the occurrence's start.
    with page.expect_download() as download_info:
        link(page, "Ajouter à mon calendrier (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == f"reservation-{booking.code}.ics"
    calendar = icalendar.Calendar.from_ical(download.path().read_bytes())
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == FESTIVAL
    assert event.decoded("dtstart") == booking.stock.beginning_datetime
    assert booking.code in str(event["description"])

    # Booked ten days ahead: she may cancel for 48 hours.
    assert booking.cancellation_limit == booking.booked_at + dt.timedelta(hours=48)
    cancel = page.get_by_role("region", name="Annuler")
    expect(cancel).to_contain_text(
        f"Vous pouvez annuler jusqu'au {french(booking.cancellation_limit, 'l j F Y à H:i')}"
    )
    check(page)
    screenshot(page, "07-booking")

    cancel.get_by_role("button", name="Annuler ma réservation").click()

    expect_message(page, "Réservation annulée : le montant est revenu sur votre crédit.")
    expect(page.locator(".status")).to_have_text("annulée")
    expect(page.get_by_role("button", name="Annuler ma réservation")).to_have_count(0)
    expect(page.locator(".qr")).to_have_count(0)  # nothing to scan any more
    assert Booking.objects.get().status == Booking.Status.CANCELLED
    check(page)
    screenshot(page, "08-booking-cancelled")


def credit_is_back(page: Page, check: Check) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mon crédit"
    ).click()
    expect(heading(page)).to_have_text("Mon crédit")
    expect(balance(page)).to_have_text("150,00 € disponibles")
    expect(definition(page, "Dépensé")).to_have_text("0,00 €")
    rows = page.get_by_role("table").locator("tbody tr")
    # The most recent first: the refund, the booking, the grant.
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(f"Annulation : {FESTIVAL}")
    expect(rows.nth(0)).to_contain_text("+70,00 €")
    expect(rows.nth(1)).to_contain_text(FESTIVAL)
    expect(rows.nth(1)).to_contain_text("\u221270,00 €")
    expect(rows.nth(2)).to_contain_text("Crédit de vos 18 ans")
    expect(rows.nth(2)).to_contain_text("+150,00 €")
    check(page)
    screenshot(page, "09-credit")

    # The list of bookings has it among the cancelled ones.
    page.get_by_role("link", name="Mes réservations").click()
    expect(page.get_by_role("region", name="À venir")).to_contain_text(
        "Aucune réservation à venir."
    )
    expect(page.get_by_role("region", name="Terminées ou annulées")).to_contain_text(FESTIVAL)
    check(page)
    screenshot(page, "10-bookings")


def minor_has_50_euros(page: Page, check: Check, world: World) -> None:
    log_in(page, check, world.minor)
    page.get_by_role("link", name="Mon crédit").click()
    expect(balance(page)).to_have_text("50,00 € disponibles")
    expect(page.get_by_role("table").locator("tbody tr")).to_have_text(
        [re.compile(r"Crédit de vos 17 ans.*\+50,00 €")]
    )
    screenshot(page, "11-credit-17")

    # A duo at 2 x 35 € is more than his 50 €: refused, in French, nothing booked.
    stock = Stock.objects.filter(offer=world.festival, price_category__label=DAY_PASS).earliest(
        "beginning_datetime"
    )
    page.goto(reverse("app:book", args=[stock.pk]))
    page.get_by_role("radio", name="2 places (duo)").check()
    page.get_by_role("button", name="Continuer").click()
    expect(definition(page, "Total")).to_have_text("70,00 €")
    expect(definition(page, "Crédit restant après réservation")).to_have_text("crédit insuffisant")
    page.get_by_role("button", name="Confirmer ma réservation").click()

    expect(page.get_by_role("alert")).to_contain_text("crédit")
    assert not Booking.objects.filter(beneficiary=world.minor).exists()
    check(page)
    screenshot(page, "12-book-refused")

    page.get_by_role("link", name="Mon crédit").click()
    expect(balance(page)).to_have_text("50,00 € disponibles")


def on_a_phone(assert_accessible: Check) -> Check:
    """axe, and the page fits the phone's width: no sideways scrolling."""

    def check(page: Page) -> None:
        assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{page.url} is {width} px wide on a phone"

    return check


# --- the test ----------------------------------------------------------------------------------


def test_a_young_person_books_a_festival_duo_cancels_it_and_gets_the_credit_back(
    page: Page, world: World, assert_accessible: Check
) -> None:
    page.set_viewport_size(PHONE)
    check = on_a_phone(assert_accessible)

    log_in(page, check, world.adult)
    home_and_search(page, check, world)
    stock = offer_page(page, check, world)
    booking = book_a_duo(page, check, stock)
    booking_page(page, check, booking)
    credit_is_back(page, check)
    log_out(page)

    minor_has_50_euros(page, check, world)
