"""App API fixtures: a frozen clock, a beneficiary aged 18 with a token, an offer."""

from __future__ import annotations

import pytest
from api_helpers import NOW, bearer, make_beneficiary, make_offer
from django.test import Client
from django.utils import translation

from culturepass.accounts.models import User


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=True)


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


@pytest.fixture(autouse=True)
def _no_lockout_leak(settings):
    settings.AXES_FAILURE_LIMIT = 3


@pytest.fixture
def beneficiary(db) -> User:
    return make_beneficiary()


@pytest.fixture
def other_beneficiary(db) -> User:
    return make_beneficiary("tom@example.test")


@pytest.fixture
def api(beneficiary) -> Client:
    """A client authenticated as ``beneficiary`` with a fresh token."""
    return Client(headers=bearer(beneficiary))


@pytest.fixture
def other_api(other_beneficiary) -> Client:
    return Client(headers=bearer(other_beneficiary))


@pytest.fixture
def offer(db):
    return make_offer()


@pytest.fixture
def stock(offer):
    return offer.stocks.get()
