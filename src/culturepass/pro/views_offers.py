"""Offer pages of the pro portal: the list, the creation wizard, the offer page.

Views parse input with :mod:`culturepass.pro.forms_offers`, call one offer service or
selector and render. Every offer, price category or occurrence named in a URL goes through
:mod:`culturepass.pro.access` (404 for non-members). Datetimes are shown in the offer's
time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from culturepass.catalog import catalogue
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.offerers import selectors as offerer_selectors
from culturepass.offerers.models import Offerer
from culturepass.offers import selectors as offer_selectors
from culturepass.offers import services as offer_services
from culturepass.offers.models import Offer, OfferImage, PriceCategory, Stock
from culturepass.offers.status import OfferDisplayStatus
from culturepass.pro import access
from culturepass.pro.forms_offers import (
    CHOICE_FIELDS,
    SUBTYPE_OF,
    BulkOfferForm,
    CategoryForm,
    DatesForm,
    DescriptionForm,
    DuoForm,
    LocationForm,
    OfferCreateForm,
    OfferFilterForm,
    PracticalInfoForm,
    PriceCategoryForm,
    PublicationForm,
    StockForm,
    apply_domain_error,
    format_duration,
    format_euros,
)

DEFAULT_TIMEZONE = "Europe/Paris"
STOCKS_PER_PAGE = 100
WITHDRAWAL_DELAY_LABELS = dict(offer_services.WITHDRAWAL_DELAY_CHOICES)


@dataclass(frozen=True)
class Step:
    slug: str
    label: Promise


STEPS: tuple[Step, ...] = (
    Step("categorie", gettext_lazy("Catégorie et sous-catégorie")),
    Step("descriptif", gettext_lazy("Descriptif")),
    Step("localisation", gettext_lazy("Localisation")),
    Step("informations-pratiques", gettext_lazy("Informations pratiques et billetterie")),
    Step("tarifs", gettext_lazy("Tarifs")),
    Step("duo", gettext_lazy("Réservation duo")),
    Step("dates", gettext_lazy("Dates et capacités")),
    Step("recapitulatif-des-dates", gettext_lazy("Récapitulatif des dates")),
    Step("publication", gettext_lazy("Publication")),
)
STEP_SLUGS = tuple(step.slug for step in STEPS)
STEP_LABELS = {step.slug: step.label for step in STEPS}


def _posted(request: HttpRequest) -> QueryDict | None:
    """The POST data, even empty (a form of unticked checkboxes posts nothing)."""
    return request.POST if request.method == "POST" else None


def _not_post() -> HttpResponse:
    return HttpResponseNotAllowed(["POST"])


def _next_step(slug: str) -> str:
    index = STEP_SLUGS.index(slug)
    return STEP_SLUGS[min(index + 1, len(STEP_SLUGS) - 1)]


def step_url(offer: Offer, slug: str) -> str:
    return reverse("pro:offer_step", kwargs={"offer_id": offer.pk, "step": slug})


# ``Offer.wizard_step`` is the furthest step the offer services saw saved (their names);
# a draft resumes at the page after it.
RESUME_AFTER = {
    "category": "descriptif",
    "description": "localisation",
    "location": "informations-pratiques",
    "practical_info": "tarifs",
    "prices": "duo",
    "duo": "dates",
    "stocks": "recapitulatif-des-dates",
    "publication": "publication",
}


def resume_url(offer: Offer) -> str:
    """Where a draft was left: the page after the step stored in ``offer.wizard_step``."""
    return step_url(offer, RESUME_AFTER.get(offer.wizard_step, "descriptif"))


def is_published(offer: Offer) -> bool:
    """Published at least once (or sent to review): the category is locked."""
    return offer.validation != Offer.Validation.DRAFT


def _reached_index(offer: Offer) -> int:
    """Index of the furthest page the wizard may link to."""
    if is_published(offer) or offer.wizard_step in ("stocks", "publication"):
        return len(STEPS) - 1
    return STEP_SLUGS.index(RESUME_AFTER.get(offer.wizard_step, "descriptif"))


def wizard_nav(offer: Offer | None, current: str) -> list[dict[str, Any]]:
    """The wizard's ordered steps: those reached are links, the current one is marked."""
    reached = _reached_index(offer) if offer is not None else 0
    items = []
    for index, step in enumerate(STEPS):
        items.append(
            {
                "slug": step.slug,
                "label": step.label,
                "number": index + 1,
                "current": step.slug == current,
                "done": index < reached or (offer is not None and is_published(offer)),
                "url": step_url(offer, step.slug)
                if offer is not None and index <= reached
                else None,
            }
        )
    return items


