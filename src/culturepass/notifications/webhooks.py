"""Webhooks: a structure's endpoint told about its bookings (created, cancelled, used).

Emission happens inside the business transaction (:func:`webhooks_emit` writes one
:class:`WebhookDelivery` per subscribed webhook), so a rolled-back booking notifies nobody;
the delivery job is deferred when that transaction commits. The worker then POSTs the JSON
payload, at least once, retrying with exponential backoff (1 min, 2, 4, … capped at one hour)
until three days after the event, after which the delivery is FAILED. The pro portal shows
the log and can send a delivery again.

Signing (what partners verify, see :func:`webhook_verify`)::

    X-Culturepass-Timestamp: <unix seconds>
    X-Culturepass-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

Deliveries only go to public addresses: the URL's host is resolved at each attempt, every
address checked (no loopback, private, link-local… unless ``WEBHOOKS_ALLOW_PRIVATE``), and
the connection made to the checked address itself, so a DNS answer that changes between
the check and the connection cannot aim the worker at the internal network. Redirects are
not followed (a 3xx is a failed attempt).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from culturepass.bookings.models import Booking
from culturepass.core.actors import acts_for
from culturepass.core.audit import audit_record
from culturepass.core.errors import DomainError, NotFound, PermissionDenied
from culturepass.notifications.models import Webhook, WebhookDelivery
from culturepass.offerers.models import Membership, Offerer

if TYPE_CHECKING:
    from procrastinate.types import JSONValue

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
TIMEOUT_SECONDS = 10
#: Deliveries are retried until this long after the event, then FAILED.
MAX_DELIVERY_AGE = dt.timedelta(days=3)
_BACKOFF_CAP = dt.timedelta(hours=1)
#: A claimed delivery is not claimed again before this (longer than one attempt can take),
#: so a worker that dies mid-attempt leaves it to the sweep instead of losing it.
_LEASE = dt.timedelta(minutes=2)
#: How often the deliveries of a suspended webhook look again whether it was reactivated.
_SUSPENDED_RETRY = dt.timedelta(hours=1)
#: Sent as ``type`` by "Envoyer un test"; not a subscribable event.
TEST_EVENT = "webhook.test"
MAX_WEBHOOKS_PER_OFFERER = 10
USER_AGENT = "culturepass-webhooks/1"
_SIGNATURE_TOLERANCE = 300


class WebhookError(DomainError):
    code = "webhook_invalid"


# --- signing ---------------------------------------------------------------------------------


def webhook_sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def webhook_verify(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    signature: str,
    *,
    tolerance: int = _SIGNATURE_TOLERANCE,
    now: dt.datetime | float | None = None,
) -> bool:
    """Check a delivery as a partner would: ``timestamp`` and ``signature`` are the
    ``X-Culturepass-Timestamp`` and ``X-Culturepass-Signature`` headers, ``body`` the raw
    request body (bytes, before any JSON parsing). False when the signature does not match
    or the timestamp is more than ``tolerance`` seconds away from ``now`` (replays).

    The header may carry several comma-separated ``v1=`` values; one matching is enough.
    """
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    if now is None:
        current = time.time()
    elif isinstance(now, dt.datetime):
        current = now.timestamp()
    else:
        current = float(now)
    if abs(current - sent_at) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = webhook_sign(secret, sent_at, raw)
    return any(
        hmac.compare_digest(candidate.strip(), expected)
        for candidate in signature.split(",")
        if candidate.strip()
    )


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --- URL checks (SSRF) -------------------------------------------------------------------------


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _checked_addresses(host: str, port: int) -> list[str]:
    """The addresses to connect to, refusing private ones unless allowed (WebhookError)."""
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise WebhookError(
            _("L'adresse %(host)s est introuvable.") % {"host": host}, field="url"
        ) from exc
    if not addresses:
        raise WebhookError(_("L'adresse %(host)s est introuvable.") % {"host": host}, field="url")
    if not getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False) and not all(
        _is_public(a) for a in addresses
    ):
        raise WebhookError(
            _("Cette adresse n'est pas joignable depuis internet : indiquez une URL publique."),
            code="webhook_private_address",
            field="url",
        )
    return addresses


def webhook_check_url(url: str) -> str:
    """The cleaned URL, or :class:`WebhookError`: https (http only where allowed), a host,
    no credentials, and a host resolving to public addresses (unless allowed)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    schemes = {"https", "http"} if getattr(settings, "WEBHOOKS_ALLOW_HTTP", False) else {"https"}
    if parts.scheme not in schemes or not parts.hostname:
        raise WebhookError(
            _("Indiquez une URL complète commençant par https://."),
            code="webhook_url_invalid",
            field="url",
        )
    if parts.username or parts.password:
        raise WebhookError(
            _("L'URL ne doit pas contenir d'identifiants."), code="webhook_url_invalid", field="url"
        )
    if len(url) > 500:
        raise WebhookError(
            _("L'URL ne doit pas dépasser 500 caractères."), code="webhook_url_invalid", field="url"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise WebhookError(
            _("Indiquez une URL complète commençant par https://."),
            code="webhook_url_invalid",
            field="url",
        ) from exc
    _checked_addresses(parts.hostname, port)
    return url


def _check_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    valid = set(Webhook.Event.values)
    if not chosen or any(e not in valid for e in chosen):
        raise WebhookError(
            _("Choisissez au moins un évènement."), code="webhook_events_invalid", field="events"
        )
    return [e for e in Webhook.Event.values if e in chosen]  # stable order


# --- configuration -------------------------------------------------------------------------------


def _check_member(actor: Any, offerer_id: int, *, admin: bool = False) -> None:
    """The structure's validated members (and its own partner keys) may act; anyone else
    reads "not found". With ``admin``, only its administrators: a webhook receives the
    beneficiaries' contact details, so choosing where it points is an admin's decision, as
    for the API keys."""
    allowed = acts_for(actor, offerer_id)
    if allowed is None:
        membership = (
            Membership.objects.filter(
                user_id=actor.pk, offerer_id=offerer_id, status=Membership.Status.VALIDATED
            ).first()
            if getattr(actor, "pk", None)
            else None
        )
        if membership is not None and admin and not membership.is_admin:
            raise PermissionDenied(
                _("Seuls les administrateurs de la structure peuvent gérer les webhooks."),
                code="admin_required",
            )
        allowed = membership is not None
    if not allowed:
        raise NotFound(_("Ce webhook n'existe pas."))


_AUDITED = ("url", "events", "is_active")


def _snapshot(webhook: Webhook) -> dict[str, Any]:
    # Never the secret: the audit log is read more widely than the integrations page.
    return {"url": webhook.url, "events": list(webhook.events), "is_active": webhook.is_active}


def webhook_create(
    *, actor: Any, offerer: Offerer, url: str, events: Iterable[str], now: dt.datetime
) -> Webhook:
    """A new active webhook with a fresh ``whsec_`` secret (shown on the integrations page)."""
    _check_member(actor, offerer.pk, admin=True)
    clean_url = webhook_check_url(url)
    chosen = _check_events(events)
    with transaction.atomic():
        Offerer.objects.select_for_update().filter(pk=offerer.pk).first()
        if Webhook.objects.filter(offerer=offerer).count() >= MAX_WEBHOOKS_PER_OFFERER:
            raise WebhookError(
                _("Une structure ne peut pas avoir plus de %(count)s webhooks.")
                % {"count": MAX_WEBHOOKS_PER_OFFERER},
                code="webhook_limit",
            )
        webhook = Webhook.objects.create(
            offerer=offerer,
            url=clean_url,
            secret=_new_secret(),
            events=chosen,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="webhook.create",
            obj=webhook,
            now=now,
            after=_snapshot(webhook),
            offerer_id=offerer.pk,
        )
    return webhook


def webhook_update(
    *,
    actor: Any,
    webhook: Webhook,
    url: str,
    events: Iterable[str],
    is_active: bool = True,
    rotate_secret: bool = False,
    now: dt.datetime,
) -> Webhook:
    """Change the URL, the events or the active flag; ``rotate_secret`` draws a new secret
    (pending deliveries are signed with the secret current at each attempt)."""
    _check_member(actor, webhook.offerer_id, admin=True)
    clean_url = webhook_check_url(url)
    chosen = _check_events(events)
    with transaction.atomic():
        locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
        before = _snapshot(locked)
        locked.url = clean_url
        locked.events = chosen
        locked.is_active = is_active
        if rotate_secret:
            locked.secret = _new_secret()
        locked.updated_at = now
        locked.save()
        after = _snapshot(locked)
        audit_record(
            actor=actor,
            action="webhook.update",
            obj=locked,
            now=now,
            before=before,
            after=after,
            offerer_id=locked.offerer_id,
            comment=_("nouveau secret") if rotate_secret else "",
        )
    return locked


def webhook_delete(*, actor: Any, webhook: Webhook, now: dt.datetime) -> None:
    """Delete the webhook and its delivery log (pending deliveries are dropped)."""
    _check_member(actor, webhook.offerer_id, admin=True)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="webhook.delete",
            obj=webhook,
            now=now,
            before=_snapshot(webhook),
            offerer_id=webhook.offerer_id,
        )
        webhook.delete()


