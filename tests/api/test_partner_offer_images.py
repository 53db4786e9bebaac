"""Partner API, event images (contract §3.3): base64 in, the wizard's checks and renditions,
the contract's limits, string error bodies ``{"imageFile": "..."}``, replace and remove."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from partner_key_helpers import make_key, make_partner
from partner_offers_helpers import Partner, event_body
from PIL import Image

from culturepass.core.errors import DomainError
from culturepass.offers import images
from culturepass.offers import services as offer_services
from culturepass.offers.models import Offer, OfferImage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Every test writes its images to a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def partner_setup():
    offerer, venue, pro = make_partner()
    return venue, Partner(make_key(offerer, pro))


@pytest.fixture
def api(partner_setup) -> Partner:
    return partner_setup[1]


@pytest.fixture
def venue(partner_setup):
    return partner_setup[0]


def image_bytes(size: tuple[int, int], fmt: str = "PNG", *, noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (30, 90, 160))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
        return image


def media_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def url_of(image: OfferImage) -> str:
    return f"{django_settings.SITE_URL}/media/{image.renditions['medium']}"


def create(api: Partner, venue, image: dict | None) -> tuple[int, dict]:
    return api("POST", "/events", event_body(venue.pk, image=image))


# --- storing ----------------------------------------------------------------------------------


def test_a_png_of_400_x_600_is_stored_with_its_renditions_and_returned(api, venue, settings):
    status, event = create(
        api, venue, {"file": b64(image_bytes((400, 600))), "credit": "© Studio Lumière"}
    )

    assert status == 200, event
    image = OfferImage.objects.get(offer_id=event["id"])
    assert (image.width, image.height, image.credit) == (400, 600, "© Studio Lumière")
    assert stored(image.original.name).format == "PNG"
    sizes = {name: stored(path).size for name, path in image.renditions.items()}
    assert sizes == {"thumb": (133, 200), "medium": (400, 600), "large": (400, 600)}
    assert event["image"] == {"credit": "© Studio Lumière", "url": url_of(image)}
    assert event["image"]["url"].startswith("http")
    assert event["image"]["url"].endswith("-medium.jpg")
    assert (settings.MEDIA_ROOT / image.renditions["medium"]).is_file()
    status, again = api("GET", f"/events/{event['id']}")
    assert again["image"] == event["image"]
    # The URL points at the stored file the app shows (MEDIA_URL + storage name).
    path = event["image"]["url"].removeprefix(f"{django_settings.SITE_URL}/media/")
    assert (settings.MEDIA_ROOT / path).is_file()


def test_a_jpeg_with_a_data_url_prefix_and_line_breaks_is_accepted(api, venue):
    encoded = base64.encodebytes(image_bytes((800, 1200), "JPEG")).decode()  # wrapped lines
    status, event = create(api, venue, {"file": f"data:image/jpeg;base64,{encoded}"})

    assert status == 200, event
    image = OfferImage.objects.get(offer_id=event["id"])
    assert stored(image.original.name).format == "JPEG"
    assert stored(image.renditions["medium"]).size == (400, 600)
    assert event["image"] == {"credit": None, "url": url_of(image)}


def test_an_event_without_image_has_image_null(api, venue):
    status, event = create(api, venue, None)
    assert (status, event["image"]) == (200, None)


# --- refusals ---------------------------------------------------------------------------------

REFUSALS = [
    pytest.param(
        b64(image_bytes((600, 600))),
        "The image must have a 2:3 portrait ratio (width:height), e.g. 400 x 600 "
        "(this one: 600 x 600).",
        id="square",
    ),
    pytest.param(
        b64(image_bytes((600, 400))),
        "The image is too small: at least 400 x 600 pixels (this one: 600 x 400).",
        id="landscape",
    ),
    pytest.param(
        b64(image_bytes((300, 450))),
        "L'image doit mesurer au moins 400 × 400 pixels (celle-ci : 300 × 450).",  # noqa: RUF001
        id="too-small-wizard-check",
    ),
    pytest.param(
        b64(image_bytes((1000, 1500), "JPEG")),
        "The image is too large: at most 800 x 1200 pixels (this one: 1000 x 1500).",
        id="too-large",
    ),
    pytest.param(
        b64(image_bytes((400, 600), "WEBP")),
        "The image must be a PNG or JPEG file (this one is WEBP).",
        id="webp",
    ),
    pytest.param(
        b64(b"hello, this is not an image"),
        "Ce fichier n'est pas une image valide. Formats acceptés : JPG, PNG ou WEBP.",
        id="not-an-image",
    ),
    pytest.param("", "Le fichier est vide.", id="empty"),
    pytest.param("not base64!", "The image file is not valid base64.", id="bad-characters"),
    pytest.param("aGVsbG8", "The image file is not valid base64.", id="bad-padding"),
    pytest.param(
        b64(image_bytes((400, 600))).replace("+", "-").replace("/", "_") + "-_",
        "The image file is not valid base64.",
        id="urlsafe-alphabet",
    ),
]


@pytest.mark.parametrize(("file", "message"), REFUSALS)
def test_a_refused_image_is_a_400_with_a_string_body_and_nothing_is_created(
    api, venue, settings, file, message
):
    status, body = create(api, venue, {"file": file, "credit": "x"})

    assert (status, body) == (400, {"imageFile": message})
    assert not Offer.objects.exists()
    assert media_files(settings) == []


def test_the_decoded_size_is_capped_like_the_wizard(api, venue, monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 1024 * 1024)
    data = image_bytes((640, 640), noise=True)
    assert len(data) > 1024 * 1024
    status, body = create(api, venue, {"file": b64(data)})

    assert (status, body) == (400, {"imageFile": "L'image ne doit pas dépasser 1 Mo."})


def test_a_credit_over_255_characters_is_a_validation_error(api, venue):
    status, body = create(api, venue, {"file": b64(image_bytes((400, 600))), "credit": "x" * 256})

    assert status == 400
    assert list(body) == ["image.credit"]
    assert not Offer.objects.exists()


def test_other_field_errors_come_first_without_decoding_the_image(api, venue):
    status, body = api(
        "POST", "/events", event_body(venue.pk, name="", image={"file": "not base64!"})
    )
    assert status == 400
    assert "imageFile" not in body


def test_files_are_removed_when_the_request_fails_after_storing_them(
    api, venue, settings, monkeypatch
):
    def refuse(**kwargs):
        raise DomainError("Publication impossible", code="nope")

    monkeypatch.setattr(offer_services, "offer_request_publication", refuse)
    status, body = create(api, venue, {"file": b64(image_bytes((400, 600)))})

    assert (status, body) == (400, {"global": ["Publication impossible"]})
    assert not Offer.objects.exists()
    assert media_files(settings) == []


# --- PATCH --------------------------------------------------------------------------------------


def test_patch_replaces_the_image_and_deletes_the_old_files(
    api, venue, settings, django_capture_on_commit_callbacks
):
    status, event = create(api, venue, {"file": b64(image_bytes((400, 600))), "credit": "A"})
    assert status == 200, event
    old = OfferImage.objects.get(offer_id=event["id"])
    old_names = [old.original.name, *old.renditions.values()]

    with django_capture_on_commit_callbacks(execute=True):
        status, patched = api(
            "PATCH",
            f"/events/{event['id']}",
            {"image": {"file": b64(image_bytes((600, 900), "JPEG")), "credit": "B"}},
        )

    assert status == 200, patched
    new = OfferImage.objects.get(offer_id=event["id"])
    assert (new.width, new.height, new.credit) == (600, 900, "B")
    assert patched["image"] == {"credit": "B", "url": url_of(new)}
    assert patched["image"]["url"] != event["image"]["url"]
    assert not any((settings.MEDIA_ROOT / name).exists() for name in old_names)
    assert len(media_files(settings)) == 4  # original + thumb, medium, large


def test_patch_with_a_refused_image_keeps_the_current_one(api, venue):
    status, event = create(api, venue, {"file": b64(image_bytes((400, 600)))})
    status, body = api(
        "PATCH", f"/events/{event['id']}", {"image": {"file": b64(image_bytes((700, 700)))}}
    )

    assert status == 400
    assert body == {
        "imageFile": "The image must have a 2:3 portrait ratio (width:height), e.g. 400 x 600 "
        "(this one: 700 x 700)."
    }
    assert api("GET", f"/events/{event['id']}")[1]["image"] == event["image"]


def test_patch_image_null_removes_the_image_and_its_files(
    api, venue, settings, django_capture_on_commit_callbacks
):
    status, event = create(api, venue, {"file": b64(image_bytes((400, 600)))})
    assert media_files(settings)

    with django_capture_on_commit_callbacks(execute=True):
        status, patched = api("PATCH", f"/events/{event['id']}", {"image": None})

    assert (status, patched["image"]) == (200, None)
    assert not OfferImage.objects.filter(offer_id=event["id"]).exists()
    assert media_files(settings) == []


def test_patch_without_image_leaves_it_alone(api, venue):
    status, event = create(api, venue, {"file": b64(image_bytes((400, 600))), "credit": "A"})
    status, patched = api("PATCH", f"/events/{event['id']}", {"name": "Autre nom"})

    assert status == 200
    assert patched["image"] == event["image"]


def test_patch_adds_an_image_to_an_event_without_one(api, venue):
    status, event = create(api, venue, None)
    status, patched = api(
        "PATCH", f"/events/{event['id']}", {"image": {"file": b64(image_bytes((400, 600)))}}
    )

    assert status == 200, patched
    assert patched["image"]["url"] == url_of(OfferImage.objects.get(offer_id=event["id"]))


# --- documentation ----------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_image_fields(client):
    document = client.get("/public/openapi.json").json()
    schemas = document["components"]["schemas"]
    image_in = schemas["ImageIn"]["properties"]
    assert "2:3" in image_in["file"]["description"]
    assert "imageFile" in image_in["file"]["description"]
    assert image_in["credit"]["anyOf"][0]["maxLength"] == 255
    assert "absolute URL" in schemas["EventOut"]["properties"]["image"]["description"]
