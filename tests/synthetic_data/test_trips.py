"""Trips as travelled: speeds on the way, no position in flight, lodging inland, homes in their
commune, who leaves; and the destination table against the communes table."""

from __future__ import annotations

import math

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import local_midnight_utc, utc_offset_seconds
from synthetic_data.household import Household, home_spread_km, is_showcase
from synthetic_data.timeline import Timeline
from synthetic_data.trips import KM_PER_DEGREE, destinations, km_between
from tests.support.households import YEAR, docs_of, first_index, household, latent

GEOPOINT = "fr.orange.geopoint"
MANY = 600


def _hours_since_start(docs: list[dict],
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local clock hours since the period's first midnight (they step back an hour when summer
    time ends), UTC hours, latitudes, longitudes, in time order."""
    docs = sorted(docs, key=lambda d: d["timestamp"])
    t = np.array([d["timestamp"].rstrip("Z") for d in docs], dtype="datetime64[s]")
    t = t.astype(np.int64)
    t0 = int(local_midnight_utc(YEAR.start).astype("datetime64[s]").astype(np.int64))
    t0 += int(utc_offset_seconds(np.array([t0]))[0])
    x = (t + utc_offset_seconds(t) - t0) / 3600.0
    return (x, (t - t0) / 3600.0, np.array([d["latitude"] for d in docs]),
            np.array([d["longitude"] for d in docs]))


def _phones(hh: Household) -> bool:
    return hh.partners.orange_mobile and any(m.msisdn for m in hh.members)


def _travels_by(mode: str, min_km: float):
    def wanted(hh: Household, tl: Timeline) -> bool:
        loc = hh.dwelling.location
        return _phones(hh) and any(
            j.mode == mode and km_between(loc.latitude, loc.longitude, *j.lodging) > min_km
            for j in tl.journeys)
    wanted.__doc__ = f"a phone and a {mode} trip over {min_km} km"
    return wanted


def _speeds(x: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    assert (np.diff(x) > 0).all()
    return km_between(lat[:-1], lon[:-1], lat[1:], lon[1:]) / np.diff(x)


def test_car_and_train_trips_are_travelled_at_ground_speeds():
    for mode in ("car", "train"):
        i = first_index(_travels_by(mode, 250.0))
        hh, tl = latent(i)
        data = household(i)
        loc = hh.dwelling.location
        k = next(k for k, j in enumerate(tl.journeys) if j.mode == mode and km_between(
            loc.latitude, loc.longitude, *j.lodging) > 250.0)
        j = tl.journeys[k]
        for line in {d["msisdn"] for d in docs_of(data, GEOPOINT)}:
            x, utc, lat, lon = _hours_since_start(docs_of(data, GEOPOINT, msisdn=line))
            assert _speeds(utc, lat, lon).max() < 200.0, (mode, line)
            on_way = (x > j.out_hours[0]) & (x < j.out_hours[-1])
            if on_way.sum() >= 2:  # positions on the way, between home and lodging
                d_home = km_between(loc.latitude, loc.longitude, lat[on_way], lon[on_way])
                d_lodging = km_between(*j.lodging, lat[on_way], lon[on_way])
                assert ((d_home > 30) & (d_lodging > 30)).any(), (mode, line)


def test_the_showcase_household_leaves_on_holiday():
    _, tl = latent(0)
    assert is_showcase(0)
    assert any((e.end - e.start).days >= 4 for e in tl.trips)


def test_no_position_in_flight_and_no_faster_jump_than_a_plane():
    i = first_index(_travels_by("plane", 500.0))
    _, tl = latent(i)
    data = household(i)
    flights = [(h[2], h[3]) for j in tl.journeys if j.mode == "plane"
               for h in (j.out_hours, j.back_hours)]
    seen_airport = False
    for line in {d["msisdn"] for d in docs_of(data, GEOPOINT)}:
        x, utc, lat, lon = _hours_since_start(docs_of(data, GEOPOINT, msisdn=line))
        for up, down in flights:
            assert not ((x > up + 1e-3) & (x < down - 1e-3)).any()
            seen_airport |= bool(((x > up - 1.5) & (x <= up)).any())
        assert _speeds(utc, lat, lon).max() < 900.0
    assert seen_airport  # the phone is on before boarding


def _coastal_stays(n: int):
    table = {d.name: d for d in destinations()}
    for i in range(n):
        _, tl = latent(i)
        for e, j in zip(tl.trips, tl.journeys, strict=True):
            d = table.get(e.details["destination"])
            if d is not None and e.details["destination_kind"] == d.kind and \
                    not math.isnan(d.bearing):
                yield d, j


def test_lodging_lies_inland_of_a_coastal_resort_centre():
    stays = list(_coastal_stays(MANY))
    assert len(stays) > 50
    t = parameters.load("calendar")["travel"]
    for d, j in stays:
        dy = (j.lodging[0] - d.latitude) * KM_PER_DEGREE
        dx = (j.lodging[1] - d.longitude) * KM_PER_DEGREE * np.cos(np.radians(d.latitude))
        b = np.radians(d.bearing)
        inland = dx * np.sin(b) + dy * np.cos(b)
        lo, hi = t["lodging_inland_km"]
        assert inland >= lo * np.cos(np.radians(t["bearing_spread_deg"])) - 1e-6, d.name
        assert np.hypot(dx, dy) <= hi + 1e-6, d.name


def test_homes_lie_in_their_commune_built_up_area():
    for i in range(MANY):
        hh, _ = latent(i)
        c, loc = hh.commune, hh.dwelling.location
        r = home_spread_km(c.population, c.population != c.city_population)
        assert km_between(c.latitude, c.longitude, loc.latitude, loc.longitude) <= r + 0.01


def test_the_share_of_households_without_a_long_trip_is_credocs():
    drawn = [i for i in range(MANY) if not is_showcase(i)]  # the showcase always leaves
    none = sum(not any((e.end - e.start).days >= 4 for e in latent(i)[1].trips) for i in drawn)
    share, se = none / len(drawn), math.sqrt(0.43 * 0.57 / len(drawn))
    assert 0.37 - 3 * se <= share <= 0.50 + 3 * se, share


def test_french_destinations_sit_on_the_communes_table_coordinates():
    communes: dict[str, list[tuple[float, float]]] = {}
    for r in parameters.load_csv("communes"):
        communes.setdefault(r["name"], []).append((float(r["latitude"]), float(r["longitude"])))
    checked = 0
    for d in destinations():
        if d.abroad:
            assert d.airport is not None, d.name
        elif d.kind != "island":
            assert d.airport is None, d.name  # mainland France: by car or train
        if d.kind in ("coast", "island"):
            assert not math.isnan(d.bearing), d.name
        if d.name in communes:
            near = min(km_between(d.latitude, d.longitude, *c) for c in communes[d.name])
            assert near < 3.0, d.name
            checked += 1
        if d.airport is not None:
            assert km_between(d.latitude, d.longitude, *d.airport) < 60.0, d.name
    assert checked >= 20
