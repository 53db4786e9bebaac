"""Regional commission pages (mounted at /backoffice/collectif/, namespace "backoffice"):
referencing applications, collective offers review, schools, budgets and school staff."""

from django.urls import path

from culturepass.backoffice import views_collective as views

urlpatterns = [
    path("", views.application_queue, name="collective_applications"),
    path(
        "candidatures/<int:application_id>/",
        views.application_detail,
        name="collective_application_detail",
    ),
    path(
        "candidatures/<int:application_id>/decision/",
        views.application_decide,
        name="collective_application_decide",
    ),
    path("offres/", views.offer_queue, name="collective_offers"),
    path(
        "offres/<int:collective_offer_id>/",
        views.offer_detail,
        name="collective_offer_detail",
    ),
    path(
        "offres/<int:collective_offer_id>/valider/",
        views.offer_approve,
        name="collective_offer_approve",
    ),
    path(
        "offres/<int:collective_offer_id>/refuser/",
        views.offer_reject,
        name="collective_offer_reject",
    ),
    path("etablissements/", views.school_list, name="collective_schools"),
    path("etablissements/creer/", views.school_create, name="collective_school_create"),
    path(
        "etablissements/<int:school_id>/",
        views.school_detail,
        name="collective_school_detail",
    ),
    path(
        "etablissements/<int:school_id>/budget/",
        views.school_budget_set,
        name="collective_school_budget",
    ),
    path(
        "etablissements/<int:school_id>/personnels/ajouter/",
        views.school_member_add,
        name="collective_school_member_add",
    ),
    path(
        "etablissements/<int:school_id>/personnels/<int:member_id>/retirer/",
        views.school_member_remove_confirm,
        name="collective_school_member_remove_confirm",
    ),
    path(
        "etablissements/<int:school_id>/personnels/<int:member_id>/retirer/confirmer/",
        views.school_member_remove,
        name="collective_school_member_remove",
    ),
]
