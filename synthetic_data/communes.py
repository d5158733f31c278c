"""Real French communes the households live in (``params/communes.csv``).

The table is a stratified sample of the Code officiel géographique with its populations, built by
``scripts/build_communes.py`` (sources and assumptions there and in ``params/README.md``): every
commune of 20,000 inhabitants or more, Paris, Lyon and Marseille by arrondissement, and a random
sample of smaller ones. Each row carries a ``sample_weight`` so that drawing households in
proportion to it reproduces the real split of the population by commune size, rural to Paris.
"""

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
    population: int         # inhabitants (populations légales)
    city_population: int    # the whole city's, for an arrondissement of Paris, Lyon or Marseille
    sample_weight: float    # households are drawn in proportion to it

    @property
    def population_k(self) -> float:
        return self.population / 1000

    @property
    def is_city(self) -> bool:
        return self.city_population >= 100_000

    @property
    def size_class(self) -> str:
        """``rural`` (< 2,000 inhabitants), ``small_town`` (< 20,000), ``town`` (< 100,000),
        ``city``, or ``paris``: the classes the dwelling and heating tables are given by."""
        if self.insee.startswith("751"):
            return "paris"
        for limit, name in ((2_000, "rural"), (20_000, "small_town"), (100_000, "town")):
            if self.city_population < limit:
                return name
        return "city"

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
            population=int(r["population"]), city_population=int(r["city_population"]),
            sample_weight=float(r["sample_weight"]),
        )
        for r in rows
    )


@cache
def _by_insee() -> dict[str, Commune]:
    return {c.insee: c for c in all_communes()}


def by_insee(insee: str) -> Commune:
    try:
        return _by_insee()[insee]
    except KeyError:
        raise KeyError(f"unknown INSEE code {insee!r}") from None


@cache
def _by_department() -> dict[str, tuple[Commune, ...]]:
    out: dict[str, list[Commune]] = {}
    for c in all_communes():
        out.setdefault(c.department, []).append(c)
    return {k: tuple(v) for k, v in out.items()}


def same_department(commune: Commune) -> tuple[Commune, ...]:
    """The table's communes of ``commune``'s department (itself included)."""
    return _by_department()[commune.department]


@cache
def _cumulative_weights() -> np.ndarray:
    w = np.cumsum([c.sample_weight for c in all_communes()])
    return w / w[-1]


def sample_commune(rng: np.random.Generator) -> Commune:
    """A commune drawn in proportion to the population it stands for (its sample weight)."""
    i = int(np.searchsorted(_cumulative_weights(), rng.random(), side="right"))
    return all_communes()[min(i, len(all_communes()) - 1)]
