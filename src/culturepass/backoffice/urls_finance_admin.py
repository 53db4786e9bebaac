"""Backoffice finance administration (payment runs, custom rules, incidents), namespace
"backoffice", included from ``backoffice/urls_finance.py`` under its finance prefix."""

from django.urls import path

from culturepass.backoffice import views_finance_admin as views

urlpatterns = [
    path("virements/", views.payment_run_list, name="finance_runs"),
    path("virements/lancer/", views.payment_run_launch, name="finance_run_launch"),
    path("virements/<int:run_id>/", views.payment_run_detail, name="finance_run_detail"),
    path("virements/<int:run_id>/sepa.xml", views.payment_run_sepa, name="finance_run_sepa"),
    path(
        "justificatifs/<int:invoice_id>/pdf/",
        views.invoice_pdf_download,
        name="finance_invoice_pdf",
    ),
    path("regles/", views.custom_rule_list, name="finance_rules"),
    path("regles/nouvelle/", views.custom_rule_create, name="finance_rule_create"),
    path("incidents/", views.incident_list, name="finance_incidents"),
    path("incidents/nouveau/", views.incident_create, name="finance_incident_create"),
    path(
        "incidents/<int:incident_id>/valider/",
        views.incident_validate,
        name="finance_incident_validate",
    ),
    path(
        "incidents/<int:incident_id>/annuler/",
        views.incident_cancel,
        name="finance_incident_cancel",
    ),
]
