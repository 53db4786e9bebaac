"""Compliance: rule matching (pure), the staff review (approve, reject) and rule management."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import mail
from offers_helpers import NOW, db_state, publish

from culturepass.core.errors import DomainError
from culturepass.core.models import AuditEntry
from culturepass.notifications.services import outbox_deliver_due
from culturepass.offers import compliance, services
from culturepass.offers.compliance import OfferFacts, decide, keyword_matches, rule_matches
from culturepass.offers.models import Offer, PriceCategory, ValidationRule
from culturepass.offers.services import ValidationErrors


def deliver_emails():
    """Send what the outbox holds, as the worker would at the tests' clock."""
    outbox_deliver_due(now=NOW)
    return list(mail.outbox)


@dataclass
class R:
    kind: str
    parameters: dict[str, Any] = field(default_factory=dict)
    is_active: bool = True
    name: str = "r"


def facts(**overrides) -> OfferFacts:
    values: dict[str, Any] = {
        "name": "Soirée électro",
        "description": "Une nuit de musique au bord de l'eau.",
        "subcategory_id": "CONCERT",
        "prices_cents": (1000, 2500),
        "offerer_confidence": "NORMAL",
    }
    values.update(overrides)
    return OfferFacts(**values)


# --- pure matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        ("soiree", "Soirée électro", True),
        ("SOIRÉE", "une soiree", True),
        ("électro", "ELECTRO live", True),
        ("art", "une partie de cartes", False),
        ("art", "l'art de la fugue", True),
        ("open bar", "Soirée open-bar gratuite", True),
        ("open bar", "open du bar", False),
        ("bière", "Bières artisanales", False),
        ("œuvre", "Une oeuvre majeure", True),
        ("", "tout", False),
        ("!!", "tout !!", False),
    ],
)
def test_keywords_match_whole_words_ignoring_case_and_accents(keyword, text, expected):
    assert keyword_matches(keyword, text) is expected


def test_a_keyword_rule_looks_at_title_and_description():
    in_description = R("KEYWORD", {"keywords": ["eau"]})
    absent = R("KEYWORD", {"keywords": ["alcool", "tabac"]})

    assert rule_matches(in_description, facts())
    assert not rule_matches(absent, facts())


def test_a_price_rule_matches_strictly_above_its_threshold():
    assert rule_matches(R("PRICE_ABOVE", {"price_cents": 2499}), facts())
    assert not rule_matches(R("PRICE_ABOVE", {"price_cents": 2500}), facts())
    assert not rule_matches(R("PRICE_ABOVE", {"price_cents": 0}), facts(prices_cents=()))


def test_a_malformed_price_rule_matches_nothing():
    assert not rule_matches(R("PRICE_ABOVE", {"price_cents": "beaucoup"}), facts())
    assert not rule_matches(R("PRICE_ABOVE", {}), facts())


def test_a_subcategory_rule_matches_listed_subcategories():
    assert rule_matches(R("SUBCATEGORY", {"subcategory_ids": ["CONCERT"]}), facts())
    assert not rule_matches(R("SUBCATEGORY", {"subcategory_ids": ["VISITE"]}), facts())


def test_an_offerer_confidence_rule_matches_structures_under_manual_review():
    assert rule_matches(R("OFFERER_CONFIDENCE"), facts(offerer_confidence="MANUAL_REVIEW"))
    assert not rule_matches(R("OFFERER_CONFIDENCE"), facts())


def test_an_unknown_rule_kind_matches_nothing():
    assert not rule_matches(R("MOON_PHASE"), facts())


def test_no_matching_rule_means_approved():
    decision = decide(facts=facts(), rules=[R("KEYWORD", {"keywords": ["alcool"]})])

    assert (decision.validation, decision.matched, decision.needs_review) == (
        "APPROVED",
        (),
        False,
    )


def test_a_matching_active_rule_means_review_and_says_which():
    matching = R("PRICE_ABOVE", {"price_cents": 2000}, name="Cher")
    inactive = R("KEYWORD", {"keywords": ["electro"]}, is_active=False)

    decision = decide(facts=facts(), rules=[matching, inactive])

    assert decision.validation == "PENDING"
    assert decision.matched == (matching,)


def test_whitelisted_structures_skip_every_rule():
    decision = decide(
        facts=facts(offerer_confidence="WHITELIST"),
        rules=[R("SUBCATEGORY", {"subcategory_ids": ["CONCERT"]})],
    )

    assert (decision.validation, decision.reason) == ("APPROVED", "whitelist")


