"""Scoring runs on a real Docker engine: leak-watch (the reference solution) scores above the
trivial baseline on hidden households, a deliberately bad app below it; findings outside the
schema are ignored and counted, malformed findings give each household a clear error, an app
reading a doctype its manifest does not allow is refused and reported; a team sees the
per-household breakdown of the public set only; and the hidden seed is in no log, answer or
page of the run."""

from __future__ import annotations

import logging
import time

import orjson
import pytest
import sqlalchemy as sa

from app_store.challenges.scoring import HOOK
from app_store.tables import challenges as challenges_table
from tests.support.apps import app_files, manifest, tar_gz
from tests.support.challenges import challenge_store
from tests.support.sample_apps import APPS, pack

pytestmark = pytest.mark.docker

LEAKS = {"key": "leaks", "title": "Find the leaks", "kind": "event-detection",
         "event_kinds": ["leak"], "tolerance_days": 2, "public_households": 2,
         "hidden_households": 6, "time_limit_s": 60}


def detector(slug: str, findings: bytes, snoop: bool = False, cheat: bool = False) -> bytes:
    """A stdlib app whose analysis writes ``findings`` (a Python list literal) and, with
    ``snoop``, first tries to read the ground truth, which its manifest does not allow. With
    ``cheat`` its manifest asks for the ground truth and it copies every labelled event it
    can read as a finding."""
    doctype = f"fr.hackathon.{slug.replace('-', '_')}.findings"
    server = b'''
import json, os, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
URL, TOKEN = os.environ["COZY_URL"], os.environ["COZY_TOKEN"]
def call(method, path, body=None):
    req = urllib.request.Request(URL + path, method=method, data=None if body is None else
                                 json.dumps(body).encode(), headers={
                                 "Authorization": "Bearer " + TOKEN,
                                 "Content-Type": "application/json"})
    try:
        return urllib.request.urlopen(req, timeout=20).status
    except urllib.error.HTTPError as e:
        return e.code
def read(path):
    req = urllib.request.Request(URL + path, headers={"Authorization": "Bearer " + TOKEN})
    try:
        rows = json.load(urllib.request.urlopen(req, timeout=20)).get("rows", [])
    except urllib.error.HTTPError:
        return []
    return [r["doc"] for r in rows if r.get("doc") and "kind" in r["doc"]]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if SNOOP:
            call("GET", "/data/org.selfdata.groundtruth.event/_all_docs?include_docs=true")
        if CHEAT:
            for e in read("/data/org.selfdata.groundtruth.event/_all_docs?include_docs=true"):
                call("POST", "/data/" + DOCTYPE + "/", {"event": e["kind"], "start": e["start"],
                                                         "end": e["end"]})
        for f in FINDINGS:
            call("POST", "/data/" + DOCTYPE + "/", f)
        self.send_response(200); self.end_headers(); self.wfile.write(b"done")
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
'''
    head = f"DOCTYPE = {doctype!r}\nSNOOP = {snoop}\nCHEAT = {cheat}\nFINDINGS = ".encode() \
        + findings + b"\n"
    permissions = {"findings": {"type": doctype, "verbs": ["GET", "POST"],
                                "description": "To keep what it finds."}}
    if cheat:
        permissions["truth"] = {"type": "org.selfdata.groundtruth.event", "verbs": ["GET"],
                                "description": "To read the answers."}
    m = manifest(slug=slug, runtime={"type": "python", "command": ["python3", "server.py"],
                                     "health": "/health"}, permissions=permissions)
    return tar_gz(app_files(m, **{"server.py": head + server}))


# Wrong days every time (no leak lasts the first week of the year in these sets), plus one
# finding outside the schema per household.
BAD = b'''[{"event": "leak", "start": "2017-01-01", "end": "2017-01-01"},
           {"event": "leak", "start": "2017-01-05", "end": "2017-01-05"},
           {"event": "leak", "start": "soon", "end": "later"}]'''
MALFORMED = b'''[{"what": "leak", "when": "2017-03-01"}, {"event": 3}]'''




