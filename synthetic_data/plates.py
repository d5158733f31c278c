"""French number plates (SIV) issued in sequence, and the dates cars came to a household.

SIV plates run AA-001-AA, AA-002-AA, … AA-999-AA, AA-001-AB, … AA-999-ZZ, AB-001-AA, … (the
number first, then the right-hand letters, then the left-hand ones; no I, O or U), from
15 April 2009 for new vehicles; a car keeps its plate for life. So a plate dates the car's
registration in the SIV: where the series stood that day (``params/household.toml [cars]``
anchors, linear in between and extrapolated at the same pace).

A car registered before the SIV got a plate when its registration was redone: sold (used cars
from 15 October 2009) or its owner moved. We decide that every car in a household has an SIV plate
(the pilot's years are 2016-2018 and later, when few cars were still on the old FNI system):
a car first registered before 2009 and bought before October 2009 got its plate at a move or
re-registration drawn between October 2009 and the household's insurance start. The household
has had the car with that plate since ``since``: its MAIF car contract starts on or after it.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from synthetic_data import parameters

LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # SIV letters: no I, O or U
PAIRS = len(LETTERS) ** 2
SIV_START = date(2009, 4, 15)
USED_CARS_FROM = date(2009, 10, 15)


def position(plate: str) -> int:
    """Rank of an SIV plate in the issuing sequence (AA-001-AA is 0)."""
    left, number, right = plate.split("-")

    def pair(s: str) -> int:
        return LETTERS.index(s[0]) * len(LETTERS) + LETTERS.index(s[1])

    return (pair(left) * PAIRS + pair(right)) * 999 + int(number) - 1


def plate_at(rank: int) -> str:
    pair_rank, n = divmod(int(rank), 999)
    left, right = divmod(pair_rank, PAIRS)

    def pair(k: int) -> str:
        return LETTERS[k // len(LETTERS)] + LETTERS[k % len(LETTERS)]

    return f"{pair(left)}-{n + 1:03d}-{pair(right)}"


def _anchors() -> tuple[np.ndarray, np.ndarray]:
    a = parameters.load("household")["cars"]["siv_series"]
    days = np.array([date.fromisoformat(d).toordinal() for d, _ in a], dtype=float)
    ranks = np.array([position(p) for _, p in a], dtype=float)
    return days, ranks


def reached_on(day: date) -> int:
    """Rank of the last plate issued by the end of ``day`` (linear between the anchors, the same
    pace before and after them)."""
    days, ranks = _anchors()
    pace = (ranks[-1] - ranks[0]) / (days[-1] - days[0])
    t = day.toordinal() + 1
    if t <= days[0]:
        return -1
    if t >= days[-1]:
        return int(ranks[-1] + (t - days[-1]) * pace)
    return int(np.interp(t, days, ranks))


def plate_issued_on(rng: np.random.Generator, day: date) -> str:
    """A plate issued on ``day``: between the series' position that morning and that night."""
    lo = reached_on(day - timedelta(days=1)) + 1
    hi = max(reached_on(day), lo)
    return plate_at(int(rng.integers(lo, hi + 1)))


def car(rng: np.random.Generator, start: date) -> tuple[str, date]:
    """One household car: its plate and the date since which the household has had it with that
    plate (before ``start``, the period's first day)."""
    c = parameters.load("household")["cars"]
    latest = start - timedelta(days=c["min_days_before_period"])
    acquired = latest - timedelta(days=int(rng.uniform(0, c["held_years_max"]) * 365.25))
    new = rng.random() < c["bought_new_share"]
    age = 0.0 if new else rng.uniform(*c["used_age_years"])
    first = acquired - timedelta(days=int(age * 365.25))
    if first >= SIV_START:
        issued = first                 # plate for life from its first registration
    elif acquired >= USED_CARS_FROM:
        issued = acquired              # an old car entered the SIV when sold
    else:                              # kept since before: re-registered at a move
        span = max((latest - USED_CARS_FROM).days, 0)
        issued = USED_CARS_FROM + timedelta(days=int(rng.integers(0, span + 1)))
    return plate_issued_on(rng, issued), max(acquired, issued)


def car_bought_during(rng: np.random.Generator, start: date) -> tuple[str, date] | None:
    """A second car the household buys in the period's first year (``params/household.toml
    [cars] bought_in_period_share``), or None: its plate and the day it was bought."""
    c = parameters.load("household")["cars"]
    if rng.random() >= c["bought_in_period_share"]:
        return None
    lo, hi = c["bought_day_range"]
    acquired = start + timedelta(days=int(rng.integers(lo, hi + 1)))
    new = rng.random() < c["bought_new_share"]
    first = acquired - timedelta(days=0 if new else int(rng.uniform(*c["used_age_years"])
                                                          * 365.25))
    return plate_issued_on(rng, first if first >= SIV_START else acquired), acquired

