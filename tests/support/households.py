"""Small generated households, cached per process (the tests' shared seeded population)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache

from synthetic_data.calendar_fr import Period
from synthetic_data.household import Household, sample_household
from synthetic_data.population import HouseholdData, generate_household
from synthetic_data.seeding import household_seed, stream
from synthetic_data.sources.transport import served
from synthetic_data.timeline import Timeline, build_timeline

SEED = 20160901
YEAR = Period.of_years(date(2024, 1, 1), 1)  # a leap year with both DST changes


@cache
def household(index: int, seed: int = SEED, period: Period = YEAR) -> HouseholdData:
    return generate_household(seed, index, period)


def docs_of(data: HouseholdData, doctype: str, **match) -> list[dict]:
    """Documents of ``doctype`` in one household, optionally filtered on top-level fields."""
    out = []
    for b in data.batches:
        if b.doctype == doctype:
            out.extend(d for d in b.dicts() if all(d.get(k) == v for k, v in match.items()))
    return out


@cache
def latent(index: int, seed: int = SEED, period: Period = YEAR):
    """Household and timeline only (no sources): cheap enough for hundreds."""
    s = household_seed(seed, index)
    hh = sample_household(index, stream(s, "household"), period.start)
    return hh, build_timeline(hh, period, stream(s, "timeline"))


def indices_where(wanted: Callable[[Household, Timeline], bool], n: int,
                  limit: int = 3000, period: Period = YEAR) -> list[int]:
    """Indices of the first ``n`` households of the shared population (over ``period``) with a
    property the tests need: tests pick households by what they are, not by a position the
    generator may move."""
    out = []
    for i in range(limit):
        if wanted(*latent(i, SEED, period)):
            out.append(i)
            if len(out) == n:
                return out
    raise LookupError(f"{len(out)} of the first {limit} households match "
                      f"{wanted.__doc__ or wanted}, {n} wanted")


def first_index(wanted: Callable[[Household, Timeline], bool], limit: int = 3000,
                period: Period = YEAR) -> int:
    return indices_where(wanted, 1, limit, period)[0]


def every_partner(hh: Household, tl: Timeline) -> bool:
    """EDF, Orange mobile lines and VOD on an Orange box (MAIF, Enedis and water: everyone)"""
    return hh.partners.edf and hh.partners.orange_mobile and hh.partners.vod


def tcl_worker(hh: Household, tl: Timeline) -> bool:
    """In the TCL area (Lyon metropolis) with a working member who has a mobile line"""
    return served(hh.commune.insee) and any(m.works and m.msisdn for m in hh.members)


@cache
def full_household() -> int:
    """The first household every partner holds data on: every doctype is there."""
    return first_index(every_partner)
