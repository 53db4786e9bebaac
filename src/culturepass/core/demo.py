"""Demo data: a festival with two venues and offers in every status, a theatre overseas,
a staff member, compliance rules, two schools with a teacher and a head and collective offers.

Loading is idempotent: every object is looked up by its natural key (email, SIREN, venue
name, rule name, offer name within its structure) before being created, so ``make run`` can
load it on every start. Structures, venues, offers, validations and reviews go through the
same services as the pages, so the demo also fills the audit log as real use would.

Offer dates are relative to ``now`` when the offer is first created (a demo database kept for
weeks ages like a real one: the worker publishes the scheduled offer, dates pass).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.db import transaction

from culturepass.accounts import services as account_services
from culturepass.accounts.models import User
from culturepass.accounts.roles import ADMINISTRATORS
from culturepass.bookings import lifecycle as booking_lifecycle
from culturepass.bookings import services as booking_services
from culturepass.bookings.models import Booking
from culturepass.collective import selectors as collective_selectors
from culturepass.collective import services as collective_services
from culturepass.collective.models import (
    CollectiveOffer,
    ReferencingApplication,
    School,
    SchoolBudget,
    SchoolMember,
    school_year_of,
)
from culturepass.core.audit import SYSTEM, audit_record
from culturepass.credit import schemes as credit_schemes
from culturepass.credit import services as credit_services
from culturepass.credit.models import BeneficiaryProfile
from culturepass.finance import calendar as finance_calendar
from culturepass.finance import links as finance_links
from culturepass.finance import payments as finance_payments
from culturepass.finance import pricing as finance_pricing
from culturepass.finance import services as finance_services
from culturepass.finance.models import BankAccount, PaymentRun
from culturepass.highlights import services as highlight_services
from culturepass.highlights.models import HighlightBlock
from culturepass.offerers import services as offerer_services
from culturepass.offerers.models import Offerer, TerritorialContact, Venue
from culturepass.offers import services as offer_services
from culturepass.offers.models import Offer, Stock, ValidationRule
from culturepass.offers.recurrence import PriceCategoryQuantity, RecurrenceMode, RecurrenceRule

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


# --- Offers -------------------------------------------------------------------------------------

FESTIVAL_CONTACT = "billetterie@nuits-ete.demo"
ON_SITE_DETAILS = (
    "Retrait des bracelets à l'accueil du festival, sur présentation d'une pièce d'identité "
    "et de la contremarque."
)
HOUR = 3600


@dataclass(frozen=True)
class DemoOffer:
    """What the wizard would receive, step by step, for one demo offer."""

    name: str
    subcategory_id: str
    description: str
    prices: tuple[tuple[str, int], ...]
    """(label, price in cents) of each price category."""
    rule: RecurrenceRule | None
    """The dates (local to the venue); None leaves the wizard at the dates step."""
    quantity: int | None = 100
    """Seats of each occurrence, for every price category."""
    withdrawal_type: str = ""
    withdrawal_delay_seconds: int | None = None
    withdrawal_details: str = ""
    extra_data: Mapping[str, str] = field(default_factory=dict)
    duration_minutes: int | None = 90
    is_duo: bool | None = None
    """None keeps the subcategory's default (duo where it is allowed)."""
    booking_contact: str = FESTIVAL_CONTACT


def _once(day: dt.date, at: dt.time, *, booking_limit_days: int | None = None) -> RecurrenceRule:
    return RecurrenceRule(
        mode=RecurrenceMode.ONCE,
        start_date=day,
        time_slots=(at,),
        booking_limit_days=booking_limit_days,
    )


