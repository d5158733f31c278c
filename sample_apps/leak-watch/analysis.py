"""Leak detection on daily water readings: pure functions, standard library only.

The water utility gives one reading per day (litres), so there is no night flow to look at.
A leak after the meter adds the same litres every day, whatever the household does. Three
signals follow, each one a rule below:

* water drawn while nobody is home: during an absence a home uses 0 L, so a steady non-zero
  reading on those days is the leak itself (the daily-data stand-in for "night flow");
* a burst: one day far above the usual level (hundreds of litres an hour for a few hours);
* a sustained excess: the level rises for days or weeks, then falls back to where it was
  (a running toilet, a dripping tap). A rise that never falls back is a lasting change (someone
  moved in), reported apart and not counted as a leak.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

WATER_CATEGORY = "eau"
# Seasonal profile of household water use, January..December (COSTIC coefficients, the profile
# cited by the sandbox's params/water.toml as [W7]): February uses 20 % more than average, August
# 28 % less. Without it, a month's step would look like a leak that starts and stops.
MONTH_FACTOR = (1.11, 1.20, 1.11, 1.06, 1.03, 0.93, 0.84, 0.72, 0.92, 1.03, 1.04, 1.01)


@dataclass(frozen=True)
class Params:
    window_days: int = 60          # half-width of the rolling reference level
    away_share: float = 0.25       # a day below this share of the reference: nobody home
    burst_ratio: float = 2.5       # a burst day is this many times the reference ...
    burst_min_litres: float = 600  # ... and at least this many litres above it
    cusum_drift: float = 0.5       # CUSUM allowance, in noise units per day
    cusum_threshold: float = 7.0   # CUSUM alarm level, in noise units
    min_days: int = 3              # shortest sustained excess reported
    min_excess_litres: float = 25  # smallest extra litres per day reported
    min_excess_share: float = 0.10  # ... and as a share of the usual level
    min_strength: float = 7.5      # t statistic of the excess (noise alone rarely passes 7)
    lasting_share: float = 0.6     # after/before: a rise that keeps this share is a lasting change
    context_days: int = 28         # days looked at before and after an excess


@dataclass
class Finding:
    kind: str                  # "burst", "leak", "ongoing_rise" or "lasting_increase"
    start: str                 # first day, YYYY-MM-DD
    end: str                   # last day, inclusive
    extra_litres_per_day: float
    flow_lph: float            # extra_litres_per_day / 24
    litres_lost: float         # over the whole finding
    evidence: list[str] = field(default_factory=list)
    strength: float = 0.0      # how far from ordinary days, in noise units (t statistic)

    @property
    def is_leak(self) -> bool:
        return self.kind in ("burst", "leak")

    @property
    def key(self) -> str:
        """Stable identity of a finding, so that re-running the app does not duplicate it."""
        return f"{self.kind}:{self.start}"

    @property
    def event(self) -> str | None:
        """The ground-truth event kind this finding claims, as a challenge scores it: a leak,
        someone moving in (a rise that lasts), or none."""
        return "leak" if self.is_leak else \
            "new_occupant" if self.kind == "lasting_increase" else None

    def to_doc(self) -> dict[str, Any]:
        return {**asdict(self), "isLeak": self.is_leak, "key": self.key,
                "event": self.event, "detector": "leak-watch/1"}


# ---- the series ---------------------------------------------------------------------------------

def daily_series(docs: list[dict]) -> tuple[date | None, list[float | None]]:
    """(first day, litres per day with None for missing days) from water statements."""
    by_day: dict[date, float] = {}
    for d in docs:
        if d.get("statementCategory") != WATER_CATEGORY or d.get("unit", "L") != "L":
            continue
        try:
            day = date.fromisoformat(str(d.get("period") or d["start"])[:10])
            by_day[day] = by_day.get(day, 0.0) + float(d["value"])
        except (KeyError, TypeError, ValueError):
            continue
    if not by_day:
        return None, []
    first, last = min(by_day), max(by_day)
    n = (last - first).days + 1
    return first, [by_day.get(first + timedelta(days=i)) for i in range(n)]


def day_after(first: date, days: int) -> date:
    return first + timedelta(days=days)


def _median(values: list[float], default: float) -> float:
    return statistics.median(values) if values else default


def _rolling_median(y: list[float | None], usable: list[bool], half: int,
                    default: float) -> list[float]:
    out = []
    for i in range(len(y)):
        lo, hi = max(0, i - half), min(len(y), i + half + 1)
        vals = [v for v, ok in zip(y[lo:hi], usable[lo:hi], strict=True) if ok and v is not None]
        out.append(_median(vals, default) if len(vals) >= 10 else default)
    return out


# ---- the rules ----------------------------------------------------------------------------------

def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """(start, end inclusive) of each run of True."""
    out, start = [], None
    for i, f in enumerate([*flags, False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i - 1))
            start = None
    return out


def _leaks_while_away(x: list[float | None], away: list[bool]) -> list[tuple[int, int, float]]:
    """Absences whose days still show a steady flow: (start, end, litres per day)."""
    out = []
    for s, e in _runs(away):
        for fs, fe in _runs([(x[i] or 0) > 0 for i in range(s, e + 1)]):
            if fe - fs + 1 < 2:
                continue
            vals = [x[s + i] or 0.0 for i in range(fs, fe + 1)]
            if max(vals) <= 1.6 * min(vals):  # a leak is steady; a visitor is not
                out.append((s + fs, s + fe, statistics.median(vals)))
    return out


def _cusum_segments(z: list[float | None], drift: float, threshold: float
                    ) -> list[tuple[int, int]]:
    """Segments of upward shift, by a one-sided CUSUM: each runs from the last reset to the
    CUSUM's peak. A segment ends when the sum falls back to zero or drops by ``threshold``
    below its peak (the level came down again); the scan then restarts after the peak."""
    out: list[tuple[int, int]] = []
    i, n = 0, len(z)
    s_val, start, peak, peak_i = 0.0, 0, 0.0, -1
    while i <= n:
        v = z[i] if i < n else None
        ended = i == n or (v is not None and (s_val + v - drift <= 0 or
                                              (peak >= threshold and
                                               s_val + v - drift < peak - threshold)))
        if ended:
            if peak >= threshold and peak_i >= start:
                out.append((start, peak_i))
                i = peak_i + 1 if peak_i + 1 < i else i + 1
            else:
                i += 1
            s_val, start, peak, peak_i = 0.0, i, 0.0, -1
            continue
        if v is not None:
            s_val += v - drift
            if s_val > peak:
                peak, peak_i = s_val, i
        i += 1
    return out


@dataclass
class _Series:
    """A household's days, readings and what each day is, shared by the rules."""

    day: list[date]
    raw: list[float | None]     # litres as read
    x: list[float | None]       # litres ÷ seasonal profile
    ref0: list[float]           # rolling median of x
    away: list[bool]
    burst: list[bool]
    wf: list[float]             # weekday factors, mean 1
    y: list[float | None]       # x ÷ weekday factor
    ordinary: list[bool]

    def expected(self, i: int, level: float) -> float:
        """Litres a day at ``level`` (deseasonalised) means on day ``i``."""
        d = self.day[i]
        return level * MONTH_FACTOR[d.month - 1] * self.wf[d.weekday()]


