"""What an installed app can reach, and what a web page can make the tester's cloud do: the
gate in front of the sandbox for containers, the checked app socket, CORS only on the API,
same-origin forms, and app tokens that die with their install."""

from __future__ import annotations

import os
import socket

import pytest
from fastapi.testclient import TestClient

from sandbox.apps.records import STORE
from sandbox.contract.manifest import manifest_from_json
from sandbox.runtime.bridge import UnsafeSocket, app_socket
from sandbox.web.app_gate import ApiGate
from tests.support.apps import manifest

PERMS = {"notes": {"type": "test.notes", "verbs": ["GET"], "description": "why"}}


def install_row(sb, instance: str, slug: str) -> None:
    """Record the app as the install flow does, through the sandbox's install records."""
    m = manifest_from_json(manifest(slug=slug, permissions=PERMS))
    sb.installs.install(sb.instances.get(instance), m, STORE)


@pytest.fixture
def gated(app, sb, alice, bob):
    """The sandbox as a container of alice's app sees it."""
    alice.put("/data/test.notes/n1", {"v": 1})
    bob.put("/data/test.notes/n1", {"v": 2})
    install_row(sb, "alice", "notes-app")
    install_row(sb, "bob", "notes-app")
    return TestClient(ApiGate(app, "alice.localhost:8080"))


def test_the_gate_lets_an_app_read_its_own_data_and_nothing_else(sb, gated):
    own = {"Authorization": f"Bearer {sb.app_token('alice', 'notes-app')}"}
    assert gated.get("/data/test.notes/n1", headers=own).json()["v"] == 1
    # a Host header of another instance is replaced, not obeyed
    r = gated.get("/data/test.notes/n1", headers={**own, "Host": "bob.localhost:8080"})
    assert r.json()["v"] == 1
    # another instance's token is refused: the gate pins the instance
    theirs = {"Authorization": f"Bearer {sb.app_token('bob', 'notes-app')}"}
    assert gated.get("/data/test.notes/n1", headers=theirs).status_code in (400, 401, 403)
    for method, path in (("POST", "/auth/register"), ("GET", "/auth/authorize"),
                         ("POST", "/apps/install"), ("GET", "/"), ("GET", "/browse/"),
                         ("GET", "/apps/install"), ("GET", "/data/../browse/")):
        r = gated.request(method, path, headers=own)
        assert r.status_code == 403, (method, path)
        assert "data API" in r.json()["error"]


def test_a_planted_link_in_place_of_the_app_socket_is_refused(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    target = tmp_path / "precious.sock"
    with socket.socket(socket.AF_UNIX) as srv:
        srv.bind(str(target))
        srv.listen()
        os.symlink(target, d / "app.sock")
        with pytest.raises(UnsafeSocket, match="not a socket"), app_socket(str(d)):
            pass
        os.unlink(d / "app.sock")
        (d / "app.sock").write_text("a file")
        with pytest.raises(UnsafeSocket), app_socket(str(d)):
            pass
        os.unlink(d / "app.sock")
        with pytest.raises(UnsafeSocket, match="not opened"), app_socket(str(d)):
            pass
        srv2 = socket.socket(socket.AF_UNIX)
        srv2.bind(str(d / "app.sock"))
        srv2.listen()
        with app_socket(str(d)) as path, socket.socket(socket.AF_UNIX) as c:
            c.connect(path)  # the real socket is reached
        srv2.close()


def test_cors_answers_apps_on_the_api_only(client, alice):
    origin = "http://notes.alice.localhost:8080"
    api = client.get("/status/", headers={"Host": "alice.localhost:8080", "Origin": origin})
    assert api.headers["access-control-allow-origin"] == origin
    page = client.get("/", headers={"Host": "alice.localhost:8080", "Origin": origin})
    assert "access-control-allow-origin" not in page.headers
    pre = client.options("/browse/", headers={"Host": "alice.localhost:8080", "Origin": origin,
                                              "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in pre.headers


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "http://notes.alice.localhost:8080"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_forms_that_change_the_cloud_come_from_its_own_pages(client, alice, headers):
    host = {"Host": "alice.localhost:8080"}
    for path, data in (("/apps/install", {"slug": "x", "decision": "accept"}),
                       ("/apps/x/uninstall", {}),
                       ("/auth/authorize", {"decision": "accept"})):
        r = client.post(path, data=data, headers={**host, **headers})
        assert r.status_code == 403, (path, headers)
    own = client.post("/apps/x/uninstall", headers={**host,
                                                    "Origin": "http://alice.localhost:8080",
                                                    "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 404  # allowed through; there is simply no such app


def test_an_uninstall_or_reinstall_kills_older_tokens_at_once(sb, client, alice):
    alice.put("/data/test.notes/n1", {"v": 1})
    install_row(sb, "alice", "notes-app")
    old = {"Authorization": f"Bearer {sb.app_token('alice', 'notes-app')}"}
    assert client.get("/data/test.notes/n1", headers=old).status_code == 200
    install_row(sb, "alice", "notes-app")  # reinstalled, in the same second
    assert client.get("/data/test.notes/n1", headers=old).status_code in (400, 401)
    new = {"Authorization": f"Bearer {sb.app_token('alice', 'notes-app')}"}
    assert client.get("/data/test.notes/n1", headers=new).status_code == 200
