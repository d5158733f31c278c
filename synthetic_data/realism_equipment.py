"""Equipment figures for ``selfdata realism``: what a home and its people have, read from the
documents a contestant sees.

- Subscribed power: days whose maximum power (PMAX) equals the subscribed power (a breaker
  trip: rare when the subscription fits the home) and the most repeated half-hour mean (a load
  curve clipped at a ceiling piles up on one value).
- Number plates: an SIV plate is issued in sequence, so one further on than the series had
  reached on the day its car's MAIF contract began did not exist yet (``plates.py``).
- Water: one operator per commune (every household of a commune has the same water company).
- Handsets: none logged before it went on sale (local day of a line's first record with it), and
  the share of lines changing handset within the period's first year, beside the replacement
  rate of ``params/telecom.toml``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from synthetic_data import parameters, plates
from synthetic_data.calendar_fr import Period, utc_offset_minutes

LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"
MAXPOWER = "fr.enedis.api.meteringdata.maxpower"
CONTRACTS = "fr.maif.maifuser.contrat"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
PLATE_AFTER = "plates not issued yet when the car was insured"
TWO_WATER = "communes served by two water operators"
CALLS = "fr.orange.phonecommunicationlog"
BEFORE_RELEASE = "handsets logged before they went on sale"
REPEAT_FLOOR_W = 1000    # repeated low values (base load) are natural; a ceiling is not


@dataclass
class Equipment:
    pmax_at_kva: list[int] = field(default_factory=lambda: [0, 0])   # days PMAX = kVA, all days
    household_pmax_at_kva: list[float] = field(default_factory=list)  # share of days, per home
    repeated_halfhour: list[float] = field(default_factory=list)  # most repeated value ≥ 1 kW,
    #                                                                 share of the home's slots
    plates: int = 0                                                  # insured cars seen
    water: dict[str, set[str]] = field(default_factory=dict)         # INSEE -> operators
    handset_changes: list[int] = field(default_factory=lambda: [0, 0])  # lines changing, lines
    broken: Counter = field(default_factory=Counter)


def _reading(doc: dict) -> dict:
    return doc["usage_point"][0]["meter_reading"]


def measure_household(acc: Equipment, hh: dict, files: dict[str, list[dict]],
                      period: Period) -> None:
    _power(acc, files)
    _plates(acc, files)
    _handsets(acc, files, period)
    for doc in files.get(STATEMENTS, []):
        if doc.get("statementCategory") == "eau" and hh.get("insee"):
            acc.water.setdefault(hh["insee"], set()).add(doc["vendor"])
            break


def _released() -> dict[str, str]:
    return {h["label"]: str(h["released"]) for h in parameters.load("telecom")["handsets"]}


def _handsets(acc: Equipment, files: dict[str, list[dict]], period: Period) -> None:
    first: dict[tuple[str, str], str] = {}       # (line, handset) -> first timestamp
    for d in files.get(CALLS, []):
        key = (str(d.get("msisdn", "")), str(d.get("deviceLabel", "")))
        ts = d["timestamp"]
        if key not in first or ts < first[key]:
            first[key] = ts
    if not first:
        return
    released = _released()
    year_end = np.datetime64(period.start, "D") + np.timedelta64(365, "D")
    by_line: dict[str, list[np.datetime64]] = {}
    for (line, label), ts in first.items():
        t = np.datetime64(ts.rstrip("Z"), "s")
        local = (t + utc_offset_minutes(np.array([t]))[0] * np.timedelta64(1, "m")).astype(
            "datetime64[D]")
        if label in released and local < np.datetime64(released[label], "D"):
            acc.broken[BEFORE_RELEASE] += 1
        by_line.setdefault(line, []).append(local)
    for days in by_line.values():
        acc.handset_changes[1] += 1
        acc.handset_changes[0] += sum(1 for d in sorted(days)[1:] if d < year_end) > 0


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
    k, n = acc.handset_changes
    out["lines_changing_handset_in_a_year_share"] = ("Orange", [k / n] if n else [], n)
    rep = acc.repeated_halfhour
    out["halfhour_most_repeated_value_share_max"] = ("Enedis", [max(rep)] if rep else [],
                                                      len(rep))
    return out


def checks(acc: Equipment) -> dict[str, tuple[int, str]]:
    """Coherence checks that must be 0: (count, unit) per check."""
    return {PLATE_AFTER: (acc.broken[PLATE_AFTER], f"cars, of {acc.plates} insured"),
            TWO_WATER: (sum(len(ops) > 1 for ops in acc.water.values()),
                        f"communes, of {len(acc.water)}"),
            BEFORE_RELEASE: (acc.broken[BEFORE_RELEASE], "line handsets")}
