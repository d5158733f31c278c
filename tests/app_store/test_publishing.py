"""The registry's write route as cozy-app-publish calls it (``POST /registry/:slug``), with the
registry's answers; the downloaded build goes through the same pipeline as selfdata submit.
The real tool runs against a live store in tests/app_store/test_publish_with_cozy_tool.py."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time

import pytest

from app_store.errors import Unprocessable
from app_store.publishing import download
from tests.support.apps import app_files, manifest, tar_gz
from tests.support.build_server import build_server
from tests.support.store import NO_ENGINE, approve_directly, make_store

APP = tar_gz(app_files())                         # my-calls 1.0.0, editor Team Blue
SHA = hashlib.sha256(APP).hexdigest()
NEWER = tar_gz(app_files(manifest(version="1.1.0")))
NEWER_SHA = hashlib.sha256(NEWER).hexdigest()


@pytest.fixture
def store(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=1, max_upload_bytes=4 << 20) as s:
        yield s


@pytest.fixture
def builds():
    with build_server({"/app.tar.gz": APP, "/newer.tar.gz": NEWER}) as (url, sent):
        yield url, sent


def publish(store, who: str, body: dict, slug: str = "my-calls", **headers):
    token = store.tokens.get(who, who)
    return store.post(f"/registry/{slug}", json=body, headers={
        "Authorization": f"Token {token}", **headers})


def body(url: str, path: str = "/app.tar.gz", version: str = "1.0.0", sha: str = SHA) -> dict:
    # what cozy-app-publish sends: editor and type too, which the registry ignores
    return {"editor": "Team Blue", "version": version, "url": url + path, "sha256": sha,
            "type": "webapp"}


def test_a_published_version_is_a_submission_that_passes_its_checks(store, builds):
    url, sent = builds
    r = publish(store, "Blue", body(url))
    assert r.status_code == 201, r.text
    v = r.json()
    assert (v["slug"], v["version"], v["sha256"], v["size"]) == ("my-calls", "1.0.0", SHA,
                                                                 str(len(APP)))
    assert v["manifest"]["slug"] == "my-calls" and v["url"].endswith("/tarball/"
                                                                    "my-calls-1.0.0.tar.gz")
    assert sent == ["/app.tar.gz"]
    info = store.settle(v["selfdata"]["submission"])
    assert info["slug"] == "my-calls" and info["version"] == "1.0.0"
    assert info["checks"]["accepted"], info["checks"]
    # checks passed; without an engine here, it stops at the build
    assert [x["state"] for x in info["history"]][:3] == ["queued", "checking", "building"]
    listed = store.get("/api/submissions", headers=store.auth("Blue")).json()["data"]
    assert [s["id"] for s in listed] == [v["selfdata"]["submission"]]


def test_a_leading_v_is_stripped_and_versions_only_go_up(store, builds):
    url, _ = builds
    r = publish(store, "Blue", body(url, version="v1.0.0"))
    assert r.status_code == 201 and r.json()["version"] == "1.0.0"
    approve_directly(store, "Blue", manifest(version="1.1.0"))
    again = publish(store, "Blue", body(url, "/newer.tar.gz", "1.1.0", NEWER_SHA))
    assert again.status_code == 409 and "Version already exists" in again.json()["error"]
    lower = publish(store, "Blue", body(url))
    assert lower.status_code == 409 and "versions only go up" in lower.json()["error"]


@pytest.mark.parametrize(("who", "header", "message"), [
    ("sd_t_not-a-token-of-this-store", None, "Token could not be verified"),
    ("Org", None, "a team publishes its apps"),
    ("Blue", "Bearer", None),                       # accepted as well
    ("Blue", "Basic", "Missing prefix from authorization header"),
])
def test_wrong_tokens_get_the_registrys_401(store, builds, who, header, message):
    url, sent = builds
    token = store.tokens.get(who, who)
    r = store.post("/registry/my-calls", json=body(url), headers={
        "Authorization": f"{header or 'Token'} {token}"})
    if message is None:
        assert r.status_code == 201
        return
    assert r.status_code == 401 and message in r.json()["error"]
    assert sent == []                                # nothing downloaded for a stranger
    assert store.get("/api/submissions", headers=store.auth("Org")).json()["data"] == []


def test_another_teams_slug_is_refused_before_anything_is_downloaded(store, builds):
    url, sent = builds
    approve_directly(store, "Blue", manifest(version="0.9.0"))
    r = publish(store, "Red", body(url))
    assert r.status_code == 401 and "belongs to another team" in r.json()["error"]
    assert sent == []


@pytest.mark.parametrize("target", [
    "https://example.com/app.tar.gz", "http://192.0.2.1/app.tar.gz",
    "http://169.254.169.254/latest/meta-data", "file:///etc/passwd",
    "http://127.0.0.1.nip.io/app.tar.gz", "http://user:pw@127.0.0.1/app.tar.gz",
    "ftp://127.0.0.1/app.tar.gz", "http://[::ffff:10.0.0.1]/app.tar.gz", "not a url",
])
def test_a_build_url_off_this_machine_is_refused_with_a_clear_400(store, target):
    r = publish(store, "Blue", {"version": "1.0.0", "url": target, "sha256": SHA})
    assert r.status_code == 400
    (problem,) = r.json()["problems"]
    assert problem["path"] == "url"
    assert "this machine only" in problem["message"] or "not a URL" in problem["message"]


def test_a_url_serving_a_gigabyte_is_cut_at_the_upload_limit(store, builds):
    url, _ = builds
    started = time.monotonic()
    r = publish(store, "Blue", body(url, "/huge.tar.gz"))
    assert r.status_code == 422 and "larger than max allowed" in r.json()["error"]
    assert time.monotonic() - started < 30
    assert store.get("/api/submissions", headers=store.auth("Org")).json()["data"] == []


@pytest.mark.parametrize(("path", "over", "status", "message"), [
    ("/missing.tar.gz", {}, 422, "server responded with code 404"),
    ("/elsewhere.tar.gz", {}, 422, "server responded with code 302"),
    ("/app.tar.gz", {"sha256": "0" * 64}, 422, "Checksum does not match"),
    ("/app.tar.gz", {"version": "2.0.0"}, 422, "Content of the manifest does not match"),
    ("/app.tar.gz", {"sha256": "xyz"}, 400, "Invalid version: sha256"),
    ("/app.tar.gz", {"version": None}, 400, "Invalid version: version"),
])
def test_bad_builds_get_the_registrys_answers(store, builds, path, over, status, message):
    url, _ = builds
    r = publish(store, "Blue", {**body(url, path), **over})
    assert r.status_code == status and message in r.json()["error"], r.text
    assert store.get("/api/submissions", headers=store.auth("Org")).json()["data"] == []


def test_a_slug_that_is_not_the_manifests_is_refused(store, builds):
    url, _ = builds
    r = publish(store, "Blue", body(url), slug="other-app")
    assert r.status_code == 422 and "'my-calls'" in r.json()["error"]


def test_the_body_must_be_small_json(store):
    auth = {"Authorization": f"Token {store.tokens['Blue']}"}
    r = store.post("/registry/my-calls", content=b"version=1", headers={
        **auth, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    r = store.post("/registry/my-calls", content=b"{" + b" " * 200_000 + b"}", headers={
        **auth, "Content-Type": "application/json"})
    assert r.status_code == 413
    r = store.post("/registry/my-calls", content=b"[1]", headers={
        **auth, "Content-Type": "application/json"})
    assert r.status_code == 400


def test_a_server_trickling_its_headers_is_cut_at_the_deadline():
    """Each byte within the read timeout, the headers never end: the deadline counts from the
    start, not from the body, so a team cannot hold a store worker for hours."""
    stop = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as srv:
        srv.settimeout(5)

        def trickle() -> None:
            with contextlib.suppress(OSError):
                conn, _ = srv.accept()
                with conn:
                    conn.recv(4096)
                    for byte in b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 40:  # 8 s, then hangs up
                        if stop.wait(0.2):
                            return
                        conn.sendall(bytes([byte]))

        server = threading.Thread(target=trickle, daemon=True)
        server.start()
        started = time.monotonic()
        try:
            with pytest.raises(Unprocessable, match="took more than 1 s"):
                download(f"http://127.0.0.1:{srv.getsockname()[1]}/app.tar.gz", 1 << 20,
                         seconds=1)
            assert time.monotonic() - started < 5
        finally:
            stop.set()
            server.join(10)
