"""Collective tests build on the booking and finance factories."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.utils import translation

_TESTS = Path(__file__).resolve().parents[1]
for folder in ("bookings", "finance", "collective"):
    if str(_TESTS / folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / folder))


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
