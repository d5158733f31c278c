"""A local HTTP server for app builds, as a team serves its ``build/`` for cozy-app-publish:
fixed files, plus hostile answers (an endless body, a redirect elsewhere)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

GIB = 1 << 30


class _Handler(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    sent: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.sent.append(self.path)
        if self.path == "/huge.tar.gz":           # announces and streams 1 GiB of zeros
            self.send_response(200)
            self.send_header("Content-Length", str(GIB))
            self.end_headers()
            block = bytes(1 << 20)
            try:
                for _ in range(GIB // len(block)):
                    self.wfile.write(block)
            except (BrokenPipeError, ConnectionResetError):
                return                             # the store stopped reading: as it should
            return
        if self.path == "/elsewhere.tar.gz":
            self.send_response(302)
            self.send_header("Location", "http://192.0.2.1/app.tar.gz")
            self.end_headers()
            return
        data = self.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def build_server(files: dict[str, bytes]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``files`` (path -> bytes) on 127.0.0.1; yield its URL and the paths asked."""
    handler = type("Handler", (_Handler,), {"files": dict(files), "sent": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.sent
    finally:
        server.shutdown()
        server.server_close()
