"""Public transport validations (``org.selfdata.transport.validation``) and the money behind them.

For households in a commune of a metropolitan network (Lyon's TCL: ``params/transport.toml``):

- **Commuters**: a worker with a mobile line commutes by the network with the modal share of
  their commune (Lyon 40.7 %), when a stop is within walking distance of home and of work and the
  two differ. On a working day they ride, they validate at the home stop a few minutes before
  their work episode starts and at the work stop a few minutes before it ends: the phone's routine
  (``orange_mobility.mobility``) is then at home, resp. at work. No working day, no validation:
  away days, trips, days off and public holidays have none.
- **Occasional trips**: some visits to frequent places start with a validation at the stop
  nearest to where the phone is just before; pass holders take the network more often than
  others, who pay each trip with a single ticket by bank card.
- **Money**: a monthly pass (26-64 or 65+ fare of the year) debited early each month for
  commuters and the seniors who hold one; a card payment per single ticket. Both go to the
  household's ledger (``synthetic_data/ledger.py``) for the bank.

Every validation is checked against the phone's place at that instant; one that would not be at
the expected place (an outing overlapping, the period's edges) is dropped, never moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import utc_offset_seconds
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Categorical, Col
from synthetic_data.household import Member
from synthetic_data.ledger import Payment, publish
from synthetic_data.sources.orange_mobility import HOME, WORK, Mobility, Track, mobility

VALIDATION = "org.selfdata.transport.validation"
DOCTYPES = (VALIDATION,)
SOURCE = "transport"
KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Stops:
    """The network's stops, one row per (stop, line); ``best[i, j]``: the row to validate at
    stop ``i`` for a trip towards stop ``j`` (a line serving both when there is one)."""

    stop_id: np.ndarray
    name: np.ndarray
    line: np.ndarray
    mode: np.ndarray
    city: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    stop: np.ndarray          # per row: index of its stop (0..n_stops-1)
    first_row: np.ndarray     # per stop: its first row
    best: np.ndarray          # (n_stops, n_stops) row index


@cache
def stops() -> Stops:
    rows = parameters.load_csv(parameters.load("transport")["network"]["stops"])
    col = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    ids, first_row, stop = np.unique(col["stop_id"], return_index=True, return_inverse=True)
    n = ids.size
    best = np.repeat(first_row[:, None], n, axis=1)
    lines_of = [set(col["line"][stop == j]) for j in range(n)]
    for i in range(n):
        for r in np.flatnonzero(stop == i)[::-1]:  # the first listed line wins ties
            for j in range(n):
                if col["line"][r] in lines_of[j]:
                    best[i, j] = r
    return Stops(col["stop_id"], col["name"], col["line"], col["mode"], col["city"],
                 col["latitude"].astype(float), col["longitude"].astype(float), stop, first_row,
                 best)


def served(insee: str) -> bool:
    """The commune is in the network's area."""
    return insee in parameters.load("transport")["network"]["communes"]