def test_structures_under_manual_review_are_always_reviewed():
    decision = decide(facts=facts(offerer_confidence="MANUAL_REVIEW"), rules=[])

    assert (decision.validation, decision.reason) == ("PENDING", "manual_review")


@pytest.mark.parametrize(
    ("kind", "parameters", "cleaned", "errors"),
    [
        (
            "KEYWORD",
            {"keywords": "alcool\n tabac, alcool"},
            {"keywords": ["alcool", "tabac"]},
            set(),
        ),
        ("KEYWORD", {"keywords": []}, {"keywords": []}, {"parameters.keywords"}),
        ("PRICE_ABOVE", {"price_cents": "15000"}, {"price_cents": 15000}, set()),
        ("PRICE_ABOVE", {"price_cents": "quinze"}, {}, {"parameters.price_cents"}),
        ("PRICE_ABOVE", {"price_cents": -1}, {"price_cents": -1}, {"parameters.price_cents"}),
        ("SUBCATEGORY", {"subcategory_ids": ["CONCERT"]}, {"subcategory_ids": ["CONCERT"]}, set()),
        (
            "SUBCATEGORY",
            {"subcategory_ids": ["NOPE"]},
            {"subcategory_ids": ["NOPE"]},
            {"parameters.subcategory_ids"},
        ),
        ("OFFERER_CONFIDENCE", {"anything": 1}, {}, set()),
        ("OTHER", {}, {}, {"kind"}),
    ],
)
def test_rule_parameters_are_cleaned_or_reported(kind, parameters, cleaned, errors):
    result, problems = compliance.clean_rule_parameters(kind, parameters)

    assert set(problems) == errors
    assert result == cleaned


# --- staff review -----------------------------------------------------------------------------


@pytest.fixture
def pending(pro_a, publishable):
    ValidationRule.objects.create(
        name="Tout",
        kind="SUBCATEGORY",
        parameters={"subcategory_ids": ["CONCERT"]},
        created_at=NOW,
        updated_at=NOW,
    )
    offer = publish(pro_a, publishable)
    assert offer.validation == Offer.Validation.PENDING
    return offer


def test_compliance_staff_approve_an_offer_under_review_and_the_pros_hear_of_it(
    compliance_staff, pending
):
    offer = services.offer_approve(actor=compliance_staff, offer=pending, now=NOW)

    assert (offer.validation, offer.validated_at) == (Offer.Validation.APPROVED, NOW)
    entry = AuditEntry.objects.get(action="offer.approve")
    assert entry.actor == compliance_staff
    (email,) = deliver_emails()
    assert "est validée" in email.subject


def test_a_rejection_needs_a_reason(compliance_staff, pending):
    before = db_state(pending)

    with pytest.raises(DomainError) as error:
        services.offer_reject(actor=compliance_staff, offer=pending, reason="  ", now=NOW)

    assert (error.value.code, error.value.field) == ("reason_required", "reason")
    assert db_state(pending) == before


def test_a_rejection_reason_is_emailed_to_the_notification_address_and_the_members(
    pro_a, compliance_staff, pending
):
    Offer.objects.filter(pk=pending.pk).update(booking_email="resa@structure-a.test")

    offer = services.offer_reject(
        actor=compliance_staff, offer=pending, reason="Offre hors du champ culturel.", now=NOW
    )

    assert offer.validation == Offer.Validation.REJECTED
    assert offer.rejection_reason == "Offre hors du champ culturel."
    (email,) = deliver_emails()
    assert sorted(email.to) == ["pro-a@structure-a.test", "resa@structure-a.test"]
    assert "Concert du printemps" in email.subject
    assert "Offre hors du champ culturel." in email.body
    entry = AuditEntry.objects.get(action="offer.reject")
    assert entry.comment == "Offre hors du champ culturel."


def test_a_rejected_offer_is_read_only_for_the_pros(pro_a, compliance_staff, pending):
    services.offer_reject(actor=compliance_staff, offer=pending, reason="Non", now=NOW)
    before = db_state(pending)
    pc = PriceCategory.objects.get(offer=pending)
    calls = [
        lambda: services.offer_update_description(
            actor=pro_a,
            offer=pending,
            name="Autre",
            description="",
            extra_data={},
            duration_minutes=None,
            now=NOW,
        ),
        lambda: services.offer_update_location(
            actor=pro_a, offer=pending, address_kind="VENUE", now=NOW
        ),
        lambda: services.offer_set_duo(actor=pro_a, offer=pending, is_duo=False, now=NOW),
        lambda: services.price_category_update(
            actor=pro_a, price_category=pc, label="X", price_cents=1, now=NOW
        ),
        lambda: services.offer_deactivate(actor=pro_a, offers=[pending], now=NOW),
        lambda: services.offer_remove_image(actor=pro_a, offer=pending, now=NOW),
    ]
    for call in calls:
        with pytest.raises(DomainError) as error:
            call()
        assert error.value.code == "offer_rejected"
    assert db_state(pending) == before


