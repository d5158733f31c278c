"""Water: one daily statement per local day, and quarterly bills.

Litres follow household size (sub-linear), season and weekday. Day to day, a home's use varies
as its end uses do: showers, flushes, washing-machine cycles and dishes are counted per day
(SIMDEUM rates), so a laundry day stands out and a single person varies more than a family.
Nobody home → 0 L, except a visit every few days from someone looking after the home (a few
litres) and the leak flow, which is how leaks show (steady use while away, a raised floor every
day). The operator is the commune's (``operator``): the same for every household there.
"""

from __future__ import annotations

import zlib

import numpy as np

from synthetic_data import french, parameters
from synthetic_data.client_record import CLIENT, client_record
from synthetic_data.communes import Commune
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Col, iso_local
from synthetic_data.invoices import fr_number
from synthetic_data.sources import bills

STATEMENTS = "org.fing.mesinfos.consumptionstatement"
DOCTYPES = (CLIENT, STATEMENTS, "io.cozy.bills")
VERSION = "selfdata-water-1.0"


def vendor_for(ctx: SourceContext) -> str:
    return operator(ctx.household.commune, ctx.period.start.year)


def operator(commune: Commune, year: int) -> str:
    """The commune's water operator in ``year``: a big city's from the table, elsewhere a draw
    seeded by the commune's INSEE code, so every household of a commune has the same one."""
    p = parameters.load("water")
    for city in p["cities"]:
        if any(commune.insee.startswith(code) for code in city["insee"]):
            names = [n for y, n in city["names"] if y <= year] or [city["names"][0][1]]
            return names[-1]
    o = p["operators"]
    shares = np.asarray(o["shares"][commune.size_class], dtype=float)
    u = zlib.crc32(f"water-operator:{commune.insee}".encode()) / 2**32
    k = int(np.searchsorted(np.cumsum(shares / shares.sum()), u, side="right"))
    k = min(k, shares.size - 1)
    if k < len(o["private"]):
        return o["private"][k]
    return o["regie"].format(of_city=french.elide_de(commune.city))


def tariff(commune: Commune, year: int) -> tuple[float, float]:
    """(euros per m³, subscription euros per year) in ``commune`` in ``year``: the local figure
    where ``params/water.toml [[prices]]`` has one, else the national mean."""
    p = parameters.load("water")
    for local in p["prices"]:
        if any(commune.insee.startswith(code) for code in local["insee"]):
            steps = [s for s in local["steps"] if s[0] <= year] or local["steps"][:1]
            return float(steps[-1][1]), float(steps[-1][2])
    return float(p["price_per_m3"]), float(p["standing_per_year"])


def client(ctx: SourceContext) -> dict:
    """The water utility's client record (the kit's "Client Eau du Grand Lyon")."""
    c = parameters.load("water")["client"]
    vendor = vendor_for(ctx)
    hh = ctx.household
    d = c["default_contact"]
    contact = c["contacts"].get(vendor) or {
        **d, "title": d["title"].format(vendor=vendor),
        "address": {**d["address"], "postcode": hh.address.postcode, "city": hh.address.city}}
    return client_record(hh, vendor=vendor, client_id=hh.water_contract,
                         account=c["account_prefix"] + hh.water_contract, contact=contact)


