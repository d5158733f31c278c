"""JSON:API bodies as the stack writes and reads them (``pkg/jsonapi``): objects always carry
``meta`` (``{}`` without a revision), lists carry ``links`` and ``meta.count``."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from sandbox.errors import BadRequest
from sandbox.web.context import json_body
from sandbox.web.responses import JSONAPI


def obj(doctype: str, doc_id: str, attributes: dict, rev: str | None = None,
        links: dict | None = None, relationships: dict | None = None) -> dict:
    out: dict[str, Any] = {"type": doctype, "id": doc_id, "attributes": attributes,
                           "meta": {"rev": rev} if rev else {}}
    if links:
        out["links"] = links
    if relationships:
        out["relationships"] = relationships
    return out


def data(item: dict, status: int = 200) -> JSONAPI:
    return JSONAPI({"data": item}, status_code=status)


def listing(items: list[dict], links: dict | None = None) -> JSONAPI:
    return JSONAPI({"data": items, "links": links or {}, "meta": {"count": len(items)}})


async def bind(request: Request) -> tuple[dict, dict]:
    """The ``data.attributes`` and ``data.meta`` of a JSON:API request body."""
    body = await json_body(request)
    item = body.get("data") if isinstance(body, dict) else None
    if not isinstance(item, dict):
        raise BadRequest('the body must be a JSON:API document: {"data": {"type": ..., '
                         '"attributes": {...}}}')
    attributes = item.get("attributes", {})
    meta = item.get("meta") or {}
    if not isinstance(attributes, dict) or not isinstance(meta, dict):
        raise BadRequest("data.attributes and data.meta must be JSON objects")
    return attributes, meta
