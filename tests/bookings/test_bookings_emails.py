"""Booking emails, asserted on the sent messages: the pro gets every field, reply-to the
beneficiary; the beneficiary gets the confirmation; cancellations go both ways."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from bookings_helpers import NOW, make_offer, make_offerer, make_venue

from culturepass.bookings.models import Booking
from culturepass.bookings.services import (
    BookingError,
    booking_cancel_by_beneficiary,
    booking_create,
    booking_email_context,
)
from culturepass.notifications.models import OutboxEmail
from culturepass.notifications.services import email_render
from culturepass.offers.models import Offer
from helpers import deliver_emails

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    """deliver_emails() sends what is due by the wall clock: put it at the tests' NOW."""
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        yield


def _by_recipient(messages):
    return {m.to[0]: m for m in messages}


def test_the_pro_receives_every_field_of_the_new_booking(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=NOW)

    sent = _by_recipient(deliver_emails())

    pro = sent["reservations@pleyel.test"]
    assert pro.reply_to == ["lea@example.test"]
    assert booking.code in pro.subject
    html = pro.alternatives[0].content
    for body in (pro.body, html):
        for expected in (
            "Léa",  # first name
            "Martin",  # last name
            "lea@example.test",
            "+33612345678",
            booking.code,
            "Concert du printemps",
            "11 mars 2027",  # date in Paris
            "20h00",  # 19:00 UTC is 20:00 in Paris
            "Carré or",
            "20,00 €",  # price
            "40,00 €",  # amount
            "Salle Pleyel",
            "252 rue du Faubourg Saint-Honoré, 75008 Paris",
        ):
            assert expected in body, (expected, body)
    assert "Nombre de places : 2" in pro.body


def test_the_date_is_shown_in_the_offer_time_zone(beneficiary) -> None:
    occurrence = make_offer(timezone="America/Cayenne")  # UTC-3
    booking_create(beneficiary=beneficiary, stock_id=occurrence.pk, quantity=1, now=NOW)

    pro = _by_recipient(deliver_emails())["reservations@pleyel.test"]

    assert "Heure : 16h00" in pro.body


def test_without_offer_address_the_venue_address_is_notified(beneficiary) -> None:
    occurrence = make_offer(booking_email="")
    booking_create(beneficiary=beneficiary, stock_id=occurrence.pk, quantity=1, now=NOW)

    assert "billetterie-lieu@pleyel.test" in _by_recipient(deliver_emails())


def test_without_any_notification_address_only_the_beneficiary_is_emailed(beneficiary) -> None:
    venue = make_venue(make_offerer(), booking_email="")
    occurrence = make_offer(venue, booking_email="")
    booking_create(beneficiary=beneficiary, stock_id=occurrence.pk, quantity=1, now=NOW)

    assert [m.to for m in deliver_emails()] == [["lea@example.test"]]


def test_the_beneficiary_receives_the_confirmation(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)

    mine = _by_recipient(deliver_emails())["lea@example.test"]

    assert mine.subject == "Votre réservation pour « Concert du printemps » est confirmée"
    assert mine.reply_to == ["contact@pleyel.test"]
    for expected in (
        booking.code,
        "Retrait sur place",
        "Retrait au guichet avec une pièce d'identité.",
        "252 rue du Faubourg Saint-Honoré, 75008 Paris",
        "Vous pouvez annuler cette réservation jusqu'au 3 mars 2027 à 10h00.",
    ):
        assert expected in mine.body


def test_the_address_of_an_offer_elsewhere_is_used(beneficiary) -> None:
    occurrence = make_offer(
        address_kind=Offer.AddressKind.OTHER,
        location_label="Parc de la Villette",
        street="211 avenue Jean Jaurès",
        postal_code="75019",
        city="Paris",
    )
    booking_create(beneficiary=beneficiary, stock_id=occurrence.pk, quantity=1, now=NOW)

    mine = _by_recipient(deliver_emails())["lea@example.test"]

    assert "Parc de la Villette, 211 avenue Jean Jaurès, 75019 Paris" in mine.body


def test_a_cancellation_is_emailed_both_ways(beneficiary, stock) -> None:
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=1, now=NOW)
    OutboxEmail.objects.all().delete()

    booking_cancel_by_beneficiary(
        beneficiary=beneficiary, booking_id=booking.pk, now=NOW + dt.timedelta(hours=1)
    )

    sent = _by_recipient(deliver_emails())
    assert set(sent) == {"reservations@pleyel.test", "lea@example.test"}
    assert booking.code in sent["reservations@pleyel.test"].body
    assert "Léa Martin a annulé" in sent["reservations@pleyel.test"].body
    assert sent["reservations@pleyel.test"].reply_to == ["lea@example.test"]
    assert "20,00 € ont été recrédités" in sent["lea@example.test"].body


def test_a_refused_booking_sends_nothing(beneficiary) -> None:
    full = make_offer(quantity=0)
    with pytest.raises(BookingError):
        booking_create(beneficiary=beneficiary, stock_id=full.pk, quantity=1, now=NOW)
    assert not OutboxEmail.objects.exists()


def test_emails_rendered_at_send_time_match_rendering_in_the_request(beneficiary, stock) -> None:
    """The outbox keeps template + context (no ``booking`` object): what is sent is what
    rendering with the full context, in the request, would have given."""
    booking = booking_create(beneficiary=beneficiary, stock_id=stock.pk, quantity=2, now=NOW)
    booking = Booking.objects.select_related("stock__offer__venue").get(pk=booking.pk)
    context = booking_email_context(booking=booking, beneficiary=beneficiary, stock=booking.stock)

    sent = _by_recipient(deliver_emails())

    for to, template in (
        ("reservations@pleyel.test", "emails/bookings/new_booking_pro"),
        ("lea@example.test", "emails/bookings/confirmation_beneficiary"),
    ):
        expected = email_render(to=[to], template=template, context=context)
        assert sent[to].subject == expected.subject
        assert sent[to].body == expected.body_text
        assert sent[to].alternatives[0].content == expected.body_html
