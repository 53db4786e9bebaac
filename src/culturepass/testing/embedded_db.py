"""pytest plugin: give the test run its own throwaway embedded PostgreSQL.

Loaded with ``-p`` before pytest-django imports the settings, so that two test
runs (or a test run next to ``make run``) never share a data directory. With
``DATABASE_URL`` set, that server is used instead (pytest-django creates and
drops ``test_culturepass`` on it).
"""

from __future__ import annotations

import os

os.environ.setdefault("CULTUREPASS_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright live-server tests
if not os.environ.get("DATABASE_URL"):
    import tempfile

    os.environ.setdefault("CULTUREPASS_DATA_DIR", tempfile.mkdtemp(prefix="culturepass-data-"))
    from culturepass import dbserver

    os.environ["DATABASE_URL"] = dbserver.start_throwaway()