def _demo_offer(
    *, actor: User, venue: Venue, spec: DemoOffer, now: dt.datetime
) -> tuple[Offer, bool]:
    """The offer named ``spec.name`` in the venue's structure, created through the wizard's
    services (without publishing it) if there is none; and whether it was created."""
    existing = Offer.objects.filter(offerer_id=venue.offerer_id, name=spec.name).first()
    if existing is not None:
        return existing, False
    offer = offer_services.offer_create_draft(
        actor=actor, venue=venue, subcategory_id=spec.subcategory_id, now=now
    )
    offer = offer_services.offer_update_description(
        actor=actor,
        offer=offer,
        name=spec.name,
        description=spec.description,
        extra_data=dict(spec.extra_data),
        duration_minutes=spec.duration_minutes,
        now=now,
    )
    offer = offer_services.offer_update_location(
        actor=actor, offer=offer, address_kind=Offer.AddressKind.VENUE, now=now
    )
    offer = offer_services.offer_update_practical_info(
        actor=actor,
        offer=offer,
        withdrawal_type=spec.withdrawal_type,
        withdrawal_delay_seconds=spec.withdrawal_delay_seconds,
        withdrawal_details=spec.withdrawal_details,
        booking_contact=spec.booking_contact,
        booking_email=venue.booking_email,
        accessibility_motor=venue.accessibility_motor,
        accessibility_visual=venue.accessibility_visual,
        accessibility_hearing=venue.accessibility_hearing,
        accessibility_mental=venue.accessibility_mental,
        external_ticket_office_url="",
        now=now,
    )
    categories = [
        offer_services.price_category_add(
            actor=actor, offer=offer, label=label, price_cents=price, now=now
        )
        for label, price in spec.prices
    ]
    is_duo = offer.is_duo if spec.is_duo is None else spec.is_duo
    offer = offer_services.offer_set_duo(actor=actor, offer=offer, is_duo=is_duo, now=now)
    if spec.rule is not None:
        offer_services.stocks_generate(
            actor=actor,
            offer=offer,
            rule=spec.rule,
            quantities=[PriceCategoryQuantity(pc.pk, spec.quantity) for pc in categories],
            now=now,
        )
    return Offer.objects.get(pk=offer.pk), True


def _rule(
    *, staff: User, name: str, kind: str, parameters: dict[str, Any], now: dt.datetime
) -> ValidationRule:
    existing = ValidationRule.objects.filter(name=name).first()
    if existing is not None:
        return existing
    return offer_services.validation_rule_save(
        actor=staff, name=name, kind=kind, parameters=parameters, is_active=True, now=now
    )


