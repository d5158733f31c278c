"""The household's electricity, half-hour by half-hour, on the period's UTC half-hour axis.

Average power per slot (W) = base load (fridge, standby) + occupancy-driven appliances following
the BDEW H25 shape + evening TV + cooking spikes + electric hot water (an off-peak block for
HP/HC and Tempo households, spread over the day otherwise) + electric space heating (k × degree-days
× m², bimodal morning/evening). Tempo households cut red-day peak-hour load. Away days keep only
the base load and frost protection. Near the subscribed power the sum is compressed smoothly
(people and load shedders hold back: ``soft_ceiling``), never clipped flat, then rounded to integer
Wh per slot, so every total is an exact integer sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.context import SourceContext
from synthetic_data.sources import tempo
from synthetic_data.weather import HDD_BASE, heating_on

OPTIONS = ("Base", "HPHC", "Tempo")


@dataclass
class Electricity:
    halfhour_wh: np.ndarray     # int64 per slot: energy, rounded to the Wh
    halfhour_w: np.ndarray      # int64 per slot: mean power, rounded to the W (so ≈ 2 × energy)
    day_start: np.ndarray       # index of each local day's first slot
    daily_wh: np.ndarray        # int64 per local day
    daily_hc_wh: np.ndarray     # int64 per local day: off-peak part under the option in force
    daily_pmax_w: np.ndarray    # int64 per local day: max power over minutes (≥ half-hour means)
    index_start_wh: int         # meter index before the first slot
    option_code: np.ndarray     # int per day: index into OPTIONS
    slot_hc: np.ndarray         # bool per slot: off-peak under that day's option
    slot_colour: np.ndarray | None  # int8 per slot: Tempo colour pricing the slot (06→06 days)
    day_colour: np.ndarray | None   # int8 per local day: Tempo colour of day D (06:00 → 06:00)


def in_window(hour: np.ndarray, start: float, end: float) -> np.ndarray:
    """Local hours inside [start, end), a window that may wrap around midnight."""
    if start <= end:
        return (hour >= start) & (hour < end)
    return (hour >= start) | (hour < end)


def day_starts(slots_per_day: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(slots_per_day)[:-1]]).astype(np.int64)


def slot_of_hour(day_start: np.ndarray, slots_per_day: np.ndarray, days: np.ndarray,
                 hours: np.ndarray) -> np.ndarray:
    """Slot index of local clock time ``hours`` (≥ 03:00) on ``days``: counted back from midnight,
    which stays right on the 23 h and 25 h DST days."""
    return day_start[days] + slots_per_day[days] - np.round(2 * (24 - hours)).astype(np.int64)


def tariff_slots(ctx: SourceContext) -> tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                              np.ndarray | None]:
    """Per day option code; per slot off-peak flag and Tempo colour; per day Tempo colour."""
    p = parameters.load("electricity")["tempo"]
    hg = ctx.period.halfhours
    d, h = hg.day_index, hg.local_hour
    option = np.array([OPTIONS.index(o) for o in ctx.timeline.hc_option], dtype=np.int64)
    start, end = ctx.household.contract.hc_window
    slot_opt = option[d]
    hc = np.where(slot_opt == 1, in_window(h, start, end),
                  (slot_opt == 2) & in_window(h, p["hc_start"], p["hc_end"]))
    slot_colour = day_colour = None
    if (option == 2).any():
        codes = tempo.colours(ctx.master_seed, ctx.period.start - timedelta(days=1),
                              ctx.period.n_days + 1)
        day_colour = codes[1:]
        slot_colour = np.where(h < p["day_start_hour"], codes[d], codes[d + 1])
    return option, hc, slot_colour, day_colour


def simulate(ctx: SourceContext) -> Electricity:
    p = parameters.load("electricity")
    hh, per, tl = ctx.household, ctx.period, ctx.timeline
    dw = hh.dwelling
    hg = per.halfhours
    d, h = hg.day_index, hg.local_hour
    hour = np.floor(h).astype(np.int64)
    ns = d.size
    spd = hg.slots_per_day
    starts = day_starts(spd)
    rng = ctx.rng("electricity")  # one stream: reordering the calls below changes the output
    home = ~tl.away
    occ = np.maximum(tl.occupants, 1).astype(float)
    workday = (per.weekday < 5) & ~per.public_holiday

    watts = _base_load(p["base_load"], rng, ns)
    appliances = _appliances(p["appliances"], rng, ctx, occ, workday, hour)
    _add_cycles(appliances, p["appliances"], rng, ctx, occ, home, starts)
    flexible = appliances + _tv(p["tv"], rng, ctx, home, h)
    if not dw.gas_cooking:
        flexible += _cooking(p["cooking"], rng, hh.habits.wake, home, workday, starts, spd, ns)
    heating = _heating(p["heating"], rng, ctx, home, hour) if dw.electric_heating else np.zeros(ns)
    option, slot_hc, slot_colour, day_colour = tariff_slots(ctx)
    dhw = np.zeros(ns)
    if dw.hot_water in ("Électrique", "Thermodynamique"):
        dhw = _hot_water(p, rng, ctx, dw.hot_water, option, occ, home, d, h, hour)
    if slot_colour is not None:
        flexible, heating = _tempo_shift(p["tempo"], d, option, slot_hc, slot_colour, flexible,
                                         heating)

    # Resistive loads (heaters, the water heater's element) draw with the square of the grid's
    # voltage, which moves from half-hour to half-hour: a heater alone never gives one value.
    volt = ctx.rng("grid-voltage").normal(1.0, p["meter"]["resistive_power_sd"], ns)
    watts = watts + np.where(home[d], flexible, 0.0) + (heating + dhw) * volt
    kva_w = hh.contract.kva * 1000.0
    m = p["meter"]
    # Near the subscribed power, people (and load shedders on electric heating) hold back: demand
    # above the knee is compressed smoothly towards the ceiling, never clipped flat onto it.
    # The meter rounds each figure it reports from the same exact energy: a half-hour's mean
    # power (W) is odd as often as even and within 1 W of twice its rounded Wh.
    mean_w = soft_ceiling(watts, kva_w * m["shedding_knee_fraction"],
                          kva_w * m["max_load_fraction"])
    wh = np.rint(mean_w * 0.5).astype(np.int64)
    half_w = np.rint(mean_w).astype(np.int64)
    daily = np.add.reduceat(wh, starts)
    daily_hc = np.add.reduceat(np.where(slot_hc, wh, 0), starts)
    pmax = _pmax(m, rng, np.maximum.reduceat(half_w, starts), home, hh.contract.kva * 1000)
    lo, hi = p["meter"]["index_start_kwh"]
    index0 = int(ctx.rng("electricity-index").integers(lo * 1000, hi * 1000))
    return Electricity(wh, half_w, starts, daily, daily_hc, pmax, index0, option, slot_hc,
                       slot_colour, day_colour)


def _base_load(b: dict, rng: np.random.Generator, ns: int) -> np.ndarray:
    """Always on (fridge, standby), also while away."""
    base_w = float(np.clip(rng.lognormal(np.log(b["watts_median"]), b["watts_sigma"]),
                           b["watts_min"], b["watts_max"]))
    return base_w * rng.lognormal(-b["slot_sigma"] ** 2 / 2, b["slot_sigma"], ns)


def _appliances(a: dict, rng: np.random.Generator, ctx: SourceContext, occ: np.ndarray,
                workday: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """Appliances and lighting: H25 shape, seasonal polynomial, weekday type, occupants."""
    per = ctx.period
    d = per.halfhours.day_index
    poly = np.poly1d(a["season_polynomial"])
    season = poly(per.day_of_year.astype(float))
    season_mean = poly(np.arange(1, 366, dtype=float)).mean()
    winter = np.clip((season - 0.79) / (1.26 - 0.79), 0.0, 1.0)
    saturday = (per.weekday == 5) & ~per.public_holiday
    dtype_factor = np.where(workday, 1.0, np.where(saturday, a["saturday_factor"],
                                                   a["sunday_factor"]))
    dtype_factor = dtype_factor / ((5 + a["saturday_factor"] + a["sunday_factor"]) / 7)
    annual = a["kwh_per_year_one_person"] * occ ** a["occupant_exponent"]
    annual = annual * rng.lognormal(-a["household_sigma"] ** 2 / 2, a["household_sigma"])
    day_wh = (annual * 1000 / 365 * season / season_mean * dtype_factor
              * rng.lognormal(-a["day_sigma"] ** 2 / 2, a["day_sigma"], per.n_days))
    jan_wd, jan_sun, jul_wd = (np.asarray(a[k]) / np.mean(a[k]) for k in
                               ("h25_jan_workday", "h25_jan_sunday", "h25_jul_workday"))
    w_s = winter[d]
    shape = np.where(workday[d], w_s * jan_wd[hour] + (1 - w_s) * jul_wd[hour], jan_sun[hour])
    return (day_wh[d] / 24.0 * shape
            * rng.lognormal(-a["slot_sigma"] ** 2 / 2, a["slot_sigma"], d.size))


def _add_cycles(appliances: np.ndarray, a: dict, rng: np.random.Generator, ctx: SourceContext,
                occ: np.ndarray, home: np.ndarray, starts: np.ndarray) -> None:
    """Appliance cycles: kW half-hour spikes while awake at home, added to ``appliances`` in
    place (summing them apart first would round differently, so change the output)."""
    habits = ctx.household.habits
    spd = ctx.period.halfhours.slots_per_day
    n_ev = rng.poisson(a["spike_rate_per_day"] * occ ** a["occupant_exponent"] * home)
    ev_day = np.repeat(np.arange(home.size), n_ev)
    wake, bed = max(3.0, habits.wake), min(habits.bedtime, 23.5)
    ev_hour = np.floor((wake + rng.random(ev_day.size) * (bed - wake)) * 2) / 2
    np.add.at(appliances, slot_of_hour(starts, spd, ev_day, ev_hour),
              rng.uniform(*a["spike_kw"], ev_day.size) * 1000.0)


def _tv(t: dict, rng: np.random.Generator, ctx: SourceContext, home: np.ndarray,
        h: np.ndarray) -> np.ndarray:
    """Evening TV while someone is home, until bedtime."""
    habits = ctx.household.habits
    d = ctx.period.halfhours.day_index
    tv_day = home & (rng.random(home.size) < habits.tv_evenings)
    bed = min(habits.bedtime, 24.0)
    return np.where(tv_day[d] & (h >= t["start_hour"]) & (h < bed), t["watts"], 0.0)


def _heating(hp_: dict, rng: np.random.Generator, ctx: SourceContext, home: np.ndarray,
             hour: np.ndarray) -> np.ndarray:
    """Electric space heating: k × degree-days × m², frost protection only while away."""
    dw = ctx.household.dwelling
    d = ctx.period.halfhours.day_index
    k = rng.uniform(*hp_["kwh_per_dju_m2"])
    k *= hp_["construction_factor"][_construction_index(dw.construction_period)]
    if dw.kind == "Appartement":
        k *= hp_["flat_factor"]
    if dw.heat_pump:
        k /= hp_["heat_pump_cop"]
    # Each home heats from its own base (thermostat setting, insulation, sun), and from day to
    # day occupancy and thermostat changes move it (persistent noise): kWh follows degree-days
    # only as loosely as real homes do.
    base = HDD_BASE + rng.normal(0.0, hp_["base_temperature_sd"])
    hdd = np.maximum(0.0, base - ctx.temperature) * heating_on(ctx.temperature)
    noise = np.empty(hdd.size)
    rho, sig = hp_["day_persistence"], hp_["day_sigma"]
    shocks = rng.normal(0.0, sig * np.sqrt(1 - rho**2), hdd.size)
    noise[0] = rng.normal(0.0, sig)
    for i in range(1, hdd.size):
        noise[i] = rho * noise[i - 1] + shocks[i]
    heat_day = (k * dw.surface * hdd * np.exp(noise - sig**2 / 2) * 1000.0
                * np.where(home, 1.0, hp_["away_frost_fraction"]))
    shape_h = np.asarray(hp_["hourly"]) / np.mean(hp_["hourly"])
    return (heat_day[d] / 24.0 * shape_h[hour]
            * rng.lognormal(-hp_["slot_sigma"] ** 2 / 2, hp_["slot_sigma"], d.size))


def _tempo_shift(tp: dict, d: np.ndarray, option: np.ndarray, slot_hc: np.ndarray,
                 slot_colour: np.ndarray, flexible: np.ndarray, heating: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Tempo: cut peak-hour load on red (and white) days, part of it moved to off-peak."""
    nd = option.size  # one option per local day
    on_tempo = (option[d] == 2)
    peak = on_tempo & ~slot_hc
    factor = np.where(peak & (slot_colour == tempo.RED), tp["red_hp_factor"],
                      np.where(peak & (slot_colour == tempo.WHITE), tp["white_hp_factor"], 1.0))
    load = flexible + heating
    removed = np.bincount(d, weights=load * (1 - factor), minlength=nd)
    hc_slots = np.bincount(d, weights=(on_tempo & slot_hc).astype(float), minlength=nd)
    moved = np.where(hc_slots > 0, removed * tp["shifted_share"] / np.maximum(hc_slots, 1), 0.0)
    return flexible * factor + np.where(on_tempo & slot_hc, moved[d], 0.0), heating * factor