def _venue_address(offer: Offer) -> str:
    venue = offer.venue
    return f"{venue.street}, {venue.postal_code} {venue.city}"


def _offer_address(offer: Offer) -> str:
    if offer.address_kind == Offer.AddressKind.OTHER:
        parts = [offer.location_label, offer.street, f"{offer.postal_code} {offer.city}".strip()]
        return ", ".join(part for part in parts if part)
    return _venue_address(offer)


def _offer_tz(offer: Offer) -> str:
    return offer.timezone or DEFAULT_TIMEZONE


def _extra_display(offer: Offer) -> list[tuple[str, str]]:
    """(label, value) of the offer's extra fields, in the subcategory's order."""
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    extra = offer.extra_data or {}
    rows = []
    for cf in DescriptionForm.displayed_fields(subcategory) if subcategory else ():
        value = extra.get(cf.name)
        if not value:
            continue
        if cf.name in SUBTYPE_OF:
            parent = str(extra.get(SUBTYPE_OF[cf.name], "")) or None
            text = catalogue.choice_label(cf.name, str(value), parent_code=parent)
        elif cf.name in CHOICE_FIELDS:
            text = catalogue.choice_label(cf.name, str(value))
        else:
            text = str(value)
        rows.append((catalogue.conditional_field_label(cf.name), text))
    return rows


def _accessibility_display(offer: Offer) -> str:
    labels = [
        str(PracticalInfoForm.base_fields[name].label)
        for name in PracticalInfoForm.ACCESSIBILITY_FIELDS
        if getattr(offer, name)
    ]
    return ", ".join(labels)


def _image(offer: Offer) -> OfferImage | None:
    try:
        return offer.image
    except OfferImage.DoesNotExist:
        return None


def _price_categories(offer: Offer) -> list[PriceCategory]:
    categories = list(offer.price_categories.order_by("price_cents", "label", "id"))
    for pc in categories:
        pc.price_display = format_euros(pc.price_cents)  # type: ignore[attr-defined]
    return categories


