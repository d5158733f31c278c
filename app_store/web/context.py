"""From a request to the store and the calling account (bearer token or login cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from app_store import accounts
from app_store.accounts import Account
from app_store.errors import StoreError
from app_store.store import Store

COOKIE = "selfdata_store_token"


def store(request: Request) -> Store:
    return request.app.state.store


def token_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def account(request: Request) -> Account:
    return accounts.authenticate(store(request).db, token_of(request))


def account_or_none(request: Request) -> Account | None:
    token = token_of(request)
    if not token:
        return None
    try:
        return accounts.authenticate(store(request).db, token)
    except StoreError:
        return None


# A submission id in a path: beyond SQLite's 64-bit integers it is refused as a bad request
# (it could never exist), instead of overflowing the query.
SubmissionId = Annotated[int, Path(ge=1, le=2**63 - 1)]
