"""Event images of the partner API (contract §3.3): base64 in the JSON body, checked and
stored by the offer image service of the pro portal, within the contract's limits.

``image.file`` is decoded strictly (standard alphabet, padding required; line breaks and
spaces are ignored, a ``data:image/...;base64,`` prefix is accepted). The bytes then go
through :func:`culturepass.offers.images.process_upload`, as an upload of the wizard does:
same size cap, same content checks, same renditions. On top of it, the contract wants a PNG
or JPEG between 400 x 600 and 800 x 1200 pixels, in portrait 2:3. Every refusal is a 400
with pass Culture's body, a *string* and not a list: ``{"imageFile": "<message>"}``.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from urllib.parse import urljoin

from django.conf import settings
from django.core.files.storage import default_storage

from culturepass.api.partner.base import PartnerError
from culturepass.offers import images
from culturepass.offers.models import OfferImage

IMAGE_ERROR_KEY = "imageFile"
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG"})
MIN_WIDTH, MIN_HEIGHT = 400, 600
MAX_WIDTH, MAX_HEIGHT = 800, 1200
# Width / height: 2:3 (portrait), within 1 % (an image cropped a pixel off still passes).
RATIO = 2 / 3
RATIO_TOLERANCE = 0.01
# The rendition returned as ``image.url``: the one the beneficiary app's offer page shows.
RENDITION = "medium"

_DATA_URL = re.compile(r"^data:[^,;]*(?:;[^,;]*)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")

DOC_FILE = (
    "The image, base64-encoded (a `data:image/png;base64,` prefix is accepted): PNG or JPEG, "
    f"from {MIN_WIDTH} x {MIN_HEIGHT} to {MAX_WIDTH} x {MAX_HEIGHT} pixels, portrait ratio 2:3, "
    f"at most {images.MAX_IMAGE_BYTES // (1024 * 1024)} MB once decoded. A refused image "
    'gives a 400 whose body is a string: `{"imageFile": "<message>"}`.'
)
DOC_CREDIT = f"Credit line shown with the image (at most {images.MAX_CREDIT_LENGTH} characters)."
DOC_IMAGE_IN = (
    "The event's image. On `PATCH`, a new image replaces the current one and `null` removes it."
)
DOC_IMAGE_OUT = (
    "The event's image, or `null`. `url` is an absolute URL to the rendition the "
    "beneficiary app shows (JPEG, at most 600 pixels on its longest side); it changes "
    "whenever the image is replaced."
)


def refused(message: str) -> PartnerError:
    return PartnerError(400, {IMAGE_ERROR_KEY: message})


def decode(value: str) -> bytes:
    """The bytes of ``image.file``; a 400 when it is not base64 or is over the size cap."""
    text = _WHITESPACE.sub("", _DATA_URL.sub("", value.strip(), count=1))
    padding = len(text) - len(text.rstrip("="))
    if len(text) * 3 // 4 - padding > images.MAX_IMAGE_BYTES:
        raise refused(images.too_big_error(images.MAX_IMAGE_BYTES).message)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise refused("The image file is not valid base64.") from None


def prepare(value: str) -> images.ProcessedImage:
    """Decode and check an image, with its renditions ready to store; a 400 when refused."""
    data = decode(value)
    try:
        processed = images.process_upload(
            io.BytesIO(data), max_bytes=images.MAX_IMAGE_BYTES, min_side=MIN_WIDTH
        )
    except images.ImageError as exc:
        raise refused(exc.message) from None
    if processed.format not in ACCEPTED_FORMATS:
        raise refused(f"The image must be a PNG or JPEG file (this one is {processed.format}).")
    width, height = processed.width, processed.height
    size = f"{width} x {height}"
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise refused(
            f"The image is too small: at least {MIN_WIDTH} x {MIN_HEIGHT} pixels "
            f"(this one: {size})."
        )
    if width > MAX_WIDTH or height > MAX_HEIGHT:
        raise refused(
            f"The image is too large: at most {MAX_WIDTH} x {MAX_HEIGHT} pixels (this one: {size})."
        )
    if abs(width / height - RATIO) > RATIO * RATIO_TOLERANCE:
        raise refused(
            f"The image must have a 2:3 portrait ratio (width:height), e.g. 400 x 600 "
            f"(this one: {size})."
        )
    return processed


def stored_names(image: OfferImage) -> list[str]:
    return images.image_file_names(image.original.name or "", image.renditions or {})


def image_url(image: OfferImage) -> str | None:
    """Absolute URL of the rendition the app shows (the original for an image without it)."""
    name = (image.renditions or {}).get(RENDITION) or image.original.name
    if not name:
        return None
    # A relative storage URL (local disk: /media/...) gets the site's origin; an absolute one
    # (object storage) is kept as it is.
    return urljoin(settings.SITE_URL + "/", default_storage.url(name))
