"""The "Intégrations" section of the pro portal (partner API keys; webhooks from
``urls_webhooks``), in the "pro" namespace. Every pattern naming a structure or a key resolves
it for members only (404 otherwise); tests/pro/test_pro_access.py walks them all."""

from django.urls import include, path

from culturepass.pro import views_integrations as views

urlpatterns = [
    path("structures/<int:offerer_id>/integrations/", views.integrations, name="integrations"),
    path(
        "structures/<int:offerer_id>/integrations/cles/creer/",
        views.api_key_create,
        name="api_key_create",
    ),
    path(
        "integrations/cles/<int:api_key_id>/revoquer/",
        views.api_key_revoke,
        name="api_key_revoke",
    ),
    path("", include("culturepass.pro.urls_webhooks")),
]
