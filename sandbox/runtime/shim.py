"""The shim inside every app container (stdlib only: it is copied into the base image).

The container has no network. Two unix sockets in a bind-mounted directory cross its boundary:
``api.sock`` (the host forwards it to the tester's sandbox) and ``app.sock`` (the host connects
to it to reach the app). The shim makes them look like ordinary TCP inside the container:
``127.0.0.1:8080`` → ``api.sock`` and ``app.sock`` → ``127.0.0.1:$PORT``. Then it runs the app
(``run -- CMD...``) or serves static files itself (``static DIR INDEX``); the sandbox fills the
index page's template variables on the way out, as the stack does.

The same file runs on the host in ``selfdata dev`` (with no sockets, only ``static``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import mimetypes
import os
import posixpath
import signal
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

SOCK_DIR = os.environ.get("SELFDATA_SOCK_DIR", "/run/selfdata")
API_PORT = 8080


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()


async def _forward(connect, reader, writer) -> None:
    try:
        up_r, up_w = await connect()
    except OSError:
        writer.close()
        return
    await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))


async def _bridges(app_port: int) -> None:
    api_sock = os.path.join(SOCK_DIR, "api.sock")
    app_sock = os.path.join(SOCK_DIR, "app.sock")
    servers = []
    if os.path.exists(api_sock):
        servers.append(await asyncio.start_server(
            functools.partial(_forward, functools.partial(asyncio.open_unix_connection,
                                                          api_sock)),
            "127.0.0.1", API_PORT))
    if os.path.isdir(SOCK_DIR) and os.access(SOCK_DIR, os.W_OK):
        if os.path.exists(app_sock):
            os.unlink(app_sock)
        srv = await asyncio.start_unix_server(
            functools.partial(_forward, functools.partial(asyncio.open_connection, "127.0.0.1",
                                                          app_port)), app_sock)
        os.chmod(app_sock, 0o666)
        servers.append(srv)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def start_bridges(app_port: int) -> None:
    t = threading.Thread(target=lambda: asyncio.run(_bridges(app_port)), daemon=True)
    t.start()


class StaticHandler(SimpleHTTPRequestHandler):
    """The app's files as they are; ``/`` is the index page. The sandbox fills the index's
    template variables on the way out (sandbox/web/app_pages.py), as the stack does."""

    index = "index.html"

    def log_message(self, format, *args):
        sys.stderr.write("static: " + (format % args) + "\n")

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def translate_path(self, path):
        clean = posixpath.normpath(path.split("?", 1)[0].split("#", 1)[0])
        if clean in ("/", "."):
            path = "/" + self.index
        return super().translate_path(path)

    def list_directory(self, path):
        self.send_error(404, "File not found")  # the stack lists no folders
        return None

    def guess_type(self, path):
        return mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def serve_static(directory: str, index: str, port: int) -> None:
    handler = functools.partial(type("H", (StaticHandler,), {"index": index}),
                                directory=directory)
    ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


def run_app(cmd: list[str]) -> int:
    child = subprocess.Popen(cmd)

    def stop(signum, _frame):
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return child.wait()


def main(argv: list[str]) -> int:
    port = int(os.environ.get("PORT", "8000"))
    if argv[:1] == ["static"] and len(argv) == 3:
        start_bridges(port)
        serve_static(argv[1], argv[2], port)
        return 0
    if argv[:2] == ["run", "--"] and len(argv) > 2:
        start_bridges(port)
        return run_app(argv[2:])
    sys.stderr.write("usage: shim.py run -- CMD... | shim.py static DIR INDEX\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
