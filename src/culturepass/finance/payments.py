"""Payment runs (SPEC §6): twice a month, pay every payable pricing to its bank account.

A run is identified by its cutoff (00:00 Europe/Paris on a 1st or a 16th) and goes
STARTED → PAID → DONE:

1. the run row is created (or found) with number ``max + 1`` under a lock, so a crashed run
   keeps its ``VIR<n>`` and two runs never share one;
2. due events are priced up to the cutoff (``pricing.pricing_price_due``);
3. **one transaction**, set-based SQL: the bookings (and collective bookings) paid become
   REIMBURSED (locking them before their pricings, the platform's lock order), one payment
   per bank account whose total is positive, pricings PROCESSED, gap-free invoice numbers,
   invoice lines, invoice emails; the run becomes PAID;
4. the SEPA credit-transfer file is built from the payments and stored; the run is DONE.

Each step is idempotent: a run killed anywhere and re-run resumes at the step it had not
committed and produces the same payments, invoices and numbers (everything is ordered by bank
account id, nothing depends on the clock but ``reimbursed_at``/``created_at`` stamps).

Test hook: ``CULTUREPASS_PAYMENT_RUN_CRASH_AT=pricing|payments|paid|sepa`` makes the process
SIGKILL itself at that point (``tests/finance/test_payment_run_crash.py``). ``pricing``: after
pricing, before the payments transaction; ``payments``: inside it, after every row is written,
before the commit; ``paid``: after the commit; ``sepa``: inside the last transaction, after the
file is stored, before the commit. Never set in production.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from culturepass.bookings.models import Booking
from culturepass.collective.models import CollectiveBooking
from culturepass.core.audit import AUTO, SYSTEM, audit_record
from culturepass.core.errors import DomainError
from culturepass.finance import calendar
from culturepass.finance.events import PRICING_LOCK_NAMESPACE
from culturepass.finance.invoices import INVOICE_PDF_KIND, euros
from culturepass.finance.models import (
    BankAccount,
    FinanceEvent,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
    PaymentRun,
    Pricing,
    VenueBankAccountLink,
)
from culturepass.finance.pricing import pricing_price_due
from culturepass.finance.sepa import Transfer, sepa_credit_transfer_xml
from culturepass.notifications.services import RenderedEmail, email_render, emails_enqueue
from culturepass.offerers.models import Membership

logger = logging.getLogger(__name__)

CRASH_ENV = "CULTUREPASS_PAYMENT_RUN_CRASH_AT"
# Advisory lock keys (first int) of the finance app: PRICING_POINT_LOCK (6001) is the pricing
# point lock of finance.events; 6002 serialises payment runs: (6002, 1) the run numbering,
# (6002, 2) the payments step of every run (two runs of different cutoffs could otherwise lock
# the same bookings in different orders).
PRICING_POINT_LOCK = PRICING_LOCK_NAMESPACE
RUN_LOCK = 6002
_NUMBERING = 1
_PAYMENTS = 2

INVOICE_EMAIL_TEMPLATE = "emails/invoice_available"


class PaymentRunError(DomainError):
    code = "payment_run_invalid"


def _crash_point(step: str) -> None:
    """Test hook (see the module docstring): die like a killed worker at ``step``."""
    if os.environ.get(CRASH_ENV) == step:
        logger.warning("payment run: simulated crash", extra={"step": step})
        os.kill(os.getpid(), signal.SIGKILL)


# --- selection ------------------------------------------------------------------------


def payable_pricings(*, cutoff: dt.datetime) -> QuerySet[Pricing]:
    """Pricings a run with ``cutoff`` would pay (before the per-account "total > 0" rule):
    validated, dated and happened before the cutoff, of a venue linked at the cutoff to an
    accepted bank account."""
    linked = VenueBankAccountLink.objects.filter(
        venue_id=OuterRef("venue_id"),
        timespan__contains=cutoff,
        bank_account__status=BankAccount.Status.ACCEPTED,
    )
    return Pricing.objects.filter(
        status=Pricing.Status.VALIDATED,
        value_date__lt=cutoff,
        pricing_ordering_date__lt=cutoff,
    ).filter(Exists(linked))


def _tables() -> dict[str, str]:
    return {
        "pricing": Pricing._meta.db_table,
        "event": FinanceEvent._meta.db_table,
        "link": VenueBankAccountLink._meta.db_table,
        "account": BankAccount._meta.db_table,
        "booking": Booking._meta.db_table,
        "collective_booking": CollectiveBooking._meta.db_table,
        "payment": Payment._meta.db_table,
        "invoice": Invoice._meta.db_table,
        "line": InvoiceLine._meta.db_table,
        "sequence": InvoiceSequence._meta.db_table,
    }


# The payable selection as SQL (same rules as ``payable_pricings``), parameter ``%(cutoff)s``.
_PAYABLE_SQL = """
    SELECT p.id, p.booking_id, p.collective_booking_id, p.pricing_point_id, p.venue_id, e.motive,
           l.bank_account_id, a.offerer_id, p.reimbursed_cents, p.amount_cents,
           p.rule_group, p.rate, p.rule_label
    FROM {pricing} p
    JOIN {event} e ON e.id = p.event_id
    JOIN {link} l ON l.venue_id = p.venue_id AND l.timespan @> %(cutoff)s::timestamptz
    JOIN {account} a ON a.id = l.bank_account_id AND a.status = 'ACCEPTED'
    WHERE p.status = 'VALIDATED'
      AND p.value_date < %(cutoff)s
      AND p.pricing_ordering_date < %(cutoff)s
