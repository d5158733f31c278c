"""`selfdata up`, the one command of an event: data, sandbox, store, the sample apps built,
approved and two installed for the first tester, URLs and tokens printed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from sandbox.settings import Settings
from sandbox.web.app import create_app
from selfdata.up import NOT_IN_DEMO_TOKEN, READ_SCOPE, Progress
from synthetic_data.sources import all_doctypes
from tests.support import docker
from tests.support.up import Up

ROOT = Path(__file__).resolve().parents[2]
# every folder of sample_apps/ with a manifest: a new sample app must pass `up` too
SAMPLES = tuple(sorted(p.parent.name for p in (ROOT / "sample_apps").glob("*/manifest.webapp")))
assert "my-calls" in SAMPLES, "sample_apps/ not found next to the tests"


@pytest.mark.docker
@pytest.mark.slow
def test_up_builds_approves_and_installs_the_sample_apps(tmp_path):
    docker.base_image()
    up = Up(tmp_path)
    try:
        out = up.start()
        port, store_port = up.port, up.store_port
        for slug in SAMPLES:
            assert f"  {slug}: approved" in out, out
        # every long step says what it is doing as it goes (the first app waited for is seen
        # building; later ones may have built while `up` waited for the first)
        for step in ("2 instances declared", "Starting the app store",
                     "base image", f"{SAMPLES[0]}: building ...", "Installing energy-coach"):
            assert step in out, step
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
        out = up.stop()  # SIGTERM: a clean stop, the installed apps' containers with it
    assert "Stopping" in out
    owner = "sandbox-" + hashlib.sha256(f"sqlite:///{up.database}".encode()).hexdigest()[:12]
    assert docker.engine().containers(f"selfdata.owner={owner}") == []


def test_without_an_engine_up_serves_everything_else_and_says_what_is_missing(tmp_path):
    up = Up(tmp_path, env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    try:
        out = up.start(timeout=120)
        assert "Apps are not built: no container engine" in out
        for step in ("Declaring 2 households", "  2 instances declared",
                     "Loading the first tester's household", "Starting the app store"):
            assert step in out, step
        db = f"--database-url sqlite:///{up.database.resolve()}"
        assert db in out  # absolute: the hint works from any folder
        assert "scripts/ensure-docker.sh" in out
        assert "Apps installed for" in out and ": none" in out
        store = f"http://127.0.0.1:{up.store_port}"
        assert "no container engine" in httpx.get(f"{store}/status").json()["engine"]
        assert httpx.get(f"{store}/").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{up.port}/").status_code == 200
        # the example challenge is there from the first minute, open
        assert f"Challenges                  {store}/challenges  (leaks)" in out
        leaks = httpx.get(f"{store}/api/challenges/leaks").json()
        assert (leaks["state"], leaks["kind"], leaks["event_kinds"]) == (
            "open", "event-detection", ["leak"])
        assert httpx.get(f"{store}/challenges/leaks").status_code == 200
    finally:
        up.stop()


def test_progress_says_each_tenth_and_the_end():
    said: list[str] = []
    step = Progress("loaded", 25, said.append)
    for i in range(25):
        step(f"h{i}")
    assert said[0] == "  loaded 3/25 (h2)" and said[-1] == "  loaded 25/25 (h24)"
    assert len(said) == 9
    said.clear()
    one = Progress("generated", 2, said.append)
    one(1)
    one(1)
    assert said == ["  generated 1/2", "  generated 2/2"]


def test_the_demo_token_reads_every_doctype_the_generator_writes(tmp_path):
    """The token `up` prints reads every doctype of the generated data (bank, receipts,
    parcels and validations included) but the organisers' answer key, and the sandbox
    grants it as written."""
    scope = READ_SCOPE.split()
    assert all(s.endswith(":GET") for s in scope)
    doctypes = {s.removesuffix(":GET") for s in scope}
    assert doctypes - {"io.cozy.doctypes", "io.cozy.journal"} == \
        set(all_doctypes()) - NOT_IN_DEMO_TOKEN
    assert {"io.cozy.bank.operations", "org.selfdata.receipt", "org.selfdata.laposte.parcel",
            "org.selfdata.transport.validation"} <= doctypes
    assert "org.selfdata.groundtruth.event" not in doctypes
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}",
                              live_engine=False, files_dir=str(tmp_path / "files")))
    sb = app.state.sandbox
    try:
        sb.instances.create("tester")
        assert sb.cli_token("tester", READ_SCOPE)
    finally:
        sb.close()
