"""Bookings export of one big structure: CSV and XLSX through the code of the page.

Not a test. Run by hand:

    .venv/bin/python bench/export.py [--rows 100000]

Starts a throwaway embedded PostgreSQL (or uses ``DATABASE_URL``: point it at a scratch
database, the bench writes into it), migrates, bulk-creates one validated structure with
100 offers (one occurrence each), 1,000 beneficiaries and ``--rows`` bookings spread over
them (mixed statuses, accents in names), then builds the export responses exactly as the
bookings tab does (``views_bookings.export_response`` over
``pro_selectors.bookings_for_offerer``) and consumes them chunk by chunk, as a WSGI server
would. Measures the seconds of each export and the peak resident memory of the process
(``ru_maxrss``, which includes the data creation and Django itself). Progress lines start
with ``#``; the last line is one JSON object: rows, csv_seconds, xlsx_seconds, peak_mb,
plus the sizes of both files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _structure import validated_structure

REPO = Path(__file__).resolve().parents[1]
OFFERS = 100
BENEFICIARIES = 1000
BATCH = 10_000


def log(message: str) -> None:
    print(f"# {message}", flush=True)


def peak_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_database(data_dir: Path) -> None:
    os.environ["CULTUREPASS_DATA_DIR"] = str(data_dir)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["EMAIL_BACKEND"] = "locmem"
    os.environ["DJANGO_SETTINGS_MODULE"] = "culturepass.settings"
    if not os.environ.get("DATABASE_URL"):
        from culturepass import dbserver

        os.environ["DATABASE_URL"] = dbserver.start_throwaway()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def code_of(index: int) -> str:
    """A unique, valid 6-character booking code for ``index`` (base 30)."""
    from culturepass.bookings.models import CODE_ALPHABET, CODE_LENGTH

    base = len(CODE_ALPHABET)
    chars = []
    for _ in range(CODE_LENGTH):
        index, digit = divmod(index, base)
        chars.append(CODE_ALPHABET[digit])
    return "".join(reversed(chars))


def create_data(rows: int) -> int:
    """Bulk rows for one structure; returns its id."""

    from django.db import transaction
    from django.utils import timezone

    from culturepass.accounts.models import User
    from culturepass.bookings.models import Booking
    from culturepass.offers.models import Offer, PriceCategory, Stock

    now = timezone.now().replace(microsecond=0)
    per_offer = -(-rows // OFFERS)
    if per_offer > BENEFICIARIES:
        raise SystemExit(f"at most {OFFERS * BENEFICIARIES} rows (one booking per offer each)")
    with transaction.atomic():
        offerer, venue = validated_structure(now=now, venue_name="Théâtre de l'Épée")
        offers = Offer.objects.bulk_create(
            Offer(
                offerer=offerer,
                venue=venue,
                subcategory_id="CONCERT",
                name=f"Concert « Été {i} » à l'Opéra",
                city="Paris",
                withdrawal_type="on_site",
                validation="APPROVED",
                validated_at=now,
                publication_datetime=now - dt.timedelta(days=40),
                timezone="America/Cayenne" if i % 10 == 0 else "Europe/Paris",
                created_at=now,
                updated_at=now,
            )
            for i in range(OFFERS)
        )
        categories = PriceCategory.objects.bulk_create(
            PriceCategory(offer=o, label="Tarif réduit", price_cents=1250, created_at=now)
            for o in offers
        )
        stocks = Stock.objects.bulk_create(
            Stock(
                offer=o,
                price_category=c,
                beginning_datetime=now + dt.timedelta(days=10, hours=i),
                booking_limit_datetime=now + dt.timedelta(days=9),
                quantity=2 * BENEFICIARIES,
                booked_quantity=0,
                created_at=now,
                updated_at=now,
            )
            for i, (o, c) in enumerate(zip(offers, categories, strict=True))
        )
        users = User.objects.bulk_create(
            User(
                email=f"bench{i}@bench.test",
                password="!bench",
                first_name="Léa",
                last_name=f"Müller-Çelik {i}",
                phone="+33612345678",
                is_beneficiary=True,
                email_verified_at=now,
            )
            for i in range(BENEFICIARIES)
        )
    statuses = ["CONFIRMED", "CONFIRMED", "CONFIRMED", "USED", "USED", "CANCELLED", "REIMBURSED"]
    made = 0
    while made < rows:
        batch = []
        for index in range(made, min(made + BATCH, rows)):
            offer_index, user_index = divmod(index, per_offer)
            status = statuses[index % len(statuses)]
            quantity = 1 + index % 2
            booked_at = now - dt.timedelta(days=20, minutes=index % 10_000)
            batch.append(
                Booking(
                    code=code_of(index),
                    beneficiary=users[user_index],
                    offer=offers[offer_index],
                    offerer=offerer,
                    venue=venue,
                    stock=stocks[offer_index],
                    price_category_label="Tarif réduit",
                    quantity=quantity,
                    unit_price_cents=1250,
                    amount_cents=1250 * quantity,
                    status=status,
                    booked_at=booked_at,
                    cancellation_limit=booked_at + dt.timedelta(hours=48),
                    cancelled_at=now if status == "CANCELLED" else None,
                    cancellation_reason="BENEFICIARY" if status == "CANCELLED" else "",
                    used_at=now - dt.timedelta(days=1)
                    if status in ("USED", "REIMBURSED")
                    else None,
                    used_by="pro@bench.test" if status in ("USED", "REIMBURSED") else "",
                    reimbursed_at=now if status == "REIMBURSED" else None,
                )
            )
        with transaction.atomic():
            Booking.objects.bulk_create(batch)
        made += len(batch)
    return offerer.pk


def run_export(offerer_id: int, fmt: str) -> tuple[float, int]:
    """Seconds and bytes of one export, consumed chunk by chunk like a WSGI server."""
    from django.db import connection, reset_queries
    from django.utils import timezone

    from culturepass.bookings import pro_selectors
    from culturepass.offerers.models import Offerer
    from culturepass.pro.views_bookings import export_response

    reset_queries()
    start = time.perf_counter()
    offerer = Offerer.objects.get(pk=offerer_id)
    queryset = pro_selectors.bookings_for_offerer(offerer=offerer, now=timezone.now())
    response = export_response(queryset, fmt=fmt, filename="bench")
    size = 0
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - start
    connection.close()
    return seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    with tempfile.TemporaryDirectory(prefix="culturepass-bench-") as data_dir:
        setup_database(Path(data_dir))
        started = time.perf_counter()
        offerer_id = create_data(args.rows)
        log(f"{args.rows} bookings created in {time.perf_counter() - started:.1f} s")
        log(f"peak memory after data creation: {peak_mb():.0f} MB")
        csv_seconds, csv_bytes = run_export(offerer_id, "csv")
        log(f"CSV: {csv_seconds:.2f} s, {csv_bytes / 1e6:.1f} MB, peak {peak_mb():.0f} MB")
        xlsx_seconds, xlsx_bytes = run_export(offerer_id, "xlsx")
        log(f"XLSX: {xlsx_seconds:.2f} s, {xlsx_bytes / 1e6:.1f} MB, peak {peak_mb():.0f} MB")
        print(
            json.dumps(
                {
                    "rows": args.rows,
                    "csv_seconds": round(csv_seconds, 2),
                    "xlsx_seconds": round(xlsx_seconds, 2),
                    "peak_mb": round(peak_mb(), 1),
                    "csv_mb": round(csv_bytes / 1e6, 2),
                    "xlsx_mb": round(xlsx_bytes / 1e6, 2),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
