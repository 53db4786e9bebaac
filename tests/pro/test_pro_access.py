"""A pro of structure B gets 404 on every pro page and action about structure A.

The test walks every URL pattern of the pro app (nothing is listed by hand): a
new pattern whose id is not filled here makes the test fail until it is added,
and a new view that forgets culturepass.pro.access makes it fail too.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterator

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from PIL import Image
from pro_helpers import make_user

from culturepass.bookings.models import Booking
from culturepass.collective.models import CollectiveBooking, CollectiveOffer
from culturepass.finance import calendar as finance_calendar
from culturepass.finance.models import (
    BankAccount,
    Invoice,
    Payment,
    PaymentRun,
    VenueBankAccountLink,
)
from culturepass.finance.services import bank_account_create
from culturepass.notifications.models import WebhookDelivery
from culturepass.offerers.models import Invitation, Membership, Offerer, Venue
from culturepass.offerers.services import (
    VenueInput,
    attachment_request,
    invitation_accept,
    member_invite,
    venue_create,
)
from culturepass.offers.models import Stock
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceMode, RecurrenceRule
from culturepass.offers.services import (
    offer_create_draft,
    offer_set_image,
    offer_update_description,
    price_category_add,
    stocks_generate,
)
from culturepass.pro import urls as pro_urls
from culturepass.pro.views_offers import STEP_SLUGS

pytestmark = pytest.mark.django_db

# Plausible form data, so that a POST reaches the service if access control failed.
POST_DATA = {
    "email": "intrus@structure-b.test",
    "role": "ADMIN",
    "name": "Piraté",
    "street": "1 rue X",
    "postal_code": "75001",
    "city": "Paris",
    "venue_type": "OTHER",
    "comment": "piraté",
    "siret": "",
    "code": "ABCDEF",
    "quantity": "1",
    "beginning_datetime": "2030-01-01T20:00",
}


def walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from walk(pattern.url_patterns, namespace)
        else:
            yield prefix, pattern


def all_patterns() -> list[tuple[str, URLPattern]]:
    return list(walk(pro_urls.urlpatterns, f"{pro_urls.app_name}:"))


@pytest.fixture
def world(structure_a, structure_b, pro_a, settings, tmp_path):
    """Objects of structure A of every kind a pro URL can name."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    now = timezone.now()
    venue = venue_create(
        actor=pro_a,
        offerer=structure_a,
        data=VenueInput(
            name="Chapiteau",
            street="Parc",
            postal_code="75019",
            city="Paris",
            comment="Sans SIRET",
        ),
        now=now,
    )
    requester = make_user("demandeur@ailleurs.test")
    pending = attachment_request(actor=requester, siret="11111111800019", now=now)
    colleague_invitation = member_invite(
        actor=pro_a, offerer=structure_a, email="collegue@structure-a.test", now=now
    )
    colleague = make_user("collegue@structure-a.test")
    member = invitation_accept(actor=colleague, token=colleague_invitation.token, now=now)
    invitee = make_user("invite@structure-a.test")
    open_invitation = member_invite(actor=pro_a, offerer=structure_a, email=invitee.email, now=now)
    admin = Membership.objects.get(user=pro_a, offerer=structure_a)
    # An offer of A with an image, a price category and an occurrence.
    offer = offer_create_draft(actor=pro_a, venue=venue, subcategory_id="CONCERT", now=now)
    offer_update_description(
        actor=pro_a,
        offer=offer,
        name="Concert d'ouverture",
        description="",
        extra_data={"musicType": "501", "musicSubType": "502"},
        duration_minutes=None,
        now=now,
    )
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), "navy").save(buffer, "PNG")
    offer_set_image(
        actor=pro_a, offer=offer, upload=ContentFile(buffer.getvalue(), "a.png"), now=now
    )
    price_category = price_category_add(
        actor=pro_a, offer=offer, label="Tarif unique", price_cents=1000, now=now
    )
    stocks_generate(
        actor=pro_a,
        offer=offer,
        rule=RecurrenceRule(
            mode=RecurrenceMode.ONCE,
            start_date=(now + dt.timedelta(days=10)).date(),
            time_slots=(dt.time(20, 0),),
        ),
        quantities=[PriceCategoryQuantity(price_category.pk, 100)],
        now=now,
    )
    stock = Stock.objects.get(offer=offer)
    # A booking of that occurrence: the box office pages and actions name it or touch it.
    beneficiary = make_user("lea@beneficiaire.test", first_name="Léa", is_beneficiary=True)
    Booking.objects.create(
        code="ABCDEF",
        beneficiary=beneficiary,
        offer=offer,
        offerer=structure_a,
        venue=venue,
        stock=stock,
        price_category_label=price_category.label,
        quantity=1,
        unit_price_cents=1000,
        amount_cents=1000,
        booked_at=now - dt.timedelta(days=3),
        cancellation_limit=now - dt.timedelta(days=1),
    )
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=1)
    # A bank account of A with its document (the download page must exist for insiders).
    bank_account = bank_account_create(
        actor=pro_a,
        offerer=structure_a,
        label="Compte du festival",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPPXXX",
        document=ContentFile(b"%PDF-1.4\n%%EOF\n", "rib.pdf"),
        now=now,
    )
    # A paid invoice to that account (the finance report URLs name it), built as rows.
    run = PaymentRun.objects.create(
        cutoff=finance_calendar.cutoff_for(dt.date(2026, 3, 1)), number=1, created_at=now
    )
    payment = Payment.objects.create(
        run=run, bank_account=bank_account, offerer=structure_a, amount_cents=1000, created_at=now
    )
    invoice = Invoice.objects.create(
        payment=payment,
        bank_account=bank_account,
        offerer=structure_a,
        number=finance_calendar.invoice_number(2026, 1),
        year=2026,
        sequence=1,
        amount_cents=1000,
        date=dt.date(2026, 3, 1),
        created_at=now,
    )
    # A partner API key of A (the "Intégrations" pages name it).
    from culturepass.api.partner.keys import partner_api_key_create

    api_key, _clear = partner_api_key_create(
        actor=pro_a, offerer=structure_a, label="Billetterie", now=now
    )
    # A webhook of A with one delivery (the webhook pages name both).
    from culturepass.notifications.webhooks import webhook_create, webhook_send_test

    webhook = webhook_create(
        actor=pro_a,
        offerer=structure_a,
        url="http://127.0.0.1:9/hook",
        events=["booking.created"],
        now=now,
    )
    delivery = webhook_send_test(actor=pro_a, webhook=webhook, now=now)
    # A is referenced for school groups, with a bookable collective offer pre-booked by a
    # school (the collective pages name the offer and the booking).
    from collective_pages_helpers import collective_world

    collective_offer, collective_booking = collective_world(pro_a, venue, now=now)
    return {
        "values": {
            "offerer_id": [structure_a.pk],
            "api_key_id": [api_key.pk],
            "webhook_id": [webhook.pk],
            "delivery_id": [delivery.pk],
            "collective_offer_id": [collective_offer.pk],
            "collective_booking_id": [collective_booking.pk],
            "venue_id": [venue.pk, Venue.objects.get(offerer=structure_a, is_head_office=True).pk],
            "membership_id": [pending.pk, member.pk, admin.pk],
            "token": [open_invitation.token],
            "invitation_id": [open_invitation.pk],
            "offer_id": [offer.pk],
            "step": list(STEP_SLUGS),
            "price_category_id": [price_category.pk],
            "stock_id": [stock.pk],
            "bank_account_id": [bank_account.pk],
            "invoice_id": [invoice.pk],
        },
        "insiders": {"token": invitee},
        "pro_a": pro_a,
        "requester": requester,
        "structure_a": structure_a,
    }


