"""The sandbox as a real HTTP server on 127.0.0.1, for clients that are not Python (Node, browsers).

``LiveServer(settings).start()`` runs uvicorn in a background thread on a free port, waits until
``GET /status/`` answers 200 and exposes ``url`` (``http://127.0.0.1:PORT``) and ``sandbox`` (the
app's :class:`sandbox.service.Sandbox`, to create instances and mint tokens in-process).
``stop()`` asks uvicorn to exit, joins the thread and closes the sandbox. It is also a context
manager, and :func:`live_server` is a ready-made fixture body::

    @pytest.fixture(scope="module")
    def server(tmp_path_factory):
        url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'sandbox.db'}"
        yield from live_server(Settings(database_url=url))

The Node side of those tests lives in ``tests/sandbox/js``; :func:`js_packages` installs its
``node_modules`` from the committed ``package-lock.json`` (``npm ci``) when it is missing or older
than the lock, under a file lock so that pytest-xdist workers do not install twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from sandbox.service import Sandbox
from sandbox.settings import Settings
from sandbox.web.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0, thread: threading.Thread | None = None) -> None:
    """Poll ``url`` until it answers 200; raise if ``thread`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if thread is not None and not thread.is_alive():
            raise RuntimeError(f"the server thread exited before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s (last error: {last})")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # uvicorn < 0.29 installs them in any thread
        pass


class LiveServer:
    def __init__(self, settings: Settings, port: int | None = None):
        self.settings = settings
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.app = create_app(settings)
        self.url = f"http://{self.host}:{self.port}"
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def sandbox(self) -> Sandbox:
        return self.app.state.sandbox

    def _run(self) -> None:
        try:
            assert self._server is not None
            asyncio.run(self._server.serve())
        except BaseException as exc:  # reported by start()/stop()
            self._error = exc

    def start(self, timeout: float = 30.0) -> LiveServer:
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning",
                                lifespan="on", access_log=False)
        self._server = _Server(config)
        self._thread = threading.Thread(target=self._run, name=f"sandbox-{self.port}",
                                        daemon=True)
        self._thread.start()
        try:
            wait_http(f"{self.url}/status/", timeout, self._thread)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}; server error: {self._error!r}") from self._error
        return self

    def stop(self, timeout: float = 15.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
            self._thread = None
        self._server = None
        # The lifespan's shutdown already closed the sandbox; closing again is harmless and
        # covers a server that failed before its lifespan ran.
        with contextlib.suppress(Exception):
            self.sandbox.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def live_server(settings: Settings) -> Iterator[LiveServer]:
    """Generator body for a pytest fixture: ``yield from live_server(settings)``."""
    server = LiveServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


# ---- Node packages for the JS conformance tests --------------------------------------------

JS_DIR = Path(__file__).resolve().parent.parent / "sandbox" / "js"
NPM_FLAGS = ["--legacy-peer-deps", "--no-audit", "--no-fund", "--ignore-scripts"]


class JsSetupError(RuntimeError):
    """Node or npm is missing, too old, or the install failed (the message says which)."""


def _node_major() -> int:
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30)
    return int(out.stdout.strip().lstrip("v").split(".")[0])


def _installed(js_dir: Path) -> bool:
    marker = js_dir / "node_modules" / ".package-lock.json"  # written by npm at the end
    lock = js_dir / "package-lock.json"
    return marker.exists() and (not lock.exists() or marker.stat().st_mtime >= lock.stat().st_mtime)


def js_packages(js_dir: Path = JS_DIR, timeout: float = 900) -> Path:
    """Make sure ``js_dir/node_modules`` matches the lock; return ``js_dir``.

    Runs ``npm ci`` (or ``npm install`` when there is no lock yet) with the flags of the
    directory's ``.npmrc`` repeated on the command line. Raises :class:`JsSetupError`.
    """
    if not (shutil.which("node") and shutil.which("npm")):
        raise JsSetupError("node and npm are not on PATH (Node >= 18 is needed)")
    if _node_major() < 18:
        raise JsSetupError("Node >= 18 is needed (the clients use the global fetch)")
    if _installed(js_dir):
        return js_dir
    key = hashlib.sha1(str(js_dir).encode(), usedforsecurity=False).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"selfdata-npm-{key}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(js_dir):  # another worker did it while we waited
            return js_dir
        verb = "ci" if (js_dir / "package-lock.json").exists() else "install"
        started = time.monotonic()
        env = {**os.environ, "npm_config_update_notifier": "false"}
        try:
            done = subprocess.run(["npm", verb, *NPM_FLAGS], cwd=js_dir, capture_output=True,
                                  text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise JsSetupError(f"npm {verb} in {js_dir} took more than {timeout}s") from None
        if done.returncode != 0:
            raise JsSetupError(f"npm {verb} in {js_dir} failed ({done.returncode}):\n"
                               f"{done.stderr[-3000:]}")
        if not _installed(js_dir):
            raise JsSetupError(f"npm {verb} in {js_dir} left no node_modules/.package-lock.json")
        print(f"npm {verb} in {js_dir}: {time.monotonic() - started:.0f}s")
    return js_dir
