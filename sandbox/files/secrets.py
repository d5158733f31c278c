"""Short-lived secrets of the files API, kept in memory: the metadata an upload names
(``POST /files/upload/metadata``, 10 minutes) and download links that need no token
(``POST /files/downloads``, an hour)."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from sandbox.errors import InvalidParameter, NoSuchFile, QuotaExceeded
from sandbox.instances import Instance

METADATA_TTL_S = 600
DOWNLOAD_TTL_S = 3600
MAX_SECRETS = 10_000


class Secrets:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._metadata: dict[str, tuple[int, float, Any]] = {}
        self._downloads: dict[str, tuple[int, float, Any]] = {}

    def _keep(self, table: dict, inst: Instance, ttl: float, value: Any) -> str:
        now = time.monotonic()
        with self._guard:
            for key in [k for k, (_, exp, _) in table.items() if exp < now]:
                del table[key]
            if len(table) >= MAX_SECRETS:
                raise QuotaExceeded("Too many pending secrets: use them or wait a few minutes")
            secret = secrets.token_urlsafe(24)
            table[secret] = (inst.id, now + ttl, value)
        return secret

    def _secret(self, table: dict, secret: str) -> tuple[int, Any] | None:
        with self._guard:
            hit = table.get(secret)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0], hit[2]

    def keep_metadata(self, inst: Instance, metadata: dict) -> str:
        """``POST /files/upload/metadata``: metadata that an upload names by its secret."""
        return self._keep(self._metadata, inst, METADATA_TTL_S, metadata)

    def metadata(self, inst: Instance, secret: str) -> dict:
        hit = self._secret(self._metadata, secret)
        if hit is None or hit[0] != inst.id:
            raise InvalidParameter("MetadataID", "Invalid or expired MetadataID")
        return dict(hit[1])

    def keep_download(self, inst: Instance, file_id: str) -> str:
        """``POST /files/downloads``: a link that downloads the file without a token (for a
        browser's plain navigation), valid for an hour."""
        return self._keep(self._downloads, inst, DOWNLOAD_TTL_S, file_id)

    def download_of(self, secret: str) -> tuple[int, str]:
        """(instance id, file id) of a download link, or 404."""
        hit = self._secret(self._downloads, secret)
        if hit is None:
            raise NoSuchFile("Wrong or expired download link: ask for a new one")
        return hit
