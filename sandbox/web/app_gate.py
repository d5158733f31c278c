"""What an app container may reach of the sandbox: its own instance's data API, nothing else.

The container's requests arrive over its ``api.sock`` bridge. The gate answers 403 to any path
outside the data API (no pages, no OAuth, no installs, no other app's address) and replaces the
Host header with the app's own instance, so a token of any other instance is refused too.
"""

from __future__ import annotations

import orjson

ALLOWED = ("/data/", "/permissions/self", "/journal/", "/status")
DROPPED = {b"host", b"cookie", b"origin", b"forwarded", b"x-forwarded-host",
           b"x-forwarded-for"}


class ApiGate:
    def __init__(self, app, instance_host: str):
        self.app = app
        self.host = instance_host.encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path = scope.get("path", "")
        if not path.startswith(ALLOWED) or ".." in path:
            body = orjson.dumps({"error": "an app reaches only its own personal cloud's data "
                                          "API (/data/...)"})
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in DROPPED]
        headers.append((b"host", self.host))
        await self.app(dict(scope, headers=headers, client=("app", 0)), receive, send)
