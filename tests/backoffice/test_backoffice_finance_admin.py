"""Backoffice finance administration: payment runs (list, detail, SEPA file, invoice PDF,
"Lancer le virement"), custom reimbursement rules, incidents. Staff permission "finance"."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

_TESTS = Path(__file__).resolve().parents[1]
for _folder in ("bookings", "finance"):
    if str(_TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / _folder))

from finance_helpers import (  # noqa: E402
    NOW,
    link_venue,
    make_bank_account,
    make_booking,
    make_offer,
    make_paid_invoice,
    make_payment_run,
    make_pricing,
)

from culturepass.bookings.models import Booking  # noqa: E402
from culturepass.finance import calendar  # noqa: E402
from culturepass.finance.models import (  # noqa: E402
    CustomReimbursementRule,
    FinanceIncident,
    Payment,
    PaymentRun,
    Pricing,
)

pytestmark = pytest.mark.django_db

USED = dt.datetime(2027, 2, 9, 9, 15, tzinfo=dt.UTC)
OTHER_PERMISSIONS = ("homologation", "compliance", "territorial", "support", "audit")


@pytest.fixture(autouse=True)
def _fixed_time():
    import time_machine
    from django.utils import translation

    with translation.override("fr"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def finance_staff(make_staff):
    return make_staff("finance@culturepass.test", "finance")


@pytest.fixture
def paid():
    stock = make_offer(price_cents=2000)
    venue = stock.offer.venue
    account = make_bank_account(venue.offerer, label="Compte principal")
    link_venue(venue, account)
    booking = make_booking(stock, used_at=USED)
    run = make_payment_run(dt.date(2027, 3, 1))
    invoice = make_paid_invoice(account, [booking], run=run)
    return {"run": run, "invoice": invoice, "booking": booking, "venue": venue}


def _pages(paid) -> list[str]:
    return [
        reverse("backoffice:finance_runs"),
        reverse("backoffice:finance_run_detail", args=[paid["run"].pk]),
        reverse("backoffice:finance_run_sepa", args=[paid["run"].pk]),
        reverse("backoffice:finance_invoice_pdf", args=[paid["invoice"].pk]),
        reverse("backoffice:finance_rules"),
        reverse("backoffice:finance_rule_create"),
        reverse("backoffice:finance_incidents"),
        reverse("backoffice:finance_incident_create"),
    ]


def test_only_staff_with_the_finance_permission_open_the_pages(
    client, make_staff, pro_user, finance_staff, paid
):
    pages = _pages(paid)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(pro_user)
    assert [client.get(url).status_code for url in pages] == [403] * len(pages)
    client.force_login(make_staff("autre@culturepass.test", *OTHER_PERMISSIONS))
    assert [client.get(url).status_code for url in pages] == [403] * len(pages)
    client.force_login(finance_staff)
    assert [client.get(url).status_code for url in pages] == [200] * len(pages)


def test_actions_are_refused_without_the_permission(client, make_staff, paid):
    incident = FinanceIncident.objects.create(
        kind=FinanceIncident.Kind.COMMERCIAL_GESTURE,
        booking=paid["booking"],
        venue=paid["venue"],
        amount_cents=500,
        reason="Geste",
        created_at=NOW,
    )
    client.force_login(make_staff("autre@culturepass.test", *OTHER_PERMISSIONS))
    for url in (
        reverse("backoffice:finance_run_launch"),
        reverse("backoffice:finance_incident_validate", args=[incident.pk]),
        reverse("backoffice:finance_incident_cancel", args=[incident.pk]),
        reverse("backoffice:finance_rule_create"),
        reverse("backoffice:finance_incident_create"),
    ):
        assert client.post(url, {"run_day": "2027-03-01"}).status_code == 403, url
    incident.refresh_from_db()
    assert incident.status == FinanceIncident.Status.CREATED
    assert not PaymentRun.objects.exclude(pk=paid["run"].pk).exists()


def test_the_runs_list_and_detail(client, finance_staff, paid):
    client.force_login(finance_staff)
    run, invoice = paid["run"], paid["invoice"]

    html = client.get(reverse("backoffice:finance_runs")).content.decode()
    assert run.label in html
    assert "2ᵉ quinzaine de février 2027" in html
    assert "20,00" in html
    # The latest cutoff at NOW (1 March 2027 09:00 UTC) is that day's.
    assert "1 mars 2027" in html

    html = client.get(reverse("backoffice:finance_run_detail", args=[run.pk])).content.decode()
    assert invoice.number in html
    assert reverse("backoffice:finance_invoice_pdf", args=[invoice.pk]) in html
    assert reverse("backoffice:finance_run_sepa", args=[run.pk]) in html
    assert paid["venue"].offerer.name in html


def test_the_sepa_file_and_the_invoice_pdf_are_downloads(client, finance_staff, paid):
    client.force_login(finance_staff)
    run, invoice = paid["run"], paid["invoice"]

    sepa = client.get(reverse("backoffice:finance_run_sepa", args=[run.pk]))
    assert sepa["Content-Type"] == "application/xml"
    assert sepa["Content-Disposition"] == f'attachment; filename="{run.label}.xml"'
    assert sepa.content == b"<Document/>"

    pdf = client.get(reverse("backoffice:finance_invoice_pdf", args=[invoice.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert pdf.content.startswith(b"%PDF")


def test_a_run_without_its_sepa_file_yet_has_no_download(client, finance_staff):
    run = make_payment_run(dt.date(2027, 2, 16), status=PaymentRun.Status.PAID)
    client.force_login(finance_staff)
    assert client.get(reverse("backoffice:finance_run_sepa", args=[run.pk])).status_code == 404


def test_launching_the_latest_due_run_pays_the_priced_bookings(client, finance_staff):
    """Calls the real ``payment_run_execute``: the run of 1 March 2027 (cutoff: 28 February
    23:00 UTC) pays the booking priced before it."""
    stock = make_offer(price_cents=2000, start=USED - dt.timedelta(days=1))
    venue = stock.offer.venue
    link_venue(venue, make_bank_account(venue.offerer))
    booking = make_booking(stock, used_at=USED)
    make_pricing(booking)
    client.force_login(finance_staff)

    response = client.post(reverse("backoffice:finance_run_launch"), {"run_day": ""})

    run = PaymentRun.objects.get()
    assert run.cutoff == calendar.cutoff_for(dt.date(2027, 3, 1))
    assert run.status == PaymentRun.Status.DONE
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:finance_run_detail", args=[run.pk])
    assert Payment.objects.get(run=run).amount_cents == 2000
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REIMBURSED
    page = client.get(response["Location"]).content.decode()
    assert f"Le virement {run.label}" in page


def test_launching_a_chosen_run_day(client, finance_staff):
    client.force_login(finance_staff)
    response = client.post(reverse("backoffice:finance_run_launch"), {"run_day": "2027-02-16"})
    run = PaymentRun.objects.get()
    assert run.cutoff == calendar.cutoff_for(dt.date(2027, 2, 16))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("run_day", "message"),
    [
        ("2027-02-20", "Les virements ont lieu le 1er et le 16 du mois."),
        # Refused by the service: its cutoff has not come yet.
        ("2027-03-16", "Ce virement ne peut pas être lancé avant sa date de coupure."),
        ("pas une date", "Saisissez une date valide."),
    ],
)
def test_a_refused_launch_says_why_in_french(client, finance_staff, run_day, message):
    client.force_login(finance_staff)
    response = client.post(reverse("backoffice:finance_run_launch"), {"run_day": run_day})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PaymentRun.objects.exists()


def test_custom_rules_are_listed_and_created(client, finance_staff):
    stock = make_offer()
    venue = stock.offer.venue
    client.force_login(finance_staff)

    response = client.post(
        reverse("backoffice:finance_rule_create"),
        {
            "target_kind": "venue",
            "target_id": str(venue.pk),
            "rate": "92,5",
            "subcategory_ids": ["CONCERT"],
            "valid_from": "2027-03-01",
            "valid_until": "2027-07-01",
            "label": "Convention 2027",
        },
    )

    assert response.status_code == 302
    rule = CustomReimbursementRule.objects.get()
    assert (rule.venue_id, rule.rate, rule.subcategory_ids) == (
        venue.pk,
        Decimal("0.925"),
        ["CONCERT"],
    )
    assert rule.timespan.lower == calendar.cutoff_for(dt.date(2027, 3, 1))
    html = client.get(reverse("backoffice:finance_rules")).content.decode()
    assert "Convention 2027" in html
    assert "92,5 %" in html
    assert venue.name in html


def test_a_fixed_amount_rule_for_an_offer(client, finance_staff):
    stock = make_offer()
    client.force_login(finance_staff)
    response = client.post(
        reverse("backoffice:finance_rule_create"),
        {
            "target_kind": "offer",
            "target_id": str(stock.offer_id),
            "amount": "7,50",
            "valid_from": "2027-03-01",
        },
    )
    assert response.status_code == 302
    rule = CustomReimbursementRule.objects.get()
    assert (rule.offer_id, rule.amount_cents, rule.rate) == (stock.offer_id, 750, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"target_kind": "venue", "target_id": "999999"}, "Aucun élément de ce type"),
        ({"amount": "5"}, "Un montant fixe ne peut être défini que pour une offre."),
        ({"rate": ""}, "Indiquez un taux ou un montant fixe."),
        ({"valid_until": "2027-01-01"}, "La date de fin doit être postérieure"),
    ],
)
def test_a_refused_rule_says_why_in_french(client, finance_staff, data, message):
    stock = make_offer()
    client.force_login(finance_staff)
    form = {
        "target_kind": "venue",
        "target_id": str(stock.offer.venue_id),
        "rate": "95",
        "valid_from": "2027-03-01",
    }
    form.update(data)
    if "amount" in data:
        form.pop("rate")
    response = client.post(reverse("backoffice:finance_rule_create"), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CustomReimbursementRule.objects.exists()


def test_an_incident_is_created_on_a_booking_code_then_validated(client, finance_staff, paid):
    booking = paid["booking"]
    client.force_login(finance_staff)

    response = client.post(
        reverse("backoffice:finance_incident_create"),
        {
            "code": booking.code.lower(),
            "kind": "OVERPAYMENT",
            "amount": "5,00",
            "reason": "Place non honorée",
        },
    )

    assert response.status_code == 302
    incident = FinanceIncident.objects.get()
    assert (incident.booking_id, incident.amount_cents, incident.status) == (
        booking.pk,
        500,
        FinanceIncident.Status.CREATED,
    )
    html = client.get(reverse("backoffice:finance_incidents")).content.decode()
    assert booking.code in html
    assert "Place non honorée" in html

    response = client.post(reverse("backoffice:finance_incident_validate", args=[incident.pk]))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == FinanceIncident.Status.VALIDATED
    recovery = Pricing.objects.get(event__incident=incident)
    assert recovery.reimbursed_cents == -500


def test_an_incident_is_cancelled(client, finance_staff, paid):
    incident = FinanceIncident.objects.create(
        kind=FinanceIncident.Kind.COMMERCIAL_GESTURE,
        booking=paid["booking"],
        venue=paid["venue"],
        amount_cents=500,
        reason="Geste",
        created_at=NOW,
    )
    client.force_login(finance_staff)
    client.post(reverse("backoffice:finance_incident_cancel", args=[incident.pk]))
    incident.refresh_from_db()
    assert incident.status == FinanceIncident.Status.CANCELLED
    # A second cancellation is refused by the service, with its message.
    response = client.post(
        reverse("backoffice:finance_incident_cancel", args=[incident.pk]), follow=True
    )
    html = response.content.decode()
    assert '<p class="message message-error">Cet incident a déjà été traité (annulé).</p>' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "ZZZZZZ"}, "Aucune réservation ne porte cette contremarque."),
        ({"amount": "50,00"}, "Le trop-perçu ne peut pas dépasser le montant remboursé restant"),
        ({"reason": ""}, "Ce champ est obligatoire."),
    ],
)
def test_a_refused_incident_says_why_in_french(client, finance_staff, paid, data, message):
    client.force_login(finance_staff)
    form = {
        "code": paid["booking"].code,
        "kind": "OVERPAYMENT",
        "amount": "5,00",
        "reason": "Trop payé",
    }
    form.update(data)
    response = client.post(reverse("backoffice:finance_incident_create"), form)
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not FinanceIncident.objects.exists()


def test_an_incident_on_a_booking_not_reimbursed_is_refused(client, finance_staff):
    booking = make_booking(make_offer(), used_at=USED)
    client.force_login(finance_staff)
    response = client.post(
        reverse("backoffice:finance_incident_create"),
        {"code": booking.code, "kind": "COMMERCIAL_GESTURE", "amount": "5", "reason": "Geste"},
    )
    assert response.status_code == 400
    assert "remboursée" in response.content.decode()
