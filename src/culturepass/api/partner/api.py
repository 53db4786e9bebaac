"""The partner API: ``partner_api``, mounted at ``/public/`` (see :mod:`culturepass.api.urls`).

Every operation gets, without the route having to ask:

- API-key authentication, rate limit and ``last_used_at`` (:class:`PartnerKeyAuth`);
- pass Culture's error bodies (:mod:`.errors`);
- camelCase responses (``by_alias``), because pass Culture's clients read camelCase;
- ``Idempotency-Key`` support on mutating methods (:mod:`.idempotency`);
- in ``/public/openapi.json``: the bearer scheme, the ``Idempotency-Key`` header and the
  common error responses (400, 401, 403, 404, 409, 422, 429) with their bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import NinjaAPI

from culturepass.api.partner import errors, idempotency
from culturepass.api.partner.auth import RATE_LIMIT, PartnerKeyAuth
from culturepass.api.partner.bookings import bookings_router
from culturepass.api.partner.offers import offers_router

DESCRIPTION = f"""
API publique de culturepass pour les logiciels de billetterie et d'agenda des structures
culturelles, **compatible avec l'API publique v1 du pass Culture** : mêmes chemins, mêmes
champs, mêmes codes d'erreur. Une intégration existante change seulement d'URL de base.

- **Authentification** : `Authorization: Bearer cp_<préfixe>_<secret>` (clé créée dans
  l'espace pro, rubrique « Intégrations »). Clé absente, inconnue ou révoquée : 401
  `{{"auth": "API key required"}}` ; structure non validée : 403
  `{{"auth": ["Inactive provider"]}}`.
- **Périmètre** : une clé n'atteint que les lieux de sa structure (ou ceux auxquels elle est
  restreinte) ; tout autre objet répond 404.
- **Format** : JSON en camelCase (le snake_case est accepté en entrée) ; montants en
  centimes d'euro ; dates ISO 8601 avec fuseau en entrée, UTC terminé par `Z` en sortie.
- **Erreurs** : 400 `{{"champ": ["message"]}}` ; champ inconnu :
  `["extra fields not permitted"]` ; JSON invalide : `{{"global": ["…"]}}`.
- **Limite** : {RATE_LIMIT} requêtes par minute et par clé, puis 429 avec `Retry-After`.
- **Idempotence** : en-tête `Idempotency-Key` sur POST, PATCH et DELETE ; même clé et même
  requête : la première réponse est rejouée (`Idempotent-Replayed: true`) ; autre requête :
  422 ; requête identique encore en cours : 409. Clés conservées 24 h.
- **Pagination** : `limit` (1 à 50) et `firstIndex` (identifiant de départ) ; page suivante
  avec `firstIndex` = dernier id + 1.
- **Webhooks** : voir `/public/docs/webhooks`.
"""

ERROR_SCHEMA = {
    "title": "PartnerErrorBody",
    "type": "object",
    "description": (
        "Flat error body: each key is a field alias, a dotted path, or `global`/`auth`; "
        "the value is a list of messages (a string for a few pass Culture errors)."
    ),
    "additionalProperties": {
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
}

COMMON_ERRORS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": ("Requête invalide", {"name": ["field required"]}),
    "401": ("Clé d'API absente, inconnue ou révoquée", {"auth": "API key required"}),
    "403": ("Structure inactive", {"auth": ["Inactive provider"]}),
    "429": (
        "Trop de requêtes (voir l'en-tête Retry-After)",
        {"global": ["Trop de requêtes : 200 par minute au plus, réessayez dans 12 s."]},
    ),
}
OBJECT_ERRORS = {
    "404": (
        "Objet introuvable ou hors du périmètre de la clé",
        {"global": "Venue cannot be found"},
    ),
}
MUTATING_ERRORS = {
    "409": (
        "Requête de même Idempotency-Key en cours",
        {"global": ["A request with this Idempotency-Key is in progress"]},
    ),
    "422": (
        "Idempotency-Key déjà utilisée pour une autre requête",
        {"global": ["Idempotency-Key already used with another request"]},
    ),
}

IDEMPOTENCY_PARAMETER = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Clé choisie par le client (1 à 255 caractères) : rejouer la même requête avec la même "
        "clé renvoie la première réponse au lieu de recommencer l'opération."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
    "example": "3f6c2a9e-5d1b-4c47-9a0e-1b2c3d4e5f60",
}


def _error_response(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/PartnerErrorBody"},
                "example": example,
            }
        },
    }


def document_conventions(schema: dict[str, Any]) -> dict[str, Any]:
    """Add what every operation shares to an OpenAPI document (mutated and returned)."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["PartnerErrorBody"] = ERROR_SCHEMA
    for scheme in components.get("securitySchemes", {}).values():
        scheme.setdefault(
            "description",
            "Clé d'API partenaire `cp_<préfixe>_<secret>`, créée dans l'espace pro (Intégrations).",
        )
    for methods in schema.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            # ninja keys responses by int; JSON turns them into strings, so normalise first
            # or "400" added here would sit next to 400 as a duplicate key.
            responses = {str(status): value for status, value in operation["responses"].items()}
            operation["responses"] = responses
            # 404 everywhere: an object out of the key's scope may be named in the path, the
            # query (venueId, offerId…) or the body (location.venueId).
            wanted = {**COMMON_ERRORS, **OBJECT_ERRORS}
            if method.upper() in idempotency.MUTATING_METHODS:
                wanted.update(MUTATING_ERRORS)
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == idempotency.HEADER for p in parameters):
                    parameters.append(dict(IDEMPOTENCY_PARAMETER))
            for status, (description, example) in wanted.items():
                responses.setdefault(status, _error_response(description, example))
    return schema


class PartnerNinjaAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document carries the partner API's shared conventions."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        return document_conventions(schema)


def _camel_case_responses(run: Callable[..., Any]) -> Callable[..., Any]:
    """Make the operation dump its response schemas by alias (camelCase).

    A ninja "view" decorator receives the bound ``Operation.run``; setting ``by_alias`` on the
    operation here saves every route from passing ``by_alias=True``.
    """
    target: Any = run
    while target is not None and not hasattr(target, "__self__"):
        target = getattr(target, "__wrapped__", None)
    operation = getattr(target, "__self__", None)
    if operation is not None and hasattr(operation, "by_alias"):
        operation.by_alias = True
    return run


def configure(api: NinjaAPI) -> NinjaAPI:
    """Install the partner conventions on ``api`` (also used by tests on a scratch API)."""
    errors.install(api)
    api.add_decorator(_camel_case_responses, mode="view")
    idempotency.install(api)
    return api


partner_api = configure(
    PartnerNinjaAPI(
        title="culturepass — partner API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="partner_api",
        openapi_url="/openapi.json",
        docs_url=None,
        auth=PartnerKeyAuth(),
    )
)
partner_api.add_router("/offers/v1", offers_router)
partner_api.add_router("/bookings/v1", bookings_router)