def _construction_index(label: str) -> int:
    periods = parameters.load("household")["dwelling"]["construction_periods"]
    return periods.index(label) if label in periods else 2


def soft_ceiling(x: np.ndarray, knee: float, ceiling: float) -> np.ndarray:
    """``x`` below ``knee``; above it, compressed smoothly towards ``ceiling`` (never reached):
    continuous with slope 1 at the knee, so values above it stay as varied as the demand."""
    room = ceiling - knee
    over = np.maximum(x - knee, 0.0)
    return np.where(x > knee, knee + room * -np.expm1(-over / room), x)


def _pmax(m: dict, rng: np.random.Generator, max_halfhour_w: np.ndarray, home: np.ndarray,
          kva_w: int) -> np.ndarray:
    """Daily maximum power: a peak over minutes (kettle, oven, hob bursts diluted in the half-hour
    mean), so above the highest half-hour mean on most days. Near the subscribed power people
    hold back (soft ceiling); a day whose burst would have gone ``trip_margin`` past it is a trip
    with ``trip_probability``: PMAX equals the subscribed power that day, and only then."""
    median = np.where(home, m["pmax_ratio_median"], m["pmax_ratio_away"])
    ratio = 1.0 + (median - 1.0) * rng.lognormal(0.0, m["pmax_ratio_sigma"], home.size)
    burst = max_halfhour_w * ratio
    trip = (burst > kva_w * m["trip_margin"]) & (rng.random(home.size) < m["trip_probability"])
    held = np.rint(soft_ceiling(burst, kva_w * m["pmax_knee_fraction"], kva_w))
    peak = np.minimum(np.maximum(held, max_halfhour_w + 1), kva_w - 1)
    return np.where(trip, kva_w, peak).astype(np.int64)


