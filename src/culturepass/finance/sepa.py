"""The SEPA credit-transfer file (pain.001.001.03) of a payment run, built with sepaxml.

One transaction per payment: the creditor is the bank account (label, IBAN, BIC), the
remittance information carries the invoice number and the run's ``VIR<n>``, the end-to-end
id identifies the payment. The debtor is ``settings.FINANCE_DEBTOR``.

The file is deterministic for equal data: sepaxml stamps a random message id, a random
payment-information id and the wall-clock creation time, which we replace with values
derived from the run, so a resumed run stores the very same bytes.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from sepaxml import SepaTransfer
from sepaxml.validation import try_valid_xml

from culturepass.finance.calendar import PARIS

SCHEMA = "pain.001.001.03"
_NS = {"s": f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"}


@dataclass(frozen=True)
class Transfer:
    """One credit transfer of the file."""

    creditor_name: str
    iban: str
    bic: str
    amount_cents: int
    end_to_end_id: str
    remittance: str


def sepa_credit_transfer_xml(
    *,
    message_id: str,
    created_at: dt.datetime,
    execution_date: dt.date,
    transfers: Sequence[Transfer],
) -> bytes:
    """A schema-validated pain.001.001.03 document (UTF-8 bytes) for ``transfers``.

    ``message_id`` (≤ 35 characters) also names the single payment-information block.
    Raises if the result does not validate against the XSD (sepaxml uses xmlschema).
    """
    debtor = settings.FINANCE_DEBTOR
    transfer_file = SepaTransfer(
        {
            "name": debtor["name"],
            "IBAN": debtor["iban"],
            "BIC": debtor["bic"],
            "batch": True,
            "currency": "EUR",
        },
        schema=SCHEMA,
    )
    for transfer in transfers:
        transfer_file.add_payment(
            {
                "name": transfer.creditor_name,
                "IBAN": transfer.iban,
                "BIC": transfer.bic,
                "amount": transfer.amount_cents,
                "execution_date": execution_date,
                "description": transfer.remittance,
                "endtoend_id": transfer.end_to_end_id,
            }
        )
    raw = transfer_file.export(validate=False)
    return _stamp(raw, message_id=message_id, created_at=created_at)


def _stamp(raw: bytes, *, message_id: str, created_at: dt.datetime) -> bytes:
    ET.register_namespace("", _NS["s"])
    root = ET.fromstring(raw)  # noqa: S314 - our own output, not untrusted input
    header = root.find("s:CstmrCdtTrfInitn/s:GrpHdr", _NS)
    assert header is not None
    _set(header, "s:MsgId", message_id)
    local = created_at.astimezone(PARIS).replace(tzinfo=None, microsecond=0)
    _set(header, "s:CreDtTm", local.isoformat())
    for index, block in enumerate(root.findall("s:CstmrCdtTrfInitn/s:PmtInf", _NS), start=1):
        _set(block, "s:PmtInfId", f"{message_id}-{index}"[:35])
    out = b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="utf-8")
    try_valid_xml(out, SCHEMA)
    return out


def _set(parent: ET.Element, path: str, text: str) -> None:
    node = parent.find(path, _NS)
    assert node is not None, path
    node.text = text
