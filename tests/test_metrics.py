"""/metrics: Prometheus gauges for monitoring, closed to the outside by default."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_metrics_answer_loopback_clients_in_prometheus_format(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    body = response.content.decode()
    assert "# TYPE culturepass_workers_alive gauge" in body
    assert "culturepass_workers_alive 0" in body
    assert "# HELP culturepass_outbox_emails" in body


def test_metrics_are_refused_to_other_addresses_without_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret")
    assert ok.status_code == 200
