"""Editorial blocks of the beneficiary home, curated by staff ("territorial" role).

A block lists offers in a chosen order. It shows between ``active_from`` and
``active_until`` (open ends allowed); a REGIONAL block shows only to beneficiaries of its
region. Only offers visible at the time are shown (``selectors.home_blocks``), so a block may
keep an offer that expired or was switched off without showing it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _


class HighlightBlock(models.Model):
    class Kind(models.TextChoices):
        IMMANQUABLES = "IMMANQUABLES", _("Immanquables")
        THEME = "THEME", _("Thématique")
        REGIONAL = "REGIONAL", _("Régional")

    title = models.CharField(_("titre"), max_length=90)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    region_code = models.CharField(_("région"), max_length=3, blank=True)
    active_from = models.DateTimeField(_("visible à partir du"), null=True, blank=True)
    active_until = models.DateTimeField(_("visible jusqu'au"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    offers = models.ManyToManyField(
        "offers.Offer", through="HighlightItem", related_name="highlight_blocks"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("mise en avant")
        verbose_name_plural = _("mises en avant")
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("title"), 1), name="highlight_title_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["IMMANQUABLES", "THEME", "REGIONAL"]),
                name="highlight_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="REGIONAL") | ~Q(region_code=""),
                name="highlight_regional_has_region",
            ),
            models.CheckConstraint(
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gt=F("active_from")),
                name="highlight_active_period",
            ),
        ]
        indexes = [models.Index(fields=["position", "id"], name="highlight_block_order")]

    def __str__(self) -> str:
        return self.title


class HighlightItem(models.Model):
    block = models.ForeignKey(HighlightBlock, on_delete=models.CASCADE, related_name="items")
    offer = models.ForeignKey("offers.Offer", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["block", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["block", "offer"], name="highlight_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.block_id}: {self.offer_id} @ {self.position}"
