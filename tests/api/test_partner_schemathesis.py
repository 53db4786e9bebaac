"""schemathesis over /public/openapi.json, in-process (WSGI), with a valid key of a structure
that has a venue, an event, a price category, a date and a booking, so that generated paths
can hit real objects. Per operation: a bounded number of examples; checks: no 5xx, and every
response conforms to the schema (documented status, body matching its schema).

Part of ``make test`` (no marker). Operations are driven with hypothesis directly rather than
``schema.parametrize()``: schemathesis' lazy pytest loader reads ``Function._nodeid``, which
pytest 9 no longer has. Every operation runs even when one fails, and the failure lists each
failing operation with its minimal example as a curl command.

The rate limit is raised for this test only: it is not what is under test, and a few hundred
calls a minute with one key would otherwise turn the end of the run into 429s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from partner_key_helpers import bearer, make_event_world, make_key, make_partner
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 10
STATUSES: dict[str, list[int]] = {}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# Each request commits on its own, as in production: a database error in one request (a 500
# to report) must not abort a transaction shared with the next ones.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def partner_schema(monkeypatch) -> Any:
    monkeypatch.setattr("culturepass.api.partner.auth.RATE_LIMIT", 1_000_000)
    return schemathesis.openapi.from_wsgi("/public/openapi.json", get_wsgi_application())


@pytest.fixture
def partner(transactional_db) -> dict[str, Any]:
    offerer, venue, pro = make_partner()
    world = make_event_world(offerer, venue, pro, code="ABCDEF")
    return {"key": make_key(offerer, pro), "venue": venue, **world}


def real_objects(partner: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The structure's objects, by parameter name, for the pass that aims at them."""
    return {
        "path": {
            "event_id": partner["offer"].pk,
            "price_category_id": partner["price_category"].pk,
            "stock_id": partner["stock"].pk,
            "token": partner["booking"].code,
        },
        "query": {
            "venueId": partner["venue"].pk,
            "offerId": partner["offer"].pk,
            "priceCategoryId": partner["price_category"].pk,
            "stockId": partner["stock"].pk,
        },
    }


def _aim_at(objects: dict[str, dict[str, Any]]) -> Callable[[Any], Any]:
    """Replace generated ids with real ones (random ids almost never exist), and drop the
    generated Idempotency-Key (hypothesis reuses small values, which would mostly test the
    422 of a reused key instead of the route)."""

    def aim(case: Any) -> Any:
        for location, attribute in (("path", "path_parameters"), ("query", "query")):
            params = getattr(case, attribute)
            if params:
                for name in params:
                    if name in objects[location]:
                        params[name] = objects[location][name]
        if case.headers:
            case.headers.pop("Idempotency-Key", None)
        return case

    return aim


def _run_operation(
    operation: Any, headers: dict[str, str], aim: Callable[[Any], Any] | None
) -> None:
    strategy = operation.as_strategy()
    if aim is not None:
        strategy = strategy.map(aim)

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        report_multiple_bugs=False,
    )
    def check(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        STATUSES.setdefault(f"{operation.method.upper()} {operation.path}", []).append(
            response.status_code
        )

    check()


def _destructive_last(operation: Any) -> tuple[bool, str]:
    # Deleting the date or cancelling the booking first would leave nothing for the others.
    destructive = operation.method.lower() == "delete" or "/cancel/" in operation.path
    return destructive, operation.path


def test_partner_api_conforms_to_its_schema(partner_schema: Any, partner: dict[str, Any]) -> None:
    headers = bearer(partner["key"])
    operations = sorted(
        (result.ok() for result in partner_schema.get_all_operations()), key=_destructive_last
    )
    assert operations, "the partner API has no operation"
    aim = _aim_at(real_objects(partner))
    failures = []
    for pass_name, pass_aim in (("generated ids", None), ("real objects", aim)):
        for operation in operations:
            try:
                _run_operation(operation, headers, pass_aim)
            # schemathesis raises FailureGroup, a BaseExceptionGroup (not an Exception).
            except (Exception, BaseExceptionGroup) as error:
                failures.append(
                    f"{operation.method.upper()} {operation.path} ({pass_name}):\n{error}"
                )
    assert not failures, "\n\n".join(failures)
    # Guards the run itself: the real-objects pass reached the objects.
    reached = {name for name, statuses in STATUSES.items() if any(s < 300 for s in statuses)}
    assert "GET /public/offers/v1/events/{event_id}" in reached, STATUSES
    assert "GET /public/bookings/v1/token/{token}" in reached, STATUSES