def _cooking(c: dict, rng: np.random.Generator, wake: float, home: np.ndarray,
             workday: np.ndarray, starts: np.ndarray, spd: np.ndarray, ns: int) -> np.ndarray:
    nd = home.size
    out = np.zeros(ns)
    days = np.arange(nd)

    def spike(active: np.ndarray, hours: np.ndarray, kw: np.ndarray) -> None:
        idx = slot_of_hour(starts, spd, days[active], hours[active])
        np.add.at(out, idx, kw[active] * 1000.0)

    def draw_hours(lo: float, hi: float) -> np.ndarray:
        return lo + 0.5 * rng.integers(0, round((hi - lo) * 2) + 1, nd)

    dinner = home & (rng.random(nd) < c["dinner_probability"])
    spike(dinner, draw_hours(*c["dinner_hours"]), rng.uniform(*c["spike_kw"], nd))
    p_lunch = np.where(workday, c["lunch_probability_workday"], c["lunch_probability_weekend"])
    lunch = home & (rng.random(nd) < p_lunch)
    spike(lunch, draw_hours(*c["lunch_hours"]), rng.uniform(*c["spike_kw"], nd))
    # Wake-up moves from day to day, later on days off (weekend lie-in)
    up = wake + rng.normal(0.0, c["breakfast_sd_h"], nd) + np.where(workday, 0.0,
                                                                     c["weekend_lie_in_h"])
    breakfast_h = np.clip(np.floor(up * 2) / 2, 3.0, 12.0)
    spike(home, breakfast_h, np.full(nd, c["breakfast_kw"]))
    return out


