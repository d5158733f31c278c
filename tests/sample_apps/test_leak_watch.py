"""Leak watch: the detector on generated households, scored against the generator's ground
truth, and the app live against a sandbox."""

from __future__ import annotations

import json

import orjson
import pytest

from tests.support.households import first_index, household
from tests.support.sample_apps import APPS, docs, get, load_module, manifest_of, running_app

lw = load_module("leak-watch", "analysis")
scoring = load_module("leak-watch", "scoring")

WATER = "org.fing.mesinfos.consumptionstatement"
FINDINGS = "fr.hackathon.leak_watch.findings"
TRUTH = "org.selfdata.groundtruth.event"


def _leaks_of(tl) -> list:
    return [e for e in tl.events if e.kind == "leak"]


def _running_toilet_in_february(hh, tl) -> bool:
    """Its one leak is a running toilet that starts in February."""
    found = _leaks_of(tl)
    return len(found) == 1 and found[0].details["kind"] == "toilet_flapper" and \
        found[0].start.month == 2


LEAKY = first_index(_running_toilet_in_february)
DRY = first_index(lambda hh, tl: not _leaks_of(tl))  # no leak all year
POPULATION = 30
# Floors on households 0-29 of the test seed (the benchmark on 500 households of seed 42, unseen
# while tuning, is benchmarks/leak_watch_score.py's output); they leave room for one miss or one
# false alarm among a handful of leaks, no more.
MIN_PRECISION = 0.85
MIN_RECALL = 0.8


def water(index: int) -> list[dict]:
    return docs(index, WATER, statementCategory="eau")


def leaks(index: int) -> list[dict]:
    return docs(index, TRUTH, kind="leak")


def test_finds_the_leak_of_a_leaky_household() -> None:
    truth = leaks(LEAKY)
    assert truth, "the chosen household should have a leak"
    found = [f for f in lw.detect(water(LEAKY)) if f.is_leak]
    assert found
    assert scoring.match(found, truth) == (len(found), len(found), len(truth), len(truth))
    f = found[0]
    assert f.flow_lph == pytest.approx(truth[0]["details"]["flow_lph"], rel=0.35)
    assert f.litres_lost > 0 and f.evidence


def test_no_leak_in_a_household_without_one() -> None:
    assert not leaks(DRY)
    assert [f for f in lw.detect(water(DRY)) if f.is_leak] == []


def test_reads_only_water_statements_and_tolerates_gaps() -> None:
    docs_ = water(LEAKY)
    noise = [{"statementCategory": "gazpar", "period": "2024-02-21", "value": 99999,
              "unit": "kWh"}]
    first, litres = lw.daily_series(docs_ + noise)
    assert str(first) == "2024-01-01" and len(litres) == 366
    holey = [d for d in docs_ if not d["period"].startswith("2024-06")]
    first, litres = lw.daily_series(holey)
    assert len(litres) == 366 and litres[160] is None
    assert [f.start for f in lw.detect(holey) if f.is_leak] == \
        [f.start for f in lw.detect(docs_) if f.is_leak]
    assert lw.detect([]) == []


def test_a_finding_is_a_json_document_with_a_stable_key() -> None:
    f = next(f for f in lw.detect(water(LEAKY)) if f.is_leak)
    doc = orjson.loads(orjson.dumps(f.to_doc()))
    assert doc["key"] == f"{f.kind}:{f.start}" and doc["isLeak"] is True
    assert {"kind", "start", "end", "flow_lph", "litres_lost", "evidence"} <= set(doc)
    assert lw.detect(water(LEAKY))[0].key == lw.detect(water(LEAKY))[0].key


def test_precision_and_recall_against_ground_truth() -> None:
    """Precision over every finding; recall over the leaks daily readings can show: a burst or a
    running toilet (hundreds of litres a day). A dripping tap (24-120 L a day) sits inside a
    home's day-to-day variation (CV 0.25-0.55) and is counted and printed, not held to the floor;
    benchmarks/leak_watch_score.py reports every kind on 500 unseen households."""
    true_f = n_f = found = n_leaks = drips_found = drips = 0
    for i in range(POPULATION):
        truth = leaks(i)
        findings = lw.detect(water(i))
        big = [e for e in truth if e["details"]["kind"] != "dripping_tap"]
        a, b, c, d = scoring.match(findings, truth)
        true_f, n_f = true_f + a, n_f + b
        _, _, c, d = scoring.match(findings, big)
        found, n_leaks = found + c, n_leaks + d
        _, _, c, d = scoring.match(findings, [e for e in truth if e not in big])
        drips_found, drips = drips_found + c, drips + d
    precision, recall = true_f / max(1, n_f), found / max(1, n_leaks)
    print(f"\nleak-watch on {POPULATION} households: precision {true_f}/{n_f} = "
          f"{precision:.2f}, recall {found}/{n_leaks} = {recall:.2f} (bursts and toilets), "
          f"dripping taps {drips_found}/{drips}")
    assert n_leaks >= 5  # enough events for the floors to mean something
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


def test_live_app_saves_and_shows_its_findings(live_sandbox) -> None:
    app = APPS / "leak-watch"
    instance = live_sandbox.instance_for(LEAKY)
    token = live_sandbox.install(instance, manifest_of(app))
    expected = [f.to_doc() for f in lw.detect(water(LEAKY))]
    sb = live_sandbox.sb
    inst = sb.instances.get(instance)
    with running_app(app, live_sandbox.url, token, instance) as base:
        assert get(base + "/health")[0] == 200
        status, body, ctype = get(base + "/api/findings")
        assert status == 200 and ctype.startswith("application/json")
        data = json.loads(body)
        assert data["findings"] == expected
        assert data["days"] == 366 and data["created"] == len(expected)
        assert data["litres_total"] == sum(d["value"] for d in water(LEAKY))
        stored = [r["doc"] for r in sb.documents.all_docs(inst.id, FINDINGS,
                                                       include_docs=True)["rows"]]
        stored = [orjson.loads(orjson.dumps(d)) for d in stored]
        assert sorted(d["key"] for d in stored) == sorted(d["key"] for d in expected)
        again = json.loads(get(base + "/api/findings?refresh")[1])
        assert again["created"] == 0 and again["stored"] == len(expected)
        status, page, ctype = get(base + "/")
        assert status == 200 and ctype.startswith("text/html")
        html = page.decode()
        assert "<svg" in html and expected[0]["start"] in html
        assert "http" not in html.replace("http://www.w3.org", "")
        assert get(base + "/nope")[0] == 404
    journal = [r for r in sb.journal.summary(inst.id) if r["client"] == "leak-watch"]
    assert {r["doctype"] for r in journal} == {WATER, FINDINGS}
    assert all(r["denied"] == 0 for r in journal)
    assert household(LEAKY).household.instance == instance
