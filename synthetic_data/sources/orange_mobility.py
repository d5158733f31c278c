"""Orange mobile positions: where each phone is, sampled about every 30 minutes.

Doctype ``fr.orange.geopoint``.

Each member with a mobile line follows a daily routine on the local clock: at home at night (the
dwelling's GPS location), at the work or school place during working hours on working days (not on
public holidays, school holidays for pupils, days off or trips), and a few visits to frequent places
near home (shops, friends, sport) with skewed frequencies. On trip days (``timeline.trip >= 0``) the
phone is at the trip's destination, France or abroad: nights at a lodging, days around it.

The reported position is the place plus a scatter scaled to the accuracy radius (cells are denser
in cities). The model is published as ``ctx.shared["mobility"]`` (:class:`Mobility`): calls ask it
where a phone was at any UTC instant, so call positions and geopoints agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import local_midnight_utc, utc_offset_seconds
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Col
from synthetic_data.household import Member
from synthetic_data.trips import FLIGHT_SEGMENT

GEOPOINT = "fr.orange.geopoint"
DOCTYPES = (GEOPOINT,)

HOME, WORK = 0, 1
METRES_PER_DEGREE = 111_320.0


@dataclass
class Track:
    """One phone's routine: places and the local-clock episodes spent at each."""

    msisdn: str
    place_lat: np.ndarray     # per place id: 0 home, 1 work/school (home if none), 2.. frequent
    place_lon: np.ndarray
    place_radius: np.ndarray  # median accuracy radius (m) around each place
    ep_start: np.ndarray      # episode starts, local hours since the period's first midnight
    ep_place: np.ndarray      # place id from each start on


