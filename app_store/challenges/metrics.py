"""The challenges' metrics: pure functions of what an app found and what is true.

* event detection: precision, recall and F1 per event kind. A finding matches an event of its
  kind when their days overlap, give or take ``tolerance`` days; each event is matched at most
  once and each finding at most once (greedy, earliest first), so one long finding cannot
  claim several events and two findings of one event count one true and one false alarm.
* forecast: absolute error and absolute percentage error of a predicted total against the
  held-out month's real total, averaged over households (MAE, MAPE).
* advice: the euros a household would lose by following the advice instead of the true
  cheapest option (0 when the advice is the optimum), and the euros it saves against keeping
  its current option.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Span:
    kind: str
    start: date
    end: date       # inclusive


@dataclass(frozen=True)
class Counts:
    true_positives: int     # findings matched to an event
    findings: int
    events: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.findings if self.findings else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.events if self.events else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.true_positives + other.true_positives,
                      self.findings + other.findings, self.events + other.events)

    def to_json(self) -> dict:
        return {"true_positives": self.true_positives, "findings": self.findings,
                "events": self.events, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def overlaps(a: Span, b: Span, tolerance: int) -> bool:
    pad = timedelta(days=tolerance)
    return a.start <= b.end + pad and a.end >= b.start - pad


def match_kind(findings: Sequence[Span], events: Sequence[Span], tolerance: int) -> Counts:
    """Counts for one kind: each event matched by at most one finding, greedily in order."""
    used: set[int] = set()
    tp = 0
    for f in sorted(findings, key=lambda s: (s.start, s.end)):
        for i, e in enumerate(events):
            if i not in used and overlaps(f, e, tolerance):
                used.add(i)
                tp += 1
                break
    return Counts(tp, len(findings), len(events))


def detection(findings: Iterable[Span], events: Iterable[Span], kinds: Sequence[str],
              tolerance: int) -> dict[str, Counts]:
    """Counts per event kind in ``kinds`` (findings and events of other kinds are left out)."""
    f_by = {k: [] for k in kinds}
    e_by = {k: [] for k in kinds}
    for f in findings:
        if f.kind in f_by:
            f_by[f.kind].append(f)
    for e in events:
        if e.kind in e_by:
            e_by[e.kind].append(e)
    return {k: match_kind(f_by[k], sorted(e_by[k], key=lambda s: s.start), tolerance)
            for k in kinds}


def monthly_alarm(kinds: Sequence[str], first: date, last: date) -> list[Span]:
    """The trivial detector: every kind claimed once in every calendar month of the period
    (the whole month). It finds nearly every event and is mostly wrong; an app that looks at
    the data should beat it, one that answers at random should not."""
    out = []
    start = first
    while start <= last:
        nxt = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = min(last, nxt - timedelta(days=1))
        out.extend(Span(k, start, end) for k in kinds)
        start = nxt
    return out


def absolute_error(predicted: float, actual: float) -> float:
    return abs(predicted - actual)


def absolute_percentage_error(predicted: float, actual: float) -> float:
    """|predicted - actual| / |actual| in percent; a zero actual counts 0 when predicted is 0,
    else 100 (the error cannot be a share of nothing)."""
    if actual == 0:
        return 0.0 if predicted == 0 else 100.0
    return 100.0 * abs(predicted - actual) / abs(actual)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def advice_regret(costs: dict[str, float], advised: str | None) -> float:
    """Euros lost by taking ``advised`` instead of the cheapest option (no advice, or an
    option that is not priced, loses as much as the dearest option)."""
    best = min(costs.values())
    if advised not in costs:
        return max(costs.values()) - best
    return costs[advised] - best


def advice_saving(costs: dict[str, float], advised: str | None, current: str) -> float:
    """Euros saved (negative: lost) by switching from ``current`` to ``advised``."""
    if advised not in costs:
        return 0.0
    return costs[current] - costs[advised]
