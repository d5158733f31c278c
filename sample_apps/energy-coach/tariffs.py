"""What each electricity option would have cost on the household's own half-hours.

Prices are the regulated EDF prices the sandbox uses (``data/tariffs.json``, copied from its
``params/supplier.toml``), chosen by the date of each half-hour, plus the standing charge of each
option for the subscribed power, day by day, as on the bills.

Tempo day colours are not in the data. Assumption, shown to the tester: in each Tempo season
(1 September to 31 August) the season's 22 red days (weekdays of November to March that are not
public holidays) and 43 white days (not Sundays, October to May) go, pro rata of the season covered,
to the days when this household used the most electricity. Real red days are the coldest days of
the country, when a heated home uses the most, so this is close to the worst case for Tempo: if
Tempo is cheaper even so, it is cheaper.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
BLUE, WHITE, RED = 0, 1, 2
COLOUR_NAMES = ("blue", "white", "red")


def load_tariffs() -> dict:
    return json.loads((DATA / "tariffs.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Slot:
    day: date       # local day of the meter reading
    hour: float     # local clock time of the half-hour's start
    kwh: float


def in_window(hour: float, start: float, end: float) -> bool:
    """[start, end) in local hours, a window that may wrap around midnight."""
    if start <= end:
        return start <= hour < end
    return hour >= start or hour < end


def parse_hc_window(time_slot: str | None, default: list[float]) -> tuple[float, float]:
    """"HC (22H00-6H00)" -> (22.0, 6.0); the default window when absent or unreadable."""
    try:
        inner = str(time_slot).split("(", 1)[1].split(")", 1)[0]
        a, b = inner.split("-")

        def hours(t: str) -> float:
            h, m = t.strip().upper().split("H")
            return int(h) + int(m or 0) / 60

        return hours(a), hours(b)
    except (IndexError, ValueError):
        return float(default[0]), float(default[1])


def _entry(entries: list[dict], day: date) -> dict:
    chosen = entries[0]
    for e in entries:
        if date.fromisoformat(e["from"]) <= day:
            chosen = e
    return chosen


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    return date(year, month, (h + ell - 7 * m + 114) % 31 + 1)


def public_holidays(year: int) -> set[date]:
    e = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    return {date(year, m, d) for m, d in fixed} | {
        e + timedelta(days=1), e + timedelta(days=39), e + timedelta(days=50)}


def tempo_colours(daily_kwh: dict[date, float], rules: dict) -> dict[date, int]:
    """The assumed colour of each Tempo day (see the module doc)."""
    colours = {d: BLUE for d in daily_kwh}
    seasons: dict[int, list[date]] = {}
    for d in daily_kwh:
        seasons.setdefault(d.year if d.month >= 9 else d.year - 1, []).append(d)
    for start_year, covered in seasons.items():
        first = date(start_year, 9, 1)
        season = [first + timedelta(days=i) for i in range((date(start_year + 1, 9, 1)
                                                             - first).days)]
        holidays = public_holidays(start_year) | public_holidays(start_year + 1)

        def red_ok(d: date, holidays: set[date] = holidays) -> bool:
            return d.month in rules["red_months"] and d.weekday() < 5 and d not in holidays

        def white_ok(d: date) -> bool:
            return d.month in rules["white_months"] and d.weekday() != 6

        have = set(covered)
        for ok, count, colour in ((red_ok, rules["red_days"], RED),
                                  (white_ok, rules["white_days"], WHITE)):
            eligible = [d for d in season if ok(d)]
            mine = [d for d in eligible if d in have and colours[d] == BLUE]
            share = len([d for d in eligible if d in have]) / max(1, len(eligible))
            n = round(count * share)
            for d in sorted(mine, key=lambda d: -daily_kwh[d])[:n]:
                colours[d] = colour
    return colours


def _standing(entry: dict, factors: dict, kva: int, option: str) -> float:
    """Euros per day of standing charge (abonnement), as on the bills."""
    return (entry["standing_6kva"] * factors["kva_factor"].get(str(kva), 1.0)
            * factors["option_factor"][option] / 365.0)


def simulate(slots: list[Slot], kva: int, hc_window: tuple[float, float],
             tariffs: dict | None = None) -> dict:
    """Cost of Base, HP/HC and Tempo on the same half-hours: energy, standing, total (euros)."""
    t = tariffs or load_tariffs()
    entries, rules = t["electricity"], t["tempo"]
    daily: dict[date, float] = {}
    for s in slots:
        daily[s.day] = daily.get(s.day, 0.0) + s.kwh
    colours = tempo_colours(daily, rules)
    energy = {"Base": 0.0, "HPHC": 0.0, "Tempo": 0.0}
    kwh_hc = {"HPHC": 0.0, "Tempo": 0.0}
    tempo_kwh = [0.0, 0.0, 0.0]
    for s in slots:
        e = _entry(entries, s.day)
        energy["Base"] += s.kwh * e["base"]
        hc = in_window(s.hour, *hc_window)
        energy["HPHC"] += s.kwh * (e["hc"] if hc else e["hp"])
        kwh_hc["HPHC"] += s.kwh if hc else 0.0
        # a Tempo day runs 06:00 -> 06:00: the small hours belong to the day before
        tempo_day = s.day - timedelta(days=1) if s.hour < rules["day_start_hour"] else s.day
        colour = colours.get(tempo_day, BLUE)
        t_hc = in_window(s.hour, rules["hc_start"], rules["hc_end"])
        energy["Tempo"] += s.kwh * e["tempo"][2 * colour + (0 if t_hc else 1)]
        kwh_hc["Tempo"] += s.kwh if t_hc else 0.0
        tempo_kwh[colour] += s.kwh
    out: dict = {}
    for option in energy:
        standing = sum(_standing(_entry(entries, d), t["standing"], kva, option) for d in daily)
        out[option] = {"energy_eur": round(energy[option], 2),
                       "standing_eur": round(standing, 2),
                       "total_eur": round(energy[option] + standing, 2)}
    out["HPHC"]["off_peak_share"] = round(kwh_hc["HPHC"] / max(1e-9, sum(daily.values())), 3)
    out["Tempo"]["off_peak_share"] = round(kwh_hc["Tempo"] / max(1e-9, sum(daily.values())), 3)
    out["Tempo"]["days"] = {name: sum(1 for c in colours.values() if c == i)
                            for i, name in enumerate(COLOUR_NAMES)}
    out["Tempo"]["kwh_by_colour"] = {name: round(tempo_kwh[i], 1)
                                     for i, name in enumerate(COLOUR_NAMES)}
    out["hc_window"] = list(hc_window)
    out["cheapest"] = min(energy, key=lambda o: out[o]["total_eur"])
    return out


def gas_cost(days: dict[date, float], tariffs: dict | None = None) -> dict:
    """Gas bill on the same days: kWh × price + the yearly standing charge of the distribution
    tariff (T1 up to the threshold of kWh a year, T2 above), day by day."""
    t = tariffs or load_tariffs()
    if not days:
        return {"energy_eur": 0.0, "standing_eur": 0.0, "total_eur": 0.0, "tariff": ""}
    yearly = sum(days.values()) * 365.0 / len(days)
    key = "standing_t2" if yearly > t["gas_t2_threshold_kwh"] else "standing_t1"
    energy = sum(kwh * _entry(t["gas"], d)["kwh"] for d, kwh in days.items())
    standing = sum(_entry(t["gas"], d)[key] / 365.0 for d in days)
    return {"energy_eur": round(energy, 2), "standing_eur": round(standing, 2),
            "total_eur": round(energy + standing, 2), "tariff": key[-2:].upper()}
