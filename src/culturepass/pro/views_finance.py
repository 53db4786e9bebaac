"""Pro "Gestion financière", tab "Informations bancaires": bank accounts, their document,
venue ↔ account links and the pricing point of venues without SIRET.

Views parse input, call one service or selector and render. The structure in the URL goes
through :mod:`culturepass.pro.access` first (404 for non-members, whatever the method); the
account or venue in the URL must then belong to it (404 otherwise).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.finance import calendar
from culturepass.finance import services as finance
from culturepass.finance.links import PricingPointError, venue_pricing_point_set
from culturepass.finance.models import BankAccount
from culturepass.offerers.models import Offerer, Venue
from culturepass.pro import access
from culturepass.pro.forms import add_domain_error
from culturepass.pro.forms_finance import BankAccountForm, PricingPointForm, VenueLinkForm

DOCUMENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def _context(offerer: Offerer, **extra: Any) -> dict[str, Any]:
    return {"offerer": offerer, "section": "finance", "finance_tab": "bank", **extra}


def _account_or_404(offerer: Offerer, bank_account_id: int) -> BankAccount:
    account = BankAccount.objects.filter(pk=bank_account_id, offerer=offerer).first()
    if account is None:
        raise Http404
    return account


def _venue_or_404(offerer: Offerer, venue_id: int) -> Venue:
    venue = Venue.objects.filter(pk=venue_id, offerer=offerer).first()
    if venue is None:
        raise Http404
    return venue


@dataclass(frozen=True)
class SetupStep:
    label: str
    done: bool
    current: bool
    hint: str = ""


def _setup_steps(status: finance.OffererFinanceStatus) -> list[SetupStep]:
    """The three steps of the partners' guide ("Ajouter vos informations bancaires")."""
    done = [
        status.has_bank_account,
        status.has_accepted_account,
        status.has_linked_venues and not status.venues_without_account,
    ]
    current = next((index for index, is_done in enumerate(done) if not is_done), None)
    labels = [
        (
            _("Déposer le compte bancaire de votre structure"),
            _("Intitulé, IBAN, BIC et justificatif bancaire (RIB)."),
        ),
        (
            _("Validation de votre dossier d'informations bancaires par nos équipes"),
            _("Vous recevez un email dès que le dossier est examiné."),
        ),
        (
            _("Rattacher vos lieux à votre compte bancaire"),
            _("Étape impérative pour percevoir les remboursements de vos réservations."),
        ),
    ]
    return [
        SetupStep(label=label, hint=hint, done=done[index], current=index == current)
        for index, (label, hint) in enumerate(labels)
    ]


def _calendar(now: dt.datetime) -> dict[str, Any]:
    cutoff = calendar.next_cutoff(now)
    return {
        "next_run_day": calendar.run_day_of(cutoff),
        "next_period": calendar.period_label(cutoff),
    }


def _page(
    request: HttpRequest, offerer: Offerer, *, link_form: VenueLinkForm | None = None
) -> HttpResponse:
    now = clock.now()
    status = finance.offerers_finance_status(offerer_ids=[offerer.pk], now=now)[offerer.pk]
    accounts = finance.offerer_bank_accounts(offerer=offerer, now=now)
    full = finance.can_see_full_iban(request.user, offerer.pk)
    rows = finance.offerer_venue_finance_rows(offerer=offerer, now=now)
    accepted = [a for a in accounts if a.status == BankAccount.Status.ACCEPTED]
    context = _context(
        offerer,
        steps=_setup_steps(status),
        missing=status.venues_without_account,
        accounts=[(a, finance.iban_display(a.iban, full=full)) for a in accounts],
        venue_rows=rows,
        has_accepted=bool(accepted),
        link_form=link_form or _link_form(None, accepted, rows),
        **_calendar(now),
    )
    return render(
        request, "pro/finance/bank.html", context, status=400 if link_form is not None else 200
    )


def _link_form(
    data: Any, accepted: list[BankAccount], rows: list[finance.VenueFinanceRow], **kwargs: Any
) -> VenueLinkForm:
    choices = []
    for row in rows:
        label = row.venue.display_name
        if row.bank_account is not None:
            label += " — " + _("actuellement rattaché à « %(account)s »") % {
                "account": row.bank_account.label
            }
        elif row.needs_pricing_point:
            label += " — " + _("point de valorisation à choisir d'abord")
        choices.append((row.venue.pk, label))
    if data is None and len(accepted) == 1:
        # The usual case: one account, and the venues that are not paid yet ticked for it.
        kwargs.setdefault(
            "initial",
            {
                "bank_account": accepted[0].pk,
                "venues": [
                    r.venue.pk for r in rows if r.bank_account is None and not r.needs_pricing_point
                ],
            },
        )
    return VenueLinkForm(data, accounts=accepted, venue_choices=choices, **kwargs)


