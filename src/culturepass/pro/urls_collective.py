"""Collective pages of the pro portal (offers for school groups), in the "pro" namespace.

Every pattern naming a structure, collective offer or collective booking resolves it among
the user's structures (404 for non-members); tests/pro/test_pro_access.py walks them all.
"""

from django.urls import path

from culturepass.pro import views_collective as views

urlpatterns = [
    path("structures/<int:offerer_id>/collectif/", views.collective_home, name="collective_home"),
    path(
        "structures/<int:offerer_id>/collectif/referencement/",
        views.collective_referencing,
        name="collective_referencing",
    ),
    path(
        "structures/<int:offerer_id>/collectif/offres/",
        views.collective_offers,
        name="collective_offers",
    ),
    path(
        "structures/<int:offerer_id>/collectif/offres/creer/",
        views.collective_offer_create,
        name="collective_offer_create",
    ),
    path(
        "structures/<int:offerer_id>/collectif/demandes/",
        views.collective_requests,
        name="collective_requests",
    ),
    path(
        "structures/<int:offerer_id>/collectif/reservations/",
        views.collective_bookings,
        name="collective_bookings",
    ),
    path(
        "offres-collectives/<int:collective_offer_id>/",
        views.collective_offer_detail,
        name="collective_offer_detail",
    ),
    path(
        "offres-collectives/<int:collective_offer_id>/modifier/",
        views.collective_offer_edit,
        name="collective_offer_edit",
    ),
    path(
        "offres-collectives/<int:collective_offer_id>/publier/",
        views.collective_offer_publish,
        name="collective_offer_publish",
    ),
    path(
        "reservations-collectives/<int:collective_booking_id>/annuler/",
        views.collective_booking_cancel,
        name="collective_booking_cancel",
    ),
]
