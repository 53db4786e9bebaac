"""Payment run at scale against one bare SQL statement doing the same job on the same data.

Not a test. Run by hand:

    .venv/bin/python bench/payment_run.py [--bookings 1000000] [--venues 2000]

Starts a throwaway embedded PostgreSQL (or uses ``DATABASE_URL``: point it at a scratch
database, the bench writes into it), migrates, then generates (not measured) ``--venues``
SIRET venues, two per structure, each its own pricing point and linked to its structure's
accepted bank account, one offer per venue (every tenth a paper book), and ``--bookings`` used
bookings spread over the venues and over the half-month before the cutoff of 16 March 2027,
with their READY finance events (``generate_series``; prices 10-300 € so that the yearly
revenue thresholds are crossed).

Measured (``seconds``): ``pricing_price_due`` then ``payment_run_execute`` for that cutoff.
Then the finance rows are reset and the same result is produced by one bare ``INSERT …
SELECT`` (data-modifying CTEs: window revenue per pricing point, the standard rates, the
payable selection, payments per account, pricings inserted already paid, events PRICED,
bookings REIMBURSED): ``bare_sql_seconds``, the floor of the same work. ``VACUUM ANALYZE``
runs before each measured phase.

``peak_mb`` = peak RSS of this Python process + peak private memory (USS) of the PostgreSQL
backend serving it, both sampled every 50 ms during the measured phases (shared buffers are
shared memory, counted in neither). The last output line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RUN_DAY = dt.date(2027, 3, 16)
BOOK_EVERY = 10  # every tenth offer is a paper book (BOOK rules)


def log(message: str) -> None:
    print(f"# {message}", flush=True)


def setup_database(data_dir: Path) -> None:
    os.environ["CULTUREPASS_DATA_DIR"] = str(data_dir)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["EMAIL_BACKEND"] = "locmem"
    # One connection for the whole bench: its backend is the one whose memory is sampled.
    os.environ["DATABASE_POOL"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "culturepass.settings"
    if not os.environ.get("DATABASE_URL"):
        from culturepass import dbserver

        os.environ["DATABASE_URL"] = dbserver.start_throwaway()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# --- data --------------------------------------------------------------------------------


def create_data(*, bookings: int, venues: int, cutoff: dt.datetime) -> None:
    """Structures, venues, accounts, links and offers with the ORM (thousands of rows), then
    bookings and finance events with ``generate_series`` (millions)."""
    from django.db import connection, transaction
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

    from culturepass.accounts.models import User
    from culturepass.bookings.models import Booking
    from culturepass.finance.models import (
        BankAccount,
        FinanceEvent,
        VenueBankAccountLink,
        VenuePricingPointLink,
    )
    from culturepass.offerers.models import Offerer, Venue
    from culturepass.offers.models import Offer, PriceCategory, Stock

    since = cutoff - dt.timedelta(days=400)
    event_start = cutoff - dt.timedelta(days=20)
    offerer_count = (venues + 1) // 2
    with transaction.atomic():
        offerers = Offerer.objects.bulk_create(
            Offerer(
                siren=f"{300000000 + i}",
                name=f"Structure {i}",
                street="1 rue de Rivoli",
                postal_code="75001",
                city="Paris",
                department_code="75",
                region_code="11",
                status="VALIDATED",
                created_at=since,
                validated_at=since,
            )
            for i in range(offerer_count)
        )
        venue_rows = Venue.objects.bulk_create(
            Venue(
                offerer=offerers[i // 2],
                siret=f"{offerers[i // 2].siren}{i % 2 + 1:05d}",
                name=f"Lieu {i}",
                street="1 rue de Rivoli",
                postal_code="75001",
                city="Paris",
                department_code="75",
                latitude=Decimal("48.85661"),
                longitude=Decimal("2.35222"),
                coordinates_source="MANUAL",
                booking_email=f"lieu{i}@bench.test",
                is_head_office=i % 2 == 0,
                created_at=since,
            )
            for i in range(venues)
        )
        accounts = BankAccount.objects.bulk_create(
            BankAccount(
                offerer=o,
                label=f"Compte {o.name}",
                iban="FR7630006000011234567890189",
                bic="BNPAFRPPXXX",
                status="ACCEPTED",
                status_changed_at=since,
                created_at=since,
                updated_at=since,
            )
            for o in offerers
        )
        VenuePricingPointLink.objects.bulk_create(
            VenuePricingPointLink(
                venue=v, pricing_point=v, timespan=DateTimeTZRange(since, None), created_at=since
            )
            for v in venue_rows
        )
        VenueBankAccountLink.objects.bulk_create(
            VenueBankAccountLink(
                venue=v,
                bank_account=accounts[i // 2],
                timespan=DateTimeTZRange(since, None),
                created_at=since,
            )
            for i, v in enumerate(venue_rows)
        )
        offers = Offer.objects.bulk_create(
            Offer(
                offerer=v.offerer,
                venue=v,
                subcategory_id="LIVRE_PAPIER" if i % BOOK_EVERY == 0 else "CONCERT",
                name=f"Offre {i}",
                city="Paris",
                latitude=v.latitude,
                longitude=v.longitude,
                withdrawal_type="on_site",
                withdrawal_delay_seconds=3600,
                validation="APPROVED",
                validated_at=since,
                publication_datetime=since,
                created_at=since,
                updated_at=since,
            )
            for i, v in enumerate(venue_rows)
        )
        categories = PriceCategory.objects.bulk_create(
            PriceCategory(offer=o, label="Tarif", price_cents=1000, created_at=since)
            for o in offers
        )
        Stock.objects.bulk_create(
            Stock(
                offer=o,
                price_category=c,
                beginning_datetime=event_start,
                booking_limit_datetime=event_start,
                quantity=None,
                created_at=since,
                updated_at=since,
            )
            for i, (o, c) in enumerate(zip(offers, categories, strict=True))
        )
        # One live booking per (beneficiary, offer): booking i goes to offer i % venues and
        # beneficiary i // venues.
        beneficiaries = (bookings + venues - 1) // venues
        User.objects.bulk_create(
            User(
                email=f"jeune{i}@bench.test",
                password="!bench",
                is_beneficiary=True,
                email_verified_at=since,
            )
            for i in range(beneficiaries)
        )

    b = Booking._meta.db_table
    e = FinanceEvent._meta.db_table
    st = Stock._meta.db_table
    of = Offer._meta.db_table
    us = User._meta.db_table
    window = int((cutoff - (cutoff - dt.timedelta(days=15))).total_seconds()) - 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMP TABLE bench_stock AS
            SELECT row_number() OVER (ORDER BY s.id) - 1 AS n, s.id AS stock_id,
                   o.id AS offer_id, o.offerer_id, o.venue_id
            FROM {st} s JOIN {of} o ON o.id = s.offer_id;
            CREATE TEMP TABLE bench_user AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM {us}
            WHERE email LIKE 'jeune%%@bench.test';
            """
        )
        cursor.execute(
            f"""
            INSERT INTO {b} (code, beneficiary_id, offer_id, offerer_id, venue_id, stock_id,
                             price_category_label, quantity, unit_price_cents, amount_cents,
                             is_digital, status, booked_at, cancellation_limit,
                             cancellation_reason, used_at, used_by)
            SELECT (SELECT string_agg(substr(%(alphabet)s,
                                             (g.i / (30 ^ k)::bigint %% 30)::int + 1, 1), ''
                                      ORDER BY k DESC)
                    FROM generate_series(0, 5) k),
                   u.id, s.offer_id, s.offerer_id, s.venue_id, s.stock_id, 'Tarif', 1,
                   price, price, false, 'USED', used - interval '2 days', used, '',
                   used, 'bench@bench.test'
            FROM (
                SELECT i, 1000 + (i * 7919) %% 29001 AS price,
                       %(start)s::timestamptz + (i %% %(window)s) * interval '1 second' AS used
                FROM generate_series(0::bigint, %(n)s - 1) i
            ) g
            JOIN bench_stock s ON s.n = g.i %% %(venues)s
            JOIN bench_user u ON u.n = g.i / %(venues)s
            """,
            {
                "alphabet": "ABCDEFGHJKLMNPQRSTUVWXYZ234567",
                "start": cutoff - dt.timedelta(days=15),
                "window": window,
                "n": bookings,
                "venues": venues,
            },
        )
        cursor.execute(
            f"""
            INSERT INTO {e} (motive, status, booking_id, venue_id, pricing_point_id,
                             value_date, pricing_ordering_date, created_at)
            SELECT 'BOOKING_USED', 'READY', id, venue_id, venue_id, used_at,
                   greatest(used_at, %(event_start)s), used_at
            FROM {b} WHERE status = 'USED'
            """,
            {"event_start": event_start},
        )
        cursor.execute("DROP TABLE bench_stock, bench_user")


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def reset_finance() -> None:
    """Undo the run: no pricings, events READY, bookings USED, no run."""
    from django.db import connection

    from culturepass.bookings.models import Booking
    from culturepass.core.models import AuditEntry
    from culturepass.finance.models import (
        FinanceEvent,
        Invoice,
        InvoiceLine,
        InvoiceSequence,
        Payment,
        PaymentRun,
        Pricing,
    )
    from culturepass.notifications.models import OutboxEmail

    tables = [
        InvoiceLine,
        Invoice,
        Pricing,
        Payment,
        PaymentRun,
        InvoiceSequence,
        OutboxEmail,
        AuditEntry,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE " + ", ".join(m._meta.db_table for m in tables) + " RESTART IDENTITY"
        )
        cursor.execute(
            f"UPDATE {FinanceEvent._meta.db_table} SET status = 'READY' WHERE status = 'PRICED'"
        )
        cursor.execute(
            f"UPDATE {Booking._meta.db_table} SET status = 'USED', reimbursed_at = NULL "
            "WHERE status = 'REIMBURSED'"
        )


