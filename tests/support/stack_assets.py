"""The stack's assets for tests: installed once from the committed lock (as ``make install``
does) into the repository's ``var/stack-assets``, under a file lock shared by xdist workers."""

from __future__ import annotations

import shutil
from pathlib import Path

from sandbox.serving.install import AssetsSetupError, install
from tests.support.requirements import require

ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = ROOT / "var" / "stack-assets"


def stack_assets_dir() -> Path:
    """The installed assets folder (installing it if needed); skips, or fails in CI, only when
    npm cannot run here."""
    require(shutil.which("npm") is not None, "npm is not installed (scripts/setup-machine.sh)")
    try:
        return install(ASSETS_DIR, say=lambda _msg: None)
    except AssetsSetupError as exc:
        require(False, str(exc))
        raise
