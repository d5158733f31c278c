"""From a request to the sandbox, the caller and the instance its Host names."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from sandbox.apps.service import Apps
from sandbox.contract.addresses import Address, parse_host
from sandbox.errors import BadRequest, NoToken
from sandbox.service import Caller, Sandbox


def sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


def apps(request: Request) -> Apps:
    return request.app.state.apps


def address(request: Request) -> Address:
    """The instance (and app) the request's Host names."""
    return parse_host(request.headers.get("host"))


def token_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    if auth[:6].lower() == "basic ":
        try:
            _, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            return password or None
        except (ValueError, UnicodeDecodeError):
            return None
    return request.query_params.get("bearer_token") or None


async def caller(request: Request) -> Caller:
    """The authenticated caller (a dependency). It is kept on ``request.state`` so that the
    journal can name who was refused."""
    token = token_of(request)
    if not token:
        raise NoToken()
    sb, host = sandbox(request), address(request).instance
    # a token seen a moment ago is answered here; a new one reads the database off the loop
    who = sb.cached_caller(token, host) or await run_in_threadpool(sb.authenticate, token, host)
    request.state.caller = who
    return who


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("Request body is empty: send a JSON document")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"invalid UTF-8 JSON: {exc}") from None
