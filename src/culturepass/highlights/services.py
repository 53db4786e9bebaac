"""Staff edit the highlight blocks (permission ``accounts.territorial``); every change audited.

Refusals raise :class:`DomainError` subclasses with a stable code and a French message:
``forbidden``, ``not_found``, ``invalid`` (``ValidationErrors`` with field errors),
``highlight_offer_already_in_block``, ``highlight_offer_not_approved``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from culturepass.core.audit import audit_record, snapshot
from culturepass.core.errors import DomainError, NotFound, PermissionDenied
from culturepass.highlights.models import HighlightBlock, HighlightItem
from culturepass.offerers.places import regions
from culturepass.offers.models import Offer
from culturepass.offers.services import ValidationErrors

BLOCK_FIELDS = ["title", "kind", "region_code", "active_from", "active_until", "position"]
MAX_ITEMS_PER_BLOCK = 50


def _require_territorial(actor: Any) -> None:
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.is_staff
        and actor.has_perm("accounts.territorial")
    ):
        raise PermissionDenied(_("Vous n'avez pas le droit de gérer les mises en avant."))


def _lock_block(block: HighlightBlock | int) -> HighlightBlock:
    block_id = block.pk if isinstance(block, HighlightBlock) else int(block)
    locked = HighlightBlock.objects.select_for_update().filter(pk=block_id).first()
    if locked is None:
        raise NotFound(_("Ce bloc n'existe pas."))
    return locked


def _clean_block(
    *,
    title: str,
    kind: str,
    region_code: str,
    active_from: dt.datetime | None,
    active_until: dt.datetime | None,
) -> tuple[str, str]:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    region_code = (region_code or "").strip()
    if not title:
        errors["title"] = _("Donnez un titre au bloc.")
    elif len(title) > HighlightBlock._meta.get_field("title").max_length:  # type: ignore[operator]
        errors["title"] = _("Le titre fait au plus 90 caractères.")
    if kind not in HighlightBlock.Kind.values:
        errors["kind"] = _("Choisissez un type de bloc.")
    if kind == HighlightBlock.Kind.REGIONAL and not region_code:
        errors["region_code"] = _("Un bloc régional a une région.")
    if region_code and region_code not in regions():
        errors["region_code"] = _("Cette région n'existe pas.")
    if active_from and active_until and active_until <= active_from:
        errors["active_until"] = _("La fin de visibilité doit suivre son début.")
    if errors:
        raise ValidationErrors(errors)
    return title, region_code


def highlight_block_create(
    *,
    actor: Any,
    title: str,
    kind: str,
    region_code: str = "",
    active_from: dt.datetime | None = None,
    active_until: dt.datetime | None = None,
    position: int | None = None,
    now: dt.datetime,
) -> HighlightBlock:
    """A new block; without ``position`` it goes after the others."""
    _require_territorial(actor)
    title, region_code = _clean_block(
        title=title,
        kind=kind,
        region_code=region_code,
        active_from=active_from,
        active_until=active_until,
    )
    with transaction.atomic():
        if position is None:
            last = HighlightBlock.objects.aggregate(last=Max("position"))["last"]
            position = 0 if last is None else last + 1
        block = HighlightBlock.objects.create(
            title=title,
            kind=kind,
            region_code=region_code,
            active_from=active_from,
            active_until=active_until,
            position=max(position, 0),
            created_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="highlight.create",
            obj=block,
            now=now,
            after=snapshot(block, BLOCK_FIELDS),
        )
    return block


def highlight_block_update(
    *,
    actor: Any,
    block: HighlightBlock | int,
    title: str,
    kind: str,
    region_code: str = "",
    active_from: dt.datetime | None = None,
    active_until: dt.datetime | None = None,
    position: int | None = None,
    now: dt.datetime,
) -> HighlightBlock:
    _require_territorial(actor)
    title, region_code = _clean_block(
        title=title,
        kind=kind,
        region_code=region_code,
        active_from=active_from,
        active_until=active_until,
    )
    with transaction.atomic():
        locked = _lock_block(block)
        before = snapshot(locked, BLOCK_FIELDS)
        locked.title = title
        locked.kind = kind
        locked.region_code = region_code
        locked.active_from = active_from
        locked.active_until = active_until
        if position is not None:
            locked.position = max(position, 0)
        locked.updated_at = now
        locked.save()
        audit_record(
            actor=actor,
            action="highlight.update",
            obj=locked,
            now=now,
            before=before,
            after=snapshot(locked, BLOCK_FIELDS),
        )
    return locked


def highlight_block_delete(*, actor: Any, block: HighlightBlock | int, now: dt.datetime) -> None:
    _require_territorial(actor)
    with transaction.atomic():
        locked = _lock_block(block)
        before = snapshot(locked, BLOCK_FIELDS)
        before["offers"] = list(
            locked.items.order_by("position", "id").values_list("offer_id", flat=True)
        )
        audit_record(actor=actor, action="highlight.delete", obj=locked, now=now, before=before)
        locked.delete()


def _offer_ids(block: HighlightBlock) -> list[int]:
    return list(block.items.order_by("position", "id").values_list("offer_id", flat=True))


def _touch(block: HighlightBlock, now: dt.datetime) -> None:
    block.updated_at = now
    block.save(update_fields=["updated_at"])


def highlight_offer_add(
    *, actor: Any, block: HighlightBlock | int, offer_id: int, now: dt.datetime
) -> HighlightItem:
    """Append an approved offer to the block."""
    _require_territorial(actor)
    with transaction.atomic():
        locked = _lock_block(block)
        offer = Offer.objects.filter(pk=offer_id).only("pk", "validation", "name").first()
        if offer is None:
            raise NotFound(_("Aucune offre ne porte ce numéro."), field="offer_id")
        if offer.validation != Offer.Validation.APPROVED:
            raise DomainError(
                _("Seule une offre validée peut être mise en avant."),
                code="highlight_offer_not_approved",
                field="offer_id",
            )
        before = _offer_ids(locked)
        if offer.pk in before:
            raise DomainError(
                _("Cette offre est déjà dans le bloc."),
                code="highlight_offer_already_in_block",
                field="offer_id",
            )
        if len(before) >= MAX_ITEMS_PER_BLOCK:
            raise DomainError(
                _("Un bloc contient au plus 50 offres."),
                code="highlight_block_full",
                field="offer_id",
            )
        item = HighlightItem.objects.create(block=locked, offer=offer, position=len(before))
        _touch(locked, now)
        audit_record(
            actor=actor,
            action="highlight.offer_add",
            obj=locked,
            now=now,
            before={"offers": before},
            after={"offers": [*before, offer.pk]},
        )
    return item


def highlight_offer_remove(
    *, actor: Any, block: HighlightBlock | int, offer_id: int, now: dt.datetime
) -> None:
    _require_territorial(actor)
    with transaction.atomic():
        locked = _lock_block(block)
        before = _offer_ids(locked)
        if offer_id not in before:
            raise NotFound(_("Cette offre n'est pas dans le bloc."))
        HighlightItem.objects.filter(block=locked, offer_id=offer_id).delete()
        after = [pk for pk in before if pk != offer_id]
        _renumber(locked, after)
        _touch(locked, now)
        audit_record(
            actor=actor,
            action="highlight.offer_remove",
            obj=locked,
            now=now,
            before={"offers": before},
            after={"offers": after},
        )


def _renumber(block: HighlightBlock, offer_ids: Sequence[int]) -> None:
    items = {item.offer_id: item for item in block.items.all()}
    changed = []
    for position, offer_id in enumerate(offer_ids):
        item = items[offer_id]
        if item.position != position:
            item.position = position
            changed.append(item)
    HighlightItem.objects.bulk_update(changed, ["position"])


def highlight_offers_reorder(
    *, actor: Any, block: HighlightBlock | int, offer_ids: Sequence[int], now: dt.datetime
) -> None:
    """Put the block's offers in the order of ``offer_ids`` (exactly the block's offers)."""
    _require_territorial(actor)
    with transaction.atomic():
        locked = _lock_block(block)
        before = _offer_ids(locked)
        wanted = [int(pk) for pk in offer_ids]
        if sorted(wanted) != sorted(before) or len(set(wanted)) != len(wanted):
            raise DomainError(
                _("La liste ne correspond pas aux offres du bloc : rechargez la page."),
                code="highlight_reorder_mismatch",
            )
        if wanted == before:
            return
        _renumber(locked, wanted)
        _touch(locked, now)
        audit_record(
            actor=actor,
            action="highlight.reorder",
            obj=locked,
            now=now,
            before={"offers": before},
            after={"offers": wanted},
        )


def highlight_offer_move(
    *, actor: Any, block: HighlightBlock | int, offer_id: int, delta: int, now: dt.datetime
) -> None:
    """Move one offer up (``delta`` < 0) or down (> 0) in the block, clamped at the ends."""
    _require_territorial(actor)
    with transaction.atomic():
        locked = _lock_block(block)
        order = _offer_ids(locked)
        if offer_id not in order:
            raise NotFound(_("Cette offre n'est pas dans le bloc."))
        index = order.index(offer_id)
        target = min(max(index + delta, 0), len(order) - 1)
        if target == index:
            return
        order.insert(target, order.pop(index))
        highlight_offers_reorder(actor=actor, block=locked, offer_ids=order, now=now)
