"""Box office pages of the pro portal (Guichet, bookings tab, exports, event actions), in
the "pro" namespace.

Every pattern naming a structure, offer or occurrence resolves it through
culturepass.pro.access (404 for non-members); tests/pro/test_pro_access.py walks them all.
"""

from django.urls import path

from culturepass.pro import views_bookings as views

urlpatterns = [
    path("structures/<int:offerer_id>/guichet/", views.guichet, name="guichet"),
    path("structures/<int:offerer_id>/reservations/", views.bookings, name="bookings"),
    path(
        "structures/<int:offerer_id>/reservations/export/",
        views.bookings_export,
        name="bookings_export",
    ),
    path("offres/<int:offer_id>/reservations/", views.offer_bookings, name="offer_bookings"),
    path(
        "offres/<int:offer_id>/reservations/export/",
        views.offer_bookings_export,
        name="offer_bookings_export",
    ),
    path("offres/<int:offer_id>/annuler/", views.offer_cancel, name="offer_cancel"),
    path("offres/<int:offer_id>/cloturer/", views.offer_close, name="offer_close"),
    path("dates/<int:stock_id>/annuler/", views.stock_cancel, name="stock_cancel"),
    path("dates/<int:stock_id>/reporter/", views.stock_postpone, name="stock_postpone"),
    path("dates/<int:stock_id>/cloturer/", views.stock_close, name="stock_close"),
    path("dates/<int:stock_id>/places/", views.stock_capacity, name="stock_capacity"),
]
