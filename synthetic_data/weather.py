"""Daily mean temperature per commune: climate normal + seasonal swing + a spatial anomaly field.

The anomaly is national weather (with each month's recorded national anomaly where one is known,
``params/weather.toml``) + large-scale patterns (neighbouring communes share them, distant regions
differ) + a small local term. The national and regional series are drawn once per (master seed,
year) from ``seeding.national_rng``; the local term per commune from ``seeding.weather_rng``, so
every household of a commune sees the same weather. Heating degree-days use the Météo-France/COSTIC
base of 18 °C ([G8]).
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period
from synthetic_data.communes import Commune
from synthetic_data.seeding import national_rng, weather_rng

HDD_BASE = 18.0
N = 366


def _p() -> dict:
    return parameters.load("weather")


def _ar1(rng: np.random.Generator, sd: float, rho: float, shape: tuple[int, ...]) -> np.ndarray:
    shocks = rng.normal(0.0, sd * np.sqrt(1 - rho**2), shape)
    out = np.empty(shape)
    out[0] = rng.normal(0.0, sd, shape[1:])
    for i in range(1, shape[0]):
        out[i] = rho * out[i - 1] + shocks[i]
    return out


def _patterns(c: Commune) -> np.ndarray:
    """Large-scale patterns at a commune: west-east, north-south, diagonal (≈ ±1 across France,
    500-600 km a unit)."""
    x, y = (c.longitude - 2.5) / 5.0, (c.latitude - 46.5) / 4.5
    return np.array([x, y, x * y])


@cache
def recorded_target(year: int) -> np.ndarray | None:
    """The recorded national anomaly of each day of ``year`` (NaN past its end), or None."""
    p = _p()
    months = p["monthly_anomaly"].get(str(year))
    if months is None:
        return None
    days = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
    month = days.astype("datetime64[M]").astype(int) % 12
    target = np.asarray(months, dtype=float)[month]
    fixed = np.zeros(days.size, dtype=bool)
    for e in p.get("episodes", []):
        inside = (days >= np.datetime64(e["start"])) & (days <= np.datetime64(e["end"]))
        target[inside], fixed[inside] = e["anomaly"], True
    for m in range(12):  # the month's other days make up its recorded mean
        sel, free = month == m, (month == m) & ~fixed
        if free.any() and fixed[sel].any():
            target[free] += (months[m] * sel.sum() - target[sel].sum()) / free.sum()
    out = np.full(N, np.nan)
    out[:days.size] = target
    return out


@lru_cache(maxsize=16)
def _national(master_seed: int, year: int) -> tuple[np.ndarray, np.ndarray]:
    """National anomaly (N days) and the large-scale modes (N × 3) of ``year``."""
    p = _p()
    rng = national_rng(master_seed, "weather", year)
    national = _ar1(rng, p["national_sd"], p["national_persistence"], (N,))
    modes = _ar1(rng, p["mode_sd"], p["mode_persistence"], (N, 3))
    target = recorded_target(year)
    if target is not None:
        # keep the day-to-day weather, with each month's mean moved onto the recorded one
        days = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year}-01-01") + N)
        month = days.astype("datetime64[M]").astype(int) % 12
        n_real = int(np.isfinite(target).sum())
        for m in range(12):
            sel = (month == m) & np.isfinite(target)
            national[sel] -= national[sel].mean()
        national[:n_real] = 0.6 * national[:n_real] + target[:n_real]
    return national, modes


@lru_cache(maxsize=256)
def _year_series(master_seed: int, commune: Commune, year: int) -> np.ndarray:
    p = _p()
    doy = np.arange(1, N + 1)
    phase = 2 * np.pi * (doy - p["coldest_day"]) / 365.25
    seasonal = commune.t_mean - commune.t_amplitude * np.cos(phase)
    national, modes = _national(master_seed, year)
    local = _ar1(weather_rng(master_seed, commune.insee, year), p["local_sd"],
                 p["local_persistence"], (N,))
    return np.round(seasonal + national + modes @ _patterns(commune) + local, 1)


def daily_temperature(master_seed: int, commune: Commune, period: Period) -> np.ndarray:
    years = period.days.astype("datetime64[Y]").astype(np.int64) + 1970
    out = np.empty(period.n_days)
    for year in np.unique(years):
        mask = years == year
        out[mask] = _year_series(master_seed, commune, int(year))[period.day_of_year[mask] - 1]
    return out


def heating_degree_days(temperature: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, HDD_BASE - temperature)


def heating_on(temperature: np.ndarray) -> np.ndarray:
    """Days the heating runs: homes switch it on when the past week's mean falls below the
    non-heating temperature (``params/weather.toml``), not on a cool summer day."""
    p = _p()
    k = int(p["heating_week_days"])
    padded = np.concatenate([np.full(k - 1, temperature[:k].mean()), temperature])
    week = np.convolve(padded, np.ones(k) / k, mode="valid")
    return week < p["heating_off_above_c"]


def national_anomaly(master_seed: int, day: date) -> float:
    """The national anomaly of ``day`` (what a national indicator would show)."""
    national, _ = _national(master_seed, day.year)
    return float(national[day.timetuple().tm_yday - 1])
