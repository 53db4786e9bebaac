"""JSON APIs: the app API (/api/app/v1/...) and the partner API (/public/...)."""

from django.urls import path

from culturepass.api.app_api import api as app_api
from culturepass.api.partner import docs as partner_docs
from culturepass.api.partner.api import partner_api

urlpatterns = [
    path("api/app/v1/", app_api.urls),
    # Before the API's own patterns: these are plain pages, without API-key auth.
    path("public/docs", partner_docs.docs, name="partner_docs"),
    path("public/docs/webhooks", partner_docs.docs_webhooks, name="partner_docs_webhooks"),
    path("public/", partner_api.urls),
]
