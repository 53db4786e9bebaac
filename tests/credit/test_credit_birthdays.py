"""The daily job crediting the grant of a new eligible age (SPEC §3): a young person
credited at 17 gets the grant for 18 on their 18th birthday (Paris), once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from credit_helpers import NOW, young

from culturepass.credit import services, tasks
from culturepass.credit.models import CreditAccount, CreditGrant
from culturepass.jobs import schedules  # noqa: F401 - the periodic tasks are registered
from culturepass.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


def _credited_at_17(support_user, email: str = "jeune17@example.test"):
    user = young(17, email=email)
    services.identity_approve(actor=support_user, user=user, now=NOW)
    assert CreditAccount.objects.get(user=user).granted_cents == 5000
    return user


def _birthday_18(user) -> dt.date:
    born = user.beneficiary.birth_date
    return born.replace(year=born.year + 18)


def test_the_job_grants_150_euros_on_the_18th_birthday_once(support_user):
    user = _credited_at_17(support_user)
    emails_before = OutboxEmail.objects.count()
    # 00:30 UTC, when the job runs: already the birthday in Paris.
    run_at = dt.datetime.combine(_birthday_18(user), dt.time(0, 30), tzinfo=dt.UTC)

    with time_machine.travel(run_at, tick=False):
        assert tasks.grant_birthdays(timestamp=0) == 1
        assert tasks.grant_birthdays(timestamp=0) == 0

    grant = CreditGrant.objects.get(account__user=user, age=18)
    assert grant.amount_cents == 15000
    assert grant.granted_at == run_at
    assert CreditGrant.objects.filter(account__user=user).count() == 2
    assert CreditAccount.objects.get(user=user).granted_cents == 20000
    assert OutboxEmail.objects.count() == emails_before  # the grant is silent


def test_nothing_the_evening_before_in_paris(support_user):
    user = _credited_at_17(support_user)
    eve = dt.datetime.combine(_birthday_18(user), dt.time(0), tzinfo=dt.UTC) - dt.timedelta(
        hours=2, minutes=30
    )  # 23:30 or 21:30 UTC: 23:30 in Paris at most, still 17

    assert services.credit_grant_birthdays(now=eve) == 0
    assert not CreditGrant.objects.filter(age=18).exists()


def test_a_missed_run_is_caught_up_the_next_day(support_user):
    user = _credited_at_17(support_user)
    later = dt.datetime.combine(_birthday_18(user), dt.time(12), tzinfo=dt.UTC)

    assert services.credit_grant_birthdays(now=later + dt.timedelta(days=3)) == 1
    assert services.credit_grant_birthdays(now=later + dt.timedelta(days=4)) == 0


def test_only_verified_beneficiaries_not_yet_granted_are_credited_in_batches(
    support_user, django_assert_num_queries
):
    first = _credited_at_17(support_user, "a@example.test")
    second = _credited_at_17(support_user, "b@example.test")
    pending = young(17, email="pending@example.test")  # identity never checked
    run_at = dt.datetime.combine(_birthday_18(first), dt.time(12), tzinfo=dt.UTC)

    assert services.credit_grant_birthdays(now=run_at, batch_size=1) == 2

    assert {g.account.user_id for g in CreditGrant.objects.filter(age=18)} == {
        first.pk,
        second.pk,
    }
    assert CreditAccount.objects.get(user=pending).granted_cents == 0
    with django_assert_num_queries(1):  # those already granted are not even read
        assert services.credit_grant_birthdays(now=run_at, batch_size=1) == 0
