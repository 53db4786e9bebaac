"""GET /healthz: is the database reachable, is a worker alive?"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def worker_state() -> dict[str, object]:
    """Workers write a heartbeat every few seconds in procrastinate_workers."""
    max_age = settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), EXTRACT(EPOCH FROM (now() - max(last_heartbeat))) "
            "FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => %s)",
            [max_age],
        )
        alive, age = cursor.fetchone()
    return {
        "ok": alive > 0,
        "workers": alive,
        "last_heartbeat_seconds_ago": round(float(age), 1) if age is not None else None,
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body: dict[str, object] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["database"] = {"ok": True}
    except Exception as exc:
        body["database"] = {"ok": False, "error": type(exc).__name__}
        body["worker"] = {"ok": False, "error": "database unreachable"}
    else:
        try:
            body["worker"] = worker_state()
        except Exception as exc:
            body["worker"] = {"ok": False, "error": type(exc).__name__}
    ok = all(part["ok"] for part in body.values())  # type: ignore[index]
    body["status"] = "ok" if ok else "error"
    return JsonResponse(body, status=200 if ok else 503)
