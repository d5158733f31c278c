"""Subscribed power (kVA) that fits the home: people subscribe enough that the breaker rarely trips.

A home's expected peak half-hour demand is estimated from what the electricity model will draw for
it (``params/electricity.toml``): space heating on a cold design day at its evening or morning
peak, electric cooking and an appliance cycle at dinner time, and an electric water heater's
off-peak block at night. The subscribed power is then the larger of the surface-band draw
(``params/household.toml [electricity_contract]``, calibrated to 6 kVA ≈ 70 % of homes) and the
smallest step whose ``fit_fraction`` covers that peak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from synthetic_data import parameters

if TYPE_CHECKING:
    from synthetic_data.household import Dwelling


def expected_peak_w(dwelling: Dwelling, occupants: int) -> float:
    """Highest half-hour mean power the home is expected to need (W), on a cold evening."""
    p = parameters.load("electricity")
    fit = parameters.load("household")["electricity_contract"]["kva_fit"]
    occ = max(occupants, 1)
    a = p["appliances"]
    evening = fit["evening_base_w"] + 0.5 * max(a["spike_kw"]) * 1000.0
    evening += a["kwh_per_year_one_person"] * occ ** a["occupant_exponent"] * fit[
        "appliance_peak_w_per_kwh_year"]
    if not dwelling.gas_cooking:
        evening += float(np.mean(p["cooking"]["spike_kw"])) * 1000.0
    night = float(fit["evening_base_w"])
    if dwelling.hot_water == "Électrique":
        night += max(p["hot_water"]["heater_kw"]) * 1000.0
    if dwelling.electric_heating:
        h = p["heating"]
        k = float(np.mean(h["kwh_per_dju_m2"]))
        periods = parameters.load("household")["dwelling"]["construction_periods"]
        i = periods.index(dwelling.construction_period) if (
            dwelling.construction_period in periods) else 2
        k *= h["construction_factor"][i]
        if dwelling.kind == "Appartement":
            k *= h["flat_factor"]
        if dwelling.heat_pump:
            k /= h["heat_pump_cop"]
        day_w = k * dwelling.surface * fit["design_degree_days"] * 1000.0 / 24.0
        shape = np.asarray(h["hourly"]) / np.mean(h["hourly"])
        evening += day_w * float(shape.max())
        night += day_w * float(shape.min())
    return max(evening, night)


def fitted_kva(dwelling: Dwelling, occupants: int, drawn: int) -> int:
    """The drawn subscribed power, raised to the smallest step that covers the expected peak."""
    c = parameters.load("household")["electricity_contract"]
    need = expected_peak_w(dwelling, occupants) / (c["kva_fit"]["fit_fraction"] * 1000.0)
    fits = [v for v in c["kva_values"] if v >= need]
    return int(max(drawn, fits[0] if fits else max(c["kva_values"])))
