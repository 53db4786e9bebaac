"""Price categories (tarifs): limits, uniqueness, deletion while draft, and the 50 cap under
concurrency."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from offers_helpers import NOW, db_state, make_draft, make_publishable, once, publish

from culturepass.core.errors import DomainError
from culturepass.offers import services
from culturepass.offers.models import Offer, PriceCategory, Stock
from culturepass.offers.recurrence import PriceCategoryQuantity
from culturepass.offers.services import ValidationErrors


def add(actor, offer, label="Plein tarif", price_cents=1500):
    return services.price_category_add(
        actor=actor, offer=offer, label=label, price_cents=price_cents, now=NOW
    )


def test_a_price_category_is_added_and_the_wizard_moves_on(pro_a, draft):
    pc = add(pro_a, draft, label="  Catégorie   A ", price_cents=2500)

    assert (pc.label, pc.price_cents, pc.offer_id) == ("Catégorie A", 2500, draft.pk)
    assert Offer.objects.get(pk=draft.pk).wizard_step == "prices"


def test_a_blank_label_becomes_tarif_unique(pro_a, draft):
    assert add(pro_a, draft, label="").label == "Tarif unique"


def test_free_and_300_euro_prices_are_accepted(pro_a, draft):
    assert add(pro_a, draft, label="Gratuit", price_cents=0).price_cents == 0
    assert add(pro_a, draft, label="Carré or", price_cents=30_000).price_cents == 30_000


def test_a_price_of_300_euros_and_1_cent_is_refused_and_saves_nothing(pro_a, draft):
    before = db_state(draft)

    with pytest.raises(ValidationErrors) as error:
        add(pro_a, draft, price_cents=30_001)

    assert error.value.errors == {"price_cents": "Le prix ne peut pas dépasser 300 €."}
    assert db_state(draft) == before


def test_a_negative_price_is_refused(pro_a, draft):
    with pytest.raises(ValidationErrors) as error:
        add(pro_a, draft, price_cents=-1)

    assert error.value.errors == {"price_cents": "Le prix ne peut pas être négatif."}


def test_a_label_over_50_characters_is_refused(pro_a, draft):
    with pytest.raises(ValidationErrors) as error:
        add(pro_a, draft, label="x" * 51)

    assert list(error.value.errors) == ["label"]


def test_the_same_label_and_price_twice_is_refused(pro_a, draft):
    add(pro_a, draft, label="Balcon", price_cents=1000)
    before = db_state(draft)

    with pytest.raises(DomainError) as error:
        add(pro_a, draft, label="Balcon", price_cents=1000)

    assert error.value.code == "price_category_duplicate"
    assert error.value.message == "Un tarif avec cet intitulé et ce prix existe déjà."
    assert db_state(draft) == before


def test_the_same_label_at_another_price_is_another_price_category(pro_a, draft):
    add(pro_a, draft, label="Balcon", price_cents=1000)
    add(pro_a, draft, label="Balcon", price_cents=1200)

    assert PriceCategory.objects.filter(offer=draft).count() == 2


def test_a_51st_price_category_is_refused_and_saves_nothing(pro_a, draft):
    for i in range(50):
        add(pro_a, draft, label=f"Tarif {i}", price_cents=100 + i)
    before = db_state(draft)

    with pytest.raises(DomainError) as error:
        add(pro_a, draft, label="Tarif de trop", price_cents=5000)

    assert error.value.code == "too_many_price_categories"
    assert error.value.message == "Une offre peut avoir au plus 50 tarifs."
    assert db_state(draft) == before


def test_renaming_or_repricing_reaches_every_date_of_the_price_category(pro_a, publishable):
    pc = PriceCategory.objects.get(offer=publishable)

    services.price_category_update(
        actor=pro_a, price_category=pc, label="Tarif plein", price_cents=1800, now=NOW
    )

    stock = Stock.objects.get(offer=publishable)
    assert (stock.price_category.label, stock.price_category.price_cents) == ("Tarif plein", 1800)


def test_an_update_cannot_create_a_duplicate_or_exceed_300_euros(pro_a, draft):
    add(pro_a, draft, label="A", price_cents=1000)
    b = add(pro_a, draft, label="B", price_cents=1000)

    with pytest.raises(DomainError) as duplicate:
        services.price_category_update(
            actor=pro_a, price_category=b, label="A", price_cents=1000, now=NOW
        )
    with pytest.raises(ValidationErrors) as too_high:
        services.price_category_update(
            actor=pro_a, price_category=b, label="B", price_cents=30_001, now=NOW
        )

    assert duplicate.value.code == "price_category_duplicate"
    assert too_high.value.errors == {"price_cents": "Le prix ne peut pas dépasser 300 €."}
    b.refresh_from_db()
    assert (b.label, b.price_cents) == ("B", 1000)


def test_deleting_a_price_category_of_a_draft_deletes_its_dates(pro_a, venue_a):
    offer = make_publishable(pro_a, venue_a, prices=(1000, 2000))
    cheap, dear = PriceCategory.objects.filter(offer=offer).order_by("price_cents")

    deleted = services.price_category_delete(actor=pro_a, price_category=cheap, now=NOW)

    assert deleted == 1
    assert list(PriceCategory.objects.filter(offer=offer)) == [dear]
    assert list(Stock.objects.filter(offer=offer).values_list("price_category_id", flat=True)) == [
        dear.pk
    ]


def test_a_price_category_cannot_be_deleted_once_the_offer_is_published(pro_a, publishable):
    offer = publish(pro_a, publishable)
    pc = PriceCategory.objects.get(offer=offer)
    before = db_state(offer)

    with pytest.raises(DomainError) as error:
        services.price_category_delete(actor=pro_a, price_category=pc, now=NOW)

    assert error.value.code == "price_category_locked"
    assert db_state(offer) == before


def test_another_structure_cannot_touch_my_price_categories(pro_b, structure_b, publishable):
    pc = PriceCategory.objects.get(offer=publishable)

    with pytest.raises(DomainError) as update:
        services.price_category_update(
            actor=pro_b, price_category=pc, label="X", price_cents=1, now=NOW
        )
    with pytest.raises(DomainError) as delete:
        services.price_category_delete(actor=pro_b, price_category=pc, now=NOW)

    assert update.value.code == delete.value.code == "not_found"
    assert PriceCategory.objects.filter(pk=pc.pk, label="Tarif 1").exists()


def test_a_rejected_offer_gets_no_new_price_category(pro_a, publishable, compliance_staff):
    services.offer_reject(
        actor=compliance_staff, offer=publish(pro_a, publishable), reason="Hors cadre", now=NOW
    )

    with pytest.raises(DomainError) as error:
        add(pro_a, publishable, label="Nouveau")

    assert error.value.code == "offer_rejected"


# --- concurrency: the 50 cap under two simultaneous adds --------------------------------------


def _add_concurrently(actor, offer_id: int) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(label: str) -> None:
        try:
            barrier.wait(timeout=5)
            services.price_category_add(
                actor=actor,
                offer=Offer.objects.get(pk=offer_id),
                label=label,
                price_cents=9000,
                now=NOW,
            )
            outcomes.append("added")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(label,)) for label in ("Fifty A", "Fifty B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return outcomes


@pytest.mark.parametrize("offer_lock", [True, False], ids=["offer-lock", "no-offer-lock"])
def test_two_simultaneous_adds_of_the_50th_price_category_make_exactly_one(
    transactional_db, pro_a, venue_a, monkeypatch, offer_lock
):
    offer = make_draft(pro_a, venue_a)
    PriceCategory.objects.bulk_create(
        PriceCategory(offer=offer, label=f"T{i}", price_cents=i, created_at=NOW) for i in range(49)
    )
    # Widen the window between the count and the insert, so both adds overlap.
    real_create = PriceCategory.objects.create

    def slow_create(**kwargs):
        time.sleep(0.3)
        return real_create(**kwargs)

    monkeypatch.setattr(PriceCategory.objects, "create", slow_create)
    if not offer_lock:
        # Proves the test sees the race: without the row lock both adds pass the count.
        monkeypatch.setattr(
            type(Offer.objects), "select_for_update", lambda self, *args, **kwargs: self.all()
        )

    outcomes = _add_concurrently(pro_a, offer.pk)

    count = PriceCategory.objects.filter(offer=offer).count()
    if offer_lock:
        assert sorted(outcomes) == ["added", "too_many_price_categories"]
        assert count == 50
    else:
        assert outcomes == ["added", "added"]
        assert count == 51


def test_generated_dates_point_at_the_offer_price_categories_only(pro_a, venue_a, draft):
    other = make_publishable(pro_a, venue_a)
    foreign = PriceCategory.objects.get(offer=other)
    before = db_state(draft)

    with pytest.raises(DomainError) as error:
        services.stocks_generate(
            actor=pro_a,
            offer=draft,
            rule=once(),
            quantities=[PriceCategoryQuantity(foreign.pk, 10)],
            now=NOW,
        )

    assert error.value.code == "price_category_unknown"
    assert db_state(draft) == before
