"""Highlight blocks: staff services (rights, validation, order, audit) and the home selector."""

from __future__ import annotations

import datetime as dt

import pytest
from discovery_helpers import NOW, make_offer, make_offerer, make_venue
from django.db import connection
from django.test.utils import CaptureQueriesContext

from culturepass.core.errors import DomainError, PermissionDenied
from culturepass.core.models import AuditEntry
from culturepass.highlights import services
from culturepass.highlights.models import HighlightBlock
from culturepass.highlights.selectors import home_blocks
from culturepass.offers.services import ValidationErrors

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    return make_venue(make_offerer())


def create(actor, title="Immanquables", kind="IMMANQUABLES", **kwargs):
    return services.highlight_block_create(actor=actor, title=title, kind=kind, now=NOW, **kwargs)


def titles(blocks) -> list[str]:
    return [b.block.title for b in blocks]


def offer_names(block) -> list[str]:
    return [hit.offer.name for hit in block.hits]


def test_territorial_staff_creates_a_block_with_offers_in_order(territorial, venue):
    one, two, three = (make_offer(venue, name=n) for n in ("Un", "Deux", "Trois"))
    block = create(territorial)
    for offer in (two, one, three):
        services.highlight_offer_add(actor=territorial, block=block, offer_id=offer.pk, now=NOW)
    [home] = home_blocks(now=NOW)
    assert offer_names(home) == ["Deux", "Un", "Trois"]

    services.highlight_offer_move(
        actor=territorial, block=block, offer_id=three.pk, delta=-2, now=NOW
    )
    services.highlight_offer_remove(actor=territorial, block=block, offer_id=two.pk, now=NOW)
    [home] = home_blocks(now=NOW)
    assert offer_names(home) == ["Trois", "Un"]
    assert list(
        AuditEntry.objects.filter(object_type="highlights.highlightblock")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "highlight.create",
        "highlight.offer_add",
        "highlight.offer_add",
        "highlight.offer_add",
        "highlight.reorder",
        "highlight.offer_remove",
    ]
    last = AuditEntry.objects.order_by("-pk").first()
    assert last.before == {"offers": [three.pk, two.pk, one.pk]}
    assert last.after == {"offers": [three.pk, one.pk]}


def test_reorder_needs_exactly_the_blocks_offers(territorial, venue):
    one, two = make_offer(venue, name="Un"), make_offer(venue, name="Deux")
    block = create(territorial)
    for offer in (one, two):
        services.highlight_offer_add(actor=territorial, block=block, offer_id=offer.pk, now=NOW)
    services.highlight_offers_reorder(
        actor=territorial, block=block, offer_ids=[two.pk, one.pk], now=NOW
    )
    assert offer_names(home_blocks(now=NOW)[0]) == ["Deux", "Un"]
    with pytest.raises(DomainError) as error:
        services.highlight_offers_reorder(
            actor=territorial, block=block, offer_ids=[one.pk], now=NOW
        )
    assert error.value.code == "highlight_reorder_mismatch"


def test_only_territorial_staff_may_edit(support_only, territorial, pro_a):
    for actor in (support_only, pro_a):
        with pytest.raises(PermissionDenied):
            create(actor)
    block = create(territorial)
    with pytest.raises(PermissionDenied):
        services.highlight_block_delete(actor=support_only, block=block, now=NOW)
    assert HighlightBlock.objects.count() == 1


def test_block_validation_errors_are_french(territorial):
    with pytest.raises(ValidationErrors) as error:
        create(territorial, title=" ", kind="REGIONAL")
    assert error.value.errors == {
        "title": "Donnez un titre au bloc.",
        "region_code": "Un bloc régional a une région.",
    }
    with pytest.raises(ValidationErrors) as error:
        create(territorial, active_from=NOW, active_until=NOW - dt.timedelta(days=1))
    assert set(error.value.errors) == {"active_until"}


def test_offer_must_exist_be_approved_and_not_twice(territorial, venue):
    block = create(territorial)
    pending = make_offer(venue, validation="PENDING")
    offer = make_offer(venue)
    with pytest.raises(DomainError) as error:
        services.highlight_offer_add(actor=territorial, block=block, offer_id=pending.pk, now=NOW)
    assert error.value.code == "highlight_offer_not_approved"
    with pytest.raises(DomainError) as error:
        services.highlight_offer_add(actor=territorial, block=block, offer_id=999_999, now=NOW)
    assert error.value.code == "not_found"
    services.highlight_offer_add(actor=territorial, block=block, offer_id=offer.pk, now=NOW)
    with pytest.raises(DomainError) as error:
        services.highlight_offer_add(actor=territorial, block=block, offer_id=offer.pk, now=NOW)
    assert error.value.code == "highlight_offer_already_in_block"


def test_update_and_delete(territorial):
    block = create(territorial)
    services.highlight_block_update(
        actor=territorial, block=block, title="Festivals", kind="THEME", position=5, now=NOW
    )
    block.refresh_from_db()
    assert (block.title, block.kind, block.position) == ("Festivals", "THEME", 5)
    services.highlight_block_delete(actor=territorial, block=block, now=NOW)
    assert not HighlightBlock.objects.exists()
    assert AuditEntry.objects.filter(action="highlight.delete").count() == 1


def test_home_shows_active_blocks_of_the_region_with_visible_offers_only(territorial, venue):
    visible = make_offer(venue, name="Visible")
    expired = make_offer(venue, name="Passée", days=(-1,))
    inactive = make_offer(venue, name="Désactivée", is_active=False)

    def block_with(title, *offers, **kwargs):
        block = create(territorial, title=title, **kwargs)
        for offer in offers:
            services.highlight_offer_add(actor=territorial, block=block, offer_id=offer.pk, now=NOW)
        return block

    block_with("Immanquables", expired, visible, inactive)
    block_with("Île-de-France", visible, kind="REGIONAL", region_code="11")
    block_with("Provence", visible, kind="REGIONAL", region_code="93")
    block_with("Rien de visible", expired, kind="THEME")
    block_with("Plus tard", visible, kind="THEME", active_from=NOW + dt.timedelta(days=1))
    block_with("Fini", visible, kind="THEME", active_until=NOW)

    with CaptureQueriesContext(connection) as queries:
        blocks = home_blocks(now=NOW, region_code="11")
        shown = [(b.block.title, offer_names(b)) for b in blocks]
        [hit.offer.venue.display_name for b in blocks for hit in b.hits]
    assert len(queries) == 2
    assert shown == [("Immanquables", ["Visible"]), ("Île-de-France", ["Visible"])]
    assert blocks[0].hits[0].min_price_cents == 1500
    assert titles(home_blocks(now=NOW)) == ["Immanquables"]
    assert titles(home_blocks(now=NOW + dt.timedelta(days=2), region_code="93")) == [
        "Immanquables",
        "Provence",
        "Plus tard",
    ]
