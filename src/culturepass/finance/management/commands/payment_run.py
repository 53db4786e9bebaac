"""``culturepass payment_run --cutoff 2027-03-16`` (a run day) or ``--latest``.

Runs, or resumes after a crash, the payment run of that cutoff (00:00 Europe/Paris on the day)
and prints a summary. Re-running a finished run only prints its summary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from culturepass.core import clock
from culturepass.core.audit import SYSTEM
from culturepass.core.errors import DomainError
from culturepass.finance import calendar
from culturepass.finance.invoices import euros
from culturepass.finance.models import Payment
from culturepass.finance.payments import payment_run_execute


class Command(BaseCommand):
    help = "Lance (ou reprend) le virement d'une date de coupure (1er ou 16 du mois)."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--cutoff",
            type=dt.date.fromisoformat,
            help="jour du virement, AAAA-MM-JJ (un 1er ou un 16) : coupure à 00:00, heure de Paris",
        )
        which.add_argument(
            "--latest", action="store_true", help="la dernière date de coupure passée"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        if options["latest"]:
            cutoff = calendar.previous_cutoff(calendar.next_cutoff(now))
        else:
            try:
                cutoff = calendar.cutoff_for(options["cutoff"])
            except ValueError as exc:
                raise CommandError(
                    _("Le jour du virement doit être un 1er ou un 16 du mois.")
                ) from exc
        try:
            run = payment_run_execute(cutoff=cutoff, actor=SYSTEM, now=now)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        amounts = list(Payment.objects.filter(run=run).values_list("amount_cents", flat=True))
        self.stdout.write(
            _(
                "Virement %(label)s (%(period)s) : %(count)d paiement(s), total %(total)s, "
                "statut %(status)s."
            )
            % {
                "label": run.label,
                "period": calendar.period_label(run.cutoff),
                "count": len(amounts),
                "total": euros(sum(amounts)),
                "status": run.get_status_display(),
            }
        )
