"""Holiday trips of the latent timeline: who leaves, when, where to, and how they travel.

A share of households leaves on holiday in a year (≥ 4 nights away, CREDOC's definition); the
others take at most short breaks. Destinations come from ``params/destinations.csv`` (coast,
mountain, countryside, abroad) or a commune of ``params/communes.csv`` (visiting relatives); start
weekdays peak on Saturday, durations are drawn from a distribution. Each trip carries its
:class:`Journey`: the way out on its first day and the way back on its last, by car, train or
plane, at plausible hours and speeds (``params/calendar.toml`` [vacations] and [travel]).

Day semantics: the trip's first and last days are flagged away in the timeline; on the first day
the household is at home until ``depart`` (local hours), on the last day home again from
``back``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period
from synthetic_data.communes import sample_commune
from synthetic_data.household import Household, home_spread_km, is_showcase

KM_PER_DEGREE = 111.32
N_WAYPOINTS = 6
FLIGHT_SEGMENT = 2  # plane journeys: waypoint 2 -> 3 is in the air (phone off)
# Abroad destinations across the sea: flown to (no straight road line over the water).
OVERSEAS = frozenset({"Palma", "London", "Dublin", "Edinburgh", "Athína", "Marrakech"})


@dataclass
class Journey:
    """How a trip is travelled: waypoints (latitude, longitude) reached at local hours since the
    period's first midnight, out on the first day and back on the last, linear in between."""

    mode: str                 # car, train or plane
    lodging: tuple[float, float]
    bearing: float            # inland bearing at the destination (degrees), NaN when none
    out_hours: np.ndarray     # (6,)
    out_lat: np.ndarray
    out_lon: np.ndarray
    back_hours: np.ndarray
    back_lat: np.ndarray
    back_lon: np.ndarray


@dataclass(frozen=True)
class Destination:
    name: str
    abroad: bool
    kind: str
    latitude: float
    longitude: float
    bearing: float            # NaN for inland places
    airport: tuple[float, float] | None
    spread_km: float = 0.4    # lodging spread around an inland centre (a commune's built-up area)


@cache
def destinations() -> tuple[Destination, ...]:
    rows = parameters.load_csv("destinations")
    return tuple(Destination(
        r["name"], r["country"] != "FR", r["kind"], float(r["latitude"]), float(r["longitude"]),
        float(r["inland_bearing"]) if r["inland_bearing"] else float("nan"),
        (float(r["airport_latitude"]), float(r["airport_longitude"]))
        if r["airport_latitude"] else None) for r in rows)


@cache
def _table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = destinations()
    return (np.array([x.latitude for x in d]), np.array([x.longitude for x in d]),
            np.array([x.kind for x in d]))


def km_between(lat0, lon0, lat1, lon1):
    """Great-circle distance in km (haversine), vectorised."""
    p0, p1 = np.radians(lat0), np.radians(lat1)
    a = (np.sin((p1 - p0) / 2) ** 2
         + np.cos(p0) * np.cos(p1) * np.sin(np.radians(np.subtract(lon1, lon0)) / 2) ** 2)
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def offset(lat: float, lon: float, km: float, bearing_deg: float) -> tuple[float, float]:
    b = np.radians(bearing_deg)
    return (lat + km * np.cos(b) / KM_PER_DEGREE,
            lon + km * np.sin(b) / (KM_PER_DEGREE * np.cos(np.radians(lat))))


@dataclass
class Plan:
    first: int        # day index of departure
    nights: int
    destination: Destination
    journey: Journey


