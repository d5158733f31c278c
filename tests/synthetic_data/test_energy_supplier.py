"""EDF: client, contracts, payment terms, Edelia profile and estimates, and the bills of monthly
payment: fixed instalments and a yearly regularisation."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period
from synthetic_data.household import Household
from synthetic_data.schemas import problems
from synthetic_data.sources import mensualisation, tempo
from synthetic_data.timeline import Timeline
from tests.support.households import SEED, docs_of, first_index, household
from tests.support.requirements import require

STATEMENTS = "org.fing.mesinfos.consumptionstatement"
LEGACY = Path(__file__).resolve().parents[3] / "shared" / "reference" / \
    "mesinfos-legacy-queries.json"
EDF_DOCTYPES = ("org.fing.mesinfos.client", "org.fing.mesinfos.contract",
                "org.fing.mesinfos.paymentterms", "org.fing.mesinfos.home")


TWO_YEARS = Period.of_years(date(2023, 1, 1), 2)


def _closed_year(hh: Household, tl: Timeline) -> bool:
    """an EDF client with a billing year (from a 2023 anniversary) wholly inside 2023-2024"""
    a = mensualisation.anniversary(hh.contract.start, 2023 - hh.contract.start.year)
    return hh.partners.edf and date(2023, 1, 2) <= a <= date(2023, 12, 1)


def _closed_year_with(wanted):
    def pick(hh: Household, tl: Timeline) -> bool:
        return _closed_year(hh, tl) and wanted(hh, tl)
    pick.__doc__ = f"{_closed_year.__doc__}, {wanted.__doc__}"
    return pick


def _gas(hh: Household, tl: Timeline) -> bool:
    """with gas and HP/HC or Tempo at some point"""
    return hh.dwelling.uses_gas and bool((tl.hc_option != "Base").any())


def _base(hh: Household, tl: Timeline) -> bool:
    """Base all along"""
    return bool((tl.hc_option == "Base").all())


GAS = first_index(_closed_year_with(_gas), period=TWO_YEARS)
BASE = first_index(_closed_year_with(_base), period=TWO_YEARS)


def _edf_bills(data, title=None):
    bills = docs_of(data, "io.cozy.bills", vendor="EDF")
    return [b for b in bills if title is None or b["title"] == title]


def _tariff(entries, day: str) -> dict:
    return [t for t in entries if t["from"] <= day][-1]


def _in_window(hour: float, start: float, end: float) -> bool:
    return start <= hour < end if start <= end else (hour >= start or hour < end)


def _electricity_cost_by_day(data) -> dict[str, float]:
    """Euros per local day recomputed from the half-hours and the tariff tables."""
    s = parameters.load("supplier")
    tp = parameters.load("electricity")["tempo"]
    entries = s["electricity_tariffs"]
    hh, tl = data.household, data.timeline
    start = tl.period.start
    colours = tempo.colours(SEED, start - timedelta(days=1), tl.period.n_days + 1)
    cost: dict[str, float] = {}
    for doc in docs_of(data, STATEMENTS, statementCategory="linky"):
        day = doc["start"][:10]
        hour = int(doc["start"][11:13]) + int(doc["start"][14:16]) / 60
        i = (date.fromisoformat(day) - start).days
        option = tl.hc_option[i]
        t = _tariff(entries, day)
        if option == "Base":
            price = t["base"]
        elif option == "HPHC":
            price = t["hc"] if _in_window(hour, *hh.contract.hc_window) else t["hp"]
        else:
            colour = int(colours[i] if hour < tp["day_start_hour"] else colours[i + 1])
            hc = _in_window(hour, tp["hc_start"], tp["hc_end"])
            price = t["tempo"][2 * colour + (0 if hc else 1)]
        cost[day] = cost.get(day, 0.0) + doc["value"] / 1000 * price
    kva_f = s["standing"]["kva_factor"][str(hh.contract.kva)]
    for k in range(tl.period.n_days):
        day = (start + timedelta(days=k)).isoformat()
        opt_f = s["standing"]["option_factor"][tl.hc_option[k]]
        cost[day] += _tariff(entries, day)["standing_6kva"] * kva_f * opt_f / 365
    return cost


def _gas_cost_by_day(data) -> dict[str, float]:
    s = parameters.load("supplier")
    days = docs_of(data, STATEMENTS, statementReason="GazparDailyGazConsumption")
    annual = sum(d["value"] for d in days) * 365 / data.timeline.period.n_days
    key = "standing_t2" if annual > s["gas"]["t2_threshold_kwh"] else "standing_t1"
    return {d["period"]: d["value"] * _tariff(s["gas_tariffs"], d["period"])["kwh"]
            + _tariff(s["gas_tariffs"], d["period"])[key] / 365 for d in days}


def _year_of(data) -> tuple[list[dict], dict]:
    """The instalments and the regularisation of the billing year wholly inside the data."""
    regul = [b for b in _edf_bills(data, "FACTURE_REGUL_ECHEANCIER")
             if b["periodStart"] >= data.timeline.period.start.isoformat()]
    assert regul, "a billing year closes inside the data"
    r = regul[0]
    inst = [b for b in _edf_bills(data, "ECHEANCE") if b["periodStart"] == r["periodStart"]]
    return inst, r


def _signed(bill: dict, key: str = "amount") -> float:
    return -bill[key] if bill["isRefund"] and key == "amount" else bill[key]


@pytest.mark.parametrize("index", [GAS, BASE])
def test_a_billing_year_costs_what_the_meters_say(index):
    data = household(index, SEED, TWO_YEARS)
    inst, r = _year_of(data)
    assert len(inst) == 11 and [b["instalmentNumber"] for b in inst] == list(range(1, 12))
    assert len({b["amount"] for b in inst}) == 1  # fixed instalments
    first, last = r["periodStart"], r["periodEnd"]
    elec = sum(v for d, v in _electricity_cost_by_day(data).items() if first <= d <= last)
    assert sum(b["amountElectricity"] for b in inst) + r["amountElectricity"] == \
        pytest.approx(elec, abs=0.011)
    gas = sum(v for d, v in _gas_cost_by_day(data).items() if first <= d <= last) \
        if data.household.dwelling.uses_gas else 0.0
    assert sum(b["amountGas"] for b in inst) + r["amountGas"] == pytest.approx(gas, abs=0.011)
    assert _signed(r) == pytest.approx(r["amountElectricity"] + r["amountGas"], abs=0.001)
    assert r["value"] == r["totalPaymentDue"] == f"{_signed(r):.2f}"
    linky = [d for d in docs_of(data, STATEMENTS, statementCategory="linky")
             if first <= d["start"][:10] <= last]
    assert r["consumptionWh"] == sum(d["value"] for d in linky)
    # the reading at the anniversary, then the bill: after the last instalment
    assert r["date"][:10] > max(b["date"][:10] for b in inst) and r["date"][:10] > last


def test_instalments_are_last_years_consumption_at_the_anniversarys_prices():
    data = household(BASE, SEED, TWO_YEARS)
    s = parameters.load("supplier")
    hh = data.household
    second = [r for r in _edf_bills(data, "ECHEANCE") if r["periodStart"] >= "2024-01-01"]
    anniversary = date.fromisoformat(second[0]["periodStart"])
    before = (anniversary - timedelta(days=365)).isoformat()
    wh = sum(d["value"] for d in docs_of(data, STATEMENTS, statementCategory="linky")
             if before <= d["start"][:10] < anniversary.isoformat())
    t = _tariff(s["electricity_tariffs"], anniversary.isoformat())
    standing = (t["standing_6kva"] * s["standing"]["kva_factor"][str(hh.contract.kva)]
                * s["standing"]["option_factor"]["Base"])
    assert {b["amountElectricity"] for b in second} == {round((wh / 1000 * t["base"]
                                                              + standing) / 11)}
    assert [date.fromisoformat(b["date"][:10]).day for b in second] == \
        [s["edf"]["payment_day"]] * len(second)


def test_bills_are_the_debits_and_refunds(households):
    for data in households:
        for b in _edf_bills(data):
            assert b["amount"] >= 0 and b["contractNumber"] == \
                data.household.contract.supplier_contract_number
            assert b["amountElectricity"] + b["amountGas"] == pytest.approx(_signed(b), abs=0.001)
            if b["title"] == "ECHEANCE":
                assert b["date"][:10] == b["scheduledPaymentDate"] and not b["isRefund"]
                assert b["amount"] == int(b["amount"])  # whole euros, as the kit's schedule
            else:
                assert b["isRefund"] == b["value"].startswith("-")
        assert not [b for b in docs_of(data, "io.cozy.bills", vendor="EDF")
                    if b["subtype"] == "gas"]
    refunds = [b for data in households for b in _edf_bills(data, "FACTURE_REGUL_ECHEANCIER")]
    assert {b["isRefund"] for b in refunds} == {True, False}  # both happen


def test_client_and_addresses_agree_across_providers(households):
    for data in households:
        hh = data.household
        (client,) = docs_of(data, "org.fing.mesinfos.client", vendor="EDF")
        a = client["address"]
        assert a["street"] == hh.address.line
        assert (a["postcode"], a["city"], a["formated"]) == (
            hh.address.postcode, hh.address.city,
            f"{hh.address.line}\n{hh.address.postcode} {hh.address.city}")
        (enedis,) = docs_of(data, "fr.enedis.api.customers.usagepointaddress")
        up = enedis["usage_point_address"]
        assert f"{up['street_number']} {up['street']}" == a["street"]
        assert (up["zip"], up["city"]) == (a["postcode"], a["city"])
        assert client["name"]["family"] == hh.main.family.upper()


def test_contracts_and_counters_match_the_meters(households):
    for data in households:
        hh = data.household
        contracts = {c["energie"]: c for c in docs_of(data, "org.fing.mesinfos.contract")}
        assert set(contracts) == ({"Électricité", "Gaz"} if hh.dwelling.uses_gas
                                  else {"Électricité"})
        elec = contracts["Électricité"]
        linky = docs_of(data, STATEMENTS, statementCategory="linky")
        assert elec["counter"]["dernierIndex"] == f"{linky[-1]['index'] // 1000}.0"
        assert elec["pdl"] == hh.contract.pdl and elec["power"] == f"{hh.contract.kva} kVA"
        option = data.timeline.hc_option[-1]
        assert elec["contractSubcategory1"] == {
            "Base": "OPTION_BASE", "HPHC": "OPTION_HEURES_CREUSES",
            "Tempo": "OPTION_TEMPO"}[option]
        energy = docs_of(data, "fr.enedis.api.meteringdata.energy")
        last_year = sum(int(d["usage_point"][0]["meter_reading"]["interval_block"][0]["value"])
                        for d in energy[-365:])
        assert elec["counter"]["annualConsumption"] == str(last_year // 1000)
        if "Gaz" in contracts:
            gas = docs_of(data, STATEMENTS, statementReason="GazparDailyGazConsumption")
            assert contracts["Gaz"]["counter"]["dernierIndex"] == f"{gas[-1]['index']}.0"
            assert contracts["Gaz"]["pdl"] == hh.contract.gas_pce


def test_payment_schedule_matches_the_bills(households):
    for data in households:
        (terms,) = docs_of(data, "org.fing.mesinfos.paymentterms", vendor="EDF")
        last = (data.timeline.period.end - timedelta(days=1)).isoformat()
        debits = {(b["date"][:10], b["amount"], b["amountElectricity"], b["amountGas"])
                  for b in _edf_bills(data, "ECHEANCE")}
        rows = terms["paymentSchedules"]
        assert [r["number"] for r in rows] == list(range(1, 12))
        assert len({r["amount"] for r in rows}) == 1
        for row in rows:
            assert row["amount"] == row["amountElectricity"] + row["amountGas"]
            assert row["paid"] == (row["scheduleDate"] <= last)
            if row["paid"]:
                assert row["receiptDate"] == row["scheduleDate"]
                assert (row["scheduleDate"], row["amount"], row["amountElectricity"],
                        row["amountGas"]) in debits
            else:
                assert row["receiptDate"] is None
        debited = [b for b in _edf_bills(data) if not b["isRefund"]
                   and b["scheduledPaymentDate"] <= last]
        day = max(b["scheduledPaymentDate"] for b in debited)
        assert terms["dernierReglement"]["date"][:10] == day
        assert terms["dernierReglement"]["amount"] in {f"{b['amount']:.2f}" for b in debited
                                                       if b["scheduledPaymentDate"] == day}
        assert terms["nextBillDate"] > last


def test_edelia_profile_and_estimates(households):
    for data in households:
        hh = data.household
        (home,) = docs_of(data, "org.fing.mesinfos.home")
        assert home["housingType"] == hh.dwelling.kind
        assert home["surface"] == round(hh.dwelling.surface)
        assert home["occupationType"] == ("Proprietaire" if hh.dwelling.owner else "Locataire")
        linky_wh = sum(d["value"] for d in docs_of(data, STATEMENTS, statementCategory="linky"))
        (yearly,) = docs_of(data, STATEMENTS, statementReason="EdeliaYearlyElecConsumption")
        assert yearly["value"] == round(linky_wh / 1000)  # whole kWh, as in the kit
        monthly = docs_of(data, STATEMENTS, statementReason="EdeliaMonthlyElecConsumption")
        assert len(monthly) == 12
        assert sum(m["value"] for m in monthly) == pytest.approx(yearly["value"], abs=6)
        gas_yearly = docs_of(data, STATEMENTS, statementReason="EdeliaYearlyGazConsumption")
        assert bool(gas_yearly) == hh.dwelling.uses_gas


@pytest.mark.parametrize("doctype", EDF_DOCTYPES)
def test_edf_documents_validate(households, doctype):
    for data in households:
        docs = docs_of(data, doctype)
        assert docs
        for doc in docs:
            assert problems(doctype, doc) == []


def test_bills_and_estimates_validate(households):
    for data in households:
        for doc in docs_of(data, "io.cozy.bills") + docs_of(data, STATEMENTS,
                                                             statementCategory="edelia"):
            doctype = STATEMENTS if "statementCategory" in doc else "io.cozy.bills"
            assert problems(doctype, doc) == []
        broken = dict(_edf_bills(data)[0])
        del broken["number"]
        assert problems("io.cozy.bills", broken)


def test_the_pilots_energy_queries_find_data(households):
    require(LEGACY.is_file(), f"{LEGACY} not found (../shared is beside the repository)")
    queries = json.loads(LEGACY.read_text(encoding="utf-8"))
    for q in queries:
        if not (q["doctype"].startswith(("fr.enedis", "org.fing")) or
                q["selector"].get("vendor") == "EDF"):
            continue
        for data in households:
            if "Gaz" in json.dumps(q["selector"]) and "Edelia" in json.dumps(q["selector"]) \
                    and not data.household.dwelling.uses_gas:
                continue  # no gas estimate for a home without gas
            docs = docs_of(data, q["doctype"])
            found = [d for d in docs if _matches(d, q["selector"])]
            assert found, (q["label"], data.household.instance)


def _matches(doc: dict, selector: dict) -> bool:
    for field, cond in selector.items():
        if field == "_id":
            continue
        value = doc.get(field)
        ops = cond if isinstance(cond, dict) else {"$eq": cond}
        for op, arg in ops.items():
            if (op == "$eq" and value != arg) or (op == "$ne" and value == arg) or \
                    (op == "$in" and value not in arg) or (op == "$nin" and value in arg):
                return False
    return True
