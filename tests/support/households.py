"""Small generated households, cached per process (the tests' shared seeded population)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache

from synthetic_data.calendar_fr import Period
from synthetic_data.household import Household, sample_household
from synthetic_data.population import HouseholdData, generate_household
from synthetic_data.seeding import household_seed, stream
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


def first_index(wanted: Callable[[Household, Timeline], bool], limit: int = 400,
                period: Period = YEAR) -> int:
    """Index of the first household of the shared population (over ``period``) with a property a
    test needs: tests pick households by what they are, not by a position the generator may
    move."""
    for i in range(limit):
        if wanted(*latent(i, SEED, period)):
            return i
    raise LookupError(f"no household among the first {limit} matches {wanted.__doc__ or wanted}")
