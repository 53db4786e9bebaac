"""Webhook pages of the pro portal ("Intégrations", tab "Webhooks"): configure a structure's
webhooks (URL, events, secret, "Envoyer un test") and read their delivery log with
"Renvoyer".

Views parse input, call one service of :mod:`culturepass.notifications.webhooks` and
render. Every structure, webhook or delivery in a URL is resolved among the user's
structures (404 for anyone else, before looking at the method, so the access walker sees
404 on GET and POST alike). Members read; administrators manage (the services refuse
others), as for the API keys.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.notifications import webhooks as services
from culturepass.notifications.models import Webhook, WebhookDelivery
from culturepass.offerers import selectors
from culturepass.offerers.models import Offerer
from culturepass.pro import access
from culturepass.pro.forms import add_domain_error
from culturepass.pro.forms_webhooks import WebhookEditForm, WebhookForm

DELIVERIES_PER_PAGE = 50


def member_webhook_or_404(user: Any, webhook_id: int) -> Webhook:
    webhook = (
        Webhook.objects.select_related("offerer")
        .filter(pk=webhook_id, offerer__in=selectors.offerers_of_user(user))
        .first()
    )
    if webhook is None:
        raise Http404
    return webhook


def member_delivery_or_404(user: Any, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("webhook__offerer")
        .filter(pk=delivery_id, webhook__offerer__in=selectors.offerers_of_user(user))
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


def _context(offerer: Offerer, user: Any) -> dict[str, Any]:
    membership = selectors.membership_of(user, offerer)
    return {
        "offerer": offerer,
        "is_admin": bool(membership and membership.is_admin),
        "section": "integrations",
        "tab": "webhooks",
    }


def _list_page(
    request: HttpRequest, offerer: Offerer, form: WebhookForm, *, status: int = 200
) -> HttpResponse:
    labels = {value: str(label) for value, label in Webhook.Event.choices}
    context = {
        **_context(offerer, request.user),
        "rows": [
            {"webhook": webhook, "events": [labels[e] for e in webhook.events if e in labels]}
            for webhook in services.webhooks_of(offerer)
        ],
        "form": form,
    }
    return render(request, "pro/integrations/webhooks.html", context, status=status)


@login_required
def webhooks(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """GET: the structure's webhooks and the creation form; POST: create one."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if request.method != "POST":
        return _list_page(
            request, offerer, WebhookForm(initial={"events": list(Webhook.Event.values)})
        )
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            webhook = services.webhook_create(
                actor=request.user,
                offerer=offerer,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Webhook créé. Copiez son secret pour vérifier les signatures des notifications."
                ),
            )
            return redirect("pro:webhook_edit", webhook_id=webhook.pk)
    return _list_page(request, offerer, form, status=400)


def _edit_page(
    request: HttpRequest, webhook: Webhook, form: WebhookEditForm, *, status: int = 200
) -> HttpResponse:
    context = {
        **_context(webhook.offerer, request.user),
        "webhook": webhook,
        "form": form,
        "test_event": services.TEST_EVENT,
    }
    response = render(request, "pro/integrations/webhook_form.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page shows the secret
    return response


@login_required
def webhook_edit(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """GET: the settings, the secret (administrators) and the test button; POST: save."""
    webhook = member_webhook_or_404(request.user, webhook_id)
    if request.method != "POST":
        form = WebhookEditForm(
            initial={"url": webhook.url, "events": webhook.events, "is_active": webhook.is_active}
        )
        return _edit_page(request, webhook, form)
    form = WebhookEditForm(request.POST)
    if form.is_valid():
        try:
            services.webhook_update(
                actor=request.user,
                webhook=webhook,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                is_active=form.cleaned_data["is_active"],
                rotate_secret=form.cleaned_data["rotate_secret"],
                now=clock.now(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Webhook enregistré."))
            return redirect("pro:webhook_edit", webhook_id=webhook.pk)
    return _edit_page(request, webhook, form, status=400)


@login_required
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """GET: the confirmation page; POST: delete (with its delivery log)."""
    webhook = member_webhook_or_404(request.user, webhook_id)
    offerer = webhook.offerer
    if request.method == "POST":
        try:
            services.webhook_delete(actor=request.user, webhook=webhook, now=clock.now())
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("pro:webhook_edit", webhook_id=webhook.pk)
        messages.success(request, _("Webhook supprimé."))
        return redirect("pro:webhooks", offerer_id=offerer.pk)
    context = {**_context(offerer, request.user), "webhook": webhook}
    return render(request, "pro/integrations/webhook_delete.html", context)


@login_required
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """POST: queue a signed ``webhook.test`` delivery, then show the log."""
    webhook = member_webhook_or_404(request.user, webhook_id)
    if request.method != "POST":
        return redirect("pro:webhook_edit", webhook_id=webhook.pk)
    try:
        services.webhook_send_test(actor=request.user, webhook=webhook, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("pro:webhook_edit", webhook_id=webhook.pk)
    messages.success(
        request,
        _("Notification de test envoyée : son résultat apparaît dans le journal d'ici un instant."),
    )
    return redirect("pro:webhook_deliveries", webhook_id=webhook.pk)


@login_required
def webhook_deliveries(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """The delivery log, newest first, 50 a page."""
    webhook = member_webhook_or_404(request.user, webhook_id)
    page = Paginator(services.deliveries_of(webhook), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        **_context(webhook.offerer, request.user),
        "webhook": webhook,
        "page": page,
        "test_event": services.TEST_EVENT,
    }
    return render(request, "pro/integrations/webhook_deliveries.html", context)


@login_required
def webhook_delivery_resend(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """POST: attempt the delivery again now ("Renvoyer")."""
    delivery = member_delivery_or_404(request.user, delivery_id)
    back = redirect("pro:webhook_deliveries", webhook_id=delivery.webhook_id)
    if request.method != "POST":
        return back
    try:
        services.webhook_delivery_resend(actor=request.user, delivery=delivery, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("La notification va être renvoyée."))
    return back
