"""JSON APIs: the app API (/api/app/v1/...) and, later, the partner API (/public/...)."""

from django.urls import path

from culturepass.api.app_api import api as app_api

urlpatterns = [
    path("api/app/v1/", app_api.urls),
]
