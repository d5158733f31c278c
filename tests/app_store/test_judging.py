"""Judging rules and leaderboard."""

import csv
import io

import pytest

from app_store.judging import (
    DEFAULT_CRITERIA,
    Criterion,
    JudgingError,
    Score,
    check_criteria,
    check_score,
    incomplete_sets,
    leaderboard,
    number,
    to_csv,
)

CRIT = [Criterion("useful", "Useful", 3.0), Criterion("ease", "Ease", 1.0)]


def test_default_criteria_are_valid_and_bad_ones_are_all_reported():
    assert check_criteria(list(DEFAULT_CRITERIA)) == []
    problems = check_criteria([Criterion("Bad Key", " ", 0), Criterion("x", "X", 1),
                               Criterion("x", "X2", 500)])
    text = " ".join(problems)
    assert "Bad Key" in text and "needs a label" in text and "weight" in text
    assert "appear twice" in text
    assert check_criteria([]) == ["give between 1 and 10 criteria"]


def test_scores_are_checked():
    ok = Score("ann", "my-calls", "useful", 4)
    check_score(ok, CRIT, app_team="blue", judge_teams={"red"})
    with pytest.raises(JudgingError, match="member of blue"):
        check_score(ok, CRIT, app_team="blue", judge_teams={"blue"})
    with pytest.raises(JudgingError, match="conflict of interest"):
        check_score(ok, CRIT, app_team="blue", judge_teams=set(), conflicts={"blue"})
    for bad in (0, 6, 3.5, True):
        with pytest.raises(JudgingError, match="1 to 5"):
            check_score(Score("ann", "a", "useful", bad), CRIT, "blue", set())
    with pytest.raises(JudgingError, match="unknown criterion"):
        check_score(Score("ann", "a", "style", 3), CRIT, "blue", set())


def test_leaderboard_weights_criteria_and_normalises_leniency():
    teams = {"a": "t1", "b": "t2", "c": "t3"}
    scores = [
        # a generous judge and a strict one agree that a > b
        Score("gen", "a", "useful", 5), Score("gen", "a", "ease", 4),
        Score("gen", "b", "useful", 4), Score("gen", "b", "ease", 5),
        Score("strict", "a", "useful", 3), Score("strict", "a", "ease", 1),
        Score("strict", "b", "useful", 2), Score("strict", "b", "ease", 3),
        Score("strict", "c", "useful", 1), Score("strict", "c", "ease", 1),
    ]
    rows = leaderboard(CRIT, scores, teams)
    assert [r.app for r in rows] == ["a", "b", "c"] and [r.rank for r in rows] == [1, 2, 3]
    a = rows[0]
    assert a.by_criterion == {"useful": 4.0, "ease": 2.5}
    assert a.score == pytest.approx((4.0 * 3 + 2.5 * 1) / 4)
    assert a.judges == 2 and rows[2].judges == 1
    assert rows[0].normalised > rows[1].normalised > rows[2].normalised
    table = list(csv.reader(io.StringIO(to_csv(rows, CRIT))))
    assert table[0] == ["rank", "app", "team", "score", "normalised", "judges", "useful", "ease",
                        "incomplete_sets"]
    assert table[1][:3] == ["1", "a", "t1"] and len(table) == 4


def test_unscored_apps_are_left_out_and_ties_are_stable():
    full = [Score("j", app, c.key, 3) for app in ("b", "a") for c in CRIT]
    rows = leaderboard(CRIT, full, {"a": "t1", "b": "t2", "z": "t3"})
    assert [r.app for r in rows] == ["a", "b"]


def test_an_incomplete_score_set_is_flagged_and_left_out_unless_counted():
    teams = {"a": "t1", "b": "t2"}
    scores = [Score("ann", "a", "useful", 3), Score("ann", "a", "ease", 3),
              Score("bob", "a", "useful", 5),                  # bob has not scored ease
              Score("bob", "b", "useful", 5)]                  # b: only a partial set
    assert incomplete_sets(CRIT, scores) == {"a": {"bob": ["ease"]}, "b": {"bob": ["ease"]}}
    rows = leaderboard(CRIT, scores, teams)
    assert [r.app for r in rows] == ["a"]                      # b waits for a complete set
    assert rows[0].score == 3.0 and rows[0].judges == 1        # bob's 5 is not counted yet
    assert rows[0].incomplete == {"bob": ["ease"]}
    counted = leaderboard(CRIT, scores, teams, partial="count")
    assert [r.app for r in counted] == ["b", "a"] and counted[1].judges == 2
    assert counted[0].incomplete == {"bob": ["ease"]}
    with pytest.raises(JudgingError, match="exclude"):
        leaderboard(CRIT, scores, teams, partial="maybe")
    # a score for a criterion since removed neither completes nor counts
    old = [*scores, Score("bob", "a", "style", 1)]
    assert leaderboard(CRIT, old, teams)[0].score == 3.0


def test_numbers_are_written_alike_on_the_page_and_in_the_csv():
    rows = leaderboard(CRIT, [Score("j", "a", "useful", 4), Score("j", "a", "ease", 5),
                              Score("k", "a", "useful", 5), Score("k", "a", "ease", 4)],
                       {"a": "t1"})
    assert number(rows[0].score) == "4.50" and number(-0.5) == "-0.50" and number(3) == "3.00"
    table = list(csv.reader(io.StringIO(to_csv(rows, CRIT))))
    assert table[1][3] == number(rows[0].score) and table[1][6:] == ["4.50", "4.50", ""]
