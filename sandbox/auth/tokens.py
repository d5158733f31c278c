"""JWT tokens bound to one instance: HS512 with the instance's own key.

Validity follows the stack: computed from ``iat`` per audience (app 24 h, cli 30 min, OAuth access
7 days; refresh, registration and share codes never expire: a share lives as long as its
permission document), or from ``exp`` when the token carries one
(``selfdata token --ttl``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from sandbox.errors import ExpiredToken, InvalidToken

AUDIENCES = ("app", "cli", "access", "refresh", "registration", "share")


@dataclass(frozen=True)
class Claims:
    aud: str
    iss: str          # instance name
    sub: str          # app slug, OAuth client id or "cli"
    iat: int
    scope: str = ""
    exp: int | None = None


def issue(secret: str, *, aud: str, instance: str, sub: str, scope: str = "",
          ttl: int | None = None, now: float | None = None) -> str:
    iat = int(now if now is not None else time.time())
    payload: dict = {"aud": aud, "iss": instance, "sub": sub, "iat": iat}
    if scope:
        payload["scope"] = scope
    if ttl is not None:
        payload["exp"] = iat + int(ttl)
    return jwt.encode(payload, secret, algorithm="HS512")


def unverified_issuer(token: str) -> str:
    try:
        data = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidToken() from None
    iss = data.get("iss")
    if not isinstance(iss, str):
        raise InvalidToken()
    return iss


def verify(token: str, secret: str, ttl_by_audience: dict[str, int | None],
           now: float | None = None) -> Claims:
    try:
        data = jwt.decode(token, secret, algorithms=["HS512"],
                          options={"verify_aud": False, "verify_exp": False,
                                   "verify_iat": False})
    except jwt.PyJWTError:
        raise InvalidToken() from None
    aud = data.get("aud")
    if isinstance(aud, list):
        aud = aud[0] if len(aud) == 1 else None
    if aud not in AUDIENCES:
        raise InvalidToken(f"Unrecognized token audience {aud}")
    try:
        claims = Claims(aud=aud, iss=str(data["iss"]), sub=str(data.get("sub", "")),
                        iat=int(data["iat"]), scope=str(data.get("scope", "")),
                        exp=int(data["exp"]) if "exp" in data else None)
    except (KeyError, TypeError, ValueError):
        raise InvalidToken() from None
    t = now if now is not None else time.time()
    if claims.exp is not None:
        if t > claims.exp:
            raise ExpiredToken()
    else:
        ttl = ttl_by_audience.get(aud)
        if ttl is not None and t > claims.iat + ttl:
            raise ExpiredToken()
    return claims
