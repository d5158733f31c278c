"""Budget's web server: standard library only, on 127.0.0.1:$PORT.

GET /health        200 as soon as the server listens
GET /              the page, in French or English (``?lang=``, else Accept-Language)
GET /api/summary   the same analysis as JSON

A doctype the cloud refuses (403: the tester's install lacks that permission) leaves its part
empty and is named in ``denied``; a cloud that refuses the app altogether, or cannot be reached,
gives an ``error`` (502 on the API: the gateway's failure, not the app's).
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import analysis
import cozy
import page

CACHE_S = 300.0  # re-read the cloud at most every 5 minutes
_lock = threading.Lock()
_cache: dict = {"at": 0.0, "summary": None}
READS = {"operations": lambda c: c.all_docs(cozy.OPERATIONS),
         "bills": lambda c: c.all_docs(cozy.BILLS),
         "statements": lambda c: c.find(cozy.STATEMENTS,
                                        {"statementReason": {"$in": cozy.METER_REASONS}},
                                        ["statementReason"]),
         "energy": lambda c: c.all_docs(cozy.ENERGY)}


def read_cloud() -> dict:
    c = cozy.Cozy.from_env()
    docs: dict[str, list[dict]] = {}
    denied = []
    for key, read in READS.items():
        try:
            docs[key] = read(c)
        except cozy.CozyError as exc:
            if exc.status != 403:
                raise
            docs[key], _ = [], denied.append(key)
    if len(denied) == len(READS):
        raise cozy.CozyError(403, "the cloud refuses every read: is the app installed?")
    out = analysis.summarise(docs["operations"], docs["bills"], docs["statements"],
                             docs["energy"])
    out["denied"] = denied
    return out


def summary(force: bool = False) -> dict:
    """The analysis of the household's documents, cached (one computation at a time)."""
    with _lock:
        if force or _cache["summary"] is None or time.monotonic() - _cache["at"] > CACHE_S:
            try:
                _cache["summary"] = read_cloud()
            except (cozy.CozyError, OSError) as exc:
                _cache["summary"] = {"error": f"cannot read your data: {exc}"}
            _cache["at"] = time.monotonic()
        return _cache["summary"]


class Handler(BaseHTTPRequestHandler):
    server_version = "budget/1.0"

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Vary", "Accept-Language")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        force = "refresh" in query
        if url.path == "/health":
            self._send(200, b"ok", "text/plain; charset=utf-8")
        elif url.path == "/":
            lang = page.language((query.get("lang") or [""])[0],
                                 self.headers.get("Accept-Language", ""))
            self._send(200, page.render(summary(force), lang).encode(),
                       "text/html; charset=utf-8")
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
    print(f"budget listening on port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
