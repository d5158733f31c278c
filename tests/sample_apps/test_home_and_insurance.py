"""Home and insurance: monthly costs and claims on a generated household, and the app live."""

from __future__ import annotations

import json

import pytest

from tests.support.households import first_index
from tests.support.sample_apps import APPS, docs, get, load_module, manifest_of, running_app

hi = load_module("home-and-insurance", "analysis")

BILLS = "io.cozy.bills"
CONTRACTS = "fr.maif.maifuser.contrat"


def _burst_pipe_and_a_car_claim(hh, tl) -> bool:
    """An EDF client's gas-heated home: a burst pipe and its water-damage claim, a car claim at
    another time, no other claim."""
    claims = [e for e in tl.events if e.kind == "claim"]
    home = [c for c in claims if c.details["type"] == "Habitation"]
    return (hh.partners.edf and hh.dwelling.heating == "Gaz"
            and sorted(c.details["type"] for c in claims) == ["Habitation", "Vehicule"]
            and "after_leak" in home[0].details
            and any(e.kind == "leak" and e.details["kind"] == "burst_pipe" for e in tl.events))


WATER_DAMAGE = first_index(_burst_pipe_and_a_car_claim)


def summary(index: int) -> dict:
    return hi.summarise(docs(index, BILLS), docs(index, CONTRACTS),
                        docs(index, "fr.maif.maifuser.home"),
                        docs(index, "fr.maif.maifuser.sinistre"),
                        docs(index, "org.fing.mesinfos.consumptionstatement",
                             statementCategory="eau"),
                        docs(index, "fr.enedis.api.meteringdata.energy"))


def billed(index: int, **match) -> float:
    return sum(b["amount"] for b in docs(index, BILLS, **match))


def test_costs_add_up_to_the_bills() -> None:
    s = summary(WATER_DAMAGE)
    t = s["totals"]
    assert len(s["months"]) == 12
    edf = docs(WATER_DAMAGE, BILLS, vendor="EDF")  # instalments and regularisations, as paid
    assert edf and t["electricity"] > 0
    assert t["electricity"] == pytest.approx(sum(b["amountElectricity"] for b in edf), abs=0.1)
    assert t["gas"] == pytest.approx(sum(b["amountGas"] for b in edf), abs=0.1)
    assert t["water"] == pytest.approx(billed(WATER_DAMAGE, type="water"), abs=0.1)
    # phone bills are not the home's; the MAIF bills also pay for the car
    assert s["total"] < billed(WATER_DAMAGE) - billed(WATER_DAMAGE, type="phone")
    assert s["total"] == pytest.approx(sum(t.values()), abs=0.01)


def test_home_insurance_is_the_home_contracts_share() -> None:
    s = summary(WATER_DAMAGE)
    contracts = docs(WATER_DAMAGE, CONTRACTS)[0]["contrat"]
    home = next(c["montantTarifTtc"] for c in contracts if c["name"] == "NOR")
    assert len(contracts) >= 2  # the home and a car
    assert s["premiums"]["home_yearly"] == pytest.approx(home)
    assert s["premiums"]["home_share"] == pytest.approx(
        home / sum(c["montantTarifTtc"] for c in contracts), abs=1e-4)
    # twelve monthly MAIF bills × the home's share = the home premium of the year
    assert s["totals"]["home insurance"] == pytest.approx(home, abs=0.1)


def test_edf_monthly_payment_counts_when_paid_and_a_refund_counts_negative() -> None:
    instalment = {"vendor": "EDF", "type": "energy", "date": "2024-03-10T00:00:00.000Z",
                  "amount": 120.0, "isRefund": False, "amountElectricity": 80.0,
                  "amountGas": 40.0, "periodStart": "2023-09-25", "periodEnd": "2024-09-24"}
    refund = {**instalment, "date": "2024-10-02T00:00:00.000Z", "amount": 30.0,
              "isRefund": True, "amountElectricity": -45.0, "amountGas": 15.0}
    months = hi.monthly_costs([instalment, refund], [])
    assert list(months) == ["2024-03", "2024-10"]
    assert (months["2024-03"]["electricity"], months["2024-03"]["gas"]) == (80.0, 40.0)
    assert (months["2024-10"]["electricity"], months["2024-10"]["gas"]) == (-45.0, 15.0)


def test_a_quarterly_bill_is_spread_over_its_months() -> None:
    bill = {"type": "water", "vendor": "Eau de Paris", "amount": 91.0,
            "date": "2024-04-05T00:00:00.000Z", "periodStart": "2024-01-01",
            "periodEnd": "2024-03-31"}
    months = hi.monthly_costs([bill], [])
    assert [m for m in months] == ["2024-01", "2024-02", "2024-03"]
    assert months["2024-01"]["water"] == pytest.approx(31.0)
    assert months["2024-02"]["water"] == pytest.approx(29.0)
    refund = {**bill, "isRefund": True}
    assert hi.monthly_costs([bill, refund], [])["2024-03"]["water"] == pytest.approx(0.0)


def test_claims_sit_beside_the_meters() -> None:
    s = summary(WATER_DAMAGE)
    claims = s["claims"]
    assert sorted(c["type"] for c in claims) == ["Habitation", "Vehicule"]
    assert s["home_claims"] == 1
    water_damage = next(c for c in claims if c["type"] == "Habitation")
    car = next(c for c in claims if c["type"] == "Vehicule")
    assert water_damage["nature"] == "Dégât des eaux"
    # the burst pipe just before shows on the water meter, not on the electricity one
    w = water_damage["water"]
    assert w["peak"] > 1000 and w["peak"] > 3 * w["usual"]   # the burst's day
    assert w["ratio"] > 1.5   # the fortnight before, burst included, against the usual level
    assert 0.5 < water_damage["electricity"]["ratio"] < 1.5
    assert car["water"]["ratio"] < 1.5
    assert len(s["series"]["water_l"]) == len(s["series"]["electricity_kwh"]) == 366


def test_live_app_shows_the_households_numbers(live_sandbox) -> None:
    app = APPS / "home-and-insurance"
    instance = live_sandbox.instance_for(WATER_DAMAGE)
    token = live_sandbox.install(instance, manifest_of(app))
    expected = json.loads(json.dumps(summary(WATER_DAMAGE)))
    with running_app(app, live_sandbox.url, token, instance) as base:
        assert get(base + "/health")[0] == 200
        status, body, ctype = get(base + "/api/summary")
        assert status == 200 and ctype.startswith("application/json")
        assert json.loads(body) == expected
        status, page, _ = get(base + "/")
        html = page.decode()
        assert status == 200 and "Dégât des eaux" in html and html.count("<svg") == 2
        total = f"{expected['total']:,.2f} €".replace(",", " ")
        assert total in html
        assert "http" not in html
    inst = live_sandbox.sb.instances.get(instance)
    journal = [r for r in live_sandbox.sb.journal.summary(inst.id)
               if r["client"] == "home-and-insurance"]
    declared = {r["type"] for r in manifest_of(app)["permissions"].values()}
    assert {r["doctype"] for r in journal} == declared
    assert all(r["denied"] == 0 and r["writes"] == 0 for r in journal)
