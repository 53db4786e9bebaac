"""A payment run killed mid-way (SIGKILL of the ``payment_run`` command) and run again gives
exactly the payments, invoices and numbers of an uninterrupted run on the same data.

The command runs in a subprocess on committed data (``transactional_db``) and kills itself at
a chosen step through the ``CULTUREPASS_PAYMENT_RUN_CRASH_AT`` test hook.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from finance_helpers import make_pricing
from payment_run_helpers import member_of, run_summary, two_structures, used_booking

from culturepass.bookings.models import Booking
from culturepass.finance import calendar
from culturepass.finance.models import (
    Invoice,
    InvoiceSequence,
    Payment,
    PaymentRun,
    Pricing,
)
from culturepass.finance.payments import CRASH_ENV
from culturepass.notifications.models import OutboxEmail

CULTUREPASS = Path(sys.executable).parent / "culturepass"


def _test_database_url() -> str:
    """The URL of the test database (pytest-django's ``test_…``), for the subprocess."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path="/" + connection.settings_dict["NAME"]).geturl()


def _command(run_day: dt.date, *, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DATABASE_POOL": "0",
        "LOG_LEVEL": "ERROR",
    }
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run(
        [str(CULTUREPASS), "payment_run", "--cutoff", run_day.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _build_data(cutoff: dt.datetime) -> None:
    """Three accounts, several rates and groups, an overpayment, and bookings left for later."""
    used = cutoff - dt.timedelta(days=5)
    event = cutoff - dt.timedelta(days=6)
    s = two_structures(since=cutoff - dt.timedelta(days=60))
    member_of(s["b"])
    for price in (2000, 1500, 990):
        used_booking(s["venue_a1"], price_cents=price, used_at=used, event_at=event)
    used_booking(
        s["venue_a2"],
        price_cents=1001,
        rate="0.95",
        reimbursed_cents=951,
        rule_label="Entre 20 000 € et 40 000 €",
        used_at=used,
        event_at=event,
    )
    used_booking(s["venue_b"], price_cents=3000, rule_group="BOOK", used_at=used, event_at=event)
    reimbursed = used_booking(s["venue_b"], price_cents=800, used_at=used, event_at=event)
    Booking.objects.filter(pk=reimbursed.pk).update(status="REIMBURSED", reimbursed_at=used)
    Pricing.objects.filter(booking=reimbursed).delete()
    make_pricing(
        reimbursed,
        motive="INCIDENT_OVERPAYMENT",
        amount_cents=0,
        reimbursed_cents=-500,
        rule_group="INCIDENT",
        rule_id="INCIDENT",
        rule_label="Trop-perçu",
        value_date=used,
    )
    # Event after the cutoff: left for the next run.
    used_booking(s["venue_a1"], price_cents=1200, used_at=used, event_at=cutoff + dt.timedelta(1))
    InvoiceSequence.objects.create(year=calendar.run_day_of(cutoff).year, last=41)
    PaymentRun.objects.create(
        cutoff=calendar.previous_cutoff(cutoff),
        number=4,
        status=PaymentRun.Status.DONE,
        created_at=cutoff - dt.timedelta(days=15),
    )


def _undo_run(cutoff: dt.datetime) -> None:
    """Back to the state before the run (same rows, same ids for the data)."""
    run = PaymentRun.objects.get(cutoff=cutoff)
    Pricing.objects.filter(payment__run=run).update(status="VALIDATED", payment=None)
    Invoice.objects.filter(payment__run=run).delete()
    Payment.objects.filter(run=run).delete()
    run.delete()
    Booking.objects.filter(reimbursed_at__gte=cutoff).update(status="USED", reimbursed_at=None)
    InvoiceSequence.objects.update(last=41)
    OutboxEmail.objects.all().delete()


@pytest.mark.parametrize("crash_at", ["pricing", "payments", "paid", "sepa"])
def test_a_killed_run_resumed_equals_an_uninterrupted_run(transactional_db, crash_at: str) -> None:
    cutoff = calendar.previous_cutoff(calendar.next_cutoff(timezone.now()))
    run_day = calendar.run_day_of(cutoff)
    _build_data(cutoff)

    clean = _command(run_day)
    assert clean.returncode == 0, clean.stderr
    assert "VIR5" in clean.stdout
    expected = run_summary(cutoff)
    assert [i[0] for i in expected["invoices"]] == [
        f"F{run_day.year % 100}0000042",
        f"F{run_day.year % 100}0000043",
    ]
    assert expected["payments"] == [("Compte A", 2000 + 1500 + 990 + 951), ("Compte B", 2500)]
    emails = OutboxEmail.objects.count()
    _undo_run(cutoff)

    crashed = _command(run_day, crash_at=crash_at)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    run = PaymentRun.objects.get(cutoff=cutoff)
    assert run.number == 5
    expected_status = {"pricing": "STARTED", "payments": "STARTED", "paid": "PAID", "sepa": "PAID"}
    assert run.status == expected_status[crash_at]
    if crash_at in ("pricing", "payments"):
        assert not Payment.objects.exists()
        assert not Booking.objects.filter(reimbursed_at__gte=cutoff).exists()

    resumed = _command(run_day)
    assert resumed.returncode == 0, resumed.stderr
    assert run_summary(cutoff) == expected
    assert OutboxEmail.objects.count() == emails
