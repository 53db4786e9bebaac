"""Browsable documentation of the partner API: ``/public/docs`` and ``/public/docs/webhooks``.

Server-rendered from the same OpenAPI document as ``/public/openapi.json``, so it cannot drift
from the routes. No script, no CDN: the strict CSP (``script-src 'self' nonce``) rules out
Swagger UI from a CDN, and a reader needs text and examples, not a console.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from culturepass.api.partner.api import partner_api
from culturepass.api.partner.auth import RATE_LIMIT

METHOD_ORDER = ("get", "post", "put", "patch", "delete")
MAX_REF_DEPTH = 20


@dataclass
class Field:
    name: str
    type: str
    required: bool
    description: str


@dataclass
class Response:
    status: str
    description: str
    example: str | None


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Field] = field(default_factory=list)
    body_fields: list[Field] = field(default_factory=list)
    body_example: str | None = None
    responses: list[Response] = field(default_factory=list)


@dataclass
class Section:
    title: str
    operations: list[Operation] = field(default_factory=list)


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    for _depth in range(MAX_REF_DEPTH):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = document
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema = target if isinstance(target, dict) else {}
    return schema


def _type_of(schema: dict[str, Any], document: dict[str, Any]) -> str:
    """A short, readable type: ``integer``, ``string (date-time)``, ``array of Date``…"""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            parts = [_type_of(s, document) for s in schema[combinator]]
            return " | ".join(dict.fromkeys(parts))
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}), document)}"
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    text = str(kind or "object")
    if schema.get("format"):
        text += f" ({schema['format']})"
    return text


def _fields(schema: dict[str, Any], document: dict[str, Any]) -> list[Field]:
    schema = _resolve(schema, document)
    required = set(schema.get("required", []))
    return [
        Field(
            name=name,
            type=_type_of(prop, document),
            required=name in required,
            description=str(_resolve(prop, document).get("description", "")),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _example(content: dict[str, Any], document: dict[str, Any]) -> str | None:
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    if "example" in media:
        value = media["example"]
    elif media.get("examples"):
        value = next(iter(media["examples"].values())).get("value")
    else:
        schema = _resolve(media.get("schema", {}), document)
        if "example" in schema:
            value = schema["example"]
        elif schema.get("examples"):
            value = schema["examples"][0]
        else:
            return None
    return json.dumps(value, indent=2, ensure_ascii=False)


def _operation(path: str, method: str, spec: dict[str, Any], document: dict[str, Any]) -> Operation:
    operation = Operation(
        method=method.upper(),
        path=path,
        anchor=spec.get("operationId") or f"{method}-{path}".replace("/", "-"),
        summary=str(spec.get("summary", "")),
        description=str(spec.get("description", "")),
    )
    for param in spec.get("parameters", []):
        param = _resolve(param, document)
        operation.parameters.append(
            Field(
                name=f"{param.get('name')} ({param.get('in')})",
                type=_type_of(param.get("schema", {}), document),
                required=bool(param.get("required")),
                description=str(param.get("description", "")),
            )
        )
    body = spec.get("requestBody", {}).get("content", {})
    if body:
        media = body.get("application/json") or next(iter(body.values()))
        operation.body_fields = _fields(media.get("schema", {}), document)
        operation.body_example = _example(body, document)
    for status, response in sorted(spec.get("responses", {}).items(), key=lambda i: str(i[0])):
        operation.responses.append(
            Response(
                status=str(status),
                description=str(response.get("description", "")),
                example=_example(response.get("content", {}), document),
            )
        )
    return operation


def documentation_sections(document: dict[str, Any]) -> list[Section]:
    """The operations of ``document`` grouped by their first tag, in path order."""
    sections: dict[str, Section] = {}
    for path, methods in document.get("paths", {}).items():
        for method in METHOD_ORDER:
            spec = methods.get(method)
            if not isinstance(spec, dict):
                continue
            title = (spec.get("tags") or ["API"])[0]
            section = sections.setdefault(title, Section(title=title))
            section.operations.append(_operation(path, method, spec, document))
    return list(sections.values())


def docs(request: HttpRequest) -> HttpResponse:
    document = partner_api.get_openapi_schema()
    context = {
        "sections": documentation_sections(document),
        "version": document.get("info", {}).get("version", ""),
        "rate_limit": RATE_LIMIT,
    }
    return render(request, "api/partner/docs.html", context)


def docs_webhooks(request: HttpRequest) -> HttpResponse:
    return render(request, "api/partner/docs_webhooks.html")
