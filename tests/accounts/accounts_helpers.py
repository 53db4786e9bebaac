"""Helpers for the accounts tests."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse

PASSWORD = "Motdepasse-solide-2026"
NEW_PASSWORD = "Un-autre-secret-bien-long"


def link_in(message: EmailMessage) -> str:
    """The path of the one culturepass link in an email's text body."""
    urls = re.findall(r"https?://\S+", str(message.body))
    assert len(urls) == 1, urls
    return urlsplit(urls[0]).path


def without_csrf(html: str) -> str:
    """A page without its per-response CSRF tokens and CSP nonces, to compare two answers."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'nonce="[^"]*"', "", html)


def sign_up(client: Client, **overrides: Any):
    data = {
        "email": "lea.dupont@festival.test",
        "first_name": "Léa",
        "last_name": "Dupont",
        "phone": "06 12 34 56 78",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "accept_terms": "on",
        **overrides,
    }
    return client.post(reverse("accounts:signup"), data)


def log_in(client: Client, email: str, password: str = PASSWORD, **extra: Any):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password, **extra}
    )
