"""Pro finance reports (invoices, reimbursement details CSV, forecast, revenue), in the "pro"
namespace, included from ``pro/urls_finance.py``.

Every pattern names its structure and resolves it through culturepass.pro.access (404 for
non-members); tests/pro/test_pro_access.py walks them all.
"""

from django.urls import path

from culturepass.pro import views_finance_reports as views

urlpatterns = [
    path(
        "structures/<int:offerer_id>/finance/justificatifs/",
        views.finance_invoices,
        name="finance_invoices",
    ),
    path(
        "structures/<int:offerer_id>/finance/justificatifs/<int:invoice_id>/pdf/",
        views.finance_invoice_pdf,
        name="finance_invoice_pdf",
    ),
    path(
        "structures/<int:offerer_id>/finance/remboursements.csv",
        views.finance_reimbursements_csv,
        name="finance_reimbursements_csv",
    ),
    path(
        "structures/<int:offerer_id>/finance/prochain-virement/",
        views.finance_forecast,
        name="finance_forecast",
    ),
    path(
        "structures/<int:offerer_id>/finance/chiffre-d-affaires/",
        views.finance_revenue,
        name="finance_revenue",
    ),
]
