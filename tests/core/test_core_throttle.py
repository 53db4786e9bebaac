"""The PostgreSQL throttle: a fixed-window counter per key, one upsert per hit."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from culturepass.core.models import ThrottleBucket
from culturepass.core.throttle import (
    Throttled,
    throttle_count,
    throttle_hit,
    throttle_purge,
    throttle_refund,
    window_start,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 3, 9, 30, 0, tzinfo=dt.UTC)


def _hit(key: str = "k", *, limit: int = 3, now: dt.datetime = NOW) -> None:
    throttle_hit(key=key, limit=limit, window_seconds=60, now=now)


def test_the_hit_past_the_limit_is_refused() -> None:
    for _ in range(3):
        _hit()

    with pytest.raises(Throttled) as exc:
        _hit(now=NOW + dt.timedelta(seconds=59))

    assert exc.value.code == "too_many_attempts"
    assert exc.value.message == "Trop de tentatives : réessayez dans une minute."


def test_the_caller_chooses_the_message() -> None:
    with pytest.raises(Throttled) as exc:
        throttle_hit(key="k", limit=0, window_seconds=60, now=NOW, message="Doucement.")

    assert exc.value.message == "Doucement."


def test_a_new_window_starts_from_zero_and_keeps_one_row_per_key() -> None:
    for _ in range(3):
        _hit()

    _hit(now=NOW + dt.timedelta(minutes=1))

    assert ThrottleBucket.objects.count() == 1
    assert throttle_count(key="k", window_seconds=60, now=NOW + dt.timedelta(minutes=1)) == 1


def test_keys_are_counted_apart() -> None:
    for _ in range(3):
        _hit("a")

    _hit("b")

    with pytest.raises(Throttled):
        _hit("a")


def test_refused_hits_do_not_push_the_count_further() -> None:
    for _ in range(3):
        _hit()
    for _ in range(5):
        with pytest.raises(Throttled):
            _hit()

    assert throttle_count(key="k", window_seconds=60, now=NOW) == 4


def test_a_refund_gives_an_attempt_back_never_below_zero() -> None:
    for _ in range(3):
        _hit()
    throttle_refund(key="k", window_seconds=60, now=NOW)
    _hit()  # allowed again
    for _ in range(5):
        throttle_refund(key="k", window_seconds=60, now=NOW)

    assert throttle_count(key="k", window_seconds=60, now=NOW) == 0


def test_windows_are_aligned() -> None:
    assert window_start(now=NOW + dt.timedelta(seconds=42), window_seconds=60) == NOW
    with pytest.raises(ValueError, match="positive"):
        window_start(now=NOW, window_seconds=0)


def test_purge_forgets_old_windows_only() -> None:
    _hit("old", now=NOW - dt.timedelta(hours=2))
    _hit("new", now=NOW)

    assert throttle_purge(now=NOW) == 1
    assert list(ThrottleBucket.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_never_pass_the_limit() -> None:
    """16 connections hit one key at once: exactly ``limit`` get through."""
    limit, threads = 5, 16
    barrier = threading.Barrier(threads)
    results: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait(10)
            try:
                throttle_hit(key="race", limit=limit, window_seconds=60, now=NOW)
                ok = True
            except Throttled:
                ok = False
            with lock:
                results.append(ok)
        finally:
            connection.close()

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(20)

    assert len(results) == threads
    assert results.count(True) == limit