"""


# --- the run --------------------------------------------------------------------------


def payment_run_execute(*, cutoff: dt.datetime, actor: Any = None, now: dt.datetime) -> PaymentRun:
    """Run (or resume) the payment run of ``cutoff``; returns it DONE.

    ``cutoff`` must be 00:00 Europe/Paris on a 1st or a 16th, not after ``now``. A DONE run
    is returned unchanged; concurrent calls for the same cutoff do the work once.
    """
    try:
        calendar.run_day_of(cutoff)
    except ValueError:
        raise PaymentRunError(
            _("La date de coupure doit être minuit (heure de Paris) un 1er ou un 16 du mois."),
            field="cutoff",
        ) from None
    if cutoff > now:
        raise PaymentRunError(
            _("Ce virement ne peut pas être lancé avant sa date de coupure."), field="cutoff"
        )
    run = _run_get_or_create(cutoff=cutoff, actor=actor, now=now)
    if run.status == PaymentRun.Status.DONE:
        return run
    if run.status == PaymentRun.Status.STARTED:
        # Outside the payments transaction: pricing takes its own locks per pricing point
        # and commits; a re-run finds nothing left to price.
        pricing_price_due(now=now, until=cutoff)
        _crash_point("pricing")
        _payments_create(run_id=run.pk, actor=actor, now=now)
        _crash_point("paid")
    _sepa_store(run_id=run.pk, now=now)
    run.refresh_from_db()
    return run


def payment_run_due(*, now: dt.datetime) -> PaymentRun | None:
    """For the periodic job: run the latest cutoff at or before ``now`` unless it is DONE."""
    cutoff = calendar.previous_cutoff(calendar.next_cutoff(now))
    if PaymentRun.objects.filter(cutoff=cutoff, status=PaymentRun.Status.DONE).exists():
        return None
    return payment_run_execute(cutoff=cutoff, actor=AUTO, now=now)


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _run_get_or_create(*, cutoff: dt.datetime, actor: Any, now: dt.datetime) -> PaymentRun:
    with transaction.atomic():
        run = PaymentRun.objects.filter(cutoff=cutoff).first()
        if run is not None:
            return run
        with connection.cursor() as cursor:
            # max + 1 under a lock, not a sequence: a sequence value is lost on rollback (gap)
            # and a re-run after a crash would get another number.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RUN_LOCK, _NUMBERING])
        run = PaymentRun.objects.filter(cutoff=cutoff).first()
        if run is not None:  # created while we waited for the lock
            return run
        last = PaymentRun.objects.order_by("-number").values_list("number", flat=True).first()
        run = PaymentRun.objects.create(
            cutoff=cutoff,
            number=(last or 0) + 1,
            status=PaymentRun.Status.STARTED,
            created_by=_user_or_none(actor),
            created_at=now,
        )
        audit_record(
            actor=actor if actor is not None else SYSTEM,
            action="payment_run.start",
            obj=run,
            now=now,
            after={"cutoff": cutoff, "number": run.number},
        )
    return run


_DROP_TEMP = "DROP TABLE IF EXISTS pay_candidate, pay_locked, pay_locked_collective, pay_final"


def _payments_create(*, run_id: int, actor: Any, now: dt.datetime) -> None:
    """Step 3 (see the module docstring): one transaction, set-based."""
    t = _tables()
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run_id)
        if run.status != PaymentRun.Status.STARTED:
            return  # a concurrent call did it while we waited for the row lock
        cutoff = run.cutoff
        run_day = calendar.run_day_of(cutoff)
        params: dict[str, Any] = {"cutoff": cutoff, "now": now, "run": run.pk}
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RUN_LOCK, _PAYMENTS])
            # ON COMMIT DROP is not enough when the caller's transaction is wider (tests).
            cursor.execute(_DROP_TEMP)
            # Candidates: payable pricings of accounts whose total is positive (a negative
            # total, incidents outweighing, waits for a later run).
            cursor.execute(
                f"""
                CREATE TEMP TABLE pay_candidate ON COMMIT DROP AS
                SELECT * FROM ({_PAYABLE_SQL.format(**t)}) s
                WHERE bank_account_id IN (
                    SELECT bank_account_id FROM ({_PAYABLE_SQL.format(**t)}) s2
                    GROUP BY bank_account_id HAVING sum(reimbursed_cents) > 0
                )
                """,  # noqa: S608 - table names are ours, values are parameters
                params,
            )
            # Lock order booking → pricing point → pricings: the bookings first, with the
            # USED → REIMBURSED update (a booking already REIMBURSED is never paid again).
            cursor.execute("CREATE TEMP TABLE pay_locked (id bigint PRIMARY KEY) ON COMMIT DROP")
            cursor.execute(
                f"""
                WITH paid AS (
                    UPDATE {t["booking"]} b
                    SET status = 'REIMBURSED', reimbursed_at = %(now)s
                    FROM (SELECT DISTINCT booking_id FROM pay_candidate
                          WHERE motive = 'BOOKING_USED') c
                    WHERE b.id = c.booking_id AND b.status = 'USED'
                    RETURNING b.id
                )
                INSERT INTO pay_locked (id) SELECT id FROM paid
                """,  # noqa: S608 - table names are ours, values are parameters
                params,
            )
            # Collective bookings (issue 8), the same way, in their own table (ids of two
            # tables may be equal).
            cursor.execute(
                "CREATE TEMP TABLE pay_locked_collective (id bigint PRIMARY KEY) ON COMMIT DROP"
            )
            cursor.execute(
                f"""
                WITH paid AS (
                    UPDATE {t["collective_booking"]} b
                    SET status = 'REIMBURSED', reimbursed_at = %(now)s
                    FROM (SELECT DISTINCT collective_booking_id FROM pay_candidate
                          WHERE motive = 'BOOKING_USED' AND collective_booking_id IS NOT NULL) c
                    WHERE b.id = c.collective_booking_id AND b.status = 'USED'
                    RETURNING b.id
                )
                INSERT INTO pay_locked_collective (id) SELECT id FROM paid
                """,  # noqa: S608 - table names are ours, values are parameters
                params,
            )
            # Autovacuum never analyses temporary tables: without statistics the joins
            # below are planned for a handful of rows.
            cursor.execute(
                "ANALYZE pay_candidate; ANALYZE pay_locked; ANALYZE pay_locked_collective"
            )
            # Wait for any pricing in flight on these pricing points (it may delete and
            # re-create unpaid pricings), then select again: the final, stable set. One lock
            # per pricing point held to the commit: the shared lock table (default 64 x
            # max_connections slots) bounds the pricing points of one run to a few thousand.
            cursor.execute(
                """
                SELECT count(pg_advisory_xact_lock(%s, pp::int)) FROM (
                    SELECT DISTINCT pricing_point_id AS pp FROM pay_candidate ORDER BY 1
                ) s
                """,
                [PRICING_POINT_LOCK],
            )
            cursor.execute(
                f"""
                CREATE TEMP TABLE pay_final ON COMMIT DROP AS
                SELECT s.* FROM ({_PAYABLE_SQL.format(**t)}) s
                JOIN (SELECT DISTINCT pricing_point_id FROM pay_candidate) pp
                  ON pp.pricing_point_id = s.pricing_point_id
                LEFT JOIN pay_locked locked ON locked.id = s.booking_id
                LEFT JOIN pay_locked_collective locked_c
                  ON locked_c.id = s.collective_booking_id
                -- A join, not "OR booking_id IN (...)": that becomes a per-row subplan
                -- (quadratic) once the id list outgrows work_mem.
                WHERE s.motive <> 'BOOKING_USED' OR locked.id IS NOT NULL
                   OR locked_c.id IS NOT NULL
                """,  # noqa: S608 - table names are ours, values are parameters
                params,
            )
            cursor.execute("ANALYZE pay_final")
            cursor.execute(
                """
                DELETE FROM pay_final WHERE bank_account_id IN (
                    SELECT bank_account_id FROM pay_final
                    GROUP BY bank_account_id HAVING sum(reimbursed_cents) <= 0
                )
                """
            )
            # Bookings locked above but no longer paid (re-priced meanwhile, or their account
            # fell to a non-positive total) go back to USED.
            cursor.execute(
                f"""
                UPDATE {t["booking"]} SET status = 'USED', reimbursed_at = NULL
                WHERE id IN (SELECT id FROM pay_locked
                             EXCEPT SELECT booking_id FROM pay_final)
                """  # noqa: S608 - table names are ours, values are parameters
            )
            cursor.execute(
                f"""
                UPDATE {t["collective_booking"]} SET status = 'USED', reimbursed_at = NULL
                WHERE id IN (SELECT id FROM pay_locked_collective
                             EXCEPT SELECT collective_booking_id FROM pay_final)
                """  # noqa: S608 - table names are ours, values are parameters
            )
            cursor.execute(
                f"""
                INSERT INTO {t["payment"]}
                    (run_id, bank_account_id, offerer_id, amount_cents, created_at)
                SELECT %(run)s, bank_account_id, offerer_id, sum(reimbursed_cents), %(now)s
                FROM pay_final
                GROUP BY bank_account_id, offerer_id
                ORDER BY bank_account_id
                """,  # noqa: S608 - table names are ours, values are parameters
                params,
            )
            cursor.execute(
                f"""
                UPDATE {t["pricing"]} p
                SET status = 'PROCESSED', payment_id = pay.id
                FROM pay_final f
                JOIN {t["payment"]} pay
                  ON pay.run_id = %(run)s AND pay.bank_account_id = f.bank_account_id
                WHERE p.id = f.id
                """,  # noqa: S608 - table names are ours, values are parameters
                params,
            )
            cursor.execute(f"SELECT count(*) FROM {t['payment']} WHERE run_id = %(run)s", params)  # noqa: S608
            (payments,) = cursor.fetchone()
            if payments:
                _invoices_create(cursor, t=t, run=run, run_day=run_day, count=payments, now=now)
            cursor.execute(_DROP_TEMP)
        _invoice_emails_enqueue(run=run, now=now)
        _crash_point("payments")
        run.status = PaymentRun.Status.PAID
        run.save(update_fields=["status"])
        totals = Payment.objects.filter(run=run).values_list("amount_cents", flat=True)
        audit_record(
            actor=actor if actor is not None else SYSTEM,
            action="payment_run.pay",
            obj=run,
            now=now,
            before={"status": PaymentRun.Status.STARTED},
            after={
                "status": PaymentRun.Status.PAID,
                "payments": len(totals),
                "amount_cents": sum(totals),
            },
        )


def _invoices_create(
    cursor: Any,
    *,
    t: dict[str, str],
    run: PaymentRun,
    run_day: dt.date,
    count: int,
    now: dt.datetime,
) -> None:
    """Number the run's invoices gap-free (the year's sequence row is locked until commit),
    in bank account order, and write their lines (one per rule group and rate)."""
    year = run_day.year
    cursor.execute(
        f"INSERT INTO {t['sequence']} (year, last) VALUES (%s, 0) ON CONFLICT (year) DO NOTHING",  # noqa: S608
        [year],
    )
    cursor.execute(f"SELECT last FROM {t['sequence']} WHERE year = %s FOR UPDATE", [year])  # noqa: S608
    (last,) = cursor.fetchone()
    calendar.invoice_number(year, last + count)  # raises past F<yy>9999999
    cursor.execute(f"UPDATE {t['sequence']} SET last = %s WHERE year = %s", [last + count, year])  # noqa: S608
    cursor.execute(
        f"""
        INSERT INTO {t["invoice"]} (payment_id, bank_account_id, offerer_id, number, year,
                                   sequence, amount_cents, date, created_at, emailed_at)
        SELECT id, bank_account_id, offerer_id,
               'F' || lpad((%(year)s %% 100)::text, 2, '0') || lpad(seq::text, 7, '0'),
               %(year)s, seq, amount_cents, %(date)s, %(now)s, NULL
        FROM (
            SELECT pay.*, %(last)s + row_number() OVER (ORDER BY pay.bank_account_id) AS seq
            FROM {t["payment"]} pay WHERE pay.run_id = %(run)s
        ) numbered
        ORDER BY seq
        """,  # noqa: S608 - table names are ours, values are parameters
        {"year": year, "date": run_day, "now": now, "last": last, "run": run.pk},
    )
    cursor.execute(
        f"""
        INSERT INTO {t["line"]} (invoice_id, "group", label, rate, booking_amount_cents,
                                reimbursed_cents)
        SELECT inv.id, f.rule_group,
               left(string_agg(DISTINCT f.rule_label, ' ; ' ORDER BY f.rule_label), 200),
               f.rate, sum(f.amount_cents), sum(f.reimbursed_cents)
        FROM pay_final f
        JOIN {t["payment"]} pay
          ON pay.run_id = %(run)s AND pay.bank_account_id = f.bank_account_id
        JOIN {t["invoice"]} inv ON inv.payment_id = pay.id
        GROUP BY inv.id, f.rule_group, f.rate
        ORDER BY inv.id, f.rule_group, f.rate DESC
        """,  # noqa: S608 - table names are ours, values are parameters
        {"run": run.pk},
    )


def _invoices_url(offerer_id: int) -> str:
    try:
        return settings.SITE_URL + reverse(
            "pro:finance_invoices", kwargs={"offerer_id": offerer_id}
        )
    except NoReverseMatch:
        return settings.SITE_URL + "/pro/"


def _invoice_emails_enqueue(*, run: PaymentRun, now: dt.datetime) -> None:
    """One email per invoice, the PDF attached (rendered at send time), to the structure's
    validated members, else to the booking emails of the venues paid."""
    invoices = list(
        Invoice.objects.filter(payment__run=run)
        .select_related("offerer", "bank_account")
        .order_by("bank_account_id")
    )
    if not invoices:
        return
    offerer_ids = {invoice.offerer_id for invoice in invoices}
    members: dict[int, set[str]] = {}
    for offerer_id, email in Membership.objects.filter(
        offerer_id__in=offerer_ids, status=Membership.Status.VALIDATED
    ).values_list("offerer_id", "user__email"):
        members.setdefault(offerer_id, set()).add(email)
    venue_emails: dict[int, set[str]] = {}
    for account_id, email in VenueBankAccountLink.objects.filter(
        bank_account_id__in=[invoice.bank_account_id for invoice in invoices],
        timespan__contains=run.cutoff,
    ).values_list("bank_account_id", "venue__booking_email"):
        if email:
            venue_emails.setdefault(account_id, set()).add(email)
    period = calendar.period_label(run.cutoff)
    emails: list[RenderedEmail] = []
    emailed: list[int] = []
    for invoice in invoices:
        recipients = members.get(invoice.offerer_id) or venue_emails.get(invoice.bank_account_id)
        if not recipients:
            logger.warning("invoice without recipient", extra={"invoice_id": invoice.pk})
            continue
        emails.append(
            email_render(
                to=sorted(recipients),
                template=INVOICE_EMAIL_TEMPLATE,
                context={
                    "offerer_name": invoice.offerer.name,
                    "invoice_number": invoice.number,
                    "amount": euros(invoice.amount_cents),
                    "period": period,
                    "transfer_label": run.label,
                    "bank_account_label": invoice.bank_account.label,
                    "url": _invoices_url(invoice.offerer_id),
                },
                attachments=[{"kind": INVOICE_PDF_KIND, "id": invoice.pk}],
            )
        )
        emailed.append(invoice.pk)
    emails_enqueue(emails, now=now)
    Invoice.objects.filter(pk__in=emailed).update(emailed_at=now)


def _sepa_store(*, run_id: int, now: dt.datetime) -> None:
    """Step 4: the credit-transfer file from the payments, then DONE."""
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run_id)
        if run.status != PaymentRun.Status.PAID:
            return
        payments = list(
            Payment.objects.filter(run=run)
            .select_related("bank_account", "invoice")
            .order_by("bank_account_id")
        )
        if payments:
            run.sepa_xml = sepa_credit_transfer_xml(
                message_id=f"culturepass-{run.label}",
                created_at=run.created_at,
                execution_date=calendar.run_day_of(run.cutoff),
                transfers=[
                    Transfer(
                        creditor_name=payment.bank_account.label,
                        iban=payment.bank_account.iban,
                        bic=payment.bank_account.bic,
                        amount_cents=payment.amount_cents,
                        end_to_end_id=f"{run.label}-{payment.invoice.number}",
                        remittance=f"{payment.invoice.number} {run.label}",
                    )
                    for payment in payments
                ],
            )
        run.status = PaymentRun.Status.DONE
        run.finished_at = now
        run.save(update_fields=["sepa_xml", "status", "finished_at"])
        _crash_point("sepa")