def _prepare(first: date, raw: list[float | None], p: Params) -> _Series | None:
    n = len(raw)
    day = [first + timedelta(days=i) for i in range(n)]
    # divide by the seasonal profile first: the level is then flat through the year
    x = [None if v is None else v / MONTH_FACTOR[day[i].month - 1] for i, v in enumerate(raw)]
    known = [v is not None for v in x]
    typical = _median([v for v in x if v], 0.0)
    if typical <= 0:
        return None
    ref0 = _rolling_median(x, known, p.window_days, typical)
    away = [v is not None and v < p.away_share * r for v, r in zip(x, ref0, strict=True)]
    burst = [v is not None and v > p.burst_ratio * r and v - r >= p.burst_min_litres
             for v, r in zip(x, ref0, strict=True)]
    ordinary = [known[i] and not away[i] and not burst[i] for i in range(n)]
    wf = []  # weekday factors (more water at weekends), from ordinary days
    for wd in range(7):
        wf.append(_median([(x[i] or 0) / ref0[i] for i in range(n) if day[i].weekday() == wd
                           and ordinary[i] and ref0[i] > 0], 1.0))
    mean_wf = sum(wf) / 7
    wf = [w / mean_wf for w in wf]
    y = [None if v is None else v / wf[day[i].weekday()] for i, v in enumerate(x)]
    return _Series(day, raw, x, ref0, away, burst, wf, y, ordinary)