def test_a_rejected_offer_can_still_be_duplicated_into_a_new_draft(
    pro_a, compliance_staff, pending
):
    services.offer_reject(actor=compliance_staff, offer=pending, reason="Non", now=NOW)

    copy = services.offer_duplicate(actor=pro_a, offer=pending, now=NOW)

    assert copy.validation == Offer.Validation.DRAFT
    assert copy.rejection_reason == ""


def test_staff_can_approve_an_offer_rejected_by_mistake(compliance_staff, pending):
    services.offer_reject(actor=compliance_staff, offer=pending, reason="Erreur", now=NOW)

    offer = services.offer_approve(actor=compliance_staff, offer=pending, now=NOW)

    assert (offer.validation, offer.rejection_reason) == (Offer.Validation.APPROVED, "")


def test_staff_can_reject_an_approved_offer_but_not_a_draft(compliance_staff, pro_a, draft):
    with pytest.raises(DomainError) as error:
        services.offer_reject(actor=compliance_staff, offer=draft, reason="Non", now=NOW)

    assert error.value.code == "offer_invalid_transition"


def test_approving_an_approved_offer_is_an_invalid_transition(compliance_staff, pending):
    services.offer_approve(actor=compliance_staff, offer=pending, now=NOW)

    with pytest.raises(DomainError) as error:
        services.offer_approve(actor=compliance_staff, offer=pending, now=NOW)

    assert error.value.code == "offer_invalid_transition"


def test_only_staff_with_the_compliance_permission_review_offers(pro_a, homologation_only, pending):
    for actor in (pro_a, homologation_only):
        with pytest.raises(DomainError) as approve:
            services.offer_approve(actor=actor, offer=pending, now=NOW)
        with pytest.raises(DomainError) as reject:
            services.offer_reject(actor=actor, offer=pending, reason="Non", now=NOW)
        assert approve.value.code == reject.value.code == "staff_required"
    assert Offer.objects.get(pk=pending.pk).validation == Offer.Validation.PENDING


# --- rules ------------------------------------------------------------------------------------


def test_compliance_staff_create_change_and_delete_a_rule(compliance_staff):
    created = services.validation_rule_save(
        actor=compliance_staff,
        name=" Alcool ",
        kind="KEYWORD",
        parameters={"keywords": "alcool\nbière"},
        is_active=True,
        now=NOW,
    )
    assert (created.name, created.parameters) == ("Alcool", {"keywords": ["alcool", "bière"]})

    changed = services.validation_rule_save(
        actor=compliance_staff,
        rule=created,
        name="Alcool",
        kind="PRICE_ABOVE",
        parameters={"price_cents": 20000},
        is_active=False,
        now=NOW,
    )
    assert (changed.kind, changed.parameters, changed.is_active) == (
        "PRICE_ABOVE",
        {"price_cents": 20000},
        False,
    )

    services.validation_rule_delete(actor=compliance_staff, rule=changed, now=NOW)

    assert not ValidationRule.objects.exists()
    assert list(
        AuditEntry.objects.filter(object_type="offers.validationrule")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["validation_rule.create", "validation_rule.update", "validation_rule.delete"]


def test_an_invalid_rule_reports_its_fields_and_saves_nothing(compliance_staff):
    with pytest.raises(ValidationErrors) as error:
        services.validation_rule_save(
            actor=compliance_staff,
            name="",
            kind="SUBCATEGORY",
            parameters={"subcategory_ids": []},
            is_active=True,
            now=NOW,
        )

    assert set(error.value.errors) == {"name", "parameters.subcategory_ids"}
    assert not ValidationRule.objects.exists()


def test_only_compliance_staff_manage_rules(pro_a, homologation_only):
    rule = ValidationRule.objects.create(
        name="R", kind="OFFERER_CONFIDENCE", created_at=NOW, updated_at=NOW
    )
    for actor in (pro_a, homologation_only):
        with pytest.raises(DomainError) as save:
            services.validation_rule_save(
                actor=actor,
                name="X",
                kind="OFFERER_CONFIDENCE",
                parameters={},
                is_active=True,
                now=NOW,
            )
        with pytest.raises(DomainError) as delete:
            services.validation_rule_delete(actor=actor, rule=rule, now=NOW)
        assert save.value.code == delete.value.code == "staff_required"
    assert ValidationRule.objects.count() == 1
