"""Compliance at publication: does an offer go to staff review? Pure functions, no database.

The decision, in order:

1. a structure of confidence WHITELIST is never reviewed → APPROVED;
2. a structure under MANUAL_REVIEW is always reviewed → PENDING;
3. otherwise the offer is reviewed (PENDING) when at least one **active** staff rule matches,
   and APPROVED at once when none does.

Rule kinds and their ``parameters`` (``ValidationRule.parameters``):

- KEYWORD ``{"keywords": ["alcool", "soirée open bar"]}``: one of the keywords appears in the
  title or the description as whole words, ignoring case and accents ("Soiree" matches
  "soirée", "art" does not match "partie"); a keyword of several words matches that sequence.
- PRICE_ABOVE ``{"price_cents": 10000}``: some price category costs strictly more.
- SUBCATEGORY ``{"subcategory_ids": ["CONCERT", ...]}``: the offer's subcategory is listed.
- OFFERER_CONFIDENCE ``{}``: the structure is under MANUAL_REVIEW (useful to keep a trace of
  why an offer was reviewed; such structures are reviewed anyway).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

KEYWORD = "KEYWORD"
PRICE_ABOVE = "PRICE_ABOVE"
SUBCATEGORY = "SUBCATEGORY"
OFFERER_CONFIDENCE = "OFFERER_CONFIDENCE"
RULE_KINDS = (KEYWORD, PRICE_ABOVE, SUBCATEGORY, OFFERER_CONFIDENCE)

NORMAL = "NORMAL"
WHITELIST = "WHITELIST"
MANUAL_REVIEW = "MANUAL_REVIEW"

APPROVED = "APPROVED"
PENDING = "PENDING"

MAX_KEYWORDS = 200
MAX_RULE_PRICE_CENTS = 1_000_000


class Rule(Protocol):
    """What a rule must offer (``ValidationRule`` does)."""

    @property
    def kind(self) -> str: ...

    @property
    def parameters(self) -> Any: ...

    @property
    def is_active(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What the rules look at."""

    name: str
    description: str
    subcategory_id: str
    prices_cents: tuple[int, ...]
    offerer_confidence: str = NORMAL


@dataclass(frozen=True, slots=True)
class Decision:
    validation: str  # APPROVED or PENDING
    matched: tuple[Any, ...] = ()
    """The rules that matched (empty when the structure's confidence level decided)."""
    reason: str = ""
    """Why, in a few words, for the audit log: "whitelist", "manual_review", "rules", "none"."""

    @property
    def needs_review(self) -> bool:
        return self.validation == PENDING


# --- Text -------------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Lower case, no accents, words separated by single spaces (punctuation dropped)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = bare.replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.findall(r"[^\W_]+", bare))


def keyword_matches(keyword: str, text: str) -> bool:
    """True when ``keyword`` appears in ``text`` as whole words (case and accents ignored)."""
    needle = normalize_text(keyword)
    if not needle:
        return False
    return f" {needle} " in f" {normalize_text(text)} "


# --- Rules ------------------------------------------------------------------------------------


def _keywords(parameters: Mapping[str, Any]) -> list[str]:
    value = parameters.get("keywords") or []
    if isinstance(value, str):
        value = [value]
    return [str(k) for k in value if str(k).strip()]


def rule_matches(rule: Rule, facts: OfferFacts) -> bool:
    """Whether one rule (active or not) matches the offer."""
    parameters = rule.parameters if isinstance(rule.parameters, Mapping) else {}
    if rule.kind == KEYWORD:
        text = f"{facts.name}\n{facts.description}"
        return any(keyword_matches(k, text) for k in _keywords(parameters))
    if rule.kind == PRICE_ABOVE:
        threshold = parameters.get("price_cents")
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            return False
        return any(price > threshold for price in facts.prices_cents)
    if rule.kind == SUBCATEGORY:
        return facts.subcategory_id in set(parameters.get("subcategory_ids") or ())
    if rule.kind == OFFERER_CONFIDENCE:
        return facts.offerer_confidence == MANUAL_REVIEW
    return False


def matching_rules[R: Rule](rules: Iterable[R], facts: OfferFacts) -> list[R]:
    """The active rules that match, in the given order."""
    return [rule for rule in rules if rule.is_active and rule_matches(rule, facts)]


def decide(*, facts: OfferFacts, rules: Sequence[Rule]) -> Decision:
    """APPROVED or PENDING for an offer being published (see the module docstring)."""
    if facts.offerer_confidence == WHITELIST:
        return Decision(APPROVED, reason="whitelist")
    matched = tuple(matching_rules(rules, facts))
    if facts.offerer_confidence == MANUAL_REVIEW:
        return Decision(PENDING, matched=matched, reason="manual_review")
    if matched:
        return Decision(PENDING, matched=matched, reason="rules")
    return Decision(APPROVED, reason="none")


# --- Rule parameters entered by staff ---------------------------------------------------------


def clean_rule_parameters(
    kind: str, parameters: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters of a rule of ``kind``, cleaned, and the errors ({field: French message}).

    Fields are ``parameters.keywords``, ``parameters.price_cents`` and
    ``parameters.subcategory_ids``. Keywords may be given as a list or as one string with a
    keyword per line (or separated by commas).
    """
    from culturepass.catalog import catalogue

    errors: dict[str, str] = {}
    parameters = parameters if isinstance(parameters, Mapping) else {}
    if kind == KEYWORD:
        raw = parameters.get("keywords") or []
        if isinstance(raw, str):
            raw = re.split(r"[\n,;]", raw)
        keywords = list(dict.fromkeys(str(k).strip() for k in raw if str(k).strip()))
        if not keywords or not all(normalize_text(k) for k in keywords):
            errors["parameters.keywords"] = _("Indiquez au moins un mot-clé.")
        elif len(keywords) > MAX_KEYWORDS:
            errors["parameters.keywords"] = _("Une règle peut avoir au plus %(max)s mots-clés.") % {
                "max": MAX_KEYWORDS
            }
        return {"keywords": keywords}, errors
    if kind == PRICE_ABOVE:
        value = parameters.get("price_cents")
        price: int | None
        try:
            price = None if value is None or isinstance(value, bool) else int(value)
        except (TypeError, ValueError):
            price = None
        if price is None or str(value).strip() != str(price):
            errors["parameters.price_cents"] = _("Indiquez un montant en centimes.")
            return {}, errors
        if not 0 <= price <= MAX_RULE_PRICE_CENTS:
            errors["parameters.price_cents"] = _("Indiquez un montant entre 0 et 10 000 €.")
        return {"price_cents": price}, errors
    if kind == SUBCATEGORY:
        raw_ids = parameters.get("subcategory_ids") or []
        if isinstance(raw_ids, str):
            raw_ids = [raw_ids]
        ids = list(dict.fromkeys(str(s).strip() for s in raw_ids if str(s).strip()))
        if not ids:
            errors["parameters.subcategory_ids"] = _("Choisissez au moins une sous-catégorie.")
        elif any(catalogue.find_subcategory(s) is None for s in ids):
            errors["parameters.subcategory_ids"] = _("Sous-catégorie inconnue.")
        return {"subcategory_ids": ids}, errors
    if kind == OFFERER_CONFIDENCE:
        return {}, errors
    return {}, {"kind": _("Type de règle inconnu.")}
