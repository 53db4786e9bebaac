"""Beneficiary web app (mobile-first pages), mounted at /app/."""

from django.urls import URLPattern

app_name = "app"
urlpatterns: list[URLPattern] = []
