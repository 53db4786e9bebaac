"""Invoices (*justificatifs de remboursement*) as PDF, and their email attachment.

The PDF is rendered on demand from the invoice rows (never stored): same rows, same bytes
(``invariant`` mode fixes the dates and ids reportlab would otherwise stamp), so the copy
emailed and the copy downloaded later are identical. Standard Helvetica covers € and French
accents through WinAnsi encoding: no font file to ship.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import formats, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from culturepass.finance import calendar
from culturepass.finance.models import Invoice
from culturepass.finance.rules import RULE_GROUP_LABELS, RuleGroup
from culturepass.notifications.attachments import Attachment

INVOICE_PDF_KIND = "invoice_pdf"
_SUPERSCRIPTS = (("ʳᵉ", "re"), ("ᵉʳ", "er"), ("ᵉ", "e"))
_LANGUAGE = "fr"


def euros(cents: int) -> str:
    """``123456`` → ``1 234,56 €`` (French grouping with a no-break space)."""
    amount = formats.number_format(
        Decimal(cents) / 100, 2, use_l10n=True, force_grouping=True
    ).replace("\u202f", "\xa0")
    return f"{amount}\xa0€"


def percent(rate: Decimal) -> str:
    """``Decimal("0.9500")`` → ``95 %``; ``Decimal("0.9234")`` → ``92,34 %``."""
    value = (rate * 100).normalize()
    places = max(0, -int(value.as_tuple().exponent))
    return f"{formats.number_format(value, places, use_l10n=True)}\xa0%"


def iban_masked(iban: str) -> str:
    """Only the last four characters shown, in groups of four: ``**** … ***0 189``."""
    compact = iban.replace(" ", "")
    masked = "*" * (len(compact) - 4) + compact[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def group_label(group: str) -> str:
    try:
        return str(RULE_GROUP_LABELS[RuleGroup(group)])
    except ValueError:
        return _("Régularisations") if group == "INCIDENT" else group


def invoice_filename(invoice: Invoice) -> str:
    return f"justificatif-{invoice.number}.pdf"


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a one- or multi-page A4 PDF, in French."""
    invoice = (
        Invoice.objects.select_related("payment__run", "bank_account", "offerer")
        .prefetch_related("lines")
        .get(pk=invoice.pk)
    )
    with translation.override(_LANGUAGE):
        return _render(invoice)


def _render(invoice: Invoice) -> bytes:
    run = invoice.payment.run
    offerer = invoice.offerer
    account = invoice.bank_account
    styles = getSampleStyleSheet()
    normal = styles["Normal"]
    small = ParagraphStyle("small", parent=normal, fontSize=8.5, leading=10.5)
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)
    title = _("Justificatif de remboursement")

    def p(text: str, style: ParagraphStyle = normal) -> Paragraph:
        # Paragraph parses a mini-markup: escape the data it shows.
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        # "1ʳᵉ", "2ᵉ": modifier letters are not in Helvetica's WinAnsi set; real superscripts.
        for modifier, letters in _SUPERSCRIPTS:
            escaped = escaped.replace(modifier, f"<super>{letters}</super>")
        return Paragraph(escaped, style)

    facts = [
        (_("Numéro"), invoice.number),
        (_("Date"), date_format(invoice.date, "j F Y")),
        (_("Période"), calendar.period_label(run.cutoff)),
        (_("Virement"), run.label),
    ]
    story: list[Flowable] = [
        Paragraph(title, styles["Title"]),
        Table(
            [[p(label, small), p(value, small)] for label, value in facts],
            colWidths=[35 * mm, 120 * mm],
            hAlign="LEFT",
        ),
        Spacer(1, 6 * mm),
        Paragraph(_("Structure"), styles["Heading3"]),
        p(offerer.name),
        p(_("SIREN : %(siren)s") % {"siren": offerer.siren}),
        p(f"{offerer.street}, {offerer.postal_code} {offerer.city}"),
        Spacer(1, 4 * mm),
        Paragraph(_("Compte bancaire"), styles["Heading3"]),
        p(account.label),
        p(_("IBAN : %(iban)s") % {"iban": iban_masked(account.iban)}),
        Spacer(1, 6 * mm),
    ]
    header = [
        p(_("Barème"), small),
        p(_("Taux"), right),
        p(_("Montant des réservations"), right),
        p(_("Montant remboursé"), right),
    ]
    rows: list[list[Paragraph]] = [header]
    for line in invoice.lines.all():
        label = (
            f"{group_label(line.group)} : {line.label}" if line.label else group_label(line.group)
        )
        rows.append(
            [
                p(label, small),
                p(percent(line.rate), right),
                p(euros(line.booking_amount_cents), right),
                p(euros(line.reimbursed_cents), right),
            ]
        )
    total_booked = sum(line.booking_amount_cents for line in invoice.lines.all())
    rows.append(
        [
            p(_("Total"), small),
            p("", right),
            p(euros(total_booked), right),
            p(euros(invoice.amount_cents), right),
        ]
    )
    table = Table(rows, colWidths=[85 * mm, 20 * mm, 35 * mm, 35 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(
        p(
            _("Montant viré : %(amount)s (virement %(label)s).")
            % {"amount": euros(invoice.amount_cents), "label": run.label}
        )
    )

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{title} {invoice.number}",
        author="culturepass",
        creator="culturepass",
        producer="culturepass",
        subject=calendar.period_label(run.cutoff),
        invariant=1,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    document.build(story)
    return buffer.getvalue()


def invoice_attachment(invoice_id: int) -> Attachment:
    """Resolver of ``{"kind": "invoice_pdf", "id": N}`` outbox attachments."""
    invoice = Invoice.objects.get(pk=invoice_id)
    return Attachment(
        filename=invoice_filename(invoice),
        content=invoice_pdf(invoice),
        mimetype="application/pdf",
    )