def plan_trips(hh: Household, period: Period, rng: np.random.Generator) -> list[Plan]:
    """The household's trips over ``period``, in drawing order (long trips first); overlapping
    ones are left to the caller to drop."""
    v = parameters.load("calendar")["vacations"]
    n = period.n_days
    school = period.school_holiday(hh.commune.school_zone)
    children = any(m.role == "Enfant" for m in hh.members)
    wanted: list[tuple[int, int, str]] = []  # (first day, nights, season)
    for year in range(period.start.year, period.end.year + 1):
        y0 = (date(year, 1, 1) - period.start).days
        if rng.random() < v["leave_probability"] or is_showcase(hh.index):  # draw kept
            if rng.random() < v["summer_share_of_main_trip"]:
                first = (date(year, 7, 4) - period.start).days + int(rng.integers(0, 52))
                season = "summer"
            else:
                first, season = y0 + int(rng.integers(80, 330)), "summer"
            nights = _nights(rng, v["main_nights_median"], v["main_nights_sigma"],
                             v["main_nights_range"])
            wanted.append((_weekday(period, first, rng, v["main_start_weekday_shares"]),
                           nights, season))
            if rng.random() < v["second_trip_probability"]:
                feb = y0 + 31
                idx = np.flatnonzero(school[max(0, feb):max(0, feb + 45)]) + max(0, feb)
                if children and idx.size:
                    first = int(idx[0]) + int(rng.integers(-1, 2))
                else:
                    first = y0 + int(rng.choice([int(rng.integers(20, 75)),
                                                 int(rng.integers(290, 350))]))
                nights = _nights(rng, v["second_nights_median"], v["second_nights_sigma"],
                                 v["second_nights_range"])
                wanted.append((first, nights, "winter"))
        rate = v["short_trips_per_year_leavers" if wanted else "short_trips_per_year_others"]
        for _ in range(rng.poisson(rate)):
            first = _weekday(period, y0 + int(rng.integers(0, 359)), rng,
                             v["short_start_weekday_shares"])
            nights = int(rng.choice(v["short_nights"], p=v["short_night_shares"]))
            wanted.append((first, nights, "short"))
    plans = []
    home = hh.dwelling.location
    for first, nights, season in wanted:
        if not 0 <= first < n:
            continue
        dest = _destination(rng, v, season, home.latitude, home.longitude)
        last = min(n - 1, first + nights)
        journey = _journey(rng, period, hh, dest, first, last, season == "short")
        plans.append(Plan(first, last - first, dest, journey))
    return plans


def _nights(rng: np.random.Generator, median: float, sigma: float, bounds: list[int]) -> int:
    return int(np.clip(np.round(median * rng.lognormal(0.0, sigma)), bounds[0], bounds[1]))


def _weekday(period: Period, day: int, rng: np.random.Generator, shares: list[float]) -> int:
    """The first day from ``day`` on that falls on a weekday drawn from ``shares``."""
    want = int(rng.choice(7, p=np.asarray(shares) / np.sum(shares)))
    have = (period.start + timedelta(days=int(day))).weekday()
    return day + (want - have) % 7


def _destination(rng: np.random.Generator, v: dict, season: str, lat: float, lon: float,
                 ) -> Destination:
    shares = np.asarray(v[f"{season}_kind_shares"], dtype=float)
    kind = v["kinds"][int(rng.choice(len(shares), p=shares / shares.sum()))]
    if kind == "family":
        for _ in range(8):
            c = sample_commune(rng)
            d = float(km_between(lat, lon, c.latitude, c.longitude))
            if d >= v["min_distance_km"] and (season != "short" or d < 3 * v[
                    "short_trip_distance_km"]):
                break
        return Destination(c.city, False, "family", c.latitude, c.longitude, float("nan"), None,
                           home_spread_km(c.population, c.population != c.city_population))
    tlat, tlon, kinds = _table()
    ok = (kinds == kind) | ((kind == "coast") & (kinds == "island"))
    dist = km_between(lat, lon, tlat, tlon)
    w = np.where(ok & (dist >= v["min_distance_km"]), 1.0, 0.0)
    if season == "short":
        w *= np.exp(-dist / v["short_trip_distance_km"])
    if w.sum() <= 0:
        w = ok.astype(float)
    return destinations()[int(rng.choice(w.size, p=w / w.sum()))]


def _lodging(rng: np.random.Generator, t: dict, dest: Destination) -> tuple[float, float]:
    """A fixed point per stay, on land: inland from a coastal centre, near an inland one."""
    if np.isnan(dest.bearing):
        spread = dest.spread_km if dest.kind == "family" else t["lodging_inland_km_sd"]
        return offset(dest.latitude, dest.longitude, spread * np.sqrt(rng.random()),
                      rng.uniform(0.0, 360.0))
    spread = t["bearing_spread_deg"]
    return offset(dest.latitude, dest.longitude, rng.uniform(*t["lodging_inland_km"]),
                  dest.bearing + rng.uniform(-spread, spread))


