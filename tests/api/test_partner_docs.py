"""The partner API's documentation: OpenAPI 3.1 with the bearer scheme and shared
conventions, a browsable page without any third-party script (CSP), the webhooks page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

MUTATING = {"post", "put", "patch", "delete"}


@pytest.fixture
def document(client: Client) -> dict:
    response = client.get("/public/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_is_3_1_with_the_bearer_scheme(document):
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    scheme = next(iter(schemes.values()))
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert document["info"]["description"]


def test_every_operation_is_secured_and_documents_the_shared_errors(document):
    operations = [
        (path, method, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]
    assert operations, "the partner API has no routes"
    for path, method, op in operations:
        assert op.get("security"), f"{method} {path} is not secured"
        for status in ("400", "401", "403", "429"):
            assert status in op["responses"], f"{method} {path} lacks {status}"
        if "{" in path:
            assert "404" in op["responses"], f"{method} {path} lacks 404"
        if method in MUTATING:
            names = [p["name"] for p in op.get("parameters", [])]
            assert "Idempotency-Key" in names, f"{method} {path}"
            assert {"409", "422"} <= set(op["responses"]), f"{method} {path}"
    error = document["components"]["schemas"]["PartnerErrorBody"]
    assert error["type"] == "object"


def test_the_docs_page_lists_every_endpoint_without_external_resources(client, document):
    response = client.get("/public/docs")
    assert response.status_code == 200
    html = response.content.decode()
    for path, methods in document["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}" in html, f"{method} {path} missing from the docs"
    # Nothing from a CDN, no inline script or style (the CSP forbids them).
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "<script>" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html
    assert "Idempotency-Key" in html
    assert "Retry-After" in html
    assert "Content-Security-Policy" in response


def test_the_webhooks_page_explains_the_signature(client):
    response = client.get("/public/docs/webhooks")
    assert response.status_code == 200
    html = response.content.decode()
    for needle in (
        "X-Culturepass-Timestamp",
        "X-Culturepass-Signature",
        "v1=",
        "HMAC-SHA256",
        "hmac.compare_digest",
        "5 minutes",
        "import hmac",
    ):
        assert needle in html, needle


def test_the_python_example_of_the_webhooks_page_verifies_a_real_signature(client):
    """The snippet partners copy must work: run it against a signature made by the sender."""
    import html as html_lib
    import time

    from culturepass.notifications.webhooks import webhook_sign

    page = client.get("/public/docs/webhooks").content.decode()
    first_block = re.search(r"<pre><code>(.*?)</code></pre>", page, re.S)
    assert first_block
    namespace: dict = {}
    exec(html_lib.unescape(first_block.group(1)), namespace)  # our own page's example
    verify = namespace["signature_valide"]
    body = b'{"id": "evt", "type": "booking.used"}'
    timestamp = str(int(time.time()))
    headers = {
        "X-Culturepass-Timestamp": timestamp,
        "X-Culturepass-Signature": webhook_sign("whsec_test", timestamp, body),
    }
    assert verify("whsec_test", headers, body)
    assert not verify("whsec_other", headers, body)
    assert not verify("whsec_test", headers, body + b" ")
    old = str(int(time.time()) - 301)
    stale = {
        "X-Culturepass-Timestamp": old,
        "X-Culturepass-Signature": webhook_sign("whsec_test", old, body),
    }
    assert not verify("whsec_test", stale, body)
