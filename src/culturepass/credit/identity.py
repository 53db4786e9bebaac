"""Pluggable identity check for beneficiaries.

A provider looks at a freshly submitted profile and either decides at once
(approve or reject) or leaves it PENDING for a later decision (staff review in the
backoffice, or a callback from an external service calling ``identity_approve``).
Chosen by ``settings.IDENTITY_PROVIDER`` (dotted path); without it, demo mode
(``settings.DEMO_MODE``) approves at once and production waits for staff.
"""

from __future__ import annotations

import enum
import functools
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from culturepass.credit.models import BeneficiaryProfile

STAFF_REVIEW = "culturepass.credit.identity.StaffReviewProvider"
DEMO_INSTANT = "culturepass.credit.identity.DemoInstantProvider"


class Decision(enum.Enum):
    PENDING = "PENDING"
    APPROVE = "APPROVE"
    REJECT = "REJECT"


class IdentityProvider(Protocol):
    #: Stored on the profile (``identity_provider``) and in the audit log.
    name: str

    def submit(self, *, profile: BeneficiaryProfile) -> Decision:
        """Called inside the submitting transaction; must not block on the network."""
        ...


class StaffReviewProvider:
    """Staff compare the documents in the backoffice queue (the default)."""

    name = "staff_review"

    def submit(self, *, profile: BeneficiaryProfile) -> Decision:
        return Decision.PENDING


class DemoInstantProvider:
    """Approves everyone at once: demo and local development only."""

    name = "demo_instant"

    def submit(self, *, profile: BeneficiaryProfile) -> Decision:
        return Decision.APPROVE


@functools.cache
def _provider_for(path: str) -> IdentityProvider:
    provider: IdentityProvider = import_string(path)()
    return provider


def provider_path() -> str:
    configured = getattr(settings, "IDENTITY_PROVIDER", None)
    if configured:
        return str(configured)
    return DEMO_INSTANT if getattr(settings, "DEMO_MODE", False) else STAFF_REVIEW


def get_identity_provider() -> IdentityProvider:
    return _provider_for(provider_path())
