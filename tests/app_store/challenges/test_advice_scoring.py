"""An advice challenge end to end on a real Docker engine: energy-coach (the reference
solution) prices the household's own curve under each option and advises the cheapest; it
loses fewer euros against the true cheapest option than keeping the option in force (the
baseline), and an app that always advises HP/HC loses more."""

from __future__ import annotations

import time

import pytest

from tests.app_store.challenges.test_scoring import detector
from tests.support.challenges import challenge_store
from tests.support.sample_apps import APPS, pack

pytestmark = pytest.mark.docker

ADVICE = {"key": "tariff", "title": "The cheapest option", "kind": "advice",
          "public_households": 1, "hidden_households": 2, "time_limit_s": 120}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    # the hidden seed fixed: its leaderboard household is on Base
    with challenge_store(tmp_path_factory.mktemp("advice"), ADVICE) as harness:
        yield harness


def scored(store, archive: bytes, who: str) -> dict:
    info = store.settle(store.submit(archive, who), who, timeout=400)
    assert info["state"] == "awaiting-review", info["reason"]
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        runs = store.get("/api/challenges/tariff/runs", headers=store.auth(who)).json()
        if runs["data"] and runs["data"][0]["state"] in ("done", "failed"):
            return runs["data"][0]
        store.store.wake.wait(0.5)
    raise AssertionError("the scoring run did not finish")


def test_energy_coach_beats_keeping_the_option_and_a_fixed_advice_does_not(store):
    coach = scored(store, pack(APPS / "energy-coach"), "Blue")
    assert coach["state"] == "done", coach["reason"]
    board = coach["totals"]["leaderboard"]
    assert board["errors"] == 0 and board["score"] < board["baseline"], board
    (public,) = coach["households"]
    assert public["result"]["advised"] in ("Base", "HPHC", "Tempo")
    fixed = scored(store, detector("always-hphc", b'[{"option": "HPHC"}]'), "Red")
    fixed_board = fixed["totals"]["leaderboard"]
    assert fixed_board["score"] > fixed_board["baseline"], fixed_board
    rows = store.get("/api/challenges/tariff/leaderboard").json()["data"]
    assert [r["app"] for r in rows] == ["energy-coach", "always-hphc"]
