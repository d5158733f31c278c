"""Live reload for ``selfdata dev``: the pages of a dev app (``dev.<slug>.<instance>``) reload
when a file of its folder changes.

Only a dev app's HTML gets a script (``/__selfdata_dev/reload.js``, served on its own origin,
so an app's ``script-src 'self'`` allows it), which listens to server-sent events from
``/__selfdata_dev/events?since=<generation the page was served at>``; the session counts a
generation once the app has restarted, and the page reloads. Store installs never see any of
it: these paths and the script exist only at dev addresses."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from sandbox.apps.dev_installs import DevTarget

PREFIX = "/__selfdata_dev/"
HOLD_S = 15.0   # an event stream ends after this (the browser reconnects), so none outlives
                # the server's shutdown for long
SCRIPT = """(() => {
  const since = new URL(document.currentScript.src).searchParams.get("since") || "0";
  const events = new EventSource("/__selfdata_dev/events?since=" + since);
  events.addEventListener("reload", () => { events.close(); location.reload(); });
})();
"""
BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def inject(response: Response, target: DevTarget) -> Response:
    """The app's answer, with the reload script when it is an HTML page."""
    if response.status_code != 200 or \
            not response.headers.get("content-type", "").startswith("text/html"):
        return response
    tag = f'<script src="{PREFIX}reload.js?since={target.generation}"></script>'.encode()
    body = bytes(response.body)
    if not body:
        return response   # HEAD
    ends = list(BODY_END.finditer(body))
    at = ends[-1].start() if ends else len(body)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(body[:at] + tag + body[at:], status_code=200, headers=headers)


async def endpoint(request: Request, target: DevTarget) -> Response:
    path = request.url.path.removeprefix(PREFIX)
    if path == "reload.js":
        return Response(SCRIPT, media_type="text/javascript",
                        headers={"Cache-Control": "no-store"})
    if path != "events":
        return Response("no such dev route\n", status_code=404, media_type="text/plain")
    try:
        since = int(request.query_params.get("since", "0"))
    except ValueError:
        return Response("since: a whole number\n", status_code=400, media_type="text/plain")

    async def stream():
        yield "retry: 500\n: watching for changes\n\n"
        now = await target.wait_past(since, HOLD_S)
        if now > since:
            yield f"event: reload\ndata: {now}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})
