"""The whole pipeline on a real Docker engine: check, offline build, locked-down smoke run,
review, registry; and the hostile runtime corpus, each failing with the right check id while
the store stays healthy and loses nothing."""

from __future__ import annotations

import hashlib
import tempfile

import orjson
import pytest
from click.testing import CliRunner

from app_store import accounts, pipeline
from app_store.checks import RUNTIME_CHECK_IDS
from app_store.cli import submit as submit_cmd
from sandbox.runtime.engine import RunSpec
from tests.support import docker
from tests.support.apps import PY_RUNTIME, SERVER, app_files, manifest, python_app, tar_gz
from tests.support.served import Served
from tests.support.store import make_store

pytestmark = pytest.mark.docker


def hostile(slug: str, body: bytes) -> bytes:
    """A stdlib-only app whose start does ``body`` before serving its health route."""
    server = body + b'''
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        code = 200 if self.path == "/health" else globals().get("PAGE_STATUS", 200)
        self.send_response(code); self.end_headers(); self.wfile.write(b"ok")
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
'''
    m = manifest(slug=slug, runtime={"type": "python", "command": ["python3", "server.py"],
                                     "health": "/health"})
    return tar_gz(app_files(m, **{"server.py": server}))


HOSTILE_RUNTIME = {
    "fork-bomb": (b"import os\nwhile True:\n    os.fork()\n", "runtime.crashed", ""),
    "memory-fill": (b"hog = []\nwhile True:\n    hog.append(bytearray(8 << 20))\n",
                    "runtime.out_of_memory", ""),
    "no-health": (b"import time\ntime.sleep(3600)\n", "runtime.no_health", ""),
    "network-try": (b"import socket\nsocket.create_connection(('10.0.0.1', 80), timeout=3)\n",
                    "runtime.crashed", "unreachable"),
    "write-outside": (b"open('/app/stolen.txt', 'w').write('x')\n", "runtime.crashed",
                      "Read-only file system"),
    "broken-page": (b"PAGE_STATUS = 500\n", "runtime.page_error", ""),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    docker.base_image()  # built once, before the clock of any test starts
    with make_store(tmp_path_factory.mktemp("store"), health_timeout_s=12,
                    public_url="http://store.test") as harness:
        yield harness
        harness.store.farm.forget_images()


def check_ids(info: dict) -> set[str]:
    return {p["check"] for p in (info["checks"] or {}).get("problems", [])}


@pytest.fixture(scope="module")
def python_sub(store) -> dict:
    return store.settle(store.submit(python_app("py-calls")))


def test_a_python_app_is_checked_built_offline_and_smoke_run(python_sub):
    info = python_sub
    assert info["state"] == "awaiting-review", info["reason"]
    assert [h["state"] for h in info["history"]] == [
        "queued", "checking", "building", "smoke-testing", "awaiting-review"]
    assert "hash-pinned wheels" in info["build_log"] and "--hash=sha256:" in info["build_log"]
    assert "httpx==0.28.1" in info["build_log"]
    smoke = info["smoke"]
    assert smoke["ok"] and smoke["page_status"] == 200
    assert smoke["read"] == ["fr.orange.phonecommunicationlog"]
    # the request outside its permissions was refused and reported, as a warning
    assert any("fr.orange.geopoint" in r for r in smoke["refused"])
    assert "runtime.outside_permissions" in check_ids(info)


def test_the_image_is_labelled_and_runs_locked_down(store, python_sub):
    eng = docker.engine()
    labels = eng.image_labels(python_sub["image_id"])
    assert labels["selfdata.app"] == "py-calls" and labels["selfdata.version"] == "1.0.0"
    assert labels["selfdata.sha256"] == python_sub["sha256"]
    cid = eng.start(RunSpec(image=python_sub["image_id"], env={"PORT": "8000"},
                            sock_dir=tempfile.mkdtemp(prefix="sd-", dir="/tmp")))
    try:
        attrs = eng.client.api.inspect_container(cid)
        host, cfg = attrs["HostConfig"], attrs["Config"]
        assert cfg["User"] == "10001:10001"
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
        assert "no-new-privileges:true" in host["SecurityOpt"]
        assert host["NetworkMode"] == "none"
        assert host["Privileged"] is False
        assert host["Memory"] == 256 << 20 and host["MemorySwap"] == 256 << 20
        assert host["PidsLimit"] == 64 and host["NanoCpus"] == 500_000_000
        assert "/tmp" in host["Tmpfs"]
    finally:
        eng.remove(cid)


def test_review_then_registry_lists_the_release(store, python_sub):
    sid = python_sub["id"]
    r = store.post(f"/api/submissions/{sid}/review", json={"decision": "reject"},
                   headers=store.auth("Org"))
    assert r.status_code == 400 and "reason" in r.json()["error"]
    r = store.post(f"/api/submissions/{sid}/review", json={"decision": "approve"},
                   headers=store.auth("Blue"))
    assert r.status_code == 403
    r = store.post(f"/api/submissions/{sid}/review", json={"decision": "approve"},
                   headers=store.auth("Org"))
    assert r.status_code == 200 and r.json()["state"] == "approved"
    app = store.get("/registry/py-calls").json()
    assert app["versions"]["stable"] == ["1.0.0"]
    latest = store.get("/registry/py-calls/stable/latest").json()
    assert latest["sha256"] == python_sub["sha256"] and latest["size"] == str(python_sub["size"])
    assert latest["selfdata"]["image"] == python_sub["image_id"]
    assert latest["url"].startswith("http://store.test/registry/py-calls/1.0.0/tarball/")
    tarball = store.get("/registry/py-calls/1.0.0/tarball/x.tar.gz")
    assert hashlib.sha256(tarball.content).hexdigest() == python_sub["sha256"]
    assert store.get("/registry/py-calls", headers={"Accept": "text/html"}).status_code == 406


def test_versions_only_go_up_and_slugs_belong_to_their_team(store, python_sub):
    same = store.settle(store.submit(python_app("py-calls")))
    assert same["state"] == "failed" and "manifest.version" in check_ids(same)
    theirs = store.settle(store.submit(python_app("py-calls", version="2.0.0"), who="Red"),
                          who="Red")
    assert theirs["state"] == "failed" and "manifest.slug" in check_ids(theirs)
    # a team sees only its own submissions
    r = store.get(f"/api/submissions/{python_sub['id']}", headers=store.auth("Red"))
    assert r.status_code == 403


def test_unresolvable_requirements_fail_the_build_with_their_id(store):
    info = store.settle(store.submit(python_app(
        "bad-reqs", requirements=b"no-such-package-selfdata==9.9.9\n")))
    assert info["state"] == "failed" and "build.requirements" in check_ids(info)


def test_hostile_runtime_corpus_fails_each_case_and_the_store_stays_healthy(store):
    ids = {name: store.submit(hostile(name, body)) for name, (body, _, _) in
           HOSTILE_RUNTIME.items()}
    for name, (_, expected, in_logs) in HOSTILE_RUNTIME.items():
        info = store.settle(ids[name])
        assert info["state"] == "failed", (name, info["state"])
        assert expected in check_ids(info), (name, check_ids(info), info["smoke"])
        assert in_logs in info["smoke"]["logs"], (name, info["smoke"]["logs"][-500:])
    assert store.get("/status").json()["status"] == "ok"
    # nothing was lost: every upload is still listed, with its history
    listed = {s["id"] for s in store.get("/api/submissions", headers=store.auth("Blue"))
              .json()["data"]}
    assert set(ids.values()) <= listed
    # and no container of these runs is left behind
    owner = store.store.farm.owner
    assert docker.engine().containers(f"selfdata.owner={owner}") == []


def test_a_restart_resumes_queued_and_interrupted_work(tmp_path):
    docker.base_image()
    with make_store(tmp_path, workers=0, health_timeout_s=12) as first:
        st = first.store
        team, _ = accounts.create(st.db, "Green", "team")
        a = st.submissions.submit(team, hostile("resumed-a", b""), "a.tar.gz")
        b = st.submissions.submit(team, hostile("resumed-b", b""), "b.tar.gz")
        assert pipeline.claim(st.db) == a  # a worker took it, then the store stopped
    with make_store(tmp_path, workers=1, health_timeout_s=12, people={}) as second:
        _, second.tokens["Org"] = accounts.create(second.store.db, "Org2", "organiser")
        for sid in (a, b):
            info = second.settle(sid, who="Org", timeout=120)
            assert info["state"] == "awaiting-review", info["reason"]
        hist = second.as_("Org").submission(a)["history"]
        assert "resumed after a store restart" in [h["detail"] for h in hist]
        assert second.store.farm.forget_images() == 2


def test_selfdata_submit_packs_uploads_and_follows(store, tmp_path):
    app_dir = tmp_path / "cli-app"
    app_dir.mkdir()
    m = manifest(slug="cli-app")
    for name, data in app_files(m).items():
        (app_dir / name).write_bytes(data)
    # what `npm install` leaves in the folder (the tutorial's step 3) stays out, and is named
    (app_dir / "node_modules" / "x").mkdir(parents=True)
    (app_dir / "node_modules" / "x" / "index.js").write_text("fetch('https://x.example.org')")
    (app_dir / "package-lock.json").write_text('{"resolved": "https://registry.npmjs.org/x"}')
    with Served(store.app, lifespan="off") as served:
        res = CliRunner().invoke(submit_cmd, [str(app_dir), "--store", served.url, "--token",
                                              store.tokens["Blue"]])
    assert res.exit_code == 0, res.output
    assert "awaiting-review" in res.output and "queued" in res.output
    assert "Left out of the archive: node_modules/ (1 file), package-lock.json" in res.output
    assert "[warning]" not in res.output and "[error]" not in res.output
    bad = CliRunner().invoke(submit_cmd, [str(tmp_path), "--store", "http://x", "--token", "t"])
    assert bad.exit_code == 2 and "no manifest.webapp" in bad.output


def test_a_build_past_its_time_limit_is_stopped_and_reported(tmp_path):
    docker.base_image()
    with make_store(tmp_path, workers=1, build_timeout_s=0.2) as store:
        info = store.settle(store.submit(python_app("slow-build")))
    assert info["state"] == "failed" and "build.failed" in check_ids(info)
    assert "longer than" in info["build_log"]


def test_every_runtime_check_id_is_covered_here():
    covered = {e for _, e, _ in HOSTILE_RUNTIME.values()} | {
        "runtime.outside_permissions", "build.requirements", "build.failed"}
    assert set(RUNTIME_CHECK_IDS) == covered


def test_reports_are_json(python_sub):
    assert orjson.loads(orjson.dumps(python_sub))["checks"]["accepted"] is True


def test_the_review_page_flags_a_permission_the_real_smoke_run_never_saw_used(store):
    m = manifest(slug="py-greedy", runtime=PY_RUNTIME, permissions={
        "calls": {"type": "fr.orange.phonecommunicationlog", "verbs": ["GET"],
                  "description": "count your calls"},
        "bills": {"type": "io.cozy.bills", "description": "all of them, just in case"}})
    data = tar_gz(app_files(m, **{"server.py": SERVER, "requirements.txt": b"httpx==0.28.1\n"}))
    sid = store.submit(data)
    info = store.settle(sid)
    assert info["state"] == "awaiting-review", info["checks"]
    assert "it read 1 kind of data: your phone calls" in info["history"][-1]["detail"]
    store.cookies.set("selfdata_store_token", store.tokens["Org"])
    try:
        html = store.get(f"/submissions/{sid}").text
    finally:
        store.cookies.clear()
    unused = [row for row in html.split("<tr") if 'class="unused"' in row]
    assert len(unused) == 1 and "your bills" in unused[0] and "never used" in unused[0]
    assert "1 permission never used in the smoke run" in html
    assert "During the smoke run it read: your phone calls and text messages (Orange)" in html
