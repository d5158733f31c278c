"""Forms that change state must come from the site's own pages (no cross-site requests).

Browsers say where a request comes from (``Origin``, ``Sec-Fetch-Site``): a state-changing
request from another site, or from an app's page on its own sub-domain, is refused before any
route runs, so no route can forget the check. Clients that are not browsers send neither
header and pass (they authenticate with bearer tokens, which a hostile page cannot send).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

SAFE = {"GET", "HEAD", "OPTIONS"}


def same_origin(headers: dict[str, str], scheme: str) -> bool:
    origin = headers.get("origin")
    site = headers.get("sec-fetch-site")
    own = f"{scheme}://{headers.get('host', '')}"
    return (origin is None or origin == own) and site in (None, "same-origin", "none")


class SameOriginForms:
    """Refuse unsafe methods on ``paths`` (a predicate on the path) from another origin."""

    def __init__(self, app: ASGIApp, paths: Callable[[str], bool],
                 refuse: Callable[[Scope, Receive, Send], object]):
        self.app = app
        self.paths = paths
        self.refuse = refuse    # an ASGI callable answering the refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE and self.paths(scope["path"]):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            if not same_origin(headers, scope.get("scheme", "http")):
                return await self.refuse(scope, receive, send)
        await self.app(scope, receive, send)
