"""Schools portal (teachers and school heads), mounted at /ecoles/.

Every offer or booking named in a URL is looked up through the user's schools (404 for
another school's); tests/schools/test_schools_portal.py checks it.
"""

from django.urls import path

from culturepass.schools import views

app_name = "schools"
urlpatterns = [
    path("", views.home, name="home"),
    path("offres/", views.search, name="search"),
    path("offres/<int:collective_offer_id>/", views.offer, name="offer"),
    path("offres/<int:collective_offer_id>/demande/", views.offer_request, name="offer_request"),
    path(
        "offres/<int:collective_offer_id>/prereserver/", views.offer_prebook, name="offer_prebook"
    ),
    path("reservations/", views.bookings, name="bookings"),
    path(
        "reservations/<int:collective_booking_id>/confirmer/",
        views.booking_confirm,
        name="booking_confirm",
    ),
    path(
        "reservations/<int:collective_booking_id>/refuser/",
        views.booking_refuse,
        name="booking_refuse",
    ),
]
