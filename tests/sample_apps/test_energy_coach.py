"""Energy coach: the analysis on generated households (checked against documents the app does
not read: daily energy, bills) and the app live against a sandbox."""

from __future__ import annotations

import json
import tomllib
import urllib.request
from datetime import date, timedelta

import pytest

from synthetic_data.calendar_fr import Period
from synthetic_data.household import Household
from synthetic_data.sources.mensualisation import anniversary
from synthetic_data.timeline import Timeline
from tests.support.households import SEED, docs_of, first_index, household, latent
from tests.support.sample_apps import APPS, ROOT, docs, get, load_module, manifest_of, running_app

coach = load_module("energy-coach", "analysis")
tariffs = load_module("energy-coach", "tariffs")

LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
HOME = "org.fing.mesinfos.home"
USAGE_POINTS = "fr.enedis.api.customers.usagepoints"


def _all_year(tl: Timeline, option: str) -> bool:
    return bool((tl.hc_option == option).all()) and not tl.leak_lph.any()


def _electric_base(hh: Household, tl: Timeline) -> bool:
    """an EDF client's house heated by electricity, Base all year"""
    return (hh.partners.edf and hh.dwelling.kind == "Maison"
            and hh.dwelling.heating == "Électricité" and not hh.dwelling.heat_pump
            and _all_year(tl, "Base"))


def _gas_tempo(hh: Household, tl: Timeline) -> bool:
    """an EDF client's house heated by gas, Tempo all year"""
    return (hh.partners.edf and hh.dwelling.kind == "Maison" and hh.dwelling.heating == "Gaz"
            and _all_year(tl, "Tempo"))


def _hphc_late(hh: Household, tl: Timeline) -> bool:
    """an EDF client with electric heating, HP/HC all year, off-peak hours not 22:00-06:00"""
    return (hh.partners.edf and hh.dwelling.heating == "Électricité" and _all_year(tl, "HPHC")
            and tuple(hh.contract.hc_window) != (22.0, 6.0))


ELECTRIC_BASE = first_index(_electric_base)
GAS_TEMPO = first_index(_gas_tempo)
HPHC_LATE = first_index(_hphc_late)

# Monthly payment: a billing year (contract anniversary to anniversary) is closed by its
# regularisation; one wholly inside the data needs two years of it.
TWO_YEARS = Period.of_years(date(2023, 1, 1), 2)


def _closed_year(wanted):
    def pick(hh: Household, tl: Timeline) -> bool:
        a = anniversary(hh.contract.start, 2023 - hh.contract.start.year)
        return (hh.partners.edf and date(2023, 1, 2) <= a <= date(2023, 12, 1)
                and wanted(hh, tl))
    pick.__doc__ = f"{wanted.__doc__}, a billing year from 2023 closed in 2024"
    return pick


BASE_2Y = first_index(_closed_year(_electric_base), period=TWO_YEARS)
HPHC_2Y = first_index(_closed_year(lambda hh, tl: _all_year(tl, "HPHC")), period=TWO_YEARS)
GAS_2Y = first_index(_closed_year(lambda hh, tl: hh.dwelling.heating == "Gaz"), period=TWO_YEARS)


def summary(index: int) -> dict:
    return coach.summarise(docs(index, LOADCURVE),
                           docs(index, STATEMENTS, statementCategory="gazpar"),
                           docs(index, HOME)[0], docs(index, USAGE_POINTS)[0])


def closed_year(index: int) -> tuple[dict, float, float, list[dict], list[dict]]:
    """A billing year wholly in two years of data: its regularisation bill, what its instalments
    and regularisation charged for electricity and for gas, and the documents of its days."""
    data = household(index, SEED, TWO_YEARS)
    edf = docs_of(data, "io.cozy.bills", vendor="EDF")
    (regul,) = [b for b in edf if b["title"] == "FACTURE_REGUL_ECHEANCIER"
                and b["periodStart"] >= "2023-01-01"]
    year = [b for b in edf if b["periodStart"] == regul["periodStart"]]
    assert len(year) == 12  # 11 instalments and the regularisation
    first, last = regul["periodStart"], regul["periodEnd"]
    curve = [d for d in docs_of(data, LOADCURVE) if first <= d["usage_point"][0][
        "meter_reading"]["reading_type"]["start_measurement_period"] <= last]
    gas = [d for d in docs_of(data, STATEMENTS, statementReason="GazparDailyGazConsumption")
           if first <= d["period"] <= last]
    return (regul, round(sum(b["amountElectricity"] for b in year), 2),
            round(sum(b["amountGas"] for b in year), 2), curve, gas)


