"""Beneficiaries in the backoffice (mounted at /backoffice/beneficiaires/, namespace "backoffice")."""

from django.urls import path

from culturepass.backoffice import views_beneficiaries as views

urlpatterns = [
    path("", views.beneficiary_queue, name="beneficiary_queue"),
    path("<int:user_id>/", views.beneficiary_detail, name="beneficiary_detail"),
    path("<int:user_id>/valider/", views.beneficiary_approve, name="beneficiary_approve"),
    path("<int:user_id>/refuser/", views.beneficiary_reject, name="beneficiary_reject"),
]