def _next_weekday(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _festival_offers(*, pro: User, staff: User, venue: Venue, now: dt.datetime) -> None:
    """One offer in each displayed status (SPEC §2), plus the festival passes.

    DRAFT, PENDING, REJECTED, INACTIVE, SCHEDULED, PUBLISHED, EXPIRED, SOLD_OUT and ACTIVE
    all exist. SOLD_OUT uses occurrences of 0 seats, as bookings do not exist yet.
    """
    today = now.astimezone(ZoneInfo(venue.timezone)).date()
    friday = _next_weekday(today + dt.timedelta(days=30), 4)
    saturday = friday + dt.timedelta(days=1)
    music = {"musicType": "800", "musicSubType": "-1"}

    # The festival: one offer per pass (a beneficiary books one price category per offer).
    passes = (
        ("Pass 1 jour — vendredi", "Pass 1 jour", 3500, friday, dt.time(17, 0), 800),
        ("Pass 1 jour — samedi", "Pass 1 jour", 3900, saturday, dt.time(14, 0), 800),
        ("Pass 3 jours", "Pass 3 jours", 8900, friday, dt.time(17, 0), 400),
    )
    for name, label, price, day, at, quantity in passes:
        offer, created = _demo_offer(
            actor=pro,
            venue=venue,
            now=now,
            spec=DemoOffer(
                name=name,
                subcategory_id="FESTIVAL_MUSIQUE",
                description=(
                    "Trois jours de musiques actuelles sur la scène plein air du parc de la "
                    "Tête d'Or : pop, électro et chanson, de 14 h à 1 h du matin."
                ),
                prices=((label, price),),
                rule=_once(day, at, booking_limit_days=1),
                quantity=quantity,
                withdrawal_type=Offer.Withdrawal.ON_SITE,
                withdrawal_delay_seconds=24 * HOUR,
                withdrawal_details=ON_SITE_DETAILS,
                extra_data=music,
                duration_minutes=None,
            ),
        )
        if created:
            offer_services.offer_publish(actor=pro, offer=offer, now=now)

    # A show every day for two weeks, at 15:00 and 20:30, two price categories, duo.
    start = today + dt.timedelta(days=7)
    offer, created = _demo_offer(
        actor=pro,
        venue=venue,
        now=now,
        spec=DemoOffer(
            name="Le Petit Prince sous chapiteau",
            subcategory_id="SPECTACLE_REPRESENTATION",
            description=(
                "Le conte de Saint-Exupéry porté par quatre comédiens et un musicien, sous le "
                "chapiteau du parc. À partir de 7 ans."
            ),
            prices=(("Moins de 18 ans", 1200), ("Plein tarif", 1800)),
            rule=RecurrenceRule(
                mode=RecurrenceMode.DAILY,
                start_date=start,
                end_date=start + dt.timedelta(days=13),
                time_slots=(dt.time(15, 0), dt.time(20, 30)),
            ),
            quantity=60,
            withdrawal_type=Offer.Withdrawal.NO_TICKET,
            withdrawal_details="Présentez votre contremarque à l'entrée du chapiteau.",
            extra_data={"showType": "1200", "showSubType": "1202"},
            duration_minutes=75,
            is_duo=True,
        ),
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=now)

    def concert(name: str, description: str, **kwargs: Any) -> tuple[Offer, bool]:
        defaults: dict[str, Any] = {
            "subcategory_id": "CONCERT",
            "prices": (("Tarif unique", 1500),),
            "withdrawal_type": Offer.Withdrawal.BY_EMAIL,
            "withdrawal_delay_seconds": 48 * HOUR,
            "withdrawal_details": "Les billets sont envoyés par email deux jours avant.",
            "extra_data": music,
            "is_duo": True,
        }
        defaults.update(kwargs)
        spec = DemoOffer(name=name, description=description, **defaults)
        return _demo_offer(actor=pro, venue=venue, spec=spec, now=now)

    # ACTIVE: approved at once (no rule matches), bookable.
    offer, created = concert(
        "Concert d'ouverture : Les Ondes Magnétiques",
        "Le groupe lyonnais ouvre le festival avec son nouvel album, entre pop et électro.",
        rule=_once(friday - dt.timedelta(days=1), dt.time(21, 0)),
        quantity=300,
        prices=(("Tarif unique", 2000),),
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=now)

    # DRAFT: everything up to the dates step is filled in; the pro resumes at the dates.
    _demo_offer(
        actor=pro,
        venue=venue,
        now=now,
        spec=DemoOffer(
            name="Atelier percussions corporelles",
            subcategory_id="ATELIER_PRATIQUE_ART",
            description="Une heure pour découvrir le rythme avec son corps, sans instrument.",
            prices=(("Tarif unique", 500),),
            rule=None,
            duration_minutes=60,
        ),
    )

    # PENDING: matches the "Prix élevé" rule (a price above 150 €).
    offer, created = concert(
        "Pass VIP 3 jours — accès backstage",
        "Le pass 3 jours avec l'accès aux coulisses et une rencontre avec les artistes.",
        subcategory_id="FESTIVAL_MUSIQUE",
        prices=(("Pass VIP", 18000),),
        rule=_once(friday, dt.time(17, 0), booking_limit_days=1),
        quantity=20,
        withdrawal_type=Offer.Withdrawal.ON_SITE,
        withdrawal_delay_seconds=24 * HOUR,
        withdrawal_details=ON_SITE_DETAILS,
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=now)

    # REJECTED: matches the keyword rule, then refused by staff with a reason (emailed).
    offer, created = concert(
        "Soirée dégustation et DJ set",
        "Dégustation de vins de la région pendant le DJ set de clôture.",
        rule=_once(saturday, dt.time(22, 0)),
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=now)
        offer_services.offer_reject(
            actor=staff,
            offer=offer,
            reason=(
                "Une dégustation de boissons alcoolisées ne peut pas être proposée aux jeunes "
                "bénéficiaires du pass. Proposez le DJ set seul dans une nouvelle offre."
            ),
            now=now,
        )

    # SCHEDULED: published automatically by the worker in 3 days.
    offer, created = concert(
        "Concert de clôture : Chœur des Pentes",
        "Cinquante choristes des pentes de la Croix-Rousse referment le festival.",
        rule=_once(saturday + dt.timedelta(days=1), dt.time(18, 0)),
        extra_data={"musicType": "1000", "musicSubType": "-1"},
    )
    if created:
        offer_services.offer_publish(
            actor=pro, offer=offer, now=now, publication_datetime=now + dt.timedelta(days=3)
        )

    # PUBLISHED: visible now, bookings open in 5 days.
    offer, created = concert(
        "Ciné-concert : Metropolis",
        "Le film de Fritz Lang accompagné en direct par un trio électro.",
        rule=_once(friday, dt.time(22, 30)),
    )
    if created:
        offer_services.offer_publish(
            actor=pro,
            offer=offer,
            now=now,
            booking_allowed_datetime=now + dt.timedelta(days=5),
        )

    # INACTIVE: published, then switched off by the pro.
    offer, created = concert(
        "Sieste musicale au bord du Rhône",
        "Transats, casques et musiques douces pour une sieste en plein air.",
        rule=_once(today + dt.timedelta(days=12), dt.time(14, 0)),
        withdrawal_type=Offer.Withdrawal.NO_TICKET,
        withdrawal_delay_seconds=None,
        withdrawal_details="",
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=now)
        offer_services.offer_deactivate(actor=pro, offers=[offer], now=now)

    # EXPIRED: its only date is past. The services refuse dates in the past, so the offer is
    # created, dated and published "20 days ago" (now - 20 days) for a date 10 days ago.
    then = now - dt.timedelta(days=20)
    offer, created = _demo_offer(
        actor=pro,
        venue=venue,
        now=then,
        spec=DemoOffer(
            name="Avant-première du festival",
            subcategory_id="CONCERT",
            description="Un avant-goût de la programmation, en acoustique, sur la péniche.",
            prices=(("Tarif unique", 800),),
            rule=_once(today - dt.timedelta(days=10), dt.time(20, 0)),
            quantity=80,
            withdrawal_type=Offer.Withdrawal.NO_TICKET,
            extra_data=music,
        ),
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=then)

    # SOLD_OUT: bookable dates, no seat left. Bookings come later: its dates have 0 seats.
    offer, created = concert(
        "Concert intimiste en appartement",
        "Douze places, un piano et une chanteuse, dans un appartement des pentes.",
        rule=_once(today + dt.timedelta(days=9), dt.time(20, 0)),
        quantity=0,
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=now)


def _theatre_offer(*, pro: User, venue: Venue, now: dt.datetime) -> None:
    """An evening tale in La Réunion: times are entered and shown in Indian/Reunion."""
    today = now.astimezone(ZoneInfo(venue.timezone)).date()
    offer, created = _demo_offer(
        actor=pro,
        venue=venue,
        now=now,
        spec=DemoOffer(
            name="Contes créoles : Grand-Mère Kalle",
            subcategory_id="SPECTACLE_REPRESENTATION",
            description="Une veillée de contes créoles, en créole et en français, tout public.",
            prices=(("Tarif unique", 1000),),
            rule=_once(today + dt.timedelta(days=10), dt.time(19, 0)),
            quantity=150,
            withdrawal_type=Offer.Withdrawal.NO_TICKET,
            extra_data={"showType": "1200", "showSubType": "1201"},
            duration_minutes=60,
            booking_contact="billetterie@grand-marche.demo",
        ),
    )
    if created:
        offer_services.offer_publish(actor=pro, offer=offer, now=now)


def _beneficiary(
    email: str,
    *,
    first_name: str,
    last_name: str,
    age: int,
    street: str,
    postal_code: str,
    city: str,
    staff: User,
    now: dt.datetime,
) -> User:
    """A young person aged ``age`` (for another ~100 days), address verified, identity
    approved by ``staff`` so that the grant for the age is credited."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        today = credit_schemes.local_date(now)
        birth = credit_schemes.birthday(today, -age) - dt.timedelta(days=265)
        user = credit_services.beneficiary_signup(
            email=email,
            password=DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth,
            phone="06 12 34 56 78",
            street=street,
            postal_code=postal_code,
            city=city,
            now=now,
        )
    if user.email_verified_at is None:
        token = account_services.email_verification_token(user=user, now=now)
        user = account_services.user_verify_email(token=token, now=now)
    profile = BeneficiaryProfile.objects.get(user=user)
    if profile.identity_status == BeneficiaryProfile.Identity.PENDING:
        credit_services.identity_approve(actor=staff, user=user, now=now)
    return user


@transaction.atomic
def _demo_highlights(*, staff: User, festival: Offerer, now: dt.datetime) -> None:
    """The beneficiary home's blocks: "Immanquables" and a regional one."""
    blocks = (
        (
            "Les immanquables de l'été",
            HighlightBlock.Kind.IMMANQUABLES,
            "",
            (
                "Pass 3 jours",
                "Le Petit Prince sous chapiteau",
                "Concert d'ouverture : Les Ondes Magnétiques",
            ),
        ),
        (
            "Sortir à Lyon",
            HighlightBlock.Kind.REGIONAL,
            "84",
            ("Pass 1 jour — vendredi", "Pass 1 jour — samedi"),
        ),
    )
    for title, kind, region_code, offer_names in blocks:
        if HighlightBlock.objects.filter(title=title).exists():
            continue
        block = highlight_services.highlight_block_create(
            actor=staff, title=title, kind=kind, region_code=region_code, now=now
        )
        for name in offer_names:
            offer = Offer.objects.filter(offerer=festival, name=name).first()
            if offer is not None:
                highlight_services.highlight_offer_add(
                    actor=staff, block=block, offer_id=offer.pk, now=now
                )


def _demo_bookings(*, young18: User, young17: User, festival: Offerer, now: dt.datetime) -> None:
    """A few bookings through the booking engine: live, duo, and one cancelled.

    Idempotent: a beneficiary who already has a booking on the offer is skipped.
    """

    def book(user: User, offer_name: str, quantity: int, *, cancel: bool = False) -> None:
        if Booking.objects.filter(beneficiary=user, offer__name=offer_name).exists():
            return
        stock = (
            Stock.objects.filter(
                offer__offerer=festival,
                offer__name=offer_name,
                is_soft_deleted=False,
                beginning_datetime__gt=now + dt.timedelta(days=3),
            )
            .order_by("beginning_datetime", "price_category__price_cents")
            .first()
        )
        if stock is None:
            return
        booking = booking_services.booking_create(
            beneficiary=user, stock_id=stock.pk, quantity=quantity, now=now
        )
        if cancel:
            booking_services.booking_cancel_by_beneficiary(
                beneficiary=user, booking_id=booking.pk, now=now
            )

    book(young18, "Le Petit Prince sous chapiteau", 2)
    book(young18, "Pass 1 jour — samedi", 1)
    book(young18, "Concert d'ouverture : Les Ondes Magnétiques", 1, cancel=True)
    book(young17, "Le Petit Prince sous chapiteau", 1)


# --- Finance ------------------------------------------------------------------------------------

FESTIVAL_ACCOUNT = "Compte courant du festival"
FESTIVAL_SECOND_ACCOUNT = "Compte de l'édition d'hiver"
# Valid French IBANs (schwifty checks them); the BIC is deduced from the bank code.
FESTIVAL_IBAN = "FR7630006000011234567890189"
FESTIVAL_SECOND_IBAN = "FR7610107001011234567890129"
PAID_OFFER = "Concert de printemps : Trio Lumière"
WAITING_OFFER = "Concert surprise au parc"


def _bank_document() -> io.BytesIO:
    """A one-page PDF standing for the scanned RIB (the services check the file's type)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawString(72, 760, "Relevé d'identité bancaire (démonstration)")
    pdf.save()
    buffer.seek(0)
    return buffer


def _bank_account(
    *, pro: User, offerer: Offerer, label: str, iban: str, now: dt.datetime
) -> BankAccount:
    existing = BankAccount.objects.filter(offerer=offerer, label=label).first()
    if existing is not None:
        return existing
    return finance_services.bank_account_create(
        actor=pro,
        offerer=offerer,
        label=label,
        iban=iban,
        bic="",
        document=_bank_document(),
        now=now,
    )


def _paid_cutoff(now: dt.datetime) -> dt.datetime:
    """The latest cutoff at or before ``now`` without a run yet (a worker may already have
    run an empty one on an older demo database): the demo's past run goes there."""
    cutoff = finance_calendar.previous_cutoff(finance_calendar.next_cutoff(now))
    for _ in range(48):
        if not PaymentRun.objects.filter(cutoff=cutoff).exists():
            break
        cutoff = finance_calendar.previous_cutoff(cutoff)
    return cutoff


def _once_at(at: dt.datetime, zone: str) -> RecurrenceRule:
    local = at.astimezone(ZoneInfo(zone))
    return _once(local.date(), local.time().replace(second=0, microsecond=0))


def _demo_finance(
    *, staff: User, pro: User, festival: Offerer, park: Venue, now: dt.datetime
) -> None:
    """Finance in every state, for the festival: an accepted account linked to both venues
    (the park, without SIRET, priced against the head office), a second account under review,
    one past payment run with its payment and invoice, and bookings validated since, priced and
    waiting for the next run.

    Everything is dated in the past through the services' ``now``: the past concerts and their
    validations fall in the half-month paid by the latest cutoff that has no run yet. The past
    offers are the idempotency keys: once they exist, their bookings and the run exist too.
    All the past bookings are at the park: the head office prices itself only from its own
    creation (the demo's first load), later than these dates.
    """
    head_office = Venue.objects.get(offerer=festival, is_head_office=True)
    paid_cutoff = _paid_cutoff(now)
    period_start = finance_calendar.previous_cutoff(paid_cutoff)
    then = period_start - dt.timedelta(days=3)  # the past offers are created and booked then
    account_day = period_start - dt.timedelta(days=20)

    account = _bank_account(
        pro=pro, offerer=festival, label=FESTIVAL_ACCOUNT, iban=FESTIVAL_IBAN, now=account_day
    )
    if account.status == BankAccount.Status.UNDER_REVIEW:
        account = finance_services.bank_account_accept(
            actor=staff,
            bank_account=account,
            message="Justificatif conforme. Rattachez vos lieux pour être remboursés.",
            now=account_day + dt.timedelta(days=1),
        )
    linked_at = account_day + dt.timedelta(days=1, hours=2)
    if finance_links.pricing_point_link_current(venue_id=park.pk) is None:
        finance_links.venue_pricing_point_set(
            actor=pro, venue=park, pricing_point=head_office, now=linked_at
        )
    if account.status == BankAccount.Status.ACCEPTED and not account.venue_links.exists():
        finance_services.bank_account_link_venues(
            actor=pro, bank_account=account, venue_ids=[head_office.pk, park.pk], now=linked_at
        )

    if not Offer.objects.filter(offerer=festival, name=PAID_OFFER).exists():
        hugo = _beneficiary(
            "jeune-finance@culturepass.demo",
            first_name="Hugo",
            last_name="Lefèvre",
            age=18,
            street="3 place Bellecour",
            postal_code="69002",
            city="Lyon",
            staff=staff,
            now=then - dt.timedelta(hours=2),
        )
        since = now - paid_cutoff  # time since the paid cutoff: the waiting bookings fit in it
        concerts = (
            (PAID_OFFER, 1500, 2, period_start + dt.timedelta(days=2, hours=19)),
            ("Bal folk de la mi-saison", 1000, 1, period_start + dt.timedelta(days=5, hours=19)),
            (WAITING_OFFER, 1200, 1, paid_cutoff + since / 2),
        )
        bookings = []
        for name, price, quantity, start in concerts:
            offer, created = _demo_offer(
                actor=pro,
                venue=park,
                now=then,
                spec=DemoOffer(
                    name=name,
                    subcategory_id="CONCERT",
                    description="Un concert passé, pour montrer les remboursements.",
                    prices=(("Tarif unique", price),),
                    rule=_once_at(start, park.timezone),
                    quantity=50,
                    withdrawal_type=Offer.Withdrawal.NO_TICKET,
                    extra_data={"musicType": "800", "musicSubType": "-1"},
                ),
            )
            if created:
                offer_services.offer_publish(actor=pro, offer=offer, now=then)
            stock = Stock.objects.get(offer=offer)
            bookings.append(
                booking_services.booking_create(
                    beneficiary=hugo, stock_id=stock.pk, quantity=quantity, now=then
                )
            )
        paid, paid_too, waiting = bookings
        # Validated at the door, an hour after the start.
        for booking in (paid, paid_too):
            used_at = Stock.objects.get(pk=booking.stock_id).beginning_datetime + dt.timedelta(
                hours=1
            )
            booking_lifecycle.booking_use(actor=pro, booking_id=booking.pk, now=used_at)
        finance_payments.payment_run_execute(
            cutoff=paid_cutoff, actor=staff, now=paid_cutoff + min(since / 4, dt.timedelta(hours=1))
        )
        booking_lifecycle.booking_use(
            actor=pro, booking_id=waiting.pk, now=paid_cutoff + since * 3 / 4
        )
    # Priced now, paid by the next run (the worker's periodic job does the same).
    finance_pricing.pricing_price_due(now=now)

    # A second account, deposited two days ago, waiting in the staff review queue.
    _bank_account(
        pro=pro,
        offerer=festival,
        label=FESTIVAL_SECOND_ACCOUNT,
        iban=FESTIVAL_SECOND_IBAN,
        now=now - dt.timedelta(days=2),
    )


# --- collective offers (issue 8) ----------------------------------------------------------


def _school(
    *, staff: User, uai: str, name: str, city: str, postal_code: str, now: dt.datetime
) -> School:
    existing = School.objects.filter(uai=uai).first()
    if existing is not None:
        return existing
    return collective_services.school_create(
        actor=staff, uai=uai, name=name, city=city, postal_code=postal_code, now=now
    )


def _collective_offer(
    *, pro: User, staff: User, venue: Venue, name: str, now: dt.datetime, **fields: Any
) -> tuple[CollectiveOffer, bool]:
    existing = CollectiveOffer.objects.filter(offerer_id=venue.offerer_id, name=name).first()
    if existing is not None:
        return existing, False
    offer = collective_services.collective_offer_create(
        actor=pro,
        venue=venue,
        name=name,
        contact_email="scolaires@nuits-ete.demo",
        contact_phone="04 72 00 00 00",
        now=now,
        **fields,
    )
    offer = collective_services.collective_offer_publish(actor=pro, offer=offer, now=now)
    if offer.validation == CollectiveOffer.Validation.PENDING:
        offer = collective_services.collective_offer_approve(actor=staff, offer=offer, now=now)
    return offer, True


def _demo_collective(
    *, staff: User, pro: User, festival: Offerer, park: Venue, now: dt.datetime
) -> tuple[User, User]:
    """Two schools with budgets, a teacher and a head of the first, the festival referenced,
    and collective offers in several states: a showcase offer with a teacher's request, a
    pre-booked offer, a confirmed one and a used one (its finance event waits for the next
    payment run). Past steps are run with past dates, as they would have happened."""
    then = now - dt.timedelta(days=60)
    if not collective_selectors.offerer_is_referenced(festival.pk):
        application = ReferencingApplication.objects.filter(
            offerer=festival, status=ReferencingApplication.Status.PENDING
        ).first() or collective_services.referencing_apply(
            actor=pro,
            offerer=festival,
            venue_ids=[park.pk],
            domains=["MUSIQUE", "THEATRE", "PATRIMOINE"],
            educational_project=(
                "Faire découvrir le spectacle vivant aux élèves : ateliers de pratique, "
                "rencontres avec les artistes, visites des coulisses du festival."
            ),
            now=then,
        )
        collective_services.referencing_accept(
            actor=staff,
            application=application,
            message="Projet éducatif clair et adapté aux scolaires.",
            now=then + dt.timedelta(hours=2),
        )
    college = _school(
        staff=staff,
        uai="0691234A",
        name="Collège Jean Moulin",
        city="Lyon",
        postal_code="69005",
        now=then,
    )
    ecole = _school(
        staff=staff,
        uai="0695678B",
        name="École élémentaire des Pentes",
        city="Lyon",
        postal_code="69001",
        now=then,
    )
    teacher = _user("enseignant@culturepass.demo", first_name="Claire", last_name="Petit", now=now)
    head = _user("direction@culturepass.demo", first_name="Paul", last_name="Lefèvre", now=now)
    for user, role in ((teacher, SchoolMember.Role.TEACHER), (head, SchoolMember.Role.HEAD)):
        if not SchoolMember.objects.filter(user=user, school=college).exists():
            collective_services.school_member_add(
                actor=staff, school=college, user=user, role=role, now=then
            )
    zone = ZoneInfo(park.timezone)
    years = {
        school_year_of((now + dt.timedelta(days=d)).astimezone(zone).date()) for d in (-30, 0, 90)
    }
    for school, amount in ((college, 800_000), (ecole, 300_000)):
        for year in sorted(years):
            if not SchoolBudget.objects.filter(school=school, school_year_start=year).exists():
                collective_services.school_budget_set(
                    actor=staff,
                    school=school,
                    school_year_start=year,
                    amount_cents=amount,
                    now=then,
                )

    def at(days: int, hour: int) -> dt.datetime:
        day = (now + dt.timedelta(days=days)).astimezone(zone).date()
        return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=zone)

    common: dict[str, Any] = {
        "location_kind": CollectiveOffer.LocationKind.ADDRESS,
        "street": "Place du Général Leclerc",
        "postal_code": "69006",
        "city": "Lyon",
    }
    showcase, created = _collective_offer(
        pro=pro,
        staff=staff,
        venue=park,
        name="Atelier découverte des percussions",
        kind=CollectiveOffer.Kind.SHOWCASE,
        description="Un musicien du festival fait découvrir les percussions du monde à la classe.",
        domains=["MUSIQUE"],
        school_levels=["CE2", "CM1", "CM2"],
        location_kind=CollectiveOffer.LocationKind.SCHOOL,
        price_details="À partir de 350 € la séance de deux heures, déplacement compris.",
        participants=30,
        now=then,
    )
    if created:
        collective_services.collective_request_create(
            actor=teacher,
            offer=showcase,
            comment="Bonjour, seriez-vous disponibles au printemps pour deux classes de CM1 ?",
            participants=52,
            now=then + dt.timedelta(days=3),
        )
    prebooked, created = _collective_offer(
        pro=pro,
        staff=staff,
        venue=park,
        name="Concert pédagogique : l'orchestre expliqué",
        kind=CollectiveOffer.Kind.BOOKABLE,
        description="Un concert commenté pour découvrir les familles d'instruments.",
        domains=["MUSIQUE"],
        school_levels=["SIXIEME", "CINQUIEME"],
        start_datetime=at(70, 10),
        end_datetime=at(70, 12),
        booking_limit_datetime=at(40, 18),
        price_cents=45_000,
        participants=60,
        now=now,
        **common,
    )
    if created:
        collective_services.collective_booking_prebook(actor=teacher, offer=prebooked, now=now)
    confirmed, created = _collective_offer(
        pro=pro,
        staff=staff,
        venue=park,
        name="Spectacle de marionnettes : Le Petit Prince",
        kind=CollectiveOffer.Kind.BOOKABLE,
        description="Adaptation pour marionnettes, suivie d'un échange avec la compagnie.",
        domains=["THEATRE"],
        school_levels=["SIXIEME"],
        start_datetime=at(80, 14),
        end_datetime=at(80, 16),
        booking_limit_datetime=at(50, 18),
        price_cents=60_000,
        participants=28,
        target_school=college,
        now=now,
        **common,
    )
    if created:
        booking = collective_services.collective_booking_prebook(
            actor=teacher, offer=confirmed, now=now
        )
        collective_services.collective_booking_confirm(actor=head, booking=booking, now=now)
    used, created = _collective_offer(
        pro=pro,
        staff=staff,
        venue=park,
        name="Visite des coulisses du festival",
        kind=CollectiveOffer.Kind.BOOKABLE,
        description="Les élèves découvrent les métiers du spectacle : lumière, son, régie.",
        domains=["PATRIMOINE", "THEATRE"],
        school_levels=["QUATRIEME", "TROISIEME"],
        start_datetime=at(-20, 9),
        end_datetime=at(-20, 12),
        booking_limit_datetime=at(-35, 18),
        price_cents=30_000,
        participants=25,
        now=then,
        **common,
    )
    if created:
        booking = collective_services.collective_booking_prebook(
            actor=teacher, offer=used, now=then + dt.timedelta(days=2)
        )
        collective_services.collective_booking_confirm(
            actor=head, booking=booking, now=then + dt.timedelta(days=4)
        )
        collective_services.collective_bookings_mark_used(now=now)
        # Priced now (100 %), paid by the next run, like the festival's waiting booking.
        finance_pricing.pricing_price_due(now=now)
    return teacher, head


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
    park = _venue(
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
    theatre = _structure(
        owner=theatre_pro,
        siret="84251937300018",
        name="Théâtre du Grand Marché",
        ape_code="90.04Z",
        street="2 rue du Maréchal Leclerc",
        postal_code="97400",
        city="Saint-Denis",
        now=now,
    )

    # Compliance rules: the first sends the VIP pass to review, the second the tasting.
    _rule(
        staff=staff,
        name="Prix élevé (plus de 150 €)",
        kind=ValidationRule.Kind.PRICE_ABOVE,
        parameters={"price_cents": 15000},
        now=now,
    )
    _rule(
        staff=staff,
        name="Alcool",
        kind=ValidationRule.Kind.KEYWORD,
        parameters={"keywords": ["alcool", "dégustation", "open bar"]},
        now=now,
    )
    _festival_offers(pro=festival_pro, staff=staff, venue=park, now=now)
    theatre_venue = Venue.objects.get(offerer=theatre, is_head_office=True)
    _theatre_offer(pro=theatre_pro, venue=theatre_venue, now=now)
    young18 = _beneficiary(
        "jeune18@culturepass.demo",
        first_name="Inès",
        last_name="Moreau",
        age=18,
        # Lyon, like the demo festival, so "Près de chez vous" shows its offers.
        street="12 rue de Marseille",
        postal_code="69007",
        city="Lyon",
        staff=staff,
        now=now,
    )
    young17 = _beneficiary(
        "jeune17@culturepass.demo",
        first_name="Lucas",
        last_name="Girard",
        age=17,
        street="5 rue de la République",
        postal_code="69002",
        city="Lyon",
        staff=staff,
        now=now,
    )
    _demo_highlights(staff=staff, festival=festival, now=now)
    _demo_bookings(young18=young18, young17=young17, festival=festival, now=now)
    _demo_finance(staff=staff, pro=festival_pro, festival=festival, park=park, now=now)
    teacher, head = _demo_collective(
        staff=staff, pro=festival_pro, festival=festival, park=park, now=now
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
        DemoLogin("young person aged 18 (150 €)", young18.email, DEMO_PASSWORD, f"{site_url}/app/"),
        DemoLogin("young person aged 17 (50 €)", young17.email, DEMO_PASSWORD, f"{site_url}/app/"),
        DemoLogin(
            "teacher (Collège Jean Moulin)", teacher.email, DEMO_PASSWORD, f"{site_url}/ecoles/"
        ),
        DemoLogin(
            "school head (Collège Jean Moulin)", head.email, DEMO_PASSWORD, f"{site_url}/ecoles/"
        ),
    ]
