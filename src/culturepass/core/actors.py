"""Who acts in a service call, besides users: jobs (``AUTO``), commands (``SYSTEM``) and
partner API keys (:class:`PartnerActor`).

Services take ``actor=`` and check it works for the structure concerned. A partner key acts
for exactly one structure (and optionally a subset of its venues): :func:`acts_for` answers
for users and keys alike; :func:`user_or_none` is what goes into ``created_by`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PartnerActor:
    """A partner API key acting for its structure. Not a user: ``pk`` is None, so audit
    entries record ``email`` (``api:<prefix>``) as the actor label."""

    offerer_id: int
    api_key_id: int
    prefix: str
    # None: every venue of the structure; else only these venues.
    venue_ids: frozenset[int] | None = None

    pk = None
    is_active = True
    is_staff = False
    is_superuser = False
    is_authenticated = True

    @property
    def email(self) -> str:
        return f"api:cp_{self.prefix}"

    def has_perm(self, perm: str) -> bool:
        return False

    def reaches_venue(self, venue_id: int) -> bool:
        return self.venue_ids is None or venue_id in self.venue_ids


def is_partner(actor: Any) -> bool:
    return isinstance(actor, PartnerActor)


def acts_for(actor: Any, offerer_id: int) -> bool | None:
    """True/False for a partner key; None when ``actor`` is not a key (the caller then checks
    the user's memberships as before)."""
    if isinstance(actor, PartnerActor):
        return actor.offerer_id == offerer_id
    return None


def user_or_none(actor: Any) -> Any:
    """The user behind ``actor`` for ``created_by``-like columns (None for keys and jobs)."""
    return actor if getattr(actor, "pk", None) else None
