"""The final ranking: the judges' weighted score and each challenge's score, combined with the
weights the organisers set.

Each part is brought to 0..1 first: the judges' 1-5 mean as (score - 1) / 4; an F1 as it is;
an error in percent (a forecast's MAPE) as 1 - error / 100, floored at 0; euros lost (advice)
as 1 / (1 + euros / 100), so 100 € lost is worth half. An app has 0 for a
challenge it did not enter (the weights are the same for every app). A challenge counts its
private part once revealed and its public leaderboard part before (the ranking then says it is
provisional).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from app_store.judging import number


@dataclass(frozen=True)
class Part:
    key: str                 # "judges" or a challenge's key
    weight: float
    scores: dict[str, float]  # app slug → the part's own score
    higher_is_better: bool = True
    percent: bool = False     # an error in percent (lower is better)
    euros: bool = False       # euros lost (lower is better)
    final: bool = True        # private part revealed (or the judges)


@dataclass
class Ranked:
    rank: int
    app: str
    team: str
    total: float
    parts: dict[str, float] = field(default_factory=dict)   # normalised, 0..1


def normalise(part: Part, score: float) -> float:
    if part.key == "judges":
        return max(0.0, min(1.0, (score - 1) / 4))
    if part.percent:
        return max(0.0, 1 - score / 100)
    if part.euros:
        return 1 / (1 + max(0.0, score) / 100)
    return max(0.0, min(1.0, score)) if part.higher_is_better else max(0.0, 1 - score)


def combine(parts: list[Part], teams: dict[str, str]) -> list[Ranked]:
    weight = sum(p.weight for p in parts) or 1.0
    apps = sorted({a for p in parts for a in p.scores if a in teams})
    rows = []
    for app in apps:
        norm = {p.key: round(normalise(p, p.scores[app]), 4) if app in p.scores else 0.0
                for p in parts}
        total = sum(norm[p.key] * p.weight for p in parts) / weight
        rows.append(Ranked(0, app, teams[app], round(total, 4), norm))
    rows.sort(key=lambda r: (-r.total, r.app))
    for i, r in enumerate(rows, 1):
        r.rank = i
    return rows


def to_csv(rows: list[Ranked], parts: list[Part]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["rank", "app", "team", "total", *[f"{p.key} (weight {number(p.weight)})"
                                                  for p in parts]])
    for r in rows:
        w.writerow([r.rank, r.app, r.team, number(r.total),
                    *[number(r.parts[p.key]) for p in parts]])
    return buf.getvalue()
