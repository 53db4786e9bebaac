"""Webhook pages of the "Intégrations" section, in the "pro" namespace. Every pattern naming
a structure, a webhook or a delivery resolves it for members only (404 otherwise);
tests/pro/test_pro_access.py walks them all."""

from django.urls import path

from culturepass.pro import views_webhooks as views

urlpatterns = [
    path("structures/<int:offerer_id>/integrations/webhooks/", views.webhooks, name="webhooks"),
    path("integrations/webhooks/<int:webhook_id>/", views.webhook_edit, name="webhook_edit"),
    path(
        "integrations/webhooks/<int:webhook_id>/supprimer/",
        views.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "integrations/webhooks/<int:webhook_id>/tester/",
        views.webhook_test,
        name="webhook_test",
    ),
    path(
        "integrations/webhooks/<int:webhook_id>/livraisons/",
        views.webhook_deliveries,
        name="webhook_deliveries",
    ),
    path(
        "integrations/livraisons/<int:delivery_id>/renvoyer/",
        views.webhook_delivery_resend,
        name="webhook_delivery_resend",
    ),
]
