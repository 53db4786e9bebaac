"""Two staff members approving the same identity at once grant the credit once."""

from __future__ import annotations

import threading
import time

import pytest
from credit_helpers import NOW, young
from django.db import connection

from culturepass.accounts.models import User
from culturepass.core.errors import DomainError
from culturepass.credit import services
from culturepass.credit.models import BeneficiaryProfile, CreditAccount, CreditGrant


def _race(target, n: int = 2) -> list[str]:
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=5)
            target()
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _slow_grant_create(monkeypatch) -> None:
    """Widen the window between 'is there a grant?' and the insert."""
    real_create = CreditGrant.objects.create

    def slow_create(**kwargs):
        time.sleep(0.3)
        return real_create(**kwargs)

    monkeypatch.setattr(CreditGrant.objects, "create", slow_create)


def test_concurrent_double_approval_grants_once(transactional_db, support_user, monkeypatch):
    user = young(18)
    _slow_grant_create(monkeypatch)

    outcomes = _race(
        lambda: services.identity_approve(
            actor=User.objects.get(pk=support_user.pk),
            user=User.objects.get(pk=user.pk),
            now=NOW,
        )
    )

    assert sorted(outcomes) == ["identity_already_decided", "ok"]
    assert CreditGrant.objects.count() == 1
    assert CreditAccount.objects.get(user=user).granted_cents == 15000


@pytest.mark.parametrize("locks", [True, False], ids=["row-locks", "no-locks"])
def test_concurrent_grants_for_age_credit_once(transactional_db, support_user, monkeypatch, locks):
    user = young(18)
    BeneficiaryProfile.objects.filter(user=user).update(
        identity_status=BeneficiaryProfile.Identity.VERIFIED
    )
    _slow_grant_create(monkeypatch)
    if not locks:
        # Without the row locks both callers see "no grant yet": the unique constraint
        # is what still stops the second grant.
        monkeypatch.setattr(
            type(CreditAccount.objects), "select_for_update", lambda self, *a, **k: self.all()
        )
        monkeypatch.setattr(
            type(BeneficiaryProfile.objects), "select_for_update", lambda self, *a, **k: self.all()
        )

    results: list[object] = []
    _race(lambda: results.append(services.credit_grant_for_age(user=user, now=NOW)), n=4)

    assert sum(r is not None for r in results) == 1
    assert CreditGrant.objects.count() == 1
    assert CreditAccount.objects.get(user=user).granted_cents == 15000
