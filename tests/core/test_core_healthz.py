"""GET /healthz: 200 only when the database answers and a worker is alive."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client

from culturepass.core import health

pytestmark = pytest.mark.django_db


def _workers(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def no_workers() -> None:
    _workers("DELETE FROM procrastinate_workers")


def test_healthy_with_a_fresh_worker_heartbeat(client: Client, no_workers: None) -> None:
    _workers("INSERT INTO procrastinate_workers DEFAULT VALUES")

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["worker"]["ok"] is True
    assert body["worker"]["workers"] == 1
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_unhealthy_without_any_worker(client: Client, no_workers: None) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"]["ok"] is True
    assert body["worker"] == {"ok": False, "workers": 0, "last_heartbeat_seconds_ago": None}


def test_unhealthy_when_the_last_heartbeat_is_too_old(
    client: Client, no_workers: None, settings
) -> None:
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 60
    _workers(
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '61 seconds')"
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["worker"]["ok"] is False


def test_unhealthy_when_the_database_is_unreachable(client: Client, monkeypatch) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "database": {"ok": False, "error": "OperationalError"},
        "worker": {"ok": False, "error": "database unreachable"},
        "status": "error",
    }


def test_only_get_is_allowed(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def _wait_for_status(client: Client, status: int, timeout: float = 15) -> int:
    deadline = time.monotonic() + timeout
    while True:
        code = client.get("/healthz").status_code
        if code == status or time.monotonic() > deadline:
            return code
        time.sleep(0.1)


def test_a_running_worker_makes_the_platform_healthy_until_it_stops(
    client: Client, job_worker
) -> None:
    assert client.get("/healthz").status_code == 503

    worker = job_worker(wait=True, queues=["emails"]).start()
    assert _wait_for_status(client, 200) == 200

    worker.stop()
    # A worker that stops cleanly removes its heartbeat at once.
    assert client.get("/healthz").status_code == 503
