"""The SEPA credit-transfer file of a run: pain.001.001.03, valid, one transfer per payment."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from payment_run_helpers import (
    CUTOFF,
    RUN_NOW,
    SEPA_NS,
    sepa_transfers,
    two_structures,
    used_booking,
)
from sepaxml.validation import ValidationError

from culturepass.finance.models import Invoice
from culturepass.finance.payments import payment_run_execute
from culturepass.finance.sepa import Transfer, sepa_credit_transfer_xml

pytestmark = pytest.mark.django_db


def test_the_run_file_has_one_transfer_per_payment(settings) -> None:
    settings.FINANCE_DEBTOR = {
        "name": "culturepass",
        "iban": "FR7630001007941234567890185",
        "bic": "BDFEFRPPCCT",
    }
    s = two_structures()
    used_booking(s["venue_a1"], price_cents=2000)
    used_booking(s["venue_a2"], price_cents=1050)
    used_booking(s["venue_b"], price_cents=3000)

    run = payment_run_execute(cutoff=CUTOFF, now=RUN_NOW)

    xml = bytes(run.sepa_xml)
    root = ET.fromstring(xml)
    header = root.find("s:CstmrCdtTrfInitn/s:GrpHdr", SEPA_NS)
    assert header is not None
    assert header.findtext("s:NbOfTxs", namespaces=SEPA_NS) == "2"
    assert header.findtext("s:CtrlSum", namespaces=SEPA_NS) == "60.50"
    assert header.findtext("s:MsgId", namespaces=SEPA_NS) == "culturepass-VIR1"
    debtor_iban = root.findtext(".//s:DbtrAcct/s:Id/s:IBAN", namespaces=SEPA_NS)
    assert debtor_iban == "FR7630001007941234567890185"
    assert root.findtext(".//s:ReqdExctnDt", namespaces=SEPA_NS) == "2027-03-16"
    inv_a = Invoice.objects.get(bank_account=s["account_a"]).number
    inv_b = Invoice.objects.get(bank_account=s["account_b"]).number
    assert sepa_transfers(xml) == [
        (f"VIR1-{inv_a}", "Compte A", "FR7630006000011234567890189", "30.50", f"{inv_a} VIR1"),
        (f"VIR1-{inv_b}", "Compte B", "FR7610107001011234567890129", "30.00", f"{inv_b} VIR1"),
    ]


def _transfer(**extra: object) -> Transfer:
    fields: dict[str, object] = {
        "creditor_name": "Théâtre du Port",
        "iban": "FR7630006000011234567890189",
        "bic": "BNPAFRPPXXX",
        "amount_cents": 12345,
        "end_to_end_id": "VIR3-F270000001",
        "remittance": "F270000001 VIR3",
    }
    fields.update(extra)
    return Transfer(**fields)  # type: ignore[arg-type]


def test_the_file_is_deterministic() -> None:
    args = {
        "message_id": "culturepass-VIR3",
        "created_at": dt.datetime(2027, 3, 16, 8, tzinfo=dt.UTC),
        "execution_date": dt.date(2027, 3, 16),
        "transfers": [_transfer()],
    }
    first = sepa_credit_transfer_xml(**args)  # type: ignore[arg-type]
    assert first == sepa_credit_transfer_xml(**args)  # type: ignore[arg-type]
    assert b"<CreDtTm>2027-03-16T09:00:00</CreDtTm>" in first
    assert b"<Nm>Theatre du Port</Nm>" in first  # SEPA character set


def test_an_invalid_file_is_refused() -> None:
    with pytest.raises(ValidationError):
        sepa_credit_transfer_xml(
            message_id="culturepass-VIR3",
            created_at=dt.datetime(2027, 3, 16, 8, tzinfo=dt.UTC),
            execution_date=dt.date(2027, 3, 16),
            transfers=[_transfer(bic="NOT A BIC")],
        )
