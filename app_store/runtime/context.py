"""The build context for an app image, Dockerfile included: the store writes it, never the team.

Only ``COPY`` from the context and one offline ``pip install``; the base is given by id, the
user is the unprivileged app user, and the entry point is the shim.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from app_store.runtime.wheelhouse import Lock


def dockerfile(base: str, manifest: dict, lock: Lock | None) -> str:
    """Labels are given to the build by the engine, not written here."""
    rt = manifest["runtime"]
    lines = [f"FROM {base}", "COPY app/ /app/"]
    if lock is not None and lock.wheels:
        lines += ["COPY wheels/ /wheels/",
                  "RUN python3 -m pip install --quiet --no-index --find-links /wheels "
                  "--require-hashes --no-deps --no-compile --disable-pip-version-check "
                  "--break-system-packages --target /opt/deps -r /wheels/requirements.lock",
                  "ENV PYTHONPATH=/opt/deps"]
    if rt["type"] == "static":
        cmd = ["python3", "/opt/selfdata/shim.py", "static", "/app", rt.get("index", "index.html")]
    else:
        cmd = ["python3", "/opt/selfdata/shim.py", "run", "--", *rt["command"]]
    lines += ["ENV PORT=8000", "WORKDIR /app", "USER 10001:10001",
              f"ENTRYPOINT {json.dumps(cmd)}"]
    return "\n".join(lines) + "\n"


def build_context(files: dict[str, bytes], manifest: dict, base: str, lock: Lock | None,
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
