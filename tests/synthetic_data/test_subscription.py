"""Subscribed power that fits the home: rare breaker trips, never a flat-topped load curve."""

from __future__ import annotations

import numpy as np

from synthetic_data import parameters
from synthetic_data.realism_equipment import Equipment, figures, measure_household
from synthetic_data.sources.electricity_model import soft_ceiling
from synthetic_data.subscription import expected_peak_w
from tests.support.households import YEAR, docs_of, household, indices_where, latent

MAXPOWER = "fr.enedis.api.meteringdata.maxpower"
LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"


def _files(data) -> dict[str, list[dict]]:
    return {t: docs_of(data, t) for t in (MAXPOWER, LOADCURVE)}


def test_the_subscription_covers_the_homes_expected_peak():
    fit = parameters.load("household")["electricity_contract"]["kva_fit"]["fit_fraction"]
    for i in range(300):
        hh, _ = latent(i)
        need = expected_peak_w(hh.dwelling, len(hh.members))
        assert hh.contract.kva == 12 or hh.contract.kva * 1000 * fit >= need, (i, need)


def test_electric_heating_and_cooking_raise_the_expected_peak():
    def big_electric(hh, tl):
        """an electrically heated house over 120 m²"""
        return hh.dwelling.electric_heating and hh.dwelling.surface > 120
    def small_gas(hh, tl):
        """a gas-heated flat under 50 m² cooking with gas"""
        return hh.dwelling.heating == "Gaz" and hh.dwelling.gas_cooking and \
            hh.dwelling.surface < 50
    big = [latent(i)[0] for i in indices_where(big_electric, 5)]
    small = [latent(i)[0] for i in indices_where(small_gas, 5)]
    assert min(h.contract.kva for h in big) >= 9
    assert max(expected_peak_w(h.dwelling, len(h.members)) for h in small) < min(
        expected_peak_w(h.dwelling, len(h.members)) for h in big)


def test_six_kva_stays_the_common_subscription():
    kva = np.array([latent(i)[0].contract.kva for i in range(600)])
    assert 0.64 < np.mean(kva == 6) < 0.76
    assert (kva == 9).any() and (kva == 12).any() and (kva == 3).any()


def test_the_soft_ceiling_keeps_demand_below_the_knee_and_never_reaches_the_ceiling():
    x = np.linspace(0, 20_000, 40_001)
    y = soft_ceiling(x, 3600.0, 5520.0)
    assert np.array_equal(y[x <= 3600], x[x <= 3600])
    assert (y < 5520).all() and (np.diff(y) > 0).all()  # strictly increasing: no plateau
    # distinct demands near the ceiling stay distinct once rounded to the W
    near = np.rint(soft_ceiling(np.linspace(4000, 8000, 200), 3600.0, 5520.0))
    assert np.unique(near).size == near.size


def test_peak_power_reaches_the_subscribed_power_only_on_rare_trip_days():
    def demanding(hh, tl):
        """electric heating on a 6 kVA or smaller subscription"""
        return hh.dwelling.electric_heating and hh.contract.kva <= 6
    acc = Equipment()
    for i in indices_where(demanding, 4, period=YEAR):
        data = household(i)
        measure_household(acc, {}, _files(data), YEAR)
        kva_w = data.household.contract.kva * 1000
        pmax = [int(d["usage_point"][0]["meter_reading"]["interval_block"][0]["value"])
                for d in docs_of(data, MAXPOWER)]
        assert max(pmax) <= kva_w
        assert sum(p == kva_w for p in pmax) <= 0.05 * len(pmax)
    got = figures(acc, YEAR)
    assert got["pmax_at_subscribed_power_day_share"][1][0] <= 0.02  # the most demanding homes
    assert got["halfhour_most_repeated_value_share_max"][1][0] <= 0.002


def test_the_figures_catch_a_clipped_load_curve():
    day = {"contract_power": "6", "usage_point": [{"meter_reading": {
        "interval_block": [{"value": "5520"}] * 40 + [{"value": "300"}] * 8}}]}
    pmax = {"contract_power": "6", "usage_point": [{"meter_reading": {
        "interval_block": [{"value": "6000"}]}}]}
    acc = Equipment()
    measure_household(acc, {}, {LOADCURVE: [day] * 10, MAXPOWER: [pmax] * 10}, YEAR)
    got = figures(acc, YEAR)
    assert got["pmax_at_subscribed_power_day_share"][1] == [1.0]
    assert got["halfhour_most_repeated_value_share_max"][1][0] > 0.8