def _bursts(t: _Series) -> list[Finding]:
    out = []
    for s, e in _runs(t.burst):
        extras = [float(t.raw[i] or 0) - t.expected(i, t.ref0[i]) for i in range(s, e + 1)]
        extra = statistics.mean(extras)
        usual = t.expected(s, t.ref0[s])
        if e - s + 1 <= 2:  # one or two days: a burst pipe
            kind, note = "burst", f"{max(extras):.0f} L above the usual {usual:.0f} L in a day"
        else:               # longer: a large leak (a toilet running non-stop)
            kind, note = "leak", f"{extra:.0f} L/day above the usual {usual:.0f} L/day " \
                f"for {e - s + 1} days"
        out.append(Finding(kind, t.day[s].isoformat(), t.day[e].isoformat(), round(extra),
                           round(extra / 24, 1), round(sum(extras)), [note]))
    return out


def _most_significant(z: list[float | None], days: range, fallback: int) -> int:
    """Walking ``days`` from their far end, the day where the walked part is the most
    significant (largest sum of z over the square root of the days counted)."""
    best, best_k = -1e9, fallback
    total, count = 0.0, 0
    for k in days:
        if z[k] is not None:
            total += z[k] or 0.0
            count += 1
        if count and total / count ** 0.5 > best:
            best, best_k = total / count ** 0.5, k
    return best_k


def _change_point(z: list[float | None], s: int, e: int) -> int:
    """The CUSUM counts from its last reset; the excess starts where the rest of the segment
    is the most significant."""
    return _most_significant(z, range(e, s - 1, -1), s)


def _end_point(z: list[float | None], s: int, e: int) -> int:
    """The CUSUM runs on to its peak, which noisy days after a repair can push later; the excess
    ends where the segment from ``s`` is the most significant (as ``_change_point`` for the
    start)."""
    return _most_significant(z, range(s, e + 1), e)


