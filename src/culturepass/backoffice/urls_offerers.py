"""Structures in the backoffice (mounted at /backoffice/structures/, namespace "backoffice")."""

from django.urls import path

from culturepass.backoffice import views_offerers as views

urlpatterns = [
    path("", views.offerer_list, name="offerer_list"),
    path("rattachements/", views.offerer_attachment_list, name="offerer_attachment_list"),
    path(
        "rattachements/<int:membership_id>/accepter/",
        views.offerer_attachment_accept,
        name="offerer_attachment_accept",
    ),
    path(
        "rattachements/<int:membership_id>/refuser/",
        views.offerer_attachment_reject,
        name="offerer_attachment_reject",
    ),
    path("referents/", views.offerer_contact_list, name="offerer_contact_list"),
    path("referents/<str:region_code>/", views.offerer_contact_edit, name="offerer_contact_edit"),
    path(
        "referents/<str:region_code>/supprimer/",
        views.offerer_contact_delete,
        name="offerer_contact_delete",
    ),
    path("<int:offerer_id>/", views.offerer_detail, name="offerer_detail"),
    path("<int:offerer_id>/valider/", views.offerer_validate, name="offerer_validate"),
    path(
        "<int:offerer_id>/mettre-en-attente/",
        views.offerer_set_pending,
        name="offerer_set_pending",
    ),
    path("<int:offerer_id>/rejeter/", views.offerer_reject, name="offerer_reject"),
    path("<int:offerer_id>/fermer/", views.offerer_close, name="offerer_close"),
]
