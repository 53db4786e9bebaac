"""Invoice PDFs (read back with pypdf) and the invoice email with the PDF attached."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from payment_run_helpers import CUTOFF, RUN_NOW, two_structures, used_booking
from pypdf import PdfReader

from culturepass.finance.invoices import euros, iban_masked, invoice_pdf, percent
from culturepass.finance.models import Invoice
from culturepass.finance.payments import payment_run_execute
from culturepass.notifications.models import OutboxEmail
from culturepass.notifications.services import outbox_deliver

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


@pytest.fixture
def invoice() -> Invoice:
    s = two_structures()
    for _ in range(5):
        used_booking(s["venue_a1"], price_cents=25000)
    used_booking(
        s["venue_a2"],
        price_cents=1001,
        rate="0.95",
        reimbursed_cents=951,
        rule_label="Entre 20 000 € et 40 000 €",
    )
    used_booking(s["venue_a2"], price_cents=2500, rule_group="BOOK", rule_label="Livres")
    payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)
    return Invoice.objects.get(bank_account=s["account_a"])


def test_the_pdf_shows_the_invoice_structure_account_lines_and_total(invoice: Invoice) -> None:
    text = _text(invoice_pdf(invoice))

    assert "Justificatif de remboursement" in text
    assert invoice.number in text
    assert "16 mars 2027" in text
    assert "1re quinzaine de mars 2027" in text
    assert "VIR1" in text
    assert invoice.offerer.name in text
    assert f"SIREN : {invoice.offerer.siren}" in text
    assert "Compte A" in text
    assert "***0 189" in text, text
    assert "FR76" not in text  # masked: only the last four characters
    assert "Barème général" in text
    assert "Barème livres" in text
    assert "95 %" in text
    assert "100 %" in text
    assert "1 250,00 €" in text  # booking amount of the 100 % line
    assert "9,51 €" in text
    assert "25,00 €" in text
    total = 125000 + 951 + 2500
    assert invoice.amount_cents == total
    assert "1 284,51 €" in text


def test_the_pdf_is_identical_when_rendered_again(invoice: Invoice) -> None:
    assert invoice_pdf(invoice) == invoice_pdf(invoice)


def test_formatting_helpers() -> None:
    assert euros(123456).replace("\xa0", " ") == "1 234,56 €"
    assert euros(-2500).replace("\xa0", " ") == "-25,00 €"
    assert percent(__import__("decimal").Decimal("0.9234")).replace("\xa0", " ") == "92,34 %"
    assert iban_masked("FR7630006000011234567890189") == "**** **** **** **** **** ***0 189"


def test_the_sent_invoice_email_carries_the_pdf(invoice: Invoice) -> None:
    email = OutboxEmail.objects.get(attachments=[{"kind": "invoice_pdf", "id": invoice.pk}])

    assert outbox_deliver(email_id=email.pk, now=RUN_NOW)

    (message,) = mail.outbox
    ((filename, content, mimetype),) = message.attachments
    assert filename == f"justificatif-{invoice.number}.pdf"
    assert mimetype == "application/pdf"
    assert content == invoice_pdf(invoice)
    assert invoice.number in _text(content)
