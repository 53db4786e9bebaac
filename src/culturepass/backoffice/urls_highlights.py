"""Highlight blocks of the beneficiary home (mounted at /backoffice/mises-en-avant/)."""

from django.urls import path

from culturepass.backoffice import views_highlights as views

urlpatterns = [
    path("", views.highlight_list, name="highlight_list"),
    path("nouveau/", views.highlight_create, name="highlight_create"),
    path("<int:block_id>/", views.highlight_detail, name="highlight_detail"),
    path("<int:block_id>/supprimer/", views.highlight_delete, name="highlight_delete"),
    path("<int:block_id>/offres/", views.highlight_offer_add, name="highlight_offer_add"),
    path(
        "<int:block_id>/offres/<int:offer_id>/retirer/",
        views.highlight_offer_remove,
        name="highlight_offer_remove",
    ),
    path(
        "<int:block_id>/offres/<int:offer_id>/deplacer/",
        views.highlight_offer_move,
        name="highlight_offer_move",
    ),
]
