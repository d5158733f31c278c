"""Each electricity option priced on a household's real curve: the option in force costs what
its bills' daily costs add up to (same prices, same Tempo colours, same standing charge)."""

from __future__ import annotations

import pytest

from synthetic_data.population import household_context
from synthetic_data.sources import enedis
from synthetic_data.sources.energy_supplier import electricity_daily_cost
from synthetic_data.tariff_options import OPTIONS, option_costs
from tests.support.households import SEED, YEAR, first_index


def one_option(option: str):
    def wanted(hh, tl) -> bool:
        return hh.partners.edf and set(tl.hc_option) == {option}
    wanted.__doc__ = f"on {option} all year"
    return wanted


@pytest.mark.parametrize("option", OPTIONS)
def test_the_option_in_force_costs_what_its_bills_add_up_to(option):
    index = first_index(one_option(option))
    costs, current = option_costs(SEED, index, YEAR)
    assert current == option and set(costs) == set(OPTIONS)
    ctx = household_context(SEED, index, YEAR)
    enedis.generate(ctx)
    energy, standing = electricity_daily_cost(ctx)
    assert costs[option] == pytest.approx(energy.sum() + standing.sum(), abs=0.01)


def test_the_costs_are_reproducible_and_differ_between_options():
    index = first_index(one_option("Base"))
    first = option_costs(SEED, index, YEAR)
    assert option_costs(SEED, index, YEAR) == first
    assert len(set(first[0].values())) == 3
