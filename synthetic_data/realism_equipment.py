"""Equipment figures for ``selfdata realism``: what a home and its people have, read from the
documents a contestant sees.

- Subscribed power: days whose maximum power (PMAX) equals the subscribed power (a breaker
  trip: rare when the subscription fits the home) and the most repeated half-hour mean (a load
  curve clipped at a ceiling piles up on one value).
- Number plates: an SIV plate is issued in sequence, so one further on than the series had
  reached on the day its car's MAIF contract began did not exist yet (``plates.py``).
- Water: one operator per commune (every household of a commune has the same water company).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from synthetic_data import plates
from synthetic_data.calendar_fr import Period

LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"
MAXPOWER = "fr.enedis.api.meteringdata.maxpower"
CONTRACTS = "fr.maif.maifuser.contrat"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
PLATE_AFTER = "plates not issued yet when the car was insured"
TWO_WATER = "communes served by two water operators"
REPEAT_FLOOR_W = 1000    # repeated low values (base load) are natural; a ceiling is not


@dataclass
class Equipment:
    pmax_at_kva: list[int] = field(default_factory=lambda: [0, 0])   # days PMAX = kVA, all days
    household_pmax_at_kva: list[float] = field(default_factory=list)  # share of days, per home
    repeated_halfhour: list[float] = field(default_factory=list)  # most repeated value ≥ 1 kW,
    #                                                                 share of the home's slots
    plates: int = 0                                                  # insured cars seen
    water: dict[str, set[str]] = field(default_factory=dict)         # INSEE -> operators
    broken: Counter = field(default_factory=Counter)


def _reading(doc: dict) -> dict:
    return doc["usage_point"][0]["meter_reading"]


def measure_household(acc: Equipment, hh: dict, files: dict[str, list[dict]],
                      period: Period) -> None:
    _power(acc, files)
    _plates(acc, files)
    for doc in files.get(STATEMENTS, []):
        if doc.get("statementCategory") == "eau" and hh.get("insee"):
            acc.water.setdefault(hh["insee"], set()).add(doc["vendor"])
            break


def _plates(acc: Equipment, files: dict[str, list[dict]]) -> None:
    for doc in files.get(CONTRACTS, []):
        for c in doc.get("contrat", []):
            for car in (c.get("objects") or {}).get("vehicule") or []:
                day = date.fromisoformat(c["startDate"][:10])
                acc.plates += 1
                if plates.position(car["immatriculationVehicule"]) > plates.reached_on(day):
                    acc.broken[PLATE_AFTER] += 1


def _power(acc: Equipment, files: dict[str, list[dict]]) -> None:
    at_kva = days = 0
    for doc in files.get(MAXPOWER, []):
        pmax = int(_reading(doc)["interval_block"][0]["value"])
        at_kva += pmax == int(doc["contract_power"]) * 1000
        days += 1
    acc.pmax_at_kva[0] += at_kva
    acc.pmax_at_kva[1] += days
    if days:
        acc.household_pmax_at_kva.append(at_kva / days)
    values = [int(b["value"]) for doc in files.get(LOADCURVE, [])
              for b in _reading(doc)["interval_block"]]
    if values:
        v = np.asarray(values)
        high = v[v >= REPEAT_FLOOR_W]
        top = int(np.unique(high, return_counts=True)[1].max()) if high.size else 0
        acc.repeated_halfhour.append(top / v.size)


def figures(acc: Equipment, period: Period) -> dict[str, tuple[str, list[float], int]]:
    """(source, values, n) per metric name; a single value is a population figure."""
    out: dict[str, tuple[str, list[float], int]] = {}
    k, n = acc.pmax_at_kva
    out["pmax_at_subscribed_power_day_share"] = ("Enedis", [k / n] if n else [], n)
    share = acc.household_pmax_at_kva
    out["pmax_at_subscribed_power_max_household_share"] = (
        "Enedis", [max(share)] if share else [], len(share))
    rep = acc.repeated_halfhour
    out["halfhour_most_repeated_value_share_max"] = ("Enedis", [max(rep)] if rep else [],
                                                      len(rep))
    return out


def checks(acc: Equipment) -> dict[str, tuple[int, str]]:
    """Coherence checks that must be 0: (count, unit) per check."""
    return {PLATE_AFTER: (acc.broken[PLATE_AFTER], f"cars, of {acc.plates} insured"),
            TWO_WATER: (sum(len(ops) > 1 for ops in acc.water.values()),
                        f"communes, of {len(acc.water)}")}
