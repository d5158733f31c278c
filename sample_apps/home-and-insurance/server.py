"""Home and insurance's web server: standard library only, on 127.0.0.1:$PORT.

GET /health        200 as soon as the server listens
GET /              the page (inline SVG, no external assets)
GET /api/summary   the same analysis as JSON
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import analysis
import page
from cozy import Cozy, CozyError

BILLS = "io.cozy.bills"
CONTRACTS = "fr.maif.maifuser.contrat"
HOMES = "fr.maif.maifuser.home"
CLAIMS = "fr.maif.maifuser.sinistre"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
DAILY_ENERGY = "fr.enedis.api.meteringdata.energy"
CACHE_S = 300.0  # re-read the cloud at most every 5 minutes
_lock = threading.Lock()
_cache: dict = {"at": 0.0, "summary": None}


def read(cozy: Cozy) -> dict:
    """The household's documents this app reads, and their analysis."""
    water = cozy.find(STATEMENTS, {"statementCategory": "eau"}, index=["statementCategory"])
    return analysis.summarise(cozy.every(BILLS), cozy.every(CONTRACTS), cozy.every(HOMES),
                              cozy.every(CLAIMS), water, cozy.every(DAILY_ENERGY))


def summary(force: bool = False) -> dict:
    with _lock:
        if force or _cache["summary"] is None or time.monotonic() - _cache["at"] > CACHE_S:
            try:
                _cache["summary"] = read(Cozy.from_env())
            except (CozyError, OSError) as exc:
                _cache["summary"] = {"error": f"cannot read your data: {exc}"}
            _cache["at"] = time.monotonic()
        return _cache["summary"]


class Handler(BaseHTTPRequestHandler):
    server_version = "home-and-insurance/1.0"

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

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the platform keeps its own logs


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"home-and-insurance listening on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
