"""A scratch partner API for tests of the shared layer (auth, idempotency), with the real
conventions (:func:`culturepass.api.partner.api.configure`) and routes that can be held open
or made to fail. Used with ``@pytest.mark.urls("partner_scratch_urls")``."""

from __future__ import annotations

import threading
from typing import Any

from django.http import HttpRequest
from django.urls import include, path
from ninja import Status

from culturepass.api.partner.api import PartnerNinjaAPI, configure
from culturepass.api.partner.auth import PartnerKeyAuth
from culturepass.api.partner.base import CamelSchema, partner_actor


class Gate:
    """Holds the ``/hold`` route open until the test releases it."""

    entered = threading.Event()
    release = threading.Event()
    calls: list[dict[str, Any]] = []

    @classmethod
    def reset(cls) -> None:
        cls.entered = threading.Event()
        cls.release = threading.Event()
        cls.calls = []


class EchoIn(CamelSchema):
    label: str
    fail_with: int | None = None


class EchoOut(CamelSchema):
    label: str
    call_number: int
    offerer_id: int


scratch_api = configure(
    PartnerNinjaAPI(
        title="scratch partner API",
        version="scratch",
        urls_namespace="partner_scratch",
        openapi_url=None,
        docs_url=None,
        auth=PartnerKeyAuth(),
    )
)


@scratch_api.get("/whoami", response={200: Any})
def whoami(request: HttpRequest) -> dict[str, Any]:
    actor = partner_actor(request)
    return {
        "offererId": actor.offerer_id,
        "apiKeyId": actor.api_key_id,
        "venueIds": sorted(actor.venue_ids) if actor.venue_ids is not None else None,
    }


@scratch_api.post("/echo", response={200: EchoOut, 500: Any, 503: Any})
def echo(request: HttpRequest, payload: EchoIn) -> Any:
    Gate.calls.append(payload.model_dump())
    if payload.fail_with:
        return Status(payload.fail_with, {"global": ["boom"]})
    return {
        "label": payload.label,
        "call_number": len(Gate.calls),
        "offerer_id": partner_actor(request).offerer_id,
    }


@scratch_api.post("/hold", response={200: EchoOut})
def hold(request: HttpRequest, payload: EchoIn) -> Any:
    Gate.calls.append(payload.model_dump())
    Gate.entered.set()
    Gate.release.wait(timeout=10)
    return {
        "label": payload.label,
        "call_number": len(Gate.calls),
        "offerer_id": partner_actor(request).offerer_id,
    }


@scratch_api.delete("/things/{thing_id}", response={204: None})
def thing_delete(request: HttpRequest, thing_id: int) -> Status[None]:
    Gate.calls.append({"deleted": thing_id})
    return Status(204, None)


urlpatterns = [
    path("scratch/", scratch_api.urls),
    path("", include("culturepass.urls")),
]