def _offer_context(offer: Offer, request: HttpRequest, current: str) -> dict[str, Any]:
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    tz = _offer_tz(offer)
    return {
        "offer": offer,
        "offerer": offer.offerer,
        "section": "offers",
        "step": current,
        "step_label": STEP_LABELS.get(current, ""),
        "steps": wizard_nav(offer, current),
        "next_url": step_url(offer, _next_step(current)) if current in STEP_SLUGS else None,
        "subcategory": subcategory,
        "subcategory_label": catalogue.subcategory_label(offer.subcategory_id),
        "category_label": catalogue.category_label(subcategory.category_id) if subcategory else "",
        "is_published": is_published(offer),
        "status": _detail_status(offer),
        "can_edit": offer.validation != Offer.Validation.REJECTED,
        "offer_tz": tz,
        "show_tz": tz != DEFAULT_TIMEZONE,
        "venue_address": _venue_address(offer),
        "offer_address": _offer_address(offer),
        "image": _image(offer),
        "duration_display": format_duration(offer.duration_minutes),
        "extra_display": _extra_display(offer),
        "withdrawal_delay_label": WITHDRAWAL_DELAY_LABELS.get(offer.withdrawal_delay_seconds or 0)
        or (
            _("%(hours)s h") % {"hours": offer.withdrawal_delay_seconds // 3600}
            if offer.withdrawal_delay_seconds
            else ""
        ),
        "accessibility_display": _accessibility_display(offer),
    }


def _after_save(request: HttpRequest, offer: Offer, step: str) -> HttpResponse:
    messages.success(
        request, _("L'étape « %(step)s » est enregistrée.") % {"step": STEP_LABELS[step]}
    )
    return redirect(step_url(offer, _next_step(step)))


# --- Offers list -----------------------------------------------------------------------------


def _list_query(request: HttpRequest) -> str:
    """The filters and page of the list, to come back to them after an action."""
    raw = request.POST.get("query", "") if request.method == "POST" else request.GET.urlencode()
    allowed = {"text", "status", "venue", "category", "period_start", "period_end", "page"}
    query = QueryDict(raw)
    return urlencode([(k, v) for k, values in query.lists() if k in allowed for v in values])


@login_required
def offer_list(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    return _offer_list_page(request, offerer)


def _offer_list_page(
    request: HttpRequest, offerer: Offerer, bulk_form: BulkOfferForm | None = None
) -> HttpResponse:
    now = clock.now()
    venues = list(offerer_selectors.offerer_venues(offerer))
    filter_form = OfferFilterForm(
        request.GET or None, venues=venues, statuses=OfferDisplayStatus.choices
    )
    queryset = offer_selectors.offers_for_offerer(
        offerer=offerer, now=now, **filter_form.selector_kwargs()
    )
    page = offer_selectors.offer_page(queryset=queryset, page=request.GET.get("page") or 1)
    rows = [_list_row(offer, now) for offer in page.object_list]
    filters = {k: v for k, v in request.GET.items() if k != "page"}
    context = {
        "offerer": offerer,
        "section": "offers",
        "filter_form": filter_form,
        "bulk_form": bulk_form,
        "page": page,
        "rows": rows,
        "filtered": any(filters.values()),
        "filters_query": urlencode(filters),
        "list_query": _list_query(request) if request.method == "GET" else "",
    }
    return render(
        request, "pro/offers/list.html", context, status=400 if bulk_form is not None else 200
    )


def _list_row(offer: Offer, now: dt.datetime) -> dict[str, Any]:
    """What a row shows, from the selector's annotations (no query per row)."""
    status = offer_selectors.row_display_status(offer, now=now)
    unlimited = getattr(offer, "unlimited_stock_count", 0) > 0
    return {
        "offer": offer,
        "subcategory_label": catalogue.subcategory_label(offer.subcategory_id),
        "status": status.value,
        "status_label": status.label,
        "is_draft": status == OfferDisplayStatus.DRAFT,
        "resume_url": resume_url(offer),
        "tz": _offer_tz(offer),
        "next_beginning": getattr(offer, "next_beginning", None),
        "stock_count": getattr(offer, "live_stock_count", 0),
        "booked": getattr(offer, "total_booked", 0),
        "capacity": None if unlimited else getattr(offer, "total_capacity", 0),
    }


@login_required
def offer_bulk(request: HttpRequest, offerer_id: int) -> HttpResponse:
    """Deactivate or reactivate the offers ticked in the list."""
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    if request.method != "POST":
        return _not_post()
    form = BulkOfferForm(request.POST, offers=Offer.objects.filter(offerer=offerer))
    back = reverse("pro:offer_list", kwargs={"offerer_id": offerer.pk})
    query = _list_query(request)
    if query:
        back = f"{back}?{query}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    offers = list(form.cleaned_data["offer_ids"])
    action = form.cleaned_data["action"]
    service = (
        offer_services.offer_deactivate if action == "deactivate" else offer_services.offer_activate
    )
    try:
        service(actor=request.user, offers=offers, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        count = len(offers)
        if action == "deactivate":
            text = ngettext(
                "%(count)s offre a été désactivée.", "%(count)s offres ont été désactivées.", count
            )
        else:
            text = ngettext(
                "%(count)s offre a été réactivée.", "%(count)s offres ont été réactivées.", count
            )
        messages.success(request, text % {"count": count})
    return redirect(back)


# --- Creation: step 1 ------------------------------------------------------------------------


@login_required
def offer_create(request: HttpRequest, offerer_id: int) -> HttpResponse:
    offerer = access.get_member_offerer_or_404(request.user, offerer_id)
    venues = list(offerer_selectors.offerer_venues(offerer))
    form = OfferCreateForm(_posted(request), venues=venues)
    if request.method == "POST" and form.is_valid():
        try:
            offer = offer_services.offer_create_draft(
                actor=request.user,
                venue=form.venue,
                subcategory_id=form.cleaned_data["subcategory_id"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Le brouillon de l'offre est créé. Décrivez maintenant votre offre.")
            )
            return redirect(step_url(offer, "descriptif"))
    context = {
        "offerer": offerer,
        "section": "offers",
        "form": form,
        "steps": wizard_nav(None, "categorie"),
        "step_label": STEP_LABELS["categorie"],
    }
    return render(
        request,
        "pro/offers/create.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


# --- Wizard steps ----------------------------------------------------------------------------


@login_required
def offer_step(request: HttpRequest, offer_id: int, step: str) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    handler = STEP_HANDLERS.get(step)
    if handler is None:
        raise Http404
    if offer.validation == Offer.Validation.REJECTED and request.method == "POST":
        messages.error(request, _("Cette offre a été refusée : elle n'est plus modifiable."))
        return redirect("pro:offer_detail", offer_id=offer.pk)
    return handler(request, offer)


def _render_step(
    request: HttpRequest,
    offer: Offer,
    step: str,
    extra: dict[str, Any],
    *,
    status: int | None = None,
) -> HttpResponse:
    context = _offer_context(offer, request, step)
    context.update(extra)
    if status is None:
        status = 400 if request.method == "POST" else 200
    return render(request, f"pro/offers/step_{step.replace('-', '_')}.html", context, status=status)


def _step_categorie(request: HttpRequest, offer: Offer) -> HttpResponse:
    locked = is_published(offer)
    form = CategoryForm(
        _posted(request), initial={"subcategory_id": offer.subcategory_id}, locked=locked
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer_services.offer_update_category(
                actor=request.user,
                offer=offer,
                subcategory_id=form.cleaned_data["subcategory_id"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _after_save(request, offer, "categorie")
    return _render_step(request, offer, "categorie", {"form": form, "locked": locked})


def _step_descriptif(request: HttpRequest, offer: Offer) -> HttpResponse:
    form = DescriptionForm(
        _posted(request),
        request.FILES or None,
        initial=DescriptionForm.initial_for(offer),
        subcategory_id=offer.subcategory_id,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        now = clock.now()
        try:
            # Text and image are one page: both are saved, or neither.
            with transaction.atomic():
                offer_services.offer_update_description(
                    actor=request.user,
                    offer=offer,
                    name=data["name"],
                    description=data["description"],
                    extra_data=form.extra_data(),
                    duration_minutes=data["duration_minutes"],
                    now=now,
                )
                if data["image"]:
                    offer_services.offer_set_image(
                        actor=request.user,
                        offer=offer,
                        upload=data["image"],
                        credit=data["image_credit"],
                        now=now,
                    )
                elif "image_credit" in form.changed_data:
                    offer_services.offer_update_image_credit(
                        actor=request.user, offer=offer, credit=data["image_credit"], now=now
                    )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _after_save(request, offer, "descriptif")
    extra_fields = [form[name] for name in form.extra_names]
    return _render_step(request, offer, "descriptif", {"form": form, "extra_fields": extra_fields})


def _step_localisation(request: HttpRequest, offer: Offer) -> HttpResponse:
    form = LocationForm(_posted(request), initial=LocationForm.initial_for(offer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            offer_services.offer_update_location(
                actor=request.user,
                offer=offer,
                address_kind=data["address_kind"],
                location_label=data["location_label"],
                street=data["street"],
                postal_code=data["postal_code"],
                city=data["city"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _after_save(request, offer, "localisation")
    other_fields = [form[name] for name in LocationForm.OTHER_FIELDS]
    return _render_step(
        request, offer, "localisation", {"form": form, "other_fields": other_fields}
    )


def _step_informations_pratiques(request: HttpRequest, offer: Offer) -> HttpResponse:
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    withdrawable = bool(subcategory and subcategory.is_withdrawable)
    form = PracticalInfoForm(
        _posted(request),
        initial=PracticalInfoForm.initial_for(offer),
        withdrawable=withdrawable,
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer_services.offer_update_practical_info(
                actor=request.user, offer=offer, now=clock.now(), **form.service_kwargs()
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return _after_save(request, offer, "informations-pratiques")
    return _render_step(
        request,
        offer,
        "informations-pratiques",
        {
            "form": form,
            "withdrawable": withdrawable,
            "withdrawal_fields": [form[n] for n in form.WITHDRAWAL_FIELDS if n in form.fields],
            "accessibility_fields": [form[n] for n in form.ACCESSIBILITY_FIELDS],
        },
    )


def _tarifs_page(
    request: HttpRequest,
    offer: Offer,
    *,
    add_form: PriceCategoryForm | None = None,
    bound: dict[int, PriceCategoryForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    categories = _price_categories(offer)
    bound = bound or {}
    rows = []
    for pc in categories:
        form = bound.get(pc.pk) or PriceCategoryForm(
            initial=PriceCategoryForm.initial_for(pc), prefix=f"tarif-{pc.pk}"
        )
        rows.append({"price_category": pc, "form": form})
    if add_form is None:
        initial = {} if categories else {"label": offer_services.DEFAULT_PRICE_CATEGORY_LABEL}
        add_form = PriceCategoryForm(initial=initial, prefix="nouveau")
    forms_with_errors = [f for f in [*bound.values(), add_form] if f.errors]
    return _render_step(
        request,
        offer,
        "tarifs",
        {
            "rows": rows,
            "add_form": add_form,
            "error_forms": forms_with_errors,
            "can_delete": not is_published(offer),
        },
        status=status,
    )


def _step_tarifs(request: HttpRequest, offer: Offer) -> HttpResponse:
    """GET: the tarifs; POST: "Ajouter un tarif"."""
    if request.method != "POST":
        return _tarifs_page(request, offer)
    form = PriceCategoryForm(request.POST, prefix="nouveau")
    if form.is_valid():
        try:
            offer_services.price_category_add(
                actor=request.user,
                offer=offer,
                label=form.cleaned_data["label"],
                price_cents=form.cleaned_data["price"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Le tarif « %(label)s » est ajouté.") % {"label": form.cleaned_data["label"]},
            )
            return redirect(step_url(offer, "tarifs"))
    return _tarifs_page(request, offer, add_form=form, status=400)


def _step_duo(request: HttpRequest, offer: Offer) -> HttpResponse:
    subcategory = catalogue.find_subcategory(offer.subcategory_id)
    can_be_duo = bool(subcategory and subcategory.can_be_duo)
    form = DuoForm(_posted(request), initial={"is_duo": offer.is_duo})
    if request.method == "POST":
        if not can_be_duo:
            return redirect(step_url(offer, _next_step("duo")))
        if form.is_valid():
            try:
                offer_services.offer_set_duo(
                    actor=request.user,
                    offer=offer,
                    is_duo=form.cleaned_data["is_duo"],
                    now=clock.now(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return _after_save(request, offer, "duo")
    return _render_step(request, offer, "duo", {"form": form, "can_be_duo": can_be_duo})


def _step_dates(request: HttpRequest, offer: Offer) -> HttpResponse:
    categories = _price_categories(offer)
    data = request.POST if request.method == "POST" else None
    form = DatesForm(data, price_categories=categories, slot_count=DatesForm.slot_count_from(data))
    adding_slot = data is not None and "add_slot" in data
    if data is not None and not adding_slot and form.is_valid():
        try:
            expansion = offer_services.stocks_generate(
                actor=request.user,
                offer=offer,
                rule=form.to_rule(),
                quantities=form.to_quantities(),
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            _report_expansion(request, expansion)
            return redirect(step_url(offer, "recapitulatif-des-dates"))
    if adding_slot:
        # Nothing is saved: the page comes back with one more slot and what was typed.
        form = form.unbound_copy()
    return _render_step(
        request,
        offer,
        "dates",
        {
            "form": form,
            "price_categories": categories,
            "stock_count": offer_selectors.offer_stocks(offer).count(),
        },
        status=200 if adding_slot or data is None else 400,
    )


def _report_expansion(request: HttpRequest, expansion: Any) -> None:
    created = len(expansion.occurrences)
    messages.success(
        request,
        ngettext("%(count)s date a été créée.", "%(count)s dates ont été créées.", created)
        % {"count": created},
    )
    if expansion.skipped_past:
        messages.info(
            request,
            ngettext(
                "%(count)s date déjà passée a été ignorée.",
                "%(count)s dates déjà passées ont été ignorées.",
                expansion.skipped_past,
            )
            % {"count": expansion.skipped_past},
        )
    if expansion.skipped_duplicates:
        messages.info(
            request,
            ngettext(
                "%(count)s date existait déjà et a été ignorée.",
                "%(count)s dates existaient déjà et ont été ignorées.",
                expansion.skipped_duplicates,
            )
            % {"count": expansion.skipped_duplicates},
        )
    for moment in expansion.nonexistent:
        messages.warning(
            request,
            _(
                "Le %(date)s à %(time)s n'existe pas (passage à l'heure d'été) : "
                "ce créneau a été ignoré."
            )
            % {"date": moment.strftime("%d/%m/%Y"), "time": moment.strftime("%H:%M")},
        )


def _stocks_page(request: HttpRequest, offer: Offer) -> dict[str, Any]:
    now = clock.now()
    paginator = Paginator(offer_selectors.offer_stocks(offer), STOCKS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "stock": stock,
            "is_past": stock.beginning_datetime <= now,
            "price_display": format_euros(stock.price_category.price_cents),
        }
        for stock in page.object_list
    ]
    return {"stock_page": page, "stock_rows": rows, "stock_total": paginator.count}


def _step_recapitulatif_des_dates(request: HttpRequest, offer: Offer) -> HttpResponse:
    if request.method == "POST":
        return redirect(step_url(offer, "publication"))
    return _render_step(request, offer, "recapitulatif-des-dates", _stocks_page(request, offer))


# Where to fix what ``offer_publication_errors`` reports (its keys are the services' fields).
PROBLEM_STEPS = {
    "subcategory_id": "categorie",
    "name": "descriptif",
    "address_kind": "localisation",
    "withdrawal_type": "informations-pratiques",
    "withdrawal_delay_seconds": "informations-pratiques",
    "booking_contact": "informations-pratiques",
    "price_categories": "tarifs",
    "stocks": "dates",
}


def _publication_problems(offer: Offer, now: dt.datetime) -> list[dict[str, Any]]:
    """What is missing before publishing, each with a link to the step that fixes it."""
    problems = []
    for field, message in offer_services.offer_publication_errors(offer, now=now).items():
        slug = "descriptif" if field.startswith("extra_data.") else PROBLEM_STEPS.get(field)
        problems.append(
            {
                "message": message,
                "url": step_url(offer, slug) if slug else None,
                "step_label": STEP_LABELS.get(slug or "", ""),
            }
        )
    return problems


def _step_publication(request: HttpRequest, offer: Offer) -> HttpResponse:
    tz = _offer_tz(offer)
    form = PublicationForm(
        _posted(request),
        tz=tz,
        initial={
            "publication_datetime": offer.publication_datetime,
            "booking_allowed_datetime": offer.booking_allowed_datetime,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        action = data["action"]
        if action == "draft":
            messages.success(
                request,
                _(
                    "Votre offre est enregistrée comme brouillon. Vous pourrez la reprendre "
                    "depuis la liste des offres."
                ),
            )
            return redirect("pro:offer_list", offerer_id=offer.offerer_id)
        try:
            if action == "unschedule":
                offer_services.offer_unschedule(actor=request.user, offer=offer, now=clock.now())
            else:
                offer = offer_services.offer_publish(
                    actor=request.user,
                    offer=offer,
                    now=clock.now(),
                    publication_datetime=data["publication_datetime"]
                    if action == "schedule"
                    else None,
                    booking_allowed_datetime=data["booking_allowed_datetime"],
                )
        except DomainError as exc:
            if exc.code == "offer_incomplete":
                form.add_error(
                    None,
                    _(
                        "Votre offre ne peut pas encore être publiée : complétez les étapes "
                        "indiquées dans « À compléter avant publication »."
                    ),
                )
            else:
                apply_domain_error(form, exc)
        else:
            if action == "unschedule":
                messages.success(
                    request, _("La publication programmée est annulée : l'offre est un brouillon.")
                )
                return redirect(step_url(offer, "publication"))
            if offer.validation == Offer.Validation.PENDING:
                text = _(
                    "Votre offre est en cours d'instruction par nos équipes : vous serez "
                    "prévenu par email de leur décision."
                )
            elif action == "schedule":
                text = _("La publication de votre offre est programmée.")
            else:
                text = _("Votre offre est publiée.")
            messages.success(request, text)
            return redirect("pro:offer_detail", offer_id=offer.pk)
    now = clock.now()
    context = {
        "form": form,
        "price_categories": _price_categories(offer),
        "stock_count": offer_selectors.offer_stocks(offer).count(),
        "problems": [] if is_published(offer) else _publication_problems(offer, now),
        "is_scheduled": offer.validation == Offer.Validation.DRAFT
        and offer.publication_datetime is not None,
    }
    return _render_step(request, offer, "publication", context)


STEP_HANDLERS = {
    "categorie": _step_categorie,
    "descriptif": _step_descriptif,
    "localisation": _step_localisation,
    "informations-pratiques": _step_informations_pratiques,
    "tarifs": _step_tarifs,
    "duo": _step_duo,
    "dates": _step_dates,
    "recapitulatif-des-dates": _step_recapitulatif_des_dates,
    "publication": _step_publication,
}


# --- Price categories ------------------------------------------------------------------------


@login_required
def price_category_update(request: HttpRequest, price_category_id: int) -> HttpResponse:
    price_category = access.get_member_price_category_or_404(request.user, price_category_id)
    offer = price_category.offer
    if request.method != "POST":
        return redirect(step_url(offer, "tarifs"))
    form = PriceCategoryForm(request.POST, prefix=f"tarif-{price_category.pk}")
    if form.is_valid():
        try:
            offer_services.price_category_update(
                actor=request.user,
                price_category=price_category,
                label=form.cleaned_data["label"],
                price_cents=form.cleaned_data["price"],
                now=clock.now(),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Le tarif est enregistré."))
            return redirect(step_url(offer, "tarifs"))
    return _tarifs_page(request, offer, bound={price_category.pk: form}, status=400)


@login_required
def price_category_delete(request: HttpRequest, price_category_id: int) -> HttpResponse:
    price_category = access.get_member_price_category_or_404(request.user, price_category_id)
    offer = price_category.offer
    if request.method != "POST":
        return _not_post()
    try:
        offer_services.price_category_delete(
            actor=request.user, price_category=price_category, now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Le tarif « %(label)s » et ses dates sont supprimés.")
            % {"label": price_category.label},
        )
    return redirect(step_url(offer, "tarifs"))


# --- Occurrences -----------------------------------------------------------------------------


def _stock_context(offer: Offer, stock: Stock, request: HttpRequest) -> dict[str, Any]:
    context = _offer_context(offer, request, "recapitulatif-des-dates")
    context.update(
        {
            "stock": stock,
            "price_display": format_euros(stock.price_category.price_cents),
            "is_past": stock.beginning_datetime <= clock.now(),
        }
    )
    return context


@login_required
def stock_edit(request: HttpRequest, stock_id: int) -> HttpResponse:
    stock = access.get_member_stock_or_404(request.user, stock_id)
    offer = stock.offer
    context = _stock_context(offer, stock, request)
    form = StockForm(
        _posted(request),
        tz=context["offer_tz"],
        initial={
            "beginning_datetime": stock.beginning_datetime,
            "booking_limit_datetime": stock.booking_limit_datetime,
            "quantity": stock.quantity,
        },
    )
    if request.method == "POST" and not context["is_past"] and form.is_valid():
        # Only what was changed: moving the start alone moves the booking limit with it.
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            offer_services.stock_update(actor=request.user, stock=stock, now=clock.now(), **changes)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("La date est enregistrée."))
            return redirect(step_url(offer, "recapitulatif-des-dates"))
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "pro/offers/stock_edit.html", context, status=status)


@login_required
def stock_delete(request: HttpRequest, stock_id: int) -> HttpResponse:
    """GET asks for confirmation (works without JavaScript); POST deletes."""
    stock = access.get_member_stock_or_404(request.user, stock_id)
    offer = stock.offer
    if request.method == "POST":
        try:
            offer_services.stock_delete(actor=request.user, stock=stock, now=clock.now())
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("La date est supprimée."))
        return redirect(step_url(offer, "recapitulatif-des-dates"))
    return render(request, "pro/offers/stock_delete.html", _stock_context(offer, stock, request))


# --- Offer page and actions ------------------------------------------------------------------


def _detail_status(offer: Offer) -> dict[str, Any]:
    status = offer_selectors.offer_display_status(offer, now=clock.now())
    return {"code": str(status), "label": OfferDisplayStatus(status).label}


@login_required
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    context = _offer_context(offer, request, "")
    context.update(_stocks_page(request, offer))
    context.update(
        {
            "stats": offer_selectors.offer_stats(offer),
            "price_categories": _price_categories(offer),
            "step_links": [(step.label, step_url(offer, step.slug)) for step in STEPS],
            "resume_url": resume_url(offer),
        }
    )
    return render(request, "pro/offers/detail.html", context)


@login_required
def offer_duplicate(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    if request.method != "POST":
        return _not_post()
    try:
        copy = offer_services.offer_duplicate(actor=request.user, offer=offer, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("pro:offer_detail", offer_id=offer.pk)
    messages.success(
        request,
        _(
            "L'offre est dupliquée : voici sa copie, en brouillon. Ajoutez-lui des dates puis "
            "publiez-la."
        ),
    )
    return redirect("pro:offer_detail", offer_id=copy.pk)


@login_required
def offer_set_active(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    if request.method != "POST":
        return _not_post()
    activate = request.POST.get("action") == "activate"
    service = offer_services.offer_activate if activate else offer_services.offer_deactivate
    try:
        service(actor=request.user, offers=[offer], now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("L'offre est réactivée.") if activate else _("L'offre est désactivée."),
        )
    return redirect("pro:offer_detail", offer_id=offer.pk)


@login_required
def offer_image(request: HttpRequest, offer_id: int) -> HttpResponseBase:
    """The offer's image (a rendition), for its pro pages only."""
    offer = access.get_member_offer_or_404(request.user, offer_id)
    image = _image(offer)
    if image is None:
        raise Http404
    size = request.GET.get("taille", "medium")
    name = str((image.renditions or {}).get(size) or image.original.name or "")
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg" if name.endswith(".jpg") else None)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def offer_image_delete(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_member_offer_or_404(request.user, offer_id)
    if request.method != "POST":
        return _not_post()
    try:
        offer_services.offer_remove_image(actor=request.user, offer=offer, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("L'image est supprimée."))
    return redirect(step_url(offer, "descriptif"))
