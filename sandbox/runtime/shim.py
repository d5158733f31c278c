"""The shim inside every app container (stdlib only: it is copied into the base image).

The container has no network. Two unix sockets in a bind-mounted directory cross its boundary:
``api.sock`` (the host forwards it to the tester's sandbox) and ``app.sock`` (the host connects
to it to reach the app). The shim makes them look like ordinary TCP inside the container:
``127.0.0.1:8080`` → ``api.sock`` and ``app.sock`` → ``127.0.0.1:$PORT``. Then it runs the app
(``run -- CMD...``) or serves static files itself (``static DIR INDEX``), with Cozy's template
variables filled in the index page.

The same file runs on the host in ``selfdata dev`` (with no sockets, only ``static``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import json
import mimetypes
import os
import posixpath
import signal
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

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


def cozy_values() -> dict:
    slug = os.environ.get("SELFDATA_APP_SLUG", "")
    return {"token": os.environ.get("COZY_TOKEN", ""), "domain": os.environ.get("COZY_DOMAIN", ""),
            "locale": os.environ.get("COZY_LOCALE", "en"),
            "app": {"slug": slug, "name": os.environ.get("SELFDATA_APP_NAME", slug),
                    "editor": os.environ.get("SELFDATA_APP_EDITOR", ""), "prefix": "",
                    "icon": ""},
            "subdomain": "nested", "tracking": False, "isLoggedIn": True, "flags": {},
            "capabilities": {}}


def render_index(text: str, values: dict) -> str:
    """Fill Cozy's template variables (``{{.Token}}`` and friends) as the stack does."""
    attr = html.escape
    subs = {"{{.Token}}": attr(values["token"]), "{{.Domain}}": attr(values["domain"]),
            "{{.Locale}}": attr(values["locale"]), "{{.AppSlug}}": attr(values["app"]["slug"]),
            "{{.AppName}}": attr(values["app"]["name"]),
            "{{.AppEditor}}": attr(values["app"]["editor"]), "{{.AppNamePrefix}}": "",
            "{{.IconPath}}": "", "{{.SubDomain}}": "nested",
            "{{.CozyData}}": attr(json.dumps(values)), "{{.CozyBar}}": "", "{{.CozyFonts}}": "",
            "{{.ThemeCSS}}": "", "{{.Favicon}}": "", "{{.CozyClientJS}}": ""}
    for key, val in subs.items():
        text = text.replace(key, val)
    return text


class StaticHandler(SimpleHTTPRequestHandler):
    index = "index.html"
    values: ClassVar[dict] = {}

    def log_message(self, format, *args):
        sys.stderr.write("static: " + (format % args) + "\n")

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_GET(self):
        path = posixpath.normpath(self.path.split("?", 1)[0].split("#", 1)[0])
        if path in ("/", "/" + self.index, "."):
            with open(os.path.join(self.directory, self.index), encoding="utf-8") as f:
                body = render_index(f.read(), self.values).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def guess_type(self, path):
        return mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def serve_static(directory: str, index: str, port: int) -> None:
    handler = functools.partial(type("H", (StaticHandler,), {"index": index,
                                                              "values": cozy_values()}),
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
