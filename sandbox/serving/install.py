"""Installing the stack's npm assets at set-up: ``npm ci`` of the committed lock
(``package.json`` and ``package-lock.json`` beside this file) into the assets folder
(``SELFDATA_ASSETS_DIR``, ``var/stack-assets`` by default), then every served file checked
against its pinned sha256. Run by ``make install`` through ``selfdata sandbox assets``.

The lock holds the three packages alone, not their dependencies: only their prebuilt files are
served, and cozy-client-js 0.14.2 names a dependency by a GitHub URL that cannot be reached."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from sandbox.errors import SandboxError
from sandbox.serving.assets import NPM_FILES, StackAssets

HERE = Path(__file__).resolve().parent
LOCK_FILES = ("package.json", "package-lock.json")
NPM_FLAGS = ["--ignore-scripts", "--no-audit", "--no-fund"]


class AssetsSetupError(SandboxError):
    """npm is missing or the install failed; the message says what to do."""


def installed(directory: Path) -> bool:
    """Whether the folder holds this lock's install with every pinned file."""
    marker = directory / "node_modules" / ".package-lock.json"
    if not marker.exists() or not all(
            (directory / f).exists() and (directory / f).read_bytes() == (HERE / f).read_bytes()
            for f in LOCK_FILES):
        return False
    return StackAssets(directory).missing() == []


def install(directory: Path, timeout_s: float = 600, say=print) -> Path:
    """Install the assets into ``directory`` unless they are there already."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two set-ups at once install once
        if installed(directory):
            return directory
        npm = shutil.which("npm")
        if npm is None:
            raise AssetsSetupError("npm is not installed: run scripts/setup-machine.sh (as root) "
                                   "or apt-get install npm")
        for f in LOCK_FILES:
            shutil.copyfile(HERE / f, directory / f)
        env = {**os.environ, "npm_config_update_notifier": "false"}
        try:
            done = subprocess.run([npm, "ci", *NPM_FLAGS], cwd=directory, capture_output=True,
                                  text=True, timeout=timeout_s, env=env)
        except subprocess.TimeoutExpired:
            raise AssetsSetupError(f"npm ci in {directory} took more than {timeout_s:.0f} s; "
                                   "is the npm registry reachable?") from None
        if done.returncode != 0:
            raise AssetsSetupError(f"npm ci in {directory} failed ({done.returncode}):\n"
                                   f"{done.stderr[-2000:]}")
        bad = StackAssets(directory).missing()
        if bad:
            raise AssetsSetupError(f"npm ci in {directory} did not give the pinned files: "
                                   f"{', '.join(bad)}")
        say(f"stack assets: {', '.join(f.name for f in NPM_FILES)} installed in {directory}")
    return directory
