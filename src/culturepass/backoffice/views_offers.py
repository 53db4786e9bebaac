"""Backoffice compliance pages: offers to review, every offer, validation rules.

Staff act through the offers services (approve, reject, rules save and delete), which check
the ``compliance`` permission again and write the audit log; these views parse input, call
one service or read, and render. Reads with no domain selector stay here as plain filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from culturepass.accounts.models import User
from culturepass.backoffice.access import staff_required
from culturepass.backoffice.views import _audit_rows
from culturepass.catalog import catalogue
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.offers import compliance, selectors, services
from culturepass.offers.models import Offer, PriceCategory, ValidationRule
from culturepass.offers.status import OfferDisplayStatus
from culturepass.pro.forms_offers import EurosField, format_euros

PAGE_SIZE = 50
NEXT_DATES_LIMIT = 20
HISTORY_LIMIT = 50

Kind = ValidationRule.Kind


# --- Formatting (at the edge: the domain speaks cents and seconds) ----------------------------


def _delay_label(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    for value, label in services.WITHDRAWAL_DELAY_CHOICES:
        if value == seconds:
            return str(label)
    hours, rest = divmod(seconds, 3600)
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": seconds // 60}


def _prices(categories: Iterable[PriceCategory]) -> str:
    return " · ".join(f"{pc.label} : {format_euros(pc.price_cents)}" for pc in categories) or "—"


# --- Matching rules ---------------------------------------------------------------------------


def _price_categories(offer: Offer) -> list[PriceCategory]:
    """The offer's price categories, prefetched as ``price_category_list`` (the selectors'
    name, also used by :func:`_with_price_categories`)."""
    prefetched = getattr(offer, "price_category_list", None)
    if prefetched is not None:
        return list(prefetched)
    return list(offer.price_categories.order_by("price_cents", "label", "pk"))


def _with_price_categories(offers: QuerySet[Offer]) -> QuerySet[Offer]:
    return offers.prefetch_related(
        Prefetch(
            "price_categories",
            queryset=PriceCategory.objects.order_by("price_cents", "label", "pk"),
            to_attr="price_category_list",
        )
    )


def _facts(offer: Offer) -> compliance.OfferFacts:
    return compliance.OfferFacts(
        name=offer.name,
        description=offer.description,
        subcategory_id=offer.subcategory_id,
        prices_cents=tuple(pc.price_cents for pc in _price_categories(offer)),
        offerer_confidence=offer.offerer.confidence_level,
    )


def _review_reasons(offer: Offer, rules: list[ValidationRule]) -> list[str]:
    """Why the offer would be reviewed today: the active rules it matches, and the
    structure's confidence level. The rules that sent it to review at publication are in
    its history (audit comment): staff may have changed the rules since."""
    reasons = [rule.name for rule in compliance.matching_rules(rules, _facts(offer))]
    if offer.offerer.confidence_level == compliance.MANUAL_REVIEW:
        reasons.append(_("Structure sous surveillance"))
    return reasons


def _active_rules() -> list[ValidationRule]:
    return list(selectors.validation_rules(active_only=True))


# --- Queue and list ---------------------------------------------------------------------------


@dataclass
class OfferRow:
    offer: Offer
    subcategory: str
    prices: str
    reasons: list[str] = field(default_factory=list)
    status: OfferDisplayStatus | None = None


def _rows(offers: Iterable[Offer], *, with_reasons: bool) -> list[OfferRow]:
    rules = _active_rules() if with_reasons else []
    return [
        OfferRow(
            offer=offer,
            subcategory=catalogue.subcategory_label(offer.subcategory_id),
            prices=_prices(_price_categories(offer)),
            reasons=_review_reasons(offer, rules) if with_reasons else [],
        )
        for offer in offers
    ]


def _page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@staff_required("compliance")
def offer_queue(request: HttpRequest) -> HttpResponse:
    """Offers under review, the longest waiting first."""
    pending = _with_price_categories(selectors.offers_for_review(now=clock.now()))
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/offers/offer_queue.html",
        {
            "page": page,
            "rows": _rows(page.object_list, with_reasons=True),
            "query": _page_query(request),
            "rule_count": selectors.validation_rules(active_only=True).count(),
        },
    )


class OfferSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Titre, structure, SIREN ou numéro d'offre"),
        required=False,
        max_length=140,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Statut"),
        required=False,
        choices=[("", gettext_lazy("Tous")), *OfferDisplayStatus.choices],
    )


def _search(queryset: QuerySet[Offer], query: str) -> QuerySet[Offer]:
    query = query.strip()
    if query.isdigit() and len(query) != 9:
        return queryset.filter(pk=int(query))
    for term in query.split():
        queryset = queryset.filter(
            Q(name__icontains=term) | Q(offerer__name__icontains=term) | Q(offerer__siren=term)
        )
    return queryset


@require_GET
@staff_required("compliance")
def offer_list(request: HttpRequest) -> HttpResponse:
    form = OfferSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    now = clock.now()
    offers = selectors.annotate_offers(Offer.objects.select_related("offerer", "venue"), now=now)
    offers = _search(_with_price_categories(offers), data.get("q", ""))
    if data.get("status"):
        offers = offers.filter(Q(display_status=data["status"]))
    page = Paginator(offers.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = _rows(page.object_list, with_reasons=False)
    for row in rows:
        row.status = selectors.row_display_status(row.offer, now=now)
    return render(
        request,
        "backoffice/offers/offer_list.html",
        {"form": form, "page": page, "rows": rows, "query": _page_query(request)},
    )


# --- Review page ------------------------------------------------------------------------------


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du refus"),
        help_text=gettext_lazy(
            "Envoyé par email à la structure ; il doit lui permettre de comprendre la décision."
        ),
        max_length=services.MAX_REJECTION_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": gettext_lazy("Indiquez le motif du refus : il est envoyé à la structure.")
        },
    )


def _extra_data(offer: Offer) -> list[tuple[str, str]]:
    rows = []
    data: Mapping[str, Any] = offer.extra_data or {}
    parents = {sub: data.get(typ) for typ, sub in catalogue.SUBTYPE_FIELDS.items()}
    for name, value in data.items():
        if name in catalogue.EXTRA_FIELDS:
            parent = parents.get(name)
            shown = catalogue.choice_label(name, str(value), parent_code=parent and str(parent))
        else:
            shown = str(value)
        rows.append((catalogue.conditional_field_label(name), shown))
    return rows


def _image_urls(offer: Offer) -> tuple[str | None, str | None]:
    """The thumbnail and the large rendition of the offer's image (None without one)."""
    image = getattr(offer, "image", None)
    if image is None:
        return None, None
    renditions = image.renditions or {}
    thumb = renditions.get("thumb") or renditions.get("medium") or image.original.name
    large = renditions.get("large") or image.original.name
    return default_storage.url(thumb), default_storage.url(large)


