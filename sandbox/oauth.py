"""OAuth 2 clients of an instance: registration, authorization codes (PKCE), tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from sandbox.auth import tokens
from sandbox.contract.permissions import parse_scope
from sandbox.errors import BadRequest, StackError
from sandbox.instances import Instance
from sandbox.storage.database import Database
from sandbox.storage.tables import access_codes, oauth_clients

CODE_TTL_S = 600
REQUIRED = ("redirect_uris", "client_name", "software_id")


class OAuthError(StackError):
    """A refused OAuth request (the stack answers ``{"error": "..."}`` on /auth)."""


class UnknownInstance(OAuthError):
    """The instance an OAuth request names does not exist."""


class BadRegistrationToken(OAuthError):
    """A client's registration token is missing or wrong."""


@dataclass(frozen=True)
class Client:
    client_id: str
    instance_id: int
    client_secret: str
    registration_token: str
    metadata: dict


def _row_to_client(r) -> Client:
    return Client(r.client_id, r.instance_id, r.client_secret, r.registration_token,
                  orjson.loads(r.metadata))


class OAuth:
    def __init__(self, db: Database):
        self.db = db
        self.on_change: Callable[[], None] = lambda: None  # a client deleted: forget tokens

    def register(self, inst: Instance, body: object) -> dict:
        if not isinstance(body, dict):
            raise OAuthError("the registration must be a JSON object")
        missing = [k for k in REQUIRED if not body.get(k)]
        uris = body.get("redirect_uris")
        problems = [f"{k} is required" for k in missing]
        if uris is not None and (not isinstance(uris, list) or
                                 not all(isinstance(u, str) and "://" in u for u in uris)):
            problems.append("redirect_uris must be an array of absolute URIs")
        if problems:
            raise OAuthError("; ".join(problems))
        client_id = secrets.token_hex(16)
        secret = secrets.token_urlsafe(32)
        reg = tokens.issue(inst.secret, aud="registration", instance=inst.name, sub=client_id)
        meta = {k: v for k, v in body.items() if k in (
            "redirect_uris", "client_name", "software_id", "client_kind", "client_uri",
            "logo_uri", "policy_uri", "software_version")}
        with self.db.write() as conn:
            conn.execute(sa.insert(oauth_clients).values(
                client_id=client_id, instance_id=inst.id, client_secret=secret,
                registration_token=reg, metadata=orjson.dumps(meta).decode(),
                created_at=time.time()))
        return {**describe(Client(client_id, inst.id, secret, reg, meta)),
                "registration_access_token": reg}

    def registered(self, inst: Instance, client_id: str, authorization: str) -> Client:
        """The client whose registration token is the bearer of ``authorization`` (what
        ``GET``/``DELETE /auth/register/:client_id`` need), or BadRegistrationToken."""
        client = self.get(inst, client_id)
        given = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        if client is None or not secrets.compare_digest(given, client.registration_token):
            raise BadRegistrationToken("invalid registration token")
        return client

    def get(self, inst: Instance, client_id: str) -> Client | None:
        with self.db.read() as conn:
            r = conn.execute(sa.select(oauth_clients).where(
                oauth_clients.c.client_id == client_id,
                oauth_clients.c.instance_id == inst.id)).first()
        return _row_to_client(r) if r else None

    def clients(self, inst: Instance) -> list[Client]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(oauth_clients).where(
                oauth_clients.c.instance_id == inst.id)).all()
        return [_row_to_client(r) for r in rows]

    def delete(self, inst: Instance, client_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(sa.delete(oauth_clients).where(oauth_clients.c.client_id == client_id,
                                                        oauth_clients.c.instance_id == inst.id))
            conn.execute(sa.delete(access_codes).where(access_codes.c.client_id == client_id))
        self.on_change()

    def delete_instance(self, conn, instance_id: int) -> None:
        """Part of deleting an instance (in its transaction)."""
        for table in (oauth_clients, access_codes):
            conn.execute(sa.delete(table).where(table.c.instance_id == instance_id))

    def check_authorize(self, inst: Instance, client_id: str | None, redirect_uri: str | None,
                        scope: str | None, response_type: str | None) -> Client:
        problems = []
        client = self.get(inst, client_id) if client_id else None
        if client is None:
            problems.append("client_id is unknown: register the client first (/auth/register)")
        elif redirect_uri not in client.metadata.get("redirect_uris", []):
            problems.append("redirect_uri is not one of the client's registered redirect_uris")
        if response_type != "code":
            problems.append("response_type must be code")
        if not scope:
            problems.append("scope is required (space-separated permission rules)")
        else:
            try:
                parse_scope(scope)
            except BadRequest as exc:
                problems.append(exc.reason)
        if problems:
            raise OAuthError("; ".join(problems))
        return client  # type: ignore[return-value]

    def grant(self, inst: Instance, client: Client, scope: str,
              challenge: str | None) -> str:
        code = secrets.token_urlsafe(24)
        with self.db.write() as conn:
            conn.execute(sa.insert(access_codes).values(
                code=code, client_id=client.client_id, instance_id=inst.id, scope=scope,
                challenge=challenge, created_at=time.time()))
        return code

    def exchange(self, inst: Instance, form: dict[str, str], access_ttl: int) -> dict:
        grant = form.get("grant_type")
        client = self.get(inst, form.get("client_id", ""))
        if client is None:
            raise OAuthError("the client must be registered")
        if not secrets.compare_digest(form.get("client_secret", ""), client.client_secret):
            raise OAuthError("invalid client_secret")
        if grant == "authorization_code":
            with self.db.write() as conn:
                row = conn.execute(sa.select(access_codes).where(
                    access_codes.c.code == form.get("code", ""),
                    access_codes.c.client_id == client.client_id)).first()
                conn.execute(sa.delete(access_codes).where(
                    access_codes.c.code == form.get("code", "")))
            if row is None or time.time() - row.created_at > CODE_TTL_S:
                raise OAuthError("invalid code")
            if row.challenge and not _pkce_ok(form.get("code_verifier", ""), row.challenge):
                raise OAuthError("invalid code_verifier")
            scope = row.scope
        elif grant == "refresh_token":
            try:
                claims = tokens.verify(form.get("refresh_token", ""), inst.secret,
                                       {"refresh": None})
            except StackError:
                raise OAuthError("invalid refresh token") from None
            if claims.aud != "refresh" or claims.sub != client.client_id:
                raise OAuthError("invalid refresh token")
            scope = claims.scope
        else:
            raise OAuthError("grant_type must be authorization_code or refresh_token")
        access = tokens.issue(inst.secret, aud="access", instance=inst.name,
                              sub=client.client_id, scope=scope)
        refresh = tokens.issue(inst.secret, aud="refresh", instance=inst.name,
                               sub=client.client_id, scope=scope)
        return {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                "scope": scope, "expires_in": access_ttl}


def describe(client: Client) -> dict:
    """A client as the stack shows it after registration (without its registration
    token, which only the registration answer carries)."""
    return {**client.metadata, "client_id": client.client_id,
            "client_secret": client.client_secret, "client_secret_expires_at": 0,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"]}


def _pkce_ok(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode()).digest()
    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return secrets.compare_digest(computed, challenge)
