"""Python dependencies resolved on the host into a hash-pinned wheelhouse.

The container build has no network, so the store downloads wheels here (binary only: no sdist
build code runs), records each file's sha256 in a lock, and the build installs exactly those
with ``--no-index --require-hashes``. Resolutions are cached by the requirements' sha256, so a
warm build does not touch the package index at all.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app_store.build_farm.environment import clean_env

# The base image is Debian bookworm: CPython 3.11, glibc 2.36, x86_64.
TARGET = ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
          "--platform", "manylinux_2_36_x86_64", "--platform", "manylinux_2_28_x86_64",
          "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64"]
WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-.*\.whl$")


class WheelhouseError(Exception):
    """Dependencies could not be resolved; the message is shown to the team."""


@dataclass(frozen=True)
class Lock:
    wheels: tuple[tuple[str, str], ...]   # (file name, sha256)

    def text(self) -> str:
        lines = []
        for fname, digest in self.wheels:
            m = WHEEL.match(fname)
            assert m, fname
            lines.append(f"{m['name']}=={m['version']} --hash=sha256:{digest}")
        return "\n".join(lines) + "\n"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve(requirements: str, cache: Path, timeout_s: float = 300) -> Lock:
    """Wheels for ``requirements`` (pip format), downloaded into ``cache`` once."""
    key = hashlib.sha256(requirements.encode()).hexdigest()
    locks = cache / "locks"
    wheels = cache / "wheels"
    locks.mkdir(parents=True, exist_ok=True)
    wheels.mkdir(parents=True, exist_ok=True)
    saved = locks / f"{key}.txt"
    if saved.exists():
        pairs = tuple(tuple(line.split(" ", 1)) for line in saved.read_text().splitlines()
                      if line)
        if all((wheels / f).exists() and _sha256(wheels / f) == d for f, d in pairs):
            return Lock(pairs)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="selfdata-wheels-") as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text(requirements)
        dest = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--only-binary", ":all:", "--dest", str(dest), *TARGET, "-r", str(req)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                                  env=clean_env(tmp, reach=True), cwd=tmp)
        except subprocess.TimeoutExpired as exc:
            raise WheelhouseError(f"resolving the requirements took over {timeout_s:.0f} s") \
                from exc
        if done.returncode != 0:
            msg = "\n".join(x for x in done.stderr.splitlines() if "WARNING" not in x)
            raise WheelhouseError("the requirements could not be resolved to wheels for CPython "
                                  "3.11 on Linux x86_64 (only packages with such wheels can be "
                                  f"used):\n{msg[-1500:]}")
        pairs = []
        for f in sorted(dest.iterdir()):
            if not WHEEL.match(f.name):
                raise WheelhouseError(f"{f.name} is not a wheel; only wheels can be installed")
            _atomic_copy(f, wheels / f.name)  # other stores may read the cache meanwhile
            pairs.append((f.name, _sha256(f)))
    _atomic_write(saved, "".join(f"{f} {d}\n" for f, d in pairs))
    return Lock(tuple(pairs))


def _atomic_copy(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".part-")
    os.close(fd)
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _atomic_write(dst: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".part-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, dst)
