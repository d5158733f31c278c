"""Helpers for the sample apps: pack an app as the store receives it, load an app's pure modules,
and run an app against a live sandbox holding one generated household with the app installed."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import orjson

from sandbox.apps.records import STORE
from sandbox.contract.manifest import manifest_from_json
from tests.support.households import docs_of, household
from tests.support.served import LiveServer

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "sample_apps"
GROUND_TRUTH = "org.selfdata.groundtruth.event"
SKIP_PARTS = {"__pycache__", "node_modules", ".pytest_cache"}


def app_dirs() -> list[Path]:
    return sorted(p for p in APPS.iterdir() if p.is_dir() and not p.name.startswith("."))


def app_files(app: Path) -> dict[str, bytes]:
    """The files of an app archive: everything under its directory but caches."""
    out = {}
    for p in sorted(app.rglob("*")):
        rel = p.relative_to(app)
        if p.is_file() and not SKIP_PARTS & set(rel.parts) and p.suffix != ".pyc":
            out[rel.as_posix()] = p.read_bytes()
    return out


def pack(app: Path) -> bytes:
    """The app directory as a .tar.gz in memory, its root at the archive's root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in app_files(app).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def manifest_of(app: Path) -> dict:
    return orjson.loads((app / "manifest.webapp").read_bytes())


def load_module(slug: str, name: str) -> ModuleType:
    """``sample_apps/<slug>/<name>.py`` under a unique module name (apps share file names)."""
    path = APPS / slug / f"{name}.py"
    mod_name = f"sample_{slug.replace('-', '_')}_{name}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = mod  # dataclasses look their module up while the class is built
    before = set(sys.modules)
    sys.path.insert(0, str(path.parent))  # the module imports its siblings by plain name
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(path.parent))
        # forget the siblings' plain names (another app may have a module of the same name);
        # the loaded module keeps its references to them
        for name in set(sys.modules) - before:
            f = getattr(sys.modules[name], "__file__", None) or ""
            if Path(f).parent == path.parent:
                del sys.modules[name]
    return mod


def docs(index: int, doctype: str, **match) -> list[dict]:
    """Documents of one doctype of household ``index`` (the shared seeded test population)."""
    return docs_of(household(index), doctype, **match)


# ---- live: a sandbox with households and installed apps -----------------------------------------

class LiveSandbox:
    """A sandbox served on a free port; households are loaded once, apps installed per test."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.sb = server.sandbox
        self.url = server.url

    def instance_for(self, index: int) -> str:
        """Load household ``index`` (without ground truth) as an instance, once."""
        data = household(index)
        name = data.household.instance
        if self.sb.instances.find(name) is None:
            inst = self.sb.instances.create(name)
            for batch in data.batches:
                if batch.doctype != GROUND_TRUTH:
                    self.sb.documents.load(inst.id, batch.doctype, batch.dicts())
        return name

    def install(self, instance: str, manifest: dict) -> str:
        """Record the app as installed with its manifest's permissions (what the install flow
        records after the tester consents) and return an app token for it."""
        self.sb.installs.install(self.sb.instances.get(instance), manifest_from_json(manifest),
                                 STORE)
        return self.sb.app_token(instance, manifest["slug"])


def get(url: str, timeout: float = 60.0) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def _start(command: list[str], app: Path, env: dict, health: str, timeout: float
           ) -> tuple[subprocess.Popen, str]:
    """Start the app on a port the system chose; once more on another port if a process
    took that port between our probe and the app's bind (the app binds it itself)."""
    for _attempt in range(3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = dict(env, PORT=str(port))
        proc = subprocess.Popen(command, cwd=app, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            try:
                if get(base + health, timeout=2)[0] == 200:
                    return proc, base
            except OSError:
                pass
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"{app.name} did not answer its health route in "
                                     f"{timeout}s")
            time.sleep(0.1)  # polling the app's health route, as the store does
        out = proc.stdout.read().decode() if proc.stdout else ""
        if proc.stdout:
            proc.stdout.close()
        if "Address already in use" not in out:
            raise AssertionError(f"{app.name} exited with {proc.returncode}:\n{out}")
    raise AssertionError(f"{app.name} found no free port")


@contextlib.contextmanager
def running_app(app: Path, cozy_url: str, token: str, instance: str,
                timeout: float = 20.0) -> Iterator[str]:
    """Run a python app's ``runtime.command`` as the platform does (env, port) and yield its
    base URL once ``runtime.health`` answers 200 (within 20 s, as the store demands)."""
    manifest = manifest_of(app)
    runtime = manifest["runtime"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COZY_", "SELFDATA_"))}
    env.update(COZY_URL=cozy_url, COZY_TOKEN=token, COZY_DOMAIN=f"{instance}.localhost",
               SELFDATA_APP_SLUG=manifest["slug"], HOME=tempfile.gettempdir(),
               PYTHONDONTWRITEBYTECODE="1")
    command = list(runtime["command"])
    if command[0] in ("python3", "python"):
        command[0] = sys.executable  # the venv's interpreter (it has the pinned requirements)
    proc, base = _start(command, app, env, runtime.get("health", "/health"), timeout)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