def urls_about_a(world) -> list[tuple[str, str]]:
    """(url name, url) for every pattern with ids, filled with A's objects."""
    out = []
    for prefix, pattern in all_patterns():
        assert pattern.name, f"pro URL pattern {pattern.pattern} has no name"
        kwargs_names = sorted(pattern.pattern.converters)
        if not kwargs_names:
            continue
        missing = [name for name in kwargs_names if name not in world["values"]]
        if missing:
            pytest.fail(
                f"pro:{pattern.name} takes {missing}: add objects of structure A for them "
                "in tests/pro/test_pro_access.py"
            )
        for combination in itertools.product(*(world["values"][n] for n in kwargs_names)):
            kwargs = dict(zip(kwargs_names, combination, strict=True))
            out.append(
                (f"{prefix}{pattern.name}", reverse(f"{prefix}{pattern.name}", kwargs=kwargs))
            )
    return out


def state_of_a(structure_a: Offerer) -> tuple:
    return (
        Offerer.objects.filter(pk=structure_a.pk).values_list("status", "name").get(),
        sorted(Membership.objects.filter(offerer=structure_a).values_list("pk", "role", "status")),
        sorted(Venue.objects.filter(offerer=structure_a).values_list("pk", "name", "comment")),
        sorted(Invitation.objects.filter(offerer=structure_a).values_list("pk", "accepted_at")),
        sorted(
            Booking.objects.filter(offerer=structure_a).values_list(
                "pk", "status", "used_at", "cancellation_limit"
            )
        ),
        sorted(
            BankAccount.objects.filter(offerer=structure_a).values_list(
                "pk", "label", "iban", "status", "document"
            )
        ),
        sorted(
            VenueBankAccountLink.objects.filter(venue__offerer=structure_a).values_list(
                "pk", "bank_account_id", "timespan"
            )
        ),
        sorted(
            Stock.objects.filter(offer__offerer=structure_a).values_list(
                "pk", "beginning_datetime", "booking_limit_datetime", "quantity", "is_soft_deleted"
            )
        ),
        sorted(
            WebhookDelivery.objects.filter(webhook__offerer=structure_a).values_list(
                "pk", "webhook__url", "webhook__events", "status", "next_attempt_at"
            )
        ),
        sorted(
            CollectiveOffer.objects.filter(offerer=structure_a).values_list(
                "pk", "name", "validation", "price_cents", "start_datetime"
            )
        ),
        sorted(
            CollectiveBooking.objects.filter(offerer=structure_a).values_list(
                "pk", "status", "cancellation_comment"
            )
        ),
    )


