"""Demo data: a festival with two venues, a theatre overseas, a staff member.

Loading is idempotent: every object is looked up by its natural key (email,
SIREN, venue name) before being created, so ``make run`` can load it on every
start. Structures, venues and validations go through the same services as the
pages, so the demo also fills the audit log as real use would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from culturepass.accounts.models import User
from culturepass.accounts.roles import ADMINISTRATORS
from culturepass.core.audit import SYSTEM, audit_record
from culturepass.offerers import services as offerer_services
from culturepass.offerers.models import Offerer, TerritorialContact, Venue

DEMO_PASSWORD = "culturepass-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    url: str


def _user(email: str, *, first_name: str, last_name: str, now: dt.datetime, **flags: bool) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email,
            DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            email_verified_at=now,
            **flags,
        )
        audit_record(
            actor=SYSTEM,
            action="demo.user_created",
            obj=user,
            now=now,
            after={"email": user.email, **flags},
        )
    return user


def _structure(
    *,
    owner: User,
    siret: str,
    name: str,
    ape_code: str,
    street: str,
    postal_code: str,
    city: str,
    now: dt.datetime,
) -> Offerer:
    existing = Offerer.objects.filter(siren=siret[:9]).first()
    if existing is not None:
        return existing
    return offerer_services.offerer_create_from_siret(
        actor=owner,
        siret=siret,
        name=name,
        ape_code=ape_code,
        street=street,
        postal_code=postal_code,
        city=city,
        now=now,
    )


def _venue(
    *, owner: User, offerer: Offerer, data: offerer_services.VenueInput, now: dt.datetime
) -> Venue:
    existing = Venue.objects.filter(offerer=offerer, name=data.name).first()
    if existing is not None:
        return existing
    return offerer_services.venue_create(actor=owner, offerer=offerer, data=data, now=now)


@transaction.atomic
def load_demo(*, now: dt.datetime, site_url: str) -> list[DemoLogin]:
    staff = _user(
        "admin@culturepass.demo",
        first_name="Camille",
        last_name="Martin",
        now=now,
        is_staff=True,
    )
    admin_group = Group.objects.filter(name=ADMINISTRATORS).first()
    if admin_group is not None and not staff.groups.filter(pk=admin_group.pk).exists():
        staff.groups.add(admin_group)
        audit_record(
            actor=SYSTEM,
            action="demo.staff_role_granted",
            obj=staff,
            now=now,
            after={"roles": [ADMINISTRATORS]},
        )

    # Territorial contacts shown on the pro home (Auvergne-Rhône-Alpes, La Réunion).
    for region_code, name, email in (
        ("84", "Inès Bernard", "referent-ara@culturepass.demo"),
        ("04", "Mathis Hoarau", "referent-reunion@culturepass.demo"),
    ):
        if not TerritorialContact.objects.filter(region_code=region_code).exists():
            offerer_services.territorial_contact_save(
                actor=staff,
                region_code=region_code,
                name=name,
                email=email,
                phone="",
                now=now,
            )

    festival_pro = _user(
        "festival@culturepass.demo",
        first_name="Léa",
        last_name="Durand",
        now=now,
        is_pro=True,
    )
    festival = _structure(
        owner=festival_pro,
        siret="90123456700013",
        name="Festival des Nuits d'Été",
        ape_code="90.01Z",
        street="12 quai Saint-Vincent",
        postal_code="69001",
        city="Lyon",
        now=now,
    )
    _venue(
        owner=festival_pro,
        offerer=festival,
        now=now,
        data=offerer_services.VenueInput(
            name="Scène du parc",
            public_name="Scène plein air du parc de la Tête d'Or",
            street="Place du Général Leclerc",
            postal_code="69006",
            city="Lyon",
            comment="Scène extérieure montée chaque été dans le parc ; pas d'établissement propre.",
            venue_type="FESTIVAL",
            booking_email="billetterie@nuits-ete.demo",
            accessibility_motor=True,
            accessibility_hearing=True,
        ),
    )
    if festival.status != Offerer.Status.VALIDATED:
        offerer_services.offerer_validate(
            actor=staff, offerer=festival, comment="Structure de démonstration.", now=now
        )

    theatre_pro = _user(
        "theatre@culturepass.demo",
        first_name="Noé",
        last_name="Payet",
        now=now,
        is_pro=True,
    )
    _structure(
        owner=theatre_pro,
        siret="84251937300018",
        name="Théâtre du Grand Marché",
        ape_code="90.04Z",
        street="2 rue du Maréchal Leclerc",
        postal_code="97400",
        city="Saint-Denis",
        now=now,
    )
    return [
        DemoLogin("staff (backoffice)", staff.email, DEMO_PASSWORD, f"{site_url}/backoffice/"),
        DemoLogin(
            "pro — festival (validated)", festival_pro.email, DEMO_PASSWORD, f"{site_url}/pro/"
        ),
        DemoLogin(
            "pro — theatre (awaiting validation)",
            theatre_pro.email,
            DEMO_PASSWORD,
            f"{site_url}/pro/",
        ),
    ]
