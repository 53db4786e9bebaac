"""JSON APIs: the app API (/api/app/...) and, later, the partner API (/public/...)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
