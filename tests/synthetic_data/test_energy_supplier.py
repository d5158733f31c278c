"""EDF: client, contracts, payment terms, Edelia profile and estimates, monthly bills."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from synthetic_data import parameters
from synthetic_data.schemas import problems
from synthetic_data.sources import tempo
from tests.support.households import SEED, docs_of
from tests.support.requirements import require

STATEMENTS = "org.fing.mesinfos.consumptionstatement"
LEGACY = Path(__file__).resolve().parents[3] / "shared" / "reference" / \
    "mesinfos-legacy-queries.json"
EDF_DOCTYPES = ("org.fing.mesinfos.client", "org.fing.mesinfos.contract",
                "org.fing.mesinfos.paymentterms", "org.fing.mesinfos.home")


def _edf_bills(data, subtype):
    return docs_of(data, "io.cozy.bills", vendor="EDF", subtype=subtype)


def _tariff(entries, day: str) -> dict:
    return [t for t in entries if t["from"] <= day][-1]


def _in_window(hour: float, start: float, end: float) -> bool:
    return start <= hour < end if start <= end else (hour >= start or hour < end)


def test_electricity_bills_recompute_from_half_hours(households):
    s = parameters.load("supplier")
    tp = parameters.load("electricity")["tempo"]
    entries = s["electricity_tariffs"]
    for data in households:
        hh, tl = data.household, data.timeline
        start = tl.period.start
        colours = tempo.colours(SEED, start - timedelta(days=1), tl.period.n_days + 1)
        cost: dict[str, float] = {}
        wh: dict[str, int] = {}
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
            month = day[:7]
            cost[month] = cost.get(month, 0.0) + doc["value"] / 1000 * price
            wh[month] = wh.get(month, 0) + doc["value"]
        kva_f = s["standing"]["kva_factor"][str(hh.contract.kva)]
        for k in range(tl.period.n_days):
            day = (start + timedelta(days=k)).isoformat()
            opt_f = s["standing"]["option_factor"][tl.hc_option[k]]
            cost[day[:7]] += _tariff(entries, day)["standing_6kva"] * kva_f * opt_f / 365
        bills = _edf_bills(data, "electricity")
        assert len(bills) == 12
        for b in bills:
            month = b["periodStart"][:7]
            assert b["amount"] == pytest.approx(cost[month], abs=0.011)
            assert b["consumptionWh"] == wh[month]
            assert b["value"] == b["totalPaymentDue"] == f"{b['amount']:.2f}"
            assert b["contractNumber"] == hh.contract.supplier_contract_number
            assert b["clientId"] == hh.contract.supplier_client_id


def test_gas_bills_recompute_from_gas_days(households):
    s = parameters.load("supplier")
    for data in filter(lambda d: d.household.dwelling.uses_gas, households):
        days = docs_of(data, STATEMENTS, statementReason="GazparDailyGazConsumption")
        annual = sum(d["value"] for d in days)
        key = "standing_t2" if annual > s["gas"]["t2_threshold_kwh"] else "standing_t1"
        cost: dict[str, float] = {}
        for d in days:
            t = _tariff(s["gas_tariffs"], d["period"])
            m = d["period"][:7]
            cost[m] = cost.get(m, 0.0) + d["value"] * t["kwh"] + t[key] / 365
        bills = _edf_bills(data, "gas")
        assert len(bills) == 12
        for b in bills:
            assert b["amount"] == pytest.approx(cost[b["periodStart"][:7]], abs=0.011)
        assert not _edf_bills(data, "gas") or data.household.dwelling.uses_gas
    for data in households:
        if not data.household.dwelling.uses_gas:
            assert not _edf_bills(data, "gas")


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
        bills = docs_of(data, "io.cozy.bills", vendor="EDF")
        by_month: dict[str, float] = {}
        for b in bills:
            by_month[b["periodStart"][:7]] = by_month.get(b["periodStart"][:7], 0.0) + b["amount"]
        assert len(terms["paymentSchedules"]) == len(by_month)
        for row, (_, amount) in zip(terms["paymentSchedules"], sorted(by_month.items()),
                                    strict=True):
            assert abs(row["amount"] - amount) <= 1  # whole euros per energy, as in the kit


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
        broken = dict(_edf_bills(data, "electricity")[0])
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
