"""Daily mean temperature per commune: climate normal + seasonal swing + persistent anomalies.

One series per (master seed, commune, year), so every household of a commune sees the same
weather. Heating degree-days use the Météo-France/COSTIC base of 18 °C ([G8]).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from synthetic_data.calendar_fr import Period
from synthetic_data.communes import Commune
from synthetic_data.seeding import weather_rng

HDD_BASE = 18.0
ANOMALY_SD = 3.0        # °C, day-to-day weather noise (assumption)
ANOMALY_PERSISTENCE = 0.8  # AR(1) coefficient: cold spells last several days (assumption)
COLDEST_DAY = 15        # mid-January


@lru_cache(maxsize=256)
def _year_series(master_seed: int, commune: Commune, year: int) -> np.ndarray:
    rng = weather_rng(master_seed, commune.insee, year)
    n = 366
    doy = np.arange(1, n + 1)
    phase = 2 * np.pi * (doy - COLDEST_DAY) / 365.25
    seasonal = commune.t_mean - commune.t_amplitude * np.cos(phase)
    shocks = rng.normal(0.0, ANOMALY_SD * np.sqrt(1 - ANOMALY_PERSISTENCE**2), n)
    anomaly = np.empty(n)
    anomaly[0] = rng.normal(0.0, ANOMALY_SD)
    for i in range(1, n):
        anomaly[i] = ANOMALY_PERSISTENCE * anomaly[i - 1] + shocks[i]
    return np.round(seasonal + anomaly, 1)


def daily_temperature(master_seed: int, commune: Commune, period: Period) -> np.ndarray:
    years = period.days.astype("datetime64[Y]").astype(np.int64) + 1970
    out = np.empty(period.n_days)
    for year in np.unique(years):
        mask = years == year
        out[mask] = _year_series(master_seed, commune, int(year))[period.day_of_year[mask] - 1]
    return out


def heating_degree_days(temperature: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, HDD_BASE - temperature)
