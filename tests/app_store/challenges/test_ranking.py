"""The final ranking: judges' and challenges' scores brought to 0..1 and combined with the
organisers' weights; leaderboards from stored runs (no engine: results recorded directly);
CSV export; the private part only once revealed."""

from __future__ import annotations

import csv
import io

import pytest

from app_store.challenges import households as hs
from app_store.challenges.ranking import Part, combine, normalise, to_csv
from tests.app_store.challenges.test_api import LEAKS, entrant
from tests.support.apps import manifest
from tests.support.store import NO_ENGINE, approve_directly, make_store


def test_parts_are_normalised_then_weighted():
    judges = Part("judges", 1, {"a": 5.0, "b": 3.0})
    leaks = Part("leaks", 3, {"a": 0.2, "b": 0.8})
    fc = Part("fc", 1, {"b": 150.0}, higher_is_better=False, percent=True)
    assert normalise(judges, 3.0) == 0.5 and normalise(fc, 150.0) == 0.0
    assert normalise(Part("fc", 1, {}, percent=True), 20.0) == pytest.approx(0.8)
    assert normalise(Part("tariff", 1, {}, higher_is_better=False, euros=True), 100) == 0.5
    rows = combine([judges, leaks, fc], {"a": "Blue", "b": "Red", "c": "Green"})
    assert [(r.app, r.rank) for r in rows] == [("b", 1), ("a", 2)]
    assert rows[0].total == pytest.approx((0.5 + 3 * 0.8 + 0) / 5)
    assert rows[1].parts == {"judges": 1.0, "leaks": 0.2, "fc": 0.0}   # not entered: 0
    text = to_csv(rows, [judges, leaks, fc])
    assert text.splitlines()[0] == "rank,app,team,total,judges (weight 1.00),leaks (weight " \
                                   "3.00),fc (weight 1.00)"
    assert text.splitlines()[1].startswith("1,b,Red,0.58,0.50,0.80,0.00")


@pytest.fixture
def store(tmp_path):
    with make_store(tmp_path, engine=NO_ENGINE, workers=0) as harness:
        yield harness


def scored_run(store, version: str, found: bool) -> int:
    """A finished run whose every household found (or missed) its one leak."""
    ch = store.store.challenges
    (run_id,) = ch.enter_all(entrant(store, version))
    for h in ch.scoring_households("leaks"):
        truth = [{"event": "leak", "start": "2017-05-01", "end": "2017-05-02"}] if found else []
        result = {"by_kind": {"leak": {"true_positives": int(found), "findings": int(found),
                                       "events": 1}},
                  "baseline": {"leak": {"true_positives": 1, "findings": 12, "events": 1}},
                  "score": float(found)}
        ch.record(run_id, h, ok=True, result=result, error=None, findings=len(truth),
                  out_of_schema=0, refused=[], timings={})
    ch.finish(run_id)
    return run_id


def test_the_final_ranking_combines_judges_and_challenges_and_exports_csv(store):
    org = store.auth("Org")
    store.post("/api/challenges", json={**LEAKS, "weight": 3}, headers=org)
    store.post("/api/challenges/leaks/open", headers=org)
    scored_run(store, "1.0.1", found=False)
    best = scored_run(store, "1.0.2", found=True)
    approve_directly(store, "Blue", manifest(slug="blue-app"))   # Jo is in Red: scores Blue
    store.put("/api/criteria", json={"data": [{"key": "use", "label": "Useful", "weight": 1}]},
              headers=org)
    assert store.post("/api/scores", json={"slug": "blue-app", "scores": {"use": 5}},
                      headers=store.auth("Jo")).status_code == 201
    board = store.get("/api/challenges/leaks/leaderboard").json()["data"]
    assert [(r["app"], r["run"], r["score"]) for r in board] == [("leak-finder", best, 1.0)]
    assert store.get("/api/ranking", headers=store.auth("Blue")).status_code == 403
    r = store.put("/api/ranking/weights", json={"judges": -1}, headers=org)
    assert r.status_code == 400 and r.json()["problems"][0]["path"] == "judges"
    assert store.put("/api/ranking/weights", json={"judges": 1}, headers=org).status_code == 200
    ranking = store.get("/api/ranking", headers=org).json()
    assert ranking["provisional"] is True
    assert [(x["app"], x["total"]) for x in ranking["data"]] == [("leak-finder", 0.75),
                                                                 ("blue-app", 0.25)]
    store.post("/api/challenges/leaks/close", headers=org)
    store.post("/api/challenges/leaks/reveal", headers=org)
    assert store.get("/api/ranking", headers=org).json()["provisional"] is False
    got = store.get("/api/ranking.csv", headers=org)
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [r["app"] for r in rows] == ["leak-finder", "blue-app"]
    assert rows[0]["leaks (weight 3.00)"] == "1.00"


def test_a_team_sees_its_public_households_only(store):
    org = store.auth("Org")
    store.post("/api/challenges", json=LEAKS, headers=org)
    store.post("/api/challenges/leaks/open", headers=org)
    run_id = scored_run(store, "1.0.1", found=True)
    mine = store.get(f"/api/challenges/leaks/runs/{run_id}", headers=store.auth("Blue")).json()
    assert {h["household"].split("-")[0] for h in mine["households"]} == {hs.PUBLIC}
    assert set(mine["totals"]) == {"public_set", "leaderboard"}
    assert store.get(f"/api/challenges/leaks/runs/{run_id}",
                     headers=store.auth("Red")).status_code == 403
    everything = store.get(f"/api/challenges/leaks/runs/{run_id}", headers=org).json()
    assert set(everything["totals"]) == {"public_set", "leaderboard"}   # private: after close
