"""Shared fixtures: small generated households, cached per session."""

from __future__ import annotations

from datetime import date
from functools import cache

import pytest

from synthetic_data.calendar_fr import Period
from synthetic_data.population import HouseholdData, generate_household
from tests.support.postgres import Cluster, find_bin_dir
from tests.support.requirements import require

SEED = 20160901
YEAR = Period.of_years(date(2024, 1, 1), 1)  # a leap year with both DST changes


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster from the machine's server binaries, for the session."""
    require(find_bin_dir() is not None, "PostgreSQL server binaries (initdb) are not installed")
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@cache
def household(index: int, seed: int = SEED, period: Period = YEAR) -> HouseholdData:
    return generate_household(seed, index, period)


@pytest.fixture(scope="session")
def households() -> list[HouseholdData]:
    """Twelve households over 2024, every source."""
    return [household(i) for i in range(12)]


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
    from synthetic_data.household import sample_household
    from synthetic_data.seeding import household_seed, stream
    from synthetic_data.timeline import build_timeline

    s = household_seed(seed, index)
    hh = sample_household(index, stream(s, "household"), period.start)
    return hh, build_timeline(hh, period, stream(s, "timeline"))
