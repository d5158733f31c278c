"""Document ids and revisions in CouchDB's shapes."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading

_lock = threading.Lock()
_prefix = secrets.token_hex(13)
_counter = itertools.count(int.from_bytes(secrets.token_bytes(2), "big"))


def new_id() -> str:
    """32 lowercase hex characters, increasing within a process (CouchDB's 'sequential' uuids),
    which keeps inserts at the right end of the id index."""
    global _prefix, _counter
    with _lock:
        n = next(_counter)
        if n >= 16**6:
            _prefix = secrets.token_hex(13)
            _counter = itertools.count(1)
            n = 0
        return f"{_prefix}{n:06x}"


def next_rev(previous: str | None, body: bytes) -> str:
    gen = int(previous.split("-", 1)[0]) + 1 if previous else 1
    digest = hashlib.md5((previous or "").encode() + body, usedforsecurity=False).hexdigest()
    return f"{gen}-{digest}"


def valid_rev(rev: object) -> bool:
    if not isinstance(rev, str) or "-" not in rev:
        return False
    gen, _, h = rev.partition("-")
    return gen.isdigit() and len(h) == 32 and all(c in "0123456789abcdef" for c in h)
