"""GRDF / Gazpar: daily gas-day statements (06:00 → 06:00) and monthly totals, for gas homes.

Energy per gas day = heating (k × degree-days × m², setback while away) + hot water (~3,100
kWh/yr, seasonal, zero while away) + cooking (~660 kWh/yr, zero while away). The meter counts m³:
volume = kWh ÷ the month's conversion coefficient (1 decimal, as in the kit), then
value = round(volume × coefficient) kWh and the index is the integer part of the running m³ total.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.client_record import CLIENT, client_record
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Col, iso_local
from synthetic_data.seeding import national_rng
from synthetic_data.sources import bills
from synthetic_data.weather import heating_on

STATEMENTS = "org.fing.mesinfos.consumptionstatement"
DOCTYPES = (CLIENT, STATEMENTS)
VERSION = "konnectors_grdf-3.0.0-dev"
GAS_DAY = np.timedelta64(6, "h")


def month_coefficients(master_seed: int, zone: str, years: np.ndarray) -> dict[int, np.ndarray]:
    """kWh/m³ per month of each year, the same for every household of a gas zone."""
    c = parameters.load("gas")["conversion"]
    out = {}
    for year in np.unique(years).tolist():
        rng = national_rng(master_seed, f"gas-coefficient-{zone}", int(year))
        spread = rng.uniform(-c["monthly_spread"], c["monthly_spread"], 12)
        coef = np.round(c["coefficient"][zone] + spread, 2)
        # a whole number (10.00 in zone B) would be written "10", not with the kit's decimals
        out[int(year)] = np.where(coef == np.round(coef), coef + 0.01, coef)
    return out


def daily_energy(ctx: SourceContext) -> np.ndarray:
    """True kWh per gas day (the gas day starting at 06:00 on each local day)."""
    p = parameters.load("gas")
    hh, per, tl = ctx.household, ctx.period, ctx.timeline
    dw = hh.dwelling
    rng = ctx.rng("gas")
    home = ~tl.away
    occ = np.maximum(tl.occupants, 1) / p["hot_water"]["reference_occupants"]
    kwh = np.zeros(per.n_days)
    if dw.heating == "Gaz":
        h = p["heating"]
        periods = parameters.load("household")["dwelling"]["construction_periods"]
        i = periods.index(dw.construction_period) if dw.construction_period in periods else 2
        k = h["kwh_per_dju_m2"] * h["construction_factor"][i]
        if dw.kind == "Appartement":
            k *= h["flat_factor"]
        k *= rng.lognormal(-h["household_sigma"] ** 2 / 2, h["household_sigma"])
        kwh += (k * dw.surface * ctx.hdd * heating_on(ctx.temperature)
                * np.where(home, 1.0, h["away_setback"]))
    if dw.hot_water == "Gaz":
        w = p["hot_water"]
        month = np.asarray(w["month_factor"]) / np.mean(w["month_factor"])
        kwh += (w["kwh_per_year"] / 365.0 * occ ** w["occupant_exponent"]
                * month[per.month - 1] * home)
    if dw.gas_cooking:
        c = p["cooking"]
        kwh += c["kwh_per_year"] / 365.0 * occ ** c["occupant_exponent"] * home
    s = p["daily"]["sigma"]
    return kwh * rng.lognormal(-s * s / 2, s, per.n_days)


def complete_months(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar months wholly inside [start, end), as (first day, first day of next month)."""
    return [(a, b) for a, b in bills.billing_periods(start, end, 1)
            if a.day == 1 and b.day == 1]


def client(ctx: SourceContext) -> dict:
    """GRDF's client record (the kit's "Client GrDF"): the holder, the gas contract and the
    delivery point (PCE) with its Gazpar meter."""
    c = parameters.load("gas")["client"]
    hh = ctx.household
    number = hh.contract.gas_contract_number or ""
    doc = client_record(hh, vendor=c["vendor"], client_id=number,
                        account=c["account_prefix"] + number, contact=c["contact"])
    doc["pce"] = hh.contract.gas_pce
    doc["meterType"] = c["meter"]
    return doc


def generate(ctx: SourceContext) -> list[Batch]:
    hh = ctx.household
    if not hh.dwelling.uses_gas:
        return []
    p = parameters.load("gas")
    per = ctx.period
    days = per.days
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    coefs = month_coefficients(ctx.master_seed, hh.commune.gas_zone, years)
    coef = np.array([coefs[y][m - 1] for y, m in zip(years.tolist(), per.month.tolist(),
                                                     strict=True)])
    kwh = daily_energy(ctx)
    volume = np.round(kwh / coef, 1)  # m³ with one decimal, as the kit writes them
    value = np.rint(volume * coef).astype(np.int64)
    lo, hi = p["meter"]["index_start_m3"]
    start_c = int(ctx.rng("gas-index").integers(lo, hi)) * 100
    cum_c = start_c + np.cumsum(np.rint(volume * 100).astype(np.int64))
    index = cum_c // 100
    ctx.shared["gas"] = {"daily_kwh": value, "daily_m3": volume, "index_m3": index,
                         "coefficient": coef, "index_start_m3": start_c // 100}

    spec = {
        "docTypeVersion": VERSION,
        "contractNumber": hh.contract.gas_contract_number,  # the EDF gas contract, as the kit
        "start": Col("start"),
        "end": Col("end"),
        "period": Col("period"),
        "value": Col("value", "int"),
        "unit": "kWh",
        "volume": Col("volume", "float"),
        "index": Col("index", "int"),
        "volumeToEnergyCoefficient": Col("coef", "float"),
        "statementType": "mesure",
        "statementCategory": "gazpar",
        "statementReason": Col("reason"),
    }
    t0 = days.astype("datetime64[s]") + GAS_DAY
    daily = Batch.from_columns(STATEMENTS, spec, {
        "start": iso_local(t0), "end": iso_local(t0 + np.timedelta64(1, "D")),
        "period": iso_local(days, "D"), "value": value, "volume": volume, "index": index,
        "coef": coef, "reason": ["GazparDailyGazConsumption"] * per.n_days,
    })
    months = complete_months(per.start, per.end)
    cols: dict[str, list] = {k: [] for k in ("start", "end", "period", "value", "volume",
                                             "index", "coef", "reason")}
    vol_c = np.rint(volume * 100).astype(np.int64)
    for a, b in months:
        i, j = (a - per.start).days, (b - per.start).days
        cols["start"].append(f"{a.isoformat()}T06:00:00")
        # the kit ends a month on its last day at 06:00 (the gas day that closes it)
        cols["end"].append(f"{(b - timedelta(days=1)).isoformat()}T06:00:00")
        cols["period"].append(a.strftime("%Y-%m"))
        # a month's energy is its volume × the month's coefficient, as GRDF computes it (so it
        # may differ from the sum of the rounded days by a few kWh, as GRDF's own data do)
        month_m3 = int(vol_c[i:j].sum()) / 100
        cols["value"].append(round(month_m3 * float(coef[i])))
        cols["volume"].append(month_m3)
        cols["index"].append(int(index[j - 1]))
        cols["coef"].append(float(coef[i]))
        cols["reason"].append("GazparMonthlyGazConsumption")
    out = [Batch.from_dicts(CLIENT, [client(ctx)]), daily]
    if months:
        out.append(Batch.from_columns(STATEMENTS, spec, cols))
    return out
