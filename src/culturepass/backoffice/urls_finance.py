"""Backoffice finance (mounted at /backoffice/finance/, namespace "backoffice"): the review of
bank accounts here, payment runs, custom rules and incidents in ``urls_finance_admin.py``."""

from django.urls import include, path

from culturepass.backoffice import views_finance as views

urlpatterns = [
    path("comptes-bancaires/", views.bank_account_list, name="finance_bank_accounts"),
    path(
        "comptes-bancaires/<int:bank_account_id>/",
        views.bank_account_detail,
        name="finance_bank_account_detail",
    ),
    path(
        "comptes-bancaires/<int:bank_account_id>/justificatif/",
        views.bank_account_document,
        name="finance_bank_account_document",
    ),
    path(
        "comptes-bancaires/<int:bank_account_id>/decision/",
        views.bank_account_decide,
        name="finance_bank_account_decide",
    ),
    path("", include("culturepass.backoffice.urls_finance_admin")),
]
