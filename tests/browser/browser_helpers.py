"""Helpers of the browser tests: emails, SIRET numbers, screenshots."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
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
