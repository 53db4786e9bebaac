"""Beneficiary pages through the test client: discover, book, see, cancel; access rules."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from discovery_helpers import NOW, PARIS, VERSAILLES, make_offer
from django.urls import reverse

from culturepass.bookings.models import Booking
from culturepass.credit.models import CreditAccount
from culturepass.highlights.models import HighlightBlock, HighlightItem

pytestmark = pytest.mark.django_db


def test_home_shows_highlights_and_offers_near_the_beneficiary(client, beneficiary, venue):
    near = make_offer(venue, name="Concert à Versailles", point=VERSAILLES)
    far = make_offer(venue, name="Concert à Marseille", point=(43.29648, 5.36978))
    block = HighlightBlock.objects.create(
        title="Immanquables", kind="IMMANQUABLES", created_at=NOW, updated_at=NOW
    )
    HighlightItem.objects.create(block=block, offer=far, position=0)
    client.force_login(beneficiary)
    response = client.get(reverse("app:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Immanquables" in html
    assert "Près de chez vous" in html
    near_section = html.split("Près de chez vous", 1)[1]
    assert near.name in near_section
    assert far.name not in near_section
    assert "à 17,4 km" in near_section or "à 17,3 km" in near_section


def test_home_for_anonymous_uses_the_point_given(client, venue):
    make_offer(venue, name="Concert à Versailles", point=VERSAILLES)
    response = client.get(reverse("app:home"), {"lat": PARIS[0], "lon": PARIS[1]})
    assert response.status_code == 200
    assert "Concert à Versailles" in response.content.decode()
    assert "Indiquez votre position" in client.get(reverse("app:home")).content.decode()


def test_search_page_filters_and_shows_distance_and_min_price(client, beneficiary, venue):
    make_offer(
        venue,
        name="Théâtre de l'Odéon",
        prices=(2500, 1200),
        subcategory_id="SPECTACLE_REPRESENTATION",
    )
    make_offer(venue, name="Concert", point=VERSAILLES, is_duo=True)
    client.force_login(beneficiary)
    html = client.get(reverse("app:search"), {"q": "theatre"}).content.decode()
    assert "Théâtre de l&#x27;Odéon" in html
    assert "dès 12,00 €" in html
    assert "Concert" not in html.split("Résultats", 1)[1]
    html = client.get(reverse("app:search"), {"duo": "on", "rayon": "50"}).content.decode()
    results = html.split("Résultats", 1)[1]
    assert "Concert" in results
    assert "Odéon" not in results
    assert "km" in results
    html = client.get(reverse("app:search"), {"prix_max": "10"}).content.decode()
    assert "Aucune offre ne correspond" in html


def test_search_page_reports_invalid_dates(client, venue):
    response = client.get(reverse("app:search"), {"du": "2027-03-10", "au": "2027-03-01"})
    assert response.status_code == 200
    assert "La date de fin doit suivre la date de début." in response.content.decode()


def test_offer_page_shows_dates_prices_seats_and_withdrawal(client, venue):
    offer = make_offer(
        venue,
        name="Festival",
        prices=(1500, 800),
        days=(3,),
        quantity=4,
        is_duo=True,
        description="Trois jours de musique.",
    )
    response = client.get(reverse("app:offer", args=[offer.pk]), {"lat": PARIS[0], "lon": PARIS[1]})
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Trois jours de musique.",
        "Salle",
        "8,00 €",
        "15,00 €",
        "4 places restantes",
        "Retrait sur place",
        "Retrait au guichet",
        "Offre duo",
        "jeudi 4 mars 2027, 20:00",  # 19:00 UTC in Paris
    ):
        assert text in html, text
    stock = offer.stocks.order_by("price_category__price_cents").first()
    assert reverse("app:book", args=[stock.pk]) in html


def test_invisible_offer_page_is_404(client, venue):
    offer = make_offer(venue, validation="PENDING")
    assert client.get(reverse("app:offer", args=[offer.pk])).status_code == 404


def test_book_a_duo_see_code_and_qr_download_ics_cancel_and_get_credit_back(
    client, beneficiary, venue
):
    offer = make_offer(venue, name="Festival", prices=(2000,), days=(10,), is_duo=True)
    stock = offer.stocks.get()
    client.force_login(beneficiary)

    response = client.get(reverse("app:book", args=[stock.pk]))
    assert response.status_code == 200
    assert "2 places (duo)" in response.content.decode()

    confirm_url = reverse("app:booking_confirm")
    response = client.get(confirm_url, {"stock": stock.pk, "quantity": 2})
    html = response.content.decode()
    assert "40,00 €" in html  # total
    assert "150,00 €" in html  # credit now
    assert "110,00 €" in html  # credit left after booking

    response = client.post(confirm_url, {"stock": stock.pk, "quantity": 2})
    booking = Booking.objects.get(beneficiary=beneficiary)
    assert response.status_code == 302
    assert response["Location"] == reverse("app:booking_detail", args=[booking.pk])
    assert (booking.quantity, booking.amount_cents) == (2, 4000)

    html = client.get(response["Location"]).content.decode()
    assert booking.code in html
    assert "<svg" in html
    assert "Annuler ma réservation" in html
    assert "Vous pouvez annuler jusqu&#x27;au" in html or "Vous pouvez annuler jusqu'au" in html

    ics = client.get(reverse("app:booking_ics", args=[booking.pk]))
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content
    assert booking.code.encode() in ics.content

    assert "Festival" in client.get(reverse("app:bookings")).content.decode()
    assert "110,00 €" in client.get(reverse("app:credit")).content.decode()

    response = client.post(reverse("app:booking_cancel", args=[booking.pk]), follow=True)
    assert "Réservation annulée" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert CreditAccount.objects.get(user=beneficiary).balance_cents == 15000
    html = client.get(reverse("app:credit")).content.decode()
    assert "150,00 €" in html
    assert "Annulation : Festival" in html


def test_refused_booking_shows_the_french_message(client, beneficiary, venue):
    offer = make_offer(venue, prices=(20000,), days=(10,))
    stock = offer.stocks.get()
    client.force_login(beneficiary)
    response = client.post(reverse("app:booking_confirm"), {"stock": stock.pk, "quantity": 1})
    assert response.status_code == 400
    assert "crédit" in response.content.decode().lower()
    assert not Booking.objects.exists()


def test_duo_quantity_refused_on_a_solo_offer(client, beneficiary, venue):
    stock = make_offer(venue, days=(10,)).stocks.get()
    client.force_login(beneficiary)
    response = client.post(reverse("app:booking_confirm"), {"stock": stock.pk, "quantity": 2})
    assert response.status_code == 400
    assert "Choisissez un nombre de places" in response.content.decode()
    assert not Booking.objects.exists()


def test_cancel_after_deadline_is_refused_with_the_deadline_message(client, beneficiary, venue):
    stock = make_offer(venue, days=(10,)).stocks.get()
    client.force_login(beneficiary)
    client.post(reverse("app:booking_confirm"), {"stock": stock.pk, "quantity": 1})
    booking = Booking.objects.get()
    with time_machine.travel(NOW + dt.timedelta(days=5), tick=False):
        html = client.get(reverse("app:booking_detail", args=[booking.pk])).content.decode()
        assert "Annuler ma réservation" not in html
        assert "L'annulation n'est plus possible" in html
        client.post(reverse("app:booking_cancel", args=[booking.pk]))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_another_beneficiarys_booking_is_404(client, beneficiary, other_beneficiary, venue):
    stock = make_offer(venue, days=(10,)).stocks.get()
    client.force_login(beneficiary)
    client.post(reverse("app:booking_confirm"), {"stock": stock.pk, "quantity": 1})
    booking = Booking.objects.get()
    client.force_login(other_beneficiary)
    for name in ("app:booking_detail", "app:booking_ics"):
        assert client.get(reverse(name, args=[booking.pk])).status_code == 404
    assert client.post(reverse("app:booking_cancel", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_pro_without_profile_cannot_book(client, pro_a, venue):
    stock = make_offer(venue, days=(10,)).stocks.get()
    client.force_login(pro_a)
    for url in (
        reverse("app:book", args=[stock.pk]),
        reverse("app:bookings"),
        reverse("app:credit"),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert "Compte bénéficiaire nécessaire" in response.content.decode()
    response = client.post(reverse("app:booking_confirm"), {"stock": stock.pk, "quantity": 1})
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_anonymous_is_sent_to_login_for_booking_pages(client, venue):
    stock = make_offer(venue, days=(10,)).stocks.get()
    response = client.get(reverse("app:book", args=[stock.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_beneficiary_signup_is_reachable_under_the_app(client):
    response = client.get("/app/inscription/")
    assert response.status_code == 200


def test_home_shows_the_remaining_credit_to_a_beneficiary(client, beneficiary):
    client.force_login(beneficiary)
    html = " ".join(client.get(reverse("app:home")).content.decode().split())
    balance = beneficiary.credit.granted_cents - beneficiary.credit.spent_cents
    euros = f"{balance // 100},{balance % 100:02d}"
    assert f'<p class="home-credit"><a href="/app/credit/"><strong class="amount">{euros}' in html
