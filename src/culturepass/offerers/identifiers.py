"""SIRET and SIREN checks with French messages (python-stdnum does the arithmetic).

Both use the Luhn key, except La Poste (SIREN 356000000) whose establishments'
SIRET only need a digit sum divisible by 5: stdnum knows that exception.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from culturepass.core.errors import DomainError

_APE_RE = re.compile(r"^(\d{2})\.?(\d{2})([A-Z])$")


class InvalidIdentifier(DomainError):
    code = "invalid_identifier"


def compact(value: str) -> str:
    """The number without spaces (and the dots some people type)."""
    return re.sub(r"[\s.]", "", value or "")


def clean_siret(value: str, *, field: str = "siret") -> str:
    """Return the 14-digit SIRET or raise :class:`InvalidIdentifier`."""
    number = compact(value)
    if not number:
        raise InvalidIdentifier(_("Le SIRET est obligatoire."), code="siret_required", field=field)
    if not number.isdigit():
        raise InvalidIdentifier(
            _("Le SIRET ne doit contenir que des chiffres."), code="siret_not_digits", field=field
        )
    if len(number) != 14:
        raise InvalidIdentifier(
            _("Le SIRET doit comporter 14 chiffres."), code="siret_length", field=field
        )
    try:
        stdnum_siret.validate(number)
    except stdnum_errors.ValidationError as exc:
        raise InvalidIdentifier(
            _("Ce SIRET n'est pas valide : la clé de contrôle est incorrecte."),
            code="siret_checksum",
            field=field,
        ) from exc
    return number


def clean_siren(value: str, *, field: str = "siren") -> str:
    """Return the 9-digit SIREN or raise :class:`InvalidIdentifier`."""
    number = compact(value)
    if not number.isdigit():
        raise InvalidIdentifier(
            _("Le SIREN ne doit contenir que des chiffres."), code="siren_not_digits", field=field
        )
    if len(number) != 9:
        raise InvalidIdentifier(
            _("Le SIREN doit comporter 9 chiffres."), code="siren_length", field=field
        )
    try:
        stdnum_siren.validate(number)
    except stdnum_errors.ValidationError as exc:
        raise InvalidIdentifier(
            _("Ce SIREN n'est pas valide : la clé de contrôle est incorrecte."),
            code="siren_checksum",
            field=field,
        ) from exc
    return number


def siren_of(siret: str) -> str:
    return siret[:9]


def clean_ape_code(value: str, *, field: str = "ape_code") -> str:
    """An APE/NAF code such as 90.01Z (the dot is optional on input)."""
    text = compact(value).upper()
    if not text:
        return ""
    match = _APE_RE.match(text)
    if not match:
        raise InvalidIdentifier(
            _("Le code APE doit avoir la forme 90.01Z (quatre chiffres et une lettre)."),
            code="ape_format",
            field=field,
        )
    return f"{match[1]}.{match[2]}{match[3]}"
