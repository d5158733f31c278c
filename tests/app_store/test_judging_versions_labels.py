"""Judging rules and leaderboard, semver policy, and data-usage labels."""

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
    leaderboard,
    to_csv,
)
from app_store.usage_label import usage_label
from app_store.versions import Version, next_version_problem
from sandbox.auth.permissions import parse_scope

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
    assert table[0] == ["rank", "app", "team", "score", "normalised", "judges", "useful", "ease"]
    assert table[1][:3] == ["1", "a", "t1"] and len(table) == 4


def test_unscored_apps_are_left_out_and_ties_are_stable():
    rows = leaderboard(CRIT, [Score("j", "b", "useful", 3), Score("j", "a", "useful", 3)],
                       {"a": "t1", "b": "t2", "z": "t3"})
    assert [r.app for r in rows] == ["a", "b"]


@pytest.mark.parametrize(("existing", "new", "fragment"), [
    ([], "1.0.0", None),
    (["1.0.0"], "1.0.1", None),
    (["1.0.0", "1.1.0"], "1.0.5", "lower than 1.1.0"),
    (["1.0.0"], "1.0.0", "already submitted"),
    (["1.0.0-beta.2"], "1.0.0-beta.10", None),
    (["1.0.0-beta"], "1.0.0", None),
    (["1.0.0"], "1.0.0-rc.1", "lower than 1.0.0"),
    ([], "v1.0", "not a semantic version"),
    ([], "01.0.0", "not a semantic version"),
])
def test_versions_only_go_up(existing, new, fragment):
    problem = next_version_problem(existing, new)
    assert (problem is None) if fragment is None else (fragment in problem)


def test_semver_precedence():
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    assert [str(v) for v in sorted(Version.parse(x) for x in reversed(order))] == order


@pytest.mark.parametrize(("scope", "grade"), [
    ("io.cozy.bills:GET", "A"),
    ("io.cozy.bills:GET org.fing.mesinfos.home:GET org.fing.mesinfos.contract:GET", "B"),
    ("org.fing.mesinfos.consumptionstatement:GET fr.hackathon.leak_watch.findings:GET,POST", "B"),
    ("fr.orange.phonecommunicationlog:GET", "C"),
    ("fr.orange.phonecommunicationlog:GET fr.orange.geopoint:GET", "D"),
    ("io.cozy.bills:GET,POST", "D"),
    ("org.fing.mesinfos.*:GET", "E"),
])
def test_usage_labels(scope, grade):
    label = usage_label(parse_scope(scope), "leak-watch")
    assert label.grade == grade and label.summary
    assert all(s[0].isupper() for s in label.sentences)
