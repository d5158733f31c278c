"""Attack: an app fills the host's disk through the socket folder bind-mounted into its
container (150 MiB, five times its tmpfs). Held by: the socket folder is a tmpfs of 64 KiB;
the root file system is read-only, /tmp a small tmpfs, files capped by ulimit, logs rotated.
The app below writes as much as it can everywhere it might and says how much got through."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time

import pytest

from sandbox.contract.manifest import manifest_from_json
from sandbox.runtime.bridge import SocketBridges
from sandbox.runtime.hardening import RunLimits
from sandbox.runtime.runner import AppRunner
from tests.support import docker
from tests.support.apps import manifest
from tests.support.requirements import require

pytestmark = pytest.mark.docker

FILL = b"""
import json, os
chunk = b"x" * (1 << 20)
report = {}
for where in ("/run/selfdata", "/tmp", "/app", "/", "/var", "/opt"):
    n = 0
    try:
        with open(os.path.join(where, "fill.bin"), "wb") as f:
            while n < (200 << 20):
                f.write(chunk)
                f.flush()
                n += len(chunk)
    except OSError as exc:
        report[where + " error"] = exc.strerror
    report[where] = n
for i in range(100):
    try:
        open(f"/run/selfdata/f{i}", "w").close()
    except OSError:
        report["files in the socket folder"] = i
        break
print("REPORT " + json.dumps(report), flush=True)
import time
time.sleep(600)
"""


def _image(base: str) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("Dockerfile", f"FROM {base}\nCOPY fill.py /app/fill.py\n"
                            'ENTRYPOINT ["python3", "/app/fill.py"]\n'.encode()),
                           ("fill.py", FILL)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ok, log, image = docker.engine().build(buf.getvalue(), "selfdata-test/fill:1",
                                           {"selfdata.owner": "disk-test"}, 300)
    assert ok, log
    return image


def _report(eng, container_id: str, timeout_s: float = 120) -> dict:
    """What the app printed, read from its logs as soon as it is there."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        logs = eng.logs(container_id)
        if "REPORT " in logs:
            return json.loads(logs.split("REPORT ", 1)[1].splitlines()[0])
        assert eng.state(container_id).running, logs
        time.sleep(0.2)  # polling the container's output: the engine has no event for it
    raise AssertionError(f"no report within {timeout_s} s")


async def _nothing(scope, receive, send) -> None:
    """The sandbox side of api.sock: this app never calls it."""


def test_an_app_cannot_write_more_than_its_limits_anywhere():
    require(os.geteuid() == 0, "mounting the socket folder's tmpfs needs root")
    eng = docker.engine()
    image = _image(docker.base_image())
    limits = RunLimits(tmpfs_mb=8, fsize_mb=16)
    runner = AppRunner(eng, SocketBridges(), limits)
    app = runner.start(image, manifest_from_json(manifest(slug="filler")), "t", _nothing,
                       "x.localhost", labels={"selfdata.owner": "disk-test"})
    try:
        assert os.path.ismount(app.sock_dir)   # a tmpfs of its own, not the host's disk
        report = _report(eng, app.container_id)
        assert report["/run/selfdata"] <= 64 << 10, report
        assert report["/tmp"] <= limits.tmpfs_mb << 20, report
        for read_only in ("/app", "/", "/var", "/opt"):
            assert report[read_only] == 0, (read_only, report)
        assert report.get("files in the socket folder", 100) < 16, report
    finally:
        runner.stop(app)
        runner.bridges.shutdown()
        eng.remove_image(image)
    assert not os.path.exists(app.sock_dir)
