"""Compliance in the backoffice: the review queue, approving and rejecting offers, the rules."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from culturepass.accounts.models import User
from culturepass.core.models import AuditEntry
from culturepass.notifications.models import OutboxEmail
from culturepass.offerers.models import Offerer
from culturepass.offers import services
from culturepass.offers.models import Offer, ValidationRule
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceMode, RecurrenceRule
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


# --- Personas and offers ------------------------------------------------------------------------


@pytest.fixture
def compliance_user(make_staff) -> User:
    return make_staff("conformite@culturepass.test", "compliance")


@pytest.fixture
def other_staff(make_staff) -> User:
    """Staff without the compliance permission."""
    return make_staff("finance@culturepass.test", "finance", "homologation")


def _rule(actor: User, **kwargs: Any) -> ValidationRule:
    data: dict[str, Any] = {
        "name": "Prix élevé",
        "kind": "PRICE_ABOVE",
        "parameters": {"price_cents": 15000},
        "is_active": True,
    }
    data.update(kwargs)
    return services.validation_rule_save(actor=actor, now=timezone.now(), **data)


def _published_offer(
    pro: User,
    offerer: Offerer,
    *,
    name: str = "Pass VIP",
    description: str = "Accès aux coulisses.",
    prices: tuple[tuple[str, int], ...] = (("Plein tarif", 18000),),
    days_ahead: int = 7,
    now: dt.datetime | None = None,
) -> Offer:
    """An offer of ``offerer`` built through the wizard's services and published."""
    now = now or timezone.now()
    venue = offerer.venues.get(is_head_office=True)
    offer = services.offer_create_draft(actor=pro, venue=venue, subcategory_id="CONCERT", now=now)
    services.offer_update_description(
        actor=pro,
        offer=offer,
        name=name,
        description=description,
        extra_data={},
        duration_minutes=90,
        now=now,
    )
    services.offer_update_practical_info(
        actor=pro,
        offer=offer,
        withdrawal_type="by_email",
        withdrawal_delay_seconds=48 * 3600,
        withdrawal_details="",
        booking_contact="billetterie@structure-a.test",
        booking_email="",
        accessibility_motor=False,
        accessibility_visual=False,
        accessibility_hearing=False,
        accessibility_mental=False,
        external_ticket_office_url="",
        now=now,
    )
    categories = [
        services.price_category_add(actor=pro, offer=offer, label=label, price_cents=cents, now=now)
        for label, cents in prices
    ]
    services.stocks_generate(
        actor=pro,
        offer=offer,
        rule=RecurrenceRule(
            mode=RecurrenceMode.ONCE,
            start_date=(now + dt.timedelta(days=days_ahead)).date(),
            time_slots=(dt.time(20, 0),),
        ),
        quantities=[PriceCategoryQuantity(pc.pk, 50) for pc in categories],
        now=now,
    )
    return services.offer_publish(actor=pro, offer=offer, now=now)


@pytest.fixture
def pending_offer(compliance_user, pro_a, structure_a) -> Offer:
    _rule(compliance_user)
    offer = _published_offer(pro_a, structure_a)
    assert offer.validation == Offer.Validation.PENDING
    return offer


