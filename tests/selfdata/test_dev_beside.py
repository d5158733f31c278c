"""`selfdata dev` beside an installed app: its own address, record and token; the installed
app's record and token untouched during and after; hostile cases (a second session, a session
killed with -9, a dev token trying to act as the installed app, names that could collide)."""

from __future__ import annotations

import os
import signal
import sys
import threading

import httpx
import orjson
import pytest

from sandbox.apps.dev_installs import DevHolder, DevTarget
from sandbox.apps.records import DEV, STORE
from sandbox.contract.addresses import Address, dev_key, parse_host
from sandbox.contract.manifest import load_manifest, manifest_from_json
from sandbox.errors import DevSessionBusy
from sandbox.settings import Settings
from selfdata.dev import DevSession
from tests.support.apps import app_files, manifest
from tests.support.lines import Lines
from tests.support.served import LiveServer

CALLS, POSITIONS = "fr.orange.phonecommunicationlog", "fr.orange.geopoint"
# the installed release may read positions too; the folder being worked on only calls
STORE_MANIFEST = manifest(slug="my-calls", permissions={
    "calls": {"type": CALLS, "verbs": ["GET"], "description": "Calls"},
    "pos": {"type": POSITIONS, "verbs": ["GET"], "description": "Where calls were made"}})
DEV_MANIFEST = manifest(slug="my-calls", version="1.1.0")


