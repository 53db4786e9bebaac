"""Backoffice pages of the highlight blocks (staff holding ``accounts.territorial``).

The services check the permission again and write the audit log; these views parse input,
call one service or selector and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from culturepass.backoffice.access import staff_required
from culturepass.core.errors import DomainError
from culturepass.highlights import selectors, services
from culturepass.highlights.models import HighlightBlock
from culturepass.offerers.places import regions
from culturepass.offers.services import ValidationErrors

territorial = staff_required("territorial")


class BlockForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Titre"), max_length=90)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=HighlightBlock.Kind.choices)
    region_code = forms.ChoiceField(
        label=gettext_lazy("Région (blocs régionaux)"), required=False, choices=()
    )
    active_from = forms.DateTimeField(
        label=gettext_lazy("Visible à partir du"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    active_until = forms.DateTimeField(
        label=gettext_lazy("Visible jusqu'au"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    position = forms.IntegerField(label=gettext_lazy("Position"), required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *sorted(regions().items(), key=lambda item: item[1])]
        self.fields["region_code"].choices = choices  # type: ignore[attr-defined]


def _initial(block: HighlightBlock) -> dict[str, Any]:
    local = timezone.localtime
    return {
        "title": block.title,
        "kind": block.kind,
        "region_code": block.region_code,
        "active_from": local(block.active_from) if block.active_from else None,
        "active_until": local(block.active_until) if block.active_until else None,
        "position": block.position,
    }


def _add_errors(form: forms.Form, exc: DomainError) -> None:
    if isinstance(exc, ValidationErrors):
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, message)
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _block_or_404(block_id: int) -> HighlightBlock:
    block = selectors.block_for_backoffice(block_id)
    if block is None:
        raise Http404
    return block


@territorial
def highlight_list(request: HttpRequest) -> HttpResponse:
    blocks = list(selectors.blocks_for_backoffice())
    names = regions()
    for block in blocks:
        block.region_name = names.get(block.region_code, "")  # type: ignore[attr-defined]
    return render(request, "backoffice/highlights/list.html", {"blocks": blocks})


@territorial
@require_http_methods(["GET", "POST"])
def highlight_create(request: HttpRequest) -> HttpResponse:
    form = BlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            block = services.highlight_block_create(
                actor=request.user, now=timezone.now(), **form.cleaned_data
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Bloc créé : ajoutez-y des offres."))
            return redirect("backoffice:highlight_detail", block_id=block.pk)
    return render(request, "backoffice/highlights/form.html", {"form": form})


@territorial
@require_http_methods(["GET", "POST"])
def highlight_detail(request: HttpRequest, block_id: int) -> HttpResponse:
    block = _block_or_404(block_id)
    form = BlockForm(request.POST or None, initial=_initial(block))
    if request.method == "POST" and form.is_valid():
        try:
            services.highlight_block_update(
                actor=request.user, block=block, now=timezone.now(), **form.cleaned_data
            )
        except DomainError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Bloc enregistré."))
            return redirect("backoffice:highlight_detail", block_id=block.pk)
    return render(
        request,
        "backoffice/highlights/detail.html",
        {
            "highlight": block,
            "form": form,
            "items": selectors.block_items(block, now=timezone.now()),
            "add_error": request.GET.get("erreur", ""),
        },
    )


@territorial
@require_POST
def highlight_delete(request: HttpRequest, block_id: int) -> HttpResponse:
    try:
        services.highlight_block_delete(actor=request.user, block=block_id, now=timezone.now())
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        messages.error(request, exc.message)
        return redirect("backoffice:highlight_detail", block_id=block_id)
    messages.success(request, _("Bloc supprimé."))
    return redirect("backoffice:highlight_list")


def _act(request: HttpRequest, block_id: int, action: Any, success: str) -> HttpResponse:
    _block_or_404(block_id)
    try:
        action(now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("backoffice:highlight_detail", block_id=block_id)


@territorial
@require_POST
def highlight_offer_add(request: HttpRequest, block_id: int) -> HttpResponse:
    raw = (request.POST.get("offer_id") or "").strip()
    if not raw.isdigit():
        messages.error(request, _("Indiquez le numéro de l'offre."))
        return redirect("backoffice:highlight_detail", block_id=block_id)

    def action(now: dt.datetime) -> None:
        services.highlight_offer_add(actor=request.user, block=block_id, offer_id=int(raw), now=now)

    return _act(request, block_id, action, _("Offre ajoutée au bloc."))


@territorial
@require_POST
def highlight_offer_remove(request: HttpRequest, block_id: int, offer_id: int) -> HttpResponse:
    def action(now: dt.datetime) -> None:
        services.highlight_offer_remove(
            actor=request.user, block=block_id, offer_id=offer_id, now=now
        )

    return _act(request, block_id, action, _("Offre retirée du bloc."))


@territorial
@require_POST
def highlight_offer_move(request: HttpRequest, block_id: int, offer_id: int) -> HttpResponse:
    delta = -1 if request.POST.get("direction") == "up" else 1

    def action(now: dt.datetime) -> None:
        services.highlight_offer_move(
            actor=request.user, block=block_id, offer_id=offer_id, delta=delta, now=now
        )

    return _act(request, block_id, action, _("Ordre des offres enregistré."))