# --- the bare statement ------------------------------------------------------------------


def bare_sql(*, cutoff: dt.datetime, now: dt.datetime) -> int:
    """The same selection and writes as pricing + payment run, as one statement."""
    from django.db import connection

    from culturepass.bookings.models import Booking
    from culturepass.finance.models import (
        BankAccount,
        FinanceEvent,
        Payment,
        PaymentRun,
        Pricing,
        VenueBankAccountLink,
    )
    from culturepass.offers.models import Offer

    run = PaymentRun.objects.create(cutoff=cutoff, number=1, status="PAID", created_at=now)
    t = {
        "event": FinanceEvent._meta.db_table,
        "booking": Booking._meta.db_table,
        "offer": Offer._meta.db_table,
        "link": VenueBankAccountLink._meta.db_table,
        "account": BankAccount._meta.db_table,
        "payment": Payment._meta.db_table,
        "pricing": Pricing._meta.db_table,
    }
    sql = """
    WITH ordered AS (
        SELECT e.id AS event_id, e.booking_id, e.venue_id, e.pricing_point_id, e.value_date,
               e.pricing_ordering_date, b.amount_cents,
               (o.subcategory_id = 'LIVRE_PAPIER') AS is_book,
               extract(year FROM e.value_date AT TIME ZONE 'Europe/Paris')::int AS year,
               sum(b.amount_cents) OVER (
                   PARTITION BY e.pricing_point_id,
                                extract(year FROM e.value_date AT TIME ZONE 'Europe/Paris')
                   ORDER BY e.pricing_ordering_date, e.id
               ) AS revenue
        FROM {event} e
        JOIN {booking} b ON b.id = e.booking_id
        JOIN {offer} o ON o.id = b.offer_id
        WHERE e.status = 'READY' AND e.pricing_ordering_date <= %(now)s
          AND e.pricing_ordering_date < %(cutoff)s
    ), rated AS (
        SELECT *, CASE
            WHEN is_book THEN CASE WHEN revenue <= 2000000 THEN 1.0 ELSE 0.95 END
            WHEN revenue <= 2000000 THEN 1.0 WHEN revenue <= 4000000 THEN 0.95
            WHEN revenue <= 15000000 THEN 0.92 ELSE 0.90 END AS rate
        FROM ordered
    ), payable AS (
        SELECT r.*, round(r.rate * r.amount_cents)::int AS reimbursed, l.bank_account_id,
               a.offerer_id
        FROM rated r
        JOIN {link} l ON l.venue_id = r.venue_id AND l.timespan @> %(cutoff)s::timestamptz
        JOIN {account} a ON a.id = l.bank_account_id AND a.status = 'ACCEPTED'
        WHERE r.value_date < %(cutoff)s
    ), pay AS (
        INSERT INTO {payment} (run_id, bank_account_id, offerer_id, amount_cents, created_at)
        SELECT %(run)s, bank_account_id, offerer_id, sum(reimbursed), %(now)s
        FROM payable GROUP BY bank_account_id, offerer_id HAVING sum(reimbursed) > 0
        RETURNING id, bank_account_id
    ), priced AS (
        UPDATE {event} SET status = 'PRICED' WHERE id IN (SELECT event_id FROM rated)
    ), reimbursed AS (
        UPDATE {booking} SET status = 'REIMBURSED', reimbursed_at = %(now)s
        WHERE id IN (SELECT booking_id FROM payable)
    )
    INSERT INTO {pricing} (event_id, booking_id, venue_id, pricing_point_id, status,
                           amount_cents, reimbursed_cents, rate, rule_id, rule_group,
                           rule_label, revenue_cents, year, value_date, pricing_ordering_date,
                           payment_id, created_at)
    SELECT p.event_id, p.booking_id, p.venue_id, p.pricing_point_id, 'PROCESSED',
           p.amount_cents, p.reimbursed, p.rate, 'STANDARD', 'STANDARD', 'bare', p.revenue,
           p.year, p.value_date, p.pricing_ordering_date, pay.id, %(now)s
    FROM payable p JOIN pay ON pay.bank_account_id = p.bank_account_id
    """.format(**t)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"cutoff": cutoff, "now": now, "run": run.pk})
        return cursor.rowcount


