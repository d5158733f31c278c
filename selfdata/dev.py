"""``selfdata dev``: an app served from disk against a sandbox instance, reloaded on change.

No container: the app runs as a local process with the same environment it gets in the store's
container (``COZY_URL``, ``COZY_TOKEN``, ``COZY_DOMAIN``, ``PORT``) and a token for exactly its
manifest's permissions. It runs *beside* any installed copy of the app, never instead of it: its
address is ``http://dev.<slug>.<instance>.localhost:<port>/``, its install record and token are
its own (``dev.<slug>``, see ``sandbox.apps.dev_installs``), and stopping removes only them. A
static app's index page is filled by the same proxy as after install, with the stack's template
variables and assets. Changes are seen by ``watchfiles`` (inotify); the app restarts, then its
open pages reload (``sandbox.web.dev_reload``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from watchfiles import DefaultFilter, watch

from sandbox.apps.dev_installs import DevClaim, DevHolder, DevTarget
from sandbox.apps.records import InstalledApp
from sandbox.contract import addresses
from sandbox.contract.manifest import FILENAME, InvalidManifest, Manifest, load_manifest
from sandbox.runtime import shim
from sandbox.runtime.runner import app_env
from sandbox.serving.page import PageContext, page_env

WATCHED = (".py", ".html", ".js", ".css", ".json", ".webapp", ".txt", ".svg")


class _Watched(DefaultFilter):
    def __call__(self, change, path: str) -> bool:
        return super().__call__(change, path) and path.endswith(WATCHED)


def _die_with_parent() -> None:
    """In the app's process before it runs: end it with SIGTERM when the session's process
    dies, even by ``kill -9``, so no app outlives its session (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def _bound_port() -> tuple[socket.socket, int]:
    """A port the system chose, held until just before the app starts and binds it itself
    (it cannot take a bound socket; a collision in that instant makes it exit, and the
    session says so)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


class DevSession:
    def __init__(self, sandbox_app, port: int, directory: Path, instance: str, say=print):
        self.app = sandbox_app
        self.sb = sandbox_app.state.sandbox
        self.port = port
        self.dir = directory.resolve()
        self.instance = instance
        self.say = say
        self.proc: subprocess.Popen | None = None
        self.app_port = 0
        self.token = ""                       # the app's token, in COZY_TOKEN
        self.reinstalled = False              # whether the last start installed anew
        self.record: InstalledApp | None = None   # this session's install (dev.<slug>)
        self.stale: list[InstalledApp] = []   # records of dead sessions cleaned at start
        self.target: DevTarget | None = None
        self._changed = threading.Event()
        self._stop_watching = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def manifest(self) -> Manifest:
        path = self.dir / FILENAME
        if not path.is_file():
            raise FileNotFoundError(f"{self.dir} has no {FILENAME}")
        manifest, problems = load_manifest({FILENAME: path.read_bytes()})
        if manifest is None:
            raise InvalidManifest(problems)
        return manifest

    @property
    def key(self) -> str:
        """The install key of this session (``dev.<slug>``)."""
        return addresses.dev_key(self.manifest.slug)

    @property
    def url(self) -> str:
        return f"http://{addresses.app_host(self.key, self.instance, self.port)}/"

    @property
    def cozy_url(self) -> str:
        """Where the app (and a developer's script) reaches the personal cloud."""
        return f"http://127.0.0.1:{self.port}"

    def install(self) -> Manifest:
        """Record the app in the instance with its manifest's permissions, under its dev key
        beside any installed copy (raises ``DevSessionBusy`` when a live session holds it).
        An unchanged manifest keeps the record, so the token printed earlier still works."""
        m = self.manifest
        inst = self.sb.instances.get(self.instance)
        if self.record is not None and self.record.slug != addresses.dev_key(m.slug):
            self.app.state.apps.dev_targets.pop((self.instance, self.record.slug), None)
            self.sb.dev_installs.release(inst, self.record)   # the slug was edited
            self.record = None
        claim: DevClaim = self.sb.dev_installs.claim(inst, m, DevHolder.this_process(self.port))
        self.reinstalled, self.record = claim.reinstalled, claim.app
        self.stale += claim.stale
        return m

    def start(self) -> None:
        m = self.install()
        holder, self.app_port = _bound_port()
        token = self.token = self.sb.app_token(self.instance, self.key)
        domain = addresses.instance_host(self.instance, self.port)
        ctx = PageContext.of(m, domain, token, self.sb.locale_of(self.instance))
        extra = page_env(ctx, self.app.state.stack_assets)
        env = dict(os.environ, **app_env(m, token, domain, port=self.app_port, extra=extra,
                                         cozy_url=self.cozy_url))
        if m.runtime.type == "static":
            cmd = [sys.executable, shim.__file__, "static", str(self.dir), m.runtime.index]
        else:
            cmd = list(m.runtime.command)
            if cmd[0] in ("python3", "python"):
                cmd[0] = sys.executable
        holder.close()  # released just before the app binds it
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env, preexec_fn=_die_with_parent)
        url = f"http://127.0.0.1:{self.app_port}"
        if self.target is None:
            self.target = DevTarget(url)
        self.target.url = url
        self.app.state.apps.dev_targets[(self.instance, self.key)] = self.target
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="dev-watch", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        for _changes in watch(self.dir, watch_filter=_Watched(), stop_event=self._stop_watching,
                              debounce=200, step=20, yield_on_timeout=False):
            self._changed.set()

    def changed(self, timeout: float = 0) -> bool:
        """Whether a watched file changed since the last call (waits up to ``timeout``)."""
        if self._changed.wait(timeout):
            self._changed.clear()
            return True
        return False

    def wait_ready(self, timeout: float = 20) -> bool:
        """Wait until the app accepts connections on its port (False if it exits first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", self.app_port)) == 0:
                    return True
            self._stop_watching.wait(0.05)
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def close(self) -> None:
        """Stop the app and remove this session's record (its token dies with it), and
        nothing else: an installed copy of the app is left as it was."""
        self.stop()
        self._stop_watching.set()
        if self._watcher is not None:
            self._watcher.join(5)
        if self.record is not None:
            self.app.state.apps.dev_targets.pop((self.instance, self.record.slug), None)
            self.sb.dev_installs.release(self.sb.instances.get(self.instance), self.record)
            self.record = None

    def reload(self) -> bool:
        """Restart the app; once it answers, its open pages reload. False if it exits."""
        self.stop()
        self.start()
        ready = self.wait_ready()
        if ready and self.target is not None:
            self.target.changed()
        return ready
