"""Weather: a spatial anomaly field with the recorded months, and Tempo's recorded red days."""

from datetime import date

import numpy as np

from synthetic_data import parameters, weather
from synthetic_data.calendar_fr import Period
from synthetic_data.communes import by_insee
from synthetic_data.sources import tempo

YEAR_2024 = Period(date(2024, 1, 1), date(2025, 1, 1))


def _anomaly(seed: int, insee: str, period: Period) -> np.ndarray:
    c = by_insee(insee)
    normal = c.t_mean - c.t_amplitude * np.cos(2 * np.pi * (period.day_of_year - 15) / 365.25)
    return weather.daily_temperature(seed, c, period) - normal


def test_neighbours_share_anomalies_and_distant_regions_differ():
    for seed in (1, 7):
        paris11, paris12 = _anomaly(seed, "75111", YEAR_2024), _anomaly(seed, "75112", YEAR_2024)
        marseille = _anomaly(seed, "13201", YEAR_2024)
        near = np.corrcoef(paris11, paris12)[0, 1]
        far = np.corrcoef(paris11, marseille)[0, 1]
        assert near > 0.85 and 0.2 < far < near - 0.1
        assert not np.array_equal(paris11, paris12)  # each commune has its local part


def test_recorded_months_are_reproduced_and_the_future_is_simulated():
    feb = (YEAR_2024.month == 2)
    for seed in (1, 2, 3):
        assert 3.0 < _anomaly(seed, "69386", YEAR_2024)[feb].mean() < 4.0  # Feb 2024: +3.5 °C
    cold_spell = slice(7, 20)  # 8-20 January 2024
    assert _anomaly(1, "75111", YEAR_2024)[cold_spell].mean() < -1.0
    future = Period(date(2031, 1, 1), date(2032, 1, 1))
    a, b = _anomaly(1, "75111", future), _anomaly(2, "75111", future)
    assert abs(a.mean()) < 1.0 and not np.allclose(a, b)  # no record: drawn per seed


def test_tempo_keeps_rtes_red_days_and_month_counts():
    published = parameters.load("tempo_seasons")
    for seed in (1, 5):
        season = tempo.season(seed, 2023)
        days = np.arange(np.datetime64("2023-09-01"), np.datetime64("2024-09-01"))
        reds = {str(d) for d in days[season == tempo.RED]}
        assert reds == set(published["2023"]["red_dates"])
        assert (tempo.colours(seed, date(2024, 1, 1), 31) == tempo.RED).sum() == 9
        s16 = tempo.season(seed, 2016)
        month = np.arange(np.datetime64("2016-09-01"), np.datetime64("2017-09-01")).astype(
            "datetime64[M]").astype(int) % 12 + 1
        assert {m: int(((s16 == tempo.RED) & (month == m)).sum()) for m in (11, 12, 1, 3)} == {
            11: 2, 12: 3, 1: 13, 3: 4}
        assert (season == tempo.WHITE).sum() == 43
