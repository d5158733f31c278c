"""Real French communes the households live in (``params/communes.csv``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from synthetic_data import parameters


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    postcode: str
    department: str
    latitude: float
    longitude: float
    climate_zone: str   # RT2012 zone: H1a..H3
    school_zone: str    # A, B or C
    gas_zone: str       # H or B (low-calorific gas of the Nord)
    t_mean: float       # annual mean temperature, °C
    t_amplitude: float  # half the January-July swing, °C
    population_k: float

    @property
    def is_city(self) -> bool:
        return self.population_k >= 100

    @property
    def city(self) -> str:
        """The commune name without the arrondissement (as on an address line)."""
        return self.name.split(" ")[0] if "Arrondissement" in self.name else self.name


@cache
def all_communes() -> tuple[Commune, ...]:
    rows = parameters.load_csv("communes")
    return tuple(
        Commune(
            insee=r["insee"], name=r["name"], postcode=r["postcode"], department=r["department"],
            latitude=float(r["latitude"]), longitude=float(r["longitude"]),
            climate_zone=r["climate_zone"], school_zone=r["school_zone"], gas_zone=r["gas_zone"],
            t_mean=float(r["t_mean"]), t_amplitude=float(r["t_amplitude"]),
            population_k=float(r["population_k"]),
        )
        for r in rows
    )


def by_insee(insee: str) -> Commune:
    for c in all_communes():
        if c.insee == insee:
            return c
    raise KeyError(f"unknown INSEE code {insee!r}")


def sample_commune(rng: np.random.Generator) -> Commune:
    """A commune drawn in proportion to its population."""
    communes = all_communes()
    w = np.array([c.population_k for c in communes])
    return communes[int(rng.choice(len(communes), p=w / w.sum()))]