def km_between(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Distance in km (equirectangular: exact enough within a city)."""
    dlat = (np.asarray(lat2) - lat1) * KM_PER_DEGREE
    dlon = (np.asarray(lon2) - lon1) * KM_PER_DEGREE * np.cos(np.radians(lat1))
    return np.hypot(dlat, dlon)


def nearest_stop(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest stop (into ``Stops.first_row``) and its distance in km."""
    s = stops()
    first = s.first_row
    d = km_between(np.asarray(lat)[:, None], np.asarray(lon)[:, None], s.lat[first][None, :],
                   s.lon[first][None, :])
    i = np.argmin(d, axis=1)
    return i, d[np.arange(i.size), i]


def fare(product: str, day: date) -> float:
    """Euros of ``product`` ("monthly_pass", "monthly_pass_senior", "single_ticket") on ``day``:
    the sourced prices by year, interpolated between them (``params/transport.toml [fares]``)."""
    f = parameters.load("transport")["fares"]
    return round(float(np.interp(day.year, f["years"], f[product])), 2)


def pass_product(member: Member, day: date) -> str:
    senior = member.age_on(day) >= parameters.load("transport")["fares"]["senior_age"]
    return "monthly_pass_senior" if senior else "monthly_pass"


def _utc(ctx: SourceContext, x: np.ndarray) -> np.ndarray:
    """UTC instants (datetime64[s]) of local hours ``x`` since the period's first midnight."""
    naive = np.datetime64(ctx.period.start, "s").astype(np.int64) + np.round(x * 3600.0)
    naive = naive.astype(np.int64)
    return (naive - utc_offset_seconds(naive - 3600)).astype("datetime64[s]")


@dataclass
class _Rides:
    t: list[np.ndarray]
    row: list[np.ndarray]
    member: list[np.ndarray]
    ticket: list[np.ndarray]   # bool: paid by a single ticket (else a pass)

    def add(self, t: np.ndarray, row: np.ndarray, k: int, ticket: bool) -> None:
        self.t.append(t)
        self.row.append(row)
        self.member.append(np.full(t.size, k))
        self.ticket.append(np.full(t.size, ticket))


def _keep(mob: Mobility, msisdn: str, t: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Instants at which the phone is at ``place`` (per instant) and not on a trip."""
    at, trip = mob.place(msisdn, t)
    return (at == place) & (trip < 0)


def _commute(ctx: SourceContext, mob: Mobility, tr: Track, rng: np.random.Generator,
             home_stop: int, work_stop: int) -> tuple[np.ndarray, np.ndarray]:
    c = parameters.load("transport")["commute"]
    s = stops()
    w = np.flatnonzero(tr.ep_place[:-1] == WORK)
    start, end = tr.ep_start[w], tr.ep_start[w + 1]
    ride = rng.random(w.size) < c["ride_share"]
    x_out = start - rng.uniform(*c["out_minutes_before"], w.size) / 60.0
    x_back = end - rng.uniform(*c["back_minutes_before"], w.size) / 60.0
    x = np.concatenate([x_out[ride], x_back[ride]])
    want = np.concatenate([np.full(int(ride.sum()), HOME), np.full(int(ride.sum()), WORK)])
    row = np.where(want == HOME, s.best[home_stop, work_stop], s.best[work_stop, home_stop])
    ok = (x >= 0) & (x < ctx.period.n_days * 24.0)
    t = _utc(ctx, x[ok])
    keep = _keep(mob, tr.msisdn, t, want[ok])
    return t[keep], row[ok][keep]


def _outings(ctx: SourceContext, mob: Mobility, tr: Track, rng: np.random.Generator,
             share: float) -> tuple[np.ndarray, np.ndarray]:
    """Validations at the start of visits made by the network (``share`` of those far enough)."""
    o = parameters.load("transport")["occasional"]
    walk = parameters.load("transport")["commute"]["max_walk_km"]
    s = stops()
    v = np.flatnonzero(tr.ep_place >= 2)
    take = rng.random(v.size) < share
    x = tr.ep_start[v] - rng.uniform(*o["minutes_before"], v.size) / 60.0
    v, x = v[take], x[take]
    ok = (x >= 0) & (x < ctx.period.n_days * 24.0)
    v, x = v[ok], x[ok]
    t = _utc(ctx, x)
    at, trip = mob.place(tr.msisdn, t)
    dest = tr.ep_place[v]
    far = km_between(tr.place_lat[at], tr.place_lon[at], tr.place_lat[dest],
                     tr.place_lon[dest]) >= o["min_visit_km"]
    origin, d_o = nearest_stop(tr.place_lat[at], tr.place_lon[at])
    target, d_t = nearest_stop(tr.place_lat[dest], tr.place_lon[dest])
    keep = far & (trip < 0) & (d_o <= walk) & (d_t <= walk) & (origin != target)
    return t[keep], s.best[origin[keep], target[keep]]


def generate(ctx: SourceContext) -> list[Batch]:
    hh = ctx.household
    if not served(hh.commune.insee):
        return []
    p = parameters.load("transport")
    c, o = p["commute"], p["occasional"]
    city = hh.commune.insee in c["city_communes"]
    share = min(1.0, c["share_city"] / c["reach_city"] if city
                else c["share_other"] / c["reach_other"])
    mob = mobility(ctx)
    rng = ctx.rng("transport")
    rides = _Rides([], [], [], [])
    holders: dict[int, str] = {}   # member index -> card id, for pass holders
    cards: dict[int, str] = {}
    home_stop, home_km = nearest_stop(np.array([hh.dwelling.location.latitude]),
                                      np.array([hh.dwelling.location.longitude]))
    for k, m in enumerate(hh.members):
        u = rng.random(2)  # drawn for everyone: a member's draws do not depend on the others'
        card = f"{int(rng.integers(10**9, 10**10))}"
        if not m.msisdn or m.age_on(ctx.period.start) < o["min_age"]:
            continue
        tr = mob.tracks[m.msisdn]
        cards[k] = card
        pass_share, ticket = o["visit_share_pass"], False
        commuter = False
        if m.works and m.work_place is not None and u[0] < share:
            work_stop, work_km = nearest_stop(np.array([m.work_place.latitude]),
                                              np.array([m.work_place.longitude]))
            commuter = bool(home_km[0] <= c["max_walk_km"] and work_km[0] <= c["max_walk_km"]
                            and home_stop[0] != work_stop[0])
        if commuter:
            t, row = _commute(ctx, mob, tr, ctx.rng(f"transport-commute-{k}"), int(home_stop[0]),
                              int(work_stop[0]))
            rides.add(t, row, k, False)
            holders[k] = card
        elif m.age_on(ctx.period.start) >= p["fares"]["senior_age"] and u[1] < o[
                "senior_pass_share"]:
            holders[k] = card
        else:
            pass_share, ticket = o["visit_share_ticket"], True
        t, row = _outings(ctx, mob, tr, ctx.rng(f"transport-outings-{k}"), pass_share)
        rides.add(t, row, k, ticket)
    _passes(ctx, holders)
    if not rides.t:
        return []
    t, row = np.concatenate(rides.t), np.concatenate(rides.row)
    member, ticket = np.concatenate(rides.member), np.concatenate(rides.ticket)
    order = np.lexsort((t, member))
    t, row, member, ticket = t[order], row[order], member[order], ticket[order]
    _tickets(ctx, mob, t[ticket], row[ticket], member[ticket])
    return [_batch(ctx, t, row, member, ticket, cards)]


def _months(ctx: SourceContext) -> list[date]:
    day = parameters.load("transport")["fares"]["pass_debit_day"]
    out, y, m = [], ctx.period.start.year, ctx.period.start.month
    while date(y, m, 1) < ctx.period.end:
        d = date(y, m, day)
        if ctx.period.start <= d < ctx.period.end:
            out.append(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _passes(ctx: SourceContext, holders: dict[int, str]) -> None:
    """One monthly pass per holder and month, debited on the month's debit day."""
    p = parameters.load("transport")
    for k, card in holders.items():
        m = ctx.household.members[k]
        for d in _months(ctx):
            publish(ctx, Payment(
                day=d, amount=-fare(pass_product(m, d), d), kind="direct_debit",
                counterparty=p["network"]["name"], category=p["fares"]["category"],
                source=SOURCE, reference=f"{card}-{d:%Y%m}", member=k))


def _tickets(ctx: SourceContext, mob: Mobility, t: np.ndarray, row: np.ndarray,
             member: np.ndarray) -> None:
    """A card payment per single ticket, at the stop, the instant the trip starts."""
    p = parameters.load("transport")
    s = stops()
    local = mob.local_hours(t)
    for x, r, k in zip(local.tolist(), row.tolist(), member.tolist(), strict=True):
        when = datetime.combine(ctx.period.start, datetime.min.time()) + timedelta(hours=x)
        when = when.replace(microsecond=0)
        publish(ctx, Payment(
            day=when.date(), amount=-fare("single_ticket", when.date()), kind="card",
            counterparty=p["network"]["name"], category=p["fares"]["category"], source=SOURCE,
            reference=f"{s.stop_id[r]}-{when:%Y%m%d%H%M%S}", when=when, city=str(s.city[r]),
            latitude=float(s.lat[r]), longitude=float(s.lon[r]), member=int(k)))


def masked(card: str) -> str:
    """The bank card a ticket is paid with, as a validator shows it: the last four digits."""
    return "XXXXXXXXXXXX" + card[-4:]


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return date(born.year + years, 3, 1)


def _batch(ctx: SourceContext, t: np.ndarray, row: np.ndarray, member: np.ndarray,
           ticket: np.ndarray, cards: dict[int, str]) -> Batch:
    p = parameters.load("transport")
    s = stops()
    members = ctx.household.members
    ks = sorted(cards)
    slot = np.searchsorted(ks, member) + len(ks) * ticket   # bank cards after TCL cards
    senior_from = np.array([_birthday(members[k].birthdate, p["fares"]["senior_age"])
                            for k in ks], dtype="datetime64[D]")[np.searchsorted(ks, member)]
    local_day = (t + utc_offset_seconds(t.astype(np.int64)).astype("timedelta64[s]")
                 ).astype("datetime64[D]")
    product = np.where(ticket, 0, np.where(local_day >= senior_from, 2, 1))
    products = ["single_ticket", "monthly_pass", "monthly_pass_senior"]
    holder = [f"{members[k].given} {members[k].family}" for k in ks]
    spec = {
        "timestamp": Col("ts", "utc"),
        "network": p["network"]["name"],
        "mode": Col("mode"),
        "line": Col("line"),
        "stopId": Col("stop"),
        "stopName": Col("name", "text"),
        "city": Col("city", "text"),
        "latitude": Col("lat", "float"),
        "longitude": Col("lon", "float"),
        "media": Col("media"),
        "cardId": Col("card"),
        "cardHolder": Col("holder", "text"),
        "productId": Col("product"),
        "productLabel": Col("label", "text"),
    }
    return Batch.from_columns(VALIDATION, spec, {
        "ts": t,
        "mode": s.mode[row], "line": s.line[row], "stop": s.stop_id[row], "name": s.name[row],
        "city": s.city[row], "lat": s.lat[row], "lon": s.lon[row],
        "media": Categorical(["card", "bank_card"], ticket.astype(np.int64)),
        "card": Categorical([cards[k] for k in ks] + [masked(cards[k]) for k in ks], slot),
        "holder": Categorical(holder + holder, slot),
        "product": Categorical(products, product),
        "label": Categorical([p["products"][x] for x in products], product),
    })
