"""Pro portal offer pages: the creation wizard step by step, the offers list, the offer page.

Each step is tried as a pro would: the happy path, and bad input that must come back with a
French error next to the field and nothing saved.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from culturepass.offerers.models import Venue
from culturepass.offerers.services import VenueInput, venue_create
from culturepass.offers.models import Offer, OfferImage, PriceCategory, Stock
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceMode, RecurrenceRule
from culturepass.offers.services import (
    offer_create_draft,
    offer_publish,
    offer_update_description,
    offer_update_practical_info,
    price_category_add,
    stocks_generate,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


# --- helpers ---------------------------------------------------------------------------------


def step_url(offer: Offer, slug: str) -> str:
    return reverse("pro:offer_step", kwargs={"offer_id": offer.pk, "step": slug})


def image_upload(width: int = 400, height: int = 400, fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, fmt)
    return SimpleUploadedFile("affiche.png", buffer.getvalue(), content_type="image/png")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def field_error(response, field_id: str) -> str:
    """The error list Django ties to a field (``id_<name>_error``), as text."""
    match = re.search(
        rf'<ul class="errorlist"[^>]*id="{field_id}_error"[^>]*>(.*?)</ul>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no error tied to {field_id}"
    return unescape(re.sub(r"<[^>]+>|\s+", " ", match[1])).strip()


def assert_invalid(response, field_id: str) -> None:
    html = response.content.decode()
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', html)
    assert tag, f"no control {field_id}"
    assert 'aria-invalid="true"' in tag[0]
    assert f"{field_id}_error" in tag[0]  # aria-describedby
    assert f'href="#{field_id}"' in html  # the error summary links to it


def make_draft(pro, venue, subcategory_id: str = "CONCERT") -> Offer:
    return offer_create_draft(
        actor=pro, venue=venue, subcategory_id=subcategory_id, now=timezone.now()
    )


def make_complete(pro, venue, *, name: str = "Concert de jazz", days: int = 10) -> Offer:
    """A concert offer ready to be published: description, practical info, a price, a date."""
    now = timezone.now()
    offer = make_draft(pro, venue)
    offer_update_description(
        actor=pro,
        offer=offer,
        name=name,
        description="Un grand concert.",
        extra_data={"musicType": "501", "musicSubType": "502"},
        duration_minutes=90,
        now=now,
    )
    offer_update_practical_info(
        actor=pro,
        offer=offer,
        withdrawal_type="on_site",
        withdrawal_delay_seconds=3600,
        withdrawal_details="Au guichet.",
        booking_contact="contact@festival.test",
        booking_email="",
        accessibility_motor=True,
        accessibility_visual=False,
        accessibility_hearing=False,
        accessibility_mental=False,
        external_ticket_office_url="",
        now=now,
    )
    pc = price_category_add(actor=pro, offer=offer, label="Tarif unique", price_cents=1500, now=now)
    stocks_generate(
        actor=pro,
        offer=offer,
        rule=RecurrenceRule(
            mode=RecurrenceMode.ONCE,
            start_date=(now + dt.timedelta(days=days)).astimezone(PARIS).date(),
            time_slots=(dt.time(20, 30),),
        ),
        quantities=[PriceCategoryQuantity(pc.pk, 100)],
        now=now,
    )
    offer.refresh_from_db()
    return offer


def make_published(pro, venue, **kwargs) -> Offer:
    offer = make_complete(pro, venue, **kwargs)
    return offer_publish(actor=pro, offer=offer, now=timezone.now())


@pytest.fixture
def venue_a(structure_a) -> Venue:
    return Venue.objects.get(offerer=structure_a, is_head_office=True)


@pytest.fixture
def client_a(client, pro_a, structure_a):
    client.force_login(pro_a)
    return client


# --- navigation ------------------------------------------------------------------------------


def test_structure_pages_have_an_offers_tab(client_a, structure_a):
    content = client_a.get(reverse("pro:offerer_detail", args=[structure_a.pk])).content.decode()
    assert reverse("pro:offer_list", args=[structure_a.pk]) in content
    assert "Offres" in content


def test_home_links_to_offer_creation(client_a, structure_a):
    content = client_a.get(reverse("pro:home")).content.decode()
    assert reverse("pro:offer_create", args=[structure_a.pk]) in content


def test_wizard_navigation_marks_the_current_step_and_links_the_reached_ones(
    client_a, pro_a, venue_a
):
    offer = make_draft(pro_a, venue_a)
    html = client_a.get(step_url(offer, "descriptif")).content.decode()
    nav = re.search(r'<nav aria-label="Étapes de l\'offre".*?</nav>', html, re.S)[0]
    assert re.search(r'<a href="[^"]+/descriptif/" aria-current="step">Descriptif</a>', nav)
    assert f'href="{step_url(offer, "categorie")}"' in nav
    assert f'href="{step_url(offer, "tarifs")}"' not in nav  # not reached yet
    assert "<ol>" in nav


# --- step 1: category ------------------------------------------------------------------------


def test_create_page_groups_event_subcategories_by_category_and_lists_venues(
    client_a, structure_a, venue_a
):
    response = client_a.get(reverse("pro:offer_create", args=[structure_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="Musique live">' in html
    assert '<option value="CONCERT">Concert</option>' in html
    assert 'value="SUPPORT_PHYSIQUE_FILM"' not in html  # a thing, not an event
    assert f'<option value="{venue_a.pk}" selected>' in html
    assert "ne sont plus modifiables" in html


def test_create_makes_a_draft_and_goes_to_the_description(client_a, structure_a, venue_a):
    response = client_a.post(
        reverse("pro:offer_create", args=[structure_a.pk]),
        {"subcategory_id": "CONCERT", "venue_id": venue_a.pk},
    )
    offer = Offer.objects.get(offerer=structure_a)
    assert offer.validation == Offer.Validation.DRAFT
    assert offer.subcategory_id == "CONCERT"
    assert offer.is_duo  # concerts can be duo: on by default
    assert response["Location"] == step_url(offer, "descriptif")


def test_create_without_subcategory_shows_the_error_and_creates_nothing(
    client_a, structure_a, venue_a
):
    response = client_a.post(
        reverse("pro:offer_create", args=[structure_a.pk]),
        {"subcategory_id": "", "venue_id": venue_a.pk},
    )
    assert response.status_code == 400
    assert field_error(response, "id_subcategory_id") == "Ce champ est obligatoire."
    assert not Offer.objects.exists()


def test_create_refuses_a_venue_of_another_structure(client_a, structure_a, structure_b):
    other = Venue.objects.get(offerer=structure_b)
    response = client_a.post(
        reverse("pro:offer_create", args=[structure_a.pk]),
        {"subcategory_id": "CONCERT", "venue_id": other.pk},
    )
    assert response.status_code == 400
    assert not Offer.objects.exists()


def test_category_can_change_while_draft(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(step_url(offer, "categorie"), {"subcategory_id": "FESTIVAL_MUSIQUE"})
    assert response["Location"] == step_url(offer, "descriptif")
    offer.refresh_from_db()
    assert offer.subcategory_id == "FESTIVAL_MUSIQUE"


def test_category_change_after_publication_is_refused_next_to_the_field(client_a, pro_a, venue_a):
    offer = make_published(pro_a, venue_a)
    page = client_a.get(step_url(offer, "categorie"))
    assert "ne sont plus modifiables" in page.content.decode()
    assert "disabled" in re.search(r"<select[^>]*>", page.content.decode())[0]

    response = client_a.post(step_url(offer, "categorie"), {"subcategory_id": "FESTIVAL_MUSIQUE"})
    assert response.status_code == 400
    assert "ne sont plus modifiables après publication" in field_error(
        response, "id_subcategory_id"
    )
    offer.refresh_from_db()
    assert offer.subcategory_id == "CONCERT"


# --- step 2: description ---------------------------------------------------------------------


def test_description_page_shows_the_subcategory_fields_and_the_hints(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    html = client_a.get(step_url(offer, "descriptif")).content.decode()
    assert "90 caractères maximum" in html
    assert 'maxlength="90"' in html
    assert "mots clés" in html
    assert '<label for="id_musicType">Genre musical</label>' in html
    assert '<optgroup label="Jazz">' in html  # sub-genres grouped by genre
    assert 'value="JAZZ-ACID_JAZZ"' in html
    assert 'id="id_performer"' in html
    assert 'id="id_gtl_id"' not in html  # record genres are not asked for an event
    assert html.index('id="id_musicType"') < html.index('id="id_musicSubType"')
    assert 'enctype="multipart/form-data"' in html


def test_description_saves_title_extra_fields_duration_and_image(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "descriptif"),
        {
            "name": "Nuit du jazz",
            "description": "Trois groupes, une nuit.",
            "duration_minutes": "1:30",
            "musicType": "501",
            "musicSubType": "JAZZ-OTHER",
            "performer": "Le Trio",
            "image": image_upload(),
            "image_credit": "Photo : A. Dupont",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == step_url(offer, "localisation")
    offer.refresh_from_db()
    assert offer.name == "Nuit du jazz"
    assert offer.duration_minutes == 90
    # The sub-genre slug is turned back into its code ("Autre" is -1 under every genre).
    assert offer.extra_data == {"musicType": "501", "musicSubType": "-1", "performer": "Le Trio"}
    assert offer.image.credit == "Photo : A. Dupont"
    assert offer.wizard_step == "description"

    page = client_a.get(step_url(offer, "descriptif")).content.decode()
    assert reverse("pro:offer_image", args=[offer.pk]) in page
    assert "Supprimer l'image" in page
    assert 'value="1:30"' in page
    assert re.search(r'<option value="JAZZ-OTHER" selected>', page)
    image = client_a.get(reverse("pro:offer_image", args=[offer.pk]) + "?taille=thumb")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"


def test_description_with_a_300px_image_saves_nothing(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "descriptif"),
        {"name": "Nuit du jazz", "description": "", "image": image_upload(300, 300)},
    )
    assert response.status_code == 400
    assert "au moins 400 × 400 pixels" in field_error(response, "id_image")  # noqa: RUF001
    assert_invalid(response, "id_image")
    offer.refresh_from_db()
    assert offer.name == ""  # the title went back with the image
    assert not OfferImage.objects.exists()


def test_description_bad_duration_and_missing_title_are_shown_on_their_fields(
    client_a, pro_a, venue_a
):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "descriptif"), {"name": "", "duration_minutes": "longtemps"}
    )
    assert response.status_code == 400
    assert field_error(response, "id_name") == "Ce champ est obligatoire."
    assert "minutes (90) ou en heures et minutes (1:30)" in field_error(
        response, "id_duration_minutes"
    )
    assert "Le formulaire contient des erreurs" in response.content.decode()


def test_description_sub_genre_of_another_genre_is_refused(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "descriptif"),
        {"name": "Nuit", "musicType": "520", "musicSubType": "JAZZ-ACID_JAZZ"},
    )
    assert response.status_code == 400
    assert "ne correspond pas au genre musical" in field_error(response, "id_musicSubType")


def test_image_can_be_removed(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    client_a.post(step_url(offer, "descriptif"), {"name": "Nuit du jazz", "image": image_upload()})
    assert OfferImage.objects.filter(offer=offer).exists()
    response = client_a.post(reverse("pro:offer_image_delete", args=[offer.pk]))
    assert response["Location"] == step_url(offer, "descriptif")
    assert not OfferImage.objects.filter(offer=offer).exists()


# --- step 3: location ------------------------------------------------------------------------


def test_location_defaults_to_the_venue_address(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    html = text_of(client_a.get(step_url(offer, "localisation")))
    assert "1 rue de Rivoli, 75001 Paris" in html
    assert re.search(r'value="VENUE"[^>]*checked', html)
    assert "À une autre adresse" in html


def test_location_at_another_address_is_geocoded(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "localisation"),
        {
            "address_kind": "OTHER",
            "location_label": "Parc de la Villette",
            "street": "211 avenue Jean Jaurès",
            "postal_code": "75019",
            "city": "Paris",
            "latitude": "48,8938",
            "longitude": "2.3931",
        },
    )
    assert response["Location"] == step_url(offer, "informations-pratiques")
    offer.refresh_from_db()
    assert offer.address_kind == Offer.AddressKind.OTHER
    assert offer.street == "211 avenue Jean Jaurès"
    assert offer.latitude == Decimal("48.89380")


def test_location_other_address_without_city_saves_nothing(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "localisation"),
        {"address_kind": "OTHER", "street": "1 place X", "postal_code": "75019", "city": ""},
    )
    assert response.status_code == 400
    assert field_error(response, "id_city") == "Indiquez la ville."
    offer.refresh_from_db()
    assert offer.address_kind == Offer.AddressKind.VENUE


# --- step 4: practical information -----------------------------------------------------------

PRACTICAL = {
    "withdrawal_type": "on_site",
    "withdrawal_delay_seconds": "86400",
    "withdrawal_details": "Retrait au guichet avec une pièce d'identité.",
    "booking_contact": "billetterie@festival.test",
    "booking_email": "resa@festival.test",
    "accessibility_motor": "on",
    "external_ticket_office_url": "billetterie.festival.test",
}


def test_practical_info_page_offers_three_withdrawal_modes_and_reminds_identity_check(
    client_a, pro_a, venue_a
):
    offer = make_draft(pro_a, venue_a)
    html = client_a.get(step_url(offer, "informations-pratiques")).content.decode()
    for value in ("no_ticket", "by_email", "on_site"):
        assert f'value="{value}"' in html
    assert 'value="in_app"' not in html
    assert "vérification de l'identité des bénéficiaires le jour de l'événement" in html
    assert "<legend>Accessibilité</legend>" in html
    assert '<option value="900">15 minutes</option>' in html


def test_practical_info_on_site_with_a_delay_is_saved(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(step_url(offer, "informations-pratiques"), PRACTICAL)
    assert response["Location"] == step_url(offer, "tarifs")
    offer.refresh_from_db()
    assert offer.withdrawal_type == "on_site"
    assert offer.withdrawal_delay_seconds == 86400
    assert offer.accessibility_motor is True
    assert offer.external_ticket_office_url == "https://billetterie.festival.test"


def test_practical_info_delay_with_no_ticket_is_refused_and_saves_nothing(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "informations-pratiques"),
        PRACTICAL | {"withdrawal_type": "no_ticket", "withdrawal_delay_seconds": "3600"},
    )
    assert response.status_code == 400
    assert field_error(response, "id_withdrawal_delay_seconds") == (
        "Aucun délai ne s'applique quand aucun billet n'est nécessaire."
    )
    assert_invalid(response, "id_withdrawal_delay_seconds")
    offer.refresh_from_db()
    assert offer.withdrawal_type == ""
    assert offer.booking_contact == ""


def test_practical_info_requires_a_withdrawal_mode_for_a_concert(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "informations-pratiques"), PRACTICAL | {"withdrawal_type": ""}
    )
    assert response.status_code == 400
    assert "Choisissez une modalité de retrait." in response.content.decode()


def test_practical_info_hides_withdrawal_for_a_non_withdrawable_subcategory(
    client_a, pro_a, venue_a
):
    offer = make_draft(pro_a, venue_a, "VISITE_GUIDEE")
    html = client_a.get(step_url(offer, "informations-pratiques")).content.decode()
    assert 'name="withdrawal_type"' not in html
    assert "vérification de l'identité" in html


# --- step 5: price categories ----------------------------------------------------------------


def test_price_page_explains_one_price_per_offer_and_suggests_tarif_unique(
    client_a, pro_a, venue_a
):
    offer = make_draft(pro_a, venue_a)
    html = client_a.get(step_url(offer, "tarifs")).content.decode()
    assert "ne peuvent réserver qu'un seul des tarifs" in html
    assert "créer une offre par format ou tarif" in html
    assert 'value="Tarif unique"' in html
    assert ">Ajouter un tarif</button>" in html


def test_add_price_categories_in_euros_with_comma_or_dot(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    url = step_url(offer, "tarifs")
    response = client_a.post(url, {"nouveau-label": "Tarif unique", "nouveau-price": "12,50"})
    assert response["Location"] == url
    client_a.post(url, {"nouveau-label": "Balcon", "nouveau-price": "8.5 €"})
    prices = dict(PriceCategory.objects.filter(offer=offer).values_list("label", "price_cents"))
    assert prices == {"Tarif unique": 1250, "Balcon": 850}
    html = client_a.get(url).content.decode()
    assert "Supprimer le tarif Balcon" in html
    assert 'value="12,50"' in html


def test_a_price_above_300_euros_is_refused_next_to_the_price(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "tarifs"), {"nouveau-label": "VIP", "nouveau-price": "300,01"}
    )
    assert response.status_code == 400
    assert field_error(response, "id_nouveau-price") == "Le prix ne peut pas dépasser 300 €."
    assert_invalid(response, "id_nouveau-price")
    assert not PriceCategory.objects.exists()


def test_a_51st_price_category_is_refused(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    now = timezone.now()
    for i in range(50):
        price_category_add(actor=pro_a, offer=offer, label=f"Pass {i}", price_cents=i, now=now)
    response = client_a.post(
        step_url(offer, "tarifs"), {"nouveau-label": "Pass 51", "nouveau-price": "10"}
    )
    assert response.status_code == 400
    assert field_error(response, "id_nouveau-price") == "Une offre peut avoir au plus 50 tarifs."
    assert PriceCategory.objects.filter(offer=offer).count() == 50


def test_a_price_category_is_renamed_and_repriced_inline(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    pc = PriceCategory.objects.get(offer=offer)
    prefix = f"tarif-{pc.pk}"
    response = client_a.post(
        reverse("pro:price_category_update", args=[pc.pk]),
        {f"{prefix}-label": "Plein tarif", f"{prefix}-price": "20"},
    )
    assert response["Location"] == step_url(offer, "tarifs")
    pc.refresh_from_db()
    assert (pc.label, pc.price_cents) == ("Plein tarif", 2000)

    bad = client_a.post(
        reverse("pro:price_category_update", args=[pc.pk]),
        {f"{prefix}-label": "Plein tarif", f"{prefix}-price": "abc"},
    )
    assert bad.status_code == 400
    assert "Saisissez un prix en euros" in field_error(bad, f"id_{prefix}-price")


def test_trash_icon_deletes_a_price_category_and_its_dates_while_draft(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    pc = PriceCategory.objects.get(offer=offer)
    response = client_a.post(reverse("pro:price_category_delete", args=[pc.pk]))
    assert response["Location"] == step_url(offer, "tarifs")
    assert not PriceCategory.objects.filter(offer=offer).exists()
    assert not Stock.objects.filter(offer=offer).exists()


def test_no_trash_icon_once_published(client_a, pro_a, venue_a):
    offer = make_published(pro_a, venue_a)
    html = client_a.get(step_url(offer, "tarifs")).content.decode()
    assert "Supprimer le tarif" not in html
    pc = PriceCategory.objects.get(offer=offer)
    client_a.post(reverse("pro:price_category_delete", args=[pc.pk]))
    assert PriceCategory.objects.filter(pk=pc.pk).exists()


# --- step 6: duo -----------------------------------------------------------------------------


def test_duo_can_be_switched_off(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    html = client_a.get(step_url(offer, "duo")).content.decode()
    assert "deux places" in html
    assert re.search(r'<input type="checkbox" name="is_duo"[^>]*checked', html)
    response = client_a.post(step_url(offer, "duo"), {})
    assert response["Location"] == step_url(offer, "dates")
    offer.refresh_from_db()
    assert offer.is_duo is False


def test_duo_is_explained_and_skipped_when_the_subcategory_cannot_be_duo(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a, "LIVESTREAM_MUSIQUE")
    html = client_a.get(step_url(offer, "duo")).content.decode()
    assert 'name="is_duo"' not in html
    assert "ne permet pas les réservations duo" in html
    assert f'href="{step_url(offer, "dates")}"' in html


# --- step 7: dates and capacities ------------------------------------------------------------


def dates_post(start: dt.date, end: dt.date | None, pcs: dict[int, str], **extra) -> dict:
    data = {
        "mode": "DAILY",
        "start_date": start.isoformat(),
        "end_date": end.isoformat() if end else "",
        "time_slot_0": "18:00",
        "time_slot_1": "21:00",
        "time_slot_2": "",
        "time_slot_3": "",
        "slot_count": "4",
        "booking_limit_days": "",
    }
    data.update({f"quantity_{pk}": qty for pk, qty in pcs.items()})
    data.update(extra)
    return data


def test_dates_every_day_with_two_slots_and_two_prices_then_summary(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    now = timezone.now()
    a = price_category_add(actor=pro_a, offer=offer, label="Pass jour", price_cents=2000, now=now)
    b = price_category_add(actor=pro_a, offer=offer, label="Réduit", price_cents=1000, now=now)
    start = timezone.localdate() + dt.timedelta(days=30)
    page = client_a.get(step_url(offer, "dates")).content.decode()
    assert "Tous les jours" in page
    assert 'type="time"' in page
    assert "Pass jour" in page

    response = client_a.post(
        step_url(offer, "dates"),
        dates_post(start, start + dt.timedelta(days=6), {a.pk: "50", b.pk: ""}),
    )
    assert response["Location"] == step_url(offer, "recapitulatif-des-dates")
    stocks = Stock.objects.filter(offer=offer)
    assert stocks.count() == 7 * 2 * 2
    assert set(stocks.filter(price_category=a).values_list("quantity", flat=True)) == {50}
    assert set(stocks.filter(price_category=b).values_list("quantity", flat=True)) == {None}
    first = stocks.order_by("beginning_datetime").first()
    assert first.beginning_datetime.astimezone(PARIS).time() == dt.time(18, 0)

    summary = client_a.get(response["Location"])
    html = text_of(summary)
    assert "28 dates ont été créées." in html
    assert "28 dates" in html
    assert "Illimité" in html
    assert "Supprimer la date du" in html
    assert "18:00" in html


def test_dates_report_skipped_duplicates(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    pc = price_category_add(
        actor=pro_a, offer=offer, label="Tarif unique", price_cents=0, now=timezone.now()
    )
    start = timezone.localdate() + dt.timedelta(days=5)
    data = dates_post(start, start + dt.timedelta(days=1), {pc.pk: "10"})
    client_a.post(step_url(offer, "dates"), data)
    response = client_a.post(step_url(offer, "dates"), data, follow=True)
    assert "4 dates existaient déjà et ont été ignorées." in text_of(response)
    assert Stock.objects.filter(offer=offer).count() == 4


def test_add_a_slot_keeps_what_was_typed_and_saves_nothing(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    pc = price_category_add(
        actor=pro_a, offer=offer, label="Tarif unique", price_cents=0, now=timezone.now()
    )
    start = timezone.localdate() + dt.timedelta(days=5)
    response = client_a.post(
        step_url(offer, "dates"),
        dates_post(start, None, {pc.pk: "10"}, add_slot="1"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_time_slot_4"' in html
    assert 'value="18:00"' in html
    assert "errorlist" not in html
    assert not Stock.objects.exists()


def test_weekly_dates_need_a_weekday(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    pc = price_category_add(
        actor=pro_a, offer=offer, label="Tarif unique", price_cents=0, now=timezone.now()
    )
    start = timezone.localdate() + dt.timedelta(days=5)
    response = client_a.post(
        step_url(offer, "dates"),
        dates_post(start, start + dt.timedelta(days=30), {pc.pk: ""}, mode="WEEKLY"),
    )
    assert response.status_code == 400
    assert "Choisissez au moins un jour de la semaine." in field_error(response, "id_weekdays")
    assert not Stock.objects.exists()


def test_a_2501st_occurrence_is_refused(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    now = timezone.now()
    pc = price_category_add(actor=pro_a, offer=offer, label="Tarif", price_cents=0, now=now)
    start = timezone.localdate() + dt.timedelta(days=2)
    stocks_generate(
        actor=pro_a,
        offer=offer,
        rule=RecurrenceRule(
            mode=RecurrenceMode.DAILY,
            start_date=start,
            end_date=start + dt.timedelta(days=99),
            time_slots=tuple(dt.time(h, m) for h in range(8, 22) for m in (0, 30))[:25],
        ),
        quantities=[PriceCategoryQuantity(pc.pk, None)],
        now=now,
    )
    assert Stock.objects.filter(offer=offer).count() == 2500
    later = start + dt.timedelta(days=200)
    response = client_a.post(
        step_url(offer, "dates"),
        dates_post(later, None, {pc.pk: ""}, mode="ONCE", time_slot_1=""),
    )
    assert response.status_code == 400
    assert "Une offre peut avoir au plus 2 500 dates" in text_of(response).replace("\u202f", " ")
    assert Stock.objects.filter(offer=offer).count() == 2500


def test_overseas_offer_dates_are_entered_and_shown_in_its_time_zone(client_a, pro_a, structure_a):
    venue = venue_create(
        actor=pro_a,
        offerer=structure_a,
        data=VenueInput(
            name="Théâtre de Saint-Denis",
            street="2 rue de Paris",
            postal_code="97400",
            city="Saint-Denis",
            comment="Salle partenaire",
            latitude=Decimal("-20.8789"),
            longitude=Decimal("55.4481"),
        ),
        now=timezone.now(),
    )
    offer = make_draft(pro_a, venue)
    assert offer.timezone == "Indian/Reunion"
    pc = price_category_add(
        actor=pro_a, offer=offer, label="Tarif", price_cents=500, now=timezone.now()
    )
    start = timezone.localdate() + dt.timedelta(days=20)
    client_a.post(
        step_url(offer, "dates"),
        dates_post(start, None, {pc.pk: "30"}, mode="ONCE", time_slot_1=""),
    )
    stock = Stock.objects.get(offer=offer)
    assert stock.beginning_datetime.astimezone(ZoneInfo("Indian/Reunion")).time() == dt.time(18, 0)
    assert stock.beginning_datetime.astimezone(dt.UTC).time() == dt.time(14, 0)
    html = text_of(client_a.get(step_url(offer, "recapitulatif-des-dates")))
    assert "Indian/Reunion" in html
    assert "18:00" in html


# --- occurrences summary: edit, delete, past ---------------------------------------------------


def test_an_occurrence_is_edited_in_the_offer_time_zone(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    stock = Stock.objects.get(offer=offer)
    local = stock.beginning_datetime.astimezone(PARIS)
    page = client_a.get(reverse("pro:stock_edit", args=[stock.pk])).content.decode()
    assert f'value="{local:%Y-%m-%dT%H:%M}"' in page
    response = client_a.post(
        reverse("pro:stock_edit", args=[stock.pk]),
        {
            "beginning_datetime": f"{local:%Y-%m-%d}T21:00",
            "booking_limit_datetime": f"{local:%Y-%m-%d}T12:00",
            "quantity": "80",
        },
    )
    assert response["Location"] == step_url(offer, "recapitulatif-des-dates")
    stock.refresh_from_db()
    assert stock.beginning_datetime.astimezone(PARIS).time() == dt.time(21, 0)
    assert stock.booking_limit_datetime.astimezone(PARIS).time() == dt.time(12, 0)
    assert stock.quantity == 80


def test_a_booking_limit_after_the_start_is_refused(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    stock = Stock.objects.get(offer=offer)
    before = (stock.beginning_datetime, stock.booking_limit_datetime, stock.quantity)
    local = stock.beginning_datetime.astimezone(PARIS)
    response = client_a.post(
        reverse("pro:stock_edit", args=[stock.pk]),
        {
            "beginning_datetime": f"{local:%Y-%m-%dT%H:%M}",
            "booking_limit_datetime": f"{local + dt.timedelta(hours=2):%Y-%m-%dT%H:%M}",
            "quantity": "5",
        },
    )
    assert response.status_code == 400
    assert field_error(response, "id_booking_limit_datetime") == (
        "La date limite de réservation ne peut pas être après le début de l'événement."
    )
    stock.refresh_from_db()
    assert (stock.beginning_datetime, stock.booking_limit_datetime, stock.quantity) == before


def test_trash_icon_asks_for_confirmation_then_deletes_the_occurrence(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    stock = Stock.objects.get(offer=offer)
    confirm = client_a.get(reverse("pro:stock_delete", args=[stock.pk]))
    assert "Supprimer cette date ?" in confirm.content.decode()
    stock.refresh_from_db()
    assert not stock.is_soft_deleted
    response = client_a.post(reverse("pro:stock_delete", args=[stock.pk]))
    assert response["Location"] == step_url(offer, "recapitulatif-des-dates")
    stock.refresh_from_db()
    assert stock.is_soft_deleted


def test_past_occurrences_are_read_only(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a, days=2)
    stock = Stock.objects.get(offer=offer)
    with time_machine.travel(timezone.now() + dt.timedelta(days=5)):
        html = client_a.get(step_url(offer, "recapitulatif-des-dates")).content.decode()
        assert "passée" in html
        assert reverse("pro:stock_edit", args=[stock.pk]) not in html
        response = client_a.post(
            reverse("pro:stock_edit", args=[stock.pk]),
            {"beginning_datetime": "", "booking_limit_datetime": "", "quantity": "1"},
        )
        assert "n'est plus modifiable" in response.content.decode()
    stock.refresh_from_db()
    assert stock.quantity == 100


# --- step 8: publication ---------------------------------------------------------------------


def test_publication_page_summarises_and_offers_three_choices(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    html = text_of(client_a.get(step_url(offer, "publication")))
    assert "Concert de jazz" in html
    assert "Tarif unique : 15,00 €" in html
    assert "Retrait sur place" in html
    assert "Enregistrer comme brouillon" in html
    assert "Publier maintenant" in html
    assert "Planifier la publication" in html
    assert 'type="datetime-local"' in html
    assert "À compléter avant publication" not in html


def test_an_incomplete_offer_lists_what_is_missing_with_links(client_a, pro_a, venue_a):
    offer = make_draft(pro_a, venue_a)
    html = client_a.get(step_url(offer, "publication")).content.decode()
    assert "À compléter avant publication" in html
    assert "Indiquez un titre." in html
    assert f'href="{step_url(offer, "descriptif")}"' in html
    response = client_a.post(step_url(offer, "publication"), {"action": "publish"})
    assert response.status_code == 400
    offer.refresh_from_db()
    assert offer.validation == Offer.Validation.DRAFT


def test_save_as_draft_goes_back_to_the_list(client_a, pro_a, venue_a, structure_a):
    offer = make_complete(pro_a, venue_a)
    response = client_a.post(step_url(offer, "publication"), {"action": "draft"})
    assert response["Location"] == reverse("pro:offer_list", args=[structure_a.pk])
    offer.refresh_from_db()
    assert offer.validation == Offer.Validation.DRAFT


def test_publish_now(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    response = client_a.post(step_url(offer, "publication"), {"action": "publish"})
    assert response["Location"] == reverse("pro:offer_detail", args=[offer.pk])
    offer.refresh_from_db()
    assert offer.validation == Offer.Validation.APPROVED
    detail = text_of(client_a.get(response["Location"]))
    assert "Votre offre est publiée." in detail
    assert "Active" in detail


def test_schedule_publication_in_the_offer_time_zone(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    when = (
        (timezone.now() + dt.timedelta(days=3))
        .astimezone(PARIS)
        .replace(hour=9, minute=15, second=0, microsecond=0)
    )
    response = client_a.post(
        step_url(offer, "publication"),
        {"action": "schedule", "publication_datetime": f"{when:%Y-%m-%dT%H:%M}"},
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.validation == Offer.Validation.DRAFT
    assert offer.publication_datetime == when
    detail = text_of(client_a.get(reverse("pro:offer_detail", args=[offer.pk])))
    assert "Programmée" in detail
    assert "09:15" in detail


def test_schedule_without_a_date_is_refused(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    response = client_a.post(step_url(offer, "publication"), {"action": "schedule"})
    assert response.status_code == 400
    assert field_error(response, "id_publication_datetime") == (
        "Indiquez la date et l'heure de publication."
    )


def test_a_published_offer_stays_editable_except_its_category(client_a, pro_a, venue_a):
    offer = make_published(pro_a, venue_a)
    response = client_a.post(
        step_url(offer, "descriptif"),
        {"name": "Nouveau titre", "musicType": "501", "musicSubType": "JAZZ-ACID_JAZZ"},
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.name == "Nouveau titre"
    nav = client_a.get(step_url(offer, "duo")).content.decode()
    assert f'href="{step_url(offer, "publication")}"' in nav


# --- offers list -----------------------------------------------------------------------------


@pytest.fixture
def list_world(pro_a, structure_a, venue_a):
    other_venue = venue_create(
        actor=pro_a,
        offerer=structure_a,
        data=VenueInput(
            name="Chapiteau", street="Parc", postal_code="75019", city="Paris", comment="Sans SIRET"
        ),
        now=timezone.now(),
    )
    draft = make_draft(pro_a, venue_a, "VISITE_GUIDEE")
    offer_update_description(
        actor=pro_a,
        offer=draft,
        name="Visite du musée",
        description="",
        extra_data={},
        duration_minutes=None,
        now=timezone.now(),
    )
    concert = make_published(pro_a, venue_a, name="Concert du soir", days=10)
    festival = make_published(pro_a, other_venue, name="Festival d'été", days=40)
    return {"draft": draft, "concert": concert, "festival": festival, "venue": other_venue}


def test_list_shows_offers_with_status_next_date_and_seats(client_a, structure_a, list_world):
    response = client_a.get(reverse("pro:offer_list", args=[structure_a.pk]))
    html = text_of(response)
    assert "Créer une offre" in html
    for name in ("Visite du musée", "Concert du soir", "Festival d&#x27;été"):
        assert name in html
    assert '<span class="status status-DRAFT">Brouillon</span>' in html
    assert '<span class="status status-ACTIVE">Active</span>' in html
    assert "0 / 100" in html
    assert '<th scope="col">' in html


def test_list_filters(client_a, structure_a, list_world):
    url = reverse("pro:offer_list", args=[structure_a.pk])

    def names(**params) -> set[str]:
        html = client_a.get(url, params).content.decode()
        return set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html))

    assert names(status="DRAFT") == {"Visite du musée"}
    assert names(venue=list_world["venue"].pk) == {"Festival d&#x27;été"}
    assert names(category="MUSEE") == {"Visite du musée"}
    assert names(text="soir") == {"Concert du soir"}
    in_a_month = timezone.localdate() + dt.timedelta(days=35)
    assert names(period_start=in_a_month.isoformat()) == {"Festival d&#x27;été"}
    html = client_a.get(url, {"text": "introuvable"}).content.decode()
    assert "Aucune offre ne correspond à ces filtres." in html


def test_bulk_deactivate_and_reactivate(client_a, structure_a, list_world):
    ids = [list_world["concert"].pk, list_world["festival"].pk]
    response = client_a.post(
        reverse("pro:offer_bulk", args=[structure_a.pk]),
        {"offer_ids": ids, "action": "deactivate", "query": "status=ACTIVE"},
    )
    assert response["Location"] == reverse("pro:offer_list", args=[structure_a.pk]) + (
        "?status=ACTIVE"
    )
    assert not Offer.objects.filter(pk__in=ids, is_active=True).exists()
    listing = text_of(client_a.get(reverse("pro:offer_list", args=[structure_a.pk])))
    assert "2 offres ont été désactivées." in listing
    assert "Désactivée" in listing
    client_a.post(
        reverse("pro:offer_bulk", args=[structure_a.pk]),
        {"offer_ids": ids, "action": "activate"},
    )
    assert Offer.objects.filter(pk__in=ids, is_active=True).count() == 2


def test_bulk_action_cannot_reach_an_offer_of_another_structure(
    client_a, structure_a, list_world, pro_b, structure_b
):
    other = make_published(pro_b, Venue.objects.get(offerer=structure_b), name="Pièce")
    client_a.post(
        reverse("pro:offer_bulk", args=[structure_a.pk]),
        {"offer_ids": [other.pk, list_world["concert"].pk], "action": "deactivate"},
    )
    assert Offer.objects.filter(is_active=False).count() == 0


def test_duplicate_from_the_list(client_a, structure_a, list_world):
    concert = list_world["concert"]
    response = client_a.post(reverse("pro:offer_duplicate", args=[concert.pk]))
    copy = Offer.objects.exclude(pk=concert.pk).get(name="Concert du soir (copie)")
    assert response["Location"] == reverse("pro:offer_detail", args=[copy.pk])
    assert copy.validation == Offer.Validation.DRAFT
    html = client_a.get(reverse("pro:offer_list", args=[structure_a.pk])).content.decode()
    assert f'formaction="{reverse("pro:offer_duplicate", args=[concert.pk])}"' in html


def test_a_draft_is_resumed_from_the_list_at_the_step_where_it_was_left(
    client_a, structure_a, list_world
):
    draft = list_world["draft"]
    html = client_a.get(reverse("pro:offer_list", args=[structure_a.pk])).content.decode()
    assert f'<a href="{step_url(draft, "localisation")}">Reprendre' in html
    assert f'<a href="{step_url(list_world["concert"], "localisation")}">Reprendre' not in html


def test_list_page_of_1000_offers_and_20000_dates_costs_the_same_queries_as_one_offer(
    client_a, pro_a, structure_a, venue_a
):
    make_published(pro_a, venue_a)
    url = reverse("pro:offer_list", args=[structure_a.pk])
    client_a.get(url)
    with CaptureQueriesContext(connection) as few:
        client_a.get(url)
    now = timezone.now()
    offers = Offer.objects.bulk_create(
        Offer(
            offerer=structure_a,
            venue=venue_a,
            subcategory_id="CONCERT",
            name=f"Concert {i}",
            validation=Offer.Validation.APPROVED,
            created_at=now,
            updated_at=now,
        )
        for i in range(1000)
    )
    pcs = PriceCategory.objects.bulk_create(
        PriceCategory(offer=o, label="Tarif", price_cents=100, created_at=now) for o in offers
    )
    Stock.objects.bulk_create(
        Stock(
            offer_id=pc.offer_id,
            price_category=pc,
            beginning_datetime=now + dt.timedelta(days=d + 1),
            booking_limit_datetime=now + dt.timedelta(days=d + 1),
            quantity=10,
            created_at=now,
            updated_at=now,
        )
        for pc in pcs
        for d in range(20)
    )
    assert Stock.objects.filter(offer__offerer=structure_a).count() >= 20_000
    with CaptureQueriesContext(connection) as many:
        response = client_a.get(url)
    assert "Page 1 sur 21" in response.content.decode()
    assert len(many) == len(few)


# --- offer page ------------------------------------------------------------------------------


def test_offer_page_shows_summary_dates_statistics_and_actions(client_a, pro_a, venue_a):
    offer = make_published(pro_a, venue_a)
    html = text_of(client_a.get(reverse("pro:offer_detail", args=[offer.pk])))
    assert "<h1>Concert de jazz</h1>" in html
    assert "Statistiques" in html
    assert "Places réservées" in html
    assert "Capacité" in html
    assert "Dupliquer l'offre" in html
    assert "Désactiver l'offre" in html
    assert step_url(offer, "informations-pratiques") in html
    assert "Acid Jazz" in html  # extra fields by label


def test_offer_page_deactivates_and_reactivates(client_a, pro_a, venue_a):
    offer = make_published(pro_a, venue_a)
    url = reverse("pro:offer_set_active", args=[offer.pk])
    client_a.post(url, {"action": "deactivate"})
    offer.refresh_from_db()
    assert offer.is_active is False
    assert (
        "Réactiver l'offre"
        in client_a.get(reverse("pro:offer_detail", args=[offer.pk])).content.decode()
    )
    client_a.post(url, {"action": "activate"})
    offer.refresh_from_db()
    assert offer.is_active is True


def test_outsider_posts_change_no_offer(client, pro_b, structure_b, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    pc = PriceCategory.objects.get(offer=offer)
    stock = Stock.objects.get(offer=offer)

    def state():
        return (
            Offer.objects.filter(pk=offer.pk).values().get(),
            list(PriceCategory.objects.filter(offer=offer).values()),
            list(Stock.objects.filter(offer=offer).values()),
        )

    before = state()
    client.force_login(pro_b)
    urls = [step_url(offer, slug) for slug in ("categorie", "descriptif", "tarifs", "dates")]
    urls += [
        reverse("pro:offer_duplicate", args=[offer.pk]),
        reverse("pro:offer_set_active", args=[offer.pk]),
        reverse("pro:price_category_delete", args=[pc.pk]),
        reverse("pro:stock_delete", args=[stock.pk]),
        reverse("pro:offer_bulk", args=[structure_b.pk]),
    ]
    for url in urls[:-1]:
        assert client.post(url, {"name": "Piraté", "action": "deactivate"}).status_code == 404
    client.post(urls[-1], {"offer_ids": [offer.pk], "action": "deactivate"})
    assert state() == before
    assert Offer.objects.count() == 1


def test_publish_now_with_a_date_typed_asks_to_schedule_instead(client_a, pro_a, venue_a):
    offer = make_complete(pro_a, venue_a)
    when = (timezone.now() + dt.timedelta(days=3)).astimezone(PARIS)
    response = client_a.post(
        step_url(offer, "publication"),
        {"action": "publish", "publication_datetime": f"{when:%Y-%m-%dT%H:%M}"},
    )
    assert response.status_code == 400
    assert "Planifier la publication" in field_error(response, "id_publication_datetime")
    offer.refresh_from_db()
    assert offer.validation == Offer.Validation.DRAFT
    assert offer.publication_datetime is None


def test_pages_say_offers_of_a_structure_not_yet_validated_are_not_visible(
    client_a, pro_a, structure_a, venue_a
):
    offer = make_published(pro_a, venue_a)
    assert structure_a.status != "VALIDATED"
    warning = "une fois la structure validée par nos équipes"
    assert warning in text_of(client_a.get(reverse("pro:offer_list", args=[structure_a.pk])))
    assert warning in text_of(client_a.get(reverse("pro:offer_detail", args=[offer.pk])))