def test_slot_hours_on_daylight_saving_days() -> None:
    assert coach.slot_hours(48)[-1] == 23.5
    spring = coach.slot_hours(46)
    assert spring[3] == 1.5 and spring[4] == 3.0 and spring[-1] == 23.5
    autumn = coach.slot_hours(50)
    assert autumn[5] == 2.5 and autumn[6] == 2.0 and autumn[-1] == 23.5


def test_electricity_adds_up_to_the_linky_daily_energy() -> None:
    s = summary(ELECTRIC_BASE)
    daily_wh = sum(int(d["usage_point"][0]["meter_reading"]["interval_block"][0]["value"])
                   for d in docs(ELECTRIC_BASE, "fr.enedis.api.meteringdata.energy"))
    e = s["electricity"]
    assert e["kwh"] == pytest.approx(daily_wh / 1000, abs=0.1)
    assert sum(e["split_kwh"].values()) == pytest.approx(e["kwh"], abs=0.5)
    assert sum(e["monthly_kwh"].values()) == pytest.approx(e["kwh"], abs=0.5)
    assert e["days"] == 366 and len(e["profile_w"]["winter"]) == 48
    assert 60 <= e["base_load_w"] <= 400


def test_electric_heating_follows_the_degree_days() -> None:
    e = summary(ELECTRIC_BASE)["electricity"]
    assert e["weather_label"] == "heating"
    assert e["split_kwh"]["weather"] > 0.3 * e["kwh"]
    assert e["weather_r2"] > 0.4
    # the evening peak is there, and winter evenings draw more than summer ones
    assert e["split_kwh"]["evening_peak"] > 0
    assert sum(e["profile_w"]["winter"][36:44]) > sum(e["profile_w"]["summer"][36:44])


def test_gas_heated_home_heats_with_gas() -> None:
    s = summary(GAS_TEMPO)
    assert s["home"]["heating"] == "Gaz"
    e, g = s["electricity"], s["gas"]
    assert e["weather_label"].startswith("winter extra")
    assert e["split_kwh"]["weather"] < 0.2 * e["kwh"]
    assert g["heating_kwh"] > 0.5 * g["kwh"] and g["weather_r2"] > 0.4
    assert g["kwh"] == pytest.approx(sum(d["value"] for d in docs(
        GAS_TEMPO, STATEMENTS, statementReason="GazparDailyGazConsumption")))


def test_the_gas_of_a_billing_year_costs_what_its_instalments_and_regularisation_say() -> None:
    regul, _elec, gas_billed, _curve, gas_days = closed_year(GAS_2Y)
    cost = tariffs.gas_cost(coach.gas_days(gas_days))
    year = date.fromisoformat(regul["periodEnd"]) - date.fromisoformat(regul["periodStart"])
    assert len(gas_days) == year.days + 1 and gas_billed > 0
    assert cost["total_eur"] == pytest.approx(gas_billed, abs=0.05)


@pytest.mark.parametrize("index,option", [(BASE_2Y, "Base"), (HPHC_2Y, "HPHC")])
def test_the_households_own_option_costs_what_its_bills_say(index: int, option: str) -> None:
    """Monthly payment: over a closed billing year, the 11 instalments plus the regularisation
    (a refund counts negative) are what the year's half-hours cost at the household's option."""
    data = household(index, SEED, TWO_YEARS)
    regul, billed, _gas, curve, _gas_days = closed_year(index)
    s = coach.summarise(curve, [], docs_of(data, HOME)[0], docs_of(data, USAGE_POINTS)[0])
    year = date.fromisoformat(regul["periodEnd"]) - date.fromisoformat(regul["periodStart"])
    assert s["home"]["options_seen"] == {option: year.days + 1}
    assert s["tariffs"][option]["total_eur"] == pytest.approx(billed, abs=0.05)
    assert regul["consumptionWh"] / 1000 == pytest.approx(s["electricity"]["kwh"], abs=0.1)


def test_off_peak_hours_come_from_the_meter() -> None:
    window = list(latent(HPHC_LATE)[0].contract.hc_window)
    assert summary(HPHC_LATE)["tariffs"]["hc_window"] == window
    assert summary(ELECTRIC_BASE)["tariffs"]["hc_window"] == [22.0, 6.0]  # Base: default
    assert tariffs.parse_hc_window("HC (0H00-8H00)", [22, 6]) == (0.0, 8.0)
    assert tariffs.parse_hc_window("", [22, 6]) == (22.0, 6.0)


