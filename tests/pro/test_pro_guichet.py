"""Guichet (box office) page: every outcome of typing a code, validating it, undoing it.

The builders at the top are shared with the bookings tab tests.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from pro_helpers import make_user

from culturepass.accounts.models import User
from culturepass.bookings import rules
from culturepass.bookings.models import Booking
from culturepass.offerers.models import Membership, Offerer, Venue
from culturepass.offers.models import Offer, PriceCategory, Stock

pytestmark = pytest.mark.django_db

# A Monday, winter time (Paris = UTC+1).
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
# Ten days later, 20:00 in Paris.
EVENT = dt.datetime(2027, 3, 11, 19, 0, tzinfo=dt.UTC)

_siren = itertools.count(700000000)
_code = itertools.count(0)


def next_code() -> str:
    index = next(_code) + 1000
    chars = []
    for _ in range(6):
        index, digit = divmod(index, len(rules.CODE_ALPHABET))
        chars.append(rules.CODE_ALPHABET[digit])
    return "".join(chars)


def make_structure(
    pro: User, *, name: str = "Festival des Lumières", status: str = Offerer.Status.VALIDATED
) -> Offerer:
    siren = str(next(_siren))
    offerer = Offerer.objects.create(
        siren=siren,
        name=name,
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        status=status,
        created_at=NOW - dt.timedelta(days=100),
    )
    Venue.objects.create(
        offerer=offerer,
        siret=f"{siren}00011",
        name=f"Salle {name}",
        street="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        department_code="75",
        latitude=Decimal("48.86"),
        longitude=Decimal("2.35"),
        is_head_office=True,
        created_at=NOW - dt.timedelta(days=100),
    )
    Membership.objects.create(
        user=pro,
        offerer=offerer,
        role=Membership.Role.ADMIN,
        status=Membership.Status.VALIDATED,
        created_at=NOW - dt.timedelta(days=100),
        validated_at=NOW - dt.timedelta(days=100),
    )
    return offerer


def make_stock(
    offerer: Offerer,
    *,
    name: str = "Concert « Été » à l'Opéra",
    start: dt.datetime = EVENT,
    tz: str = "Europe/Paris",
    venue: Venue | None = None,
    price_cents: int = 1250,
    label: str = "Tarif réduit",
) -> Stock:
    venue = venue or Venue.objects.filter(offerer=offerer).order_by("pk").first()
    assert venue is not None
    offer = Offer.objects.create(
        offerer=offerer,
        venue=venue,
        subcategory_id="CONCERT",
        name=name,
        timezone=tz,
        withdrawal_type=Offer.Withdrawal.ON_SITE,
        is_duo=True,
        validation=Offer.Validation.APPROVED,
        validated_at=NOW - dt.timedelta(days=20),
        publication_datetime=NOW - dt.timedelta(days=20),
        created_at=NOW - dt.timedelta(days=30),
        updated_at=NOW - dt.timedelta(days=20),
    )
    category = PriceCategory.objects.create(
        offer=offer, label=label, price_cents=price_cents, created_at=NOW
    )
    return Stock.objects.create(
        offer=offer,
        price_category=category,
        beginning_datetime=start,
        booking_limit_datetime=start,
        quantity=100,
        created_at=NOW,
        updated_at=NOW,
    )


def make_beneficiary(email: str = "lea@example.test", first: str = "Léa", last: str = "Martin"):
    return make_user(email, first_name=first, last_name=last, is_beneficiary=True)


def make_booking(
    stock: Stock,
    beneficiary: User,
    *,
    status: str = Booking.Status.CONFIRMED,
    booked_at: dt.datetime = NOW - dt.timedelta(days=5),
    quantity: int = 1,
    **extra: Any,
) -> Booking:
    unit = stock.price_category.price_cents
    fields: dict[str, Any] = {
        "code": next_code(),
        "beneficiary": beneficiary,
        "offer": stock.offer,
        "offerer": stock.offer.offerer,
        "venue": stock.offer.venue,
        "stock": stock,
        "price_category_label": stock.price_category.label,
        "quantity": quantity,
        "unit_price_cents": unit,
        "amount_cents": unit * quantity,
        "status": status,
        "booked_at": booked_at,
        "cancellation_limit": rules.cancellation_limit(
            start=stock.beginning_datetime, booked_at=booked_at
        ),
    }
    if status == Booking.Status.CANCELLED:
        fields.update(
            cancelled_at=booked_at + dt.timedelta(hours=1), cancellation_reason="BENEFICIARY"
        )
    if status in (Booking.Status.USED, Booking.Status.REIMBURSED):
        fields.update(used_at=NOW - dt.timedelta(hours=2), used_by="pro-a@structure-a.test")
    if status == Booking.Status.REIMBURSED:
        fields.update(reimbursed_at=NOW - dt.timedelta(hours=1))
    fields.update(extra)
    Stock.objects.filter(pk=stock.pk).update(booked_quantity=F("booked_quantity") + quantity)
    return Booking.objects.create(**fields)


@pytest.fixture(autouse=True)
def _french_and_fixed_time():
    with translation.override("fr"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pro(db) -> User:
    return make_user("pro-a@structure-a.test", is_pro=True)


@pytest.fixture
def structure(pro) -> Offerer:
    return make_structure(pro)


@pytest.fixture
def stock(structure) -> Stock:
    return make_stock(structure)


@pytest.fixture
def beneficiary(db) -> User:
    return make_beneficiary()


@pytest.fixture
def pro_client(client, pro):
    client.force_login(pro)
    return client


def url(offerer: Offerer) -> str:
    return reverse("pro:guichet", args=[offerer.pk])


def lookup(client, offerer: Offerer, code: str):
    return client.post(url(offerer), {"action": "lookup", "code": code})


def act(client, offerer: Offerer, booking: Booking, action: str, **kwargs):
    return client.post(url(offerer), {"action": action, "booking_id": booking.pk}, **kwargs)


def text(response) -> str:
    return response.content.decode()


# --- the page ---------------------------------------------------------------------------------


def test_page_has_a_labelled_code_field_live_hints_and_the_script(pro_client, structure):
    response = pro_client.get(url(structure))
    assert response.status_code == 200
    page = text(response)
    assert '<label for="id_code">Contremarque</label>' in page
    assert 'aria-live="polite"' in page
    assert 'aria-describedby="code-help code-hint"' in page
    assert "culturepass/guichet.js" in page
    assert "<script>" not in page  # CSP: no inline script
    assert 'aria-current="page"' in page
    assert "Guichet" in page


# --- looking a code up ------------------------------------------------------------------------


def test_a_valid_code_in_any_case_shows_the_booking_and_the_validate_button(
    pro_client, structure, stock, beneficiary
):
    booking = make_booking(stock, beneficiary, quantity=2, booked_at=NOW - dt.timedelta(days=3))
    response = lookup(
        pro_client, structure, f" {booking.code.lower()[:3]} {booking.code.lower()[3:]}"
    )
    assert response.status_code == 200
    page = text(response)
    assert "Léa Martin" in page
    assert "Concert « Été » à l&#x27;Opéra" in page
    assert "jeudi 11 mars 2027, 20:00" in page  # Paris time
    assert "Tarif réduit" in page
    assert "<dd>2</dd>" in page
    assert "confirmé" in page
    assert "identité du bénéficiaire (pièce d'identité) avant de valider" in page
    assert 'value="use"' in page


def test_the_date_is_shown_in_the_offer_time_zone(pro_client, structure, beneficiary):
    stock = make_stock(structure, tz="America/Cayenne")
    booking = make_booking(stock, beneficiary)
    page = text(lookup(pro_client, structure, booking.code))
    assert "jeudi 11 mars 2027, 16:00" in page
    assert "America/Cayenne" in page


def test_validate_puts_the_booking_to_used(pro_client, structure, stock, beneficiary):
    booking = make_booking(stock, beneficiary)
    response = act(pro_client, structure, booking, "use", follow=True)
    assert f"La contremarque {booking.code} est validée." in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.USED
    assert booking.used_at == NOW
    assert booking.used_by == "pro-a@structure-a.test"


# --- after "Valider": the success panel (POST-redirect-GET) -------------------------------------


def validated_url(offerer: Offerer, value: object) -> str:
    return f"{url(offerer)}?valide={value}"


def success_panel(page: str) -> str | None:
    """The HTML of the success panel, if the page has one."""
    match = re.search(r'<section class="[^"]*guichet-validated[^"]*".*?</section>', page, re.S)
    return match.group(0) if match else None


def code_input(page: str) -> str:
    match = re.search(r'<input type="text" name="code"[^>]*>', page, re.S)
    assert match, "the code field is on the page"
    return match.group(0)


def test_validating_redirects_to_the_success_panel_above_a_focused_empty_code_field(
    pro_client, structure, stock, beneficiary
):
    booking = make_booking(stock, beneficiary, quantity=2)
    response = act(pro_client, structure, booking, "use")
    assert response.status_code == 302
    assert response["Location"] == validated_url(structure, booking.pk)

    response = pro_client.get(response["Location"])
    assert response.status_code == 200
    page = text(response)
    panel = success_panel(page)
    assert panel is not None
    assert 'role="status"' in panel
    assert 'aria-labelledby="validated-title"' in panel
    assert f'<h3 id="validated-title">La contremarque {booking.code} est validée.</h3>' in panel
    assert "<dt>Bénéficiaire</dt><dd>Léa Martin</dd>" in panel
    assert "<dd>Concert « Été » à l&#x27;Opéra</dd>" in panel
    assert "jeudi 11 mars 2027, 20:00" in panel  # Paris time
    assert "<dd>Tarif réduit</dd>" in panel
    assert "<dt>Nombre de places</dt><dd>2</dd>" in panel
    assert "<dt>Prix</dt><dd>25,00 €</dd>" in panel
    # Said once: by the panel, not by a flash message too.
    assert page.count(f"La contremarque {booking.code} est validée.") == 1
    # The undo button of this booking, through the existing confirmation.
    assert f'<input type="hidden" name="booking_id" value="{booking.pk}">' in panel
    assert 'name="action" value="confirm_unuse"' in panel
    assert ">Annuler la validation</button>" in panel
    assert 'value="use"' not in page
    # The code field, empty and focused, for the next person in the queue.
    field = code_input(page)
    assert 'value=""' in field
    assert "autofocus" in field
    assert 'aria-describedby="validated-title code-help code-hint"' in field
    assert "aria-invalid" not in field
    assert page.index("guichet-validated") < page.index('name="code"')
    assert "<script>" not in page  # CSP: no inline script


def test_the_panels_undo_button_leads_to_the_confirmation_then_undoes(
    pro_client, structure, stock, beneficiary
):
    booking = make_booking(stock, beneficiary)
    pro_client.get(act(pro_client, structure, booking, "use")["Location"])
    page = text(act(pro_client, structure, booking, "confirm_unuse"))
    assert "Annuler la validation de cette réservation ?" in page
    assert success_panel(page) is None
    booking.refresh_from_db()
    assert booking.status == Booking.Status.USED

    response = act(pro_client, structure, booking, "unuse", follow=True)
    assert f"La validation de la contremarque {booking.code} est annulée." in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    # Undone: the panel's address no longer shows it.
    assert success_panel(text(pro_client.get(validated_url(structure, booking.pk)))) is None


def test_the_panel_gives_the_date_in_the_offer_time_zone(pro_client, structure, beneficiary):
    booking = make_booking(make_stock(structure, tz="America/Cayenne"), beneficiary)
    page = text(pro_client.get(act(pro_client, structure, booking, "use")["Location"]))
    panel = success_panel(page)
    assert panel is not None
    assert "jeudi 11 mars 2027, 16:00" in panel
    assert "(America/Cayenne)" in panel


def test_a_refused_validation_does_not_redirect_to_the_panel(
    pro_client, structure, stock, beneficiary
):
    booking = make_booking(stock, beneficiary, booked_at=NOW - dt.timedelta(hours=1))
    response = act(pro_client, structure, booking, "use")
    assert response.status_code == 400
    assert success_panel(text(response)) is None


@pytest.mark.parametrize(
    "status", [Booking.Status.CONFIRMED, Booking.Status.CANCELLED, Booking.Status.REIMBURSED]
)
def test_the_parameter_is_ignored_for_a_booking_not_validated(
    pro_client, structure, stock, beneficiary, status
):
    booking = make_booking(stock, beneficiary, status=status)
    response = pro_client.get(validated_url(structure, booking.pk))
    assert response.status_code == 200
    page = text(response)
    assert success_panel(page) is None
    assert "Léa Martin" not in page
    assert 'name="code"' in page
    assert "autofocus" not in code_input(page)


def test_the_parameter_is_ignored_for_another_structures_booking(
    pro, pro_client, structure, beneficiary
):
    other = make_structure(make_user("pro-b@structure-b.test", is_pro=True), name="Théâtre du Port")
    foreign = make_booking(make_stock(other), beneficiary, status=Booking.Status.USED)
    # ... and for a booking of the user's other structure, on this structure's page.
    second = make_structure(pro, name="Deuxième structure")
    own_elsewhere = make_booking(make_stock(second), beneficiary, status=Booking.Status.USED)
    for booking in (foreign, own_elsewhere):
        response = pro_client.get(validated_url(structure, booking.pk))
        assert response.status_code == 200
        page = text(response)
        assert success_panel(page) is None
        assert booking.code not in page
        assert "Léa Martin" not in page
        assert 'name="code"' in page
    # On its own structure's page, it is shown.
    assert success_panel(text(pro_client.get(validated_url(second, own_elsewhere.pk))))


@pytest.mark.parametrize(
    "value", ["", "abc", "0", "-1", "1.5", "١٢", "²", "999999", "9" * 30, str(2**63), "1%00"]
)
def test_a_malformed_or_unknown_parameter_is_ignored(pro_client, structure, value):
    response = pro_client.get(validated_url(structure, value))
    assert response.status_code == 200
    assert success_panel(text(response)) is None
    assert 'name="code"' in text(response)


def test_unknown_code_is_refused_in_french_on_the_field(pro_client, structure, stock):
    response = lookup(pro_client, structure, "ZZZZZZ")
    assert response.status_code == 400
    page = text(response)
    assert (
        "Cette contremarque n&#x27;existe pas ou n&#x27;est pas rattachée à votre structure."
        in page
    )
    assert 'aria-invalid="true"' in page
    assert "code-errors" in page


def test_a_malformed_code_gets_a_hint_without_a_lookup(pro_client, structure):
    page = text(lookup(pro_client, structure, "AB1O"))
    assert "Caractère non autorisé : 1 O" in page
    page = text(lookup(pro_client, structure, "ABC"))
    assert "Une contremarque compte 6 caractères (vous en avez saisi 3)." in page


def test_another_structures_code_reads_as_unknown(pro_client, structure, beneficiary):
    other = make_structure(make_user("pro-b@structure-b.test", is_pro=True), name="Théâtre du Port")
    booking = make_booking(make_stock(other), beneficiary)
    response = lookup(pro_client, structure, booking.code)
    assert response.status_code == 400
    assert "n&#x27;existe pas ou n&#x27;est pas rattachée" in text(response)
    assert "Léa Martin" not in text(response)
    # ... and its id in a button is refused too, with nothing changed.
    response = act(pro_client, structure, booking, "use", follow=True)
    assert "n&#x27;existe pas ou n&#x27;est pas rattachée" in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_a_code_of_the_users_other_structure_is_unknown_on_this_structures_page(
    pro, pro_client, structure, beneficiary
):
    second = make_structure(pro, name="Deuxième structure")
    booking = make_booking(make_stock(second), beneficiary)
    assert lookup(pro_client, structure, booking.code).status_code == 400
    assert lookup(pro_client, second, booking.code).status_code == 200


def test_already_validated(pro_client, structure, stock, beneficiary):
    booking = make_booking(stock, beneficiary, status=Booking.Status.USED)
    page = text(lookup(pro_client, structure, booking.code))
    assert "Cette réservation a déjà été validée le 1 mars 2027 à 08h00." in page
    assert 'value="use"' not in page
    assert 'value="confirm_unuse"' in page
    response = act(pro_client, structure, booking, "use")
    assert response.status_code == 400
    assert "déjà été validée" in text(response)


def test_cancelled(pro_client, structure, stock, beneficiary):
    booking = make_booking(stock, beneficiary, status=Booking.Status.CANCELLED)
    page = text(lookup(pro_client, structure, booking.code))
    assert "Cette réservation a été annulée le" in page
    assert "annulé" in page
    assert 'value="use"' not in page
    response = act(pro_client, structure, booking, "use")
    assert response.status_code == 400
    assert "Cette réservation a été annulée le" in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_reimbursed(pro_client, structure, stock, beneficiary):
    booking = make_booking(stock, beneficiary, status=Booking.Status.REIMBURSED)
    page = text(lookup(pro_client, structure, booking.code))
    assert "Cette réservation a déjà été remboursée." in page
    assert "remboursé" in page
    response = act(pro_client, structure, booking, "use")
    assert "Cette réservation a déjà été remboursée." in text(response)


def test_closed_structure(pro_client, structure, stock, beneficiary):
    booking = make_booking(stock, beneficiary)
    Offerer.objects.filter(pk=structure.pk).update(status=Offerer.Status.CLOSED)
    page = text(lookup(pro_client, structure, booking.code))
    assert "Cette structure est fermée" in page
    response = act(pro_client, structure, booking, "use")
    assert response.status_code == 400
    assert "Cette structure est fermée" in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_not_yet_validatable_gives_the_date_and_time_in_the_offer_time_zone(
    pro_client, structure, stock, beneficiary
):
    # Booked an hour ago: cancellable until 48 h after booking, 3 March 09:00 in Paris.
    booking = make_booking(stock, beneficiary, booked_at=NOW - dt.timedelta(hours=1))
    page = text(lookup(pro_client, structure, booking.code))
    message = "vous pourrez la valider à partir du 3 mars 2027 à 09h00"
    assert message in page
    assert "réservé" in page
    assert 'value="use"' not in page
    response = act(pro_client, structure, booking, "use")
    assert response.status_code == 400
    assert message in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


# --- undoing a validation ---------------------------------------------------------------------


def test_undo_asks_for_confirmation_then_puts_the_booking_back_to_confirmed(
    pro_client, structure, stock, beneficiary
):
    booking = make_booking(stock, beneficiary, status=Booking.Status.USED)
    response = act(pro_client, structure, booking, "confirm_unuse")
    page = text(response)
    assert "Annuler la validation de cette réservation ?" in page
    assert "ne vous sera pas remboursée, sauf si elle est de nouveau validée" in page
    booking.refresh_from_db()
    assert booking.status == Booking.Status.USED  # nothing done yet

    response = act(pro_client, structure, booking, "unuse", follow=True)
    assert f"La validation de la contremarque {booking.code} est annulée." in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.used_at is None


def test_undo_is_refused_once_reimbursed(pro_client, structure, stock, beneficiary):
    booking = make_booking(stock, beneficiary, status=Booking.Status.REIMBURSED)
    response = act(pro_client, structure, booking, "unuse")
    assert response.status_code == 400
    assert "sa validation ne peut plus être annulée" in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REIMBURSED


# --- throttling -------------------------------------------------------------------------------


def test_the_eleventh_wrong_code_in_a_minute_is_refused_with_a_clear_message(
    pro_client, structure, stock, beneficiary
):
    booking = make_booking(stock, beneficiary)
    for _ in range(10):
        assert lookup(pro_client, structure, "ZZZZZZ").status_code == 400
    response = lookup(pro_client, structure, booking.code)
    assert response.status_code == 400
    assert "Trop de codes erronés : réessayez dans une minute." in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_the_page_is_for_members_only(client, structure):
    client.force_login(make_user("intrus@ailleurs.test", is_pro=True))
    assert client.get(url(structure)).status_code == 404
    assert lookup(client, structure, "ABCDEF").status_code == 404