def _excesses(t: _Series, p: Params) -> list[Finding]:
    n = len(t.y)
    flagged = [False] * n
    segments: list[tuple[int, int]] = []
    ref: list[float] = t.ref0
    z: list[float | None] = []
    for _ in range(3):  # later passes leave the excess found first out of the reference
        usable = [t.ordinary[i] and not flagged[i] for i in range(n)]
        level = _median([v for v, ok in zip(t.y, usable, strict=True) if ok and v is not None],
                        1.0)
        ref = _rolling_median(t.y, usable, p.window_days, level)
        rel = [None if not t.ordinary[i] else (t.y[i] or 0) / ref[i] - 1 for i in range(n)]
        base = [r for r, ok in zip(rel, usable, strict=True) if ok and r is not None]
        mid = _median(base, 0.0)
        sigma = max(0.05, 1.4826 * _median([abs(r - mid) for r in base], 0.1))
        z = [None if r is None else max(-3.0, (r - mid) / sigma) for r in rel]
        segments = _cusum_segments(z, p.cusum_drift, p.cusum_threshold)
        flagged = [any(s <= i <= e for s, e in segments) for i in range(n)]

    out = []
    for s, e in segments:
        s = _change_point(z, s, e)
        e = _end_point(z, s, e)
        days_in = [i for i in range(s, e + 1) if t.ordinary[i]]
        if e - s + 1 < p.min_days or not days_in:
            continue
        zs = [z[i] or 0.0 for i in days_in]
        strength = statistics.mean(zs) * len(zs) ** 0.5
        usual = statistics.mean(t.expected(i, ref[i]) for i in days_in)
        extra = statistics.mean((t.raw[i] or 0) - t.expected(i, ref[i]) for i in days_in)
        if strength < p.min_strength or extra < p.min_excess_litres or \
                extra < p.min_excess_share * usual:
            continue
        before = [t.y[i] or 0 for i in range(max(0, s - p.context_days), s) if t.ordinary[i]]
        after = [t.y[i] or 0 for i in range(e + 1, min(n, e + 1 + p.context_days))
                 if t.ordinary[i]]
        during = _median([t.y[i] or 0 for i in days_in], 0.0)
        lvl_before = _median(before, during)
        lvl_after = _median(after, during)
        evidence = [f"{extra:.0f} L/day above the usual {usual:.0f} L/day for {e - s + 1} days"]
        if len(after) < 7:
            # still high at the last reading: a leak, or more people at home; cannot tell yet
            kind = "ongoing_rise"
            evidence.append("still high at the last reading: read the meter when no tap is "
                            "open to tell a leak from a busier home")
        elif during > lvl_before and \
                lvl_after - lvl_before > p.lasting_share * (during - lvl_before):
            kind = "lasting_increase"
            evidence.append(f"the level stays up afterwards ({lvl_after:.0f} L/day, "
                            "deseasonalised): more people at home, or a habit that changed")
        else:
            kind = "leak"
            evidence.append("then back to the usual level, as when a leak is repaired")
        out.append(Finding(kind, t.day[s].isoformat(), t.day[e].isoformat(), round(extra),
                           round(extra / 24, 1), round(extra * (e - s + 1)), evidence,
                           round(strength, 1)))
    return out


def _merge(findings: list[Finding], extra: Finding) -> list[Finding]:
    """Add ``extra``; overlapping leak-like findings become one leak."""
    keep = []
    for f in findings:
        if f.kind != "burst" and extra.kind != "burst" and f.start <= extra.end and \
                f.end >= extra.start:
            # a flow seen while away settles it: an overlapping rise was a leak
            kind = "leak" if "leak" in (f.kind, extra.kind) else f.kind
            big = f if f.litres_lost >= extra.litres_lost else extra
            extra = Finding(kind, min(f.start, extra.start), max(f.end, extra.end),
                            big.extra_litres_per_day, big.flow_lph,
                            max(f.litres_lost, extra.litres_lost),
                            f.evidence + [e for e in extra.evidence if e not in f.evidence],
                            max(f.strength, extra.strength))
        else:
            keep.append(f)
    return [*keep, extra]


def detect(docs: list[dict], p: Params | None = None) -> list[Finding]:
    """Every finding in a household's water statements, oldest first."""
    p = p or Params()
    first, raw = daily_series(docs)
    if first is None or len(raw) < 21:
        return []
    t = _prepare(first, raw, p)
    if t is None:
        return []
    findings: list[Finding] = []
    candidates = _bursts(t) + _excesses(t, p)
    for s, e, litres in _leaks_while_away(t.raw, t.away):
        candidates.append(Finding(
            "leak", t.day[s].isoformat(), t.day[e].isoformat(), round(litres),
            round(litres / 24, 1), round(litres * (e - s + 1)),
            [f"{litres:.0f} L/day drawn on {e - s + 1} days when nobody was home"]))
    for f in sorted(candidates, key=lambda f: f.start):
        findings = _merge(findings, f)
    findings.sort(key=lambda f: (f.start, f.kind))
    return findings
