"""Weather figures for ``selfdata realism``: the spatial anomaly field, the recorded months, the
Tempo calendar and how loosely electric heating follows degree-days.

Temperatures are not in the documents: the field is recomputed for the population's communes from
its manifest (master seed, INSEE codes), as the generator drew it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from synthetic_data import parameters, weather
from synthetic_data.calendar_fr import Period
from synthetic_data.communes import by_insee
from synthetic_data.sources import tempo


@dataclass
class Weather:
    r2: list[float] = field(default_factory=list)  # electric heating: daily kWh ~ degree-days


def measure_household(acc: Weather, hh: dict, daily: dict[str, int], seed: int,
                      period: Period) -> None:
    if hh.get("heating") != "Électricité" or not daily:
        return
    try:
        commune = by_insee(hh["insee"])
    except KeyError:
        return
    hdd = weather.heating_degree_days(weather.daily_temperature(seed, commune, period))
    days = period.days.astype(str)
    kwh = np.array([daily.get(d, np.nan) for d in days], dtype=float)
    ok = np.isfinite(kwh)  # every day of the period, as issue 12 measured it
    if ok.sum() < 60:
        return
    r = np.corrcoef(kwh[ok], hdd[ok])[0, 1]
    if np.isfinite(r):
        acc.r2.append(float(r * r))


def _anomalies(seed: int, insees: list[str], period: Period) -> tuple[np.ndarray, np.ndarray]:
    p = parameters.load("weather")
    doy = period.day_of_year
    rows, coords = [], []
    for insee in insees:
        c = by_insee(insee)
        normal = c.t_mean - c.t_amplitude * np.cos(2 * np.pi * (doy - p["coldest_day"]) / 365.25)
        rows.append(weather.daily_temperature(seed, c, period) - normal)
        coords.append((c.latitude, c.longitude))
    return np.array(rows), np.radians(np.array(coords))


def population_figures(households: list[dict], seed: int, period: Period) -> dict[str, tuple]:
    """Figures over the population: (value, n) per metric name."""
    out: dict[str, tuple] = {}
    insees = sorted({h["insee"] for h in households if "insee" in h})
    insees = [i for i in insees if _known(i)]
    if len(insees) >= 2:
        anom, ll = _anomalies(seed, insees, period)
        r = np.corrcoef(anom)
        lat, lon = ll[:, 0], ll[:, 1]
        dlat, dlon = lat[:, None] - lat[None, :], lon[:, None] - lon[None, :]
        a = (np.sin(dlat / 2) ** 2
             + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2)
        km = 2 * 6371 * np.arcsin(np.sqrt(a))
        upper = np.triu(np.ones_like(km, dtype=bool), 1)
        near, far = upper & (km < 50), upper & (km > 500)
        out["temperature_anomaly_r_within_50km"] = (float(r[near].mean()) if near.any() else None,
                                                    int(near.sum()))
        out["temperature_anomaly_r_beyond_500km"] = (float(r[far].mean()) if far.any() else None,
                                                     int(far.sum()))
        feb = ((period.days >= np.datetime64("2024-02-01"))
               & (period.days < np.datetime64("2024-03-01")))
        if feb.sum() == 29:
            out["february_2024_anomaly_c"] = (float(anom[:, feb].mean()), len(insees))
    # Tempo: the calendar every Tempo household's bills are priced on, against RTE's red days.
    jan = (period.days >= np.datetime64("2024-01-01")) & (period.days < np.datetime64("2024-02-01"))
    if jan.sum() == 31:
        codes = tempo.colours(seed, date(2024, 1, 1), 31)
        out["tempo_red_days_january_2024"] = (float((codes == tempo.RED).sum()), 31)
    out["tempo_january_share_of_simulated_reds"] = _simulated_january_share(seed)
    return out


def _simulated_january_share(seed: int, first: int = 2030, seasons: int = 40) -> tuple:
    """January's share of the red days of seasons no one recorded (simulated for the future)."""
    recorded = parameters.load("tempo_seasons")
    january = total = 0
    for year in (y for y in range(first, first + seasons) if str(y) not in recorded):
        per = Period(date(year, 9, 1), date(year + 1, 9, 1))
        red = tempo.season(seed, year) == tempo.RED
        january += int((per.month[red] == 1).sum())
        total += int(red.sum())
    return (january / total if total else None, total)


def tempo_mismatches(seed: int, period: Period) -> int:
    """Days of the period whose red/not-red differs from a published red-day list."""
    recorded = parameters.load("tempo_seasons")
    bad = 0
    first = period.days[0].astype(object)
    codes = tempo.colours(seed, first, period.n_days)
    for i, day in enumerate(period.days.astype(object)):
        season = day.year if day.month >= 9 else day.year - 1
        dates = recorded.get(str(season), {}).get("red_dates")
        if dates is not None:
            bad += (codes[i] == tempo.RED) != (day.isoformat() in dates)
    return int(bad)


def _known(insee: str) -> bool:
    try:
        by_insee(insee)
    except KeyError:
        return False
    return True
