"""`selfdata up`, the one command of an event: data, sandbox, store, the sample apps built,
approved and two installed for the first tester, URLs and tokens printed."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.support import docker
from tests.support.live_server import free_port

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SAMPLES = ("energy-coach", "home-and-insurance", "leak-watch", "my-calls")


def test_up_builds_approves_and_installs_the_sample_apps(tmp_path):
    docker.base_image()
    port, store_port = free_port(), free_port()
    log = tmp_path / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "selfdata.cli", "up", "-n", "2", "--port", str(port),
         "--store-port", str(store_port), "--data", str(tmp_path / "pop"),
         "--database", str(tmp_path / "var" / "sandbox.db")],
        cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 300
        while "Serving (Ctrl-C to stop)" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        out = log.read_text()
        for slug in SAMPLES:
            assert f"  {slug}: approved" in out, out
        first = re.search(r"http://([a-z0-9-]+)\.localhost:\d+/ \(2 testers\)", out).group(1)
        installed = re.search(r"Apps installed for \S+: (.*)", out).group(1)
        assert installed == (f"http://energy-coach.{first}.localhost:{port}/, "
                             f"http://my-calls.{first}.localhost:{port}/")
        for label in ("Organiser token", "Team token", "Judge token", "App store catalogue",
                      "Organiser console", "Store API docs", "Sandbox API docs"):
            assert label in out
        catalogue = httpx.get(f"http://127.0.0.1:{store_port}/registry").json()
        assert sorted(a["slug"] for a in catalogue["data"]) == list(SAMPLES)
        store = f"http://127.0.0.1:{store_port}"
        shot = httpx.get(f"{store}/registry/energy-coach/screenshots/screenshots/1.png")
        assert shot.status_code == 200 and shot.content.startswith(b"\x89PNG")
        assert httpx.get(f"{store}/registry/energy-coach/screenshots/server.py").status_code \
            == 404
        app_page = httpx.get(f"{store}/apps/energy-coach").text
        assert 'alt="Screenshot 1 of Energy coach"' in app_page and "Data use" in app_page
        icon = httpx.get(f"{store}/registry/energy-coach/icon")
        assert icon.headers["content-type"] == "image/svg+xml"
        assert "default-src 'none'" in icon.headers["content-security-policy"]
        page = httpx.get(f"http://127.0.0.1:{port}/",
                         headers={"Host": f"energy-coach.{first}.localhost:{port}"}, timeout=60)
        assert page.status_code == 200 and "kWh" in page.text
        dash = httpx.get(f"http://127.0.0.1:{port}/", headers={"Host": f"{first}.localhost:{port}"})
        assert f"http://energy-coach.{first}.localhost:{port}/" in dash.text
        assert f"http://my-calls.{first}.localhost:{port}/" in dash.text
    finally:
        proc.terminate()  # SIGTERM: a clean stop, the installed apps' containers with it
        proc.wait(60)
    assert "Stopping" in log.read_text()
    db_url = f"sqlite:///{tmp_path / 'var' / 'sandbox.db'}"
    owner = "sandbox-" + hashlib.sha256(db_url.encode()).hexdigest()[:12]
    assert docker.engine().containers(f"selfdata.owner={owner}") == []
