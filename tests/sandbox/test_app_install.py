"""Install from the store into a tester's cloud, for real: consent, container, the app's own
address with that tester's data, the journal, uninstall revoking the token."""

from __future__ import annotations

import httpx
import pytest

from sandbox.settings import Settings
from tests.support import docker
from tests.support.apps import app_files, manifest, python_app, tar_gz
from tests.support.households import docs_of, full_household, household
from tests.support.served import LiveServer, Served, bound_socket
from tests.support.store import make_store

pytestmark = pytest.mark.docker

STATIC_INDEX = (b"<!doctype html><div role='application' data-cozy-token='{{.Token}}' "
                b"data-cozy-domain='{{.Domain}}'>{{.AppName}}</div>")


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    """A store with two approved apps, and a sandbox with one tester that installs from it."""
    docker.base_image()
    tmp = tmp_path_factory.mktemp("install")
    sock = bound_socket()
    store_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with make_store(tmp / "store", public_url=store_url) as store:
        static = manifest(slug="static-calls", name="Static calls")
        subs = [store.submit(python_app("py-calls")),
                store.submit(tar_gz(app_files(static, **{"index.html": STATIC_INDEX})))]
        for sid in subs:
            assert store.settle(sid)["state"] == "awaiting-review"
            store.as_("Org").review(sid, "approve")
        with Served(store.app, lifespan="off", sock=sock) as store_srv:
            settings = Settings(database_url=f"sqlite:///{tmp / 'sandbox.db'}",
                                registry_url=store_srv.url)
            with LiveServer(settings) as sandbox:
                sb = sandbox.sandbox
                inst = sb.instances.create("alice")
                calls = docs_of(household(full_household()), "fr.orange.phonecommunicationlog")
                sb.documents.load(inst.id, "fr.orange.phonecommunicationlog", calls)
                yield {"sandbox": sandbox, "store": store_srv, "calls": len(calls)}
        store.store.farm.forget_images()


def at(event, host: str) -> httpx.Client:
    host = f"{host}:{event['sandbox'].port}"  # as a browser sends it
    # English pages: the assertions read the English wording (the French is tested in test_i18n)
    return httpx.Client(base_url=event["sandbox"].url,
                        headers={"Host": host, "Accept-Language": "en"}, timeout=60,
                        follow_redirects=False)


def test_consent_install_open_journal_uninstall(event):
    reg = event["store"].url
    with at(event, "alice.localhost") as alice:
        page = alice.get("/apps/install", params={"slug": "py-calls", "registry": reg})
        assert page.status_code == 200
        assert "Install and allow" in page.text and "phone calls" in page.text
        r = alice.post("/apps/install", data={"slug": "py-calls", "registry": reg,
                                               "decision": "accept"})
        assert r.status_code == 303
        assert r.headers["location"].startswith("http://py-calls.alice.localhost:")
    with at(event, "py-calls.alice.localhost") as app:
        page = app.get("/")
        assert page.status_code == 200, page.text
        assert page.text.startswith("5 calls; geopoint 403")
    sb = event["sandbox"].sandbox
    inst = sb.instances.get("alice")
    entries = sb.journal.entries(inst.id, client="py-calls")
    assert {(e.doctype, e.verb) for e in entries} >= {
        ("fr.orange.phonecommunicationlog", "GET"), ("fr.orange.geopoint", "DENIED")}
    with at(event, "alice.localhost") as alice:
        dash = alice.get("/")
        assert "Uninstall" in dash.text and "py-calls.alice.localhost" in dash.text
    token = sb.app_token("alice", "py-calls")
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=event["sandbox"].url, timeout=30) as api:
        assert api.get("/data/fr.orange.phonecommunicationlog/_all_docs?limit=1",
                       headers=auth).status_code == 200
        with at(event, "alice.localhost") as alice:
            assert alice.post("/apps/py-calls/uninstall").status_code == 303
        assert api.get("/data/fr.orange.phonecommunicationlog/_all_docs?limit=1",
                       headers=auth).status_code in (400, 401)
    with at(event, "py-calls.alice.localhost") as app:
        assert app.get("/").status_code == 404
    owner = event["sandbox"].app.state.apps.running.owner
    assert [c for c in docker.engine().containers(f"selfdata.owner={owner}")] == []


def test_a_static_app_gets_its_token_and_may_call_the_api_from_its_origin(event):
    reg = event["store"].url
    port = event["sandbox"].port
    with at(event, "alice.localhost") as alice:
        alice.post("/apps/install", data={"slug": "static-calls", "registry": reg,
                                           "decision": "accept"})
    with at(event, "static-calls.alice.localhost") as app:
        page = app.get("/")
    assert page.status_code == 200 and "{{.Token}}" not in page.text
    assert f"data-cozy-domain='alice.localhost:{port}'" in page.text
    token = page.text.split("data-cozy-token='")[1].split("'")[0]
    origin = f"http://static-calls.alice.localhost:{port}"
    with at(event, "alice.localhost") as alice:
        pre = alice.options("/data/fr.orange.phonecommunicationlog/_all_docs",
                            headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == origin
        r = alice.get("/data/fr.orange.phonecommunicationlog/_all_docs?limit=2",
                      headers={"Origin": origin, "Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin
        # another instance's apps get no CORS grant here
        other = alice.get("/status/", headers={"Origin": f"http://x.bob.localhost:{port}"})
        assert "access-control-allow-origin" not in other.headers
        alice.post("/apps/static-calls/uninstall")


def test_what_is_installed_is_what_the_tester_agreed_to(event):
    reg = event["store"].url
    with at(event, "alice.localhost") as alice:
        r = alice.post("/apps/install", data={"slug": "py-calls", "registry": reg,
                                               "version": "1.0.0", "sha256": "0" * 64,
                                               "decision": "accept"})
        assert r.status_code == 409 and "changed since you agreed" in r.text
        page = alice.get("/apps/install", params={"slug": "py-calls", "registry": reg})
        assert 'name="sha256"' in page.text and 'name="version" value="1.0.0"' in page.text
    sb = event["sandbox"].sandbox
    assert sb.installs.listing(sb.instances.get("alice")) == []


def test_installs_only_from_the_configured_registry(event):
    with at(event, "alice.localhost") as alice:
        r = alice.get("/apps/install", params={"slug": "py-calls",
                                               "registry": "http://127.0.0.1:1"})
        assert r.status_code == 403 and "not a registry" in r.text
        r = alice.get("/apps/install", params={"slug": "nope",
                                               "registry": event["store"].url})
        assert r.status_code == 404


def test_the_reinstalled_app_does_not_accept_old_tokens(event):
    sb = event["sandbox"].sandbox
    reg = event["store"].url
    with at(event, "alice.localhost") as alice:
        alice.post("/apps/install", data={"slug": "static-calls", "registry": reg,
                                           "decision": "accept"})
        old = sb.app_token("alice", "static-calls")
        alice.post("/apps/static-calls/uninstall")
        alice.post("/apps/install", data={"slug": "static-calls", "registry": reg,
                                           "decision": "accept"})
        r = alice.get("/data/fr.orange.phonecommunicationlog/_all_docs?limit=1",
                      headers={"Authorization": f"Bearer {old}"})
        assert r.status_code in (400, 401)
        alice.post("/apps/static-calls/uninstall")
