"""Company registry lookup (SIRET → name, activity, head-office address).

Pluggable: ``settings.OFFERERS_REGISTRY_PROVIDER`` names a class implementing
:class:`RegistryProvider`. The default works offline and trusts what the user
declared; a provider backed by the national registry can replace it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_PROVIDER = "culturepass.offerers.registry.DeclaredDataRegistry"


@dataclass(frozen=True)
class RegistryEntry:
    siret: str
    name: str
    ape_code: str
    street: str
    postal_code: str
    city: str
    is_active: bool = True


class RegistryProvider(Protocol):
    def lookup(self, *, siret: str, declared: RegistryEntry) -> RegistryEntry:
        """The registry's data for ``siret``; ``declared`` is what the user typed.

        Raise :class:`culturepass.core.errors.DomainError` when the number is unknown
        or the establishment is closed.
        """
        ...


class DeclaredDataRegistry:
    """Offline default: the registry "answers" what the user declared."""

    def lookup(self, *, siret: str, declared: RegistryEntry) -> RegistryEntry:
        return declared


@functools.cache
def _provider_for(path: str) -> RegistryProvider:
    return import_string(path)()


def get_registry() -> RegistryProvider:
    return _provider_for(getattr(settings, "OFFERERS_REGISTRY_PROVIDER", DEFAULT_PROVIDER))