def test_walk_covers_every_kind_of_object(world):
    named = {name for name, _ in urls_about_a(world)}
    assert {"pro:offerer_detail", "pro:venue_edit", "pro:member_remove", "pro:invitation"} <= named


@pytest.mark.parametrize("outsider", ["pro_b", "requester"])
def test_outsider_gets_404_on_every_page_and_action_of_structure_a(
    client, world, outsider, request
):
    user = request.getfixturevalue("pro_b") if outsider == "pro_b" else world["requester"]
    before = state_of_a(world["structure_a"])
    client.force_login(user)
    leaks = []
    for name, url in urls_about_a(world):
        for method in ("get", "post"):
            response = getattr(client, method)(url, POST_DATA if method == "post" else None)
            if response.status_code != 404:
                leaks.append(f"{method.upper()} {url} ({name}) → {response.status_code}")
    assert leaks == []
    assert state_of_a(world["structure_a"]) == before


def test_the_same_urls_exist_for_an_insider(client, world):
    """Guards the walk itself: the ids are real, so the 404s above come from access control."""
    for name, url in urls_about_a(world):
        kwargs_names = set(
            next(p for _, p in all_patterns() if f"pro:{p.name}" == name).pattern.converters
        )
        insider = world["insiders"].get("token") if "token" in kwargs_names else world["pro_a"]
        client.force_login(insider)
        assert client.get(url).status_code != 404, url


def test_anonymous_user_is_sent_to_login_on_every_pro_page(client, world):
    login_url = reverse("accounts:login")
    for _, url in urls_about_a(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login_url), url


def test_home_of_b_does_not_mention_structure_a(client, world, pro_b):
    client.force_login(pro_b)
    content = client.get(reverse("pro:home")).content.decode()
    assert "Théâtre du Port" in content
    assert "Festival des Lumières" not in content