@login_required
def bank_accounts(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    return _page(request, offerer)


@login_required
def bank_account_create(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    form = BankAccountForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                finance.bank_account_create(
                    actor=request.user,
                    offerer=offerer,
                    document=form.cleaned_data["document"],
                    now=clock.now(),
                    **{k: form.cleaned_data[k] for k in ("label", "iban", "bic")},
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Votre compte bancaire est envoyé : nos équipes le vérifient. Vous "
                        "recevrez un email dès qu'il sera validé."
                    ),
                )
                return redirect("pro:bank_accounts", offerer_id=offerer.pk)
    return render(
        request,
        "pro/finance/bank_account_form.html",
        _context(offerer, form=form, account=None),
        status=status,
    )


@login_required
def bank_account_correct(
    request: HttpRequest, offerer_id: int, bank_account_id: int
) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    account = _account_or_404(offerer, bank_account_id)
    if account.status not in finance.CORRECTABLE:
        messages.error(request, _("Ce compte bancaire ne peut plus être modifié."))
        return redirect("pro:bank_accounts", offerer_id=offerer.pk)
    form = BankAccountForm(request.POST or None, request.FILES or None, correcting=account)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                finance.bank_account_correct(
                    actor=request.user,
                    bank_account=account,
                    document=form.cleaned_data["document"],
                    now=clock.now(),
                    **{k: form.cleaned_data[k] for k in ("label", "iban", "bic")},
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Votre compte bancaire corrigé est renvoyé en vérification.")
                )
                return redirect("pro:bank_accounts", offerer_id=offerer.pk)
    last_message = next(
        (h.message for h in account.history.order_by("-at", "-id") if h.message), ""
    )
    return render(
        request,
        "pro/finance/bank_account_form.html",
        _context(offerer, form=form, account=account, staff_message=last_message),
        status=status,
    )


def document_response(account: BankAccount) -> HttpResponse:
    """The bank document as a download (callers check access first). Read whole: it is at
    most 10 MB and a plain response keeps one type for every view."""
    if not account.document:
        raise Http404
    extension = (account.document.name or "").rsplit(".", 1)[-1].lower()
    try:
        with account.document.open("rb") as handle:
            content = handle.read()
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = HttpResponse(
        content, content_type=DOCUMENT_TYPES.get(extension, "application/octet-stream")
    )
    filename = f"justificatif-bancaire-{account.pk}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def bank_account_document(
    request: HttpRequest, offerer_id: int, bank_account_id: int
) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    account = _account_or_404(offerer, bank_account_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return document_response(account)


@login_required
def bank_account_links(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """GET: the page, scrolled to the link form; POST: link the ticked venues."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if request.method != "POST":
        return redirect(f"{_bank_accounts_url(offerer)}#rattacher")
    now = clock.now()
    accepted = list(BankAccount.objects.filter(offerer=offerer, status=BankAccount.Status.ACCEPTED))
    rows = finance.offerer_venue_finance_rows(offerer=offerer, now=now)
    form = _link_form(request.POST, accepted, rows)
    if form.is_valid():
        account = next(a for a in accepted if a.pk == form.cleaned_data["bank_account"])
        try:
            created = finance.bank_account_link_venues(
                actor=request.user,
                bank_account=account,
                venue_ids=form.cleaned_data["venues"],
                move=form.cleaned_data["confirm_move"],
                now=now,
            )
        except DomainError as exc:
            if exc.code == "venue_linked_elsewhere":
                form.add_error(
                    "confirm_move",
                    _(
                        "Cochez cette case pour déplacer les lieux déjà rattachés à un autre compte."
                    ),
                )
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(count)d lieu(x) rattaché(s) au compte « %(account)s ».")
                % {"count": len(created), "account": account.label}
                if created
                else _("Ces lieux étaient déjà rattachés à ce compte."),
            )
            return redirect("pro:bank_accounts", offerer_id=offerer.pk)
    return _page(request, offerer, link_form=form)


def _bank_accounts_url(offerer: Offerer) -> str:
    return reverse("pro:bank_accounts", kwargs={"offerer_id": offerer.pk})


@login_required
def venue_bank_account_unlink(request: HttpRequest, offerer_id: int, venue_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    venue = _venue_or_404(offerer, venue_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        finance.venue_bank_account_unlink(actor=request.user, venue=venue, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.warning(
            request,
            _(
                "Le lieu « %(venue)s » n'est plus rattaché à un compte bancaire : ses "
                "réservations ne seront pas remboursées tant qu'il ne l'est pas de nouveau."
            )
            % {"venue": venue.display_name},
        )
    return redirect("pro:bank_accounts", offerer_id=offerer.pk)


@login_required
def venue_pricing_point(request: HttpRequest, offerer_id: int, venue_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    venue = _venue_or_404(offerer, venue_id)
    row = next(
        r
        for r in finance.offerer_venue_finance_rows(offerer=offerer, now=clock.now())
        if r.venue.pk == venue.pk
    )
    candidates = list(
        Venue.objects.filter(offerer=offerer, siret__isnull=False).order_by("name", "pk")
    )
    form = PricingPointForm(request.POST or None, candidates=candidates)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            chosen = next(v for v in candidates if v.pk == form.cleaned_data["pricing_point"])
            try:
                venue_pricing_point_set(
                    actor=request.user, venue=venue, pricing_point=chosen, now=clock.now()
                )
            except (PricingPointError, DomainError) as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Le point de valorisation du lieu « %(venue)s » est « %(point)s ».")
                    % {"venue": venue.display_name, "point": chosen.display_name},
                )
                return redirect("pro:bank_accounts", offerer_id=offerer.pk)
    return render(
        request,
        "pro/finance/bank_pricing_point.html",
        _context(offerer, form=form, venue=venue, row=row, candidates=candidates),
        status=status,
    )
