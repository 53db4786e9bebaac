"""Pro finance reports, tabs of "Gestion financière": "Justificatifs et remboursements" (the
invoices with their PDF and the reimbursement details CSV), "Prochain virement" (forecast) and
"Chiffre d'affaires" (revenue per venue and year).

Views read through :mod:`culturepass.finance.selectors` and render; the structure in the URL is
resolved through :mod:`culturepass.pro.access` first (404 for non-members), before anything
else, method checks included. Everything here only reads: GET only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from culturepass.core import clock
from culturepass.finance import calendar, exports, selectors
from culturepass.finance.invoices import invoice_pdf
from culturepass.finance.models import Invoice
from culturepass.offerers.models import Offerer
from culturepass.pro import access
from culturepass.pro.forms_finance_reports import ReimbursementPeriodForm
from culturepass.pro.forms_offers import format_euros

PER_PAGE = 25


ReportView = Callable[..., HttpResponseBase]


def _member_get(view: ReportView) -> ReportView:
    """Resolve ``offerer_id`` through :mod:`culturepass.pro.access` (404 for outsiders, whatever
    the method, so that ids reveal nothing), then allow GET only; the view gets the structure."""

    @wraps(view)
    def wrapper(request: HttpRequest, offerer_id: int, **kwargs: Any) -> HttpResponseBase:
        offerer = access.get_member_offerer_or_404(request.user, offerer_id)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request, offerer, **kwargs)

    return login_required(wrapper)


def _context(offerer: Offerer, tab: str, **extra: Any) -> dict[str, Any]:
    return {"offerer": offerer, "section": "finance", "finance_tab": tab, **extra}


# --- Justificatifs et remboursements ---------------------------------------------------------


def _invoice_row(invoice: Invoice) -> dict[str, Any]:
    run = invoice.payment.run
    return {
        "invoice": invoice,
        "period": calendar.period_label(run.cutoff),
        "transfer": run.label,
        "account": invoice.bank_account.label,
        "amount": format_euros(invoice.amount_cents),
        "pdf_url": reverse("pro:finance_invoice_pdf", args=[invoice.offerer_id, invoice.pk]),
        "csv_url": reverse("pro:finance_reimbursements_csv", args=[invoice.offerer_id])
        + f"?justificatif={invoice.pk}",
    }


def _invoices_render(
    request: HttpRequest, offerer: Offerer, form: ReimbursementPeriodForm, *, status: int = 200
) -> HttpResponse:
    page = Paginator(selectors.structure_invoices(offerer_id=offerer.pk), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "pro/finance/invoices.html",
        _context(
            offerer,
            "invoices",
            page_obj=page,
            rows=[_invoice_row(invoice) for invoice in page.object_list],
            form=form,
            csv_url=reverse("pro:finance_reimbursements_csv", args=[offerer.pk]),
        ),
        status=status,
    )


@_member_get
def finance_invoices(request: HttpRequest, offerer: Offerer) -> HttpResponse:
    return _invoices_render(request, offerer, ReimbursementPeriodForm())


@_member_get
def finance_invoice_pdf(request: HttpRequest, offerer: Offerer, invoice_id: int) -> HttpResponse:
    invoice = selectors.structure_invoice(offerer_id=offerer.pk, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


def _csv_response(chunks: Any, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


@_member_get
def finance_reimbursements_csv(request: HttpRequest, offerer: Offerer) -> HttpResponseBase:
    """``?justificatif=<id>``: the details of one invoice; ``?du=…&au=…``: of the invoices
    dated in that period. A wrong period shows the invoices page with the form's errors."""
    invoice_param = request.GET.get("justificatif")
    if invoice_param is not None:
        invoice = (
            selectors.structure_invoice(offerer_id=offerer.pk, invoice_id=int(invoice_param))
            if invoice_param.isdigit() and len(invoice_param) <= 12
            else None
        )
        if invoice is None:
            raise Http404
        pricings = selectors.reimbursement_pricings(offerer_id=offerer.pk, invoice_id=invoice.pk)
        return _csv_response(
            exports.reimbursement_csv(pricings), f"remboursements-{invoice.number}"
        )
    form = ReimbursementPeriodForm(request.GET)
    if not form.is_valid():
        return _invoices_render(request, offerer, form, status=400)
    start, end = form.cleaned_data["du"], form.cleaned_data["au"]
    pricings = selectors.reimbursement_pricings(offerer_id=offerer.pk, date_from=start, date_to=end)
    return _csv_response(
        exports.reimbursement_csv(pricings),
        f"remboursements-{offerer.pk}-{start:%Y%m%d}-{end:%Y%m%d}",
    )


# --- Prochain virement -----------------------------------------------------------------------


@_member_get
def finance_forecast(request: HttpRequest, offerer: Offerer) -> HttpResponse:
    forecast = selectors.payment_forecast(offerer_id=offerer.pk, now=clock.now())
    accounts = [
        {
            "account": a,
            "payable": format_euros(a.payable_cents),
            "to_price_amount": format_euros(a.to_price_booking_cents),
        }
        for a in forecast.accounts
    ]
    waiting = [{"item": w, "amount": format_euros(w.booking_cents)} for w in forecast.waiting]
    return render(
        request,
        "pro/finance/forecast.html",
        _context(
            offerer,
            "forecast",
            forecast=forecast,
            accounts=accounts,
            waiting=waiting,
            total=format_euros(forecast.total_payable_cents),
        ),
    )


# --- Chiffre d'affaires ----------------------------------------------------------------------


def _revenue_cells(row: selectors.RevenueRow) -> dict[str, str]:
    return {
        "realised_individual": format_euros(row.realised_individual_cents),
        "expected_individual": format_euros(row.expected_individual_cents),
        "realised_collective": format_euros(row.realised_collective_cents),
        "expected_collective": format_euros(row.expected_collective_cents),
        "realised": format_euros(row.realised_cents),
        "expected": format_euros(row.expected_cents),
    }


@_member_get
def finance_revenue(request: HttpRequest, offerer: Offerer) -> HttpResponse:
    years = [
        {
            "year": year.year,
            "rows": [{"name": row.venue_name, **_revenue_cells(row)} for row in year.rows],
            "total": _revenue_cells(year.total),
        }
        for year in selectors.structure_revenue(offerer_id=offerer.pk)
    ]
    return render(request, "pro/finance/revenue.html", _context(offerer, "revenue", years=years))
