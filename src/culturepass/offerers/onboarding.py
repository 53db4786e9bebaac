"""What a new partner sees on the pro home: next steps and the newcomers' webinar.

Pure functions over plain values, tested without the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

WEBINAR_TIMEZONE = "Europe/Paris"
WEBINAR_START = dt.time(14, 0)
WEBINAR_DURATION = dt.timedelta(minutes=90)
WEBINAR_EVERY_WEEKS = 2
# A Thursday on which a session took place; the series runs every other Thursday from it.
DEFAULT_WEBINAR_REFERENCE = dt.date(2026, 1, 8)


@dataclass(frozen=True)
class WebinarSession:
    start: dt.datetime
    end: dt.datetime


def next_webinar_sessions(
    *,
    now: dt.datetime,
    reference: dt.date = DEFAULT_WEBINAR_REFERENCE,
    count: int = 2,
    every_weeks: int = WEBINAR_EVERY_WEEKS,
    start_time: dt.time = WEBINAR_START,
    duration: dt.timedelta = WEBINAR_DURATION,
    timezone: str = WEBINAR_TIMEZONE,
) -> list[WebinarSession]:
    """The next ``count`` sessions not yet ended at ``now`` (aware datetimes in ``timezone``).

    Sessions fall every ``every_weeks`` weeks on the weekday of ``reference``; a
    session under way at ``now`` is still listed (one can join late).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    zone = ZoneInfo(timezone)
    period = 7 * every_weeks
    days = (now.astimezone(zone).date() - reference).days
    index = -(-days // period)  # first session on or after today (ceiling division)
    sessions: list[WebinarSession] = []
    while len(sessions) < count:
        day = reference + dt.timedelta(days=index * period)
        start = dt.datetime.combine(day, start_time, tzinfo=zone)
        end = start + duration
        if end > now:
            sessions.append(WebinarSession(start=start, end=end))
        index += 1
    return sessions


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    available: bool = True
    hint: str = ""


# Steps whose pages other parts of the portal provide; shown as "coming soon"
# while those pages do not exist yet.
FEATURE_BANK_ACCOUNT = "bank_account"
FEATURE_VENUE_LINKS = "venue_links"
FEATURE_FIRST_OFFER = "first_offer"


def structure_next_steps(
    *,
    status: str,
    venues_without_booking_email: int,
    member_count: int,
    open_invitations: int,
    available_features: Collection[str] = (),
    has_bank_account: bool = False,
    has_linked_venues: bool = False,
    has_offer: bool = False,
) -> list[Step]:
    """The checklist of a structure, in the order a newcomer goes through it."""
    validated = status == "VALIDATED"
    if validated:
        validation_hint = ""
    elif status in {"NEW", "PENDING"}:
        validation_hint = _(
            "Votre structure est en cours de validation par nos équipes. Vous pouvez déjà "
            "préparer vos offres : elles seront visibles une fois la structure validée."
        )
    elif status == "REJECTED":
        validation_hint = _("Votre structure a été rejetée. Contactez votre référent territorial.")
    else:
        validation_hint = _("Votre structure est fermée.")
    return [
        Step("created", _("Créer votre structure"), done=True),
        Step("validation", _("Validation de la structure"), done=validated, hint=validation_hint),
        Step(
            "venues",
            _("Compléter vos lieux (email de notification des réservations)"),
            done=venues_without_booking_email == 0,
        ),
        Step(
            "members",
            _("Inviter vos collègues"),
            done=member_count > 1 or open_invitations > 0,
        ),
        Step(
            FEATURE_BANK_ACCOUNT,
            _("Ajouter un compte bancaire"),
            done=has_bank_account,
            available=FEATURE_BANK_ACCOUNT in available_features,
        ),
        Step(
            FEATURE_VENUE_LINKS,
            _("Rattacher vos lieux à votre compte bancaire"),
            done=has_linked_venues,
            available=FEATURE_VENUE_LINKS in available_features,
        ),
        Step(
            FEATURE_FIRST_OFFER,
            _("Créer votre première offre"),
            done=has_offer,
            available=FEATURE_FIRST_OFFER in available_features,
        ),
    ]
