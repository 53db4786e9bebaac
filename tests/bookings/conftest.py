"""Bookings personas: a beneficiary aged 18 and a bookable concert of a validated structure."""

from __future__ import annotations

import pytest
from bookings_helpers import make_beneficiary, make_offer
from django.utils import translation

from culturepass.accounts.models import User
from culturepass.offers.models import Stock


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


@pytest.fixture
def beneficiary(db) -> User:
    return make_beneficiary()


@pytest.fixture
def stock(db) -> Stock:
    """A duo concert at 20,00 € a seat, 100 seats, in ten days."""
    return make_offer()
