"""Finance tests build on the booking factories (``tests/bookings/bookings_helpers.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bookings"))


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    # Bank documents of a test never land in the developer's data directory.
    settings.PRIVATE_ROOT = tmp_path / "private"