def _text(page: str) -> str:
    """The visible text of a page, tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


# --- Access -------------------------------------------------------------------------------------


def test_urls_are_stable() -> None:
    assert reverse("backoffice:offer_queue") == "/backoffice/offres/"
    assert reverse("backoffice:offer_detail", args=[7]) == "/backoffice/offres/7/"
    assert reverse("backoffice:validation_rule_list") == "/backoffice/offres/regles/"


def test_anonymous_goes_to_login_and_others_are_refused(
    client: Client, pending_offer: Offer, pro_a: User, other_staff: User
) -> None:
    get_urls = [
        reverse("backoffice:offer_queue"),
        reverse("backoffice:offer_list"),
        reverse("backoffice:offer_detail", args=[pending_offer.pk]),
        reverse("backoffice:validation_rule_list"),
        reverse("backoffice:validation_rule_create") + "?type=KEYWORD",
    ]
    post_urls = [
        reverse("backoffice:offer_approve", args=[pending_offer.pk]),
        reverse("backoffice:offer_reject", args=[pending_offer.pk]),
    ]
    for url in get_urls:
        assert client.get(url).status_code == 302
    for user in (pro_a, other_staff):
        client.force_login(user)
        for url in get_urls:
            assert client.get(url).status_code == 403, url
        for url in post_urls:
            assert client.post(url, {"reason": "Non."}).status_code == 403, url
    pending_offer.refresh_from_db()
    assert pending_offer.validation == Offer.Validation.PENDING


def test_nav_and_dashboard_show_the_queue_to_compliance_only(
    client: Client, pending_offer: Offer, compliance_user: User, other_staff: User
) -> None:
    client.force_login(compliance_user)
    page = client.get(reverse("backoffice:dashboard")).text
    assert re.search(
        r'<h3>Offres à examiner</h3>\s*<p><strong class="queue-count">1</strong>', page
    )
    assert f'href="{reverse("backoffice:offer_queue")}"' in page

    client.force_login(other_staff)
    page = client.get(reverse("backoffice:dashboard")).text
    assert "Offres à examiner" not in page
    assert reverse("backoffice:offer_queue") not in page


# --- Queue and review page ---------------------------------------------------------------------


def test_queue_lists_pending_offers_oldest_first_with_the_rules_they_match(
    client: Client, compliance_user: User, pro_a: User, structure_a: Offerer
) -> None:
    _rule(compliance_user)
    _rule(
        compliance_user,
        name="Alcool",
        kind="KEYWORD",
        parameters={"keywords": ["dégustation"]},
    )
    earlier = timezone.now() - dt.timedelta(hours=2)
    first = _published_offer(pro_a, structure_a, name="Pass VIP", now=earlier)
    second = _published_offer(
        pro_a,
        structure_a,
        name="Soirée dégustation",
        description="Dégustation et DJ set.",
        prices=(("Tarif unique", 1000),),
    )
    approved = _published_offer(
        pro_a, structure_a, name="Concert sans souci", prices=(("Tarif unique", 1000),)
    )
    assert approved.validation == Offer.Validation.APPROVED
    client.force_login(compliance_user)

    response = client.get(reverse("backoffice:offer_queue"))

    assert response.status_code == 200
    text = _text(response.text)
    assert text.index("Pass VIP") < text.index("Soirée dégustation")
    assert "Concert sans souci" not in text
    assert "Festival des Lumières" in text  # structure
    assert "Concert" in text  # subcategory label
    assert "Plein tarif : 180,00 €" in text
    assert "Prix élevé" in text
    assert "Alcool" in text
    assert f"/backoffice/offres/{first.pk}/" in response.text
    assert f"/backoffice/offres/{second.pk}/" in response.text


def test_review_page_shows_the_offer_its_prices_dates_and_structure(
    client: Client, pending_offer: Offer, compliance_user: User
) -> None:
    Offerer.objects.filter(pk=pending_offer.offerer_id).update(confidence_level="MANUAL_REVIEW")
    client.force_login(compliance_user)

    response = client.get(reverse("backoffice:offer_detail", args=[pending_offer.pk]))

    assert response.status_code == 200
    text = _text(response.text)
    assert "Pass VIP" in text
    assert "Accès aux coulisses." in text
    assert "Plein tarif" in text
    assert "180,00 €" in text
    assert "1 date à venir" in text
    assert "sous surveillance (toujours revue)" in text  # confidence level
    assert "Prix élevé" in text  # the matching rule
    assert "Les billets seront envoyés par email" in text
    assert "48 heures" in text
    assert 'name="reason"' in response.text
    assert ">Valider<" in response.text
    assert ">Refuser<" in response.text
    assert "offer.publish" in text  # history


def test_list_searches_all_offers_by_title_structure_and_status(
    client: Client, pending_offer: Offer, compliance_user: User, pro_a, structure_a
) -> None:
    _published_offer(pro_a, structure_a, name="Concert sans souci", prices=(("Tarif", 1000),))
    client.force_login(compliance_user)
    url = reverse("backoffice:offer_list")

    text = _text(client.get(url).text)
    assert "Pass VIP" in text
    assert "Concert sans souci" in text

    text = _text(client.get(url, {"status": "PENDING"}).text)
    assert "Pass VIP" in text
    assert "Concert sans souci" not in text

    text = _text(client.get(url, {"status": "ACTIVE"}).text)
    assert "Pass VIP" not in text
    assert "Concert sans souci" in text

    text = _text(client.get(url, {"q": "souci"}).text)
    assert "Pass VIP" not in text
    assert "Concert sans souci" in text

    text = _text(client.get(url, {"q": "lumières"}).text)
    assert "Pass VIP" in text
    assert "Concert sans souci" in text


# --- Decisions ----------------------------------------------------------------------------------


def test_approving_makes_the_offer_approved_audited_and_tells_the_structure(
    client: Client, pending_offer: Offer, compliance_user: User
) -> None:
    deliver_emails()
    client.force_login(compliance_user)

    response = client.post(reverse("backoffice:offer_approve", args=[pending_offer.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:offer_queue")
    pending_offer.refresh_from_db()
    assert pending_offer.validation == Offer.Validation.APPROVED
    entry = AuditEntry.objects.get(action="offer.approve", object_id=str(pending_offer.pk))
    assert entry.actor == compliance_user
    assert entry.before["validation"] == "PENDING"
    assert entry.after["validation"] == "APPROVED"
    emails = [m for m in deliver_emails() if "pro-a@structure-a.test" in m.to]
    assert emails
    assert "est validée" in client.get(response["Location"]).text


def test_approving_twice_says_why_and_changes_nothing(
    client: Client, pending_offer: Offer, compliance_user: User
) -> None:
    client.force_login(compliance_user)
    client.post(reverse("backoffice:offer_approve", args=[pending_offer.pk]))
    entries = AuditEntry.objects.count()

    response = client.post(
        reverse("backoffice:offer_approve", args=[pending_offer.pk]), follow=True
    )

    assert "Seule une offre en instruction ou refusée peut être validée." in response.text
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_rejecting_without_a_reason_shows_a_french_error_and_changes_nothing(
    client: Client, pending_offer: Offer, compliance_user: User, reason: str
) -> None:
    client.force_login(compliance_user)
    entries, emails = AuditEntry.objects.count(), OutboxEmail.objects.count()

    response = client.post(
        reverse("backoffice:offer_reject", args=[pending_offer.pk]), {"reason": reason}
    )

    assert response.status_code == 400
    assert "Indiquez le motif du refus : il est envoyé à la structure." in response.text
    assert 'aria-invalid="true"' in response.text
    pending_offer.refresh_from_db()
    assert pending_offer.validation == Offer.Validation.PENDING
    assert pending_offer.rejection_reason == ""
    assert AuditEntry.objects.count() == entries
    assert OutboxEmail.objects.count() == emails


def test_rejecting_with_a_reason_rejects_audits_and_emails_the_reason(
    client: Client, pending_offer: Offer, compliance_user: User
) -> None:
    deliver_emails()
    client.force_login(compliance_user)
    reason = "Le prix dépasse ce qu'un jeune peut réserver avec son crédit."

    response = client.post(
        reverse("backoffice:offer_reject", args=[pending_offer.pk]), {"reason": reason}
    )

    assert response.status_code == 302
    pending_offer.refresh_from_db()
    assert pending_offer.validation == Offer.Validation.REJECTED
    assert pending_offer.rejection_reason == reason
    entry = AuditEntry.objects.get(action="offer.reject", object_id=str(pending_offer.pk))
    assert entry.actor == compliance_user
    assert entry.comment == reason
    emails = [m for m in deliver_emails() if "pro-a@structure-a.test" in m.to]
    assert len(emails) == 1
    assert reason in emails[0].body
    page = client.get(reverse("backoffice:offer_detail", args=[pending_offer.pk])).text
    assert reason in _text(page)


# --- Validation rules ---------------------------------------------------------------------------


def test_rules_list_shows_every_rule_and_offers_one_form_per_kind(
    client: Client, compliance_user: User
) -> None:
    _rule(compliance_user)
    _rule(compliance_user, name="Ancienne règle", is_active=False)
    client.force_login(compliance_user)

    text = _text(client.get(reverse("backoffice:validation_rule_list")).text)

    assert "Prix élevé" in text
    assert "plus de 150,00 €" in text
    assert "Ancienne règle" in text
    assert "Suspendue" in text
    for kind in ValidationRule.Kind.values:
        assert f"?type={kind}" in client.get(reverse("backoffice:validation_rule_list")).text


def test_creating_a_keyword_rule_splits_lines_and_commas(
    client: Client, compliance_user: User
) -> None:
    client.force_login(compliance_user)
    url = reverse("backoffice:validation_rule_create") + "?type=KEYWORD"
    assert 'name="keywords"' in client.get(url).text
    assert 'name="price"' not in client.get(url).text

    response = client.post(
        url,
        {"name": "Alcool", "keywords": "alcool, open bar\r\ndégustation\n\n", "is_active": "on"},
    )

    assert response.status_code == 302
    rule = ValidationRule.objects.get()
    assert rule.kind == "KEYWORD"
    assert rule.parameters == {"keywords": ["alcool", "open bar", "dégustation"]}
    assert rule.is_active
    assert AuditEntry.objects.filter(
        action="validation_rule.create", object_id=str(rule.pk), actor=compliance_user
    ).exists()


def test_creating_a_price_rule_takes_euros_and_stores_cents(
    client: Client, compliance_user: User
) -> None:
    client.force_login(compliance_user)
    url = reverse("backoffice:validation_rule_create") + "?type=PRICE_ABOVE"

    response = client.post(url, {"name": "Prix élevé", "price": "149,99", "is_active": "on"})

    assert response.status_code == 302
    assert ValidationRule.objects.get().parameters == {"price_cents": 14999}


def test_creating_a_subcategory_rule_offers_subcategories_grouped_by_category(
    client: Client, compliance_user: User
) -> None:
    client.force_login(compliance_user)
    url = reverse("backoffice:validation_rule_create") + "?type=SUBCATEGORY"
    page = client.get(url).text
    assert '<optgroup label="Musique live">' in page
    assert '<option value="CONCERT">Concert</option>' in page

    response = client.post(
        url, {"name": "Musique", "subcategory_ids": ["CONCERT", "FESTIVAL_MUSIQUE"]}
    )

    assert response.status_code == 302
    rule = ValidationRule.objects.get()
    assert rule.parameters == {"subcategory_ids": ["CONCERT", "FESTIVAL_MUSIQUE"]}
    assert not rule.is_active  # the box was left unchecked


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("KEYWORD", {"name": "Mots", "keywords": " , \n "}, "Indiquez au moins un mot-clé."),
        ("KEYWORD", {"name": "", "keywords": "alcool"}, "Indiquez un nom."),
        ("PRICE_ABOVE", {"name": "Prix", "price": ""}, "Indiquez un prix."),
        ("PRICE_ABOVE", {"name": "Prix", "price": "douze"}, "Saisissez un prix en euros"),
        ("PRICE_ABOVE", {"name": "Prix", "price": "-5"}, "Indiquez un montant entre 0 et"),
        ("PRICE_ABOVE", {"name": "Prix", "price": "12,345"}, "deux chiffres après la virgule"),
        ("SUBCATEGORY", {"name": "Sous"}, "Choisissez au moins une sous-catégorie."),
        (
            "SUBCATEGORY",
            {"name": "Sous", "subcategory_ids": ["NOPE"]},
            "Choisissez des sous-catégories de la liste.",
        ),
    ],
)
def test_invalid_rules_get_french_errors_and_nothing_is_saved(
    client: Client, compliance_user: User, kind: str, data: dict[str, Any], message: str
) -> None:
    client.force_login(compliance_user)
    url = reverse("backoffice:validation_rule_create") + f"?type={kind}"

    response = client.post(url, data)

    assert response.status_code == 400
    assert message in response.text
    assert "Le formulaire contient des erreurs" in response.text
    assert not ValidationRule.objects.exists()


def test_editing_a_rule_keeps_its_kind_and_shows_its_values(
    client: Client, compliance_user: User
) -> None:
    rule = _rule(compliance_user)
    client.force_login(compliance_user)
    url = reverse("backoffice:validation_rule_edit", args=[rule.pk])
    page = client.get(url).text
    assert 'value="150,00"' in page

    response = client.post(url, {"name": "Prix très élevé", "price": "200", "kind": "KEYWORD"})

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.kind, rule.parameters) == (
        "Prix très élevé",
        "PRICE_ABOVE",
        {"price_cents": 20000},
    )
    assert not rule.is_active
    assert AuditEntry.objects.filter(action="validation_rule.update").count() == 1


def test_deleting_a_rule(client: Client, compliance_user: User) -> None:
    rule = _rule(compliance_user)
    client.force_login(compliance_user)

    response = client.post(reverse("backoffice:validation_rule_delete", args=[rule.pk]))

    assert response.status_code == 302
    assert not ValidationRule.objects.exists()
    assert AuditEntry.objects.filter(
        action="validation_rule.delete", object_id=str(rule.pk)
    ).exists()


def test_an_unknown_kind_goes_back_to_the_rules(client: Client, compliance_user: User) -> None:
    client.force_login(compliance_user)
    response = client.get(reverse("backoffice:validation_rule_create") + "?type=NOPE")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:validation_rule_list")


def test_queue_and_list_cost_the_same_queries_for_more_offers(
    client: Client, compliance_user: User, pro_a: User, structure_a: Offerer
) -> None:
    _rule(compliance_user)
    _published_offer(pro_a, structure_a, name="Pass VIP 1")
    client.force_login(compliance_user)
    urls = [reverse("backoffice:offer_queue"), reverse("backoffice:offer_list")]

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    before = [queries(url) for url in urls]
    for i in range(2, 6):
        _published_offer(pro_a, structure_a, name=f"Pass VIP {i}")

    assert [queries(url) for url in urls] == before
