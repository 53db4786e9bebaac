"""GET /metrics: a few gauges in Prometheus' text format.

Scraped by a monitoring server. With METRICS_TOKEN set, the scraper must send
``Authorization: Bearer <token>``; without it, only loopback clients are answered.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

_QUERIES: tuple[tuple[str, str, str], ...] = (
    (
        "culturepass_outbox_emails",
        "Emails in the outbox by status.",
        "SELECT status, count(*) FROM notifications_outboxemail GROUP BY status",
    ),
    (
        "culturepass_jobs",
        "Background jobs by status.",
        "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status",
    ),
    (
        "culturepass_offers",
        "Offers by validation status.",
        "SELECT validation, count(*) FROM offers_offer GROUP BY validation",
    ),
    (
        "culturepass_offerers",
        "Structures by status.",
        "SELECT status, count(*) FROM offerers_offerer GROUP BY status",
    ),
)


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}


def render_metrics() -> str:
    lines: list[str] = []
    with connection.cursor() as cursor:
        for name, help_text, sql in _QUERIES:
            cursor.execute(sql)
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            for status, count in cursor.fetchall():
                lines.append(f'{name}{{status="{status}"}} {count}')
        cursor.execute(
            "SELECT count(*) FROM procrastinate_workers "
            "WHERE last_heartbeat > now() - make_interval(secs => %s)",
            [settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS],
        )
        (alive,) = cursor.fetchone()
    lines += [
        "# HELP culturepass_workers_alive Workers with a recent heartbeat.",
        "# TYPE culturepass_workers_alive gauge",
        f"culturepass_workers_alive {alive}",
    ]
    return "\n".join(lines) + "\n"


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(status=403)
    return HttpResponse(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")
