"""``Idempotency-Key`` on the partner API's POST, PATCH, PUT and DELETE.

Applied to every operation of the API by :func:`install` (a ninja "view" decorator, so it also
sees the responses built by the error handlers), which means a new mutating route is covered
without doing anything.

- The first request with a key inserts an IN_PROGRESS :class:`IdempotencyRecord` *committed
  before the route runs*: a concurrent duplicate then hits the unique constraint and gets 409
  at once instead of running the operation twice.
- Once answered, the record keeps status, body and content type; the same key with the same
  method, path and body replays them (header ``Idempotent-Replayed: true``); the same key with
  another request gets 422.
- A 5xx (or an exception) deletes the record: the failure was ours, the client may retry.
- Keys are scoped to the API key; records are purged after a day
  (:func:`idempotency_purge`, scheduled in :mod:`culturepass.jobs.schedules`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import NinjaAPI

from culturepass.api.models import IdempotencyRecord
from culturepass.api.partner.auth import authenticate_request
from culturepass.api.partner.base import PartnerError
from culturepass.core import clock

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
MAX_KEY_LENGTH = 255
RETENTION = dt.timedelta(hours=24)

OTHER_REQUEST_BODY = {"global": ["Idempotency-Key already used with another request"]}
IN_PROGRESS_BODY = {"global": ["A request with this Idempotency-Key is in progress"]}


def request_hash(request: HttpRequest) -> str:
    """SHA-256 of method, full path (query included) and raw body."""
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\n")
    digest.update(request.get_full_path().encode())
    digest.update(b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.response_status or 200,
        content_type=record.response_content_type or None,
    )
    if record.response_status == 204:
        # A 204 carries no Content-Type; the stored one is empty anyway.
        del response["Content-Type"]
    response[REPLAYED_HEADER] = "true"
    return response


def _begin(
    *, api_key_id: int, key: str, request: HttpRequest, fingerprint: str, now: dt.datetime
) -> IdempotencyRecord | HttpResponse:
    """The new IN_PROGRESS record, or the response for a known key (replay, 409, 422)."""
    try:
        # Its own transaction (savepoint if one is open): committed as soon as possible so
        # that a concurrent duplicate sees it.
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                api_key_id=api_key_id,
                key=key,
                method=request.method or "",
                path=request.get_full_path()[:500],
                request_hash=fingerprint,
                status=IdempotencyRecord.Status.IN_PROGRESS,
                created_at=now,
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(api_key_id=api_key_id, key=key).first()
    if existing is None:
        # The first request failed (5xx) and deleted its record in between: tell the client
        # to retry rather than racing again.
        raise PartnerError(409, IN_PROGRESS_BODY)
    if existing.request_hash != fingerprint:
        raise PartnerError(422, OTHER_REQUEST_BODY)
    if existing.status == IdempotencyRecord.Status.IN_PROGRESS:
        raise PartnerError(409, IN_PROGRESS_BODY)
    return _replay(existing)


def _finish(record: IdempotencyRecord, response: HttpResponseBase) -> None:
    if response.status_code >= 500 or not isinstance(response, HttpResponse):
        record.delete()
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=IdempotencyRecord.Status.DONE,
        response_status=response.status_code,
        response_body=response.content,
        response_content_type=response.get("Content-Type", "") if response.content else "",
    )


def idempotent(api: NinjaAPI) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A ninja view decorator (mode "view": it wraps the whole operation, auth included)."""

    def decorator(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(run)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            key = request.headers.get(HEADER)
            if request.method not in MUTATING_METHODS or key is None:
                return run(request, *args, **kwargs)
            try:
                actor = authenticate_request(request)
            except PartnerError:
                actor = None  # the operation re-raises the cached error (403, 429)
            if actor is None:
                return run(request, *args, **kwargs)
            key = key.strip()
            if not key or len(key) > MAX_KEY_LENGTH:
                message = f"must be 1 to {MAX_KEY_LENGTH} characters"
                return api.create_response(request, {HEADER: [message]}, status=400)
            try:
                begun = _begin(
                    api_key_id=actor.api_key_id,
                    key=key,
                    request=request,
                    fingerprint=request_hash(request),
                    now=clock.now(),
                )
            except PartnerError as error:
                return api.create_response(request, error.body, status=error.status)
            if isinstance(begun, HttpResponse):
                return begun
            try:
                response = run(request, *args, **kwargs)
            except BaseException:
                begun.delete()
                raise
            _finish(begun, response)
            return response

        return guarded

    return decorator


def install(api: NinjaAPI) -> None:
    """Guard every mutating operation of ``api``."""
    api.add_decorator(idempotent(api), mode="view")


def idempotency_purge(*, now: dt.datetime, older_than: dt.timedelta = RETENTION) -> int:
    """Delete the records older than ``older_than`` (a day by default); returns how many."""
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=now - older_than).delete()
    return deleted
