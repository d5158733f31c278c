"""Node packages for the JS conformance tests, installed from the committed lock.

:func:`js_packages` installs ``tests/sandbox/js/node_modules`` from ``package-lock.json``
(``npm ci``) when it is missing or older than the lock, under a file lock so that pytest-xdist
workers do not install twice at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.requirements import require

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


def node_packages() -> Path:
    """``js_packages()``, or a skip (locally) / failure (CI) saying why Node cannot run."""
    try:
        return js_packages()
    except JsSetupError as exc:
        require(False, str(exc))
        raise


def run_checks(js_dir: Path, script: str, env: dict[str, str], timeout: float = 300,
               args: tuple[str, ...] = ()) -> dict[str, dict]:
    """Run a conformance script (one ``{"check": ..., "result"|"error": ...}`` JSON line per
    check on stdout) and return its lines by check; it must exit 0 with no ``fatal`` line."""
    done = subprocess.run(["node", script, *args], cwd=js_dir, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)
    lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith('{"check"')]
    out = {line["check"]: line for line in lines}
    assert done.returncode == 0 and "fatal" not in out, (
        f"node {script} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return out


def check_result(lines: dict[str, dict], script: str, check: str):
    """The result of one check of a :func:`run_checks` run; it must have run without error."""
    line = lines.get(check)
    assert line is not None, f"{script} did not run the check {check!r}"
    assert "error" not in line, f"{script} {check} raised: {line['error']}"
    return line["result"]
