"""``selfdata dev``: an app served from disk against a sandbox instance, reloaded on change.

No container: the app runs as a local process with the same environment it gets in the store's
container (``COZY_URL``, ``COZY_TOKEN``, ``COZY_DOMAIN``, ``PORT``), a token for exactly its
manifest's permissions, and the same address as after install:
``http://<slug>.<instance>.localhost:<port>/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson

from app_store.runtime import shim
from sandbox.storage.tables import apps

WATCHED = {".py", ".html", ".js", ".css", ".json", ".webapp", ".txt", ".svg"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snapshot(directory: Path) -> dict[str, float]:
    out = {}
    for p in directory.rglob("*"):
        if p.is_file() and p.suffix in WATCHED and "__pycache__" not in p.parts:
            out[str(p)] = p.stat().st_mtime
    return out


class DevSession:
    def __init__(self, sandbox_app, port: int, directory: Path, instance: str,
                 say=print):
        self.app = sandbox_app
        self.sb = sandbox_app.state.sandbox
        self.port = port
        self.dir = directory.resolve()
        self.instance = instance
        self.say = say
        self.proc: subprocess.Popen | None = None
        self.app_port = 0
        self._seen: dict[str, float] = {}

    @property
    def manifest(self) -> dict:
        path = self.dir / "manifest.webapp"
        if not path.is_file():
            raise FileNotFoundError(f"{self.dir} has no manifest.webapp")
        return orjson.loads(path.read_bytes())

    @property
    def url(self) -> str:
        return f"http://{self.manifest['slug']}.{self.instance}.localhost:{self.port}/"

    def install(self) -> dict:
        """Record the app in the instance with its manifest's permissions (a dev install)."""
        m = self.manifest
        inst = self.sb.instances.get(self.instance)
        with self.sb.db.write() as conn:
            conn.execute(apps.delete().where(apps.c.instance_id == inst.id,
                                             apps.c.slug == m["slug"]))
            conn.execute(apps.insert().values(
                instance_id=inst.id, slug=m["slug"], manifest=orjson.dumps(m).decode(),
                permissions=orjson.dumps(m.get("permissions", {})).decode(), state="dev",
                installed_at=time.time() - 1))
        self.sb.forget_tokens()
        return m

    def start(self) -> None:
        m = self.install()
        self.app_port = _free_port()
        env = dict(os.environ, COZY_URL=f"http://127.0.0.1:{self.port}",
                   COZY_TOKEN=self.sb.app_token(self.instance, m["slug"]),
                   COZY_DOMAIN=f"{self.instance}.localhost:{self.port}",
                   PORT=str(self.app_port), SELFDATA_APP_SLUG=m["slug"],
                   SELFDATA_APP_NAME=str(m.get("name", m["slug"])),
                   SELFDATA_APP_EDITOR=str(m.get("editor", "")))
        rt = m.get("runtime", {})
        if rt.get("type") == "static":
            cmd = [sys.executable, shim.__file__, "static", str(self.dir),
                   rt.get("index", "index.html")]
        else:
            cmd = list(rt.get("command") or [])
            if cmd and cmd[0] in ("python3", "python"):
                cmd[0] = sys.executable
            if not cmd:
                raise ValueError("runtime.command is missing in manifest.webapp")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env)
        self.app.state.installer.dev_targets[(self.instance, m["slug"])] = \
            f"http://127.0.0.1:{self.app_port}"
        self._seen = snapshot(self.dir)

    def wait_ready(self, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.app_port)) == 0:
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def changed(self) -> bool:
        now = snapshot(self.dir)
        if now != self._seen:
            self._seen = now
            return True
        return False

    def reload(self) -> None:
        self.stop()
        self.start()