# --- emission ------------------------------------------------------------------------------------


def _payload_bookings(bookings: Sequence[Booking]) -> dict[int, Booking]:
    from culturepass.api.partner.schemas_bookings import bookings_with_payload_data

    return bookings_with_payload_data(
        Booking.objects.filter(pk__in=[b.pk for b in bookings])
    ).in_bulk()


def _event_data(booking: Booking) -> dict[str, Any]:
    from culturepass.api.partner.base import utc_z
    from culturepass.api.partner.schemas_bookings import booking_payload

    offer = booking.offer
    stock = booking.stock
    category = stock.price_category
    venue = booking.venue
    user = booking.beneficiary
    return {
        "booking": {**booking_payload(booking), "token": booking.code},
        "offer": {
            "id": offer.pk,
            "name": offer.name,
            "idAtProvider": getattr(offer, "id_at_provider", None) or None,
        },
        "priceCategory": {
            "id": category.pk,
            "label": category.label,
            "price": category.price_cents,
            "idAtProvider": getattr(category, "id_at_provider", None) or None,
        },
        "date": {
            "id": stock.pk,
            "beginningDatetime": utc_z(stock.beginning_datetime),
            "idAtProvider": getattr(stock, "id_at_provider", None) or None,
        },
        "venue": {"id": venue.pk, "name": venue.display_name, "siret": venue.siret or None},
        "beneficiary": {
            "email": user.email,
            "firstName": user.first_name or None,
            "lastName": user.last_name or None,
            "phoneNumber": user.phone or None,
        },
    }