def test_tempo_days_follow_the_calendar_rules() -> None:
    t = summary(ELECTRIC_BASE)["tariffs"]["Tempo"]
    assert t["days"]["red"] == 22 and t["days"]["white"] == 43
    daily = {date(2024, 1, 1) + timedelta(days=i): float(i % 17) for i in range(366)}
    colours = tariffs.tempo_colours(daily, tariffs.load_tariffs()["tempo"])
    holidays = tariffs.public_holidays(2024)
    for d, c in colours.items():
        if c == tariffs.RED:
            assert d.month in (11, 12, 1, 2, 3) and d.weekday() < 5 and d not in holidays
        if c == tariffs.WHITE:
            assert d.weekday() != 6
    assert tariffs.easter(2024) == date(2024, 3, 31)


def test_similar_homes_row_and_sources() -> None:
    s = summary(ELECTRIC_BASE)
    row = s["similar"]
    surface = latent(ELECTRIC_BASE)[0].dwelling.surface
    assert row["heating"] == "Électrique" and row["surface_min"] <= surface < row["surface_max"]
    assert row["sources"] and all(len(v) > 20 for v in row["sources"].values())
    assert s["comparison"]["electricity_ratio"] == pytest.approx(
        s["electricity"]["kwh_per_year"] / row["electricity_kwh"], abs=0.01)
    assert coach.similar_homes("Fioul", 80)["heating"] == "Autre"


def test_shipped_prices_match_the_sandbox_parameters() -> None:
    params = tomllib.loads((ROOT / "synthetic_data" / "params" / "supplier.toml").read_text())
    shipped = tariffs.load_tariffs()
    keys = ("from", "base", "hp", "hc", "tempo", "standing_6kva")
    assert [{k: e[k] for k in keys} for e in shipped["electricity"]] == \
        [{k: e[k] for k in keys} for e in params["electricity_tariffs"]]
    assert shipped["standing"]["kva_factor"] == params["standing"]["kva_factor"]
    assert shipped["standing"]["option_factor"] == params["standing"]["option_factor"]
    assert [{k: e[k] for k in ("from", "kwh", "standing_t1", "standing_t2")}
            for e in shipped["gas"]] == \
        [{k: e[k] for k in ("from", "kwh", "standing_t1", "standing_t2")}
         for e in params["gas_tariffs"]]


def test_live_app_shows_the_households_numbers(live_sandbox) -> None:
    app = APPS / "energy-coach"
    instance = live_sandbox.instance_for(GAS_TEMPO)
    token = live_sandbox.install(instance, manifest_of(app))
    expected = json.loads(json.dumps(summary(GAS_TEMPO)))
    with running_app(app, live_sandbox.url, token, instance) as base:
        assert get(base + "/health") == (200, b"ok", "text/plain; charset=utf-8")
        status, body, ctype = get(base + "/api/summary")
        assert status == 200 and ctype.startswith("application/json")
        assert json.loads(body) == expected
        status, page, ctype = get(base + "/")
        html = page.decode()
        assert status == 200 and ctype.startswith("text/html")
        kwh = f"{expected['electricity']['kwh']:,.0f} kWh".replace(",", " ")
        assert kwh in html and "Tempo" in html and html.count("<svg") >= 3
        assert "http" not in html
        # the challenge hook writes the cheapest option as its advice
        hook = urllib.request.Request(base + "/selfdata/challenge", data=b"{}", method="POST")
        with urllib.request.urlopen(hook, timeout=60) as r:
            advice = json.loads(r.read())
        assert advice["option"] == expected["tariffs"]["cheapest"]
    inst = live_sandbox.sb.instances.get(instance)
    written = live_sandbox.sb.documents.all_docs(inst.id, "fr.hackathon.energy_coach.findings",
                                                 include_docs=True)
    assert written["total_rows"] == 1
    journal = [r for r in live_sandbox.sb.journal.summary(inst.id)
               if r["client"] == "energy-coach"]
    declared = {r["type"] for r in manifest_of(app)["permissions"].values()}
    assert {r["doctype"] for r in journal} == declared
    assert all(r["denied"] == 0 for r in journal)


def test_works_without_gas_home_profile_or_meter_settings() -> None:
    s = coach.summarise(docs(ELECTRIC_BASE, LOADCURVE), [], None, None)
    assert s["gas"] is None and s["similar"] is None and s["comparison"] is None
    assert s["tariffs"]["hc_window"] == [22.0, 6.0]
    page = load_module("energy-coach", "page")
    assert "no comparison" in page.render(s)
    assert 'class="error"' in page.render({"error": "cannot read your data"})
