"""Energy coach's web server: the standard library's ThreadingHTTPServer on 127.0.0.1:$PORT.

GET /health        200 as soon as the server listens
GET /              the page (inline SVG charts and tables, no external assets)
GET /api/summary   the same analysis as JSON
POST /selfdata/challenge  the store's challenge hook (docs/challenges.md): the analysis now,
                   its cheapest option written as an advice, then 200
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import analysis
import cozy
import httpx
import page

CACHE_S = 300.0  # re-read the cloud at most every 5 minutes
_lock = threading.Lock()
_cache: dict = {"at": 0.0, "summary": None}


def summary(force: bool = False) -> dict:
    """The analysis of the household's documents, cached (one computation at a time)."""
    with _lock:
        if force or _cache["summary"] is None or time.monotonic() - _cache["at"] > CACHE_S:
            try:
                d = cozy.household_documents()
                _cache["summary"] = analysis.summarise(d["loadcurve"], d["gas"], d["home"],
                                                       d["usage_point"])
            except (cozy.CozyError, httpx.HTTPError) as exc:
                _cache["summary"] = {"error": f"cannot read your data: {exc}"}
            _cache["at"] = time.monotonic()
        return _cache["summary"]


class Handler(BaseHTTPRequestHandler):
    server_version = "energy-coach/1.0"

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        force = "refresh" in url.query
        if url.path == "/health":
            self._send(200, b"ok", "text/plain; charset=utf-8")
        elif url.path == "/":
            self._send(200, page.render(summary(force)).encode(), "text/html; charset=utf-8")
        elif url.path == "/api/summary":
            data = summary(force)
            self._send(502 if "error" in data else 200, json.dumps(data).encode(),
                       "application/json")
        else:
            self._send(404, b"not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/selfdata/challenge":
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = summary(force=True)
        costs = data.get("tariffs") or {}
        if "error" in data or "cheapest" not in costs:
            self._send(502, json.dumps({"error": data.get("error", "no load curve")}).encode(),
                       "application/json")
            return
        advice = {"option": costs["cheapest"],
                  "annual_cost_eur": costs[costs["cheapest"]]["total_eur"]}
        try:
            cozy.create(cozy.FINDINGS, advice)
        except (cozy.CozyError, httpx.HTTPError) as exc:
            self._send(502, json.dumps({"error": str(exc)}).encode(), "application/json")
            return
        self._send(200, json.dumps(advice).encode(), "application/json")

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the platform keeps its own logs


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"energy-coach listening on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
