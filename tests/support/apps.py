"""Builders for app archives: a valid manifest and files, and archives with any entry."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from collections.abc import Callable

import orjson

ICON = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" ' \
       b'height="10"/></svg>'


def manifest(**over) -> dict:
    m = {
        "name": "My calls", "slug": "my-calls", "version": "1.0.0", "editor": "Team Blue",
        "license": "MIT", "icon": "icon.svg",
        "short_description": "Time on the phone per contact and per hour.",
        "long_description": "Reads your Orange call log and shows who you call, when, and how "
                            "long, over the whole year.",
        "runtime": {"type": "static", "index": "index.html"},
        "permissions": {"calls": {"type": "fr.orange.phonecommunicationlog", "verbs": ["GET"],
                                  "description": "Read your calls to count time per contact"}},
    }
    m.update(over)
    return m


def app_files(m: dict | None = None, **extra: bytes) -> dict[str, bytes]:
    files = {"manifest.webapp": orjson.dumps(m if m is not None else manifest()),
             "index.html": b"<!doctype html><script src='app.js'></script>",
             "app.js": b"fetch('/data/fr.orange.phonecommunicationlog/_normal_docs')",
             "icon.svg": ICON}
    files.update(extra)
    return files


def tar_gz(files: dict[str, bytes], tweak: Callable[[tarfile.TarFile], None] | None = None
           ) -> bytes:
    """The files as a .tar.gz, the same bytes for the same files (the gzip header's time is
    fixed: tests compare an archive made again with the one a store kept)."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if tweak:
            tweak(tar)
    return buf.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


SERVER = b'''import os, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import httpx
API, TOKEN = os.environ["COZY_URL"], os.environ["COZY_TOKEN"]
def get(path):
    return httpx.get(API + path, headers={"Authorization": "Bearer " + TOKEN})
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b"ok"
        else:
            calls = get("/data/fr.orange.phonecommunicationlog/_all_docs?limit=5").json()
            refused = get("/data/fr.orange.geopoint/_all_docs?limit=1").status_code
            body = f"{len(calls['rows'])} calls; geopoint {refused}".encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
'''

PY_RUNTIME = {"type": "python", "command": ["python3", "server.py"],
              "requirements": "requirements.txt", "health": "/health"}


def python_app(slug: str, server: bytes = SERVER, version: str = "1.0.0",
               requirements: bytes = b"httpx==0.28.1\n") -> bytes:
    """A python app that reads calls (allowed) and positions (refused) on its page."""
    m = manifest(slug=slug, version=version, runtime=PY_RUNTIME)
    return tar_gz(app_files(m, **{"server.py": server, "requirements.txt": requirements}))
