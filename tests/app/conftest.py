"""Beneficiary pages: the clock is fixed at NOW, a beneficiary aged 18 in Paris, offers."""

from __future__ import annotations

import pytest
import time_machine
from discovery_helpers import NOW, make_beneficiary, make_offerer, make_venue
from django.utils import translation


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def beneficiary(db):
    return make_beneficiary()


@pytest.fixture
def other_beneficiary(db):
    return make_beneficiary("autre@culturepass.test")


@pytest.fixture
def venue(db):
    return make_venue(make_offerer())