class Mobility:
    """Where each phone of the household is; shared with the sources that need positions."""

    def __init__(self, ctx: SourceContext, tracks: dict[str, Track]):
        self.tracks = tracks
        self._p = parameters.load("telecom")
        self._trip = ctx.timeline.trip
        self._start_naive = np.datetime64(ctx.period.start, "s")
        self._n_days = ctx.period.n_days
        self._town_radius = self._p["geopoint"]["radius_median_town"]
        self._trips = _TripPaths(ctx)

    def local_hours(self, instants: np.ndarray) -> np.ndarray:
        """Local clock hours since the period's first local midnight, for UTC instants."""
        sec = instants.astype("datetime64[s]").astype(np.int64)
        seconds = sec - self._start_naive.astype(np.int64) + utc_offset_seconds(sec)
        return seconds / 3600.0

    def place(self, msisdn: str, instants: np.ndarray, x: np.ndarray | None = None,
              ) -> tuple[np.ndarray, np.ndarray]:
        """Place id (0 home, 1 work/school, 2.. frequent places) and trip index (-1 when none);
        ``x``: the instants' :meth:`local_hours` when already known."""
        tr = self.tracks[msisdn]
        x = self.local_hours(instants) if x is None else x
        day = np.clip(np.floor(x / 24.0).astype(np.int64), 0, self._n_days - 1)
        idx = np.searchsorted(tr.ep_start, x, side="right") - 1
        place = np.where(idx >= 0, tr.ep_place[np.maximum(idx, 0)], HOME)
        return place, self._trip[day]

    def in_flight(self, instants: np.ndarray) -> np.ndarray:
        """Per UTC instant: the household is in the air (phones off, no position, no call)."""
        x = self.local_hours(instants)
        day = np.clip(np.floor(x / 24.0).astype(np.int64), 0, self._n_days - 1)
        return self._trips.in_flight(self._trip[day], x)

    def position(self, msisdn: str | None, instants: np.ndarray, home: tuple[float, float],
                 x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True (latitude, longitude, away from home) of ``msisdn`` at UTC ``instants``, without
        the reporting scatter: where a card holder pays. ``msisdn`` None: a member without a
        phone, at ``home`` except on the household's trips (with the others). ``x``: the
        instants' :meth:`local_hours` when already known."""
        x = self.local_hours(instants) if x is None else x
        n = len(instants)
        if msisdn is None:
            day = np.clip(np.floor(x / 24.0).astype(np.int64), 0, self._n_days - 1)
            trip = self._trip[day]
            lat, lon = np.full(n, home[0]), np.full(n, home[1])
        else:
            tr = self.tracks[msisdn]
            place, trip = self.place(msisdn, instants, x)
            lat, lon = tr.place_lat[place].astype(float), tr.place_lon[place].astype(float)
        away = np.zeros(n, dtype=bool)
        on_trip = np.flatnonzero(trip >= 0)
        if on_trip.size:
            there, tlat, tlon, _ = self._trips.where(trip[on_trip], x[on_trip],
                                                     np.random.default_rng(0))
            k = on_trip[there]
            lat[k], lon[k], away[k] = tlat[there], tlon[there], True
        return lat, lon, away

    def locate(self, msisdn: str, instants: np.ndarray, rng: np.random.Generator,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Reported (latitude, longitude, radius in m, abroad flag) of ``msisdn`` at UTC
        ``instants`` (any datetime64 unit), vectorised; ``rng`` draws the reporting scatter."""
        g = self._p["geopoint"]
        tr = self.tracks[msisdn]
        n = len(instants)
        x = self.local_hours(instants)
        place, trip = self.place(msisdn, instants, x)
        lat = tr.place_lat[place].astype(float)
        lon = tr.place_lon[place].astype(float)
        median_r = tr.place_radius[place].astype(float)
        abroad = np.zeros(n, dtype=bool)
        on_trip = np.flatnonzero(trip >= 0)
        if on_trip.size:
            away, tlat, tlon, tab = self._trips.where(trip[on_trip], x[on_trip], rng)
            k = on_trip[away]
            lat[k], lon[k], abroad[k] = tlat[away], tlon[away], tab[away]
            median_r[k] = self._town_radius
        radius = np.clip(np.round(median_r * rng.lognormal(0.0, g["radius_sigma"], n)),
                         g["radius_min"], g["radius_max"]).astype(np.int64)
        sd = g["jitter_share_of_radius"] * radius / METRES_PER_DEGREE
        lat = lat + rng.normal(0.0, 1.0, n) * sd
        lon = lon + rng.normal(0.0, 1.0, n) * sd / np.cos(np.radians(lat))
        return np.round(lat, 6), np.round(lon, 6), radius, abroad


def _offset(rng: np.random.Generator, lat: float, lon: float, km: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Points at distance ``km`` in random directions from (lat, lon)."""
    angle = rng.uniform(0.0, 2 * np.pi, km.size)
    dlat = km * np.cos(angle) / 111.32
    dlon = km * np.sin(angle) / (111.32 * np.cos(np.radians(lat)))
    return lat + dlat, lon + dlon


def _track(ctx: SourceContext, member: Member, k: int) -> Track:
    mob = parameters.load("telecom")["mobility"]
    rng = ctx.rng(f"mobility-{k}")  # one stream: places, then working days, then visits
    place_lat, place_lon, place_radius = _places(ctx, mob, rng, member)
    workday, ws, we = _working_days(ctx, mob, rng, member)
    s_abs, e_abs, where = _visits(ctx, mob, rng, workday, we, place_lat.size - 2)
    base = np.arange(ctx.period.n_days) * 24.0
    wd = np.flatnonzero(workday)
    starts = np.concatenate([base[wd] + ws[wd], base[wd] + we[wd], s_abs, e_abs])
    places = np.concatenate([np.full(wd.size, WORK), np.full(wd.size, HOME), where,
                             np.full(e_abs.size, HOME)]).astype(np.int64)
    order = np.argsort(starts, kind="stable")
    return Track(member.msisdn or "", place_lat, place_lon, place_radius, starts[order],
                 places[order])


def _places(ctx: SourceContext, mob: dict, rng: np.random.Generator, member: Member,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Places: home, work or school (home if none), and a few frequent places around home."""
    hh = ctx.household
    city = hh.commune.is_city
    home = hh.dwelling.location
    g = parameters.load("telecom")["geopoint"]
    r_med = g["radius_median_city"] if city else g["radius_median_town"]
    n_places = int(rng.integers(mob["places_per_member"][0], mob["places_per_member"][1] + 1))
    median_km = mob["place_distance_km_city" if city else "place_distance_km_town"]
    km = median_km * rng.lognormal(0.0, mob["place_distance_sigma"], n_places)
    flat, flon = _offset(rng, home.latitude, home.longitude, km)
    work = member.work_place or home
    place_lat = np.concatenate([[home.latitude, work.latitude], flat])
    place_lon = np.concatenate([[home.longitude, work.longitude], flon])
    return place_lat, place_lon, np.full(place_lat.size, r_med)


def _working_days(ctx: SourceContext, mob: dict, rng: np.random.Generator, member: Member,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Working days, and work start and end hours per day (local clock)."""
    per, tl = ctx.period, ctx.timeline
    n = per.n_days
    has_work = member.work_place is not None
    pupil = has_work and not member.works
    workday = (per.weekday < 5) & ~per.public_holiday & ~tl.away
    workday &= rng.random(n) >= mob["day_off_share"]
    if pupil:
        workday &= ~per.school_holiday(ctx.household.commune.school_zone)
    if not has_work:
        workday[:] = False
    jit = mob["work_hours_jitter"]
    ws = member.work_start + rng.normal(0.0, jit, n)
    we = np.maximum(member.work_end + rng.normal(0.0, jit, n), ws + 1.0)
    return workday, ws, we


def _visits(ctx: SourceContext, mob: dict, rng: np.random.Generator, workday: np.ndarray,
            we: np.ndarray, n_places: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Visits to frequent places, after work on working days, any time on free days: start and
    end (local hours since the first midnight, never overlapping) and place id."""
    n = ctx.period.n_days
    away = ctx.timeline.away
    rate = np.where(workday, mob["outings_per_day_workday"], mob["outings_per_day_free"])
    rate[away] = 0.0
    counts = rng.poisson(rate)
    od = np.repeat(np.arange(n), counts)
    w0, w1 = mob["outing_window"]
    lo = np.where(workday[od], we[od] + mob["after_work_delay_hours"], w0)
    ok = lo < w1
    od, lo = od[ok], lo[ok]
    start = lo + rng.random(od.size) * (w1 - lo)
    dur = np.minimum(mob["outing_hours_median"] * rng.lognormal(
        0.0, mob["outing_hours_sigma"], od.size), mob["outing_hours_max"])
    end = np.minimum(start + dur, mob["outing_end_latest"])
    ranks = np.arange(1, n_places + 1, dtype=float) ** -mob["place_zipf"]
    where = 2 + rng.choice(n_places, od.size, p=ranks / ranks.sum())
    base = np.arange(n) * 24.0
    s_abs, e_abs = base[od] + start, base[od] + end
    order = np.argsort(s_abs, kind="stable")
    s_abs, e_abs, where = s_abs[order], e_abs[order], where[order]
    if s_abs.size > 1:  # a visit starting before the previous one ends waits for it
        s_abs[1:] = np.maximum(s_abs[1:], e_abs[:-1])
    keep = s_abs < e_abs
    return s_abs[keep], e_abs[keep], where[keep]


class _TripPaths:
    """Where the household is on its trips: on the way (journey waypoints, linear in time), at a
    fixed lodging at night and at a few day places around it in the daytime."""

    def __init__(self, ctx: SourceContext):
        tl = ctx.timeline
        t = parameters.load("calendar")["travel"]
        self._day_hours = parameters.load("telecom")["mobility"]["destination_day_hours"]
        js = tl.journeys
        self.n = len(js)
        if not self.n:
            return
        self.out_h = np.array([j.out_hours for j in js])
        self.out_lat = np.array([j.out_lat for j in js])
        self.out_lon = np.array([j.out_lon for j in js])
        self.back_h = np.array([j.back_hours for j in js])
        self.back_lat = np.array([j.back_lat for j in js])
        self.back_lon = np.array([j.back_lon for j in js])
        self.plane = np.array([j.mode == "plane" for j in js])
        self.abroad = np.array([bool(e.details.get("abroad")) for e in tl.trips])
        self.first = np.array([tl.day_index(e.start) for e in tl.trips])
        lodging = np.array([j.lodging for j in js])
        bearing = np.array([j.bearing for j in js])
        rng = ctx.rng("mobility-lodging")  # household stream: every member at the same places
        k = t["day_places"]
        km = t["day_place_km_median"] * rng.lognormal(0.0, t["day_place_km_sigma"], (self.n, k))
        spread = np.where(np.isnan(bearing), 180.0, 70.0)[:, None]
        ang = np.radians(np.nan_to_num(bearing, nan=0.0)[:, None]
                         + rng.uniform(-1.0, 1.0, (self.n, k)) * spread)
        self.lat = np.concatenate([lodging[:, :1], lodging[:, :1] + km * np.cos(ang) / 111.32],
                                  axis=1)
        self.lon = np.concatenate([lodging[:, 1:], lodging[:, 1:] + km * np.sin(ang) / (
            111.32 * np.cos(np.radians(lodging[:, :1])))], axis=1)
        days = int((self.back_h[:, 0] // 24 - self.first).max()) + 1
        self.choice = 1 + rng.integers(0, k, (self.n, days, 12))  # day place per 2-hour block

    def in_flight(self, trip: np.ndarray, x: np.ndarray) -> np.ndarray:
        out = np.zeros(x.size, dtype=bool)
        if not self.n:
            return out
        on = np.flatnonzero(trip >= 0)
        tp, xs = trip[on], x[on]
        for h in (self.out_h, self.back_h):
            seg = _segment(h[tp], xs)
            out[on] |= self.plane[tp] & (seg == FLIGHT_SEGMENT)
        return out

    def where(self, tp: np.ndarray, xs: np.ndarray, rng: np.random.Generator,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For instants on trip days: away from home (not before leaving nor after coming back),
        latitude, longitude, abroad."""
        going = (xs >= self.out_h[tp, 0]) & (xs < self.out_h[tp, -1])
        coming = (xs >= self.back_h[tp, 0]) & (xs < self.back_h[tp, -1])
        there = (xs >= self.out_h[tp, -1]) & (xs < self.back_h[tp, 0])
        hour = xs - np.floor(xs / 24.0) * 24.0
        dayk = np.clip(np.floor(xs / 24.0).astype(np.int64) - self.first[tp], 0,
                       self.choice.shape[1] - 1)
        h0, h1 = self._day_hours
        pid = np.where((hour >= h0) & (hour < h1),
                       self.choice[tp, dayk, np.minimum((hour // 2).astype(np.int64), 11)], 0)
        lat, lon = self.lat[tp, pid], self.lon[tp, pid]
        abroad = there & self.abroad[tp]
        for mask, h, la, lo, out in ((going, self.out_h, self.out_lat, self.out_lon, True),
                                     (coming, self.back_h, self.back_lat, self.back_lon, False)):
            if not mask.any():
                continue
            r = tp[mask]
            seg = _segment(h[r], xs[mask])
            t0, t1 = h[r, seg], h[r, seg + 1]
            f = np.clip((xs[mask] - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
            lat[mask] = la[r, seg] + f * (la[r, seg + 1] - la[r, seg])
            lon[mask] = lo[r, seg] + f * (lo[r, seg + 1] - lo[r, seg])
            crossed = (seg >= np.where(self.plane[r], 3, 4)) if out else (
                seg <= np.where(self.plane[r], 1, 0))
            abroad[mask] = self.abroad[r] & crossed
        return going | coming | there, lat, lon, abroad


def _segment(hours: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Index (0..4) of the journey leg each instant falls in."""
    return np.clip((xs[:, None] >= hours[:, 1:]).sum(axis=1), 0, hours.shape[1] - 2)


def mobility(ctx: SourceContext) -> Mobility:
    """The household's :class:`Mobility`, built once and kept in ``ctx.shared``."""
    if "mobility" not in ctx.shared:
        tracks = {m.msisdn: _track(ctx, m, k) for k, m in enumerate(ctx.household.members)
                  if m.msisdn}
        ctx.shared["mobility"] = Mobility(ctx, tracks)
    return ctx.shared["mobility"]


def sample_instants(ctx: SourceContext, rng: np.random.Generator) -> np.ndarray:
    """UTC sampling instants (``datetime64[s]``) of one phone: ~30 min apart, jittered, with
    isolated misses and a few longer outages."""
    g = parameters.load("telecom")["geopoint"]
    t0 = int(local_midnight_utc(ctx.period.start).astype("datetime64[s]").astype(np.int64))
    t1 = int(local_midnight_utc(ctx.period.end).astype("datetime64[s]").astype(np.int64))
    step = g["interval_minutes"] * 60.0
    n = int((t1 - t0) / step * 1.05) + 16
    gaps = np.clip(rng.normal(step, g["interval_jitter_minutes"] * 60.0, n), step * 0.6,
                   step * 1.4)
    t = t0 + rng.uniform(0.0, step) + np.cumsum(gaps)
    t = t[t < t1]
    keep = rng.random(t.size) >= g["drop_share"]
    weeks = (t1 - t0) / (7 * 86400.0)
    n_out = rng.poisson(g["outages_per_week"] * weeks)
    if n_out:
        o_start = np.sort(rng.uniform(t0, t1, n_out))
        o_end = o_start + rng.uniform(*g["outage_hours"], n_out) * 3600.0
        i = np.searchsorted(o_start, t, side="right") - 1
        inside = (i >= 0) & (t < o_end[np.maximum(i, 0)])
        keep &= ~inside
    return np.round(t[keep]).astype(np.int64).astype("datetime64[s]")


def generate(ctx: SourceContext) -> list[Batch]:
    g = parameters.load("telecom")["geopoint"]
    mob = mobility(ctx)
    out = []
    for k, member in enumerate(ctx.household.members):
        if not member.msisdn:
            continue
        rng = ctx.rng(f"geopoint-{k}")
        t = sample_instants(ctx, rng)
        t = t[~mob.in_flight(t)]
        lat, lon, radius, _ = mob.locate(member.msisdn, t, rng)
        spec = {
            "docTypeVersion": g["doc_type_version"],
            "msisdn": member.msisdn,
            "timestamp": Col("ts", "utc", suffix=".000Z"),
            "latitude": Col("lat", "float"),
            "longitude": Col("lon", "float"),
            "radius": Col("radius", "int"),
        }
        out.append(Batch.from_columns(GEOPOINT, spec, {
            "ts": t, "lat": lat, "lon": lon, "radius": radius}))
    return out
