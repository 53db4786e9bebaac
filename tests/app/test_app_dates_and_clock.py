"""Dates with a time read « lundi 1 mars 2027 à 20:00 » in French, through one msgid
("%(date)s à %(time)s") that English translates with "at"; the pages read the one clock."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from discovery_helpers import NOW, make_offer
from django.urls import reverse
from django.utils import dateformat, timezone, translation

import culturepass
from culturepass.bookings.models import Booking
from culturepass.core import clock

pytestmark = pytest.mark.django_db

PARIS_TZ = ZoneInfo("Europe/Paris")
AT = "%(date)s à %(time)s"


def french(value: dt.datetime, pattern: str) -> str:
    """``value`` in Paris time, formatted as the French pages did with one date format."""
    with translation.override("fr"):
        return dateformat.format(timezone.localtime(value, PARIS_TZ), pattern)


def _book(client, beneficiary, venue) -> Booking:
    stock = make_offer(venue, days=(10,)).stocks.get()
    client.force_login(beneficiary)
    client.post(reverse("app:booking_confirm"), {"stock": stock.pk, "quantity": 1})
    return Booking.objects.get()


def test_french_dates_keep_the_same_text(client, beneficiary, venue):
    booking = _book(client, beneficiary, venue)
    html = client.get(reverse("app:booking_detail", args=[booking.pk])).content.decode()
    expected = french(booking.cancellation_limit, "l j F Y à H:i")
    assert f"Vous pouvez annuler jusqu'au {expected} : le montant" in html

    client.post(reverse("app:booking_cancel", args=[booking.pk]))
    booking.refresh_from_db()
    html = client.get(reverse("app:booking_detail", args=[booking.pk])).content.decode()
    assert f"le {french(booking.cancelled_at, 'l j F Y à H:i')}</dd>" in html


def test_offer_opening_date_in_french(client, venue):
    opens = NOW + dt.timedelta(days=2, hours=3)
    offer = make_offer(venue, days=(10,), booking_allowed_datetime=opens)
    html = client.get(reverse("app:offer", args=[offer.pk])).content.decode()
    assert f"Les réservations ouvrent le {french(opens, 'l j F Y à H:i')}." in html


def test_english_says_at_through_the_catalogue(client, beneficiary, venue, monkeypatch):
    """Stand in for the English catalogue entry of the shared msgid."""
    real = translation.gettext
    monkeypatch.setattr(
        translation,
        "gettext",
        lambda text: "%(date)s at %(time)s" if text == AT else real(text),
    )
    booking = _book(client, beneficiary, venue)
    limit = timezone.localtime(booking.cancellation_limit, PARIS_TZ)
    with translation.override("en"):
        html = client.get(
            reverse("app:booking_detail", args=[booking.pk]), headers={"Accept-Language": "en"}
        ).content.decode()
    assert f" at {limit:%H:%M}" in html
    assert f" à {limit:%H:%M}" not in html


def test_no_template_hard_codes_a_word_in_a_date_format():
    package = Path(culturepass.__file__).resolve().parent
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""date:["'][^"']*\bà\b""", line)
    ]
    assert offenders == []


def test_pages_read_the_project_clock(client, beneficiary, venue, monkeypatch):
    """Only ``clock.now`` moves: the page follows it (the deadline has passed)."""
    booking = _book(client, beneficiary, venue)
    later = NOW + dt.timedelta(days=5)
    calls = []

    def fake_now() -> dt.datetime:
        calls.append(1)
        return later

    monkeypatch.setattr(clock, "now", fake_now)
    html = client.get(reverse("app:booking_detail", args=[booking.pk])).content.decode()
    assert "L'annulation n'est plus possible depuis le" in html
    assert "Annuler ma réservation" not in html
    assert calls