def _envelope(*, event_id: uuid.UUID, event: str, now: dt.datetime, data: Any) -> dict[str, Any]:
    from culturepass.api.partner.base import utc_z

    return {"id": str(event_id), "type": event, "createdAt": utc_z(now), "data": data}


@functools.cache
def _any_subscribed_sql() -> str:
    """Whether any active webhook of the structures subscribed to the event: a statement
    built once, since the ORM compiled the filter for longer than PostgreSQL ran it, on
    every booking (the usual answer being no)."""
    quote = connection.ops.quote_name
    table = quote(Webhook._meta.db_table)
    offerer, events, active = (
        quote(Webhook._meta.get_field(name).column or name)  # type: ignore[union-attr]
        for name in ("offerer", "events", "is_active")
    )
    # Table and column names are the model's own; the values are parameters.
    return (
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {offerer} = ANY(%s::bigint[])"  # noqa: S608
        f" AND {active} AND {events} @> ARRAY[%s]::varchar[])"
    )


def webhooks_emit(
    *, event: str, bookings: Sequence[Booking], now: dt.datetime
) -> list[WebhookDelivery]:
    """Queue ``event`` about ``bookings`` for every active webhook of their structures that
    subscribed to it. Call it inside the transaction that makes the change.

    One prebuilt query when nobody subscribed (the common case, and the booking hot path);
    otherwise one to read the webhooks, one to read the bookings with what the payload
    shows, one bulk INSERT, and one job per delivery deferred on commit.
    """
    if not bookings:
        return []
    offerer_ids = {b.offerer_id for b in bookings}
    with connection.cursor() as cursor:
        cursor.execute(_any_subscribed_sql(), [sorted(offerer_ids), event])
        (subscribed,) = cursor.fetchone()
    if not subscribed:
        return []
    webhooks = list(
        Webhook.objects.filter(
            offerer_id__in=offerer_ids, is_active=True, events__contains=[event]
        ).order_by("pk")
    )
    if not webhooks:
        return []
    by_offerer: dict[int, list[Webhook]] = defaultdict(list)
    for webhook in webhooks:
        by_offerer[webhook.offerer_id].append(webhook)
    loaded = _payload_bookings(bookings)
    rows = []
    for booking in bookings:
        full = loaded.get(booking.pk)
        if full is None:  # pragma: no cover - the caller just wrote it
            continue
        data = _event_data(full)
        for webhook in by_offerer.get(booking.offerer_id, []):
            event_id = uuid.uuid4()
            rows.append(
                WebhookDelivery(
                    webhook=webhook,
                    event=event,
                    event_id=event_id,
                    booking_id=booking.pk,
                    payload=_envelope(event_id=event_id, event=event, now=now, data=data),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return _queue(rows)


def _queue(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    if not rows:
        return []
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    transaction.on_commit(lambda: _defer_delivery(*ids))
    return created


def _defer_delivery(*delivery_ids: int) -> None:
    from culturepass.notifications.tasks import deliver_webhook

    try:
        jobs: list[dict[str, JSONValue]] = [{"delivery_id": pk} for pk in delivery_ids]
        deliver_webhook.batch_defer(*jobs)
    except Exception:  # the periodic sweep will pick them up
        logger.exception(
            "could not defer webhook delivery", extra={"delivery_ids": list(delivery_ids)}
        )


def webhook_send_test(*, actor: Any, webhook: Webhook, now: dt.datetime) -> WebhookDelivery:
    """Queue a ``webhook.test`` delivery (no booking) to check the endpoint and signature."""
    _check_member(actor, webhook.offerer_id)
    event_id = uuid.uuid4()
    with transaction.atomic():
        delivery = _queue(
            [
                WebhookDelivery(
                    webhook=webhook,
                    event=TEST_EVENT,
                    event_id=event_id,
                    payload=_envelope(
                        event_id=event_id,
                        event=TEST_EVENT,
                        now=now,
                        data={"webhook": {"id": webhook.pk, "url": webhook.url}},
                    ),
                    next_attempt_at=now,
                    created_at=now,
                )
            ]
        )[0]
        audit_record(
            actor=actor,
            action="webhook.test",
            obj=webhook,
            now=now,
            offerer_id=webhook.offerer_id,
        )
    return delivery


def webhook_delivery_resend(
    *, actor: Any, delivery: WebhookDelivery, now: dt.datetime
) -> WebhookDelivery:
    """Attempt ``delivery`` again now (same ``event_id``: the partner may drop duplicates).

    A delivered or failed one becomes pending again, with one attempt scheduled now; if
    that attempt fails after the three-day window, it is FAILED again at once.
    """
    _check_member(actor, delivery.webhook.offerer_id)
    with transaction.atomic():
        locked = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("webhook")
            .get(pk=delivery.pk)
        )
        before = {"status": locked.status, "attempts": locked.attempts}
        locked.status = WebhookDelivery.Status.PENDING
        locked.next_attempt_at = now
        locked.save(update_fields=["status", "next_attempt_at"])
        audit_record(
            actor=actor,
            action="webhook.delivery_resend",
            obj=locked,
            now=now,
            before=before,
            after={"status": locked.status},
            offerer_id=locked.webhook.offerer_id,
        )
        ids = [locked.pk]
        transaction.on_commit(lambda: _defer_delivery(*ids))
    return locked


# --- delivery --------------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, whatever DNS says now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the URL's host name (SNI and certificate)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body``; returns the status code. Raises OSError/WebhookError on failure to
    connect, and WebhookError for a refused address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _checked_addresses(host, port)[0]
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, TIMEOUT_SECONDS)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # drain a little; the body is not used
        return response.status
    finally:
        connection.close()


def _backoff(attempts: int) -> dt.timedelta:
    """1 min after the first failure, then doubling, capped (the exponent is bounded so a
    long-failing delivery never overflows ``timedelta``)."""
    return min(dt.timedelta(minutes=2 ** min(max(attempts - 1, 0), 16)), _BACKOFF_CAP)


def webhook_deliver(*, delivery_id: int, now: dt.datetime) -> bool:
    """Attempt one pending, due delivery. Returns True when the endpoint answered 2xx.

    The row is claimed in a short transaction (skip-locked, then leased by pushing
    ``next_attempt_at``), the HTTP request runs outside any transaction, and the outcome
    is written in a second one: no row lock is held for the length of a network call.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("webhook")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return False
        if not delivery.webhook.is_active:
            # Suspended by the structure: nothing leaves, and the delivery waits (without
            # spending an attempt) so that reactivating within the window still sends it.
            expired = now + _SUSPENDED_RETRY > delivery.created_at + MAX_DELIVERY_AGE
            delivery.last_error = str(_("Webhook désactivé : envoi suspendu."))
            delivery.next_attempt_at = None if expired else now + _SUSPENDED_RETRY
            if expired:
                delivery.status = WebhookDelivery.Status.FAILED
            delivery.save(update_fields=["last_error", "next_attempt_at", "status"])
            return False
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + _LEASE
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    webhook = delivery.webhook
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Culturepass-Event": str(delivery.payload.get("type", delivery.event)),
        "X-Culturepass-Delivery": str(delivery.event_id),
        "X-Culturepass-Timestamp": timestamp,
        "X-Culturepass-Signature": webhook_sign(webhook.secret, timestamp, body),
    }
    status_code: int | None = None
    error = ""
    try:
        status_code = _post(webhook.url, body, headers)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except WebhookError as exc:
        error = exc.message
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    delivered = not error
    fields: dict[str, Any] = {"last_status_code": status_code, "last_error": error[:2000]}
    if delivered:
        fields |= {
            "status": WebhookDelivery.Status.DELIVERED,
            "delivered_at": now,
            "next_attempt_at": None,
        }
    else:
        next_attempt = now + _backoff(delivery.attempts)
        if next_attempt > delivery.created_at + MAX_DELIVERY_AGE:
            fields |= {"status": WebhookDelivery.Status.FAILED, "next_attempt_at": None}
        else:
            fields |= {"next_attempt_at": next_attempt}
        logger.warning(
            "webhook delivery failed",
            extra={"delivery_id": delivery.pk, "error": error, "attempts": delivery.attempts},
        )
    # Only the attempt we claimed is closed: a resend in between (status/next_attempt_at
    # changed) keeps its own schedule.
    WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=WebhookDelivery.Status.PENDING,
        attempts=delivery.attempts,
    ).update(**fields)
    return delivered


def webhook_deliver_due(*, now: dt.datetime, limit: int = 200) -> int:
    """Attempt every pending delivery whose next attempt is due; returns how many went."""
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(webhook_deliver(delivery_id=pk, now=now) for pk in due)


# --- reading (pro portal) --------------------------------------------------------------------------


def deliveries_of(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(webhook=webhook)
        .select_related("booking")
        .only(
            "id",
            "webhook_id",
            "event",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
            "booking__code",
        )
        .order_by("-created_at", "-id")
    )


def webhooks_of(offerer: Offerer) -> QuerySet[Webhook]:
    return Webhook.objects.filter(offerer=offerer).order_by("pk")


__all__ = [
    "MAX_DELIVERY_AGE",
    "WebhookError",
    "deliveries_of",
    "webhook_check_url",
    "webhook_create",
    "webhook_delete",
    "webhook_deliver",
    "webhook_deliver_due",
    "webhook_delivery_resend",
    "webhook_send_test",
    "webhook_sign",
    "webhook_update",
    "webhook_verify",
    "webhooks_emit",
    "webhooks_of",
]