def _offer_for_review(offer_id: int) -> Offer:
    offer = selectors.backoffice_offer(offer_id, now=clock.now())
    if offer is None:
        raise Http404
    return offer


def _offer_detail_context(
    request: HttpRequest, offer: Offer, reject_form: RejectForm
) -> dict[str, Any]:
    viewer = cast(User, request.user)
    now = clock.now()
    stocks = selectors.offer_stocks(offer)
    upcoming = stocks.filter(beginning_datetime__gt=now)
    history = AuditEntry.objects.filter(
        object_type=Offer._meta.label_lower, object_id=str(offer.pk)
    ).order_by("-created_at", "-id")[:HISTORY_LIMIT]
    thumb_url, large_url = _image_urls(offer)
    sub = catalogue.find_subcategory(offer.subcategory_id)
    return {
        "offer": offer,
        "display_status": selectors.row_display_status(offer, now=now),
        "category": catalogue.category_label(sub.category_id) if sub else "",
        "subcategory": catalogue.subcategory_label(offer.subcategory_id),
        "extra_data": _extra_data(offer),
        "thumb_url": thumb_url,
        "large_url": large_url,
        "price_categories": [(pc, format_euros(pc.price_cents)) for pc in _price_categories(offer)],
        "next_dates": list(upcoming[:NEXT_DATES_LIMIT]),
        "upcoming_count": upcoming.count(),
        "past_count": stocks.filter(beginning_datetime__lte=now).count(),
        "withdrawal_delay": _delay_label(offer.withdrawal_delay_seconds),
        "reasons": _review_reasons(offer, _active_rules()),
        "can_approve": offer.validation in (Offer.Validation.PENDING, Offer.Validation.REJECTED),
        "can_reject": offer.validation in (Offer.Validation.PENDING, Offer.Validation.APPROVED),
        "reject_form": reject_form,
        "history_rows": _audit_rows(history, viewer),
        "history_limit": HISTORY_LIMIT,
        "next_dates_limit": NEXT_DATES_LIMIT,
        "may_see_offerer": viewer.has_perm("accounts.homologation"),
    }


@require_GET
@staff_required("compliance")
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer_for_review(offer_id)
    return render(
        request,
        "backoffice/offers/offer_detail.html",
        _offer_detail_context(request, offer, RejectForm()),
    )


