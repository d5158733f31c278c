"""The national EDF Tempo calendar: one colour per Tempo day, the same for every household.

A season runs 1 September → 31 August with 22 red, 43 white and the rest blue days. Red days fall
on the coldest weekdays (Monday–Friday, not public holidays) from November to March, so never more
than five in a row, with a bonus for January; white days on the next coldest non-Sundays of the
cold half-year. Past seasons keep RTE's recorded red days (``params/tempo_seasons.toml``: the
exact dates where published, else the number of red days in each month, placed on that month's
coldest eligible days); a season not recorded takes the month counts of a recorded season drawn
at random, placed the same way. Coldness is the temperature of a
reference commune (Paris) that every population shares, plus noise drawn from
``seeding.national_rng(master_seed, "tempo", season year)``.

A Tempo day runs 06:00 → 06:00 local time: the colour of day D prices the half-hours from 06:00
on D to 06:00 on D+1.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from synthetic_data import parameters, weather
from synthetic_data.calendar_fr import Period
from synthetic_data.communes import by_insee
from synthetic_data.seeding import national_rng

BLUE, WHITE, RED = 0, 1, 2
NAMES = np.array(["BLEU", "BLANC", "ROUGE"], dtype=object)


@lru_cache(maxsize=64)
def season(master_seed: int, year: int) -> np.ndarray:
    """Colour codes (0 blue, 1 white, 2 red) of each day from 1 Sept ``year`` to 31 Aug."""
    p = parameters.load("electricity")["tempo"]
    per = Period(date(year, 9, 1), date(year + 1, 9, 1))
    n = per.n_days
    rng = national_rng(master_seed, "tempo", year)
    temp = weather.daily_temperature(master_seed, by_insee(p["reference_insee"]), per)
    cold = -temp + np.where(per.month == 1, p["january_bonus"], 0.0)
    red_score = cold + rng.normal(0.0, p["score_noise"], n)
    white_score = cold + rng.normal(0.0, p["score_noise"], n)
    red_ok = np.isin(per.month, p["red_months"]) & (per.weekday < 5) & ~per.public_holiday
    white_ok = np.isin(per.month, p["white_months"]) & (per.weekday != 6)
    colours = np.zeros(n, dtype=np.int8)
    recorded = parameters.load("tempo_seasons").get(str(year), {})
    if "red_dates" in recorded:
        red = (np.array(recorded["red_dates"], dtype="datetime64[D]")
               - np.datetime64(f"{year}-09-01")).astype(int)
    else:
        # Recorded month counts, or for a season not recorded those of a recorded season drawn at
        # random: RTE's spread over the months (January ≈ half the reds) is kept, and within a
        # month the reds go to its coldest eligible days.
        patterns = _month_patterns()
        by_month = recorded.get("red_by_month") or patterns[int(rng.integers(len(patterns)))]
        red = np.concatenate([
            np.argsort(-np.where(red_ok & (per.month == int(m)), red_score, -np.inf),
                       kind="stable")[:k]
            for m, k in by_month.items()])
    colours[red] = RED
    white_ok &= colours == BLUE
    whites = recorded.get("white_days", p["white_days"])
    white = np.argsort(-np.where(white_ok, white_score, -np.inf), kind="stable")[:whites]
    colours[white] = WHITE
    colours.setflags(write=False)
    return colours


@lru_cache(maxsize=1)
def _month_patterns() -> list[dict[str, int]]:
    """Red days per month of every recorded season that used all its red days."""
    out = []
    for rec in parameters.load("tempo_seasons").values():
        if "red_dates" in rec:
            months = [d[5:7].lstrip("0") for d in rec["red_dates"]]
            counts = {m: months.count(m) for m in dict.fromkeys(months)}
        else:
            counts = dict(rec.get("red_by_month", {}))
        if sum(counts.values()) == parameters.load("electricity")["tempo"]["red_days"]:
            out.append(counts)
    return out


def colours(master_seed: int, first: date, n: int) -> np.ndarray:
    """Colour codes of the ``n`` Tempo days starting on ``first``."""
    out = np.empty(n, dtype=np.int8)
    day, i = first, 0
    while i < n:
        year = day.year if day.month >= 9 else day.year - 1
        start = date(year, 9, 1)
        offset = (day - start).days
        block = season(master_seed, year)[offset:offset + n - i]
        out[i:i + block.size] = block
        i += block.size
        day = first + timedelta(days=i)
    return out


def names(codes: np.ndarray) -> np.ndarray:
    """Colour codes as EDF's labels ``BLEU``, ``BLANC``, ``ROUGE``."""
    return NAMES[codes]