# --- measuring ---------------------------------------------------------------------------


class PeakMemory:
    """Samples this process's RSS and the backend's USS every 50 ms."""

    def __init__(self, backend_pid: int) -> None:
        import psutil

        self._me = psutil.Process()
        self._backend = psutil.Process(backend_pid)
        self.python_mb = 0.0
        self.backend_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        with contextlib.suppress(Exception):
            self.python_mb = max(self.python_mb, self._me.memory_info().rss / 2**20)
            self.backend_mb = max(self.backend_mb, self._backend.memory_full_info().uss / 2**20)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.05)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        try:
            yield
        finally:
            self._stop.set()
            self._thread.join()
            self._sample()


def timed(label: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    log(f"{label}: {seconds:.2f} s ({result})")
    return seconds, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--venues", type=int, default=2000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))

    data_dir = Path(tempfile.mkdtemp(prefix="culturepass-bench-"))
    try:
        t0 = time.monotonic()
        setup_database(data_dir)
        log(f"database ready and migrated in {time.monotonic() - t0:.1f} s")
        from django.db import connection

        from culturepass.finance import calendar
        from culturepass.finance.models import Payment, Pricing
        from culturepass.finance.payments import payment_run_execute
        from culturepass.finance.pricing import pricing_price_due

        cutoff = calendar.cutoff_for(RUN_DAY)
        now = cutoff + dt.timedelta(hours=1)
        t0 = time.monotonic()
        create_data(bookings=args.bookings, venues=args.venues, cutoff=cutoff)
        vacuum()
        log(
            f"generated {args.bookings} used bookings over {args.venues} venues "
            f"in {time.monotonic() - t0:.1f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend_pid,) = cursor.fetchone()
        memory = PeakMemory(backend_pid)

        with memory.running():
            pricing_s, _priced = timed(
                "pricing_price_due", lambda: pricing_price_due(now=now, until=cutoff)
            )
            run_s, run = timed(
                "payment_run_execute", lambda: payment_run_execute(cutoff=cutoff, now=now)
            )
        seconds = pricing_s + run_s
        payments = Payment.objects.filter(run=run)
        paid_total = sum(payments.values_list("amount_cents", flat=True))
        processed = Pricing.objects.filter(status="PROCESSED").count()
        log(
            f"run {run.label}: {payments.count()} payments, {processed} pricings paid, "
            f"total {paid_total / 100:.2f} EUR"
        )
        python_mb, backend_mb = memory.python_mb, memory.backend_mb

        reset_finance()
        vacuum()
        with memory.running():
            bare_s, rows = timed("bare INSERT ... SELECT", lambda: bare_sql(cutoff=cutoff, now=now))
        bare_total = sum(Payment.objects.values_list("amount_cents", flat=True))
        log(f"bare statement paid {bare_total / 100:.2f} EUR (run: {paid_total / 100:.2f} EUR)")

        ru_python_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps(
                {
                    "bookings": args.bookings,
                    "venues": args.venues,
                    "seconds": round(seconds, 2),
                    "pricing_seconds": round(pricing_s, 2),
                    "payment_run_seconds": round(run_s, 2),
                    "bare_sql_seconds": round(bare_s, 2),
                    "ratio": round(seconds / bare_s, 2) if bare_s else None,
                    "peak_mb": round(python_mb + backend_mb, 1),
                    "peak_python_rss_mb": round(python_mb, 1),
                    "peak_backend_uss_mb": round(backend_mb, 1),
                    "python_max_rss_mb": round(ru_python_mb, 1),
                    "same_total": bare_total == paid_total,
                    "rows": rows,
                }
            ),
            flush=True,
        )
        return 0
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
