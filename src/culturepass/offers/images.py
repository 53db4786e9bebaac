"""Offer images: checking an upload, making the renditions, storing and deleting the files.

The checks look at the **content**, never at the file name: Pillow must recognise a JPEG, PNG
or WebP image and verify it. The image is turned upright from its EXIF orientation, and every
file we keep is re-encoded without metadata (no camera data nor GPS position of the upload
reaches the public). Files go through Django's default storage (local disk, or object storage
with django-storages), under ``offers/<offer id>/<random token>-<name>.<ext>``: a new upload gets
new names, so caches never serve a replaced image.

The service (``services.offer_set_image``) calls :func:`process_upload` before its
transaction, :func:`store` inside it, and deletes files of the replaced image once the
transaction has committed (:func:`delete_files_later`).
"""

from __future__ import annotations

import io
import logging
import secrets
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from culturepass.core.errors import DomainError

logger = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MIN_IMAGE_SIDE = 400
# Beyond this the image is refused before decoding (a "decompression bomb" is a small
# file that expands to gigabytes of pixels).
MAX_IMAGE_PIXELS = 60_000_000
# Longest side of each rendition, in pixels. Smaller images are not enlarged.
RENDITIONS: Mapping[str, int] = {"thumb": 200, "medium": 600, "large": 1200}
RENDITION_FORMAT = "JPEG"
RENDITION_QUALITY = 85
ORIGINAL_QUALITY = 95
# Pillow format → extension of the stored original.
ACCEPTED_FORMATS: Mapping[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_CREDIT_LENGTH = 255


class ImageError(DomainError):
    """The upload is not an acceptable image (French message, field ``image``)."""

    code = "image_invalid"
    field = "image"


@dataclass(frozen=True)
class ProcessedImage:
    """An upload that passed the checks, upright, with its renditions encoded."""

    format: str
    """JPEG, PNG or WEBP: the format of the upload, kept for the original."""
    width: int
    height: int
    original: bytes
    renditions: dict[str, bytes] = field(default_factory=dict)

    @property
    def extension(self) -> str:
        return ACCEPTED_FORMATS[self.format]


def _read_upload(upload: Any, max_bytes: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _too_big(max_bytes)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        parts: list[bytes] = []
        total = 0
        for chunk in upload.chunks():
            total += len(chunk)
            if total > max_bytes:
                raise _too_big(max_bytes)
            parts.append(chunk)
        data = b"".join(parts)
    else:
        data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(max_bytes)
    if not data:
        raise ImageError(_("Le fichier est vide."), code="image_empty")
    return data


def too_big_error(max_bytes: int = MAX_IMAGE_BYTES) -> ImageError:
    """The refusal of a file over ``max_bytes`` (for callers that know the size beforehand)."""
    return _too_big(max_bytes)


def _too_big(max_bytes: int) -> ImageError:
    megabytes = max_bytes / (1024 * 1024)
    return ImageError(
        _("L'image ne doit pas dépasser %(size)s Mo.")
        % {"size": number_format(megabytes, decimal_pos=0 if megabytes.is_integer() else 1)},
        code="image_too_large",
    )


def _not_an_image() -> ImageError:
    return ImageError(
        _("Ce fichier n'est pas une image valide. Formats acceptés : JPG, PNG ou WEBP."),
        code="image_unreadable",
    )


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
            raise _not_an_image() from None
        except Image.DecompressionBombWarning:
            raise _too_many_pixels() from None


def _too_many_pixels() -> ImageError:
    return ImageError(
        _("Cette image a trop de pixels : réduisez-la avant de l'importer."),
        code="image_too_many_pixels",
    )


def _flatten(image: Image.Image) -> Image.Image:
    """An RGB image (JPEG has no alpha: transparent areas become white)."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str, *, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        _flatten(image).save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    elif fmt == "WEBP":
        keep_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
        converted = image.convert("RGBA" if keep_alpha else "RGB")
        converted.save(buffer, "WEBP", quality=quality, method=4)
    else:  # PNG: lossless
        converted = image if image.mode in ("RGB", "RGBA", "L", "LA", "P") else image.convert("RGB")
        converted.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _resized(image: Image.Image, longest: int) -> Image.Image:
    if max(image.size) <= longest:
        return image.copy()
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return copy


def process_upload(
    upload: IO[bytes] | Any,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    min_side: int = MIN_IMAGE_SIDE,
) -> ProcessedImage:
    """Check an uploaded file and prepare what is stored; :class:`ImageError` when refused.

    Accepts a Django ``UploadedFile`` or any binary file object. Refuses what is over
    ``max_bytes``, not a JPEG/PNG/WebP image by content, damaged, or smaller than
    ``min_side`` x ``min_side`` pixels once upright.
    """
    data = _read_upload(upload, max_bytes)
    probe = _open(data)
    fmt = probe.format or ""
    if fmt not in ACCEPTED_FORMATS:
        raise ImageError(
            _("Format d'image non accepté. Formats acceptés : JPG, PNG ou WEBP."),
            code="image_format",
        )
    if probe.width * probe.height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels()
    try:
        probe.verify()
    except Exception:  # Pillow raises many kinds for damaged files
        raise _not_an_image() from None
    # verify() leaves the image unusable: decode it again for real.
    image = _open(data)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _not_an_image() from None
    assert upright is not None
    width, height = upright.size
    if width < min_side or height < min_side:
        raise ImageError(
            _(
                "L'image doit mesurer au moins %(min)s × %(min)s pixels "  # noqa: RUF001
                "(celle-ci : %(width)s × %(height)s)."  # noqa: RUF001
            )
            % {"min": min_side, "width": width, "height": height},
            code="image_too_small",
        )
    if upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGB")
    original = _encode(upright, fmt, quality=ORIGINAL_QUALITY)
    renditions = {
        name: _encode(_resized(upright, longest), RENDITION_FORMAT, quality=RENDITION_QUALITY)
        for name, longest in RENDITIONS.items()
    }
    return ProcessedImage(
        format=fmt, width=width, height=height, original=original, renditions=renditions
    )


# --- Storage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredImage:
    original: str
    renditions: dict[str, str]

    @property
    def names(self) -> list[str]:
        return [self.original, *self.renditions.values()]


def store(offer_id: int, processed: ProcessedImage) -> StoredImage:
    """Write the original and the renditions to the default storage; returns their names."""
    token = secrets.token_urlsafe(9)
    prefix = f"offers/{offer_id}/{token}"
    written: list[str] = []
    try:
        original = default_storage.save(
            f"{prefix}-original.{processed.extension}", ContentFile(processed.original)
        )
        written.append(original)
        renditions: dict[str, str] = {}
        for name, content in processed.renditions.items():
            renditions[name] = default_storage.save(f"{prefix}-{name}.jpg", ContentFile(content))
            written.append(renditions[name])
    except Exception:
        delete_files(written)
        raise
    return StoredImage(original=original, renditions=renditions)


def delete_files(names: Iterable[str]) -> None:
    """Delete files from the default storage; a failure is logged, never raised."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("could not delete an offer image file", extra={"file": name})


def image_file_names(original: str, renditions: Mapping[str, str]) -> list[str]:
    return [original, *[str(n) for n in renditions.values()]]


def delete_files_later(names: Iterable[str], *, unless_used_by_original: str | None = None) -> None:
    """Delete the files once the current transaction commits (never if it rolls back).

    With ``unless_used_by_original``, nothing is deleted while another offer image (a
    duplicated offer) still points at that original.
    """
    names = list(names)

    def _delete() -> None:
        if unless_used_by_original:
            from culturepass.offers.models import OfferImage

            if OfferImage.objects.filter(original=unless_used_by_original).exists():
                return
        delete_files(names)

    transaction.on_commit(_delete, robust=True)
