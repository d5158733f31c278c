"""Enedis / Linky: exact sums, DST days, peak power, annual ranges, weather and presence."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from synthetic_data import weather
from synthetic_data.calendar_fr import Period
from synthetic_data.context import SourceContext
from synthetic_data.schemas import problems
from synthetic_data.seeding import household_seed
from synthetic_data.sources import enedis, tempo
from tests.support.households import SEED, docs_of, first_index, household

LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"
ENERGY = "fr.enedis.api.meteringdata.energy"
MAXPOWER = "fr.enedis.api.meteringdata.maxpower"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"


def _points(doc: dict) -> list[int]:
    return [int(p["value"]) for p in doc["usage_point"][0]["meter_reading"]["interval_block"]]


def _day(doc: dict) -> str:
    return doc["usage_point"][0]["meter_reading"]["reading_type"]["start_measurement_period"]


def _linky(data) -> list[dict]:
    return docs_of(data, STATEMENTS, statementCategory="linky")


def test_half_hours_daily_energy_and_index_agree_exactly(households):
    for data in households:
        curves = docs_of(data, LOADCURVE)
        energy = {_day(d): _points(d)[0] for d in docs_of(data, ENERGY)}
        linky = _linky(data)
        wh = np.array([d["value"] for d in linky])
        index = np.array([d["index"] for d in linky])
        assert (np.diff(index) == wh[1:]).all()
        shared = data_shared(data)
        assert (shared["halfhour_wh"] == wh).all()
        pos = odd = 0
        drift = 0.0
        for curve in curves:
            watts = _points(curve)
            n = len(watts)
            # mean power and energy rounded from the same exact figure: within 1 W of 2 × Wh
            assert np.abs(np.asarray(watts) - 2 * wh[pos:pos + n]).max() <= 1
            assert energy[_day(curve)] == int(wh[pos:pos + n].sum())
            assert abs(sum(watts) / 2 - energy[_day(curve)]) <= n / 4
            drift += sum(watts) / 2 - energy[_day(curve)]
            odd += sum(w % 2 for w in watts)
            before = index[pos - 1] if pos else index[0] - wh[0]
            assert index[pos + n - 1] - before == energy[_day(curve)]
            # the statements of the day start on that local day
            assert linky[pos]["start"].startswith(_day(curve) + "T00:00:00")
            pos += n
        assert pos == len(linky)
        assert 0.4 < odd / pos < 0.6  # watt values not forced even
        assert abs(drift) < 0.01 * sum(energy.values())  # no bias: rounding errors cancel out
        assert [energy[k] for k in sorted(energy)] == shared["daily_wh"].tolist()


def data_shared(data) -> dict:
    """Recompute the Enedis source's shared arrays from the household (same seed → same data)."""

    hh, tl = data.household, data.timeline
    temp = weather.daily_temperature(SEED, hh.commune, tl.period)
    ctx = SourceContext(hh, tl.period, tl, temp, weather.heating_degree_days(temp),
                        household_seed(SEED, hh.index), SEED)
    enedis.generate(ctx)
    return ctx.shared["electricity"]


def test_dst_days_have_46_and_50_points_and_offsets(households):
    for data in households[:4]:
        counts = {_day(d): len(_points(d)) for d in docs_of(data, LOADCURVE)}
        assert counts["2024-03-31"] == 46
        assert counts["2024-10-27"] == 50
        assert {v for k, v in counts.items() if k not in ("2024-03-31", "2024-10-27")} == {48}
        starts = [d["start"] for d in _linky(data) if d["start"].startswith("2024-10-27T02")]
        # local clock without offset (the kit): the repeated hour twice, in time order
        assert starts == ["2024-10-27T02:00:00", "2024-10-27T02:30:00",
                          "2024-10-27T02:00:00", "2024-10-27T02:30:00"]
        assert not [d for d in _linky(data) if d["start"].startswith("2024-03-31T02")]
        readings = [p["reading_number"] for p in docs_of(data, LOADCURVE)[0][
            "usage_point"][0]["meter_reading"]["interval_block"]]
        assert readings == [str(i) for i in range(1, 49)]


def test_peak_power_is_a_peak_over_minutes_below_subscribed_power(households):
    above = days = 0
    for data in households:
        kva = data.household.contract.kva
        pmax = {_day(d): _points(d)[0] for d in docs_of(data, MAXPOWER)}
        for curve in docs_of(data, LOADCURVE):
            assert pmax[_day(curve)] >= max(_points(curve))  # never below a half-hour mean
            above += pmax[_day(curve)] > max(_points(curve))
            days += 1
            assert curve["contract_power"] == str(kva)
        assert max(pmax.values()) <= kva * 1000
        assert max(pmax.values()) > 1500  # cooking, heating or hot water spikes exist
    assert above > 0.8 * days  # kettle, oven, hob bursts last minutes: most days above


def test_annual_energy_in_range_by_heating(households):
    for data in households:
        kwh = sum(_points(d)[0] for d in docs_of(data, ENERGY)) / 1000
        dw = data.household.dwelling
        if dw.electric_heating and not dw.heat_pump:
            assert 4_000 <= kwh <= 25_000, (dw, kwh)
        elif dw.electric_heating:
            assert 2_500 <= kwh <= 12_000, (dw, kwh)
        else:
            assert 1_000 <= kwh <= 7_500, (dw, kwh)


