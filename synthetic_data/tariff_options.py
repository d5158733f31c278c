"""What a household's real electricity curve would have cost under each EDF option (Base,
HPHC, Tempo), priced as its bills are (``energy_supplier.electricity_daily_cost``): each
half-hour at that day's price of the option, the real Tempo colours of the season, and the
option's standing charge for the subscribed power. The curve is taken as it is (no change of
habits under another option). The truth an advice challenge is scored against."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period
from synthetic_data.population import household_context
from synthetic_data.sources import electricity_model, enedis, tempo
from synthetic_data.sources.energy_supplier import _tariff_index

OPTIONS = electricity_model.OPTIONS


def option_costs(master_seed: int, index: int, period: Period) -> tuple[dict[str, float], str]:
    """(euros per option over ``period``, the option in force on its last day)."""
    ctx = household_context(master_seed, index, period)
    enedis.generate(ctx)
    e = ctx.shared["electricity"]
    s = parameters.load("supplier")
    tp = parameters.load("electricity")["tempo"]
    hg = period.halfhours
    d, h = hg.day_index, hg.local_hour
    kwh = e["halfhour_wh"] / 1000.0
    entries = s["electricity_tariffs"]
    tidx = _tariff_index(entries, period.days)
    column = {k: np.array([t[k] for t in entries])[tidx] for k in ("base", "hp", "hc")}
    start, end = ctx.household.contract.hc_window
    hphc_off = electricity_model.in_window(h, start, end)
    tempo_off = electricity_model.in_window(h, tp["hc_start"], tp["hc_end"])
    codes = tempo.colours(master_seed, period.start - timedelta(days=1), period.n_days + 1)
    colour = np.where(h < tp["day_start_hour"], codes[d], codes[d + 1]).astype(np.int64)
    grid = np.array([t["tempo"] for t in entries])[tidx]                 # day × 6
    price = {"Base": column["base"][d],
             "HPHC": np.where(hphc_off, column["hc"][d], column["hp"][d]),
             "Tempo": grid[d, 2 * colour + np.where(tempo_off, 0, 1)]}
    st = s["standing"]
    yearly = np.array([t["standing_6kva"] for t in entries])[tidx] * \
        st["kva_factor"].get(str(ctx.household.contract.kva), 1.0) / 365.0
    costs = {o: round(float((kwh * price[o]).sum() + (yearly * st["option_factor"][o]).sum()),
                      2) for o in OPTIONS}
    return costs, OPTIONS[int(e["option_code"][-1])]