def _capped_poisson_mean(lam: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """E[min(X, cap)] for X ~ Poisson(lam), element-wise (cap small)."""
    term = np.exp(-lam)          # P(X = k), from k = 0
    below = np.zeros_like(lam)   # sum of k P(X = k) for k < cap
    tail = np.ones_like(lam)     # P(X >= k)
    for k in range(int(cap.max())):
        live = k < cap
        below = below + np.where(live, k * term, 0.0)
        tail = tail - np.where(live, term, 0.0)
        term = term * lam / (k + 1)
    return below + cap * tail


def _end_use_factor(rng: np.random.Generator, people: np.ndarray) -> np.ndarray:
    """Per day, the day's use as a multiple of the usual (mean 1): each end use counted."""
    e = parameters.load("water")["end_uses"]
    n = people.size
    showers = rng.binomial(people, e["shower_probability"]).astype(float)
    # the mean of k shower volumes (mean 1), approximated by one lognormal whose spread shrinks
    # as 1/sqrt(k)
    sig = e["shower_volume_sigma"] / np.sqrt(np.maximum(showers, 1.0))
    volume = rng.lognormal(-sig**2 / 2, sig)
    shower = showers * volume / (people * e["shower_probability"])
    wc = rng.poisson(people * e["wc_flushes_per_person"]) / (people * e["wc_flushes_per_person"])
    cycles = people * e["laundry_cycles_per_person_week"] / 7.0
    cap = 1 + (people + 1) // 2      # a machine runs ~2 h: few cycles fit in a day
    laundry = np.minimum(rng.poisson(cycles), cap) / _capped_poisson_mean(cycles, cap)
    sessions = people * e["dishes_sessions_per_person"]
    dishes = rng.poisson(sessions) / sessions
    osig = e["other_sigma"]
    other = rng.lognormal(-osig**2 / 2, osig, n)
    return (e["shower_share"] * shower + e["wc_share"] * wc + e["laundry_share"] * laundry
            + e["dishes_share"] * dishes + e["other_share"] * other)


def _away_visits(ctx: SourceContext, rng: np.random.Generator, full_away: np.ndarray
                 ) -> np.ndarray:
    """Litres drawn on days away by someone dropping by every few days (0 elsewhere)."""
    v = parameters.load("water")["away_visits"]
    tl = ctx.timeline
    out = np.zeros(ctx.period.n_days)
    n_trips = len(tl.trips)
    if not n_trips or rng.random() >= v["household_share"]:
        return out
    every = rng.integers(v["every_days"][0], v["every_days"][1] + 1, n_trips)
    phase = rng.integers(0, every)
    days = np.arange(ctx.period.n_days)
    first = np.full(n_trips, ctx.period.n_days)
    np.minimum.at(first, tl.trip[tl.trip >= 0], days[tl.trip >= 0])
    t = np.maximum(tl.trip, 0)
    # from the second full day away (never the day after the departure day, which may read
    # little too), then every few days
    since = days - first[t] - 2
    visit = full_away & (since >= 0) & ((since + phase[t]) % every[t] == 0)
    litres = v["litres_median"] * rng.lognormal(0.0, v["litres_sigma"], ctx.period.n_days)
    out[visit] = np.minimum(litres, v["litres_max"])[visit]
    return out


def daily_litres(ctx: SourceContext) -> np.ndarray:
    p = parameters.load("water")
    rng = ctx.rng("water")
    per = ctx.period
    tl = ctx.timeline
    sizes = np.clip(tl.occupants, 1, len(p["litres_by_size"]))
    base = np.asarray(p["litres_by_size"])[sizes - 1]
    base = base * rng.lognormal(0.0, p["household_sigma"])
    factor = np.asarray(p["month_factor"])[per.month - 1] * np.asarray(
        p["weekday_factor"])[per.weekday]
    if ctx.household.dwelling.garden:
        factor = factor * np.where((per.month >= 5) & (per.month <= 9),
                                   1 + p["garden_summer_boost"], 1.0)
    noise = rng.lognormal(-p["daily_sigma"] ** 2 / 2, p["daily_sigma"], per.n_days)
    noise = noise * _end_use_factor(rng, np.maximum(tl.occupants, 1))
    presence = np.where(tl.away, 0.0, 1.0)
    # departure and return days: away one half of the day
    edges = np.zeros(per.n_days, dtype=bool)
    edges[1:] |= tl.away[1:] != tl.away[:-1]
    presence[edges & tl.away] = p["travel_day_share"]
    visits = _away_visits(ctx, ctx.rng("water-visits"), tl.away & ~edges)
    litres = base * factor * noise * presence + visits + tl.leak_lph * 24.0
    return np.round(litres).astype(np.int64)


def generate(ctx: SourceContext) -> list[Batch]:
    p = parameters.load("water")
    litres = daily_litres(ctx)
    ctx.shared["water_litres"] = litres
    days = ctx.period.days
    start_index = int(ctx.rng("water-index").integers(50_000, 900_000))  # litres on the meter
    index = start_index + np.cumsum(litres)
    spec = {
        "docTypeVersion": VERSION,
        "contractNumber": ctx.household.water_contract,
        "vendor": vendor_for(ctx),
        "start": Col("start"),
        "end": Col("end"),
        "period": Col("period"),
        "value": Col("value", "int"),
        "unit": "L",
        "volume": Col("volume", "float"),
        "index": Col("index", "float"),
        "statementType": "mesure",
        "statementCategory": "eau",
        "statementReason": "WaterDailyConsumption",
    }
    statements = Batch.from_columns(STATEMENTS, spec, {
        "start": iso_local(days, "s"),
        "end": iso_local(days + np.timedelta64(1, "D"), "s"),
        "period": iso_local(days, "D"),
        "value": litres,
        "volume": np.round(litres / 1000.0, 3),
        "index": np.round(index / 1000.0, 3),
    })
    m3 = litres / 1000.0
    per_m3, standing = tariff(ctx.household.commune, ctx.period.start.year)

    def lines(mask: np.ndarray, first, last) -> list[tuple[str, str, float]]:
        used = float(m3[mask].sum())
        return [("Consommation d'eau", f"{fr_number(used, 3)} m³ à "
                 f"{fr_number(per_m3, 2)} €/m³", used * per_m3),
                (f"Abonnement ({int(mask.sum())} jours)", "", standing * mask.sum() / 365.0)]

    quarter_bills = bills.periodic_bills(
        ctx, months=3, vendor=vendor_for(ctx), bill_type="water",
        amounts=lambda mask: float(m3[mask].sum() * per_m3 + standing * mask.sum() / 365.0),
        contract=ctx.household.water_contract, lines=lines,
        references=(("N° de contrat", ctx.household.water_contract),
                    ("Adresse de desserte", ctx.household.address.formatted)),
        source="water", debit_days=int(p["debit_days_after_issue"]),
    )
    return [Batch.from_dicts(CLIENT, [client(ctx)]), statements, quarter_bills]
