"""The files the stack serves under ``/assets`` and their addresses, as cozy-stack names them.

Only the names listed here are served: the npm files (from the packages ``install`` put in the
assets folder, each checked against the sha256 pinned below, which are cozy-stack's own pins in
its ``assets/.externals``) and the built-in ones (``builtin``). A page names an asset with its
sum, ``//<domain>/assets/js/cozy-client.<10 hex>.min.js`` (``NameWithSum`` in cozy-stack);
a request may carry a sum or not, and gets long caching only with one. A missing npm file
(set-up not run) is logged once with what to run, and its address is written without a sum,
as the stack does for an asset it cannot find.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import posixpath
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from sandbox.serving import builtin

log = logging.getLogger("sandbox.serving")
SUM_LEN = 10
SETUP_HINT = "run `make install` (or `selfdata sandbox assets`) to install them from npm"


@dataclass(frozen=True)
class NpmFile:
    name: str        # under /assets
    package: str     # npm package, at the version of package-lock.json
    path: str        # inside the package
    sha256: str


NPM_FILES = (
    NpmFile("/js/cozy-client.min.js", "cozy-client-js", "dist/cozy-client.min.js",
            "605c649bc32f64499eaf6f21805397373ebb48888e4147437c67e612f27372dd"),
    NpmFile("/js/cozy-client.min.js.map", "cozy-client-js", "dist/cozy-client.min.js.map",
            "290d9610010534cdc8454424825b29913303579b6ab63181100f84713439c0a5"),
    NpmFile("/js/cozy-bar.min.js", "cozy-bar", "dist/cozy-bar.min.js",
            "f9a40b2bd6f64e8e24ce2b9c7ea14f45ea86cc404d8305b3f6619b074c4ea0d8"),
    NpmFile("/css/cozy-bar.min.css", "cozy-bar", "dist/cozy-bar.min.css",
            "2892f2052cbe2019b931d9669070b36c7fead375f4915213e68da8b201f55b25"),
    NpmFile("/fonts/InterVariable.woff2", "@fontsource-variable/inter",
            "files/inter-latin-wght-normal.woff2",
            "3100e775e8616cd2611beecfa23a4263d7037586789b43f035236a2e6fbd4c62"),
)
TYPES = {".js": "application/javascript", ".css": "text/css; charset=utf-8",
         ".map": "application/json", ".woff2": "font/woff2", ".svg": "image/svg+xml",
         ".ico": "image/x-icon", ".png": "image/png",
         ".webmanifest": "application/manifest+json"}
COMPRESSIBLE = (".js", ".css", ".map", ".svg", ".webmanifest")
_HEX_ID = re.compile(r"^(?:[0-9a-fA-F]{10,}|immutable)\Z")


@dataclass(frozen=True)
class Asset:
    name: str
    data: bytes
    sha256: str

    @property
    def sum(self) -> str:
        return self.sha256[:SUM_LEN]

    @property
    def content_type(self) -> str:
        ext = posixpath.splitext(self.name)[1]
        return TYPES.get(ext) or mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    @property
    def etag(self) -> str:
        return f'"{self.sha256[:32]}"'


def name_with_sum(name: str, digest: str) -> str:
    """``/js/cozy-bar.min.js`` → ``/js/cozy-bar.<sum>.min.js`` (after the first dot)."""
    head, base = posixpath.split(name)
    if "." not in base:
        return name
    stem, rest = base.split(".", 1)
    return posixpath.join(head or "/", f"{stem}.{digest[:SUM_LEN]}.{rest}")


def extract_asset_id(name: str) -> tuple[str, str]:
    """The name without its ``.<10+ hex>.`` (or ``.immutable.``) segment, and that segment."""
    head, base = posixpath.split(name)
    parts = base.split(".")
    if len(parts) >= 3 and _HEX_ID.match(parts[1]):
        return posixpath.join(head, ".".join([parts[0], *parts[2:]])), parts[1]
    return name, ""


class StackAssets:
    """The assets of one sandbox: npm files read (and checked) from ``directory`` on first
    use, built-in ones from memory."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._loaded: dict[str, Asset | None] = {}
        self._gzipped: dict[str, bytes] = {}
        self._warned = False
        self._builtin = {n: Asset(n, d, hashlib.sha256(d).hexdigest())
                         for n, d in builtin.files().items()}
        self._npm = {f.name: f for f in NPM_FILES}

    def names(self) -> list[str]:
        return sorted({*self._builtin, *self._npm})

    def get(self, name: str) -> Asset | None:
        """The asset of that name (no sum in it), or None when unknown or not installed."""
        if name in self._builtin:
            return self._builtin[name]
        spec = self._npm.get(name)
        if spec is None:
            return None
        with self._lock:
            if self._loaded.get(name) is None:  # a missing file is looked for again
                self._loaded[name] = self._read(spec)
            return self._loaded[name]

    def _read(self, spec: NpmFile) -> Asset | None:
        path = self.directory / "node_modules" / spec.package / spec.path
        try:
            data = path.read_bytes()
        except OSError:
            self._warn(f"{spec.name} is missing ({path}): the stack's assets are not "
                       f"installed; {SETUP_HINT}")
            return None
        digest = hashlib.sha256(data).hexdigest()
        if digest != spec.sha256:
            self._warn(f"{spec.name} ({path}) is not the pinned file (sha256 {digest}, "
                       f"expected {spec.sha256}); {SETUP_HINT}")
            return None
        return Asset(spec.name, data, digest)

    def _warn(self, message: str) -> None:
        if not self._warned:
            log.warning(message)
            self._warned = True

    def missing(self) -> list[str]:
        """The npm files that cannot be served (not installed, or not the pinned ones)."""
        return [n for n in self._npm if self.get(n) is None]

    def gzipped(self, asset: Asset) -> bytes | None:
        """The asset gzip-compressed (computed once), for types worth it."""
        if not asset.name.endswith(COMPRESSIBLE):
            return None
        with self._lock:
            if asset.name not in self._gzipped:
                self._gzipped[asset.name] = gzip.compress(asset.data, 6, mtime=0)
            return self._gzipped[asset.name]

    def url(self, domain: str, name: str) -> str:
        """``//<domain>/assets<name with its sum>``; without the sum when the asset is not
        there (the stack's ``AssetPath``)."""
        asset = self.get(name)
        return f"//{domain}/assets" + (name_with_sum(name, asset.sha256) if asset else name)
