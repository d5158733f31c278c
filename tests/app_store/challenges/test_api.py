"""Challenges over the API without a container engine: definitions (4xx with every problem),
the organiser's controls, drafts kept to organisers, entries and quotas, and the hidden seed
in no answer."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app_store.tables import challenges as challenges_table
from app_store.tables import submissions
from tests.support.apps import manifest
from tests.support.store import NO_ENGINE, awaiting_review, make_store

LEAKS = {"key": "leaks", "title": "Find the leaks", "kind": "event-detection",
         "event_kinds": ["leak"], "quota_per_day": 2}
FINDINGS = {"type": "fr.hackathon.leak_finder.findings", "verbs": ["GET", "POST"]}


@pytest.fixture
def store(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as harness:
        yield harness


def hidden_seed(store) -> str:
    with store.store.db.read() as conn:
        return str(conn.execute(sa.select(challenges_table.c.hidden_seed)).scalar())


def entrant(store, version: str = "1.0.0", slug: str = "leak-finder") -> int:
    m = manifest(slug=slug, version=version, permissions={"findings": FINDINGS})
    sid = awaiting_review(store.store, store.tokens["Blue"], m, None, b"x" * 10)
    with store.store.db.write() as conn:
        conn.execute(submissions.update().where(submissions.c.id == sid).values(
            image_id="sha256:test"))
    return sid


def test_organisers_define_challenges_and_bad_ones_get_every_problem(store):
    r = store.post("/api/challenges", json={"key": "X", "kind": "guess", "hidden_seed": 5},
                   headers=store.auth("Org"))
    assert r.status_code == 400
    assert {p["path"] for p in r.json()["problems"]} >= {"key", "title", "kind", "hidden_seed"}
    r = store.post("/api/challenges", json=LEAKS, headers=store.auth("Blue"))
    assert r.status_code == 403
    r = store.post("/api/challenges", json=LEAKS, headers=store.auth("Org"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "draft" and body["schema"]["required"] == ["event", "start", "end"]
    assert store.post("/api/challenges", json=LEAKS,
                      headers=store.auth("Org")).status_code == 409


def test_drafts_are_the_organisers_and_the_controls_follow_their_order(store):
    store.post("/api/challenges", json=LEAKS, headers=store.auth("Org"))
    assert store.get("/api/challenges/leaks").status_code == 404
    assert store.get("/api/challenges").json()["data"] == []
    assert store.post("/api/challenges/leaks/reveal",
                      headers=store.auth("Org")).status_code == 409
    assert store.post("/api/challenges/leaks/open",
                      headers=store.auth("Blue")).status_code == 403
    assert store.post("/api/challenges/leaks/open",
                      headers=store.auth("Org")).json()["state"] == "open"
    assert store.get("/api/challenges/leaks/schema").json()["properties"]["event"]
    assert [c["key"] for c in store.get("/api/challenges").json()["data"]] == ["leaks"]
    assert store.get("/api/challenges", params={"kind": "forecast"}).json()["data"] == []
    assert store.get("/api/challenges", params={"kind": "guess"}).status_code == 400
    r = store.get("/api/challenges/leaks/leaderboard", params={"board": "private"})
    assert r.status_code == 403
    store.post("/api/challenges/leaks/close", headers=store.auth("Org"))
    assert store.get("/api/challenges/leaks/leaderboard", params={"board": "private"},
                     headers=store.auth("Org")).status_code == 200
    assert store.get("/api/challenges/leaks/leaderboard", params={"board": "private"},
                     headers=store.auth("Blue")).status_code == 403
    store.post("/api/challenges/leaks/reveal", headers=store.auth("Org"))
    assert store.get("/api/challenges/leaks/leaderboard",
                     params={"board": "private"}).status_code == 200
    r = store.put("/api/challenges/leaks", json=LEAKS, headers=store.auth("Org"))
    assert r.status_code == 409


def test_a_passing_submission_is_entered_within_the_daily_quota(store):
    ch = store.store.challenges
    store.post("/api/challenges", json=LEAKS, headers=store.auth("Org"))
    first = entrant(store)
    assert ch.enter_all(first) == []             # a draft takes no entries
    store.post("/api/challenges/leaks/open", headers=store.auth("Org"))
    runs = [ch.enter_all(entrant(store, f"1.0.{i}")) for i in range(1, 4)]
    states = [ch.run_row(r[0]).state for r in runs]
    assert states == ["queued", "queued", "over-quota"]
    other = manifest(slug="my-calls")
    sid = awaiting_review(store.store, store.tokens["Blue"], other, None, b"y")
    assert ch.enter_all(sid) == []               # it cannot write the findings
    r = store.post("/api/challenges/leaks/entries", json={"submission": sid},
                   headers=store.auth("Blue"))
    assert r.status_code == 409 and "smoke run" in r.json()["error"]
    r = store.post("/api/challenges/leaks/entries", json={"submission": first},
                   headers=store.auth("Red"))
    assert r.status_code == 404                  # another team's submission is none of yours
    r = store.get("/api/challenges/leaks/runs", headers=store.auth("Blue"))
    assert [x["state"] for x in r.json()["data"]] == ["over-quota", "queued", "queued"]
    assert store.get("/api/challenges/leaks/runs", headers=store.auth("Red")).json()["data"] == []


def test_the_hidden_seed_is_in_no_answer(store):
    store.post("/api/challenges", json=LEAKS, headers=store.auth("Org"))
    store.post("/api/challenges/leaks/open", headers=store.auth("Org"))
    seed = hidden_seed(store)
    assert len(seed) >= 6
    for who in ("Org", "Blue", None):
        headers = store.auth(who) if who else {}
        for path in ("/api/challenges", "/api/challenges/leaks",
                     "/api/challenges/leaks/schema", "/api/challenges/leaks/leaderboard",
                     "/openapi.json"):
            assert seed not in store.get(path, headers=headers).text, (who, path)
