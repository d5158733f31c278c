"""Purchases: till receipts, card spending near the phone, online orders and their parcels.

Doctypes ``org.selfdata.receipt`` and ``org.selfdata.laposte.parcel``; every purchase is also
published into the ledger (``synthetic_data.ledger``) as a card :class:`Payment`, which the bank
source turns into its operation: a receipt's total is its payment to the cent.

- Groceries (``params/shopping.toml [groceries]``): a weekly main shop at the household's retailer
  and small top-ups at one or two proximity stores, spend scaled by consumption units and INSEE's
  food share; line items from ``params/products.csv`` (built in numpy, merged per product).
- Card spending without a receipt (restaurants, cafés, clothing, leisure, pharmacy, fuel for
  households with cars): the merchant stands within a few hundred metres of where the card
  holder's phone is at that instant (``orange_mobility.Mobility.position``; members without a
  phone: at home, or with the household on its trips).
- On a trip's full days purchases happen at the destination; nothing is bought in the home area
  on an away day.
- Online orders (``[online]``): card payments; physical ones become La Poste parcels
  (``laposte.py``) delivered to the household's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from synthetic_data import french, parameters
from synthetic_data.calendar_fr import dst_bounds_utc
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Col, euros_text
from synthetic_data.ledger import Payment, payments, publish
from synthetic_data.sources import laposte
from synthetic_data.sources.bank_flows import committed_outflows, monthly_income
from synthetic_data.sources.orange_mobility import METRES_PER_DEGREE, mobility

RECEIPT = "org.selfdata.receipt"
DOCTYPES = (RECEIPT, laposte.PARCEL)
GROCERIES = "400110"
K_TRIES = 8  # candidate instants per purchase; the first where the holder is in place wins


@dataclass(frozen=True)
class Store:
    name: str
    statement: str
    price_index: float
    address: str
    postcode: str
    city: str
    latitude: float
    longitude: float


@cache
def products() -> dict[str, np.ndarray]:
    """``params/products.csv`` as columns; prices in cents."""
    rows = parameters.load_csv("products")
    col = {k: np.array([r[k] for r in rows]) for k in ("label", "family", "unit")}
    col["vat"] = np.array([float(r["vat"]) for r in rows])
    col["cents"] = np.array([round(float(r["price"]) * 100) for r in rows], dtype=np.int64)
    for k in ("weight", "topup"):
        w = np.array([float(r[k]) for r in rows])
        col[k] = w / w.sum()
    return col


def consumption_units(ctx: SourceContext) -> float:
    """OECD-modified scale (INSEE's): 1 + 0.5 per other person aged 14+ + 0.3 per child."""
    ages = [m.age_on(ctx.period.start) for m in ctx.household.members if m.arrives is None]
    return 1.0 + sum(0.5 if a >= 14 else 0.3 for a in sorted(ages, reverse=True)[1:])


def spending_level(ctx: SourceContext, p: dict) -> float:
    """How much more (> 1) or less than a household at the median standard of living this one
    spends: its income per consumption unit (what its bank statement will show) against INSEE's
    median, to the power ``elasticity``, within bounds."""
    lv = p["income"]
    ratio = monthly_income(ctx) / consumption_units(ctx) / lv["median_income_per_unit_month"]
    return float(np.clip(max(ratio, 1e-3) ** lv["elasticity"], *lv["bounds"]))


def _budget(ctx: SourceContext, p: dict) -> float:
    """Euros the household can put into purchases over the period: its income less what its
    statement commits elsewhere (bills and premiums already in the ledger, rent or loan, taxes,
    health cover), times the share not kept for cash and savings."""
    months = ctx.period.n_days / 30.44
    bills = -sum(x.amount for x in payments(ctx) if x.amount < 0)
    free = monthly_income(ctx) * months - bills - committed_outflows(ctx)
    return free * p["income"]["purchases_share_of_free_income"]


def _offset(rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, metres: list[float],
            ) -> tuple[np.ndarray, np.ndarray]:
    d = rng.uniform(metres[0], metres[1], lat.size)
    a = rng.uniform(0.0, 2 * np.pi, lat.size)
    return (np.round(lat + d * np.cos(a) / METRES_PER_DEGREE, 6),
            np.round(lon + d * np.sin(a) / (METRES_PER_DEGREE * np.cos(np.radians(lat))), 6))


class _Shopper:
    """Local clock ↔ UTC, and where each member is (the phone's place, or home).

    Instants are handled as epoch seconds (int64) of the local clock; the Paris offset comes
    from the household's own summer-time edges (one ``searchsorted`` per batch)."""

    def __init__(self, ctx: SourceContext):
        self.ctx = ctx
        hh = ctx.household
        self.level = 1.0  # spending relative to the median standard of living (spending_level)
        self.budget = 0.0  # euros it can put into purchases over the period (_budget)
        self.home = (hh.dwelling.location.latitude, hh.dwelling.location.longitude)
        self.mob = mobility(ctx)
        self.start = int(np.datetime64(ctx.period.start, "s").astype(np.int64))
        self.adults = [k for k, m in enumerate(hh.members)
                       if m.arrives is None and m.age_on(ctx.period.start) >= 18]
        edges = [dst_bounds_utc(y) for y in range(ctx.period.start.year - 1,
                                                  ctx.period.end.year + 2)]
        self._edges = np.array([e for pair in edges for e in pair],
                               dtype="datetime64[s]").astype(np.int64)
        # per member: its phone, or (no phone) whether it is assumed home in the daytime
        self._stays = [(m.msisdn, k in self.adults and m.work_place is None)
                       for k, m in enumerate(hh.members)]

    def home_present(self, day: np.ndarray, local: np.ndarray) -> np.ndarray:
        """Whether someone is home at each local instant (``datetime64`` or epoch seconds) of
        day index ``day``: not an away day, and a member's phone is at home (place 0, no trip)
        or an adult without a phone and without work or school lives there (assumed home in the
        daytime). Children without a phone are never alone at home."""
        sec = np.asarray(local)
        if sec.dtype.kind == "M":
            sec = sec.astype("datetime64[s]").astype(np.int64)
        day, sec = np.broadcast_arrays(np.asarray(day, dtype=np.int64), sec)
        n_days = self.ctx.period.n_days
        ok = (day < n_days) & ~self.ctx.timeline.away[np.minimum(day, n_days - 1)]
        utc = sec - self.offset(sec - 3600)
        x = (utc - self.start + self.offset(utc)) / 3600.0
        home = np.zeros(day.shape, dtype=bool)
        for msisdn, stays in self._stays:
            if msisdn:
                place, trip = self.mob.place(msisdn, utc, x)
                home |= (place == 0) & (trip < 0)
            elif stays:
                home[...] = True
        return ok & home

    def offset(self, sec: np.ndarray) -> np.ndarray:
        """Paris offset (seconds) of UTC epoch seconds (as ``utc_offset_seconds``)."""
        return 3600 + 3600 * (np.searchsorted(self._edges, sec, side="right") & 1)

    def local_sec(self, day: np.ndarray, hour: np.ndarray) -> np.ndarray:
        """Local epoch seconds of (day index, local hour)."""
        return self.start + day * 86400 + np.round(hour * 3600).astype(np.int64)

    def local(self, day: np.ndarray, hour: np.ndarray) -> np.ndarray:
        """Local naive instants (datetime64[s]) of (day index, local hour)."""
        return self.local_sec(day, hour).astype("datetime64[s]")

    def utc(self, local: np.ndarray) -> np.ndarray:
        sec = local.astype("datetime64[s]").astype(np.int64)
        return (sec - self.offset(sec - 3600)).astype("datetime64[s]")

    def where(self, member: np.ndarray, local: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(latitude, longitude, away from home) of each member at each local instant."""
        return self.where_sec(member, local.astype("datetime64[s]").astype(np.int64))

    def where_sec(self, member: np.ndarray, sec: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`where` of local epoch seconds."""
        utc = sec - self.offset(sec - 3600)
        x = (utc - self.start + self.offset(utc)) / 3600.0  # Mobility.local_hours
        members = self.ctx.household.members
        ks = set(member.tolist())
        if len(ks) == 1:
            return self.mob.position(members[ks.pop()].msisdn, utc, self.home, x)
        lat, lon = np.empty(sec.size), np.empty(sec.size)
        away = np.zeros(sec.size, dtype=bool)
        for k in ks:
            sel = member == k
            la, lo, aw = self.mob.position(members[k].msisdn, utc[sel], self.home, x[sel])
            lat[sel], lon[sel], away[sel] = la, lo, aw
        return lat, lon, away


def _stores(ctx: SourceContext, rng: np.random.Generator, p: dict, sh: _Shopper,
            ) -> tuple[Store, list[Store]]:
    """The household's main retailer and its proximity stores, near home."""
    hh = ctx.household
    g, prox = p["groceries"], p["proximity"]
    shares = np.array([r["share"] for r in p["retailers"]])
    main = p["retailers"][int(rng.choice(len(shares), p=shares / shares.sum()))]
    n_prox = int(rng.integers(prox["retailers_per_household"][0],
                              prox["retailers_per_household"][1] + 1))
    which = rng.choice(len(prox["names"]), n_prox, replace=False)
    lat, lon = _offset(rng, np.full(1 + n_prox, sh.home[0]), np.full(1 + n_prox, sh.home[1]),
                       g["retailer_distance_m"])
    plat, plon = _offset(rng, np.full(n_prox, sh.home[0]), np.full(n_prox, sh.home[1]),
                         g["proximity_distance_m"])
    lat[1:], lon[1:] = plat, plon

    def street() -> str:
        number = int(rng.integers(1, 150))
        return f"{number} {french.street_name(rng, hh.commune.size_class, hh.commune.city)}"

    city = hh.address.city
    stores = [Store(main["name"], main["statement"], main["price_index"], street(),
                    hh.address.postcode, city, float(lat[0]), float(lon[0]))]
    for i, w in enumerate(which):
        stores.append(Store(prox["names"][w], prox["statements"][w], prox["price_index"],
                            street(), hh.address.postcode, city, float(lat[i + 1]),
                            float(lon[i + 1])))
    return stores[0], stores[1:]


@dataclass
class _Baskets:
    """Receipts to build: per receipt its store, holder, local instant (epoch seconds of the
    local clock) and item count."""

    store: list[Store]
    member: np.ndarray
    local: np.ndarray
    items: np.ndarray
    topup: np.ndarray

    def __add__(self, other: _Baskets) -> _Baskets:
        return _Baskets(self.store + other.store,
                        *(np.concatenate([getattr(self, k), getattr(other, k)])
                          for k in ("member", "local", "items", "topup")))


def _week_plan(ctx: SourceContext, rng: np.random.Generator, g: dict,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Main-shop days (one per week at home, on the household's usual weekday when it can) and
    top-up days (Poisson, Sunday mornings rarer; none on away days)."""
    per, tl = ctx.period, ctx.timeline
    wd = per.weekday
    open_day = ~tl.away & ~per.public_holiday & (wd < 6)
    week = (np.arange(per.n_days) + int(wd[0])) // 7
    pref = int(rng.choice(6, p=np.asarray(g["main_day_shares"]) / sum(g["main_day_shares"])))
    cand = np.flatnonzero(open_day)  # per week with an open day: the usual weekday, or a draw
    weeks, first, size = np.unique(week[cand], return_index=True, return_counts=True)
    hit = cand[wd[cand] == pref]
    usual = dict(zip(*np.unique(week[hit], return_index=True), strict=True))
    main_days = []
    for w, a, n in zip(weeks.tolist(), first.tolist(), size.tolist(), strict=True):
        main_days.append(int(hit[usual[w]] if w in usual else cand[a + rng.integers(0, n)]))
    cu = consumption_units(ctx)
    per_week = g["topups_per_week"] * np.sqrt(cu / 1.55)
    rate = np.where(wd < 6, per_week * (1 - g["topup_sunday_share"]) / 6,
                    per_week * g["topup_sunday_share"]) * ~tl.away * ~per.public_holiday
    return np.array(main_days, dtype=np.int64), np.repeat(np.arange(per.n_days),
                                                          rng.poisson(rate))


def _home_baskets(ctx: SourceContext, rng: np.random.Generator, p: dict, sh: _Shopper,
                  ) -> _Baskets:
    g = p["groceries"]
    prod = products()
    line_cents = float((prod["weight"] * prod["cents"]).sum()) * (
        1 + 1.5 * g["multi_quantity_share"])
    cu = consumption_units(ctx)
    yearly = (g["consumption_per_unit_eur"] * g["food_share"] * g["card_share"] * cu
              * sh.level ** p["income"]["food_elasticity_share"]
              * rng.lognormal(-g["household_sigma"] ** 2 / 2, g["household_sigma"]))
    # never more than what is left once housing, bills and taxes are paid allows
    yearly = min(yearly, max(sh.budget, 0.0) * p["income"]["groceries_max_share"]
                 * 365.25 / ctx.period.n_days)
    main_days, top_days = _week_plan(ctx, rng, g)
    years = ctx.period.n_days / 365.25
    topup_cents = float((prod["topup"] * prod["cents"]).sum()) * np.mean(g["topup_items"])
    main_target = max((yearly * 100 - top_days.size / years * topup_cents) / 52, 1500.0)
    main, proximity = _stores(ctx, rng, p, sh)
    adults = np.array(sh.adults or [0])
    women = [k for k in adults if ctx.household.members[k].sex == "F"]
    shopper = int(women[0]) if women and rng.random() < g["female_shopper_share"] else int(
        adults[rng.integers(0, adults.size)])
    days = np.concatenate([main_days, top_days])
    topup = np.concatenate([np.zeros(main_days.size, bool), np.ones(top_days.size, bool)])
    member = np.where(topup, adults[rng.integers(0, adults.size, days.size)], shopper)
    sunday = ctx.period.weekday[days] == 6  # small stores: Sunday mornings only
    hours = np.where(sunday[:, None], [[8.5, 12.5]], [g["open_hours"]])
    keep, local = _pick_many(sh, rng, days, member, hours, "home")
    n_big = np.clip(rng.poisson(main_target * rng.lognormal(
        -g["week_sigma"] ** 2 / 2, g["week_sigma"], keep.size) / line_cents), *g["big_items"])
    n_top = rng.integers(g["topup_items"][0], g["topup_items"][1] + 1, keep.size)
    tp = topup[keep]
    # one call for all top-ups: the same values as one integers() per top-up, in order
    which = iter(rng.integers(0, len(proximity), int(tp.sum())).tolist())
    stores = [proximity[next(which)] if t else main for t in tp.tolist()]
    return _Baskets(stores, member[keep], local, np.where(tp, n_top, n_big), tp)


def _pick_many(sh: _Shopper, rng: np.random.Generator, day: np.ndarray, member: np.ndarray,
               hours: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """``_pick_instants`` with one hour window per purchase (rows of ``hours``)."""
    keep, local, _, _ = _pick_instants(sh, rng, day, member, hours[:, None, :], mode)
    return keep, local


def _pick_instants(sh: _Shopper, rng: np.random.Generator, day: np.ndarray, member: np.ndarray,
                   windows: np.ndarray, mode: str, n_windows: np.ndarray | None = None,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each purchase (day, member): the first of K_TRIES random hours in its ``windows``
    (array (n, w, 2); with ``n_windows``, only each row's first ``n_windows``) where the member
    is at home (``mode`` "home"), anywhere in the home area ("area") or away on the trip
    ("trip"); kept indices, local instants (epoch seconds of the local clock) and positions."""
    n = day.size
    if not n:
        e = np.zeros(0)
        return np.zeros(0, np.int64), np.zeros(0, np.int64), e, e
    windows = np.asarray(windows, dtype=float)
    k = rng.integers(0, windows.shape[-2] if n_windows is None else n_windows[:, None],
                     (n, K_TRIES))
    if windows.shape[-2] == 1:  # one window: no choice to apply
        lo, hi = windows[..., 0, 0].reshape(-1, 1), windows[..., 0, 1].reshape(-1, 1)
    else:
        w = np.broadcast_to(windows, (n, windows.shape[-2], 2))
        lo = np.take_along_axis(w[:, :, 0], k, 1)
        hi = np.take_along_axis(w[:, :, 1], k, 1)
    hour = lo + rng.random((n, K_TRIES)) * (hi - lo)
    local = sh.local_sec(np.repeat(day, K_TRIES), hour.ravel())
    lat, lon, away = sh.where_sec(np.repeat(member, K_TRIES), local)
    if mode == "home":
        ok = (np.abs(lat - sh.home[0]) < 1e-9) & (np.abs(lon - sh.home[1]) < 1e-9) & ~away
    else:
        ok = away if mode == "trip" else ~away
    ok = ok.reshape(n, K_TRIES)
    first = ok.argmax(axis=1)
    keep = np.flatnonzero(ok.any(axis=1))
    j = keep * K_TRIES + first[keep]
    return keep, local[j], lat[j], lon[j]


def _inner_trip_days(ctx: SourceContext) -> list[tuple[int, np.ndarray]]:
    """Per trip: its index and its full days at the destination (first and last are travel)."""
    tl = ctx.timeline
    out = []
    for t, e in enumerate(tl.trips):
        a, b = tl.day_index(e.start) + 1, tl.day_index(e.end)
        days = np.arange(max(a, 0), min(b, ctx.period.n_days))
        if days.size:
            out.append((t, days))
    return out


def _trip_purchases(ctx: SourceContext, rng: np.random.Generator, p: dict, sh: _Shopper,
                    ) -> tuple[_Baskets, list[Payment]]:
    """Top-ups (France only: the chains are French) and restaurants at the destination."""
    tr, g = p["trips"], p["groceries"]
    adults = np.array(sh.adults or [0])
    stores: list[Store] = []
    members, locals_, items = [], [], []
    pays: list[Payment] = []
    rest = next(k for k in p["card"]["kinds"] if k["kind"] == "restaurant")
    for t, days in _inner_trip_days(ctx):
        e = ctx.timeline.trips[t]
        city = str(e.details["destination"]).upper()
        if not e.details.get("abroad"):
            d = np.repeat(days, rng.poisson(tr["topups_per_day"], days.size))
            m = adults[rng.integers(0, adults.size, d.size)]
            keep, local, lat, lon = _pick_instants(sh, rng, d, m, np.array([[[9.0, 19.5]]]),
                                                   "trip")
            slat, slon = _offset(rng, lat, lon, p["card"]["merchant_distance_m"])
            for w, la, lo in zip(rng.integers(0, len(tr["stores"]), keep.size).tolist(),
                                 slat.tolist(), slon.tolist(), strict=True):
                stores.append(Store(tr["stores"][w], tr["store_statements"][w],
                                    p["proximity"]["price_index"], "", "", city, la, lo))
            members.append(m[keep])
            locals_.append(local)
            items.append(rng.integers(g["topup_items"][0], g["topup_items"][1] + 1, keep.size))
        d = np.repeat(days, rng.poisson(tr["restaurants_per_day"], days.size))
        m = adults[rng.integers(0, adults.size, d.size)]
        pays += _card(ctx, rng, p, sh, rest, d, m, "trip", city)
    local = np.concatenate(locals_) if locals_ else np.zeros(0, np.int64)
    n = local.size
    return _Baskets(stores, np.concatenate(members) if members else np.zeros(0, np.int64),
                    local, np.concatenate(items) if items else np.zeros(0, np.int64),
                    np.ones(n, bool)), pays


def _card(ctx: SourceContext, rng: np.random.Generator, p: dict, sh: _Shopper, kind: dict,
          day: np.ndarray, member: np.ndarray, mode: str, city: str | None = None,
          ) -> list[Payment]:
    """Card payments of one kind at merchants near where each holder is."""
    keep, local, lat, lon = _pick_instants(sh, rng, day, member, np.array([kind["hours"]]),
                                           mode)
    mlat, mlon = _offset(rng, lat, lon, p["card"]["merchant_distance_m"])
    if "litres" in kind:
        litres = rng.uniform(*kind["litres"], keep.size)
        price = np.round(rng.uniform(*kind["price"], keep.size), 3)
        cents = np.rint(litres * price * 100).astype(np.int64)
    else:
        s = kind["sigma"]
        cents = np.maximum(np.rint(kind["median_eur"] * 100 * rng.lognormal(0.0, s, keep.size)),
                           150).astype(np.int64)
    names = kind["merchants"]
    who = rng.integers(0, len(names), keep.size)
    town = city or ctx.household.address.city
    cat = kind["category"]
    return [Payment(day=w.date(), amount=-c / 100, kind="card", counterparty=names[i],
                    category=cat, source="shopping", reference="", when=w, city=town,
                    latitude=la, longitude=lo, member=m)
            for w, c, i, la, lo, m in zip(local.astype("datetime64[s]").tolist(), cents.tolist(),
                                          who.tolist(), mlat.tolist(), mlon.tolist(),
                                          member[keep].tolist(), strict=True)]


def _card_spending(ctx: SourceContext, rng: np.random.Generator, p: dict, sh: _Shopper,
                   ) -> list[Payment]:
    """Restaurants, cafés, clothing, leisure, pharmacy per adult, and fuel per car, on days at
    home (the trips' restaurants are in ``_trip_purchases``): every kind, adult and car in one
    batch of draws."""
    home_days = np.flatnonzero(~ctx.timeline.away)
    if not home_days.size:
        return []
    months = home_days.size / 30.44
    f = p["fuel"]
    kinds = [*p["card"]["kinds"], {"category": f["category"], "hours": f["hours"],
                                    "merchants": f["stations"], "litres": f["fill_litres"],
                                    "price": f["price_eur_per_litre"]}]
    fuel = len(kinds) - 1
    # purchase groups: (kind, card holder, the days it can happen, mean count)
    groups = [(i, k, home_days, kind["per_month"] * months)
              for i, kind in enumerate(kinds[:fuel]) for k in sh.adults]
    fills_year = f["km_per_car_year"] * f["litres_per_100km"] / 100 / np.mean(f["fill_litres"])
    hh = ctx.household
    for c, _plate in enumerate(hh.cars):
        since = hh.cars_since[c] if c < len(hh.cars_since) else ctx.period.start
        days = home_days[home_days >= (since - ctx.period.start).days]
        if days.size and sh.adults:
            groups.append((fuel, sh.adults[c % len(sh.adults)], days,
                           fills_year * days.size / 365.25))
    if not groups:
        return []
    counts = rng.poisson([g[3] * (sh.level if g[0] != fuel else 1.0) for g in groups])
    g = np.repeat(np.arange(len(groups)), counts)
    pools = [x[2] for x in groups]
    size = np.array([x.size for x in pools])
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    day = np.concatenate(pools)[first[g] + (rng.random(g.size) * size[g]).astype(np.int64)]
    ki = np.array([x[0] for x in groups], dtype=np.int64)[g]
    member = np.array([x[1] for x in groups], dtype=np.int64)[g]
    n_windows = np.array([len(kind["hours"]) for kind in kinds])
    windows = np.zeros((len(kinds), n_windows.max(), 2))
    for i, kind in enumerate(kinds):  # rows padded with their first window (never drawn)
        windows[i] = kind["hours"][0]
        windows[i, :n_windows[i]] = kind["hours"]
    keep, local, lat, lon = _pick_instants(sh, rng, day, member, windows[ki], "area",
                                           n_windows[ki])
    ki, member = ki[keep], member[keep]
    mlat, mlon = _offset(rng, lat, lon, p["card"]["merchant_distance_m"])
    m = keep.size
    median = np.array([kind.get("median_eur", 0.0) for kind in kinds])[ki]
    sigma = np.array([kind.get("sigma", 0.0) for kind in kinds])[ki]
    cents = np.maximum(np.rint(median * 100 * rng.lognormal(0.0, sigma, m)), 150)
    litres, price = np.array(f["fill_litres"]), np.array(f["price_eur_per_litre"])
    litres = litres[0] + (litres[1] - litres[0]) * rng.random(m)
    price = np.round(price[0] + (price[1] - price[0]) * rng.random(m), 3)
    cents = np.where(ki == fuel, np.rint(litres * price * 100), cents).astype(np.int64)
    n_names = np.array([len(kind["merchants"]) for kind in kinds])
    who = (rng.random(m) * n_names[ki]).astype(np.int64)
    town = hh.address.city
    return [Payment(day=w.date(), amount=-c / 100, kind="card",
                    counterparty=kinds[k]["merchants"][i], category=kinds[k]["category"],
                    source="shopping", reference="", when=w, city=town, latitude=la,
                    longitude=lo, member=mb)
            for w, c, k, i, la, lo, mb in zip(
                local.astype("datetime64[s]").tolist(), cents.tolist(), ki.tolist(),
                who.tolist(), mlat.tolist(), mlon.tolist(), member.tolist(), strict=True)]


def _lines(ctx: SourceContext, rng: np.random.Generator, g: dict, b: _Baskets,
           ) -> tuple[np.ndarray, ...]:
    """Line items of every receipt: receipt index, product, quantity, unit and line cents."""
    prod = products()
    rec = np.repeat(np.arange(b.items.size), b.items)
    top = np.repeat(b.topup, b.items)
    n_p = prod["cents"].size
    pid = np.where(top, rng.choice(n_p, rec.size, p=prod["topup"]),
                   rng.choice(n_p, rec.size, p=prod["weight"]))
    extra = np.where(rng.random(rec.size) < g["multi_quantity_share"],
                     rng.integers(1, 3, rec.size), 0)
    key, inv = np.unique(rec * n_p + pid, return_inverse=True)
    qty = np.bincount(inv, weights=1 + extra, minlength=key.size)
    r, pid = key // n_p, key % n_p
    kg = prod["unit"][pid] == "kg"
    qty[kg] = np.round(rng.uniform(*g["kg_range"], int(kg.sum())), 3)
    ids = {s: i for i, s in enumerate(dict.fromkeys(b.store))}
    sid = np.array([ids[s] for s in b.store], dtype=np.int64)
    index = np.array([s.price_index for s in ids])
    noise = rng.lognormal(0.0, 0.04, (len(ids), n_p))  # each store's own shelf price
    unit = np.round(prod["cents"][pid] * index[sid[r]] * noise[sid[r], pid]).astype(np.int64)
    amount = np.rint(qty * unit).astype(np.int64)
    return r, pid, qty, unit, amount


def _json_lists(item_texts: pa.Array, bounds: np.ndarray) -> list[str]:
    """Per receipt, the JSON array of its items (``bounds``: each receipt's first item)."""
    lists = pa.ListArray.from_arrays(pa.array(bounds.astype(np.int32)), item_texts)
    joined = pc.binary_join(lists, ",")
    return pc.binary_join_element_wise("[", joined, "]", "").to_pylist()


def _number(values: np.ndarray) -> pa.Array:
    """Numbers as JSON text, vectorised (as Batch's float columns render them)."""
    return pc.cast(pa.array(values), pa.string())


def _vat(r: np.ndarray, rates: np.ndarray, cents: np.ndarray, n: int) -> list[str]:
    """VAT summary per receipt as JSON (``r``: each line's receipt, ``n`` receipts), one entry
    per rate in increasing order: prices include VAT; base = TTC / (1 + rate), VAT the rest."""
    ru, rc = np.unique(rates, return_inverse=True)
    key, inv = np.unique(r * ru.size + rc, return_inverse=True)
    ttc = np.bincount(inv, weights=cents, minlength=key.size).astype(np.int64)  # exact: < 2**53
    rate = ru[key % ru.size]
    base = np.rint(ttc / (1 + rate / 100)).astype(np.int64)
    rows = pc.binary_join_element_wise(
        '{"rate":', _number(rate), ',"base":', euros_text(base), ',"vat":',
        euros_text(ttc - base), ',"total":', euros_text(ttc), "}", "")
    return _json_lists(rows, np.searchsorted(key // ru.size, np.arange(n + 1)))


RECEIPT_SPEC = {
    "receiptId": Col("rid"),
    "store": {"name": Col("store_name", "text"), "address": Col("store_address", "text"),
              "postcode": Col("store_postcode"), "city": Col("store_city", "text"),
              "latitude": Col("store_lat", "float"), "longitude": Col("store_lon", "float")},
    "date": Col("date"), "kind": Col("kind"), "items": Col("items", "raw"),
    "itemCount": Col("count", "int"), "vat": Col("vat", "raw"), "total": Col("total", "cents"),
    "currency": "EUR", "paymentMethod": "CB",
}


def _receipts(ctx: SourceContext, rng: np.random.Generator, p: dict, b: _Baskets,
              ) -> tuple[dict[str, list], list[Payment]]:
    """The receipts' columns (for ``RECEIPT_SPEC``) and their card payments. Item lines are
    rendered as JSON in Arrow, not as one dict per line: a year holds about a thousand."""
    n = b.items.size
    if not n:
        return {k: [] for k in RECEIPT_COLUMNS}, []
    prod = products()
    r, pid, qty, unit, amount = _lines(ctx, rng, p["groceries"], b)
    bounds = np.searchsorted(r, np.arange(n + 1))
    vat = prod["vat"][pid]
    weighed = prod["unit"][pid] == "kg"
    labels, families = _product_json()
    items = pc.binary_join_element_wise(
        '{"label":', pc.take(labels, pid), ',"family":', pc.take(families, pid),
        ',"quantity":', pc.if_else(pa.array(weighed), _number(qty),
                                   _number(qty.astype(np.int64))),
        pc.if_else(pa.array(weighed), ',"unit":"kg","unitPrice":', ',"unit":"piece","unitPrice":'),
        euros_text(unit), ',"vatRate":', _number(vat), ',"amount":', euros_text(amount),
        "}", "")
    item_lists = _json_lists(items, bounds)
    cum = np.concatenate([[0], np.cumsum(amount)])
    totals = (cum[bounds[1:]] - cum[bounds[:-1]]).tolist()
    cum = np.concatenate([[0], np.cumsum(np.where(weighed, 1, qty.astype(np.int64)))])
    counts = (cum[bounds[1:]] - cum[bounds[:-1]]).tolist()
    vats = _vat(r, vat, amount, n)
    bounds = bounds.tolist()
    whens = b.local.astype("datetime64[s]").tolist()
    isos = np.datetime_as_string(b.local.astype("datetime64[s]"), unit="s").tolist()
    kinds = np.where(b.topup, "topup", "main").tolist()
    members = b.member.tolist()
    tag = f"{ctx.household.index % 10000:04d}"
    kept = [(seq, i) for seq, i in enumerate(np.argsort(b.local, kind="stable").tolist())
            if bounds[i] != bounds[i + 1]]
    stores = [b.store[i] for _, i in kept]
    rids = [f"{isos[i][:4]}{isos[i][5:7]}{isos[i][8:10]}-{tag}-{seq + 1:04d}" for seq, i in kept]
    idx = [i for _, i in kept]
    cols = dict(zip(RECEIPT_COLUMNS, (
        rids, [s.name for s in stores], [s.address for s in stores],
        [s.postcode for s in stores], [s.city for s in stores], [s.latitude for s in stores],
        [s.longitude for s in stores], [isos[i] for i in idx], [kinds[i] for i in idx],
        [item_lists[i] for i in idx], [counts[i] for i in idx], [vats[i] for i in idx],
        [totals[i] for i in idx]), strict=True))
    pays = [Payment(day=whens[i].date(), amount=-totals[i] / 100, kind="card",
                    counterparty=s.statement, category=GROCERIES, source="shopping",
                    reference=rid, when=whens[i], city=s.city, latitude=s.latitude,
                    longitude=s.longitude, member=members[i])
            for i, s, rid in zip(idx, stores, rids, strict=True)]
    return cols, pays


RECEIPT_COLUMNS = ("rid", "store_name", "store_address", "store_postcode", "store_city",
                   "store_lat", "store_lon", "date", "kind", "items", "count", "vat", "total")


@cache
def _product_json() -> tuple[pa.Array, pa.Array]:
    """Each product's label and family as JSON strings, indexed like ``products()``."""
    prod = products()
    return (pa.array([orjson.dumps(v).decode() for v in prod["label"].tolist()]),
            pa.array([orjson.dumps(v).decode() for v in prod["family"].tolist()]))


def _online(ctx: SourceContext, rng: np.random.Generator, p: dict, sh: _Shopper,
            ) -> tuple[list[tuple[int, str, str]], list[Payment]]:
    """Online orders of the household's buyers, and the physical ones' (local instant,
    merchant, order id), which become parcels once the household's means have thinned them."""
    o = p["online"]
    home_days = np.flatnonzero(~ctx.timeline.away)
    orders = []
    for k in sh.adults:
        if rng.random() >= o["buyer_share"]:
            continue
        rate = o["orders_per_month"] * sh.level * rng.lognormal(-o["buyer_sigma"] ** 2 / 2,
                                                                  o["buyer_sigma"])
        d = np.sort(rng.choice(home_days, rng.poisson(rate * home_days.size / 30.44)))
        hour = rng.uniform(7.0, 23.5, d.size)
        orders += [(t, k) for t in sh.local_sec(d, hour).tolist()]
    orders.sort(key=lambda x: x[0])
    n = len(orders)
    sec = np.array([t for t, _ in orders], dtype=np.int64)
    shares = np.asarray(o["physical_shares"]) / sum(o["physical_shares"])
    physical = rng.random(n) < o["physical_share"]
    merchant = np.where(physical, np.array(o["physical"])[rng.choice(shares.size, n, p=shares)],
                        np.array(o["digital"])[rng.integers(0, len(o["digital"]), n)]).tolist()
    cents = np.maximum(np.rint(o["basket_median_eur"] * 100 * rng.lognormal(
        0.0, o["basket_sigma"], n)), 99).astype(np.int64).tolist()
    tag = f"CMD{ctx.household.index % 100000:05d}"
    oid = [f"{tag}{i + 1:04d}{s:02d}" for i, s in enumerate(rng.integers(0, 100, n).tolist())]
    pays = [Payment(day=when.date(), amount=-c / 100, kind="card", counterparty=m,
                    category=o["category"], source="shopping", reference=r, when=when, member=k)
            for when, (_, k), m, c, r in zip(sec.astype("datetime64[s]").tolist(), orders,
                                             merchant, cents, oid, strict=True)]
    parcels = [(t, m, r) for t, m, r, ph in zip(sec.tolist(), merchant, oid, physical.tolist(),
                                                 strict=True) if ph]
    return parcels, pays


def generate(ctx: SourceContext) -> list[Batch]:
    p = parameters.load("shopping")
    sh = _Shopper(ctx)
    sh.level = spending_level(ctx, p)
    sh.budget = _budget(ctx, p)  # before any purchase: the ledger holds bills and premiums only
    baskets = _home_baskets(ctx, ctx.rng("shopping-groceries"), p, sh)
    trips, pays = _trip_purchases(ctx, ctx.rng("shopping-trip"), p, sh)
    # one pass over every receipt of the year: the line items are drawn and rendered together
    receipts, paid = _receipts(ctx, ctx.rng("shopping-receipts"), p, baskets + trips)
    pays += paid
    spent = -sum(x.amount for x in pays)
    card = _card_spending(ctx, ctx.rng("shopping-card"), p, sh)
    online_rng = ctx.rng("shopping-online")
    shipped, online = _online(ctx, online_rng, p, sh)
    extra = -sum(x.amount for x in card) - sum(x.amount for x in online)
    room = sh.budget - spent
    if extra > max(room, 0.0):  # more than it can afford: fewer outings and orders
        keep = max(room, 0.0) / extra * p["income"]["thinning_margin"]
        thin = ctx.rng("shopping-thin")
        card = [x for x, u in zip(card, thin.random(len(card)).tolist(), strict=True)
                if u < keep]
        online = [x for x, u in zip(online, thin.random(len(online)).tolist(), strict=True)
                  if u < keep]
        ordered = {x.reference for x in online}
        shipped = [x for x in shipped if x[2] in ordered]
    parcels = laposte.parcels(ctx, online_rng, p["parcels"], shipped, sh.home_present)
    pays += card + online
    for pay in sorted(pays, key=lambda x: x.when or datetime.min):
        if ctx.period.start <= pay.day < ctx.period.end:
            publish(ctx, pay)
    return [Batch.from_columns(RECEIPT, RECEIPT_SPEC, receipts) if receipts["date"] else
            Batch.from_dicts(RECEIPT, []), Batch.from_dicts(laposte.PARCEL, parcels)]
