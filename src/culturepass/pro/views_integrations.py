"""The "Intégrations" section of a structure in the pro portal: partner API keys.

A key is shown once, on the page answering its creation (never stored in clear, never put
in the session); the list shows prefix, venues and last use. Every structure or key in a URL
goes through :mod:`culturepass.pro.access` or :func:`member_api_key` (404 for non-members).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from culturepass.api.models import PartnerApiKey
from culturepass.api.partner.keys import (
    offerer_api_keys,
    partner_api_key_create,
    partner_api_key_revoke,
)
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.offerers import selectors
from culturepass.offerers.models import Offerer
from culturepass.pro import access
from culturepass.pro.forms import add_domain_error
from culturepass.pro.forms_integrations import ApiKeyCreateForm


def member_api_key_or_404(user: Any, api_key_id: int) -> PartnerApiKey:
    """A key of a structure where ``user`` is a validated member, else 404."""
    api_key = (
        PartnerApiKey.objects.select_related("offerer")
        .filter(pk=api_key_id, offerer__in=selectors.offerers_of_user(user))
        .first()
    )
    if api_key is None:
        raise Http404
    return api_key


def _context(offerer: Offerer, user: Any) -> dict[str, Any]:
    membership = selectors.membership_of(user, offerer)
    return {
        "offerer": offerer,
        "membership": membership,
        "is_admin": bool(membership and membership.is_admin),
        "section": "integrations",
    }


def _page(
    request: HttpRequest,
    offerer: Offerer,
    form: ApiKeyCreateForm,
    *,
    created: tuple[PartnerApiKey, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **_context(offerer, request.user),
        "api_keys": offerer_api_keys(offerer),
        "form": form,
        "created_key": created[0] if created else None,
        "clear_key": created[1] if created else None,
    }
    response = render(request, "pro/integrations/index.html", context, status=status)
    if created:
        # The clear key is in this page only: no cache may keep it.
        response["Cache-Control"] = "no-store"
    return response


@login_required
def integrations(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    return _page(request, offerer, ApiKeyCreateForm(offerer=offerer))


@login_required
def api_key_create(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ApiKeyCreateForm(request.POST, offerer=offerer)
    if form.is_valid():
        try:
            created = partner_api_key_create(
                actor=request.user,
                offerer=offerer,
                label=form.cleaned_data["label"],
                venue_ids=[v.pk for v in form.cleaned_data["venues"]],
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            # Rendered, not redirected: the clear key must not travel through the session.
            return _page(request, offerer, ApiKeyCreateForm(offerer=offerer), created=created)
    return _page(request, offerer, form, status=400)


@login_required
def api_key_revoke(request: HttpRequest, api_key_id: int) -> HttpResponse:
    """GET: the confirmation page; POST: revoke."""
    api_key = member_api_key_or_404(request.user, api_key_id)
    offerer = api_key.offerer
    if request.method == "POST":
        try:
            partner_api_key_revoke(actor=request.user, api_key=api_key, now=clock.now())
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("La clé « %(label)s » est révoquée.") % {"label": api_key.label}
            )
        return redirect("pro:integrations", offerer_id=offerer.pk)
    context = {**_context(offerer, request.user), "api_key": api_key}
    return render(request, "pro/integrations/api_key_revoke.html", context)
