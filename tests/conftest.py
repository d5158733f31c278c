"""Session fixtures: the generated households and a throwaway PostgreSQL cluster."""

from __future__ import annotations

import pytest

from synthetic_data.population import HouseholdData
from tests.support.households import (
    every_partner,
    first_index,
    household,
    indices_where,
    tcl_worker,
)
from tests.support.postgres import Cluster, find_bin_dir
from tests.support.requirements import require


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster from the machine's server binaries, for the session."""
    require(find_bin_dir() is not None, "PostgreSQL server binaries (initdb) are not installed")
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def households() -> list[HouseholdData]:
    """Twelve households over 2024 that every partner holds data on (so every source runs), and
    one of them in the TCL area (public transport runs there only)."""
    return [household(i) for i in indices_where(every_partner, 12)] + [
        household(first_index(lambda hh, tl: every_partner(hh, tl) and tcl_worker(hh, tl)))]
