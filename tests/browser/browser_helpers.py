"""Helpers of the browser tests: emails, SIRET numbers, screenshots, locating fields,
images, background jobs."""

from __future__ import annotations

import asyncio
import io
import os
import re
import threading
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from django.core.mail import EmailMessage
from stdnum import luhn

from helpers import deliver_emails

# Set to a directory (e.g. /tmp/shots) to keep a full-page screenshot of each step.
SHOTS_DIR_VARIABLE = "BROWSER_SHOTS_DIR"


def siren_from(prefix: str) -> str:
    """A Luhn-valid SIREN made of ``prefix`` (8 digits) and its check digit."""
    assert re.fullmatch(r"\d{8}", prefix), prefix
    return prefix + luhn.calc_check_digit(prefix)


def siret_of(siren: str, nic: str) -> str:
    """A Luhn-valid SIRET of establishment ``nic`` (4 digits) of ``siren``."""
    assert re.fullmatch(r"\d{9}", siren), siren
    assert re.fullmatch(r"\d{4}", nic), nic
    return siren + nic + luhn.calc_check_digit(siren + nic)


def with_bad_check_digit(number: str) -> str:
    """The same number with its last digit changed: the Luhn key no longer matches."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def emails_to(address: str) -> list[EmailMessage]:
    """Deliver the outbox (as the worker would) and return the emails sent to ``address``."""
    return [message for message in deliver_emails() if address in message.to]


def link_path(message: EmailMessage, contains: str) -> str:
    """Path of the one link of ``message`` whose address contains ``contains``.

    Emails point at SITE_URL; the browser opens the path on the live server.
    """
    urls = [url for url in re.findall(r"https?://\S+", str(message.body)) if contains in url]
    assert len(urls) == 1, (contains, message.body)
    return urlsplit(urls[0]).path


def screenshot(page: Any, name: str) -> None:
    """Keep a full-page screenshot of the page when ``BROWSER_SHOTS_DIR`` is set."""
    directory = os.environ.get(SHOTS_DIR_VARIABLE)
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


# --- locating things as a user sees them ---------------------------------------------------


def field(scope: Any, label: str) -> Any:
    """The form control labelled ``label`` in ``scope`` (a page or a locator).

    Only inputs, selects and text areas: a form named by its heading is not a field.
    """
    labelled = scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$"))
    return labelled.and_(scope.locator("input, select, textarea"))


def field_group(scope: Any, label: str) -> Any:
    """The block around a control: its label, help text and errors."""
    # ``has`` is matched inside each block: it must not start from ``scope`` again.
    page = getattr(scope, "page", scope)
    return scope.locator(".field").filter(has=field(page, label))


def expect_field_error(scope: Any, label: str, message: str) -> None:
    """``message`` is shown next to the field and announced with it."""
    from playwright.sync_api import expect

    control = field(scope, label)
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(field_group(scope, label).locator(".errorlist")).to_contain_text(message)
    expect(control).to_have_accessible_description(re.compile(re.escape(message)))


def expect_message(page: Any, text: str) -> None:
    """``text`` is among the messages shown at the top of the page."""
    from playwright.sync_api import expect

    expect(page.locator(".messages")).to_contain_text(text)


def link(scope: Any, name: str) -> Any:
    """A link, also when it is styled as a button (Pico's ``<a role="button">``)."""
    return scope.get_by_role("link", name=name, exact=True).or_(
        scope.get_by_role("button", name=name, exact=True)
    )


def definition(scope: Any, term: str) -> Any:
    """The ``<dd>`` right after the ``<dt>`` reading ``term``."""
    return scope.locator(f"xpath=//dt[normalize-space()={term!r}]/following-sibling::dd[1]")


# --- images -------------------------------------------------------------------------------


def jpeg_bytes(width: int, height: int) -> bytes:
    """A real JPEG picture (a coloured gradient with a few shapes), as an upload would be."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        shade = int(255 * y / max(height - 1, 1))
        draw.line([(0, y), (width, y)], fill=(40 + shade // 2, 20, 120 + shade // 2))
    draw.ellipse([width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=(250, 200, 60))
    draw.rectangle([width // 10, height - height // 6, width - width // 10, height - height // 10])
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


# --- background jobs ------------------------------------------------------------------------


def run_worker_until_idle(queues: list[str], timeout: float = 30) -> None:
    """Run a real procrastinate worker until ``queues`` are empty, then return.

    As in tests/core: the worker has its own event loop (in a thread) and its own psycopg
    pool (the Django connector cannot run a worker); periodic tasks are left out, only the
    jobs already deferred run. Jobs run with the process's clock: time-machine moves it.
    """
    from procrastinate import App
    from procrastinate.contrib.django import app as django_app
    from procrastinate.contrib.django.django_connector import DjangoConnector

    worker_app = App(
        connector=cast(DjangoConnector, django_app.connector).get_worker_connector(),
        import_paths=django_app.import_paths,
        worker_defaults=django_app.worker_defaults,
    )
    worker_app.tasks = django_app.tasks
    errors: list[BaseException] = []

    async def main() -> None:
        async with worker_app.open_async():
            await worker_app.run_worker_async(
                queues=queues,
                wait=False,
                install_signal_handlers=False,
                listen_notify=False,
                fetch_job_polling_interval=0.1,
            )

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="procrastinate-browser-worker", daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the worker did not stop in time"
    if errors:
        raise errors[0]


def clear_job_tables() -> None:
    """procrastinate's tables are unmanaged: the live server's flush leaves them alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers"
        )
