"""The challenges' metrics, as pure functions."""

from datetime import date

import pytest

from app_store.challenges.metrics import (
    Counts,
    Span,
    absolute_error,
    absolute_percentage_error,
    advice_regret,
    advice_saving,
    detection,
    match_kind,
    monthly_alarm,
)


def span(kind: str, a: str, b: str) -> Span:
    return Span(kind, date.fromisoformat(a), date.fromisoformat(b))


def test_a_finding_matches_an_event_within_the_tolerance_window_only():
    event = [span("leak", "2017-03-10", "2017-03-20")]
    assert match_kind([span("leak", "2017-03-22", "2017-03-25")], event, 2).true_positives == 1
    assert match_kind([span("leak", "2017-03-23", "2017-03-25")], event, 2).true_positives == 0
    assert match_kind([span("leak", "2017-03-01", "2017-03-08")], event, 2).true_positives == 1
    assert match_kind([span("leak", "2017-03-01", "2017-03-07")], event, 0).true_positives == 0


def test_one_event_is_matched_once_and_one_finding_claims_one_event():
    events = [span("leak", "2017-03-10", "2017-03-12"), span("leak", "2017-03-14", "2017-03-15")]
    twice = match_kind([span("leak", "2017-03-10", "2017-03-11"),
                        span("leak", "2017-03-11", "2017-03-12")], events[:1], 0)
    assert (twice.true_positives, twice.findings, twice.events) == (1, 2, 1)
    assert twice.precision == 0.5 and twice.recall == 1.0
    wide = match_kind([span("leak", "2017-03-01", "2017-03-31")], events, 0)
    assert (wide.true_positives, wide.recall) == (1, 0.5)


def test_precision_recall_f1_per_kind_and_kinds_left_out():
    c = detection([span("leak", "2017-01-01", "2017-01-02"),
                   span("vacation", "2017-08-01", "2017-08-10"),
                   span("claim", "2017-05-01", "2017-05-01")],
                  [span("leak", "2017-01-02", "2017-01-05"),
                   span("vacation", "2017-02-01", "2017-02-03")],
                  ("leak", "vacation"), 1)
    assert set(c) == {"leak", "vacation"}
    assert c["leak"].f1 == 1.0
    assert (c["vacation"].precision, c["vacation"].recall, c["vacation"].f1) == (0, 0, 0)
    total = c["leak"] + c["vacation"]
    assert (total.true_positives, total.findings, total.events) == (1, 2, 2)
    assert total.f1 == pytest.approx(0.5)
    assert Counts(0, 0, 0).to_json()["f1"] == 0.0


def test_the_monthly_alarm_baseline_claims_each_kind_once_a_month():
    found = monthly_alarm(("leak", "claim"), date(2017, 1, 1), date(2017, 12, 31))
    assert len(found) == 24 and found[2] == span("leak", "2017-02-01", "2017-02-28")
    assert found[-1] == span("claim", "2017-12-01", "2017-12-31")
    c = match_kind([f for f in found if f.kind == "leak"],
                   [span("leak", "2017-02-01", "2017-02-03"),
                    span("leak", "2017-06-01", "2017-06-03")], 2)
    assert (c.true_positives, c.findings, c.events) == (2, 12, 2)


def test_forecast_errors():
    assert absolute_error(90, 100) == 10
    assert absolute_percentage_error(90, 100) == pytest.approx(10)
    assert absolute_percentage_error(0, 0) == 0 and absolute_percentage_error(5, 0) == 100


def test_advice_regret_and_saving():
    costs = {"Base": 900.0, "HPHC": 850.0, "Tempo": 700.0}
    assert advice_regret(costs, "Tempo") == 0
    assert advice_regret(costs, "HPHC") == 150
    assert advice_regret(costs, None) == 200 and advice_regret(costs, "Nope") == 200
    assert advice_saving(costs, "Tempo", "Base") == 200
    assert advice_saving(costs, "Base", "Tempo") == -200
