"""Compliance in the backoffice (mounted at /backoffice/offres/, namespace "backoffice")."""

from django.urls import path

from culturepass.backoffice import views_offers as views

urlpatterns = [
    path("", views.offer_queue, name="offer_queue"),
    path("toutes/", views.offer_list, name="offer_list"),
    path("<int:offer_id>/", views.offer_detail, name="offer_detail"),
    path("<int:offer_id>/valider/", views.offer_approve, name="offer_approve"),
    path("<int:offer_id>/refuser/", views.offer_reject, name="offer_reject"),
    path("regles/", views.validation_rule_list, name="validation_rule_list"),
    path("regles/nouvelle/", views.validation_rule_create, name="validation_rule_create"),
    path("regles/<int:rule_id>/", views.validation_rule_edit, name="validation_rule_edit"),
    path(
        "regles/<int:rule_id>/supprimer/",
        views.validation_rule_delete,
        name="validation_rule_delete",
    ),
]
