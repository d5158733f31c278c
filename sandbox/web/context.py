"""From a request to a caller: token extraction, instance by Host, body parsing."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi import Request

from sandbox.errors import BadRequest, NoToken
from sandbox.service import Caller, Sandbox


def sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


def host_instance(request: Request) -> str | None:
    """``alice.localhost:8080`` → alice; ``notes.alice.localhost`` → alice; IPs → None."""
    host = (request.headers.get("host") or "").split(":")[0].lower()
    if not host.endswith(".localhost"):
        return None
    labels = host[: -len(".localhost")].split(".")
    return labels[-1] or None


def app_slug(request: Request) -> str | None:
    host = (request.headers.get("host") or "").split(":")[0].lower()
    labels = host[: -len(".localhost")].split(".") if host.endswith(".localhost") else []
    return labels[0] if len(labels) == 2 else None


def token_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    if auth[:6].lower() == "basic ":
        try:
            _, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return password or None
        except Exception:
            return None
    return request.query_params.get("bearer_token") or None


async def caller(request: Request) -> Caller:
    token = token_of(request)
    if not token:
        raise NoToken()
    return sandbox(request).authenticate(token, host_instance(request))


def caller_or_none(request: Request) -> Caller | None:
    token = token_of(request)
    if not token:
        return None
    try:
        return sandbox(request).authenticate(token, host_instance(request))
    except Exception:
        return None


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("Request body is empty: send a JSON document", "bad_request")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"invalid UTF-8 JSON: {exc}", "bad_request") from None
