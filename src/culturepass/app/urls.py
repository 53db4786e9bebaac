"""Beneficiary web app (mobile-first pages), mounted at /app/."""

from __future__ import annotations

from importlib.util import find_spec

from django.urls import URLPattern, URLResolver, include, path

from culturepass.app import views

app_name = "app"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("recherche/", views.search, name="search"),
    path("offres/<int:offer_id>/", views.offer, name="offer"),
    path("reserver/<int:stock_id>/", views.book, name="book"),
    path("reserver/confirmer/", views.booking_confirm, name="booking_confirm"),
    path("reservations/", views.bookings, name="bookings"),
    path("reservations/<int:booking_id>/", views.booking_detail, name="booking_detail"),
    path("reservations/<int:booking_id>/annuler/", views.booking_cancel, name="booking_cancel"),
    path("reservations/<int:booking_id>/calendrier.ics", views.booking_ics, name="booking_ics"),
    path("credit/", views.credit, name="credit"),
]

# Beneficiary sign-up (credit module), when it is installed.
if find_spec("culturepass.credit.urls") is not None:
    urlpatterns.append(path("inscription/", include("culturepass.credit.urls")))
