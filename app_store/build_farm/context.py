"""The build context for an app image, Dockerfile included: the store writes it, never the team.

Only ``COPY`` from the context and one offline ``pip install``; the base is given by id, the
user is the unprivileged app user, and the entry point is the shim.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from app_store.build_farm.wheelhouse import Lock
from sandbox.contract.manifest import Manifest
from sandbox.runtime.hardening import APP_PORT, APP_USER, SHIM_IN_IMAGE


def dockerfile(base: str, manifest: Manifest, lock: Lock | None) -> str:
    """Labels are given to the build by the engine, not written here."""
    rt = manifest.runtime
    lines = [f"FROM {base}", "COPY app/ /app/"]
    if lock is not None and lock.wheels:
        lines += ["COPY wheels/ /wheels/",
                  "RUN python3 -m pip install --quiet --no-index --find-links /wheels "
                  "--require-hashes --no-deps --no-compile --disable-pip-version-check "
                  "--break-system-packages --target /opt/deps -r /wheels/requirements.lock",
                  "ENV PYTHONPATH=/opt/deps"]
    if rt.type == "static":
        cmd = ["python3", SHIM_IN_IMAGE, "static", "/app", rt.index]
    else:
        cmd = ["python3", SHIM_IN_IMAGE, "run", "--", *rt.command]
    lines += [f"ENV PORT={APP_PORT}", "WORKDIR /app", f"USER {APP_USER}",
              f"ENTRYPOINT {json.dumps(cmd)}"]
    return "\n".join(lines) + "\n"


def build_context(files: dict[str, bytes], manifest: Manifest, base: str, lock: Lock | None,
                  wheel_dir: Path | None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))

        add("Dockerfile", dockerfile(base, manifest, lock).encode())
        for path, data in sorted(files.items()):
            add(f"app/{path}", data)
        if lock is not None and lock.wheels:
            assert wheel_dir is not None
            add("wheels/requirements.lock", lock.text().encode())
            for fname, _ in lock.wheels:
                add(f"wheels/{fname}", (wheel_dir / fname).read_bytes())
    return buf.getvalue()
