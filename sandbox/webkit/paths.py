"""Refuse request paths that hold a control character, before routing.

Starlette's route patterns end in ``$``, which Python's ``re`` also matches just before a final
newline: ``PUT /data/io.cozy.bills/%0A`` would reach ``PUT /data/{doctype}/`` (create a doctype)
instead of being refused as a document id. No route of either app takes a control character, so
such a path gets a 400 that says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MESSAGE = ("the path holds a control character (a newline, tab or the like): no address here "
           "has one; percent-encode it as part of a value or remove it")


class ControlCharacters:
    def __init__(self, app: ASGIApp, render: Callable[[str], bytes]):
        self.app = app
        self.render = render  # message → the JSON body of the 400 answer, in the app's envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not CONTROL.search(scope["path"]):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        body = self.render(MESSAGE)
        await send({"type": "http.response.start", "status": 400, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
