"""Finance, from the bank account to the downloaded invoice, in real Chromium (issue 6).

Structure A (validated) has two venues: its head office, with a SIRET, and a hall without
one. Young people booked a concert at each. In "Gestion financière" the pro first types an
invalid IBAN (the French error; the other values stay), then a valid one with a PDF bank
document. A staff member holding only the finance permission accepts the account in the
backoffice with a message, which the pro receives by email. The pro chooses the head office
as the hall's pricing point on the page, then links both venues to the account. One booking
is validated at the Guichet, the two others through the service; the forecast shows them
waiting for the next run. Time moves to the 16th: a real procrastinate worker runs the
periodic job ``finance.run_due_payments``, which prices and pays them. Staff sees the run in
the backoffice; the pro downloads the invoice PDF and the reimbursement CSV from
"Justificatifs et remboursements": the PDF's lines and total equal the CSV's "Montant
remboursé". The forecast then has nothing left. axe checks every finance page visited.

Set ``BROWSER_SHOTS_DIR=/tmp/shots-finance`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
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
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from playwright.sync_api import Locator, Page, expect
from procrastinate.contrib.django.models import ProcrastinateJob

from culturepass.accounts.models import User
from culturepass.accounts.services import email_verification_token, user_verify_email
from culturepass.bookings.lifecycle import booking_use
from culturepass.bookings.models import Booking
from culturepass.bookings.services import booking_create
from culturepass.credit import identity
from culturepass.credit.services import beneficiary_signup, identity_approve
from culturepass.finance import calendar
from culturepass.finance.models import BankAccount, Invoice, Payment, PaymentRun, Pricing
from culturepass.finance.tasks import run_due_payments
from culturepass.offerers.models import Offerer, Venue
from culturepass.offerers.services import VenueInput, offerer_validate, venue_create
from culturepass.offers import services as offers
from culturepass.offers.models import Offer, Stock
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceMode, RecurrenceRule

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "Motdepasse-solide-2026"
ACCOUNT = "Compte principal"
VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"
INVALID_IBAN = "FR76 3000 6000 0112 3456 7890 188"  # one digit off: the check digits fail
BIC = "AGRIFRPPXXX"
HALL = "Salle des Remparts"  # the venue without SIRET
STAFF_MESSAGE = "Justificatif conforme, merci : vous pouvez rattacher vos lieux."

Check = Callable[..., None]


def start_instant() -> dt.datetime:
    """10:00 Paris on the 2nd of next month: the concerts (the 3rd) and the validations fall
    in the 1st-15th, paid by the run of the 16th, whatever day the test runs."""
    today = timezone.now().astimezone(PARIS).date()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(next_month.replace(day=2), dt.time(10, 0), tzinfo=PARIS)


@dataclass(frozen=True)
class World:
    start: dt.datetime
    pro: User
    staff: User
    offerer: Offerer
    head_office: Venue
    hall: Venue
    ines: Booking  # head office, 2 seats
    malik: Booking  # head office, validated at the Guichet
    nora: Booking  # hall


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


def published_concert(
    actor: User, venue: Venue, *, name: str, price_cents: int, at: dt.datetime, now: dt.datetime
) -> Stock:
    """A one-date concert at ``venue``, one price category; returns its date."""
    offer = offers.offer_create_draft(actor=actor, venue=venue, subcategory_id="CONCERT", now=now)
    offers.offer_update_description(
        actor=actor,
        offer=offer,
        name=name,
        description="Un concert pour la démonstration des remboursements.",
        extra_data={"musicType": "501"},
        duration_minutes=90,
        now=now,
    )
    offers.offer_update_practical_info(
        actor=actor,
        offer=offer,
        withdrawal_type="no_ticket",
        withdrawal_delay_seconds=None,
        withdrawal_details="",
        booking_contact="billetterie@festival.test",
        booking_email="",
        accessibility_motor=True,
        accessibility_visual=False,
        accessibility_hearing=False,
        accessibility_mental=False,
        external_ticket_office_url="",
        now=now,
    )
    category = offers.price_category_add(
        actor=actor, offer=offer, label="Tarif unique", price_cents=price_cents, now=now
    )
    offers.stocks_generate(
        actor=actor,
        offer=offer,
        rule=RecurrenceRule(
            mode=RecurrenceMode.ONCE,
            start_date=at.astimezone(PARIS).date(),
            time_slots=(at.astimezone(PARIS).time(),),
        ),
        quantities=[PriceCategoryQuantity(category.pk, 50)],
        now=now,
    )
    published = offers.offer_publish(actor=actor, offer=offer, now=now)
    assert published.validation == Offer.Validation.APPROVED
    return Stock.objects.get(offer=offer)


@pytest.fixture
def traveller(transactional_db: Any) -> Iterator[Any]:
    """The whole test runs on a moving clock from ``start_instant()``; the live server and the
    worker run in this process, so their clocks move with it. No job from elsewhere, none left
    behind (the live server commits)."""
    clear_job_tables()
    start = start_instant()  # read before travelling: it depends on today's date
    with time_machine.travel(start, tick=True) as coordinates:
        yield coordinates
    clear_job_tables()


@pytest.fixture
def finance_staff(traveller: Any) -> User:
    """A staff member holding the finance permission only."""
    user = User.objects.create_user(
        "finance@culturepass.test", PASSWORD, is_staff=True, email_verified_at=timezone.now()
    )
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="finance")
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def world(
    traveller: Any,
    settings: Any,
    tmp_path: Path,
    staff_user: User,
    finance_staff: User,
    pro_a: User,
    structure_a: Offerer,
) -> World:
    settings.DEMO_MODE = False
    settings.IDENTITY_PROVIDER = identity.STAFF_REVIEW
    settings.PRIVATE_ROOT = tmp_path / "private"  # the bank document lands here
    now = timezone.now()
    offerer = offerer_validate(actor=staff_user, offerer=structure_a, comment="Kbis ok.", now=now)
    head_office = Venue.objects.get(offerer=offerer, is_head_office=True)
    hall = venue_create(
        actor=pro_a,
        offerer=offerer,
        data=VenueInput(
            name=HALL,
            street="4 rue des Remparts",
            postal_code="75004",
            city="Paris",
            comment="Salle prêtée par la mairie : pas d'établissement propre.",
            booking_email="remparts@structure-a.test",
        ),
        now=now,
    )
    # Tomorrow at 20:00: less than 48 h away, so the bookings can be validated at once.
    evening = dt.datetime.combine(
        now.astimezone(PARIS).date() + dt.timedelta(days=1), dt.time(20, 0), tzinfo=PARIS
    )
    piano = published_concert(
        pro_a, head_office, name="Récital de piano", price_cents=2500, at=evening, now=now
    )
    choir = published_concert(
        pro_a, hall, name="Chœur des Remparts", price_cents=1200, at=evening, now=now
    )

    def book(first_name: str, stock: Stock, quantity: int) -> Booking:
        user = approved_beneficiary(
            staff_user, email=f"{first_name.lower()}@example.test", first_name=first_name, now=now
        )
        return booking_create(beneficiary=user, stock_id=stock.pk, quantity=quantity, now=now)

    return World(
        start=now,
        pro=pro_a,
        staff=finance_staff,
        offerer=offerer,
        head_office=head_office,
        hall=hall,
        ines=book("Ines", piano, 2),
        malik=book("Malik", piano, 1),
        nora=book("Nora", choir, 1),
    )


# --- locating things ---------------------------------------------------------------------------


def french_date(day: dt.date) -> str:
    with translation.override("fr"):
        return dateformat.format(day, "j F Y")


def h2(page: Page) -> Locator:
    return page.get_by_role("heading", level=2)


def finance_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Gestion financière").get_by_role("link", name=name).click()


def switch_user(page: Page, login: Callable[[Any, Any], None], user: User) -> None:
    page.context.clear_cookies()
    login(page, user)


def steps(page: Page) -> Locator:
    return page.get_by_role("region", name="Pour percevoir vos remboursements").locator("li")


def amount(text: str) -> Decimal:
    """``"1 234,56 €"`` (spaces, no-break spaces, euro sign optional) → ``Decimal("1234.56")``."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", ".")
    return Decimal(cleaned)


