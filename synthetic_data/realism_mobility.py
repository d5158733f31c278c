"""Mobility figures for ``selfdata realism``: trips as travelled, homes and lodgings on land.

From the ground truth's vacations (``org.selfdata.groundtruth.event``) and the phones' positions
(``fr.orange.geopoint``), as an analyst would read them:

- speed between consecutive positions of a line: never over ``GROUND_KMH`` (fastest train, door
  to door) except on a plane trip's travel days, and never over ``AIR_KMH`` (no jump faster than
  an airliner, even across a flight with the phone off);
- households with no trip of four nights or more (the CREDOC's "partir en vacances"), distinct
  destinations per 100 trips, trips starting on a Friday;
- coastal stays: the lodging (the median of the night positions, 01:00–05:00, between the first
  and last day) must lie inland of the resort's centre, on its inland bearing's side;
- homes: the median night position on days at home must lie in the commune's built-up disc
  (``household.home_spread_km``, plus the positions' scatter ``HOME_SLACK_KM``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period, utc_offset_seconds
from synthetic_data.household import home_spread_km
from synthetic_data.trips import destinations, km_between

TRUTH = "org.selfdata.groundtruth.event"
GEOPOINT = "fr.orange.geopoint"
GROUND_KMH = 200.0   # a TGV averages under 200 km/h door to door (assumption)
AIR_KMH = 900.0      # an airliner's cruise speed
LONG_NIGHTS = 4      # CREDOC: holidays are >= 4 consecutive nights away for personal reasons
NIGHT_HOURS = (1.0, 5.0)
HOME_SLACK_KM = 0.3  # median of jittered night positions vs the true home (assumption)
KM_PER_DEGREE = 111.32


@dataclass
class Mobility:
    max_kmh: dict[str, float] = field(default_factory=lambda: {"ground": 0.0, "air": 0.0})
    jumps: dict[str, int] = field(default_factory=lambda: {"ground": 0, "air": 0})
    no_long_trip: list[int] = field(default_factory=lambda: [0, 0])
    friday: list[int] = field(default_factory=lambda: [0, 0])
    places: set[str] = field(default_factory=set)
    lodging_seaward: list[int] = field(default_factory=lambda: [0, 0])
    home_outside: list[int] = field(default_factory=lambda: [0, 0])
    examples: list[str] = field(default_factory=list)


@cache
def _bearings() -> dict[str, tuple[float, float, float]]:
    return {d.name: (d.latitude, d.longitude, d.bearing) for d in destinations()
            if not np.isnan(d.bearing)}


@cache
def _communes() -> dict[str, tuple[float, float, int, int]]:
    return {r["insee"]: (float(r["latitude"]), float(r["longitude"]), int(r["population"]),
                         int(r["city_population"])) for r in parameters.load_csv("communes")}


def _lines(docs: list[dict]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per line: UTC epoch seconds (sorted), latitudes, longitudes."""
    by_line: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for d in docs:
        by_line[d["msisdn"]].append((d["timestamp"], float(d["latitude"]),
                                     float(d["longitude"])))
    out = {}
    for line, rows in by_line.items():
        rows.sort()
        t = np.array([r[0].rstrip("Z") for r in rows], dtype="datetime64[s]").astype(np.int64)
        out[line] = (t, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    return out


def measure_household(acc: Mobility, hh: dict, files: dict[str, list[dict]],
                      period: Period) -> None:
    trips = [e for e in files.get(TRUTH, []) if e.get("kind") == "vacation"]
    showcase = bool(hh.get("showcase"))  # always leaves (calendar.toml): not a draw
    acc.no_long_trip[1] += not showcase
    acc.no_long_trip[0] += not showcase and not any(
        (date.fromisoformat(e["end"]) - date.fromisoformat(e["start"])).days >= LONG_NIGHTS
        for e in trips)
    for e in trips:
        acc.friday[0] += date.fromisoformat(e["start"]).weekday() == 4
        acc.friday[1] += 1
        acc.places.add(e["details"]["destination"])
    lines = _lines(files.get(GEOPOINT, []))
    if not lines:
        return
    flight_days = {date.fromisoformat(e[k]) for e in trips
                   if e["details"].get("mode") == "plane" for k in ("start", "end")}
    first = np.datetime64(period.start, "D")
    away = np.zeros(period.n_days, dtype=bool)
    for e in trips:
        a = (date.fromisoformat(e["start"]) - period.start).days
        away[max(a - 1, 0):(date.fromisoformat(e["end"]) - period.start).days + 2] = True
    night_t, night_lat, night_lon = [], [], []
    for line, (t, lat, lon) in lines.items():
        local = t + utc_offset_seconds(t)
        day = (local // 86400 - first.astype(np.int64)).astype(np.int64)
        hour = (local % 86400) / 3600.0
        _speeds(acc, line, t, lat, lon, day, period, flight_days)
        night = (hour >= NIGHT_HOURS[0]) & (hour < NIGHT_HOURS[1])
        night_t.append(day[night])
        night_lat.append(lat[night])
        night_lon.append(lon[night])
    nd, nlat, nlon = (np.concatenate(x) for x in (night_t, night_lat, night_lon))
    _lodgings(acc, trips, period, nd, nlat, nlon)
    _home(acc, hh, away, nd, nlat, nlon)


def _speeds(acc: Mobility, line: str, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
            day: np.ndarray, period: Period, flight_days: set[date]) -> None:
    if t.size < 2:
        return
    kmh = km_between(lat[:-1], lon[:-1], lat[1:], lon[1:]) / np.maximum(np.diff(t), 1) * 3600.0
    flown = np.array([period.start + timedelta(days=int(d)) in flight_days
                      for d in day], dtype=bool)
    air = flown[:-1] | flown[1:]
    for kind, mask, limit in (("ground", ~air, GROUND_KMH), ("air", air, AIR_KMH)):
        if mask.any():
            acc.max_kmh[kind] = max(acc.max_kmh[kind], float(kmh[mask].max()))
            bad = np.flatnonzero(mask & (kmh > limit))
            acc.jumps[kind] += bad.size
            if bad.size and len(acc.examples) < 3:
                acc.examples.append(f"{line} {kmh[bad[0]]:.0f} km/h")


def _lodgings(acc: Mobility, trips: list[dict], period: Period, nd: np.ndarray,
              nlat: np.ndarray, nlon: np.ndarray) -> None:
    coast = _bearings()
    for e in trips:
        d = e["details"]
        if d.get("destination_kind") not in ("coast", "island", "abroad") or \
                d["destination"] not in coast:
            continue
        a = (date.fromisoformat(e["start"]) - period.start).days
        b = (date.fromisoformat(e["end"]) - period.start).days
        there = (nd > a) & (nd < b)
        if not there.any():
            continue
        clat, clon, bearing = coast[d["destination"]]
        dy = (float(np.median(nlat[there])) - clat) * KM_PER_DEGREE
        dx = (float(np.median(nlon[there])) - clon) * KM_PER_DEGREE * np.cos(np.radians(clat))
        inland = dx * np.sin(np.radians(bearing)) + dy * np.cos(np.radians(bearing))
        acc.lodging_seaward[0] += inland <= 0.0
        acc.lodging_seaward[1] += 1


def _home(acc: Mobility, hh: dict, away: np.ndarray, nd: np.ndarray, nlat: np.ndarray,
          nlon: np.ndarray) -> None:
    commune = _communes().get(hh.get("insee", ""))
    at_home = ~away[np.clip(nd, 0, away.size - 1)]
    if commune is None or not at_home.any():
        return
    lat, lon, population, city_population = commune
    d = float(km_between(lat, lon, np.median(nlat[at_home]), np.median(nlon[at_home])))
    acc.home_outside[0] += d > home_spread_km(population, population != city_population) \
        + HOME_SLACK_KM
    acc.home_outside[1] += 1
