"""Acceptance: two teachers of two schools pre-book the same collective offer at once, from
two threads on two database connections. Exactly one wins. With the offer lock switched off
(the documented seam) both pass the checks, and the database constraint still keeps one live
booking per offer, with the same error code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from bookings_helpers import NOW
from collective_helpers import make_collective_offer, make_member, make_school, referenced_structure
from django.db import connection

from culturepass.collective import services
from culturepass.collective.models import CollectiveBooking
from culturepass.core.errors import DomainError


def _clear_job_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers"
        )


@pytest.fixture
def parallel_db(transactional_db) -> Iterator[None]:
    _clear_job_tables()
    try:
        yield
    finally:
        _clear_job_tables()


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "unlocked"])
def test_two_teachers_prebook_the_same_offer_at_once(parallel_db, monkeypatch, locked):
    _offerer, venue, _pro = referenced_structure()
    offer = make_collective_offer(venue)
    teachers = [make_member(make_school()) for _ in range(2)]
    monkeypatch.setattr(services, "_LOCK_ROWS", locked)
    start = threading.Barrier(2)
    gate = threading.Barrier(2)
    passed: list[int] = []
    lock = threading.Lock()

    def hook() -> None:
        with lock:
            passed.append(1)
        if not locked:
            # Hold both threads after their checks so that both really race to the INSERT.
            gate.wait(timeout=10)

    monkeypatch.setattr(services, "_test_hook_checks_passed", hook)
    outcomes: list[Any] = [None, None]
    pids: set[int] = set()

    def worker(i: int) -> None:
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.add(cursor.fetchone()[0])
            start.wait(timeout=10)
            outcomes[i] = services.collective_booking_prebook(
                actor=teachers[i], offer=offer, now=NOW
            )
        except DomainError as exc:
            outcomes[i] = exc.code
        except BaseException as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(pids) == 2, "each teacher uses their own connection"
    won = [o for o in outcomes if isinstance(o, CollectiveBooking)]
    lost = [o for o in outcomes if not isinstance(o, CollectiveBooking)]
    assert len(won) == 1, outcomes
    assert lost == ["already_booked"], outcomes
    # Under the lock the second teacher sees the first booking; without it both passed the
    # checks (the race happened) and the constraint refused the second INSERT.
    assert len(passed) == (1 if locked else 2)
    assert (
        CollectiveBooking.objects.filter(offer=offer)
        .exclude(status=CollectiveBooking.Status.CANCELLED)
        .count()
        == 1
    )
