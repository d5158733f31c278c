"""The French calendar a household lives by: local days, DST, public and school holidays.

All time grids are numpy arrays. Local days are ``datetime64[D]``; instants are UTC
``datetime64[m]``/``[s]``. Europe/Paris switches to summer time on the last Sunday of March at
01:00 UTC and back on the last Sunday of October at 01:00 UTC (EU rule since 1996), so a local day
has 23, 24 or 25 hours: 46, 48 or 50 half-hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, cached_property

import holidays
import numpy as np

from synthetic_data import parameters

MINUTE = np.timedelta64(1, "m")
HALF_HOUR = np.timedelta64(30, "m")


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def dst_bounds_utc(year: int) -> tuple[np.datetime64, np.datetime64]:
    """UTC instants when summer time starts and ends in ``year``."""
    start = datetime.combine(_last_sunday(year, 3), datetime.min.time()) + timedelta(hours=1)
    end = datetime.combine(_last_sunday(year, 10), datetime.min.time()) + timedelta(hours=1)
    return np.datetime64(start, "m"), np.datetime64(end, "m")


@cache
def _dst_edges(first_year: int, last_year: int) -> np.ndarray:
    """Epoch seconds of every summer-time start and end, in order."""
    edges = []
    for year in range(first_year, last_year + 1):
        edges.extend(dst_bounds_utc(year))
    return np.array(edges, dtype="datetime64[s]").astype(np.int64)


def utc_offset_seconds(sec: np.ndarray) -> np.ndarray:
    """Europe/Paris offset (3600 or 7200) for UTC instants given as epoch seconds.

    Summer time is in force between a start edge and the next end edge: one ``searchsorted``.
    """
    sec = np.asarray(sec, dtype=np.int64)
    if sec.size == 0:
        return np.zeros(0, dtype=np.int64)
    years = sec.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    edges = _dst_edges(int(years.min()), int(years.max()))
    summer = np.searchsorted(edges, sec, side="right") % 2 == 1
    return np.where(summer, 7200, 3600)


def utc_offset_minutes(utc: np.ndarray) -> np.ndarray:
    """Europe/Paris offset (60 or 120) for each UTC instant (any datetime64 unit)."""
    return utc_offset_seconds(np.asarray(utc).astype("datetime64[s]").astype(np.int64)) // 60


def local_hour(timestamp: str) -> float:
    """Paris clock hour (0-24, with minutes as a fraction) of an ISO UTC timestamp."""
    t = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    offset = int(utc_offset_seconds(np.array([int(t.timestamp())]))[0])
    return (t.hour + t.minute / 60 + offset / 3600) % 24


def local_midnight_utc(day: date) -> np.datetime64:
    """The UTC instant of 00:00 local time on ``day``."""
    naive = np.datetime64(day, "m")
    # Midnight is never inside a DST jump in France, so one correction step is exact.
    guess = naive - 60 * MINUTE
    return naive - utc_offset_minutes(np.array([guess]))[0] * MINUTE


@cache
def _public_holidays(first_year: int, last_year: int) -> np.ndarray:
    """French public holidays of those years, sorted (built once: ``holidays`` is slow)."""
    fr = holidays.France(years=range(first_year, last_year + 1))
    hol = np.array(sorted(np.datetime64(d, "D") for d in fr), dtype="datetime64[D]")
    hol.flags.writeable = False
    return hol


@dataclass(frozen=True)
class Period:
    """Local days ``start`` (inclusive) to ``end`` (exclusive)."""

    start: date
    end: date

    @classmethod
    def of_years(cls, start: date, years: int) -> Period:
        try:
            end = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + years, day=28)
        return cls(start, end)

    @cached_property
    def days(self) -> np.ndarray:
        return np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D"))

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days

    @cached_property
    def weekday(self) -> np.ndarray:
        """Monday = 0 ... Sunday = 6 for each day."""
        return (self.days.astype(np.int64) + 3) % 7

    @cached_property
    def day_of_year(self) -> np.ndarray:
        return (self.days - self.days.astype("datetime64[Y]")).astype(np.int64) + 1

    @cached_property
    def month(self) -> np.ndarray:
        return self.days.astype("datetime64[M]").astype(np.int64) % 12 + 1

    @cached_property
    def public_holiday(self) -> np.ndarray:
        return np.isin(self.days, _public_holidays(self.start.year, self.end.year))

    def school_holiday(self, zone: str) -> np.ndarray:
        cached = self.__dict__.setdefault("_school", {})
        if zone not in cached:
            cached[zone] = school_holidays(self, zone)
        return cached[zone]

    @cached_property
    def halfhours(self) -> HalfHourGrid:
        return HalfHourGrid.for_period(self)


@dataclass(frozen=True)
class HalfHourGrid:
    """Every half-hour slot of a period, on the UTC axis, with the local day it belongs to."""

    start_utc: np.ndarray   # datetime64[m], slot start
    day_index: np.ndarray   # index into Period.days
    local_hour: np.ndarray  # local clock time of the slot start, hours (0.0 ... 23.5)
    slots_per_day: np.ndarray  # 46, 48 or 50 per local day

    @classmethod
    def for_period(cls, period: Period) -> HalfHourGrid:
        t0 = local_midnight_utc(period.start)
        t1 = local_midnight_utc(period.end)
        start = np.arange(t0, t1, HALF_HOUR)
        local = start + utc_offset_minutes(start) * MINUTE
        local_day = local.astype("datetime64[D]")
        day_index = (local_day - np.datetime64(period.start, "D")).astype(np.int64)
        local_hour = (local - local_day).astype(np.int64) / 60.0
        counts = np.bincount(day_index, minlength=period.n_days)
        return cls(start, day_index, local_hour, counts)


def _md(year: int, mmdd: str) -> date:
    month, day = (int(x) for x in mmdd.split("-"))
    return date(year, month, day)


def school_holidays(period: Period, zone: str) -> np.ndarray:
    """Approximate French school holidays for ``zone`` (A, B or C), one flag per day."""
    cfg = parameters.load("calendar")["school_holidays"]
    ranges: list[tuple[date, date]] = []
    for year in range(period.start.year - 1, period.end.year + 1):
        ranges.append((_md(year, cfg["toussaint_start"]), _md(year, cfg["toussaint_end"])))
        ranges.append((_md(year, cfg["christmas_start"]), _md(year + 1, cfg["christmas_end"])))
        ranges.append((_md(year, cfg["summer_start"]), _md(year, cfg["summer_end"])))
        for key in ("winter_start_week", "spring_start_week"):
            monday = date.fromisocalendar(year, cfg[key][zone], 1)
            ranges.append((monday - timedelta(days=2), monday + timedelta(days=14)))
    flags = np.zeros(period.n_days, dtype=bool)
    for a, b in ranges:
        flags |= (period.days >= np.datetime64(a, "D")) & (period.days < np.datetime64(b, "D"))
    return flags
