"""Email attachments resolved at send time.

The outbox stores references (``{"kind": "invoice_pdf", "id": 12}``), not files: an app
registers a resolver for its kind (in its ``AppConfig.ready``) that returns the file name,
content and MIME type. Notifications never import the apps that attach documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


Resolver = Callable[[int], Attachment]

_resolvers: dict[str, Resolver] = {}


class UnknownAttachment(LookupError):
    """No resolver for this kind (the app is not installed or not ready)."""


def register(kind: str, resolver: Resolver) -> None:
    """Declare how to build attachments of ``kind`` from an id. Re-registering replaces."""
    _resolvers[kind] = resolver


def resolve(reference: Mapping[str, Any]) -> Attachment:
    """Build the attachment a stored reference points at; raises if it cannot."""
    kind = reference.get("kind")
    if not isinstance(kind, str) or kind not in _resolvers:
        raise UnknownAttachment(f"no resolver for attachment kind {kind!r}")
    return _resolvers[kind](int(reference["id"]))