class Logged(logging.Handler):
    """Every log line of the module's run (tracebacks included), to look for the seed in."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("challenges")
    logged, root = Logged(), logging.getLogger()
    level = root.level
    root.addHandler(logged)
    root.setLevel(logging.DEBUG)
    try:
        with challenge_store(folder, LEAKS, scoring_parallel=2) as harness:
            harness.logged = logged
            harness.folder = folder
            yield harness
    finally:
        root.removeHandler(logged)
        root.setLevel(level)


def scored(store, archive: bytes, who: str = "Blue") -> dict:
    """Submit, wait for the smoke run, then for the scoring run it entered by itself."""
    info = store.settle(store.submit(archive, who), who)
    assert info["state"] == "awaiting-review", info["reason"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        runs = [r for r in store.get("/api/challenges/leaks/runs",
                                     headers=store.auth(who)).json()["data"]
                if r["submission"] == info["id"]]
        if runs and runs[0]["state"] in ("done", "failed"):
            return runs[0]
        store.store.wake.wait(0.5)
    raise AssertionError("the scoring run did not finish in 5 minutes")


@pytest.fixture(scope="module")
def reference(store) -> dict:
    return scored(store, pack(APPS / "leak-watch"))


@pytest.fixture(scope="module")
def bad(store) -> dict:
    return scored(store, detector("bad-leaks", BAD, snoop=True), "Red")


def test_the_reference_solution_beats_the_trivial_baseline(reference):
    assert reference["state"] == "done", reference["reason"]
    board = reference["totals"]["leaderboard"]
    assert board["errors"] == 0 and board["households"] == 3
    assert board["score"] > board["baseline"] > 0, board
    assert "private" not in reference["totals"]        # not before the reveal


def test_a_team_sees_its_public_households_one_by_one_and_the_hidden_ones_as_counts(reference):
    rows = reference["households"]
    assert sorted(r["household"] for r in rows) == sorted({r["household"] for r in rows})
    assert len(rows) == 2 and all(r["household"].startswith("public-") for r in rows)
    assert all(r["ok"] and r["result"]["by_kind"]["leak"] for r in rows)
    steps = set(rows[0]["timings"])
    assert steps == {"generate", "instance", "container_start", "analysis", "read_back"}
    assert reference["hidden_households"] == {"scored": 6, "errors": 0, "refused_requests": 0}


def test_a_bad_app_scores_below_the_baseline_with_its_stray_findings_counted(bad, store):
    assert bad["state"] == "done", bad["reason"]
    board = bad["totals"]["leaderboard"]
    assert board["score"] < board["baseline"]
    assert board["out_of_schema"] == 3                 # one per household of the part
    public = bad["households"]
    assert all(r["ok"] and r["findings"] == 3 and r["out_of_schema"] == 1 for r in public)
    assert all("org.selfdata.groundtruth.event" in r["refused"] for r in public)
    assert bad["hidden_households"]["refused_requests"] == 6


def test_malformed_findings_give_each_household_a_clear_error(store):
    run = scored(store, detector("mangled", MALFORMED), "Red")
    assert run["state"] == "done"
    assert run["totals"]["leaderboard"]["errors"] == 3
    assert run["totals"]["leaderboard"]["score"] is None
    for r in run["households"]:
        assert not r["ok"] and r["error"].startswith("malformed findings: none of the 2")


def test_an_app_that_asks_for_the_ground_truth_finds_none_in_a_scoring_household(store):
    run = scored(store, detector("cheater", b"[]", cheat=True), "Red")
    assert run["state"] == "done", run["reason"]
    assert all(r["ok"] and r["findings"] == 0 for r in run["households"])
    assert run["totals"]["leaderboard"]["by_kind"]["leak"]["true_positives"] == 0


def test_the_leaderboard_ranks_the_reference_first_and_the_reveal_shows_the_private_part(
        store, reference, bad):
    rows = store.get("/api/challenges/leaks/leaderboard").json()["data"]
    assert [r["app"] for r in rows][:2] == ["leak-watch", "bad-leaks"]
    store.post("/api/challenges/leaks/close", headers=store.auth("Org"))
    store.post("/api/challenges/leaks/reveal", headers=store.auth("Org"))
    private = store.get("/api/challenges/leaks/leaderboard", params={"board": "private"})
    assert private.status_code == 200 and private.json()["data"][0]["app"] == "leak-watch"
    again = store.get(f"/api/challenges/leaks/runs/{reference['id']}",
                      headers=store.auth("Blue")).json()
    assert again["totals"]["private"]["households"] == 3
    assert all(h["household"].startswith("public-") for h in again["households"])


def test_an_interrupted_run_resumes_where_it_stopped_with_the_same_score(store, reference):
    """As after a restart mid-run: the households it had finished keep their results, the
    others run again, and the same image and seeds give the same totals."""
    ch, run_id = store.store.challenges, reference["id"]
    kept = {(r.set, r.index): r.at for r in ch.results(run_id) if r.set == "public"}
    with store.store.db.write() as conn:
        conn.execute(sa.text("DELETE FROM challenge_results WHERE run_id = :r AND "
                             "\"set\" = 'hidden'"), {"r": run_id})
        conn.execute(sa.text("UPDATE challenge_runs SET state = 'running' WHERE id = :r"),
                     {"r": run_id})
    assert ch.requeue_interrupted() == [run_id]
    deadline = time.monotonic() + 300
    while ch.run_row(run_id).state != "done" and time.monotonic() < deadline:
        store.store.wake.wait(0.5)       # the store's workers take it again
    assert ch.run_row(run_id).state == "done"
    assert {(r.set, r.index): r.at for r in ch.results(run_id) if r.set == "public"} == kept
    again = orjson.loads(ch.run_row(run_id).totals)
    assert again["leaderboard"] == reference["totals"]["leaderboard"]


def test_the_hidden_seed_is_in_no_log_answer_or_page(store, reference, bad):
    with store.store.db.read() as conn:
        seed = str(conn.execute(sa.select(challenges_table.c.hidden_seed)).scalar())
    said = [store.get(p, headers=store.auth(who)).text
            for who in ("Org", "Blue", "Red")
            for p in ("/api/challenges", "/api/challenges/leaks", "/api/challenges/leaks/runs",
                      "/api/challenges/leaks/leaderboard", "/api/submissions")]
    for sub in store.get("/api/submissions", headers=store.auth("Org")).json()["data"]:
        said.append(store.get(f"/api/submissions/{sub['id']}",
                              headers=store.auth("Org")).text)
    for who in ("Org", "Blue", "Red", None):
        store.cookies.clear()
        if who:
            store.cookies.set("selfdata_store_token", store.tokens[who])
        for p in ("/challenges", "/challenges/leaks", "/team", "/organiser", "/"):
            said.append(store.get(p).text)
    store.cookies.clear()
    assert len(said) > 30 and not [s for s in said if seed in s]
    assert store.logged.lines and not [line for line in store.logged.lines if seed in line]
    for path in store.folder.rglob("*"):
        if path.is_file() and path.suffix not in (".db", ".db-wal", ".db-shm"):
            assert seed.encode() not in path.read_bytes(), path
    farm = store.store.farm
    images = farm.engine.images(farm.label)
    assert images
    for image_id in images:                 # the apps' images: labels, environment, history
        image = farm.engine.client.images.get(image_id)
        assert seed not in orjson.dumps([image.attrs, image.history()]).decode(), image_id
    assert HOOK == "/selfdata/challenge"
