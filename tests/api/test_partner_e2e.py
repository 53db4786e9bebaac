"""The partner API as an integrator meets it: plain HTTP against a live server.

A ticketing partner creates a concert with two price categories and 30 dates, a young person
books through the app API, the partner's endpoint receives a signed webhook and checks the
signature as /public/docs/webhooks says, then reads the booking by its code, marks it used,
undoes it and lists the bookings page by page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from api_helpers import NOW, make_beneficiary
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.offerers.models import Membership, Offerer, Venue

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))

from browser_helpers import run_worker_until_idle

pytestmark = pytest.mark.django_db(transaction=True)

PARIS = ZoneInfo("Europe/Paris")


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append({"headers": dict(self.headers.items()), "body": body})
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/culturepass", _Receiver.received
    finally:
        server.shutdown()


class Http:
    """What a partner's developer writes: urllib, a bearer key, JSON in and out."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.key = key

    def __call__(
        self, method: str, path: str, body: Any = None, *, key: str | None = None
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {key or self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None


def verify_signature(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """As the documentation tells partners: HMAC-SHA256 of "<timestamp>.<raw body>" with the
    webhook secret, compared in constant time, timestamp within 5 minutes."""
    timestamp = headers["X-Culturepass-Timestamp"]
    if abs(now - int(timestamp)) > 300:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    signatures = [
        part.removeprefix("v1=") for part in headers["X-Culturepass-Signature"].split(",")
    ]
    return any(hmac.compare_digest(expected, s.strip()) for s in signatures)


def test_a_partner_integrates_end_to_end(live_server, receiver, time_machine, settings) -> None:
    from culturepass.api.partner.keys import partner_api_key_create
    from culturepass.notifications.models import Webhook
    from culturepass.notifications.webhooks import webhook_create

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    webhook_url, received = receiver
    pro = User.objects.create_user(
        "billetterie@salle.test", "Motdepasse-solide-2026", is_pro=True, first_name="Inès"
    )
    offerer = Offerer.objects.create(
        siren="552100554",
        name="Salle des Fêtes",
        street="1 place de la Mairie",
        postal_code="69001",
        city="Lyon",
        department_code="69",
        status=Offerer.Status.VALIDATED,
        created_at=NOW - dt.timedelta(days=100),
    )
    Membership.objects.create(
        user=pro,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW - dt.timedelta(days=100),
    )
    venue = Venue.objects.create(
        offerer=offerer,
        siret="55210055400013",
        name="Salle des Fêtes de Lyon",
        street="1 place de la Mairie",
        postal_code="69001",
        city="Lyon",
        department_code="69",
        latitude="45.76404",
        longitude="4.83566",
        coordinates_source=Venue.CoordinatesSource.MANUAL,
        is_head_office=True,
        created_at=NOW - dt.timedelta(days=100),
    )
    _api_key, clear_key = partner_api_key_create(
        actor=pro, offerer=offerer, label="Billetterie", now=timezone.now()
    )
    webhook = webhook_create(
        actor=pro,
        offerer=offerer,
        url=webhook_url,
        events=[e.value for e in Webhook.Event],
        now=timezone.now(),
    )
    api = Http(live_server.url + "/public", clear_key)

    # --- The venue and a category, as the partner discovers them.
    status, venues = api("GET", "/offers/v1/offerer_venues")
    assert status == 200
    assert [v["id"] for v in venues[0]["venues"]] == [venue.pk]
    status, music_types = api("GET", "/offers/v1/music_types/event")
    assert status == 200

    # --- A concert with two price categories.
    status, event = api(
        "POST",
        "/offers/v1/events",
        {
            "name": "Nuit du jazz",
            "description": "Trois quartets sur la grande scène.",
            "categoryRelatedFields": {"category": "CONCERT", "musicType": music_types[0]["id"]},
            "accessibility": {
                "audioDisabilityCompliant": True,
                "mentalDisabilityCompliant": True,
                "motorDisabilityCompliant": True,
                "visualDisabilityCompliant": False,
            },
            "location": {"type": "physical", "venueId": venue.pk},
            "hasTicket": False,
            "bookingContact": "contact@salle.test",
            "bookingEmail": "resa@salle.test",
            "enableDoubleBookings": True,
            "eventDuration": 120,
            "itemCollectionDetails": "Billets au guichet, pièce d'identité demandée.",
            "priceCategories": [
                {"label": "Plein tarif", "price": 2500},
                {"label": "Balcon", "price": 1200},
            ],
        },
    )
    assert status == 200, event
    categories = {c["label"]: c["id"] for c in event["priceCategories"]}
    assert set(categories) == {"Plein tarif", "Balcon"}

    # --- 30 dates: 15 evenings at 20:30 Paris time, each in both price categories.
    first_evening = (NOW + dt.timedelta(days=10)).astimezone(PARIS).date()
    dates = []
    for day in range(15):
        local = dt.datetime.combine(
            first_evening + dt.timedelta(days=day), dt.time(20, 30), tzinfo=PARIS
        )
        for category_id in categories.values():
            dates.append(
                {
                    "beginningDatetime": local.isoformat(),
                    "bookingLimitDatetime": local.isoformat(),
                    "priceCategoryId": category_id,
                    "quantity": 100,
                }
            )
    status, created = api("POST", f"/offers/v1/events/{event['id']}/dates", {"dates": dates})
    assert status == 200, created
    assert len(created["dates"]) == 30
    assert created["dates"][0]["beginningDatetime"].endswith("Z")
    status, event = api("GET", f"/offers/v1/events/{event['id']}")
    assert status == 200
    assert event["status"] == "ACTIVE"

    # --- Young people book through the app API.
    first_date = created["dates"][0]
    codes = []
    for index in range(5):
        young = make_beneficiary(f"jeune{index}@example.test")
        from culturepass.api.auth import app_token_create

        token = app_token_create(user=young, name="e2e", now=timezone.now()).token
        app = Http(live_server.url + "/api/app/v1", token)
        status, booked = app(
            "POST",
            "/bookings",
            {"stock_id": first_date["id"], "quantity": 2 if index == 0 else 1},
        )
        assert status == 201, booked
        codes.append(booked["code"])

    # --- The worker delivers the "booking created" webhooks, signed.
    run_worker_until_idle(["webhooks"])
    created_events = [
        r for r in received if r["headers"]["X-Culturepass-Event"] == "booking.created"
    ]
    assert len(created_events) == 5
    first = created_events[0]
    assert verify_signature(
        webhook.secret, first["headers"], first["body"], timezone.now().timestamp()
    )
    assert not verify_signature(
        webhook.secret, first["headers"], first["body"] + b" ", timezone.now().timestamp()
    )
    payload = json.loads(first["body"])
    assert payload["type"] == "booking.created"
    assert payload["data"]["booking"]["quantity"] in (1, 2)

    # --- After the cancellation window, the partner reads the booking by its code and uses it.
    time_machine.move_to(NOW + dt.timedelta(days=3), tick=True)
    code = codes[0]
    status, booking = api("GET", f"/bookings/v1/token/{code.lower()}")
    assert status == 200, booking
    assert (booking["status"], booking["quantity"], booking["price"]) == ("CONFIRMED", 2, 2500)
    assert booking["userEmail"] == "jeune0@example.test"
    status, _ = api("PATCH", f"/bookings/v1/use/token/{code}")
    assert status == 204
    status, again = api("PATCH", f"/bookings/v1/use/token/{code}")
    assert (status, again) == (410, {"booking": "This booking has already been validated"})
    status, _ = api("PATCH", f"/bookings/v1/keep/token/{code}")
    assert status == 204
    status, booking = api("GET", f"/bookings/v1/token/{code}")
    assert booking["status"] == "CONFIRMED"

    run_worker_until_idle(["webhooks"])
    assert any(
        r["headers"]["X-Culturepass-Event"] == "booking.used"
        and json.loads(r["body"])["data"]["booking"]["id"] == booking["id"]
        for r in received
    )

    # --- Every booking of the offer, two at a time, by id.
    seen: list[int] = []
    first_index = 1
    while True:
        status, page = api(
            "GET", f"/bookings/v1/bookings?offerId={event['id']}&limit=2&firstIndex={first_index}"
        )
        assert status == 200
        if not page["bookings"]:
            break
        assert len(page["bookings"]) <= 2
        seen.extend(b["id"] for b in page["bookings"])
        first_index = page["bookings"][-1]["id"] + 1
    assert len(seen) == 5
    assert seen == sorted(seen)
