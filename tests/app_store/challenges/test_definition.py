"""Challenge definitions: every problem reported at once, the kinds' schemas and truth."""

from datetime import date

import pytest
from jsonschema import Draft202012Validator

from app_store.challenges import households as hs
from app_store.challenges import kinds
from app_store.challenges.definition import parse, read_file
from app_store.challenges.scoring import check_findings
from app_store.errors import Invalid
from selfdata.up import EXAMPLE_CHALLENGES as EXAMPLE
from synthetic_data.tariff_options import option_costs

LEAKS = {"key": "leaks", "title": "Find the leaks", "kind": "event-detection",
         "event_kinds": ["leak"]}
FORECAST = {"key": "next-month", "title": "Next month", "kind": "forecast",
            "target": "electricity"}
ADVICE = {"key": "tariff", "title": "The cheapest option", "kind": "advice"}


def test_a_good_definition_is_taken_with_its_defaults():
    d = parse(LEAKS)
    assert (d.key, d.kind, d.event_kinds, d.tolerance_days) == ("leaks", "event-detection",
                                                                 ("leak",), 2)
    assert parse(FORECAST).target == "electricity"


def test_every_problem_is_reported_at_once_with_its_path():
    with pytest.raises(Invalid) as got:
        parse({"key": "Bad Key", "title": "", "kind": "event-detection",
               "event_kinds": ["leak", "ufo"], "tolerance_days": -1, "hidden_seed": 3,
               "leaderboard_share": 1.5, "opens_at": "soon", "quota_per_day": True})
    paths = {p["path"] for p in got.value.problems}
    assert paths >= {"key", "title", "event_kinds.1", "tolerance_days", "hidden_seed",
                     "leaderboard_share", "opens_at", "quota_per_day"}
    seed = next(p for p in got.value.problems if p["path"] == "hidden_seed")
    assert "drawn by the store" in seed["message"]


def test_kind_specific_fields_are_required():
    with pytest.raises(Invalid) as got:
        parse({"key": "x1", "title": "X", "kind": "forecast"})
    assert [p["path"] for p in got.value.problems] == ["target"]
    with pytest.raises(Invalid) as got:
        parse({"key": "x1", "title": "X", "kind": "event-detection"})
    assert [p["path"] for p in got.value.problems] == ["event_kinds"]
    with pytest.raises(Invalid):
        parse(["not", "an", "object"])
    with pytest.raises(Invalid) as got:
        parse({**LEAKS, "opens_at": "2026-05-02T00:00:00", "closes_at": "2026-05-01T00:00:00"})
    assert [p["path"] for p in got.value.problems] == ["closes_at"]


@pytest.mark.parametrize("raw", [LEAKS, FORECAST, ADVICE])
def test_each_kind_publishes_a_valid_schema_with_a_described_field_and_a_valid_example(raw):
    d = parse(raw)
    schema = kinds.schema(d)
    Draft202012Validator.check_schema(schema)
    assert all(p.get("description") for p in schema["properties"].values())
    assert check_findings(d, [kinds.example(d)]) == ([kinds.example(d)], 0, "")


def test_findings_outside_the_schema_are_counted_and_the_first_problem_told():
    d = parse(LEAKS)
    good, bad, first = check_findings(d, [
        {"event": "leak", "start": "2017-01-01", "end": "2017-01-03"},
        {"event": "leak", "start": "yesterday", "end": "2017-01-03"},
        {"event": "leak", "start": "2017-02-30", "end": "2017-03-01"},
        {"start": "2017-01-01", "end": "2017-01-03"}])
    assert len(good) == 1 and bad == 3
    assert first.startswith("start:")


