"""Payment runs: what is paid at a cutoff, to which account, once; invoices and emails;
idempotence, concurrency and the periodic job's calendar."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from finance_helpers import IBAN_B, make_bank_account, make_pricing
from payment_run_helpers import (
    CUTOFF,
    EVENT_AT,
    RUN_NOW,
    USED_AT,
    linked_venue,
    make_offerer,
    member_of,
    run_summary,
    two_structures,
    used_booking,
    venue_of,
)

from culturepass.bookings.models import Booking
from culturepass.core.models import AuditEntry
from culturepass.finance import calendar
from culturepass.finance.models import (
    BankAccount,
    Invoice,
    InvoiceSequence,
    Payment,
    PaymentRun,
    Pricing,
)
from culturepass.finance.payments import (
    PaymentRunError,
    payable_pricings,
    payment_run_due,
    payment_run_execute,
)
from culturepass.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


def _status(booking: Booking) -> str:
    booking.refresh_from_db()
    return booking.status


def test_run_pays_one_payment_per_bank_account_and_reimburses_the_bookings() -> None:
    s = two_structures()
    a1 = used_booking(s["venue_a1"], price_cents=2000)
    a2 = used_booking(s["venue_a2"], price_cents=1500, rate="0.95")
    b1 = used_booking(s["venue_b"], price_cents=3000)

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    assert run.status == PaymentRun.Status.DONE
    assert run.label == "VIR1"
    assert run.finished_at == RUN_NOW
    payments = {p.bank_account_id: p.amount_cents for p in Payment.objects.filter(run=run)}
    assert payments == {s["account_a"].pk: 2000 + 1425, s["account_b"].pk: 3000}
    for booking in (a1, a2, b1):
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REIMBURSED
        assert booking.reimbursed_at == RUN_NOW
    assert set(Pricing.objects.values_list("status", flat=True)) == {Pricing.Status.PROCESSED}
    assert all(
        p.payment.bank_account_id == p.venue.bank_account_links.get().bank_account_id
        for p in Pricing.objects.select_related("payment", "venue")
    )
    assert run.sepa_xml is not None
    assert AuditEntry.objects.filter(action="payment_run.pay").count() == 1


def test_invoices_are_numbered_without_gaps_in_bank_account_order() -> None:
    s = two_structures()
    used_booking(s["venue_b"], price_cents=3000)
    used_booking(s["venue_a1"], price_cents=2000)
    InvoiceSequence.objects.create(year=2027, last=41)

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    invoices = list(Invoice.objects.filter(payment__run=run).order_by("sequence"))
    assert [(i.number, i.bank_account_id) for i in invoices] == [
        ("F270000042", s["account_a"].pk),
        ("F270000043", s["account_b"].pk),
    ]
    assert [i.date for i in invoices] == [dt.date(2027, 3, 16)] * 2
    assert [i.amount_cents for i in invoices] == [2000, 3000]
    assert InvoiceSequence.objects.get(year=2027).last == 43


def test_invoice_lines_group_by_rule_group_and_rate() -> None:
    s = two_structures()
    venue = s["venue_a1"]
    used_booking(venue, price_cents=2000)
    used_booking(venue, price_cents=1000)
    used_booking(venue, price_cents=1000, rate="0.95", rule_label="Entre 20 000 € et 40 000 €")
    used_booking(
        venue, price_cents=1500, rate="1", rule_group="BOOK", rule_label="Livres jusqu'à 20 000 €"
    )

    payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    invoice = Invoice.objects.get()
    lines = [
        (line.group, str(line.rate), line.label, line.booking_amount_cents, line.reimbursed_cents)
        for line in invoice.lines.all()
    ]
    assert lines == [
        ("BOOK", "1.0000", "Livres jusqu'à 20 000 €", 1500, 1500),
        (
            "STANDARD",
            "1.0000",
            "Remboursement total jusqu'à 20 000 € de chiffre d'affaires annuel",
            3000,
            3000,
        ),
        ("STANDARD", "0.9500", "Entre 20 000 € et 40 000 €", 1000, 950),
    ]
    assert invoice.amount_cents == 1500 + 3000 + 950


@pytest.mark.parametrize(
    "case",
    [
        "validated_after_cutoff",
        "event_after_cutoff",
        "venue_not_linked",
        "account_refused",
        "link_starts_after_cutoff",
        "link_ended_before_cutoff",
    ],
)
def test_pricings_not_payable_at_the_cutoff_wait_for_a_later_run(case: str) -> None:
    offerer = make_offerer()
    member_of(offerer)
    paid_venue = linked_venue(offerer, name="Payée")
    paid = used_booking(paid_venue)
    after = CUTOFF + dt.timedelta(hours=2)
    if case == "validated_after_cutoff":
        waiting = used_booking(paid_venue, used_at=after)
    elif case == "event_after_cutoff":
        waiting = used_booking(paid_venue, event_at=after)
    elif case == "venue_not_linked":
        waiting = used_booking(venue_of(offerer, "Sans compte"))
    elif case == "account_refused":
        refused = make_bank_account(offerer, iban=IBAN_B, status=BankAccount.Status.REFUSED)
        waiting = used_booking(linked_venue(offerer, account=refused, name="Refusé"))
    elif case == "link_starts_after_cutoff":
        waiting = used_booking(linked_venue(offerer, name="Plus tard", since=after))
    else:
        waiting = used_booking(
            linked_venue(
                offerer,
                name="Ancien",
                since=USED_AT - dt.timedelta(days=90),
                until=CUTOFF - dt.timedelta(hours=1),
            )
        )
    assert payable_pricings(cutoff=CUTOFF).count() == 1

    payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    assert _status(paid) == Booking.Status.REIMBURSED
    assert _status(waiting) == Booking.Status.USED
    assert Pricing.objects.get(booking=waiting).status == Pricing.Status.VALIDATED
    assert Payment.objects.get().amount_cents == 2000


def test_a_booking_is_never_paid_twice_across_runs() -> None:
    s = two_structures()
    first = used_booking(s["venue_a1"], price_cents=2000)
    payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)
    later_used = dt.datetime(2027, 3, 20, 10, 0, tzinfo=dt.UTC)
    second = used_booking(s["venue_a1"], price_cents=700, used_at=later_used, event_at=later_used)
    april = calendar.cutoff_for(dt.date(2027, 4, 1))

    run = payment_run_execute(cutoff=april, now=april + dt.timedelta(hours=1))

    assert run.label == "VIR2"
    assert list(Payment.objects.filter(run=run).values_list("amount_cents", flat=True)) == [700]
    assert Pricing.objects.get(booking=first).payment.run.label == "VIR1"
    assert _status(second) == Booking.Status.REIMBURSED
    assert Invoice.objects.get(payment__run=run).number == "F270000002"


def test_a_reimbursed_booking_with_a_stray_unpaid_pricing_is_not_paid_again() -> None:
    # Defence in depth: the booking status is checked, not only the pricing's.
    s = two_structures()
    booking = used_booking(s["venue_a1"])
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.REIMBURSED)

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    assert not Payment.objects.filter(run=run).exists()
    assert Pricing.objects.get().status == Pricing.Status.VALIDATED


def test_an_account_with_a_negative_total_waits_for_later_runs() -> None:
    s = two_structures()
    booking = used_booking(s["venue_a1"], price_cents=1000)
    reimbursed = used_booking(s["venue_a1"], price_cents=3000)
    Booking.objects.filter(pk=reimbursed.pk).update(status=Booking.Status.REIMBURSED)
    Pricing.objects.filter(booking=reimbursed).delete()
    make_pricing(
        reimbursed,
        motive="INCIDENT_OVERPAYMENT",
        amount_cents=0,
        reimbursed_cents=-2500,
        rate="1",
        rule_group="INCIDENT",
        rule_id="INCIDENT",
        rule_label="Trop-perçu",
        value_date=USED_AT,
    )
    other = used_booking(s["venue_b"], price_cents=500)

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    assert list(Payment.objects.filter(run=run).values_list("bank_account_id", flat=True)) == [
        s["account_b"].pk
    ]
    assert _status(booking) == Booking.Status.USED
    assert _status(other) == Booking.Status.REIMBURSED

    # Enough new bookings: the next run recovers the overpayment from them.
    later = dt.datetime(2027, 3, 20, 10, 0, tzinfo=dt.UTC)
    used_booking(s["venue_a2"], price_cents=4000, used_at=later, event_at=later)
    april = calendar.cutoff_for(dt.date(2027, 4, 1))
    run2 = payment_run_execute(cutoff=april, now=april + dt.timedelta(hours=1))

    payment = Payment.objects.get(run=run2)
    assert payment.amount_cents == 1000 - 2500 + 4000
    assert _status(booking) == Booking.Status.REIMBURSED
    lines = {(line.group, line.reimbursed_cents) for line in payment.invoice.lines.all()}
    assert lines == {("INCIDENT", -2500), ("STANDARD", 5000)}


def test_re_running_a_done_run_changes_nothing() -> None:
    s = two_structures()
    used_booking(s["venue_a1"])
    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)
    before = run_summary()
    used_booking(s["venue_a1"], price_cents=900)  # arrives after the run: next one pays it

    again = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW + dt.timedelta(days=1))

    assert again.pk == run.pk
    assert again.finished_at == RUN_NOW
    after = run_summary()
    assert after["invoices"] == before["invoices"]
    assert after["payments"] == before["payments"]
    assert OutboxEmail.objects.count() == 1


def test_a_run_resumed_after_pricing_gives_the_same_numbers() -> None:
    s = two_structures()
    used_booking(s["venue_a1"])
    used_booking(s["venue_b"], price_cents=1200)
    # A previous attempt created the run (its number is kept), then died.
    PaymentRun.objects.create(cutoff=CUTOFF, number=1, created_at=RUN_NOW)
    PaymentRun.objects.create(
        cutoff=calendar.cutoff_for(dt.date(2027, 3, 1)), number=2, created_at=RUN_NOW
    )

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    assert run.label == "VIR1"
    assert [i.number for i in Invoice.objects.order_by("number")] == [
        "F270000001",
        "F270000002",
    ]


def test_run_numbers_follow_the_highest_existing_one() -> None:
    PaymentRun.objects.create(
        cutoff=calendar.cutoff_for(dt.date(2027, 3, 1)),
        number=7,
        status=PaymentRun.Status.DONE,
        created_at=RUN_NOW,
    )

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    assert run.label == "VIR8"
    assert run.status == PaymentRun.Status.DONE
    assert run.sepa_xml is None  # nothing to pay, no file


def test_invoice_email_goes_to_validated_members_with_the_pdf_reference() -> None:
    s = two_structures()
    member_of(s["a"], status="PENDING")
    used_booking(s["venue_a1"])
    used_booking(s["venue_b"])  # B has no member: the venue's booking email

    payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    emails = {tuple(e.to): e for e in OutboxEmail.objects.all()}
    invoice_a = Invoice.objects.get(bank_account=s["account_a"])
    invoice_b = Invoice.objects.get(bank_account=s["account_b"])
    email_a = next(e for to, e in emails.items() if to[0].startswith("membre"))
    assert len(email_a.to) == 1
    assert email_a.attachments == [{"kind": "invoice_pdf", "id": invoice_a.pk}]
    assert invoice_a.number in email_a.subject
    assert "VIR1" in email_a.body_text
    assert "1ʳᵉ quinzaine de mars 2027" in email_a.body_text
    assert emails[("billetterie-lieu@pleyel.test",)].attachments == [
        {"kind": "invoice_pdf", "id": invoice_b.pk}
    ]
    assert invoice_a.emailed_at == RUN_NOW


@pytest.mark.parametrize(
    "cutoff",
    [
        CUTOFF + dt.timedelta(hours=1),  # not midnight in Paris
        calendar.cutoff_for(dt.date(2027, 3, 16)) - dt.timedelta(days=1),  # the 15th
    ],
)
def test_a_cutoff_must_be_midnight_paris_on_a_run_day(cutoff: dt.datetime) -> None:
    with pytest.raises(PaymentRunError) as error:
        payment_run_execute(cutoff=cutoff, now=RUN_NOW + dt.timedelta(days=30))
    assert "1er ou un 16" in error.value.message
    assert not PaymentRun.objects.exists()


def test_a_future_cutoff_is_refused() -> None:
    with pytest.raises(PaymentRunError) as error:
        payment_run_execute(cutoff=CUTOFF, now=CUTOFF - dt.timedelta(minutes=1))
    assert "avant sa date de coupure" in error.value.message


# --- the periodic job ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "run_day"),
    [
        # 16 March, 00:30 in Paris (winter time, UTC+1).
        (dt.datetime(2027, 3, 15, 23, 30, tzinfo=dt.UTC), dt.date(2027, 3, 16)),
        # 31 March 23:30 in Paris (summer time since the 28th): still the run of the 16th.
        (dt.datetime(2027, 3, 31, 21, 30, tzinfo=dt.UTC), dt.date(2027, 3, 16)),
        # 1 April 00:30 in Paris (UTC+2).
        (dt.datetime(2027, 3, 31, 22, 30, tzinfo=dt.UTC), dt.date(2027, 4, 1)),
        # 1 November 00:30 in Paris, the day after the return to winter time.
        (dt.datetime(2027, 10, 31, 23, 30, tzinfo=dt.UTC), dt.date(2027, 11, 1)),
        # 16 October, during summer time: the cutoff is 22:00 UTC the day before.
        (dt.datetime(2027, 10, 15, 22, 0, tzinfo=dt.UTC), dt.date(2027, 10, 16)),
    ],
)
def test_the_periodic_job_runs_the_latest_cutoff(now: dt.datetime, run_day: dt.date) -> None:
    run = payment_run_due(now=now)

    assert run is not None
    assert run.cutoff == calendar.cutoff_for(run_day)
    assert run.status == PaymentRun.Status.DONE
    assert payment_run_due(now=now + dt.timedelta(minutes=20)) is None


def test_the_periodic_job_resumes_an_unfinished_run() -> None:
    s = two_structures()
    used_booking(s["venue_a1"])
    PaymentRun.objects.create(cutoff=CUTOFF, number=1, created_at=RUN_NOW)

    run = payment_run_due(now=RUN_NOW + dt.timedelta(hours=3))

    assert run is not None
    assert run.status == PaymentRun.Status.DONE
    assert Payment.objects.get(run=run).amount_cents == 2000


def test_the_job_before_the_first_cutoff_of_a_half_month_does_nothing_twice() -> None:
    just_before = calendar.cutoff_for(dt.date(2027, 4, 1)) - dt.timedelta(minutes=1)
    first = payment_run_due(now=just_before)
    assert first is not None
    assert first.cutoff == CUTOFF
    assert payment_run_due(now=just_before) is None


# --- concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_of_one_cutoff_do_the_work_once() -> None:
    s = two_structures()
    for _ in range(5):
        used_booking(s["venue_a1"], price_cents=1000)
        used_booking(s["venue_b"], price_cents=500)
    barrier = threading.Barrier(3)
    results: list[PaymentRun] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(payment_run_execute(cutoff=CUTOFF, now=RUN_NOW))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert {run.pk for run in results} == {PaymentRun.objects.get().pk}
    assert sorted(Payment.objects.values_list("amount_cents", flat=True)) == [2500, 5000]
    assert Invoice.objects.count() == 2
    assert InvoiceSequence.objects.get(year=2027).last == 2
    assert OutboxEmail.objects.count() == 2
    assert set(Booking.objects.values_list("status", flat=True)) == {Booking.Status.REIMBURSED}


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_two_cutoffs_share_nothing() -> None:
    s = two_structures()
    used_booking(s["venue_a1"], price_cents=1000)
    later = dt.datetime(2027, 3, 20, 10, 0, tzinfo=dt.UTC)
    used_booking(s["venue_a1"], price_cents=300, used_at=later, event_at=later)
    april = calendar.cutoff_for(dt.date(2027, 4, 1))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(cutoff: dt.datetime) -> None:
        try:
            barrier.wait()
            payment_run_execute(cutoff=cutoff, now=april + dt.timedelta(hours=1))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in (CUTOFF, april)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    # Whichever ran first, every booking is paid exactly once, numbers have no gaps.
    assert Pricing.objects.filter(status=Pricing.Status.PROCESSED).count() == 2
    assert sum(Payment.objects.values_list("amount_cents", flat=True)) == 1300
    assert sorted(PaymentRun.objects.values_list("number", flat=True)) == [1, 2]
    numbers = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert EVENT_AT < CUTOFF
