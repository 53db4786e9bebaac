"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Mark tests with ``@pytest.mark.browser``. Fixtures:

- ``page``: a fresh browser context on the live server (``page.goto("/compte/...")``);
- ``login(page, user)``: the browser is logged in as ``user`` (no form round trip);
- ``assert_accessible(page)``: axe-core finds no serious or critical violation.

Never ``playwright install``: the browser is the distribution's, installed by
``make test`` (``apt-get install chromium``) when missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed at /usr/bin/chromium "
            "(apt-get install chromium; `make test` does it when run as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def login(live_server: Any) -> Callable[[Any, Any], None]:
    """``login(page, user)``: put a session cookie for ``user`` in the page's browser."""

    def _login(page: Any, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return _login


def _describe(violation: dict[str, Any]) -> str:
    lines = [
        f"- {violation['id']} ({violation['impact']}): {violation['help']}",
        f"  {violation['helpUrl']}",
    ]
    for node in violation["nodes"]:
        target = " ".join(str(part) for part in node["target"])
        lines.append(f"    at {target}")
        summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
        if summary:
            lines.append(f"       {summary}")
    return "\n".join(lines)


def check_accessibility(page: Any, *, disable_rules: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Run axe-core on the page; return the serious and critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    options: dict[str, Any] = {"resultTypes": ["violations"]}
    disabled = list(disable_rules)
    if disabled:
        options["rules"] = {rule: {"enabled": False} for rule in disabled}
    results = Axe().run(page, options=options)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


@pytest.fixture
def assert_accessible() -> Callable[..., None]:
    """``assert_accessible(page)``: fail on any serious or critical axe violation."""

    def _assert_accessible(page: Any, *, disable_rules: Iterable[str] = ()) -> None:
        violations = check_accessibility(page, disable_rules=disable_rules)
        if violations:
            report = "\n".join(_describe(v) for v in violations)
            pytest.fail(f"accessibility violations on {page.url}:\n{report}", pytrace=False)

    return _assert_accessible
