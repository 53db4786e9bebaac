"""Idempotency-Key on the partner API: replay, another request → 422, a concurrent duplicate
→ 409 (two real threads, the first held open inside the route), 5xx not stored, purge.

The routes are those of a scratch API built with the real conventions
(``partner_scratch_urls``): they count their calls, can be held open or made to fail."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from partner_key_helpers import bearer, make_key, make_partner
from partner_scratch_urls import Gate

from culturepass.api.models import IdempotencyRecord
from culturepass.api.partner.idempotency import idempotency_purge

pytestmark = [pytest.mark.django_db, pytest.mark.urls("partner_scratch_urls")]

ECHO = "/scratch/echo"
IN_PROGRESS = {"global": ["A request with this Idempotency-Key is in progress"]}
OTHER_REQUEST = {"global": ["Idempotency-Key already used with another request"]}


@pytest.fixture(autouse=True)
def _gate():
    Gate.reset()
    yield
    Gate.release.set()  # never leave a thread waiting


@pytest.fixture
def key(db) -> str:
    offerer, _venue, pro = make_partner()
    return make_key(offerer, pro)


def _post(key: str, body: dict[str, Any], *, idem: str | None, path: str = ECHO):
    headers = bearer(key)
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return Client(headers=headers).post(path, json.dumps(body), content_type="application/json")


def test_without_a_key_every_request_runs(key):
    assert _post(key, {"label": "a"}, idem=None).json()["callNumber"] == 1
    assert _post(key, {"label": "a"}, idem=None).json()["callNumber"] == 2
    assert IdempotencyRecord.objects.count() == 0


def test_the_same_key_and_request_replays_the_first_response(key):
    first = _post(key, {"label": "a"}, idem="k-1")
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first
    again = _post(key, {"label": "a"}, idem="k-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert len(Gate.calls) == 1  # the operation ran once
    record = IdempotencyRecord.objects.get()
    assert record.status == IdempotencyRecord.Status.DONE
    assert record.response_status == 200


def test_an_error_response_is_replayed_too(key):
    first = _post(key, {"label": "a", "unknown": 1}, idem="k-400")
    assert first.status_code == 400
    assert first.json() == {"unknown": ["extra fields not permitted"]}
    again = _post(key, {"label": "a", "unknown": 1}, idem="k-400")
    assert again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_204_is_replayed_empty(key):
    client = Client(headers={**bearer(key), "Idempotency-Key": "del-1"})
    assert client.delete("/scratch/things/3").status_code == 204
    again = client.delete("/scratch/things/3")
    assert again.status_code == 204
    assert again.content == b""
    assert again["Idempotent-Replayed"] == "true"
    assert Gate.calls == [{"deleted": 3}]


def test_the_same_key_with_another_body_is_422(key):
    assert _post(key, {"label": "a"}, idem="k-2").status_code == 200
    other = _post(key, {"label": "b"}, idem="k-2")
    assert other.status_code == 422
    assert other.json() == OTHER_REQUEST
    assert len(Gate.calls) == 1


def test_the_same_key_on_another_path_is_422(key):
    assert _post(key, {"label": "a"}, idem="k-3").status_code == 200
    other = _post(key, {"label": "a"}, idem="k-3", path="/scratch/hold?x=1")
    assert other.status_code == 422
    assert other.json() == OTHER_REQUEST


def test_keys_are_scoped_to_the_api_key(key):
    offerer, _venue, pro = make_partner(siren="732829320", name="Autre salle")
    other_key = make_key(offerer, pro)
    assert _post(key, {"label": "a"}, idem="shared").status_code == 200
    response = _post(other_key, {"label": "a"}, idem="shared")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert response.json()["offererId"] == offerer.pk


def test_a_server_error_is_not_stored_so_the_client_may_retry(key):
    failed = _post(key, {"label": "a", "failWith": 503}, idem="k-5xx")
    assert failed.status_code == 503
    assert IdempotencyRecord.objects.count() == 0
    again = _post(key, {"label": "a", "failWith": 503}, idem="k-5xx")
    assert again.status_code == 503
    assert "Idempotent-Replayed" not in again
    assert len(Gate.calls) == 2


def test_a_get_ignores_the_header(key):
    client = Client(headers={**bearer(key), "Idempotency-Key": "k-get"})
    assert client.get("/scratch/whoami").status_code == 200
    assert IdempotencyRecord.objects.count() == 0


def test_an_unauthenticated_request_is_not_stored(db):
    response = Client(headers={"Idempotency-Key": "k-anon"}).post(
        ECHO, "{}", content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json() == {"auth": "API key required"}
    assert IdempotencyRecord.objects.count() == 0


def test_an_overlong_key_is_400(key):
    response = _post(key, {"label": "a"}, idem="x" * 256)
    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]
    assert Gate.calls == []


def test_records_older_than_a_day_are_purged(key):
    _post(key, {"label": "a"}, idem="old")
    _post(key, {"label": "a"}, idem="new")
    now = timezone.now()
    IdempotencyRecord.objects.filter(key="old").update(created_at=now - dt.timedelta(hours=25))
    assert idempotency_purge(now=now) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_purge_task_is_scheduled():
    from procrastinate.contrib.django import app

    import culturepass.jobs.schedules  # noqa: F401 - registers the periodic tasks

    assert "api.purge_idempotency" in app.tasks
    periodic_ids = {p.periodic_id for p in app.periodic_registry.periodic_tasks.values()}
    assert "api_purge_idempotency" in periodic_ids


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_is_409_while_the_first_is_in_progress(key):
    """Two real threads: the first request is held inside the route; the duplicate arrives
    meanwhile and is refused at once; once the first answers, the key replays it."""
    results: dict[str, Any] = {}

    def first_request() -> None:
        try:
            response = _post(key, {"label": "slow"}, idem="race", path="/scratch/hold")
            results["first"] = (response.status_code, response.json())
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert Gate.entered.wait(timeout=10), "the first request never reached the route"

        def duplicate_request() -> None:
            try:
                response = _post(key, {"label": "slow"}, idem="race", path="/scratch/hold")
                results["duplicate"] = (response.status_code, response.json())
            finally:
                connection.close()

        duplicate = threading.Thread(target=duplicate_request)
        duplicate.start()
        duplicate.join(timeout=10)
        assert not duplicate.is_alive()
        assert results["duplicate"] == (409, IN_PROGRESS)
        assert len(Gate.calls) == 1  # the duplicate never entered the route
    finally:
        Gate.release.set()
        thread.join(timeout=10)
    assert results["first"][0] == 200
    replay = _post(key, {"label": "slow"}, idem="race", path="/scratch/hold")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == results["first"][1]
    assert len(Gate.calls) == 1
