"""Where the energy goes: pure functions on the household's documents (no HTTP here).

Electricity comes from the Linky load curve (one document per local day, the average power of
each half-hour in W), gas from the Gazpar daily statements, the dwelling from the EDF home
profile. Degree-days are not in the data: they are computed from climate normals of the home's
département (``data/climate.json``), found from the INSEE code on the Linky documents.
"""

from __future__ import annotations

import json
import math
import statistics
from datetime import date
from pathlib import Path

import tariffs
from tariffs import Slot

DATA = Path(__file__).resolve().parent / "data"
EVENING = (18.0, 22.0)
GAS_DAILY = "GazparDailyGazConsumption"
ELECTRIC_HEATING = ("Électrique", "Pompe à chaleur")
# EDF's home profile writes its labels without accents ("Electricite", as in the MesInfos kit);
# the reference tables use the accented names.
HEATING_LABELS = {"Electricite": "Électrique", "Electrique": "Électrique",
                  "Pompe a chaleur": "Pompe à chaleur", "Reseau de chaleur": "Réseau de chaleur"}


def _json(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


# ---- reading the documents ----------------------------------------------------------------------

def slot_hours(n: int) -> list[float]:
    """Local clock time of each point of a day with ``n`` half-hours: 48, or 46 on the
    spring-forward day (02:00-03:00 skipped), or 50 on the fall-back day (02:00-03:00 twice)."""
    if n == 46:
        return [i * 0.5 if i < 4 else i * 0.5 + 1 for i in range(n)]
    if n == 50:
        return [i * 0.5 if i < 6 else i * 0.5 - 1 for i in range(n)]
    return [i * 0.5 for i in range(n)]


def curve_slots(loadcurve: list[dict]) -> tuple[list[Slot], dict]:
    """Half-hours (kWh) from the load-curve documents, and facts about the meter."""
    slots: list[Slot] = []
    meta: dict = {"kva": 6, "insee": "", "options": {}}
    for doc in sorted(loadcurve, key=_curve_day):
        up = (doc.get("usage_point") or [{}])[0]
        reading = up.get("meter_reading", {})
        day = date.fromisoformat(reading["reading_type"]["start_measurement_period"])
        block = sorted(reading.get("interval_block", []), key=lambda b: int(b["reading_number"]))
        for h, b in zip(slot_hours(len(block)), block, strict=True):
            slots.append(Slot(day, h, int(b["value"]) * 0.5 / 1000.0))  # W × 0.5 h -> kWh
        meta["kva"] = int(doc.get("contract_power") or meta["kva"])
        meta["insee"] = doc.get("INSEE_code") or meta["insee"]
        option = doc.get("fee_schedule", "")
        meta["options"][option] = meta["options"].get(option, 0) + 1
    return slots, meta


def _curve_day(doc: dict) -> str:
    return doc["usage_point"][0]["meter_reading"]["reading_type"]["start_measurement_period"]


def gas_days(statements: list[dict]) -> dict[date, float]:
    """kWh per gas day (06:00 -> 06:00, dated by its start) from Gazpar daily statements."""
    out: dict[date, float] = {}
    for s in statements:
        if s.get("statementCategory") == "gazpar" and s.get("statementReason") == GAS_DAILY:
            out[date.fromisoformat(s["period"])] = float(s["value"])
    return out


# ---- degree-days --------------------------------------------------------------------------------

def department(insee: str) -> str:
    return insee[:3] if insee.startswith("97") else insee[:2]


def normal_hdd(days: list[date], insee: str) -> dict[date, float]:
    """Heating degree-days (base 18 °C) of a normal year at the home's département."""
    c = _json("climate.json")
    mean, amplitude = c["departments"].get(department(insee), c["france"])
    out = {}
    for d in days:
        doy = d.timetuple().tm_yday
        t = mean - amplitude * math.cos(2 * math.pi * (doy - c["coldest_day_of_year"]) / 365.25)
        out[d] = max(0.0, c["hdd_base_c"] - t)
    return out


def regress(x: list[float], y: list[float]) -> tuple[float, float, float]:
    """Least squares y = a + b x: (a, b, r²)."""
    if len(x) < 3 or len(set(x)) < 2:
        return (statistics.mean(y) if y else 0.0), 0.0, 0.0
    mx, my = statistics.mean(x), statistics.mean(y)
    sxx = sum((v - mx) ** 2 for v in x)
    sxy = sum((u - mx) * (v - my) for u, v in zip(x, y, strict=True))
    syy = sum((v - my) ** 2 for v in y)
    b = sxy / sxx
    r2 = (sxy * sxy / (sxx * syy)) if syy > 0 else 0.0
    return my - b * mx, b, r2


def _at_home(daily: dict[date, float]) -> list[date]:
    """Days that look lived-in: above 60 % of the median day (absences drop to base load)."""
    med = statistics.median(daily.values()) if daily else 0.0
    return [d for d, v in daily.items() if v >= 0.6 * med]


# ---- electricity --------------------------------------------------------------------------------

def electricity(slots: list[Slot], hdd: dict[date, float], heating: str) -> dict:
    """Totals, base load, weather-driven part, evening peak, monthly and daily profile."""
    daily: dict[date, float] = {}
    day_min: dict[date, float] = {}
    evening: dict[date, float] = {}
    for s in slots:
        daily[s.day] = daily.get(s.day, 0.0) + s.kwh
        day_min[s.day] = min(day_min.get(s.day, math.inf), s.kwh * 2000)  # W
    total = sum(daily.values())
    n_days = len(daily)
    # base load: the power the home never goes below (10th percentile of each day's minimum)
    mins = sorted(day_min.values())
    base_w = mins[int(0.1 * (len(mins) - 1))] if mins else 0.0
    base_kwh = min(total, base_w * 24 * n_days / 1000)
    home = _at_home(daily)
    _a, b, r2 = regress([hdd[d] for d in home], [daily[d] for d in home])
    weather_kwh = max(0.0, b) * sum(hdd[d] for d in daily)
    weather_kwh = min(weather_kwh, total - base_kwh)
    for s in slots:
        if EVENING[0] <= s.hour < EVENING[1]:
            extra = s.kwh - base_w * 0.5 / 1000
            # the weather-driven part is spread over the day: take its evening share out
            extra -= max(0.0, b) * hdd[s.day] / 48
            evening[s.day] = evening.get(s.day, 0.0) + max(0.0, extra)
    evening_kwh = min(sum(evening.values()), total - base_kwh - weather_kwh)
    other = total - base_kwh - weather_kwh - evening_kwh
    label = "heating" if heating in ELECTRIC_HEATING else "winter extra (lighting, longer " \
        "evenings indoors)"
    monthly: dict[str, float] = {}
    for d, v in daily.items():
        monthly[d.isoformat()[:7]] = monthly.get(d.isoformat()[:7], 0.0) + v
    profile = _profile(slots)
    return {
        "kwh": round(total, 1), "days": n_days,
        "kwh_per_year": round(total * 365 / max(1, n_days)),
        "base_load_w": round(base_w),
        "weather_slope_kwh_per_dd": round(b, 3), "weather_r2": round(r2, 3),
        "weather_label": label,
        "split_kwh": {"base": round(base_kwh, 1), "weather": round(weather_kwh, 1),
                      "evening_peak": round(evening_kwh, 1), "other": round(other, 1)},
        "monthly_kwh": {m: round(v, 1) for m, v in sorted(monthly.items())},
        "profile_w": profile,
        "first": min(daily).isoformat() if daily else "",
        "last": max(daily).isoformat() if daily else "",
    }


def _profile(slots: list[Slot]) -> dict[str, list[float]]:
    """Average power per half-hour of the day (W), winter (Nov-Mar) and summer (May-Sep)."""
    out = {}
    for name, months in (("winter", (11, 12, 1, 2, 3)), ("summer", (5, 6, 7, 8, 9))):
        sums, counts = [0.0] * 48, [0] * 48
        for s in slots:
            if s.day.month in months:
                k = int(s.hour * 2) % 48
                sums[k] += s.kwh * 2000
                counts[k] += 1
        out[name] = [round(v / c) if c else 0 for v, c in zip(sums, counts, strict=True)]
    return out


# ---- gas ----------------------------------------------------------------------------------------

def gas(days: dict[date, float], hdd: dict[date, float]) -> dict | None:
    if not days:
        return None
    total = sum(days.values())
    home = _at_home(days)
    _a, b, r2 = regress([hdd[d] for d in home], [days[d] for d in home])
    heating = min(total, max(0.0, b) * sum(hdd[d] for d in days))
    monthly: dict[str, float] = {}
    for d, v in days.items():
        monthly[d.isoformat()[:7]] = monthly.get(d.isoformat()[:7], 0.0) + v
    return {"kwh": round(total, 1), "days": len(days),
            "kwh_per_year": round(total * 365 / len(days)),
            "heating_kwh": round(heating, 1), "other_kwh": round(total - heating, 1),
            "weather_slope_kwh_per_dd": round(b, 3), "weather_r2": round(r2, 3),
            "monthly_kwh": {m: round(v, 1) for m, v in sorted(monthly.items())}}


# ---- comparison and the whole summary ------------------------------------------------------------

def similar_homes(heating: str, surface: float) -> dict:
    """The reference row for this heating and living area."""
    ref = _json("reference.json")
    kind = heating if heating in ref["heating_kwh_per_m2"] else "Autre"
    row = next(r for r in ref["rows"] if r["heating"] == kind
               and r["surface_min"] <= surface < r["surface_max"])
    return {**row, "sources": {k: ref["sources"][k] for k in row["sources"]}}


def summarise(loadcurve: list[dict], gas_statements: list[dict], home: dict | None,
              usage_point: dict | None) -> dict:
    """Everything the page and /api/summary show."""
    home = home or {}
    slots, meta = curve_slots(loadcurve)
    all_days = sorted({s.day for s in slots} | set(gas_days(gas_statements)))
    hdd = normal_hdd(all_days, meta["insee"])
    heating = home.get("principalHeatingSystemType", "")
    heating = HEATING_LABELS.get(heating, heating)
    surface = float(home.get("surface") or 0)
    elec = electricity(slots, hdd, heating)
    by_gas_day = gas_days(gas_statements)
    g = gas(by_gas_day, hdd)
    t = tariffs.load_tariffs()
    if g:
        g["cost"] = tariffs.gas_cost(by_gas_day, t)
    slot_text = (usage_point or {}).get("usage_points", {}).get("time_slot")
    window = tariffs.parse_hc_window(slot_text, t["default_hc_window"])
    costs = tariffs.simulate(slots, meta["kva"], window, t) if slots else {}
    similar = similar_homes(heating, surface) if surface else None
    comparison = None
    if similar:
        comparison = {"electricity_ratio": round(elec["kwh_per_year"]
                                                 / max(1, similar["electricity_kwh"]), 2),
                      "gas_ratio": round(g["kwh_per_year"] / similar["gas_kwh"], 2)
                      if g and similar["gas_kwh"] else None}
    current = max(meta["options"], key=meta["options"].get) if meta["options"] else ""
    return {
        "home": {"surface": surface, "heating": heating,
                 "hot_water": home.get("sanitoryHotWaterType", ""),
                 "occupants": home.get("occupantsCount"), "type": home.get("housingType", ""),
                 "insee": meta["insee"], "department": department(meta["insee"]),
                 "kva": meta["kva"], "option": current, "options_seen": meta["options"]},
        "electricity": elec, "gas": g, "tariffs": costs,
        "similar": similar, "comparison": comparison,
        "degree_days": {"normal_total": round(sum(hdd.get(d, 0.0) for d in all_days)),
                        "base_c": 18.0, "how": "climate normals of the département"},
        "assumptions": [
            "Degree-days are those of a normal year in your département (climate normals), not "
            "of the actual weather, which the data does not give.",
            "Base load: the 10th percentile of each day's lowest half-hour, all day long.",
            "Evening peak: what you draw between 18:00 and 22:00 above the base load and the "
            "weather-driven part.",
            "Off-peak hours: those of your meter when it has some, else 22:00-06:00.",
            tariffs.__doc__.split("\n\n")[2].replace("\n", " ") if tariffs.__doc__ else "",
        ],
    }
