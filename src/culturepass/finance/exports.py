"""The reimbursement details CSV of the pro finance pages (SPEC §6).

One row per paid pricing (a used booking, or an incident on one), for one invoice or for the
invoices of a period. Same conventions as the bookings export, whose writer it reuses: UTF-8
with a BOM, ``;`` separated, decimal comma, dates as dd/mm/yyyy, text cells guarded against
formula injection, rows streamed from the database in chunks (bounded memory).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from culturepass.bookings.exports import Cell, csv_chunks, euros, local_naive
from culturepass.finance import calendar
from culturepass.finance.models import Pricing

#: Pricings read per database round trip while streaming.
CHUNK_SIZE = 2000
DATE_FORMAT = "%d/%m/%Y"

#: Column headers, in order. The last three are for collective bookings (issue 8), empty for
#: individual ones.
COLUMNS: tuple[str | Promise, ...] = (
    _("Période"),
    _("Date du justificatif"),
    _("N° du justificatif"),
    _("N° de virement"),
    _("Intitulé du compte bancaire"),
    _("IBAN"),
    _("Nom du lieu"),
    _("Adresse du lieu"),
    _("SIRET du lieu"),
    _("Nom de l'offre"),
    _("Contremarque"),
    _("Date de validation de la réservation"),
    _("Intitulé du tarif"),
    _("Montant de la réservation"),
    _("Barème"),
    _("Montant remboursé"),
    _("Type d'offre"),
    _("Nom de l'établissement"),
    _("UAI"),
    _("Date de l'évènement"),
)

INDIVIDUAL_OFFER = _("offre grand public")
COLLECTIVE_OFFER = _("offre collective")


def rate_label(rate: Decimal) -> str:
    """``Decimal("0.95")`` → "95 %", ``Decimal("0.925")`` → "92,5 %" (French notation)."""
    percent = (rate * 100).normalize()
    text = format(percent, "f")
    return text.replace(".", ",") + " %"


def reimbursement_records(pricings: QuerySet[Pricing]) -> Iterator[list[Cell]]:
    """The cells of each row. ``pricings`` comes from
    ``finance.selectors.reimbursement_pricings`` (everything needed is joined)."""
    period_labels: dict[int, str] = {}
    for pricing in pricings.iterator(chunk_size=CHUNK_SIZE):
        payment = pricing.payment
        assert payment is not None  # PROCESSED pricings have one (database constraint)
        run = payment.run
        invoice = payment.invoice
        account = payment.bank_account
        venue = pricing.venue
        if run.pk not in period_labels:
            period_labels[run.pk] = calendar.period_label(run.cutoff)
        head: list[Cell] = [
            period_labels[run.pk],
            invoice.date.strftime(DATE_FORMAT),
            invoice.number,
            run.label,
            account.label,
            account.iban,
            venue.display_name,
            f"{venue.street} {venue.postal_code} {venue.city}".strip(),
            venue.siret or "",
        ]
        collective = pricing.collective_booking
        if collective is not None:
            # A collective booking has no code nor price category: the school identifies it.
            c_offer = collective.offer
            yield [
                *head,
                c_offer.name,
                None,
                local_naive(collective.used_at, c_offer.timezone),
                None,
                euros(collective.price_cents),
                rate_label(pricing.rate),
                euros(pricing.reimbursed_cents),
                str(COLLECTIVE_OFFER),
                collective.school.name,
                collective.school.uai,
                local_naive(c_offer.start_datetime, c_offer.timezone),
            ]
            continue
        booking = pricing.booking
        assert booking is not None  # exactly one of the two (database constraint)
        offer = booking.offer
        yield [
            *head,
            offer.name,
            booking.code,
            local_naive(booking.used_at, offer.timezone),
            booking.price_category_label,
            euros(booking.amount_cents),
            rate_label(pricing.rate),
            euros(pricing.reimbursed_cents),
            str(INDIVIDUAL_OFFER),
            None,
            None,
            None,
        ]


def reimbursement_csv(pricings: QuerySet[Pricing]) -> Iterator[bytes]:
    """The CSV as byte chunks for a ``StreamingHttpResponse``."""
    return csv_chunks([str(c) for c in COLUMNS], reimbursement_records(pricings))
