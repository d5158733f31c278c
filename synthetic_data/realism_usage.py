"""Usage figures for ``selfdata realism``: how people differ and how days differ.

From the documents a contestant sees: call logs (minutes per line, long calls, the weekly cycle),
daily water statements (day-to-day spread at home, small flows while away) and MAIF claims (the
mix of causes). Days at home and away come from the ground-truth events (vacations, leaks), so the
water figures leave out the leaks they are not about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic_data.calendar_fr import Period, utc_offset_minutes

CALLS = "fr.orange.phonecommunicationlog"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
TRUTH = "org.selfdata.groundtruth.event"
SINISTRE = "fr.maif.maifuser.sinistre"
LONG_CALL_S = 20 * 60
MIN_HOME_DAYS = 60       # a household's day-to-day CV needs this many days at home


@dataclass
class Usage:
    line_minutes: list[float] = field(default_factory=list)   # outgoing minutes a day, per line
    long_calls: list[int] = field(default_factory=lambda: [0, 0])  # answered > 20 min, answered
    calls_by_weekday: np.ndarray = field(default_factory=lambda: np.zeros(7))
    water_cv: list[float] = field(default_factory=list)       # per household, days at home
    away_days: list[int] = field(default_factory=lambda: [0, 0])   # with water > 0, all
    away_litres: list[float] = field(default_factory=list)    # a non-zero away day / home mean
    water_claims: list[int] = field(default_factory=lambda: [0, 0])  # water damage, home claims


def _local_weekday(stamps: list[str]) -> np.ndarray:
    t = np.array([s.rstrip("Z") for s in stamps], dtype="datetime64[s]")
    local = (t + utc_offset_minutes(t) * np.timedelta64(1, "m")).astype("datetime64[D]")
    return (local.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday


def _days(events: list[dict], kind: str, first: date, n: int, skip_first: bool = False
          ) -> np.ndarray:
    """Per day of the period: inside an event of ``kind`` (optionally not its first day)."""
    out = np.zeros(n, dtype=bool)
    for e in (e for e in events if e.get("kind") == kind):
        a = (date.fromisoformat(e["start"]) - first).days + int(skip_first)
        b = (date.fromisoformat(e["end"]) - first).days
        out[max(0, a):max(0, b + 1)] = True
    return out


def measure_household(acc: Usage, files: dict[str, list[dict]], period: Period) -> None:
    days = period.n_days
    by_line: dict[str, list[dict]] = {}
    for d in files.get(CALLS, []):
        if d["chipType"] == "s":
            by_line.setdefault(d["msisdn"], []).append(d)
    for calls in by_line.values():
        acc.line_minutes.append(sum(d["length"] for d in calls if d["type"] == "appel sortant")
                                / 60 / days)
        answered = [d["length"] for d in calls if "boite vocale" not in d["type"]]
        acc.long_calls[0] += sum(1 for x in answered if x > LONG_CALL_S)
        acc.long_calls[1] += len(answered)
        acc.calls_by_weekday += np.bincount(_local_weekday([d["timestamp"] for d in calls]),
                                            minlength=7)
    _water(acc, files, period)
    for claim in files.get(SINISTRE, []):
        if claim.get("type") == "Habitation":
            acc.water_claims[0] += claim.get("natureSinistre") == "Dégât des eaux"
            acc.water_claims[1] += 1


def _water(acc: Usage, files: dict[str, list[dict]], period: Period) -> None:
    n, first = period.n_days, period.start
    litres = np.full(n, np.nan)
    for d in files.get(STATEMENTS, []):
        if d.get("statementCategory") == "eau":
            i = (date.fromisoformat(d["period"][:10]) - first).days
            if 0 <= i < n:
                litres[i] = float(d["value"])
    if np.isnan(litres).all():
        return
    truth = files.get(TRUTH, [])
    leak = _days(truth, "leak", first, n)
    away = _days(truth, "vacation", first, n)
    full_away = _days(truth, "vacation", first, n, skip_first=True)  # not the departure day
    home = ~away & ~leak & ~np.isnan(litres)
    if home.sum() >= MIN_HOME_DAYS:
        x = litres[home]
        acc.water_cv.append(float(x.std() / x.mean()))
    gone = full_away & ~leak & ~np.isnan(litres)
    acc.away_days[0] += int((litres[gone] > 0).sum())
    acc.away_days[1] += int(gone.sum())
    if home.any() and litres[home].mean() > 0:
        wet = litres[gone & (litres > 0)]
        acc.away_litres.extend((wet / litres[home].mean()).tolist())


def weekday_counts(period: Period) -> np.ndarray:
    """How many Mondays..Sundays the period has."""
    wd = [(period.start + timedelta(days=i)).weekday() for i in range(period.n_days)]
    return np.bincount(wd, minlength=7).astype(float)


def figures(acc: Usage, period: Period) -> dict[str, tuple[str, list[float], int]]:
    """(source, values, n) per metric name; a single value is a population figure."""
    out: dict[str, tuple[str, list[float], int]] = {}
    m = np.asarray(acc.line_minutes)
    out["outgoing_minutes_cv_across_lines"] = (
        "Orange", [float(m.std() / m.mean())] if m.size and m.mean() > 0 else [], m.size)
    k, total = acc.long_calls
    out["calls_over_20_min_share"] = ("Orange", [k / total] if total else [], total)
    per_day = acc.calls_by_weekday / np.maximum(weekday_counts(period), 1)
    weekday = per_day[:5].mean()
    n_calls = int(acc.calls_by_weekday.sum())
    for name, wd in (("sunday_weekday_calls_ratio", 6), ("saturday_weekday_calls_ratio", 5)):
        out[name] = ("Orange", [float(per_day[wd] / weekday)] if weekday > 0 else [], n_calls)
    out["water_day_to_day_cv_at_home"] = (
        "Water", [float(np.median(acc.water_cv))] if acc.water_cv else [], len(acc.water_cv))
    k, total = acc.away_days
    out["water_away_days_nonzero_share"] = ("Water", [k / total] if total else [], total)
    out["water_away_day_litres_over_home_mean"] = (
        "Water", [float(np.median(acc.away_litres))] if acc.away_litres else [],
        len(acc.away_litres))
    return out
