"""Offer images: checked by content, turned upright, stored with renditions, replaced cleanly."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from offers_helpers import NOW, db_state, image_bytes, upload
from PIL import Image

from culturepass.core.errors import DomainError
from culturepass.offers import images, services
from culturepass.offers.images import ImageError
from culturepass.offers.models import OfferImage


def set_image(actor, offer, data, name="photo.jpg", credit=""):
    return services.offer_set_image(
        actor=actor, offer=offer, upload=upload(data, name), credit=credit, now=NOW
    )


def stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
        return image


def test_an_image_is_stored_with_its_three_renditions(pro_a, draft, settings):
    image = set_image(pro_a, draft, image_bytes((1600, 1200)), credit="© Studio Lumière")

    assert (settings.MEDIA_ROOT / image.original.name).is_file()
    assert (image.width, image.height, image.credit) == (1600, 1200, "© Studio Lumière")
    assert image.original.name.startswith(f"offers/{draft.pk}/")
    assert stored(image.original.name).size == (1600, 1200)
    sizes = {name: stored(path).size for name, path in image.renditions.items()}
    assert sizes == {"thumb": (200, 150), "medium": (600, 450), "large": (1200, 900)}
    assert all(stored(path).format == "JPEG" for path in image.renditions.values())


def test_renditions_never_enlarge_a_small_image(pro_a, draft):
    image = set_image(pro_a, draft, image_bytes((500, 400), "PNG"), name="affiche.png")

    assert stored(image.renditions["large"]).size == (500, 400)
    assert stored(image.renditions["thumb"]).size == (200, 160)
    assert stored(image.original.name).format == "PNG"


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "a.png"), ("WEBP", "a.webp")])
def test_png_and_webp_are_accepted(pro_a, draft, fmt, name):
    image = set_image(pro_a, draft, image_bytes((400, 400), fmt), name=name)

    assert stored(image.original.name).format == fmt


def test_a_transparent_png_gets_a_white_background_in_its_renditions(pro_a, draft):
    data = image_bytes((400, 400), "PNG", mode="RGBA", color=(0, 0, 0, 0))

    image = set_image(pro_a, draft, data, name="logo.png")

    assert stored(image.renditions["thumb"]).getpixel((10, 10)) == pytest.approx(
        (255, 255, 255), abs=2
    )


def test_the_exif_orientation_is_applied_and_the_metadata_dropped(pro_a, draft):
    # Stored 800 wide and 400 high, to be shown turned by 90°: upright it is 400 x 800.
    raw = Image.new("RGB", (800, 400), (255, 0, 0))
    raw.paste((0, 0, 255), (0, 0, 400, 400))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    raw.save(buffer, "JPEG", exif=exif.tobytes())

    image = set_image(pro_a, draft, buffer.getvalue())

    assert (image.width, image.height) == (400, 800)
    original = stored(image.original.name)
    assert original.size == (400, 800)
    assert not original.getexif()
    # Turned clockwise, the stored left half (blue) ends up on top.
    top = original.getpixel((200, 100))
    bottom = original.getpixel((200, 700))
    assert top[2] > 200 > top[0]
    assert bottom[0] > 200 > bottom[2]
    assert stored(image.renditions["thumb"]).size == (100, 200)


def test_a_300_by_300_image_is_refused_with_its_size_and_saves_nothing(pro_a, draft, settings):
    before = db_state(draft)

    with pytest.raises(ImageError) as error:
        set_image(pro_a, draft, image_bytes((300, 300)))

    assert error.value.code == "image_too_small"
    assert error.value.field == "image"
    assert error.value.message == (
        "L'image doit mesurer au moins 400 × 400 pixels (celle-ci : 300 × 300)."  # noqa: RUF001
    )
    assert db_state(draft) == before
    assert not (settings.MEDIA_ROOT / "offers").exists()


def test_one_side_under_400_pixels_is_refused(pro_a, draft):
    with pytest.raises(ImageError) as error:
        set_image(pro_a, draft, image_bytes((1200, 399)))

    assert error.value.code == "image_too_small"


def test_text_renamed_jpg_is_refused(pro_a, draft):
    with pytest.raises(ImageError) as error:
        set_image(pro_a, draft, b"Ceci n'est pas une image. " * 100, name="photo.jpg")

    assert error.value.code == "image_unreadable"
    assert "Formats acceptés : JPG, PNG ou WEBP" in error.value.message
    assert not OfferImage.objects.exists()


def test_a_truncated_jpeg_is_refused(pro_a, draft):
    data = image_bytes((800, 800))

    with pytest.raises(ImageError) as error:
        set_image(pro_a, draft, data[: len(data) // 2])

    assert error.value.code == "image_unreadable"


def test_a_gif_is_refused_even_named_jpg(pro_a, draft):
    with pytest.raises(ImageError) as error:
        set_image(pro_a, draft, image_bytes((500, 500), "GIF"), name="anim.jpg")

    assert error.value.code == "image_format"


def test_a_file_over_10_megabytes_is_refused_before_decoding(pro_a, draft):
    data = image_bytes((500, 500)) + b"\0" * (10 * 1024 * 1024)

    with pytest.raises(ImageError) as error:
        set_image(pro_a, draft, data)

    assert error.value.code == "image_too_large"
    assert error.value.message == "L'image ne doit pas dépasser 10 Mo."


def test_the_size_limit_is_also_checked_on_streams_without_a_size():
    data = image_bytes((500, 500))

    with pytest.raises(ImageError) as error:
        images.process_upload(io.BytesIO(data), max_bytes=len(data) - 1)

    assert error.value.code == "image_too_large"


def test_an_image_with_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_PIXELS", 500 * 500 - 1)

    with pytest.raises(ImageError) as error:
        images.process_upload(io.BytesIO(image_bytes((500, 500))))

    assert error.value.code == "image_too_many_pixels"


def test_replacing_the_image_deletes_the_old_files_after_commit(
    pro_a, draft, django_capture_on_commit_callbacks
):
    first = set_image(pro_a, draft, image_bytes((800, 800)))
    old_names = [first.original.name, *first.renditions.values()]

    with django_capture_on_commit_callbacks(execute=True):
        second = set_image(pro_a, draft, image_bytes((900, 900), color=(0, 90, 0)))

    assert OfferImage.objects.filter(offer=draft).count() == 1
    assert second.width == 900
    assert not any(default_storage.exists(name) for name in old_names)
    assert all(default_storage.exists(name) for name in second.renditions.values())


def test_a_refused_replacement_keeps_the_current_image(pro_a, draft):
    first = set_image(pro_a, draft, image_bytes((800, 800)))

    with pytest.raises(ImageError):
        set_image(pro_a, draft, image_bytes((100, 100)))

    assert OfferImage.objects.get(offer=draft).original.name == first.original.name
    assert default_storage.exists(first.original.name)


def test_files_written_for_a_failed_save_are_removed(pro_a, draft, monkeypatch, settings):
    def fail(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(services, "audit_record", fail)

    with pytest.raises(RuntimeError):
        set_image(pro_a, draft, image_bytes((800, 800)))

    assert not OfferImage.objects.exists()
    folder = settings.MEDIA_ROOT / "offers" / str(draft.pk)
    assert not folder.exists() or not list(folder.iterdir())


def test_removing_the_image_deletes_its_files(pro_a, draft, django_capture_on_commit_callbacks):
    image = set_image(pro_a, draft, image_bytes((800, 800)))
    names = [image.original.name, *image.renditions.values()]

    with django_capture_on_commit_callbacks(execute=True):
        services.offer_remove_image(actor=pro_a, offer=draft, now=NOW)

    assert not OfferImage.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_a_duplicated_offer_keeps_the_shared_image_files(
    pro_a, draft, django_capture_on_commit_callbacks
):
    services.offer_update_description(
        actor=pro_a,
        offer=draft,
        name="Affiche",
        description="",
        extra_data={},
        duration_minutes=None,
        now=NOW,
    )
    image = set_image(pro_a, draft, image_bytes((800, 800)))
    copy = services.offer_duplicate(actor=pro_a, offer=draft, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        services.offer_remove_image(actor=pro_a, offer=draft, now=NOW)

    assert OfferImage.objects.get(offer=copy).original.name == image.original.name
    assert default_storage.exists(image.original.name)


def test_the_credit_line_can_change_alone_and_is_limited(pro_a, draft):
    set_image(pro_a, draft, image_bytes((800, 800)), credit="Photo : A")

    services.offer_update_image_credit(actor=pro_a, offer=draft, credit="Photo : B", now=NOW)
    with pytest.raises(DomainError) as error:
        services.offer_update_image_credit(actor=pro_a, offer=draft, credit="x" * 256, now=NOW)

    assert OfferImage.objects.get(offer=draft).credit == "Photo : B"
    assert error.value.field == "credit"


def test_a_stranger_upload_is_not_even_decoded(pro_b, structure_b, draft, monkeypatch):
    monkeypatch.setattr(
        images, "process_upload", lambda *a, **k: pytest.fail("decoded a stranger's upload")
    )

    with pytest.raises(DomainError) as error:
        set_image(pro_b, draft, image_bytes((800, 800)))

    assert error.value.code == "not_found"
