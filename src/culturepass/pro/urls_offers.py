"""Offer pages of the pro portal (wizard, list, detail), in the "pro" namespace."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
