"""Venue ↔ bank account links: one account per venue at a time (held by the database's
exclusion constraint, and by the service under concurrency), moves, unlinks and the pricing
point a venue needs before it can be linked."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from bookings_helpers import make_offerer, make_venue
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from finance_helpers import IBAN_B, NOW, link_venue, make_bank_account

from culturepass.accounts.models import User
from culturepass.core.errors import PermissionDenied
from culturepass.core.models import AuditEntry
from culturepass.finance import services
from culturepass.finance.links import venue_pricing_point_set
from culturepass.finance.models import BankAccount, VenueBankAccountLink, VenuePricingPointLink
from culturepass.finance.services import VenueLinkError
from culturepass.offerers.models import Membership

LATER = NOW + dt.timedelta(days=3)


def make_member(offerer, email: str = "tresorier@festival.test") -> User:
    user = User.objects.create_user(email, "Motdepasse-solide-2026", is_pro=True)
    Membership.objects.create(
        user=user,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW,
        validated_at=NOW,
    )
    return user


@pytest.fixture
def setup(db):
    offerer = make_offerer()
    return {
        "offerer": offerer,
        "member": make_member(offerer),
        "venue": make_venue(offerer),
        "annex": make_venue(
            offerer,
            siret=None,
            comment="Chapiteau sans SIRET",
            name="Chapiteau",
            is_head_office=False,
        ),
        "account": make_bank_account(offerer),
        "other_account": make_bank_account(offerer, label="Compte 2", iban=IBAN_B),
    }


def open_links(venue):
    return list(
        VenueBankAccountLink.objects.filter(venue=venue, timespan__upper_inf=True).values_list(
            "bank_account_id", flat=True
        )
    )


@pytest.mark.django_db
def test_linking_opens_a_link_from_now_and_gives_a_siret_venue_its_pricing_point(setup):
    venue, account = setup["venue"], setup["account"]
    (link,) = services.bank_account_link_venues(
        actor=setup["member"], bank_account=account, venue_ids=[venue.pk], now=NOW
    )
    assert link.timespan == DateTimeTZRange(NOW, None, "[)")
    point = VenuePricingPointLink.objects.get(venue=venue)
    assert point.pricing_point_id == venue.pk
    assert AuditEntry.objects.filter(action="venue.bank_account_link", object_id=str(venue.pk))
    # Linking again to the same account changes nothing.
    assert (
        services.bank_account_link_venues(
            actor=setup["member"], bank_account=account, venue_ids=[venue.pk], now=LATER
        )
        == []
    )
    assert VenueBankAccountLink.objects.filter(venue=venue).count() == 1


@pytest.mark.django_db
def test_a_venue_without_siret_needs_its_pricing_point_first(setup):
    annex = setup["annex"]
    with pytest.raises(VenueLinkError, match="point de valorisation") as error:
        services.bank_account_link_venues(
            actor=setup["member"], bank_account=setup["account"], venue_ids=[annex.pk], now=NOW
        )
    assert error.value.code == "pricing_point_missing"
    venue_pricing_point_set(
        actor=setup["member"], venue=annex, pricing_point=setup["venue"], now=NOW
    )
    services.bank_account_link_venues(
        actor=setup["member"], bank_account=setup["account"], venue_ids=[annex.pk], now=NOW
    )
    assert open_links(annex) == [setup["account"].pk]


@pytest.mark.django_db
def test_only_accepted_accounts_and_venues_of_the_same_structure(setup):
    pending = make_bank_account(setup["offerer"], status=BankAccount.Status.UNDER_REVIEW)
    with pytest.raises(VenueLinkError, match="validé"):
        services.bank_account_link_venues(
            actor=setup["member"], bank_account=pending, venue_ids=[setup["venue"].pk], now=NOW
        )
    elsewhere = make_venue(make_offerer(), siret="99999999900011")
    with pytest.raises(VenueLinkError, match="n'appartient pas"):
        services.bank_account_link_venues(
            actor=setup["member"], bank_account=setup["account"], venue_ids=[elsewhere.pk], now=NOW
        )
    outsider = make_member(elsewhere.offerer, "intrus@ailleurs.test")
    with pytest.raises(PermissionDenied):
        services.bank_account_link_venues(
            actor=outsider, bank_account=setup["account"], venue_ids=[setup["venue"].pk], now=NOW
        )
    with pytest.raises(VenueLinkError, match="au moins un lieu"):
        services.bank_account_link_venues(
            actor=setup["member"], bank_account=setup["account"], venue_ids=[], now=NOW
        )
    assert not VenueBankAccountLink.objects.exists()


@pytest.mark.django_db
def test_moving_a_venue_closes_its_link_at_now_unless_the_move_is_not_confirmed(setup):
    venue, member = setup["venue"], setup["member"]
    first = link_venue(venue, setup["account"], since=NOW - dt.timedelta(days=10))
    with pytest.raises(VenueLinkError, match="déjà rattaché") as error:
        services.bank_account_link_venues(
            actor=member,
            bank_account=setup["other_account"],
            venue_ids=[venue.pk],
            now=NOW,
            move=False,
        )
    assert error.value.code == "venue_linked_elsewhere"
    services.bank_account_link_venues(
        actor=member, bank_account=setup["other_account"], venue_ids=[venue.pk], now=NOW
    )
    first.refresh_from_db()
    assert first.timespan == DateTimeTZRange(NOW - dt.timedelta(days=10), NOW, "[)")
    assert open_links(venue) == [setup["other_account"].pk]
    # Moved back at the same instant: the link that never applied is removed, not emptied.
    services.bank_account_link_venues(
        actor=member, bank_account=setup["account"], venue_ids=[venue.pk], now=NOW
    )
    assert open_links(venue) == [setup["account"].pk]
    assert VenueBankAccountLink.objects.filter(venue=venue).count() == 2


@pytest.mark.django_db
def test_unlinking_ends_the_link_and_the_venue_is_no_longer_paid(setup):
    venue = setup["venue"]
    link_venue(venue, setup["account"], since=NOW - dt.timedelta(days=10))
    services.venue_bank_account_unlink(actor=setup["member"], venue=venue, now=NOW)
    assert open_links(venue) == []
    assert not VenueBankAccountLink.objects.filter(venue=venue, timespan__contains=NOW).exists()
    with pytest.raises(VenueLinkError, match="aucun compte"):
        services.venue_bank_account_unlink(actor=setup["member"], venue=venue, now=LATER)


@pytest.mark.django_db
def test_the_database_refuses_two_overlapping_links_for_one_venue(setup):
    link_venue(setup["venue"], setup["account"], since=NOW - dt.timedelta(days=10))
    with (
        pytest.raises(IntegrityError, match="venue_one_bank_account_at_a_time"),
        transaction.atomic(),
    ):
        link_venue(setup["venue"], setup["other_account"], since=NOW)
    # Adjacent half-open ranges do not overlap.
    VenueBankAccountLink.objects.filter(venue=setup["venue"]).update(
        timespan=DateTimeTZRange(NOW - dt.timedelta(days=10), NOW, "[)")
    )
    link_venue(setup["venue"], setup["other_account"], since=NOW)


def test_a_constraint_violation_becomes_a_french_error():
    error = services._link_integrity_error(
        IntegrityError(
            'conflicting key value violates exclusion constraint "venue_one_bank_account_at_a_time"'
        )
    )
    assert error.code == "venue_already_linked"
    assert "rechargez la page" in error.message


def _in_thread(target, results, index):
    try:
        results[index] = target()
    except Exception as exc:  # collected and asserted by the test
        results[index] = exc
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_people_linking_one_venue_at_once_one_wins(setup):
    venue, member = setup["venue"], setup["member"]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def link(account):
        def run():
            barrier.wait()
            return services.bank_account_link_venues(
                actor=member, bank_account=account, venue_ids=[venue.pk], now=NOW, move=False
            )

        return run

    threads = [
        threading.Thread(target=_in_thread, args=(link(account), results, i))
        for i, account in enumerate([setup["account"], setup["other_account"]])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], VenueLinkError)
    assert errors[0].code in {"venue_linked_elsewhere", "venue_already_linked"}
    assert len(open_links(venue)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_raw_inserts_are_serialised_by_the_exclusion_constraint(setup):
    """Without the service's venue lock, the database alone keeps one link: the second insert
    waits for the first transaction and fails once it commits."""
    venue = setup["venue"]
    first_inserted = threading.Event()
    release = threading.Event()
    results: list = [None, None]

    def first():
        with transaction.atomic():
            link_venue(venue, setup["account"], since=NOW)
            first_inserted.set()
            release.wait(timeout=10)
        return "committed"

    def second():
        first_inserted.wait(timeout=10)
        with transaction.atomic():
            link_venue(venue, setup["other_account"], since=NOW + dt.timedelta(hours=1))
        return "committed"

    threads = [
        threading.Thread(target=_in_thread, args=(first, results, 0)),
        threading.Thread(target=_in_thread, args=(second, results, 1)),
    ]
    for thread in threads:
        thread.start()
    first_inserted.wait(timeout=10)
    threading.Timer(0.5, release.set).start()  # the second insert is blocked meanwhile
    for thread in threads:
        thread.join(timeout=30)
    assert results[0] == "committed"
    assert isinstance(results[1], IntegrityError)
    assert open_links(venue) == [setup["account"].pk]
