"""The audit log. Every state-changing service calls :func:`audit_record`."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from culturepass.core.models import AuditEntry
from culturepass.core.prepared import PreparedInsert

_INSERT = PreparedInsert(AuditEntry)

AUTO = "AUTO"
SYSTEM = "SYSTEM"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [_jsonable(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited fields of ``obj`` as JSON-ready values (foreign keys as ids)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = _jsonable(getattr(obj, attname))
    return out


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    now: dt.datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    offerer_id: int | None = None,
    comment: str = "",
) -> AuditEntry:
    """Record one change. ``actor`` is a user, ``AUTO`` (jobs) or ``SYSTEM`` (commands)."""
    user = actor if getattr(actor, "pk", None) else None
    label = getattr(actor, "email", None) or (actor if isinstance(actor, str) else SYSTEM)
    entry = AuditEntry(
        created_at=now,
        actor=user,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        offerer_id=offerer_id,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        comment=comment,
    )
    # A prepared INSERT: every booking writes one, and the ORM compiling it cost more than
    # PostgreSQL running it.
    _INSERT.insert([entry])
    return entry