def _mode(rng: np.random.Generator, t: dict, dest: Destination, km: float) -> str:
    u = rng.random()
    if dest.kind == "island" or dest.name in OVERSEAS:
        return "plane"
    if dest.abroad:
        if km > 900 or (km > 500 and u < t["plane_share_abroad_500_900"]):
            return "plane" if dest.airport else "car"
        return "car"
    if km < 400:
        return "car"
    mode = "train" if u < t["train_share_400_700" if km < 700 else "train_share_beyond_700"] \
        else "car"
    if mode == "car" and km * t["car_road_factor"] / t["car_kmh"] > t["car_max_hours"]:
        mode = "train"
    return mode


def _legs(t: dict, mode: str, home: tuple[float, float], lodging: tuple[float, float],
          dest: Destination) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Waypoints from home to the lodging and the hours between them (5 legs)."""
    km = float(km_between(*home, *lodging))
    if mode != "plane" or dest.airport is None:
        hours = (km * t["car_road_factor"] / t["car_kmh"] + t["car_pause_h"] if mode == "car"
                 else t["station_h"] + km * t["rail_factor"] / t["train_kmh"])
        f = np.linspace(0.0, 1.0, N_WAYPOINTS)
        lat = home[0] + f * (lodging[0] - home[0])
        lon = home[1] + f * (lodging[1] - home[1])
        return lat, lon, np.full(N_WAYPOINTS - 1, hours / (N_WAYPOINTS - 1))
    alat, alon = np.asarray(t["airport_latitudes"]), np.asarray(t["airport_longitudes"])
    k = int(np.argmin(km_between(home[0], home[1], alat, alon)))
    dep = (float(alat[k]), float(alon[k]))
    arr = dest.airport
    road = t["car_road_factor"] / t["airport_road_kmh"]
    lat = np.array([home[0], dep[0], dep[0], arr[0], arr[0], lodging[0]])
    lon = np.array([home[1], dep[1], dep[1], arr[1], arr[1], lodging[1]])
    legs = np.array([float(km_between(*home, *dep)) * road + 0.2, t["airport_wait_h"],
                     float(km_between(*dep, *arr)) / t["plane_kmh"] + t["plane_taxi_h"],
                     t["arrival_airport_h"], float(km_between(*arr, *lodging)) * road + 0.2])
    return lat, lon, legs


def _journey(rng: np.random.Generator, period: Period, hh: Household, dest: Destination,
             first: int, last: int, short: bool) -> Journey:
    t = parameters.load("calendar")["travel"]
    loc = hh.dwelling.location
    home = (loc.latitude, loc.longitude)
    lodging = _lodging(rng, t, dest)
    mode = _mode(rng, t, dest, float(km_between(*home, dest.latitude, dest.longitude)))
    lat, lon, legs = _legs(t, mode, home, lodging, dest)
    total = float(legs.sum())
    latest = t["latest_arrival_hour"] - total
    friday = (period.start + timedelta(days=first)).weekday() == 4
    mean, sd = t["depart_hour_friday_evening" if short and friday else "depart_hour"]
    depart = _hour(rng, mean, sd, t["earliest_departure_hour"], latest)
    mean, sd = t["return_hour_short" if short else "return_hour"]
    leave = _hour(rng, mean, sd, t["earliest_departure_hour"], latest)
    out_h = first * 24.0 + depart + np.concatenate([[0.0], np.cumsum(legs)])
    back_h = last * 24.0 + leave + np.concatenate([[0.0], np.cumsum(legs[::-1])])
    return Journey(mode, lodging, dest.bearing, out_h, lat, lon, back_h, lat[::-1].copy(),
                   lon[::-1].copy())


def _hour(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float) -> float:
    """A normal hour kept within [lo, hi], spread near the bound rather than stacked on it."""
    x = rng.normal(mean, sd)
    if x > hi:
        x = hi - rng.uniform(0.0, min(2.0, max(hi - lo, 0.0)))
    return max(x, lo + rng.uniform(0.0, 0.5)) if x < lo else x


def clock(hours: float) -> str:
    """Local time of day ``HH:MM`` of hours since a midnight."""
    minutes = round((hours % 24.0) * 60) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
