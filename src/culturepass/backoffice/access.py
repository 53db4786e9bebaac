"""Who may open a backoffice page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ViewFunc = Callable[..., HttpResponse]


def staff_required(permission: str | None = None) -> Callable[[ViewFunc], ViewFunc]:
    """Staff only; with ``permission`` (e.g. "homologation"), staff holding ``accounts.<permission>``.

    Anonymous users go to the login page; non-staff users get 403.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_staff:
                raise PermissionDenied
            if permission and not user.has_perm(f"accounts.{permission}"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
