"""Backoffice core pages: dashboard, audit log, users and staff roles.

Views parse input, call one selector or service, render. Reads stay here only
where no domain selector exists yet (the audit log and user search are plain
filters over one table).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from culturepass.accounts.models import User
from culturepass.accounts.roles import ADMINISTRATORS, STAFF_ROLES
from culturepass.accounts.selectors import user_staff_roles
from culturepass.accounts.services import staff_role_grant, staff_role_revoke
from culturepass.backoffice.access import staff_required
from culturepass.core import clock
from culturepass.core.errors import DomainError
from culturepass.core.health import worker_state
from culturepass.core.models import AuditEntry
from culturepass.finance.services import bank_accounts_under_review
from culturepass.notifications.models import OutboxEmail
from culturepass.offers.models import Offer

PAGE_SIZE = 50
DETAIL_AUDIT_LIMIT = 20

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


# --- Other apps -------------------------------------------------------------------------
# Structures are imported lazily: a page shows the queues whose data exists and
# never a made-up number.


def _offerer_selectors() -> Any:
    try:
        return importlib.import_module("culturepass.offerers.selectors")
    except ImportError:
        return None


def _url_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _can_manage_roles(user: User) -> bool:
    if user.is_superuser:
        return True
    return user.groups.filter(name=ADMINISTRATORS).exists()


# --- Dashboard -------------------------------------------------------------------------


@dataclass
class Queue:
    label: str
    count: int
    description: str = ""
    url: str | None = None


def _structure_queues(user: User) -> list[Queue]:
    selectors = _offerer_selectors()
    if selectors is None or not user.has_perm("accounts.homologation"):
        return []
    counts = selectors.status_counts()
    return [
        Queue(
            label=_("Structures à valider"),
            count=counts.get("NEW", 0) + counts.get("PENDING", 0),
            description=_("Structures nouvelles ou en attente d'homologation."),
            url=_url_or_none("backoffice:offerer_list"),
        ),
        Queue(
            label=_("Demandes de rattachement en attente"),
            count=selectors.backoffice_attachment_requests().count(),
            description=_("Personnes demandant à rejoindre une structure existante."),
            url=_url_or_none("backoffice:offerer_attachment_list"),
        ),
    ]


def _offer_queues(user: User) -> list[Queue]:
    if not user.has_perm("accounts.compliance"):
        return []
    return [
        Queue(
            label=_("Offres à examiner"),
            count=Offer.objects.filter(validation=Offer.Validation.PENDING).count(),
            description=_("Offres envoyées en vérification par les règles de conformité."),
            url=_url_or_none("backoffice:offer_queue"),
        )
    ]


def _bank_account_queues(user: User) -> list[Queue]:
    if not user.has_perm("accounts.finance"):
        return []
    return [
        Queue(
            label=_("Comptes bancaires à vérifier"),
            count=bank_accounts_under_review().count(),
            description=_("Comptes bancaires déposés ou corrigés par les structures."),
            url=_url_or_none("backoffice:finance_bank_accounts"),
        )
    ]


def _email_queues(user: User) -> list[Queue]:
    if not user.has_perm("accounts.support"):
        return []
    pending = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING)
    return [
        Queue(
            label=_("Emails en nouvel essai"),
            count=pending.filter(attempts__gt=0).count(),
            description=_("Emails dont un envoi a échoué et qui seront renvoyés."),
        ),
        Queue(
            label=_("Emails abandonnés"),
            count=OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).count(),
            description=_("Emails non envoyés après tous les essais."),
        ),
    ]


@require_GET
@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    try:
        worker = worker_state()
    except Exception:  # the page must open even when the jobs table is unreachable
        worker = {"ok": False, "workers": 0, "last_heartbeat_seconds_ago": None}
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "queues": _structure_queues(user)
            + _offer_queues(user)
            + _bank_account_queues(user)
            + _email_queues(user),
            "worker": worker,
        },
    )


# --- Keyset pagination ------------------------------------------------------------------


def _cursor(created_at: dt.datetime, pk: int) -> str:
    return f"{(created_at - _EPOCH) // _MICROSECOND}-{pk}"


def _parse_cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    micros, sep, pk = value.partition("-")
    if not sep or not micros.isdigit() or not pk.isdigit():
        return None
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


@dataclass
class Page:
    rows: list[Any]
    older_cursor: str | None = None
    newer_cursor: str | None = None
    is_first: bool = True


def _keyset_page(queryset: QuerySet[AuditEntry], request: HttpRequest, size: int) -> Page:
    """Newest first, by (created_at, id): stable under inserts, no OFFSET scans."""
    older = _parse_cursor(request.GET.get("older_than"))
    newer = None if older else _parse_cursor(request.GET.get("newer_than"))
    if newer:
        at, pk = newer
        chunk = list(
            queryset.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk)).order_by(
                "created_at", "id"
            )[: size + 1]
        )
        has_newer = len(chunk) > size
        rows = list(reversed(chunk[:size]))
        has_older = True
    else:
        if older:
            at, pk = older
            queryset = queryset.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
        chunk = list(queryset.order_by("-created_at", "-id")[: size + 1])
        rows = chunk[:size]
        has_older = len(chunk) > size
        has_newer = older is not None
    page = Page(rows=rows, is_first=not has_newer)
    if rows and has_older:
        page.older_cursor = _cursor(rows[-1].created_at, rows[-1].pk)
    if rows and has_newer:
        page.newer_cursor = _cursor(rows[0].created_at, rows[0].pk)
    return page


# --- Audit log ----------------------------------------------------------------------------


def _display(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value or "« »"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return json.dumps(value, ensure_ascii=False)


@dataclass
class AuditRow:
    entry: AuditEntry
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    object_url: str | None = None
    offerer_url: str | None = None


def _audit_rows(entries: Iterable[AuditEntry], viewer: User) -> list[AuditRow]:
    """Rows with their changes, linking objects to the backoffice pages the viewer may open."""
    detail_pages: dict[str, str] = {}
    if viewer.has_perm("accounts.support"):
        detail_pages[User._meta.label_lower] = "backoffice:user_detail"
    may_see_offerers = viewer.has_perm("accounts.homologation")
    if may_see_offerers:
        detail_pages["offerers.offerer"] = "backoffice:offerer_detail"
    rows = []
    for entry in entries:
        row = AuditRow(
            entry=entry,
            changes=[(name, _display(b), _display(a)) for name, b, a in entry.changes()],
        )
        page = detail_pages.get(entry.object_type)
        if page and entry.object_id.isdigit():
            row.object_url = _url_or_none(page, int(entry.object_id))
        if may_see_offerers and entry.offerer_id is not None:
            row.offerer_url = _url_or_none("backoffice:offerer_detail", entry.offerer_id)
        rows.append(row)
    return rows


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        label=gettext_lazy("Auteur"),
        help_text=gettext_lazy("Email, ou AUTO (tâches) ou SYSTEM (commandes)."),
        required=False,
        max_length=254,
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    object_type = forms.ChoiceField(label=gettext_lazy("Type d'objet"), required=False)
    object_id = forms.CharField(label=gettext_lazy("Identifiant de l'objet"), required=False)
    offerer_id = forms.IntegerField(
        label=gettext_lazy("Identifiant de la structure"), required=False, min_value=1
    )
    date_from = forms.DateField(label=gettext_lazy("Du"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("Au (inclus)"), required=False, widget=DateInput())

    def __init__(self, *args: Any, actions: list[str], object_types: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        any_choice = [("", _("Toutes"))]
        cast(forms.ChoiceField, self.fields["action"]).choices = any_choice + [
            (a, a) for a in actions
        ]
        cast(forms.ChoiceField, self.fields["object_type"]).choices = [("", _("Tous"))] + [
            (t, t) for t in object_types
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("La date de fin précède la date de début."))
        return data

    def filter(self, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        data = self.cleaned_data
        if actor := data.get("actor", "").strip():
            queryset = queryset.filter(Q(actor_label__iexact=actor) | Q(actor__email__iexact=actor))
        if action := data.get("action"):
            queryset = queryset.filter(action=action)
        if object_type := data.get("object_type"):
            queryset = queryset.filter(object_type=object_type)
        if object_id := data.get("object_id", "").strip():
            queryset = queryset.filter(object_id=object_id)
        if data.get("offerer_id"):
            queryset = queryset.filter(offerer_id=data["offerer_id"])
        tz = timezone.get_current_timezone()
        if start := data.get("date_from"):
            queryset = queryset.filter(
                created_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz)
            )
        if end := data.get("date_to"):
            next_day = end + dt.timedelta(days=1)
            queryset = queryset.filter(
                created_at__lt=dt.datetime.combine(next_day, dt.time.min, tzinfo=tz)
            )
        return queryset


@require_GET
@staff_required("audit")
def audit_log(request: HttpRequest) -> HttpResponse:
    viewer = cast(User, request.user)
    entries = AuditEntry.objects.all()
    form = AuditFilterForm(
        request.GET or None,
        actions=list(entries.order_by("action").values_list("action", flat=True).distinct()),
        object_types=list(
            entries.order_by("object_type").values_list("object_type", flat=True).distinct()
        ),
    )
    filtered = form.is_bound and form.is_valid()
    if form.is_bound and not filtered:
        page = Page(rows=[])
    else:
        page = _keyset_page(form.filter(entries) if filtered else entries, request, PAGE_SIZE)
    return render(
        request,
        "backoffice/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": _audit_rows(page.rows, viewer),
            "is_filtered": filtered and any(form.cleaned_data.values()),
        },
    )


# --- Users --------------------------------------------------------------------------------


class UserSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Email ou nom"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


def _search_users(query: str) -> QuerySet[User]:
    users = User.objects.all()
    for term in query.split():
        users = users.filter(
            Q(email__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
        )
    return users


@require_GET
@staff_required("support")
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    users = _search_users(query).order_by("email", "id")
    after = request.GET.get("after", "")
    if after.isdigit():
        anchor = User.objects.filter(pk=int(after)).values_list("email", flat=True).first()
        if anchor is not None:
            users = users.filter(Q(email__gt=anchor) | Q(email=anchor, pk__gt=int(after)))
    chunk = list(users[: PAGE_SIZE + 1])
    rows = chunk[:PAGE_SIZE]
    return render(
        request,
        "backoffice/user_list.html",
        {
            "form": form,
            "query": query,
            "users": rows,
            "next_after": rows[-1].pk if len(chunk) > PAGE_SIZE else None,
            "is_continued": bool(after),
        },
    )


def _memberships(user: User) -> list[Any]:
    try:
        from culturepass.offerers.models import Membership
    except ImportError:
        return []
    return list(
        Membership.objects.filter(user=user).select_related("offerer").order_by("offerer__name")
    )


@require_GET
@staff_required("support")
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = cast(User, request.user)
    subject = get_object_or_404(User, pk=user_id)
    about = AuditEntry.objects.filter(
        object_type=User._meta.label_lower, object_id=str(subject.pk)
    ).order_by("-created_at", "-id")[:DETAIL_AUDIT_LIMIT]
    by = AuditEntry.objects.filter(actor=subject).order_by("-created_at", "-id")[
        :DETAIL_AUDIT_LIMIT
    ]
    held = user_staff_roles(user=subject)
    can_manage = _can_manage_roles(viewer)
    grantable = [name for name in STAFF_ROLES if name not in held] if can_manage else []
    return render(
        request,
        "backoffice/user_detail.html",
        {
            "subject": subject,
            "staff_roles": held,
            "memberships": _memberships(subject),
            "about_rows": _audit_rows(about, viewer),
            "by_rows": _audit_rows(by, viewer),
            "audit_limit": DETAIL_AUDIT_LIMIT,
            "can_manage_roles": can_manage,
            "grantable_roles": grantable,
        },
    )


@require_POST
@staff_required("support")
def user_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    """Grant or revoke one staff role; administrators (or superusers) only."""
    actor = cast(User, request.user)
    if not _can_manage_roles(actor):
        raise PermissionDenied
    subject = get_object_or_404(User, pk=user_id)
    operation = request.POST.get("operation")
    role = request.POST.get("role", "")
    if operation not in {"grant", "revoke"}:
        return HttpResponseBadRequest()
    service = staff_role_grant if operation == "grant" else staff_role_revoke
    try:
        service(user=subject, group_name=role, actor=actor, now=clock.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if operation == "grant":
            text = _("Rôle « %(role)s » attribué à %(email)s.")
        else:
            text = _("Rôle « %(role)s » retiré à %(email)s.")
        messages.success(request, text % {"role": role, "email": subject.email})
    return redirect("backoffice:user_detail", user_id=subject.pk)