def test_electric_heating_follows_degree_days(households):
    heated = [d for d in households if d.household.dwelling.electric_heating]
    assert heated, "no electrically heated home among the fixtures"
    r = []
    for data in heated:
        daily = data_shared(data)["daily_wh"]
        period = data.timeline.period
        home = ~data.timeline.away
        winter = np.isin(period.month, [12, 1, 2]) & home
        summer = np.isin(period.month, [6, 7, 8]) & home
        assert daily[winter].mean() > 1.8 * daily[summer].mean()
        hdd = weather.heating_degree_days(
            weather.daily_temperature(SEED, data.household.commune, period))
        cold = np.isin(period.month, [11, 12, 1, 2, 3]) & home
        r.append(np.corrcoef(hdd[cold], daily[cold])[0, 1])
    # loosely, as real homes do (occupancy, thermostats); a small flat's heating is a small part
    # of its load, so its days follow the weather less than a house's
    assert min(r) > 0.3 and np.median(r) > 0.6, r


def test_away_days_stay_at_base_load(households):
    checked = 0
    for data in households:
        away = data.timeline.away
        if not away.any() or data.household.dwelling.electric_heating:
            continue
        e = data_shared(data)
        daily = e["daily_wh"]
        hg = data.timeline.period.halfhours
        # base load and the water heater's standing losses stay on: up to ~2/3 of a frugal home
        assert daily[away].mean() < 0.7 * daily[~away].mean()
        slots_away = away[hg.day_index]
        # no cooking, TV or hot water while away: half-hours stay near the base load (< 300 W),
        # past the first night (a water heater may still be reheating from the evening before)
        departure = away & ~np.concatenate(([False], away[:-1]))
        first_night = departure[hg.day_index] & (hg.local_hour < 6)
        assert (e["halfhour_wh"][slots_away & ~first_night] * 2).max() < 600
        # and the away level matches the lowest at-home nights
        assert np.median(e["halfhour_wh"][slots_away]) < 0.8 * np.median(
            e["halfhour_wh"][~slots_away])
        checked += 1
    assert checked


def test_customer_documents_match_the_household(households):
    for data in households:
        hh = data.household
        (addr,) = docs_of(data, "fr.enedis.api.customers.usagepointaddress")
        a = addr["usage_point_address"]
        assert (a["street_number"], a["street"], a["zip"], a["city"], a["geo_point"]) == (
            hh.address.street_number, hh.address.street, hh.address.postcode, hh.address.city,
            hh.address.insee)
        (ident,) = docs_of(data, "fr.enedis.api.customers.identity")
        assert ident["identity"]["natural_person"]["last_name"] == hh.main.family
        (up,) = docs_of(data, "fr.enedis.api.customers.usagepoints")
        assert up["usage_points"]["usage_point_id"] == hh.contract.pdl
        for d in docs_of(data, ENERGY)[:3]:
            assert d["usage_point"][0]["usage_point_id"] == hh.contract.pdl
            assert d["INSEE_code"] == hh.address.insee


def test_tempo_calendar_is_national_and_follows_the_rules():
    for year in (2023, 2024):
        codes = tempo.season(SEED, year)
        assert (codes == tempo.season(SEED, year)).all()
        per = Period(date(year, 9, 1), date(year + 1, 9, 1))
        assert (codes == tempo.RED).sum() == 22 and (codes == tempo.WHITE).sum() == 43
        red = codes == tempo.RED
        assert np.isin(per.month[red], [11, 12, 1, 2, 3]).all()
        assert (per.weekday[red] < 5).all() and not per.public_holiday[red].any()
        assert not (per.weekday[codes == tempo.WHITE] == 6).any()
        run = best = 0
        for r in red:
            run = run + 1 if r else 0
            best = max(best, run)
        assert best <= 5
        assert np.isin(per.month[red], [12, 1, 2]).sum() >= 15
    assert (tempo.season(SEED, 2024) != tempo.season(SEED + 1, 2024)).any()


@pytest.mark.parametrize("doctype", [LOADCURVE, ENERGY, MAXPOWER,
                                     "fr.enedis.api.customers.identity",
                                     "fr.enedis.api.customers.usagepointaddress",
                                     "fr.enedis.api.customers.usagepoints"])
def test_enedis_documents_validate(households, doctype):
    for data in households[:4]:
        for doc in docs_of(data, doctype):
            assert problems(doctype, doc) == []


def test_linky_statements_validate(households):
    for data in households[:4]:
        linky = _linky(data)
        sample = linky[::97] + [d for d in linky if d["start"].startswith("2024-10-27")]
        for doc in sample:
            assert problems(STATEMENTS, doc) == []
        bad = dict(linky[0], value=-1, extra=1)
        assert len(problems(STATEMENTS, bad)) >= 1


def _switched(hh, tl) -> bool:
    """changed tariff option during the year"""
    return len(set(tl.hc_option.tolist())) > 1


@pytest.mark.parametrize("final", ["HPHC", "Base"])
def test_the_usage_points_off_peak_hours_are_those_in_force_at_the_end(final):
    index = first_index(lambda hh, tl: _switched(hh, tl) and tl.hc_option[-1] == final)
    data = household(index)
    (up,) = docs_of(data, "fr.enedis.api.customers.usagepoints")
    slot = up["usage_points"]["time_slot"]
    if final == "HPHC":
        start, end = (f"{int(h)}H{int(h % 1 * 60):02d}" for h in data.household.contract.hc_window)
        assert slot == f"HC ({start}-{end})"
    else:
        assert slot == ""


def test_a_season_no_one_recorded_spreads_its_reds_over_the_months_as_a_recorded_one():
    patterns = [{int(m): k for m, k in p.items()} for p in tempo._month_patterns()]
    assert len(patterns) >= 8
    for year in range(2030, 2040):
        per = Period(date(year, 9, 1), date(year + 1, 9, 1))
        red = tempo.season(SEED, year) == tempo.RED
        months = per.month[red].tolist()
        assert {m: months.count(m) for m in set(months)} in patterns
