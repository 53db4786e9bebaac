"""Acceptance: real parallel connections race for the last seats, for one beneficiary's last
euros, and for the same offer. Under the service's locks exactly the capacity is booked;
with the locks switched off the race really happens (the checks pass for more than the
capacity) and the database constraints still refuse the excess, with the same error codes.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from bookings_helpers import NOW, credit_of, make_beneficiary, make_offer, make_offerer, make_venue
from django.db import connection

from culturepass.bookings import services
from culturepass.bookings.models import Booking
from culturepass.bookings.services import BookingError, booking_create
from culturepass.offers.models import Stock

THREADS = 32
PRICE = 1500


def _clear_job_tables() -> None:
    # Committed bookings defer email jobs; procrastinate's tables survive Django's flush.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers"
        )


@pytest.fixture
def parallel_db(transactional_db) -> Iterator[None]:
    """Committed data, and a connection pool large enough for every thread at once."""
    pool = getattr(connection, "pool", None)
    sizes = (pool.min_size, pool.max_size) if pool is not None else None
    if pool is not None:
        pool.resize(min_size=pool.min_size, max_size=max(pool.max_size, THREADS + 4))
    _clear_job_tables()
    try:
        yield
    finally:
        _clear_job_tables()
        if pool is not None and sizes is not None:
            pool.resize(min_size=sizes[0], max_size=sizes[1])


class Race:
    """Runs one call per thread, each on its own database connection, all released at once
    by a barrier. Records the outcome (a booking, or an error code) and the backend pids."""

    def __init__(self, n: int = THREADS) -> None:
        self.n = n
        self.start = threading.Barrier(n)
        self.pids: set[int] = set()
        self.outcomes: list[Any] = [None] * n
        self.checks_passed = 0
        self._lock = threading.Lock()

    def checks_passed_hook(self, hold: bool) -> Callable[[], None]:
        """Counts the calls that passed every check; ``hold`` keeps them all there until
        every thread has checked, so the unprotected run really races."""
        gate = threading.Barrier(self.n)

        def hook() -> None:
            with self._lock:
                self.checks_passed += 1
            if hold:
                # Threads refused before the gate break it after the timeout: go on.
                with contextlib.suppress(threading.BrokenBarrierError):
                    gate.wait(timeout=5)

        return hook

    def run(self, call: Callable[[int], Booking]) -> list[Any]:
        def worker(i: int) -> None:
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pid = cursor.fetchone()[0]
                with self._lock:
                    self.pids.add(pid)
                self.start.wait(timeout=30)
                self.outcomes[i] = call(i)
            except BookingError as exc:
                self.outcomes[i] = exc.code
            except BaseException as exc:  # reported by the assertions below
                self.outcomes[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(self.n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a booking thread hung"
        unexpected = [o for o in self.outcomes if not isinstance(o, (Booking, str))]
        assert not unexpected, unexpected
        assert len(self.pids) == self.n, "every thread must use its own connection"
        return self.outcomes

    @staticmethod
    def summary(outcomes: list[Any]) -> Counter[str]:
        return Counter("booked" if isinstance(o, Booking) else o for o in outcomes)


@pytest.fixture(params=[True, False], ids=["locked", "unlocked"])
def protection(request, monkeypatch) -> bool:
    """``locked``: the service as shipped. ``unlocked``: the row locks switched off through
    the documented seam; only the database constraints are left."""
    monkeypatch.setattr(services, "_LOCK_ROWS", request.param)
    return request.param


def _arm(race: Race, monkeypatch, locked: bool) -> None:
    monkeypatch.setattr(services, "_on_checks_passed", race.checks_passed_hook(hold=not locked))


def test_32_beneficiaries_race_for_the_last_5_seats(parallel_db, protection, monkeypatch) -> None:
    occurrence = make_offer(quantity=5, price_cents=PRICE)
    people = [make_beneficiary(f"jeune{i}@example.test") for i in range(THREADS)]
    race = Race()
    _arm(race, monkeypatch, protection)

    outcomes = race.run(
        lambda i: booking_create(beneficiary=people[i], stock_id=occurrence.pk, quantity=1, now=NOW)
    )

    assert race.summary(outcomes) == {"booked": 5, "not_enough_seats": THREADS - 5}
    occurrence.refresh_from_db()
    assert occurrence.booked_quantity == occurrence.quantity == 5
    assert Booking.objects.filter(stock=occurrence).count() == 5
    assert sum(credit_of(p).spent_cents for p in people) == 5 * PRICE
    if protection:
        assert race.checks_passed == 5
    else:  # the race happened: everyone saw free seats; the constraint refused the excess
        assert race.checks_passed == THREADS


def test_one_beneficiary_races_32_offers_with_credit_for_3(
    parallel_db, protection, monkeypatch
) -> None:
    venue = make_venue(make_offerer())
    occurrences = [
        make_offer(venue, name=f"Concert {i}", price_cents=PRICE, quantity=10)
        for i in range(THREADS)
    ]
    lea = make_beneficiary(granted_cents=3 * PRICE)
    race = Race()
    _arm(race, monkeypatch, protection)

    outcomes = race.run(
        lambda i: booking_create(beneficiary=lea, stock_id=occurrences[i].pk, quantity=1, now=NOW)
    )

    assert race.summary(outcomes) == {"booked": 3, "insufficient_credit": THREADS - 3}
    account = credit_of(lea)
    assert account.spent_cents == account.granted_cents == 3 * PRICE
    assert account.balance_cents == 0
    assert Booking.objects.filter(beneficiary=lea).count() == 3
    assert (
        sum(
            Stock.objects.filter(pk__in=[o.pk for o in occurrences]).values_list(
                "booked_quantity", flat=True
            )
        )
        == 3
    )
    if protection:
        assert race.checks_passed == 3
    else:
        assert race.checks_passed == THREADS


def test_one_beneficiary_races_the_same_offer_32_times(
    parallel_db, protection, monkeypatch
) -> None:
    occurrence = make_offer(quantity=100, price_cents=PRICE)
    lea = make_beneficiary()
    race = Race()
    _arm(race, monkeypatch, protection)

    outcomes = race.run(
        lambda i: booking_create(beneficiary=lea, stock_id=occurrence.pk, quantity=1, now=NOW)
    )

    assert race.summary(outcomes) == {"booked": 1, "already_booked": THREADS - 1}
    assert Booking.objects.filter(beneficiary=lea).exclude(status="CANCELLED").count() == 1
    occurrence.refresh_from_db()
    assert occurrence.booked_quantity == 1
    assert credit_of(lea).spent_cents == PRICE
    if protection:
        assert race.checks_passed == 1
    else:
        assert race.checks_passed == THREADS
