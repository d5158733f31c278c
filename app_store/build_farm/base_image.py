"""The base image every app is built on, made here: no image registry can be reached.

``debootstrap`` makes a minimal Debian with Python, ``docker import`` turns it into an image,
and a one-step build adds the app user (uid 10001) and the shim. The tag carries a digest of
what goes in (suite, packages, shim), so a changed shim gives a new base image.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from app_store.build_farm.environment import clean_env
from sandbox.runtime import shim
from sandbox.runtime.engine import Engine, EngineError
from sandbox.runtime.hardening import APP_UID, SHIM_IN_IMAGE

SUITE = "bookworm"
PACKAGES = ("python3", "python3-pip")
SHIM = Path(shim.__file__)
FINISH = f"""FROM {{root}}
RUN groupadd -g {APP_UID} app \\
 && useradd -u {APP_UID} -g {APP_UID} -M -d /tmp -s /usr/sbin/nologin app \\
 && rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*
COPY shim.py {SHIM_IN_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp LANG=C.UTF-8
"""


def default_tag() -> str:
    h = hashlib.sha256()
    h.update(SUITE.encode())
    h.update(",".join(PACKAGES).encode())
    h.update(SHIM.read_bytes())
    h.update(FINISH.encode())
    return f"selfdata/base:{h.hexdigest()[:12]}"


def debian_mirror() -> str:
    """The mirror apt already uses on this machine (debootstrap must reach the same one)."""
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        m = re.search(r"^URIs:\s*(\S+)", path.read_text(), re.M)
        if m and "security" not in m.group(1):
            return m.group(1)
    lst = Path("/etc/apt/sources.list")
    if lst.exists():
        m = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", lst.read_text(), re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def ensure_base_image(engine: Engine, tag: str | None = None, log=print) -> str:
    """Return the tag of the base image, building it first if the engine lacks it."""
    tag = tag or default_tag()
    if engine.image_id(tag):
        return tag
    if engine.image_id(root_tag := f"selfdata/base-root:{_root_digest()}"):
        return _finish(engine, root_tag, tag, log)
    if shutil.which("debootstrap") is None:
        raise EngineError("debootstrap is not installed: apt-get install debootstrap (or set "
                          "SELFDATA_BASE_IMAGE to an image the engine already has)")
    with tempfile.TemporaryDirectory(prefix="selfdata-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        log(f"debootstrap {SUITE} with {', '.join(PACKAGES)} (about a minute)")
        cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE,
               str(rootfs), debian_mirror()]
        done = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(tmp, reach=True))
        if done.returncode != 0:
            raise EngineError(f"debootstrap failed ({done.returncode}): "
                              f"{(done.stdout + done.stderr)[-2000:]}")
        log(f"importing the root filesystem as {root_tag}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE,
                               env=clean_env(tmp))
        engine.import_image(tar.stdout, root_tag)
        if tar.wait() != 0:
            raise EngineError("tar of the root filesystem failed")
    return _finish(engine, root_tag, tag, log)


def _root_digest() -> str:
    return hashlib.sha256(f"{SUITE}:{','.join(PACKAGES)}".encode()).hexdigest()[:12]


def _finish(engine: Engine, root_tag: str, tag: str, log) -> str:
    log(f"adding the app user and the shim: {tag}")
    ok, output, _ = engine.build(_finish_context(root_tag), tag, labels={"selfdata.base": "1"},
                                 timeout_s=300)
    if not ok:
        raise EngineError(f"finishing the base image failed:\n{output[-2000:]}")
    return tag


def _finish_context(root_tag: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("Dockerfile", FINISH.format(root=root_tag).encode()),
                           ("shim.py", SHIM.read_bytes())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
