"""The audit log: who did what to which object, with before → after."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pytest
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.core.audit import AUTO, SYSTEM, audit_record, snapshot
from culturepass.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def member() -> User:
    return User.objects.create_user("membre@structure-a.test", "Motdepasse-solide-2026")


def test_a_user_action_records_the_actor_and_the_object(member: User, staff_user: User) -> None:
    entry = audit_record(
        actor=staff_user,
        action="user.deactivate",
        obj=member,
        now=NOW,
        before={"is_active": True},
        after={"is_active": False},
        offerer_id=42,
        comment="fraude",
    )

    entry.refresh_from_db()
    assert entry.created_at == NOW
    assert entry.actor == staff_user
    assert entry.actor_label == staff_user.email
    assert entry.action == "user.deactivate"
    assert entry.object_type == "accounts.user"
    assert entry.object_id == str(member.pk)
    assert entry.object_repr == member.email
    assert entry.offerer_id == 42
    assert entry.comment == "fraude"
    assert entry.changes() == [("is_active", True, False)]


def test_the_label_survives_when_the_actor_account_is_deleted(
    member: User, staff_user: User
) -> None:
    entry = audit_record(actor=staff_user, action="user.update", obj=member, now=NOW)
    staff_user.delete()

    entry.refresh_from_db()
    assert entry.actor is None
    assert entry.actor_label == "staff@culturepass.test"


@pytest.mark.parametrize(("actor", "label"), [(AUTO, "AUTO"), (SYSTEM, "SYSTEM"), (None, "SYSTEM")])
def test_jobs_and_commands_are_recorded_without_a_user(
    member: User, actor: str | None, label: str
) -> None:
    entry = audit_record(actor=actor, action="user.expire", obj=member, now=NOW)

    assert entry.actor is None
    assert entry.actor_label == label


def test_a_creation_has_no_before_and_a_deletion_no_after(member: User) -> None:
    created = audit_record(actor=AUTO, action="x.create", obj=member, now=NOW, after={"a": 1})
    deleted = audit_record(actor=AUTO, action="x.delete", obj=member, now=NOW, before={"a": 1})

    assert created.before is None
    assert created.changes() == [("a", None, 1)]
    assert deleted.after is None
    assert deleted.changes() == [("a", 1, None)]


def test_changes_lists_only_the_fields_that_differ_in_name_order() -> None:
    entry = AuditEntry(
        before={"status": "NEW", "name": "Festival", "siret": None},
        after={"status": "VALIDATED", "name": "Festival", "city": "Lyon"},
    )

    assert entry.changes() == [("city", None, "Lyon"), ("status", "NEW", "VALIDATED")]


def test_snapshot_keeps_foreign_keys_as_ids_and_dates_as_iso_strings(
    member: User, staff_user: User
) -> None:
    member.email_verified_at = NOW
    entry = audit_record(actor=staff_user, action="user.update", obj=member, now=NOW)

    assert snapshot(member, ["email", "email_verified_at", "is_staff"]) == {
        "email": "membre@structure-a.test",
        "email_verified_at": "2026-11-03T09:30:00+00:00",
        "is_staff": False,
    }
    assert snapshot(entry, ["actor", "created_at"]) == {
        "actor": staff_user.pk,
        "created_at": "2026-11-03T09:30:00+00:00",
    }


def test_values_are_stored_as_json(member: User) -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    entry = audit_record(
        actor=AUTO,
        action="x.update",
        obj=member,
        now=NOW,
        after={
            "price": decimal.Decimal("12.50"),
            "day": dt.date(2026, 7, 14),
            "ids": (1, 2),
            "ref": ident,
            "owner": member,
            "nested": {3: dt.time(20, 30)},
        },
    )

    entry.refresh_from_db()
    assert entry.after == {
        "price": "12.50",
        "day": "2026-07-14",
        "ids": [1, 2],
        "ref": str(ident),
        "owner": member.pk,
        "nested": {"3": "20:30:00"},
    }


def test_entries_are_listed_newest_first(member: User) -> None:
    older = audit_record(actor=AUTO, action="a", obj=member, now=NOW)
    newer = audit_record(actor=AUTO, action="b", obj=member, now=NOW + dt.timedelta(seconds=1))
    same_time = audit_record(actor=AUTO, action="c", obj=member, now=NOW + dt.timedelta(seconds=1))

    assert list(AuditEntry.objects.all()) == [same_time, newer, older]
    assert timezone.is_aware(AuditEntry.objects.first().created_at)  # type: ignore[union-attr]
