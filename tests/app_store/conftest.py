"""Builders for submissions: a valid app, and archives with any entry we want."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
from collections.abc import Callable

import orjson
import pytest

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
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
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


@pytest.fixture
def valid_app() -> dict[str, bytes]:
    return app_files()


def bearer(client, who: str) -> dict:
    """The Authorization header of ``client.tokens[who]``."""
    return {"Authorization": f"Bearer {client.tokens[who]}"}


def wait_settled(client, sub_id: int, who: str, timeout: float = 180,
                 every: float = 0.1) -> dict:
    """Poll a submission until it is final or awaiting review; its JSON."""
    from app_store import pipeline

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.get(f"/api/submissions/{sub_id}", headers=bearer(client, who)).json()
        if info["state"] in (*pipeline.FINAL, pipeline.AWAITING):
            return info
        time.sleep(every)
    raise AssertionError(f"submission {sub_id} still {info['state']} after {timeout} s")
