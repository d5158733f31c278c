"""One master seed, one independent stream per household, per source and per commune-year.

Household ``k`` of master seed ``S`` uses ``SeedSequence(S, spawn_key=(0, k))``, which is exactly
``SeedSequence(S).spawn(2)[0].spawn(N)[k]``: any household can be regenerated alone, shards can run
in any process, and the output never depends on the number of workers. Inside a household each
source draws from its own child stream keyed by a stable hash of its name, so adding a source never
changes what the others produce.
"""

from __future__ import annotations

import zlib

import numpy as np

HOUSEHOLDS = 0
WEATHER = 1
NATIONAL = 2


def household_seed(master_seed: int, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(master_seed, spawn_key=(HOUSEHOLDS, index))


def stream(seed: np.random.SeedSequence, name: str) -> np.random.Generator:
    """A generator for the named stream (``"household"``, ``"water"``...) under ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))
    return np.random.default_rng(child)


def weather_rng(master_seed: int, insee: str, year: int) -> np.random.Generator:
    """Weather is shared by every household of a commune: keyed by commune and year only."""
    code = int(insee.replace("A", "0").replace("B", "1"))
    seq = np.random.SeedSequence(master_seed, spawn_key=(WEATHER, code, year))
    return np.random.default_rng(seq)


def national_rng(master_seed: int, name: str, year: int) -> np.random.Generator:
    """A stream shared by every household of a population (e.g. the Tempo day colours)."""
    key = zlib.crc32(name.encode("utf-8"))
    seq = np.random.SeedSequence(master_seed, spawn_key=(NATIONAL, key, year))
    return np.random.default_rng(seq)
