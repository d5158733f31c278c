"""Judging: criteria with weights, 1-5 scores per criterion, conflicts, leaderboard, CSV.

Scores are averaged per criterion over the judges who scored an app, then combined with the
criteria weights. Because judges differ in leniency (the Gavel argument), the leaderboard also
shows a normalised score: each judge's scores as z-scores over the apps that judge scored, then
averaged the same way. The ranking uses the weighted mean; the normalised score is shown beside.

A judge's score set for an app is complete when it has a score for every criterion. An
incomplete set is never ranked silently: by default (``partial="exclude"``) it is left out of
the ranking until it is complete, and an app with no complete set is not ranked; with
``partial="count"`` (the organiser's choice, a setting of the event) its scores count. Either
way every incomplete set is listed, with the criteria it lacks.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PARTIAL = ("exclude", "count")


def number(value: float) -> str:
    """A score as every page and export writes it: two decimals, a dot (``4.25``, ``-0.50``)."""
    return f"{value:.2f}"


class JudgingError(ValueError):
    """A score or a set of criteria that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float = 1.0
    description: str = ""


@dataclass(frozen=True)
class Score:
    judge: str
    app: str          # app slug
    criterion: str
    value: int        # 1..5
    comment: str = ""


DEFAULT_CRITERIA = (
    Criterion("usefulness", "Useful to the tester", 3, "Does it help someone act on their data?"),
    Criterion("crossing", "Crosses sources", 2, "Energy × bills × home: value from combining."),
    Criterion("privacy", "Respects privacy", 2, "Asks only for what it needs; explains why."),
    Criterion("design", "Clear and accessible", 1, "Readable on a laptop and a phone."),
)


def check_criteria(criteria: list[Criterion]) -> list[str]:
    """Every problem with a set of criteria (empty when they are fine)."""
    problems = []
    if not 1 <= len(criteria) <= 10:
        problems.append("give between 1 and 10 criteria")
    keys = [c.key for c in criteria]
    for c in criteria:
        if not KEY.match(c.key):
            problems.append(f"criterion key {c.key!r}: lowercase letters, digits and _, "
                            "starting with a letter")
        if not c.label.strip():
            problems.append(f"criterion {c.key!r} needs a label")
        if not (isinstance(c.weight, int | float) and 0 < c.weight <= 100):
            problems.append(f"criterion {c.key!r}: the weight must be above 0 and at most 100")
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        problems.append(f"criterion keys must be unique: {', '.join(dupes)} appear twice")
    return problems


def check_score(score: Score, criteria: list[Criterion], app_team: str,
                judge_teams: set[str], conflicts: set[str] = frozenset()) -> None:
    """Raise :class:`JudgingError` when the score cannot be recorded."""
    if score.criterion not in {c.key for c in criteria}:
        raise JudgingError(f"unknown criterion {score.criterion!r}; use one of "
                           f"{', '.join(c.key for c in criteria)}")
    if not isinstance(score.value, int) or isinstance(score.value, bool) or \
            not 1 <= score.value <= 5:
        raise JudgingError("a score is a whole number from 1 to 5")
    if app_team in judge_teams:
        raise JudgingError(f"{score.judge} is a member of {app_team} and cannot score its app")
    if app_team in conflicts:
        raise JudgingError(f"{score.judge} declared a conflict of interest with {app_team}")


@dataclass
class Row:
    rank: int
    app: str
    team: str
    score: float                 # weighted mean, 1..5
    normalised: float            # weighted mean of judge z-scores
    judges: int
    by_criterion: dict[str, float]
    incomplete: dict[str, list[str]] = field(default_factory=dict)  # judge → criteria missing


def incomplete_sets(criteria: list[Criterion], scores: list[Score]
                    ) -> dict[str, dict[str, list[str]]]:
    """App → judge → the criteria that judge has not scored yet, for every set begun but not
    finished (criteria in their order)."""
    keys = [c.key for c in criteria]
    given: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in scores:
        if s.criterion in keys:
            given[(s.app, s.judge)].add(s.criterion)
    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for (app, judge), done in sorted(given.items()):
        missing = [k for k in keys if k not in done]
        if missing:
            out[app][judge] = missing
    return dict(out)


def leaderboard(criteria: list[Criterion], scores: list[Score],
                teams: dict[str, str], partial: str = "exclude") -> list[Row]:
    """Apps ranked by weighted score (ties: more judges first, then slug); incomplete score
    sets left out unless ``partial`` is ``"count"``, and named on each row either way."""
    if partial not in PARTIAL:
        raise JudgingError(f"partial scores are {' or '.join(PARTIAL)}d, not {partial!r}")
    weights = {c.key: c.weight for c in criteria}
    missing = incomplete_sets(criteria, scores)
    scores = [s for s in scores if s.criterion in weights and (
        partial == "count" or s.judge not in missing.get(s.app, {}))]
    values: dict[tuple[str, str], list[int]] = defaultdict(list)
    judges: dict[str, set[str]] = defaultdict(set)
    for s in scores:
        values[(s.app, s.criterion)].append(s.value)
        judges[s.app].add(s.judge)
    z = _z_scores(scores)
    rows = []
    for app, team in teams.items():
        by_c = {c: statistics.fmean(values[(app, c)]) for c in weights if values.get((app, c))}
        if not by_c:
            continue
        score = sum(by_c[c] * weights[c] for c in by_c) / sum(weights[c] for c in by_c)
        zc = {c: statistics.fmean(z[(app, c)]) for c in by_c if z.get((app, c))}
        norm = sum(zc[c] * weights[c] for c in zc) / sum(weights[c] for c in zc) if zc else 0.0
        rows.append(Row(0, app, team, round(score, 3), round(norm, 3), len(judges[app]),
                        {c: round(v, 3) for c, v in by_c.items()}, missing.get(app, {})))
    rows.sort(key=lambda r: (-r.score, -r.judges, r.app))
    for i, r in enumerate(rows, 1):
        r.rank = i
    return rows


def _z_scores(scores: list[Score]) -> dict[tuple[str, str], list[float]]:
    by_judge: dict[str, list[Score]] = defaultdict(list)
    for s in scores:
        by_judge[s.judge].append(s)
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for given in by_judge.values():
        vals = [s.value for s in given]
        mean = statistics.fmean(vals)
        sd = statistics.pstdev(vals) or 1.0
        for s in given:
            out[(s.app, s.criterion)].append((s.value - mean) / sd)
    return out


def in_words(incomplete: dict[str, list[str]]) -> str:
    """``{"Jo": ["design"]}`` as ``Jo lacks design``; sets joined with ``; ``."""
    return "; ".join(f"{judge} lacks {', '.join(keys)}" for judge, keys in incomplete.items())


def to_csv(rows: list[Row], criteria: list[Criterion]) -> str:
    """The ranking as CSV, numbers as on the page (:func:`number`), with each row's incomplete
    score sets named."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["rank", "app", "team", "score", "normalised", "judges",
                     *[c.key for c in criteria], "incomplete_sets"])
    for r in rows:
        writer.writerow([r.rank, r.app, r.team, number(r.score), number(r.normalised),
                         r.judges, *[number(r.by_criterion[c.key]) if c.key in r.by_criterion
                                     else "" for c in criteria], in_words(r.incomplete)])
    return buf.getvalue()