def test_the_truth_of_a_household_is_its_ground_truth_or_its_held_out_month():
    leaks, forecast = parse(LEAKS), parse({**FORECAST, "target": "water"})
    data = [("org.selfdata.groundtruth.event", [
                {"kind": "leak", "start": "2017-03-01", "end": "2017-03-09"},
                {"kind": "vacation", "start": "2017-08-01", "end": "2017-08-09"}]),
            (kinds.WATER, [{"statementCategory": "eau", "period": "2017-12-01", "value": 100},
                           {"statementCategory": "eau", "period": "2017-12-02", "value": 50},
                           {"statementCategory": "eau", "period": "2017-11-30", "value": 70},
                           {"statementCategory": "eau", "period": "2017-12", "value": 999}])]
    t = kinds.truth(leaks, data)
    assert [e.kind for e in t.events] == ["leak", "vacation"]
    r = kinds.household_result(leaks, [{"event": "leak", "start": "2017-03-05",
                                        "end": "2017-03-06"}], t)
    assert r["score"] == 1.0 and r["by_kind"]["leak"]["true_positives"] == 1
    f = kinds.truth(forecast, data)
    assert (f.month, f.month_total, f.baseline_total) == ("2017-12", 150, 70 * 31)
    assert kinds.holdout(forecast) == date(2017, 12, 1) and kinds.holdout(leaks) is None
    r = kinds.household_result(forecast, [{"target": "water", "month": "2017-12",
                                           "value": 135}], f)
    assert r["score"] == pytest.approx(10)
    assert r["baseline_score"] == pytest.approx(100 * (70 * 31 - 150) / 150, abs=1e-3)
    assert kinds.household_result(forecast, [], f)["score"] == 100


def test_totals_sum_counts_over_households_and_rank_by_the_kinds_direction():
    d = parse(LEAKS)
    t = kinds.Truth(events=[], first=date(2017, 1, 1), last=date(2017, 12, 31))
    quiet = kinds.household_result(d, [], t)
    t2 = kinds.Truth(events=[kinds.metrics.Span("leak", date(2017, 5, 1), date(2017, 5, 3))],
                     first=date(2017, 1, 1), last=date(2017, 12, 31))
    found = kinds.household_result(d, [{"event": "leak", "start": "2017-05-02",
                                        "end": "2017-05-02"}], t2)
    total = kinds.total(d, [quiet, found])
    p = 1 / 24                      # the monthly alarm: 1 event found in 2 × 12 claims
    assert total["score"] == 1.0 and total["baseline"] == pytest.approx(2 * p / (1 + p),
                                                                        abs=1e-4)
    assert kinds.better(d, 0.9, 0.5) and kinds.better(parse(FORECAST), 5, 10)


def test_household_sets_mix_households_with_and_without_events_and_split_evenly():
    found = hs.indices(1, 6, set(), 2017, ("leak",))
    assert found == sorted(found) and len(set(found)) == 6
    assert found == hs.indices(1, 6, set(), 2017, ("leak",))        # reproducible
    parts = hs.split(hs.HIDDEN, found, 0.5)
    assert [p.part for p in parts].count(hs.BOARD) == 3
    assert {p.part for p in parts[3:]} == {hs.BOARD, hs.PRIVATE}    # events on both parts
    assert hs.draw_secret_seed() != hs.draw_secret_seed()


def test_a_challenges_file_reports_every_problem_of_every_definition():
    assert read_file(EXAMPLE.read_text())[0]["key"] == "leaks"
    with pytest.raises(Invalid) as got:
        read_file('[{"key": "ok-one", "title": "T", "kind": "forecast", "target": "gas"}, '
                  '{"key": "B", "title": "T", "kind": "event-detection", "event_kinds": []}]')
    assert {p["path"] for p in got.value.problems} == {"0.target", "1.key", "1.event_kinds"}
    with pytest.raises(Invalid, match="not JSON"):
        read_file("{")
    with pytest.raises(Invalid, match="a JSON list"):
        read_file("{}")


def test_advice_is_scored_in_euros_lost_against_the_true_cheapest_option():
    d = parse(ADVICE)
    costs = {"Base": 900.0, "HPHC": 950.0, "Tempo": 800.0}
    t = kinds.truth(d, [], (costs, "Base"))
    good = kinds.household_result(d, [{"option": "Tempo"}], t)
    assert (good["score"], good["saving"], good["baseline_score"]) == (0, 100, 100)
    bad = kinds.household_result(d, [{"option": "HPHC"}], t)
    assert (bad["score"], bad["saving"]) == (150, -50)
    assert kinds.household_result(d, [], t)["score"] == 150      # no advice: the dearest
    total = kinds.total(d, [good, bad])
    assert (total["score"], total["baseline"]) == (75, 100)
    assert check_findings(d, [{"option": "Cheapest"}])[1] == 1
    assert kinds.partners(d) == {"edf"} and not kinds.better(d, 80, 75)


def test_the_true_option_costs_come_from_the_generator_and_price_every_option():
    costs, current = option_costs(1, 0, hs.period(2017))
    assert set(costs) == {"Base", "HPHC", "Tempo"} and current in costs
    assert all(200 < v < 5000 for v in costs.values())
    assert option_costs(1, 0, hs.period(2017)) == (costs, current)   # reproducible