def _hot_water(p: dict, rng: np.random.Generator, ctx: SourceContext, kind: str,
               option: np.ndarray, occ: np.ndarray, home: np.ndarray, d: np.ndarray,
               h: np.ndarray, hour: np.ndarray) -> np.ndarray:
    w = p["hot_water"]
    per = ctx.period
    nd = per.n_days
    month = np.asarray(w["month_factor"])[per.month - 1]
    energy = (w["wh_per_person_day"] * occ * month + w["standing_loss_wh_day"]) * home
    if kind == "Thermodynamique":
        energy = energy / w["thermodynamic_cop"]
    spread = np.asarray(w["spread_hourly"]) / np.mean(w["spread_hourly"])
    out = energy[d] / 24.0 * spread[hour]
    if kind != "Électrique":
        return out
    # Off-peak block: starts with the off-peak window of the day's option, P kW for E/P hours.
    power = rng.uniform(*w["heater_kw"]) * 1000.0
    hc_start = np.where(option == 2, p["tempo"]["hc_start"], ctx.household.contract.hc_window[0])
    block = option > 0
    length = np.minimum(energy / power, w["max_block_hours"])
    begin = np.arange(nd) * 24.0 + hc_start            # continuous local hours since day 0
    x = d * 24.0 + h

    def overlap(k: np.ndarray) -> np.ndarray:
        kk = np.clip(k, 0, nd - 1)
        b = np.where(k >= 0, begin[kk], begin[0] - 24.0)
        o = np.clip(np.minimum(x + 0.5, b + length[kk]) - np.maximum(x, b), 0.0, 0.5)
        return np.where(block[kk], o, 0.0)

    blocks = power * (overlap(d) + overlap(d - 1)) / 0.5
    return np.where(block[d], 0.0, out) + blocks
