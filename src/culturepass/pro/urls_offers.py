"""Offer pages of the pro portal (wizard, list, detail), in the "pro" namespace.

Every pattern naming a structure, offer, price category or occurrence resolves it through
culturepass.pro.access (404 for non-members); tests/pro/test_pro_access.py walks them all.
"""

from django.urls import path

from culturepass.pro import views_offers as views

urlpatterns = [
    path("structures/<int:offerer_id>/offres/", views.offer_list, name="offer_list"),
    path("structures/<int:offerer_id>/offres/actions/", views.offer_bulk, name="offer_bulk"),
    path("structures/<int:offerer_id>/offres/creer/", views.offer_create, name="offer_create"),
    path("offres/<int:offer_id>/", views.offer_detail, name="offer_detail"),
    path("offres/<int:offer_id>/etapes/<slug:step>/", views.offer_step, name="offer_step"),
    path("offres/<int:offer_id>/dupliquer/", views.offer_duplicate, name="offer_duplicate"),
    path("offres/<int:offer_id>/activation/", views.offer_set_active, name="offer_set_active"),
    path("offres/<int:offer_id>/image/", views.offer_image, name="offer_image"),
    path(
        "offres/<int:offer_id>/image/supprimer/",
        views.offer_image_delete,
        name="offer_image_delete",
    ),
    path(
        "tarifs/<int:price_category_id>/",
        views.price_category_update,
        name="price_category_update",
    ),
    path(
        "tarifs/<int:price_category_id>/supprimer/",
        views.price_category_delete,
        name="price_category_delete",
    ),
    path("dates/<int:stock_id>/", views.stock_edit, name="stock_edit"),
    path("dates/<int:stock_id>/supprimer/", views.stock_delete, name="stock_delete"),
]
