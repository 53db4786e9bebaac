"""Domain errors: a stable machine code plus a French message for people.

Services raise them; one handler per interface turns them into form errors
(pages) or structured errors (APIs).
"""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule refused the operation."""

    code: str = "error"
    field: str | None = None

    def __init__(
        self, message: str | Promise, *, code: str | None = None, field: str | None = None
    ):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        if field:
            self.field = field


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "forbidden"


class InvalidTransition(DomainError):
    code = "invalid_transition"
