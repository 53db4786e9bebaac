"""The single source of time. Read once per operation and pass ``now`` down."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()
