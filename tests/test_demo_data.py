"""The demo data loads through the real services, and loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.collective.models import (
    CollectiveBooking,
    CollectiveOffer,
    CollectiveRequest,
    ReferencingApplication,
    School,
    SchoolBudget,
    SchoolMember,
    school_year_of,
)
from culturepass.collective.selectors import offerer_is_referenced
from culturepass.core.demo import DEMO_PASSWORD, load_demo
from culturepass.core.models import AuditEntry
from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant
from culturepass.credit.schemes import age_on
from culturepass.finance import selectors as finance_selectors
from culturepass.finance.invoices import invoice_pdf
from culturepass.finance.models import (
    BankAccount,
    FinanceEvent,
    Invoice,
    Payment,
    PaymentRun,
    Pricing,
    VenueBankAccountLink,
    VenuePricingPointLink,
)
from culturepass.finance.services import bank_accounts_under_review
from culturepass.notifications.models import OutboxEmail
from culturepass.offerers.models import Offerer, TerritorialContact, Venue
from culturepass.offers.models import Offer, PriceCategory, Stock, ValidationRule
from culturepass.offers.selectors import annotate_offers
from culturepass.offers.status import OfferDisplayStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    # The demo's bank documents never land in the developer's data directory.
    settings.PRIVATE_ROOT = tmp_path / "private"


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Offerer.objects.count(),
        Venue.objects.count(),
        TerritorialContact.objects.count(),
        AuditEntry.objects.count(),
        Offer.objects.count(),
        PriceCategory.objects.count(),
        Stock.objects.count(),
        ValidationRule.objects.count(),
        OutboxEmail.objects.count(),
        BeneficiaryProfile.objects.count(),
        CreditAccount.objects.count(),
        CreditGrant.objects.count(),
        BankAccount.objects.count(),
        VenueBankAccountLink.objects.count(),
        VenuePricingPointLink.objects.count(),
        FinanceEvent.objects.count(),
        Pricing.objects.count(),
        PaymentRun.objects.count(),
        Payment.objects.count(),
        Invoice.objects.count(),
        School.objects.count(),
        SchoolBudget.objects.count(),
        SchoolMember.objects.count(),
        ReferencingApplication.objects.count(),
        CollectiveOffer.objects.count(),
        CollectiveRequest.objects.count(),
        CollectiveBooking.objects.count(),
    )


def _statuses(offerer: Offerer, now) -> dict[str, str]:
    offers = annotate_offers(Offer.objects.filter(offerer=offerer), now=now)
    return {offer.name: offer.display_status for offer in offers}


def test_demo_has_a_festival_with_two_venues_one_without_siret_and_a_second_structure():
    load_demo(now=timezone.now(), site_url="http://testserver")
    festival = Offerer.objects.get(name="Festival des Nuits d'Été")
    assert festival.status == Offerer.Status.VALIDATED
    venues = list(festival.venues.order_by("name"))
    assert len(venues) == 2
    assert sorted(bool(v.siret) for v in venues) == [False, True]
    assert all(v.latitude is not None and v.longitude is not None for v in venues)
    theatre = Offerer.objects.get(name="Théâtre du Grand Marché")
    assert theatre.status == Offerer.Status.NEW
    assert theatre.venues.get().timezone == "Indian/Reunion"
    assert User.objects.get(email="admin@culturepass.demo").has_perm("accounts.homologation")


def test_loading_the_demo_twice_changes_nothing():
    load_demo(now=timezone.now(), site_url="http://testserver")
    first = _counts()
    statuses = _statuses(Offerer.objects.get(name="Festival des Nuits d'Été"), timezone.now())
    load_demo(now=timezone.now(), site_url="http://testserver")
    assert _counts() == first
    assert (
        _statuses(Offerer.objects.get(name="Festival des Nuits d'Été"), timezone.now()) == statuses
    )


def test_the_festival_has_an_offer_in_every_displayed_status():
    # Every status of SPEC §2 can exist before bookings do: SOLD_OUT comes from dates
    # created with 0 seats (bookings arrive with a later issue).
    now = timezone.now()
    load_demo(now=now, site_url="http://testserver")
    festival = Offerer.objects.get(name="Festival des Nuits d'Été")

    statuses = _statuses(festival, now)

    assert set(statuses.values()) == set(OfferDisplayStatus.values)
    assert statuses["Atelier percussions corporelles"] == OfferDisplayStatus.DRAFT
    assert statuses["Pass VIP 3 jours — accès backstage"] == OfferDisplayStatus.PENDING
    assert statuses["Soirée dégustation et DJ set"] == OfferDisplayStatus.REJECTED
    assert statuses["Sieste musicale au bord du Rhône"] == OfferDisplayStatus.INACTIVE
    assert statuses["Concert de clôture : Chœur des Pentes"] == OfferDisplayStatus.SCHEDULED
    assert statuses["Ciné-concert : Metropolis"] == OfferDisplayStatus.PUBLISHED
    assert statuses["Avant-première du festival"] == OfferDisplayStatus.EXPIRED
    assert statuses["Concert intimiste en appartement"] == OfferDisplayStatus.SOLD_OUT
    assert statuses["Concert d'ouverture : Les Ondes Magnétiques"] == OfferDisplayStatus.ACTIVE
    rejected = Offer.objects.get(name="Soirée dégustation et DJ set")
    assert rejected.rejection_reason
    draft = Offer.objects.get(name="Atelier percussions corporelles")
    assert draft.wizard_step == "duo"  # resumes at the dates step
    assert not draft.stocks.exists()


def test_the_festival_sells_one_offer_per_pass():
    now = timezone.now()
    load_demo(now=now, site_url="http://testserver")
    for name in ("Pass 1 jour — vendredi", "Pass 1 jour — samedi", "Pass 3 jours"):
        offer = Offer.objects.get(name=name)
        assert offer.subcategory_id == "FESTIVAL_MUSIQUE"
        assert offer.withdrawal_type == Offer.Withdrawal.ON_SITE
        assert offer.withdrawal_delay_seconds
        assert offer.price_categories.count() == 1
        assert offer.stocks.count() == 1
        assert _statuses(offer.offerer, now)[name] == OfferDisplayStatus.ACTIVE


def test_the_show_plays_every_day_for_two_weeks_at_two_times():
    now = timezone.now()
    load_demo(now=now, site_url="http://testserver")
    show = Offer.objects.get(name="Le Petit Prince sous chapiteau")
    assert show.is_duo
    assert sorted(show.price_categories.values_list("label", "price_cents")) == [
        ("Moins de 18 ans", 1200),
        ("Plein tarif", 1800),
    ]
    zone = ZoneInfo(show.timezone)
    local = [s.beginning_datetime.astimezone(zone) for s in show.stocks.all()]
    assert len({t.date() for t in local}) == 14
    assert {t.time() for t in local} == {dt.time(15, 0), dt.time(20, 30)}
    assert len(local) == 14 * 2 * 2


def test_the_theatre_in_la_reunion_has_an_offer_at_local_time():
    now = timezone.now()
    load_demo(now=now, site_url="http://testserver")
    offer = Offer.objects.get(offerer__name="Théâtre du Grand Marché")
    assert offer.timezone == "Indian/Reunion"
    stock = offer.stocks.get()
    assert stock.beginning_datetime.astimezone(ZoneInfo("Indian/Reunion")).time() == dt.time(19)


def test_the_demo_loads_quickly():
    start = time.perf_counter()
    load_demo(now=timezone.now(), site_url="http://testserver")
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    "email",
    [
        "admin@culturepass.demo",
        "festival@culturepass.demo",
        "theatre@culturepass.demo",
        "jeune18@culturepass.demo",
        "jeune17@culturepass.demo",
    ],
)
def test_printed_demo_logins_work(email, capsys):
    call_command("demo_data")
    out = capsys.readouterr().out
    assert email in out
    assert DEMO_PASSWORD in out
    client = Client()
    response = client.post("/compte/connexion/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]


@pytest.mark.parametrize(
    ("email", "age", "department", "credit_cents"),
    [("jeune18@culturepass.demo", 18, "69", 15000), ("jeune17@culturepass.demo", 17, "69", 5000)],
)
def test_the_demo_has_two_verified_beneficiaries_with_credit(email, age, department, credit_cents):
    now = timezone.now()
    load_demo(now=now, site_url="http://testserver")
    user = User.objects.get(email=email)
    assert user.is_beneficiary
    assert user.email_verified_at is not None
    profile = user.beneficiary
    assert profile.identity_status == BeneficiaryProfile.Identity.VERIFIED
    assert age_on(profile.birth_date, timezone.localdate()) == age
    assert profile.department_code == department
    assert user.credit.granted_cents == credit_cents
    # Spent = the live demo bookings (the cancelled one gave its amount back).
    live = user.bookings.exclude(status="CANCELLED")
    assert user.credit.spent_cents == sum(b.amount_cents for b in live)


def test_demo_young_people_have_bookings_live_duo_and_cancelled():
    from culturepass.bookings.models import Booking

    load_demo(now=timezone.now(), site_url="http://testserver")
    load_demo(now=timezone.now(), site_url="http://testserver")
    young18 = Booking.objects.filter(beneficiary__email="jeune18@culturepass.demo")
    assert young18.filter(status=Booking.Status.CONFIRMED, quantity=2).exists()
    assert young18.filter(status=Booking.Status.CANCELLED).count() == 1
    assert Booking.objects.filter(beneficiary__email="jeune17@culturepass.demo").count() == 1


def test_demo_home_has_highlight_blocks_with_visible_offers():
    from culturepass.highlights.selectors import home_blocks

    load_demo(now=timezone.now(), site_url="http://testserver")
    load_demo(now=timezone.now(), site_url="http://testserver")
    blocks = home_blocks(now=timezone.now(), region_code="84")
    titles = [b.block.title for b in blocks]
    assert "Les immanquables de l'été" in titles
    assert "Sortir à Lyon" in titles
    assert all(b.hits for b in blocks)


def test_the_festival_shows_finance_in_every_state():
    now = timezone.now()
    load_demo(now=now, site_url="http://testserver")
    load_demo(now=timezone.now(), site_url="http://testserver")
    festival = Offerer.objects.get(name="Festival des Nuits d'Été")
    head_office = festival.venues.get(is_head_office=True)
    park = festival.venues.get(siret__isnull=True)

    # An accepted account, linked now to both venues; the park priced against the head office.
    accepted = BankAccount.objects.get(offerer=festival, status=BankAccount.Status.ACCEPTED)
    assert accepted.document
    linked = VenueBankAccountLink.objects.filter(
        bank_account=accepted, timespan__contains=timezone.now()
    )
    assert sorted(linked.values_list("venue_id", flat=True)) == sorted([head_office.pk, park.pk])
    assert VenuePricingPointLink.objects.get(venue=park).pricing_point == head_office

    # A second account in the staff review queue.
    [review] = bank_accounts_under_review()
    assert review.offerer == festival

    # One past run, with a payment and an invoice whose PDF renders.
    run = PaymentRun.objects.get()
    assert run.status == PaymentRun.Status.DONE
    assert run.cutoff < now
    payment = Payment.objects.get(run=run)
    assert payment.bank_account == accepted
    assert payment.amount_cents == 2 * 1500 + 1000
    invoice = Invoice.objects.get(payment=payment)
    assert invoice_pdf(invoice).startswith(b"%PDF")
    assert festival.bookings.filter(status="REIMBURSED").count() == 2

    # Bookings validated since, priced, waiting for the next run: an individual one and the
    # used collective booking (issue 8, 300 € paid at 100 %).
    forecast = finance_selectors.payment_forecast(offerer_id=festival.pk, now=timezone.now())
    [account] = forecast.accounts
    assert account.bank_account == accepted
    assert account.payable_count == 2
    assert forecast.total_payable_cents == 1200 + 30_000


def test_the_festival_finance_pages_open(client):
    load_demo(now=timezone.now(), site_url="http://testserver")
    festival = Offerer.objects.get(name="Festival des Nuits d'Été")
    client.force_login(User.objects.get(email="festival@culturepass.demo"))
    invoice = Invoice.objects.get()
    for name in ("pro:bank_accounts", "pro:finance_invoices", "pro:finance_forecast"):
        response = client.get(reverse(name, args=[festival.pk]))
        assert response.status_code == 200, name
    response = client.get(reverse("pro:finance_invoice_pdf", args=[festival.pk, invoice.pk]))
    assert response.content.startswith(b"%PDF")
    client.force_login(User.objects.get(email="admin@culturepass.demo"))
    response = client.get(reverse("backoffice:finance_bank_accounts"))
    assert "Compte de l&#x27;édition d&#x27;hiver" in response.content.decode()
    assert client.get(reverse("backoffice:finance_runs")).status_code == 200


def test_demo_has_schools_and_collective_offers_in_several_states():
    now = timezone.now()
    logins = load_demo(now=now, site_url="http://testserver")
    assert {"enseignant@culturepass.demo", "direction@culturepass.demo"} <= {
        login.email for login in logins
    }
    assert School.objects.count() == 2
    year = school_year_of(now.astimezone(ZoneInfo("Europe/Paris")).date())
    assert SchoolBudget.objects.filter(school_year_start=year).count() == 2
    festival = Offerer.objects.get(siren="901234567")
    assert offerer_is_referenced(festival.pk)
    assert CollectiveRequest.objects.count() == 1
    statuses = sorted(CollectiveBooking.objects.values_list("status", flat=True))
    assert statuses == ["CONFIRMED", "PENDING", "USED"]
    used = CollectiveBooking.objects.get(status="USED")
    assert FinanceEvent.objects.filter(collective_booking=used).count() == 1
    roles = sorted(SchoolMember.objects.values_list("role", flat=True))
    assert roles == ["HEAD", "TEACHER"]
