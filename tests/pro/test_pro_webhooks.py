"""Webhook pages of the "Intégrations" section: configure (URL, events, secret, test), the
delivery log with "Renvoyer", admins manage and members read, outsiders get 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pro_helpers import make_user

from culturepass.core.models import AuditEntry
from culturepass.notifications.models import Webhook, WebhookDelivery
from culturepass.notifications.webhooks import webhook_create
from culturepass.offerers.models import Membership, Offerer

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/hooks/culturepass"


@pytest.fixture
def validated_a(structure_a) -> Offerer:
    Offerer.objects.filter(pk=structure_a.pk).update(status=Offerer.Status.VALIDATED)
    structure_a.refresh_from_db()
    return structure_a


@pytest.fixture
def client_a(client, pro_a, validated_a) -> Client:
    client.force_login(pro_a)
    return client


@pytest.fixture
def webhook(pro_a, validated_a) -> Webhook:
    return webhook_create(
        actor=pro_a,
        offerer=validated_a,
        url=URL,
        events=["booking.created", "booking.used"],
        now=timezone.now(),
    )


@pytest.fixture
def member_client(validated_a) -> Client:
    """A validated member of A who is not an administrator."""
    user = make_user("membre@structure-a.test", is_pro=True)
    Membership.objects.create(
        user=user,
        offerer=validated_a,
        role=Membership.Role.MEMBER,
        status=Membership.Status.VALIDATED,
        created_at=timezone.now(),
        validated_at=timezone.now(),
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_integrations_tabs_link_to_the_webhooks(client_a, validated_a):
    page = client_a.get(reverse("pro:integrations", args=[validated_a.pk])).content.decode()
    assert reverse("pro:webhooks", args=[validated_a.pk]) in page


def test_create_then_see_the_secret_and_the_test_button(client_a, validated_a):
    page = client_a.get(reverse("pro:webhooks", args=[validated_a.pk]))
    content = page.content.decode()
    assert "Aucun webhook pour le moment." in content
    assert 'type="checkbox" name="events" value="booking.cancelled"' in content

    response = client_a.post(
        reverse("pro:webhooks", args=[validated_a.pk]),
        {"url": URL, "events": ["booking.created", "booking.cancelled"]},
    )

    webhook = Webhook.objects.get(offerer=validated_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("pro:webhook_edit", args=[webhook.pk])
    assert webhook.events == ["booking.created", "booking.cancelled"]
    edit = client_a.get(response["Location"])
    assert edit["Cache-Control"] == "no-store"
    content = edit.content.decode()
    assert webhook.secret in content
    assert "Envoyer un test" in content
    listing = client_a.get(reverse("pro:webhooks", args=[validated_a.pk])).content.decode()
    assert URL in listing
    assert "réservation créée, réservation annulée" in listing


def test_form_errors_are_shown_on_their_fields(client_a, validated_a, settings):
    url = reverse("pro:webhooks", args=[validated_a.pk])
    response = client_a.post(url, {"url": URL})
    assert response.status_code == 400
    assert "Choisissez au moins un évènement." in response.content.decode()

    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = client_a.post(url, {"url": "https://127.0.0.1/hook", "events": ["booking.used"]})
    assert response.status_code == 400
    assert "indiquez une URL publique" in response.content.decode()
    settings.WEBHOOKS_ALLOW_HTTP = False
    response = client_a.post(url, {"url": "http://93.184.216.34/", "events": ["booking.used"]})
    assert "https://" in response.content.decode()
    assert not Webhook.objects.exists()


def test_edit_suspends_changes_events_and_rotates_the_secret(client_a, webhook):
    old_secret = webhook.secret
    response = client_a.post(
        reverse("pro:webhook_edit", args=[webhook.pk]),
        {"url": URL + "/v2", "events": ["booking.used"], "rotate_secret": "on"},
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.url == URL + "/v2"
    assert webhook.events == ["booking.used"]
    assert webhook.is_active is False  # unchecked box
    assert webhook.secret != old_secret
    assert AuditEntry.objects.filter(action="webhook.update").exists()


def test_send_a_test_then_resend_it_from_the_log(client_a, webhook):
    response = client_a.post(reverse("pro:webhook_test", args=[webhook.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("pro:webhook_deliveries", args=[webhook.pk])
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.event == "webhook.test"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED,
        attempts=3,
        last_status_code=500,
        last_error="HTTP 500",
        next_attempt_at=None,
    )

    log = client_a.get(response["Location"]).content.decode()
    assert str(delivery.event_id) in log
    assert "HTTP 500" in log
    assert "abandonnée" in log
    assert "Renvoyer" in log

    response = client_a.post(reverse("pro:webhook_delivery_resend", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.next_attempt_at is not None
    # GET on the action pages only redirects (no change).
    assert client_a.get(reverse("pro:webhook_test", args=[webhook.pk])).status_code == 302
    assert WebhookDelivery.objects.count() == 1


def test_the_log_is_paginated_newest_first(client_a, webhook):
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            webhook=webhook,
            event="booking.created",
            event_id=f"00000000-0000-4000-8000-{n:012d}",
            payload={},
            created_at=now - dt.timedelta(minutes=n),
            status=WebhookDelivery.Status.DELIVERED,
        )
        for n in range(55)
    )
    url = reverse("pro:webhook_deliveries", args=[webhook.pk])
    first = client_a.get(url).content.decode()
    assert "00000000-0000-4000-8000-000000000000" in first
    assert "00000000-0000-4000-8000-000000000054" not in first
    assert 'rel="next"' in first
    second = client_a.get(url, {"page": 2}).content.decode()
    assert "00000000-0000-4000-8000-000000000054" in second
    assert second.count('name="csrfmiddlewaretoken"') >= 5


def test_delete_asks_first(client_a, webhook, validated_a):
    url = reverse("pro:webhook_delete", args=[webhook.pk])
    assert "Supprimer définitivement" in client_a.get(url).content.decode()
    assert Webhook.objects.exists()
    response = client_a.post(url)
    assert response["Location"] == reverse("pro:webhooks", args=[validated_a.pk])
    assert not Webhook.objects.exists()


def test_a_member_reads_and_tests_but_only_admins_manage(member_client, webhook, validated_a):
    edit = member_client.get(reverse("pro:webhook_edit", args=[webhook.pk])).content.decode()
    assert webhook.secret not in edit
    assert "Seuls les administrateurs" in edit
    listing = member_client.get(reverse("pro:webhooks", args=[validated_a.pk])).content.decode()
    assert 'name="url"' not in listing

    response = member_client.post(
        reverse("pro:webhooks", args=[validated_a.pk]),
        {"url": URL, "events": ["booking.used"]},
    )
    assert response.status_code == 400
    assert Webhook.objects.count() == 1
    response = member_client.post(
        reverse("pro:webhook_edit", args=[webhook.pk]), {"url": URL, "events": ["booking.used"]}
    )
    assert response.status_code == 400
    member_client.post(reverse("pro:webhook_delete", args=[webhook.pk]))
    assert Webhook.objects.filter(pk=webhook.pk).exists()

    member_client.post(reverse("pro:webhook_test", args=[webhook.pk]))
    assert WebhookDelivery.objects.filter(webhook=webhook, event="webhook.test").exists()


def test_another_structure_gets_404(client, pro_b, structure_b, webhook):
    client.force_login(pro_b)
    delivery_url = reverse("pro:webhook_deliveries", args=[webhook.pk])
    assert client.get(delivery_url).status_code == 404
    assert client.post(reverse("pro:webhook_edit", args=[webhook.pk])).status_code == 404
    assert client.get(reverse("pro:webhooks", args=[webhook.offerer_id])).status_code == 404
