"""Leak watch's web server: standard library only, on 127.0.0.1:$PORT.

GET /health        200 as soon as the server listens
GET /              the page (inline SVG, no external assets)
GET /api/findings  the same summary as JSON
POST /selfdata/challenge  the store's challenge hook: run the analysis now, store the findings,
                   answer once they are written (docs/challenges.md)

A thread follows the water readings as they arrive (follow.py) and notifies new leaks.
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import follow
import page
import watch
from cozy import Cozy, CozyError

CACHE_S = 300.0  # re-read the cloud at most every 5 minutes
_lock = threading.Lock()
_cache: dict = {"at": 0.0, "summary": None}


def summary(force: bool = False) -> dict:
    """The last run's summary, refreshed when older than CACHE_S (one run at a time)."""
    with _lock:
        if force or _cache["summary"] is None or time.monotonic() - _cache["at"] > CACHE_S:
            try:
                _cache["summary"] = watch.run(Cozy.from_env())
            except (CozyError, OSError) as exc:
                empty = watch.summarise([], [], 0, 0)
                _cache["summary"] = {**empty, "error": str(exc)}
            _cache["at"] = time.monotonic()
        return _cache["summary"]


class Handler(BaseHTTPRequestHandler):
    server_version = "leak-watch/1.0"

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/health":
            self._send(200, b"ok", "text/plain; charset=utf-8")
        elif url.path == "/":
            html = page.render(summary(force="refresh" in url.query))
            self._send(200, html.encode(), "text/html; charset=utf-8")
        elif url.path == "/api/findings":
            data = summary(force="refresh" in url.query)
            self._send(502 if "error" in data else 200, json.dumps(data).encode(),
                       "application/json")
        else:
            self._send(404, b"not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/selfdata/challenge":
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))  # what to produce: known
        data = summary(force=True)
        if "error" in data:
            self._send(502, json.dumps({"error": data["error"]}).encode(), "application/json")
        else:
            self._send(200, json.dumps({"findings": len(data["findings"])}).encode(),
                       "application/json")

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the platform keeps its own logs


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"leak-watch listening on port {port}", flush=True)
    if os.environ.get("COZY_URL"):
        every = float(os.environ.get("LEAK_WATCH_POLL_S", "5"))
        threading.Thread(target=follow.follow, args=(Cozy.from_env(), every, threading.Event()),
                         name="follow", daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
