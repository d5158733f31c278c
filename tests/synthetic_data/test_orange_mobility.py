"""Orange mobile positions: sampling rhythm, home at night, work hours, trips, accuracy radius."""

from __future__ import annotations

import numpy as np

from synthetic_data.calendar_fr import utc_offset_minutes
from synthetic_data.schemas import problems
from tests.support.households import docs_of

GEOPOINT = "fr.orange.geopoint"


def _utc(docs: list[dict]) -> np.ndarray:
    return np.array([d["timestamp"].rstrip("Z") for d in docs], dtype="datetime64[ms]")


def _local(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local day index since 1970 and local hour, for UTC instants."""
    local = t.astype("datetime64[s]") + utc_offset_minutes(t) * np.timedelta64(1, "m")
    day = local.astype("datetime64[D]")
    return day, (local - day).astype(np.int64) / 3600.0


def _metres(lat, lon, lat0, lon0) -> np.ndarray:
    dy = (np.asarray(lat) - lat0) * 111_320.0
    dx = (np.asarray(lon) - lon0) * 111_320.0 * np.cos(np.radians(lat0))
    return np.hypot(dx, dy)


def _by_phone(data) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for d in docs_of(data, GEOPOINT):
        out.setdefault(d["msisdn"], []).append(d)
    return out


def test_every_phone_is_sampled_about_every_30_minutes(households):
    phones = 0
    for data in households:
        expected = {m.msisdn for m in data.household.members if m.msisdn}
        by_phone = _by_phone(data)
        assert set(by_phone) == expected
        for docs in by_phone.values():
            phones += 1
            t = _utc(docs).astype(np.int64) / 1000.0
            assert (np.diff(t) > 0).all()
            gaps = np.diff(t)
            assert 1700 <= np.median(gaps) <= 1900
            assert 0.85 * 366 * 48 <= len(docs) <= 1.02 * 366 * 48
            assert (gaps > 3 * 3600).sum() >= 5  # some outages
    assert phones >= 12


def test_nights_cluster_at_the_dwelling(households):
    for data in households:
        home = data.household.dwelling.location
        away = data.timeline.away
        start = np.datetime64(data.timeline.period.start, "D")
        for docs in _by_phone(data).values():
            day, hour = _local(_utc(docs))
            idx = (day - start).astype(np.int64)
            night = (hour >= 1) & (hour < 5) & ~away[np.clip(idx, 0, away.size - 1)]
            lat = np.array([d["latitude"] for d in docs])[night]
            lon = np.array([d["longitude"] for d in docs])[night]
            assert _metres(np.median(lat), np.median(lon), home.latitude, home.longitude) < 300
            assert np.median(_metres(lat, lon, home.latitude, home.longitude)) < 600


def test_workers_are_at_work_on_working_hours(households):
    checked = 0
    for data in households:
        per = data.timeline.period
        start = np.datetime64(per.start, "D")
        for m in data.household.members:
            if not (m.msisdn and m.works and m.work_place):
                continue
            docs = _by_phone(data)[m.msisdn]
            day, hour = _local(_utc(docs))
            idx = np.clip((day - start).astype(np.int64), 0, per.n_days - 1)
            mid = (m.work_start + m.work_end) / 2
            sel = ((per.weekday[idx] < 5) & ~per.public_holiday[idx] & ~data.timeline.away[idx]
                   & (np.abs(hour - mid) < 1.0))
            lat = np.array([d["latitude"] for d in docs])[sel]
            lon = np.array([d["longitude"] for d in docs])[sel]
            near = _metres(lat, lon, m.work_place.latitude, m.work_place.longitude) < 1500
            assert 0.75 < near.mean() < 1.0  # days off and remote days stay at home
            checked += 1
    assert checked >= 3


def test_phones_follow_the_household_on_trips(households):
    trips = 0
    for data in households:
        tl = data.timeline
        start = np.datetime64(tl.period.start, "D")
        for docs in _by_phone(data).values():
            day, _ = _local(_utc(docs))
            idx = (day - start).astype(np.int64)
            inside = (idx >= 0) & (idx < tl.trip.size)
            trip = np.where(inside, tl.trip[np.clip(idx, 0, tl.trip.size - 1)], -1)
            lat = np.array([d["latitude"] for d in docs])
            lon = np.array([d["longitude"] for d in docs])
            for i, event in enumerate(tl.trips):
                # full days there: the first and last days are spent partly on the way
                first, last = tl.day_index(event.start), tl.day_index(event.end)
                sel = (trip == i) & (idx > first) & (idx < last)
                if not sel.any():
                    continue
                trips += 1
                dist = _metres(lat[sel], lon[sel], event.details["latitude"],
                               event.details["longitude"])
                assert np.quantile(dist, 0.95) < 25_000
    assert trips >= 10


def test_radius_is_smaller_in_cities(households):
    city, town = [], []
    for data in households:
        radii = [d["radius"] for d in docs_of(data, GEOPOINT)[:2000]]
        (city if data.household.commune.is_city else town).extend(radii)
    assert city
    assert 150 < np.median(city) < 700
    if town:  # the fixture's households may all live in cities
        assert np.median(city) < np.median(town)


def test_geopoints_validate(households):
    for data in households[:4]:
        docs = docs_of(data, GEOPOINT)
        for doc in docs[:: max(1, len(docs) // 300)]:
            assert problems(GEOPOINT, doc) == []
        assert docs[0]["timestamp"].endswith(".000Z")