def pdf_bytes() -> bytes:
    """A one-page PDF, as a scanned RIB would be."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, "Relevé d'identité bancaire — Festival des Lumières")
    pdf.drawString(72, 740, f"IBAN {VALID_IBAN} — BIC {BIC}")
    pdf.save()
    return buffer.getvalue()


# --- the steps ---------------------------------------------------------------------------------


def pro_deposits_an_account(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("pro:offer_list", args=[world.offerer.pk]))
    page.get_by_role("navigation", name="Sections de la structure").get_by_role(
        "link", name="Gestion financière"
    ).click()
    expect(h2(page)).to_have_text("Informations bancaires")
    # Both venues have bookings and no account yet: the warning names them.
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("ne sont rattachés à aucun compte bancaire validé")
    expect(alert.locator("li")).to_have_text([world.head_office.display_name, HALL], timeout=0)
    expect(steps(page).nth(0)).to_have_attribute("aria-current", "step")
    check(page)
    screenshot(page, "00-bank-empty")

    link(page, "Ajouter un compte bancaire").click()
    expect(h2(page)).to_have_text("Ajouter un compte bancaire")
    check(page)
    document = {"name": "rib.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    field(page, "Intitulé du compte").fill(ACCOUNT)
    field(page, "IBAN").fill(INVALID_IBAN)
    field(page, "BIC").fill(BIC)
    field(page, "Justificatif bancaire (RIB)").set_input_files(document)
    page.get_by_role("button", name="Envoyer le compte bancaire").click()
    expect_field_error(page, "IBAN", "La clé de contrôle de l'IBAN est incorrecte")
    # What was typed stays; only the file has to be chosen again (browsers never refill it).
    expect(field(page, "Intitulé du compte")).to_have_value(ACCOUNT)
    expect(field(page, "IBAN")).to_have_value(INVALID_IBAN)
    expect(field(page, "BIC")).to_have_value(BIC)
    assert not BankAccount.objects.exists()
    check(page)
    screenshot(page, "01-bank-invalid-iban")

    field(page, "IBAN").fill(VALID_IBAN)
    field(page, "Justificatif bancaire (RIB)").set_input_files(document)
    page.get_by_role("button", name="Envoyer le compte bancaire").click()
    expect_message(page, "Votre compte bancaire est envoyé : nos équipes le vérifient.")
    accounts = page.get_by_role("table", name="Comptes bancaires de la structure")
    row = accounts.locator("tbody tr").filter(has_text=ACCOUNT).first
    expect(row).to_contain_text("FR76 3000 6000 0112 3456 7890 189")
    expect(row.locator(".status")).to_have_text("en cours de vérification")
    expect(steps(page).nth(1)).to_have_attribute("aria-current", "step")
    check(page)
    screenshot(page, "02-bank-under-review")
    account = BankAccount.objects.get()
    assert (account.iban, account.bic, account.status) == (
        VALID_IBAN.replace(" ", ""),
        BIC,
        BankAccount.Status.UNDER_REVIEW,
    )
    assert account.document.name.endswith(".pdf")


def staff_accepts_the_account(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("backoffice:dashboard"))
    page.get_by_role("link", name="Finance", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comptes bancaires")
    queue = page.get_by_role("table")
    expect(queue.locator("tbody tr")).to_have_count(1)
    expect(queue).to_contain_text(world.offerer.name)
    check(page)
    screenshot(page, "03-backoffice-queue")

    queue.get_by_role("link", name=ACCOUNT).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ACCOUNT)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le justificatif").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF")
    check(page)
    screenshot(page, "04-backoffice-account")

    field(page, "Message envoyé par email à la structure").fill(STAFF_MESSAGE)
    page.get_by_role("button", name="Valider", exact=True).click()
    expect_message(page, "Le compte bancaire est validé.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("validé")
    history = page.get_by_role("table", name="Statuts successifs du compte")
    expect(history).to_contain_text(STAFF_MESSAGE)
    check(page)
    screenshot(page, "05-backoffice-accepted")
    assert BankAccount.objects.get().status == BankAccount.Status.ACCEPTED

    subject = f"Votre compte bancaire « {ACCOUNT} » est validé"
    [email] = [m for m in emails_to(world.pro.email) if m.subject == subject]
    assert STAFF_MESSAGE in str(email.body)
    assert "FR76 **** **** **** **** ***0 189" in str(email.body)  # masked in emails


def pro_links_both_venues(page: Page, check: Check, world: World) -> None:
    page.goto(reverse("pro:bank_accounts", args=[world.offerer.pk]))
    expect(steps(page).nth(2)).to_have_attribute("aria-current", "step")
    venues = page.get_by_role("table", name="Lieux de la structure")
    expect(venues.get_by_role("row", name=re.compile("^" + HALL))).to_contain_text("aucun")

    # The hall has no SIRET: the head office becomes its pricing point first.
    venues.get_by_role("link", name=f"Choisir le point de valorisation de « {HALL} »").click()
    expect(h2(page)).to_have_text(f"Point de valorisation du lieu « {HALL} »")
    check(page)
    screenshot(page, "06-pricing-point")
    head_office = world.head_office
    field(page, "Point de valorisation").select_option(
        label=f"{head_office.display_name} (SIRET {head_office.siret})"
    )
    page.get_by_role("button", name="Enregistrer le point de valorisation").click()
    expect_message(
        page,
        f"Le point de valorisation du lieu « {HALL} » est « {head_office.display_name} ».",
    )
    expect(venues.get_by_role("row", name=re.compile("^" + HALL))).to_contain_text(
        head_office.display_name
    )

    form = page.locator("form").filter(
        has=page.get_by_role("button", name="Rattacher les lieux cochés")
    )
    expect(form.get_by_role("radio", name=re.compile(ACCOUNT))).to_be_checked()
    for name in (head_office.display_name, HALL):
        form.get_by_role("checkbox", name=re.compile("^" + re.escape(name))).check()
    check(page)
    form.get_by_role("button", name="Rattacher les lieux cochés").click()
    expect_message(page, f"2 lieu(x) rattaché(s) au compte « {ACCOUNT} ».")
    expect(page.get_by_role("alert")).to_have_count(0)  # no venue left without an account
    for name in (head_office.display_name, HALL):
        expect(venues.get_by_role("row", name=re.compile("^" + re.escape(name)))).to_contain_text(
            ACCOUNT
        )
    expect(steps(page).locator("[aria-current]")).to_have_count(0)  # every step done
    check(page)
    screenshot(page, "07-venues-linked")


def bookings_are_validated(page: Page, world: World) -> None:
    page.get_by_role("navigation", name="Sections de la structure").get_by_role(
        "link", name="Guichet"
    ).click()
    field(page, "Contremarque").fill(world.malik.code)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("region", name=f"Réservation {world.malik.code}").get_by_role(
        "button", name="Valider", exact=True
    ).click()
    # The success panel of the Guichet says what was validated.
    expect(
        page.get_by_role("status").get_by_role(
            "heading", name=f"La contremarque {world.malik.code} est validée."
        )
    ).to_be_visible()
    for booking in (world.ines, world.nora):
        booking_use(actor=world.pro, booking_id=booking.pk, now=timezone.now())
    assert set(Booking.objects.filter(offerer=world.offerer).values_list("status", flat=True)) == {
        Booking.Status.USED
    }


def forecast_before_the_run(page: Page, check: Check, world: World) -> None:
    page.get_by_role("navigation", name="Sections de la structure").get_by_role(
        "link", name="Gestion financière"
    ).click()
    finance_tab(page, "Prochain virement")
    expect(h2(page)).to_have_text("Prochain virement")
    run_day = world.start.astimezone(PARIS).date().replace(day=16)
    table = page.get_by_role("table", name="Montants prévus par compte bancaire")
    row = table.get_by_role("row", name=re.compile(ACCOUNT))
    expect(row).to_contain_text(f"{world.head_office.display_name}, {HALL}")
    # Validated but the concerts have not happened yet: priced by the run itself.
    expect(row).to_contain_text("3 réservations (87,00 € de réservations)")
    expect(page.locator("main")).to_contain_text(
        f"Prochain virement le {french_date(run_day)}, pour la "
        f"{calendar.period_label(calendar.cutoff_for(run_day))} :"
    )
    check(page)
    screenshot(page, "08-forecast-before")


def worker_pays_on_the_16th(world: World, traveller: Any) -> PaymentRun:
    run_day = world.start.astimezone(PARIS).date().replace(day=16)
    cutoff = calendar.cutoff_for(run_day)
    traveller.move_to(cutoff + dt.timedelta(hours=1, minutes=5))
    # What the hourly periodic job defers (the test worker leaves periodic tasks out).
    run_due_payments.defer(timestamp=int(time.time()))
    run_worker_until_idle(["finance"])
    job = ProcrastinateJob.objects.get(task_name="finance.run_due_payments")
    assert job.status == "succeeded"
    run = PaymentRun.objects.get()
    assert (run.cutoff, run.status, run.label) == (cutoff, PaymentRun.Status.DONE, "VIR1")
    payment = Payment.objects.get(run=run)
    assert payment.amount_cents == 8700  # 2 x 25 € + 25 € + 12 €, all at 100 %
    assert set(Booking.objects.filter(offerer=world.offerer).values_list("status", flat=True)) == {
        Booking.Status.REIMBURSED
    }
    assert not Pricing.objects.filter(status=Pricing.Status.VALIDATED).exists()
    return run


def staff_sees_the_run(page: Page, check: Check, run: PaymentRun) -> None:
    page.goto(reverse("backoffice:dashboard"))
    page.get_by_role("link", name="Finance", exact=True).click()
    page.get_by_role("navigation", name="Sections de la finance").get_by_role(
        "link", name="Virements"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Virements")
    runs = page.get_by_role("table", name="Virements, les plus récents d'abord")
    row = runs.get_by_role("row", name=re.compile("VIR1"))
    expect(row).to_contain_text(calendar.period_label(run.cutoff))
    expect(row).to_contain_text("87,00 €")
    check(page)
    screenshot(page, "09-backoffice-runs")

    row.get_by_role("link", name="VIR1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Virement VIR1")
    payments = page.get_by_role("table", name="Paiements par compte bancaire")
    expect(payments.locator("tbody tr")).to_have_count(1)
    expect(payments).to_contain_text(ACCOUNT)
    check(page)
    screenshot(page, "10-backoffice-run")


def pro_downloads_invoice_and_csv(page: Page, check: Check, world: World, run: PaymentRun) -> None:
    page.goto(reverse("pro:bank_accounts", args=[world.offerer.pk]))
    finance_tab(page, "Justificatifs et remboursements")
    expect(h2(page)).to_have_text("Justificatifs et remboursements")
    invoice = Invoice.objects.get()
    assert re.fullmatch(r"F\d{2}0000001", invoice.number), invoice.number
    table = page.get_by_role(
        "table", name="Justificatifs de remboursement, les plus récents d'abord"
    )
    row = table.get_by_role("row", name=re.compile(invoice.number))
    expect(row).to_contain_text(calendar.period_label(run.cutoff))
    expect(row).to_contain_text("VIR1")
    expect(row).to_contain_text(ACCOUNT)
    expect(row).to_contain_text("87,00 €")
    check(page)
    screenshot(page, "11-invoices")

    with page.expect_download() as pdf_info:
        row.get_by_role("link", name=f"Justificatif {invoice.number} (PDF)").click()
    assert pdf_info.value.suggested_filename == f"{invoice.number}.pdf"
    pdf = Path(pdf_info.value.path()).read_bytes()
    with page.expect_download() as csv_info:
        row.get_by_role("link", name=f"Détail {invoice.number} (CSV)").click()
    raw = Path(csv_info.value.path()).read_bytes()

    # The CSV: UTF-8 with a BOM, ";" separated, decimal comma; one row per booking.
    assert raw.startswith(b"\xef\xbb\xbf")
    records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert sorted(r["Contremarque"] for r in records) == sorted(
        b.code for b in (world.ines, world.malik, world.nora)
    )
    assert {r["N° du justificatif"] for r in records} == {invoice.number}
    assert {r["N° de virement"] for r in records} == {"VIR1"}
    assert {r["Barème"] for r in records} == {"100 %"}
    assert all(re.fullmatch(r"\d+,\d{2}", r["Montant remboursé"]) for r in records), records
    csv_total = sum(amount(r["Montant remboursé"]) for r in records)
    assert csv_total == Decimal("87.00")

    # The PDF opens; its lines and its total are the CSV's reimbursed amounts.
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page_.extract_text() for page_ in reader.pages)
    assert invoice.number in text
    assert "VIR1" in text
    euros_re = r"(\d[\d\s\u00a0\u202f]*,\d{2})\s*€"
    line_amounts = [
        amount(m.group(2))
        for m in re.finditer(rf"\d+(?:,\d+)?\s*%\s*{euros_re}\s*{euros_re}", text)
    ]
    assert line_amounts, text
    [total_line] = re.findall(rf"Total\s*{euros_re}\s*{euros_re}", text)
    assert sum(line_amounts) == csv_total == amount(total_line[1])
    [wired] = re.findall(rf"Montant viré\s*:\s*{euros_re}", text)
    assert amount(wired) == csv_total

    # The same PDF came by email, attached to the invoice notice.
    [email] = [m for m in emails_to(world.pro.email) if invoice.number in str(m.subject)]
    [(_filename, content, mimetype)] = email.attachments  # type: ignore[misc]
    assert (mimetype, content) == ("application/pdf", pdf)


def forecast_after_the_run(page: Page, check: Check, run: PaymentRun) -> None:
    finance_tab(page, "Prochain virement")
    expect(h2(page)).to_have_text("Prochain virement")
    # The next run pays the second half of the month, where nothing was validated.
    next_cutoff = calendar.next_cutoff(run.cutoff)
    expect(page.locator("main")).to_contain_text(f"pour la {calendar.period_label(next_cutoff)} :")
    table = page.get_by_role("table", name="Montants prévus par compte bancaire")
    row = table.get_by_role("row", name=re.compile(ACCOUNT))
    expect(row.get_by_role("cell").nth(1)).to_have_text("0")  # nothing priced is waiting
    expect(row.get_by_role("cell").nth(2)).to_have_text("0,00 €")
    expect(row.get_by_role("cell").nth(3)).to_have_text("—")  # nothing to price either
    expect(
        page.get_by_role("region", name=re.compile("ne seront pas encore remboursées"))
    ).to_contain_text(
        "Aucune : toutes les réservations validées seront remboursées au prochain virement."
    )
    check(page)
    screenshot(page, "12-forecast-after")


# --- the test ----------------------------------------------------------------------------------


def test_a_pro_gets_paid_from_bank_account_to_invoice(
    page: Page,
    world: World,
    traveller: Any,
    login: Callable[[Any, Any], None],
    assert_accessible: Check,
) -> None:
    login(page, world.pro)
    pro_deposits_an_account(page, assert_accessible, world)

    switch_user(page, login, world.staff)
    staff_accepts_the_account(page, assert_accessible, world)

    switch_user(page, login, world.pro)
    pro_links_both_venues(page, assert_accessible, world)
    bookings_are_validated(page, world)
    forecast_before_the_run(page, assert_accessible, world)

    run = worker_pays_on_the_16th(world, traveller)

    # Two weeks later the sessions have expired: both log in again.
    switch_user(page, login, world.staff)
    staff_sees_the_run(page, assert_accessible, run)

    switch_user(page, login, world.pro)
    pro_downloads_invoice_and_csv(page, assert_accessible, world, run)
    forecast_after_the_run(page, assert_accessible, run)
