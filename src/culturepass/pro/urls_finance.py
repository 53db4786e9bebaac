"""Pro "Gestion financière" (namespace "pro"), included from ``pro/urls.py``.

Every pattern names its structure and resolves it through culturepass.pro.access (404 for
non-members); tests/pro/test_pro_access.py walks them all. The report tabs (invoices, forecast,
revenue) live in ``pro/urls_finance_reports.py``.
"""

from django.urls import include, path

from culturepass.pro import views_finance as views

PREFIX = "structures/<int:offerer_id>/finance/"

urlpatterns = [
    path(PREFIX, views.bank_accounts, name="bank_accounts"),
    path(f"{PREFIX}comptes/ajouter/", views.bank_account_create, name="bank_account_create"),
    path(
        f"{PREFIX}comptes/<int:bank_account_id>/corriger/",
        views.bank_account_correct,
        name="bank_account_correct",
    ),
    path(
        f"{PREFIX}comptes/<int:bank_account_id>/justificatif/",
        views.bank_account_document,
        name="bank_account_document",
    ),
    path(f"{PREFIX}rattachements/", views.bank_account_links, name="bank_account_links"),
    path(
        f"{PREFIX}lieux/<int:venue_id>/detacher/",
        views.venue_bank_account_unlink,
        name="venue_bank_account_unlink",
    ),
    path(
        f"{PREFIX}lieux/<int:venue_id>/point-de-valorisation/",
        views.venue_pricing_point,
        name="venue_pricing_point",
    ),
    path("", include("culturepass.pro.urls_finance_reports")),
]
