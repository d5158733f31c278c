"""Refused data requests go in the journal too (verb ``DENIED``): testers and the store's
smoke run see what an app tried beyond its permissions. A middleware, not the error handler:
rendering an error writes nothing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/data/"


class JournalRefusals:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            return await self.app(scope, receive, send)

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 403:
                self._record(scope)
            await send(message)

        await self.app(scope, receive, watch)

    @staticmethod
    def _record(scope: Scope) -> None:
        who = scope.get("state", {}).get("caller")
        doctype = scope["path"][len(PREFIX):].split("/", 1)[0][:128]
        if who is None or not doctype:
            return
        sb = scope["app"].state.sandbox
        sb.journal.record(who.instance.id, who.client, who.kind, doctype, "DENIED",
                          f"{scope['method']} {scope['path']}"[:64], 0)