@require_POST
@staff_required("compliance")
def offer_approve(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = get_object_or_404(Offer, pk=offer_id)
    try:
        services.offer_approve(actor=request.user, offer=offer, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:offer_detail", offer_id=offer.pk)
    messages.success(
        request,
        _("L'offre « %(name)s » est validée ; la structure est prévenue.") % {"name": offer.name},
    )
    return redirect("backoffice:offer_queue")


@require_POST
@staff_required("compliance")
def offer_reject(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer_for_review(offer_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.offer_reject(
                actor=request.user, offer=offer, reason=form.cleaned_data["reason"], now=clock.now()
            )
        except DomainError as exc:
            if exc.field != "reason":
                # Decided meanwhile (e.g. by another staff member): say so on the fresh page.
                messages.error(request, exc.message)
                return redirect("backoffice:offer_detail", offer_id=offer.pk)
            form.add_error("reason", exc.message)
        else:
            messages.success(
                request,
                _("L'offre « %(name)s » est refusée ; le motif est envoyé à la structure.")
                % {"name": offer.name},
            )
            return redirect("backoffice:offer_queue")
    return render(
        request,
        "backoffice/offers/offer_detail.html",
        _offer_detail_context(request, offer, form),
        status=400,
    )


# --- Validation rules -------------------------------------------------------------------------


KIND_HELP: dict[str, Any] = {
    Kind.KEYWORD: gettext_lazy(
        "Une offre est revue quand un des mots-clés apparaît dans son titre ou sa description "
        "(mots entiers, sans tenir compte des majuscules ni des accents)."
    ),
    Kind.PRICE_ABOVE: gettext_lazy(
        "Une offre est revue quand un de ses tarifs dépasse strictement ce prix."
    ),
    Kind.SUBCATEGORY: gettext_lazy("Une offre de l'une de ces sous-catégories est revue."),
    Kind.OFFERER_CONFIDENCE: gettext_lazy(
        "Les offres des structures « sous surveillance » sont revues. Ces structures le sont "
        "de toute façon : la règle garde la trace du motif de vérification."
    ),
}

# Form field of each kind's parameter, and the service's name for it.
PARAMETER_FIELDS: dict[str, tuple[str, str]] = {
    Kind.KEYWORD: ("keywords", "parameters.keywords"),
    Kind.PRICE_ABOVE: ("price", "parameters.price_cents"),
    Kind.SUBCATEGORY: ("subcategory_ids", "parameters.subcategory_ids"),
}


def _subcategory_choices(extra_ids: Iterable[str] = ()) -> list[tuple[str, list[tuple[str, str]]]]:
    """Subcategories grouped by category (for an ``<optgroup>`` select), selectable ones and
    any already in the rule."""
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        (
            catalogue.category_label(cat.id),
            [(sub.id, catalogue.subcategory_label(sub.id)) for sub in subs],
        )
        for cat, subs in catalogue.subcategories_by_category()
    ]
    shown = {sub_id for _label, members in groups for sub_id, _l in members}
    others = [(s, catalogue.subcategory_label(s)) for s in extra_ids if s not in shown]
    if others:
        groups.append((_("Autres sous-catégories"), others))
    return groups


def split_keywords(text: str) -> list[str]:
    """Keywords typed one per line or separated by commas (or semicolons), in order, once."""
    parts = text.replace(";", ",").replace("\r", "\n").replace("\n", ",").split(",")
    return list(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))


class ValidationRuleForm(forms.Form):
    """One rule of one kind: only that kind's parameter field is on the form."""

    name = forms.CharField(
        label=gettext_lazy("Nom de la règle"),
        max_length=140,
        help_text=gettext_lazy("Montré aux équipes dans la file d'offres à examiner."),
        error_messages={"required": gettext_lazy("Indiquez un nom.")},
    )
    keywords = forms.CharField(
        label=gettext_lazy("Mots-clés"),
        help_text=gettext_lazy(
            "Un mot-clé (ou une expression) par ligne, ou séparés par des virgules."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Indiquez au moins un mot-clé.")},
    )
    price = EurosField(
        label=gettext_lazy("Prix au-delà duquel l'offre est revue (en euros)"),
        help_text=gettext_lazy("Par exemple 150 ou 149,99."),
        error_messages={"required": gettext_lazy("Indiquez un prix.")},
    )
    subcategory_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Sous-catégories"),
        help_text=gettext_lazy("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        error_messages={
            "required": gettext_lazy("Choisissez au moins une sous-catégorie."),
            "invalid_choice": gettext_lazy("Choisissez des sous-catégories de la liste."),
        },
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Règle active"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Une règle inactive est gardée mais n'envoie plus d'offre en vérification."
        ),
    )

    label_suffix = ""

    def __init__(self, *args: Any, kind: str, rule: ValidationRule | None = None, **kwargs: Any):
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(rule)
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = PARAMETER_FIELDS.get(kind, ("", ""))[0]
        for name in ("keywords", "price", "subcategory_ids"):
            if name != keep:
                del self.fields[name]
        if "subcategory_ids" in self.fields:
            current = rule.parameters.get("subcategory_ids", []) if rule else []
            cast(
                forms.MultipleChoiceField, self.fields["subcategory_ids"]
            ).choices = _subcategory_choices(current)

    @staticmethod
    def initial_for(rule: ValidationRule) -> dict[str, Any]:
        parameters = rule.parameters if isinstance(rule.parameters, Mapping) else {}
        initial: dict[str, Any] = {"name": rule.name, "is_active": rule.is_active}
        if rule.kind == Kind.KEYWORD:
            initial["keywords"] = "\n".join(parameters.get("keywords") or [])
        elif rule.kind == Kind.PRICE_ABOVE and isinstance(parameters.get("price_cents"), int):
            initial["price"] = parameters["price_cents"]  # EurosField shows cents as euros
        elif rule.kind == Kind.SUBCATEGORY:
            initial["subcategory_ids"] = list(parameters.get("subcategory_ids") or [])
        return initial

    def clean_keywords(self) -> list[str]:
        keywords = split_keywords(self.cleaned_data["keywords"])
        if not keywords:
            raise forms.ValidationError(_("Indiquez au moins un mot-clé."))
        return keywords

    def parameters(self) -> dict[str, Any]:
        data = self.cleaned_data
        if self.kind == Kind.KEYWORD:
            return {"keywords": data["keywords"]}
        if self.kind == Kind.PRICE_ABOVE:
            return {"price_cents": data["price"]}
        if self.kind == Kind.SUBCATEGORY:
            return {"subcategory_ids": list(data["subcategory_ids"])}
        return {}

    def add_service_errors(self, exc: DomainError) -> None:
        errors = getattr(exc, "errors", None) or {exc.field or "": exc.message}
        by_service_name = {service: form for form, service in PARAMETER_FIELDS.values()}
        for name, message in errors.items():
            target = by_service_name.get(name, name)
            self.add_error(target if target in self.fields else None, message)


def _rule_kind_label(kind: str) -> str:
    return str(Kind(kind).label) if kind in Kind.values else kind


def _rule_summary(rule: ValidationRule) -> str:
    parameters = rule.parameters if isinstance(rule.parameters, Mapping) else {}
    if rule.kind == Kind.KEYWORD:
        return ", ".join(parameters.get("keywords") or [])
    if rule.kind == Kind.PRICE_ABOVE and isinstance(parameters.get("price_cents"), int):
        return _("plus de %(price)s") % {"price": format_euros(parameters["price_cents"])}
    if rule.kind == Kind.SUBCATEGORY:
        return ", ".join(
            catalogue.subcategory_label(s) for s in parameters.get("subcategory_ids") or []
        )
    if rule.kind == Kind.OFFERER_CONFIDENCE:
        return _("structures « sous surveillance »")
    return ""


@require_GET
@staff_required("compliance")
def validation_rule_list(request: HttpRequest) -> HttpResponse:
    rules = ValidationRule.objects.order_by("-is_active", "name", "pk")
    return render(
        request,
        "backoffice/offers/rule_list.html",
        {
            "rows": [(rule, _rule_kind_label(rule.kind), _rule_summary(rule)) for rule in rules],
            "kinds": [(value, label, KIND_HELP[value]) for value, label in Kind.choices],
        },
    )


def _rule_form_page(
    request: HttpRequest, *, kind: str, rule: ValidationRule | None
) -> HttpResponse:
    form = ValidationRuleForm(request.POST or None, kind=kind, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.validation_rule_save(
                actor=request.user,
                rule=rule,
                name=form.cleaned_data["name"],
                kind=kind,
                parameters=form.parameters(),
                is_active=form.cleaned_data["is_active"],
                now=clock.now(),
            )
        except DomainError as exc:
            form.add_service_errors(exc)
        else:
            text = (
                _("La règle « %(name)s » est créée.")
                if rule is None
                else _("La règle « %(name)s » est enregistrée.")
            )
            messages.success(request, text % {"name": saved.name})
            return redirect("backoffice:validation_rule_list")
    return render(
        request,
        "backoffice/offers/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "kind": kind,
            "kind_label": _rule_kind_label(kind),
            "kind_help": KIND_HELP[kind],
        },
        status=400 if form.errors else 200,
    )


@staff_required("compliance")
def validation_rule_create(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("type", "")
    if kind not in Kind.values:
        # Choose the kind first: each kind has its own form.
        return redirect("backoffice:validation_rule_list")
    return _rule_form_page(request, kind=kind, rule=None)


@staff_required("compliance")
def validation_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(ValidationRule, pk=rule_id)
    return _rule_form_page(request, kind=rule.kind, rule=rule)


@require_POST
@staff_required("compliance")
def validation_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(ValidationRule, pk=rule_id)
    try:
        services.validation_rule_delete(actor=request.user, rule=rule, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:validation_rule_edit", rule_id=rule.pk)
    messages.success(request, _("La règle « %(name)s » est supprimée.") % {"name": rule.name})
    return redirect("backoffice:validation_rule_list")