@pytest.fixture
def tester(tmp_path):
    """The tester's sandbox (what `make run` serves) with my-calls installed from the store,
    and a second server on the same database, as `selfdata dev` runs its own."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}")
    with LiveServer(settings) as main, LiveServer(settings) as dev_server:
        sb = main.sandbox
        inst = sb.instances.create("alice")
        sb.documents.load(inst.id, CALLS, [{"type": "VOICE", "length": 60}])
        sb.documents.load(inst.id, POSITIONS, [{"latitude": 48.8, "longitude": 2.3}])
        sb.installs.install(inst, manifest_from_json(orjson.dumps(STORE_MANIFEST)), STORE,
                            registry="http://store.invalid", sha256="a" * 64,
                            image_id="sha256:" + "b" * 64)
        yield main, dev_server


def folder(tmp_path, m=DEV_MANIFEST):
    d = tmp_path / m["slug"]
    d.mkdir(exist_ok=True)
    for name, data in app_files(m, **{"index.html": b"<!doctype html><body>DEV COPY</body>"}
                                ).items():
        (d / name).write_bytes(data)
    return d


def status(server, token: str, doctype: str) -> int:
    return httpx.get(f"{server.url}/data/{doctype}/_all_docs",
                     headers={"Authorization": f"Bearer {token}"}).status_code


def get(server, host: str, path: str = "/") -> httpx.Response:
    return httpx.get(server.url + path, headers={"Host": f"{host}:{server.port}",
                                                 "Accept-Language": "en"}, timeout=30)


def test_dev_addresses_cannot_collide_with_an_installed_app():
    assert parse_host("dev.my-calls.alice.localhost:8080") == \
        Address("alice", "my-calls", dev=True)
    assert parse_host("dev.my-calls.alice.localhost").key == "dev.my-calls"
    assert parse_host("my-calls.alice.localhost").key == "my-calls"
    # an app whose slug is "dev" is an installed app; its dev copy has three labels
    assert parse_host("dev.alice.localhost") == Address("alice", "dev")
    assert parse_host("dev.dev.alice.localhost") == Address("alice", "dev", dev=True)
    # an instance named dev: still unambiguous
    assert parse_host("dev.notes.dev.localhost") == Address("dev", "notes", dev=True)
    assert parse_host("x.my-calls.alice.localhost") == Address()
    # a dev key is not a slug any app can have
    bad = manifest(slug=dev_key("my-calls"))
    m, problems = load_manifest({"manifest.webapp": orjson.dumps(bad)})
    assert m is None and any(p.check == "manifest.slug" for p in problems)


def test_dev_runs_beside_the_installed_app_and_leaves_no_trace(tester, tmp_path):
    main, dev_server = tester
    sb = main.sandbox
    inst = sb.instances.get("alice")
    store_before = sb.installs.get(inst, "my-calls")
    store_token = sb.app_token("alice", "my-calls")
    s = DevSession(dev_server.app, dev_server.port, folder(tmp_path), "alice")
    s.start()
    try:
        assert s.wait_ready()
        assert s.url == f"http://dev.my-calls.alice.localhost:{dev_server.port}/"
        page = get(dev_server, "dev.my-calls.alice.localhost")
        assert page.status_code == 200 and "DEV COPY" in page.text
        # the installed app's record and token are untouched
        assert sb.installs.get(inst, "my-calls") == store_before
        assert status(main, store_token, POSITIONS) == 200
        # the dev token is its own: the folder's permissions, under its own name
        assert status(main, s.token, CALLS) == 200
        assert status(main, s.token, POSITIONS) == 403   # only the installed release has it
        me = httpx.get(f"{main.url}/permissions/self",
                       headers={"Authorization": f"Bearer {s.token}"}).json()
        assert me["data"]["attributes"]["source_id"] == "io.cozy.apps/dev.my-calls"
        clients = {e.client for e in sb.journal.entries(inst.id)}
        assert "dev.my-calls" in clients
        # the tester's dashboard: the installed app installed, the dev copy beside it
        dash = get(main, "alice.localhost").text
        assert '<span class="badge">installed</span>' in dash
        assert f"http://dev.my-calls.alice.localhost:{dev_server.port}/" in dash
        assert f"dev mode (selfdata dev, process {os.getpid()})" in dash
        assert "Reinstall" not in dash
        # the tester's own sandbox does not serve dev addresses: a clear 404, no container
        r = get(main, "dev.my-calls.alice.localhost")
        assert r.status_code == 404 and "open the address the session printed" in r.text
    finally:
        s.close()
    assert sb.installs.get(inst, dev_key("my-calls")) is None
    assert sb.installs.get(inst, "my-calls") == store_before
    assert status(main, store_token, POSITIONS) == 200
    # its token is dead (at once here; other servers forget cached checks within seconds)
    assert status(dev_server, s.token, CALLS) in (400, 401)
    dash = get(main, "alice.localhost").text
    assert '<span class="badge">installed</span>' in dash and "dev mode" not in dash
    assert get(dev_server, "dev.my-calls.alice.localhost").status_code == 404


def test_a_second_session_of_the_same_app_is_refused(tester, tmp_path):
    main, dev_server = tester
    first = DevSession(dev_server.app, dev_server.port, folder(tmp_path), "alice")
    first.start()
    try:
        with LiveServer(main.settings) as other:
            second = DevSession(other.app, other.port, folder(tmp_path), "alice")
            with pytest.raises(DevSessionBusy, match=f"process {os.getpid()}.*stop it first"):
                second.start()
            second.close()
        assert first.wait_ready()
        assert status(main, first.token, CALLS) == 200   # the first keeps its record
        runner = Lines([sys.executable, "-m", "selfdata.cli", "dev", str(folder(tmp_path)),
                        "--instance", "alice", "--port", "0"], cwd=tmp_path,
                       env={"SELFDATA_DATABASE_URL": main.settings.database_url})
        try:
            runner.wait_for(r"already served in alice by another `selfdata dev`")
            assert runner.proc.wait(30) == 2
        finally:
            runner.stop()
    finally:
        first.close()


def test_a_session_killed_with_kill_9_is_cleaned_at_the_next_start(tester, tmp_path):
    main, dev_server = tester
    sb = main.sandbox
    inst = sb.instances.get("alice")
    store_before = sb.installs.get(inst, "my-calls")
    run = Lines([sys.executable, "-m", "selfdata.cli", "dev", str(folder(tmp_path)),
                 "--instance", "alice", "--port", "0"], cwd=tmp_path,
                env={"SELFDATA_DATABASE_URL": main.settings.database_url})
    try:
        port = run.wait_for(r"on http://dev\.my-calls\.alice\.localhost:(\d+)/")[1]
        run.wait_for(r"The installed my-calls of alice is left as it is")
        dead_token = run.wait_for(r"^export COZY_TOKEN=(\S+)$")[1]
        assert status(main, dead_token, CALLS) == 200
        # dev's own server never serves (so never starts or removes) installed apps' containers
        r = httpx.get(f"http://127.0.0.1:{port}/",
                      headers={"Host": f"my-calls.alice.localhost:{port}"})
        assert r.status_code == 404 and "serves only the app it runs" in r.text
    finally:
        run.proc.send_signal(signal.SIGKILL)
        run.proc.wait(30)
        run.stop()
    left = sb.installs.get(inst, dev_key("my-calls"))
    assert left is not None and DevHolder.parse(left.served_by).pid == run.proc.pid
    s = DevSession(dev_server.app, dev_server.port, folder(tmp_path), "alice")
    s.start()
    try:
        assert [a.slug for a in s.stale] == [dev_key("my-calls")]
        assert status(dev_server, dead_token, CALLS) in (400, 401)
        assert status(main, s.token, CALLS) == 200
        assert sb.installs.get(inst, "my-calls") == store_before
    finally:
        s.close()
    assert [a.slug for a in sb.installs.listing(inst)] == ["my-calls"]


def test_open_pages_of_the_dev_app_reload_on_a_change_and_installed_apps_get_no_script(
        tester, tmp_path):
    main, dev_server = tester
    s = DevSession(dev_server.app, dev_server.port, folder(tmp_path), "alice")
    s.start()
    try:
        assert s.wait_ready()
        page = get(dev_server, "dev.my-calls.alice.localhost").text
        assert '<script src="/__selfdata_dev/reload.js?since=0"></script></body>' in page
        js = get(dev_server, "dev.my-calls.alice.localhost", "/__selfdata_dev/reload.js")
        assert js.status_code == 200 and "EventSource" in js.text
        assert get(dev_server, "dev.my-calls.alice.localhost",
                   "/__selfdata_dev/events?since=x").status_code == 400
        heard: list[str] = []
        opened = threading.Event()

        def listen():
            with httpx.stream("GET", dev_server.url + "/__selfdata_dev/events?since=0",
                              headers={"Host": f"dev.my-calls.alice.localhost:"
                                               f"{dev_server.port}"}, timeout=30) as r:
                for line in r.iter_lines():
                    opened.set()
                    heard.append(line)
                    if line.startswith("event: reload"):
                        return

        t = threading.Thread(target=listen)
        t.start()
        assert opened.wait(30)
        (s.dir / "index.html").write_bytes(b"<!doctype html><body>EDITED</body>")
        assert s.changed(timeout=10)
        assert s.reload()
        t.join(30)
        assert "event: reload" in heard
        page = get(dev_server, "dev.my-calls.alice.localhost").text
        assert "EDITED" in page and "reload.js?since=1" in page
    finally:
        s.close()
    # an app at its installed address gets its pages as they are, and no dev route
    inst = main.sandbox.instances.get("alice")
    plain = manifest(slug="plain-app")
    main.sandbox.installs.install(inst, manifest_from_json(orjson.dumps(plain)), DEV)
    d = folder(tmp_path, plain)
    served = DevSession(main.app, main.port, d, "alice")   # its process, at the plain key
    try:
        served.start()
        assert served.wait_ready()
        main.app.state.apps.dev_targets[("alice", "plain-app")] = DevTarget(served.target.url)
        page = get(main, "plain-app.alice.localhost").text
        assert "DEV COPY" in page and "__selfdata_dev" not in page
        assert get(main, "plain-app.alice.localhost",
                   "/__selfdata_dev/reload.js").status_code == 404   # the app's own 404
    finally:
        served.close()


def test_an_install_that_cannot_run_offers_a_reinstall_of_the_release_agreed_to(tester):
    main, _ = tester
    sb = main.sandbox
    inst = sb.instances.get("alice")
    m = manifest_from_json(orjson.dumps(STORE_MANIFEST))
    sb.installs.install(inst, m, STORE, registry="http://store.invalid", sha256="c" * 64)
    dash = get(main, "alice.localhost").text
    assert "My calls cannot run: its release has no image built by the store." in dash
    form = dash[dash.index('<form method="post" action="/apps/install"'):]
    form = form[:form.index("</form>")]
    for field in ('name="slug" value="my-calls"', 'name="registry" value="http://store.invalid"',
                  'name="version" value="1.0.0"', f'name="sha256" value="{"c" * 64}"',
                  'name="then" value="dashboard"', 'name="decision" value="accept"'):
        assert field in form
    assert "Reinstall My calls from the store</button>" in form
    # the form is a tester's form: another site cannot post it
    r = httpx.post(f"{main.url}/apps/install", data={"slug": "my-calls", "decision": "accept"},
                   headers={"Host": f"alice.localhost:{main.port}",
                            "Origin": f"http://my-calls.alice.localhost:{main.port}"})
    assert r.status_code == 403
    # a forged "reinstalled" message says nothing about an app that still cannot run
    assert "is reinstalled" not in get(main, "alice.localhost", "/?reinstalled=my-calls").text
