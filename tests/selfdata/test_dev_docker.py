"""The tester's journey of issue 17, for real: an app installed from the store runs in its
container; `selfdata dev` of the same app runs beside it and stops; the installed app answers
from its container during and after. And an install an earlier dev mode broke is repaired from
the dashboard's "Reinstall from the store"."""

from __future__ import annotations

import re
import sys

import httpx
import orjson
import pytest

from sandbox.apps.records import DEV
from sandbox.contract.manifest import manifest_from_json
from sandbox.settings import Settings
from tests.support import docker
from tests.support.apps import app_files, manifest, python_app
from tests.support.households import docs_of, full_household, household
from tests.support.lines import Lines
from tests.support.served import LiveServer, Served, bound_socket
from tests.support.store import make_store

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    docker.base_image()
    tmp = tmp_path_factory.mktemp("dev-docker")
    sock = bound_socket()
    with make_store(tmp / "store", public_url=f"http://127.0.0.1:{sock.getsockname()[1]}") \
            as store:
        sid = store.submit(python_app("py-calls"))
        assert store.settle(sid)["state"] == "awaiting-review"
        store.as_("Org").review(sid, "approve")
        with Served(store.app, lifespan="off", sock=sock) as store_srv:
            settings = Settings(database_url=f"sqlite:///{tmp / 'sandbox.db'}",
                                registry_url=store_srv.url)
            with LiveServer(settings) as sandbox:
                inst = sandbox.sandbox.instances.create("alice")
                calls = docs_of(household(full_household()), "fr.orange.phonecommunicationlog")
                sandbox.sandbox.documents.load(inst.id, "fr.orange.phonecommunicationlog",
                                               calls)
                yield {"sandbox": sandbox, "store": store_srv, "tmp": tmp}
        store.store.farm.forget_images()


def at(event, host: str) -> httpx.Client:
    port = event["sandbox"].port
    return httpx.Client(base_url=event["sandbox"].url,
                        headers={"Host": f"{host}:{port}", "Accept-Language": "en"},
                        timeout=60, follow_redirects=False)


def install(event) -> None:
    with at(event, "alice.localhost") as alice:
        r = alice.post("/apps/install", data={"slug": "py-calls", "registry": event["store"].url,
                                               "decision": "accept"})
        assert r.status_code == 303, r.text


def answers_from_its_container(event) -> bool:
    with at(event, "py-calls.alice.localhost") as app:
        r = app.get("/")
    return r.status_code == 200 and r.text.endswith("calls; geopoint 403")


def test_dev_mode_leaves_the_installed_app_working_during_and_after(event, tmp_path):
    install(event)
    assert answers_from_its_container(event)
    d = tmp_path / "py-calls"
    d.mkdir()
    for name, data in app_files(manifest(slug="py-calls", version="1.1.0"), **{
            "index.html": b"<!doctype html><body>WORK IN PROGRESS</body>"}).items():
        (d / name).write_bytes(data)
    dev = Lines([sys.executable, "-m", "selfdata.cli", "dev", str(d), "--instance", "alice",
                 "--port", "0"], cwd=tmp_path,
                env={"SELFDATA_DATABASE_URL": event["sandbox"].settings.database_url})
    try:
        url, port = dev.wait_for(r"on (http://dev\.py-calls\.alice\.localhost:(\d+)/)").groups()
        dev.wait_for(r"^export COZY_TOKEN=")
        page = httpx.get(f"http://127.0.0.1:{port}/",
                         headers={"Host": f"dev.py-calls.alice.localhost:{port}"})
        assert "WORK IN PROGRESS" in page.text
        assert answers_from_its_container(event)   # during
        with at(event, "alice.localhost") as alice:
            dash = alice.get("/").text
        assert '<span class="badge">installed</span>' in dash and "Reinstall" not in dash
        assert url in dash     # the dev copy, at its own address
    finally:
        out = dev.stop()       # SIGTERM, as Ctrl-C
    assert "Error" not in out, out
    assert answers_from_its_container(event)       # after
    sb = event["sandbox"].sandbox
    assert [a.slug for a in sb.installs.listing(sb.instances.get("alice"))] == ["py-calls"]
    # and after its container restarts (a new token from the same, untouched install)
    running = event["sandbox"].app.state.apps.running
    with running.lock("alice", "py-calls"):
        running.stop_locked("alice", "py-calls")
    assert answers_from_its_container(event)
    with at(event, "alice.localhost") as alice:
        assert alice.post("/apps/py-calls/uninstall").status_code == 303


def test_an_install_broken_by_an_earlier_dev_mode_is_repaired_from_the_dashboard(event):
    install(event)
    sb = event["sandbox"].sandbox
    inst = sb.instances.get("alice")
    # what `selfdata dev` did before: its record replaced the store install's
    m = sb.installs.get(inst, "py-calls").manifest
    sb.installs.install(inst, manifest_from_json(orjson.dumps(m.raw)), DEV)
    running = event["sandbox"].app.state.apps.running
    with running.lock("alice", "py-calls"):
        running.stop_locked("alice", "py-calls")
    with at(event, "py-calls.alice.localhost") as app:
        broken = app.get("/")
    assert broken.status_code == 503 and "reinstall it from the store" in broken.text
    with at(event, "alice.localhost") as alice:
        dash = alice.get("/").text
        assert "cannot run: an earlier `selfdata dev` replaced it" in dash
        assert "Reinstall My calls from the store</button>" in dash
        # the button: the consent page (the tester sees what they agree to), then the install
        consent = alice.get("/apps/install", params={"slug": "py-calls", "registry": "",
                                                     "then": "dashboard"})
        assert consent.status_code == 200 and "Install and allow" in consent.text
        assert 'name="then" value="dashboard"' in consent.text
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', consent.text))
        r = alice.post("/apps/install", data={**form, "decision": "accept"})
        assert r.status_code == 303 and r.headers["location"] == "/?reinstalled=py-calls#apps"
        done = alice.get(r.headers["location"]).text
        assert "My calls is reinstalled from the store and runs again." in done
        assert "cannot run" not in done
    assert answers_from_its_container(event)
    with at(event, "alice.localhost") as alice:
        assert alice.post("/apps/py-calls/uninstall").status_code == 303
