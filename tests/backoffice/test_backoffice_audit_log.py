"""The audit log page: newest first, filters, keyset pages, before → after."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from culturepass.accounts.models import User
from culturepass.backoffice import views
from culturepass.core.audit import AUTO, audit_record
from culturepass.core.models import AuditEntry

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
URL = "/backoffice/journal/"


@pytest.fixture
def viewer(client: Client, auditor: User) -> User:
    client.force_login(auditor)
    return auditor


def _record(actor: Any, action: str, obj: Model, at: dt.datetime, **kwargs: Any) -> AuditEntry:
    return audit_record(actor=actor, action=action, obj=obj, now=at, **kwargs)


def _shown_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-entry="(\d+)"', html)]


def test_the_url_is_stable() -> None:
    assert reverse("backoffice:audit_log") == URL


def test_entries_are_listed_newest_first_with_their_changes(
    client: Client, viewer: User, pro_user: User
) -> None:
    old = _record(AUTO, "user.create", pro_user, T0, after={"email": pro_user.email})
    new = _record(
        viewer,
        "user.update",
        pro_user,
        T0 + dt.timedelta(hours=1),
        before={"first_name": "", "last_name": "Martin", "is_active": True},
        after={"first_name": "Camille", "last_name": "Martin", "is_active": False},
        offerer_id=7,
        comment="demande du titulaire",
    )

    response = client.get(URL)

    assert response.status_code == 200
    html = response.text
    assert _shown_ids(html) == [new.pk, old.pk]
    assert "<code>first_name</code> : « » → Camille" in html
    assert "<code>is_active</code> : oui → non" in html
    assert "<code>last_name</code>" not in html  # unchanged fields are not listed
    assert "<code>email</code> : — → pro@structure-a.test" in html
    assert "demande du titulaire" in html
    assert "#7" in html
    assert "03/11/2026 11:00:00" in html  # shown in Paris time


def test_values_are_escaped(client: Client, viewer: User, pro_user: User) -> None:
    _record(AUTO, "user.update", pro_user, T0, before={"x": "a"}, after={"x": "<script>"})

    html = client.get(URL).text

    assert "<script>" not in html.split("<main", 1)[1]
    assert "&lt;script&gt;" in html


@pytest.fixture
def journal(pro_user: User, staff_user: User) -> dict[str, AuditEntry]:
    return {
        "signup": _record(AUTO, "user.signup", pro_user, T0, offerer_id=1),
        "staff": _record(staff_user, "offerer.validate", staff_user, T0 + dt.timedelta(days=1)),
        "other": _record(
            pro_user, "venue.create", staff_user, T0 + dt.timedelta(days=2), offerer_id=2
        ),
        "system": _record("SYSTEM", "user.signup", staff_user, T0 + dt.timedelta(days=3)),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "STAFF@culturepass.test"}, ["staff"]),
        ({"actor": "AUTO"}, ["signup"]),
        ({"action": "user.signup"}, ["system", "signup"]),
        ({"object_type": "accounts.user", "object_id": "OBJ"}, ["signup"]),
        ({"offerer_id": "2"}, ["other"]),
        ({"date_from": "2026-11-04", "date_to": "2026-11-05"}, ["other", "staff"]),
        ({"date_to": "2026-11-03"}, ["signup"]),
        ({"date_from": "2026-11-06"}, ["system"]),
        ({"action": "user.signup", "offerer_id": "1"}, ["signup"]),
    ],
)
def test_filters(
    client: Client,
    viewer: User,
    pro_user: User,
    journal: dict[str, AuditEntry],
    query: dict[str, str],
    expected: list[str],
) -> None:
    query = {k: v.replace("OBJ", str(pro_user.pk)) for k, v in query.items()}

    response = client.get(URL, query)

    assert response.status_code == 200
    assert _shown_ids(response.text) == [journal[name].pk for name in expected]


def test_the_actor_filter_follows_the_current_email_of_the_account(
    client: Client, viewer: User, pro_user: User, journal: dict[str, AuditEntry]
) -> None:
    pro_user.email = "nouvelle@structure-a.test"
    pro_user.save()

    response = client.get(URL, {"actor": "nouvelle@structure-a.test"})

    assert _shown_ids(response.text) == [journal["other"].pk]


def test_a_filter_that_matches_nothing_says_so(
    client: Client, viewer: User, journal: dict[str, AuditEntry]
) -> None:
    response = client.get(URL, {"object_id": "does-not-exist"})

    assert _shown_ids(response.text) == []
    assert "Aucune entrée ne correspond à ces filtres." in response.text


def test_an_inverted_date_range_is_an_error(
    client: Client, viewer: User, journal: dict[str, AuditEntry]
) -> None:
    response = client.get(URL, {"date_from": "2026-11-05", "date_to": "2026-11-04"})

    assert response.status_code == 200
    assert "La date de fin précède la date de début." in response.text
    assert _shown_ids(response.text) == []


def test_an_unknown_action_choice_is_an_error(
    client: Client, viewer: User, journal: dict[str, AuditEntry]
) -> None:
    response = client.get(URL, {"action": "nope"})

    assert _shown_ids(response.text) == []
    assert 'aria-invalid="true"' in response.text


def test_filter_choices_come_from_the_journal(
    client: Client, viewer: User, journal: dict[str, AuditEntry]
) -> None:
    html = client.get(URL).text

    for action in ("offerer.validate", "user.signup", "venue.create"):
        assert f'<option value="{action}">{action}</option>' in html
    assert '<option value="accounts.user">accounts.user</option>' in html


def _follow(client: Client, html: str, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    if not match:
        return None
    href = match.group(1).replace("&amp;", "&")
    return client.get(URL + href if href.startswith("?") else href).text


def test_keyset_pages_walk_the_whole_journal_once_even_with_equal_times(
    client: Client, viewer: User, pro_user: User, monkeypatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    # Several entries share a timestamp: the id breaks the tie.
    times = [T0, T0, T0, T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=1)]
    times += [T0 + dt.timedelta(minutes=m) for m in range(2, 7)]
    entries = [_record(AUTO, f"a{i}", pro_user, at) for i, at in enumerate(times)]
    expected = [e.pk for e in sorted(entries, key=lambda e: (e.created_at, e.pk), reverse=True)]

    pages = [client.get(URL).text]
    while (html := _follow(client, pages[-1], "next")) is not None:
        pages.append(html)

    assert [len(_shown_ids(p)) for p in pages] == [3, 3, 3, 1]
    assert [i for p in pages for i in _shown_ids(p)] == expected

    # And back again, newest-first on every page.
    backwards = [pages[-1]]
    while (html := _follow(client, backwards[-1], "prev")) is not None:
        backwards.append(html)
    assert [_shown_ids(p) for p in reversed(backwards)] == [_shown_ids(p) for p in pages]


def test_pages_keep_the_filters(client: Client, viewer: User, pro_user: User, monkeypatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    kept = [_record(AUTO, "keep", pro_user, T0 + dt.timedelta(minutes=m)) for m in range(3)]
    _record(AUTO, "other", pro_user, T0 + dt.timedelta(minutes=10))

    first = client.get(URL, {"action": "keep"}).text
    second = _follow(client, first, "next")

    assert second is not None
    assert _shown_ids(first) + _shown_ids(second) == [e.pk for e in reversed(kept)]


def test_a_broken_cursor_shows_the_first_page(
    client: Client, viewer: User, journal: dict[str, AuditEntry]
) -> None:
    response = client.get(URL, {"older_than": "not-a-cursor"})

    assert response.status_code == 200
    assert len(_shown_ids(response.text)) == 4


def test_the_page_runs_a_fixed_number_of_queries(
    client: Client, viewer: User, pro_user: User, django_assert_max_num_queries
) -> None:
    for m in range(60):
        _record(viewer, "user.update", pro_user, T0 + dt.timedelta(minutes=m), before={"a": m})

    with django_assert_max_num_queries(8):
        response = client.get(URL, {"actor": viewer.email})

    assert len(_shown_ids(response.text)) == views.PAGE_SIZE


def test_objects_link_to_the_pages_the_viewer_may_open(
    client: Client, make_staff, pro_user: User
) -> None:
    _record(AUTO, "user.update", pro_user, T0, offerer_id=5)
    detail = reverse("backoffice:user_detail", args=[pro_user.pk])

    client.force_login(make_staff("audit-seul@culturepass.test", "audit"))
    assert f'href="{detail}"' not in client.get(URL).text

    client.force_login(make_staff("support-audit@culturepass.test", "audit", "support"))
    assert f'href="{detail}"' in client.get(URL).text
