"""A car bought during the period: one latent fact that the insurer, the bank, the fuel
payments and the ground truth all show, on the same day."""

from __future__ import annotations

from datetime import date

import pytest

from synthetic_data.household import Household
from synthetic_data.timeline import Timeline
from tests.support.households import docs_of, household, indices_where

BILLS = "io.cozy.bills"
OPS = "io.cozy.bank.operations"


def buys_a_car(hh: Household, tl: Timeline) -> bool:
    """buys a second car during the period"""
    return any(since >= tl.period.start for since in hh.cars_since)


@pytest.fixture(scope="module", params=indices_where(buys_a_car, 3))
def bought(request):
    data = household(request.param)
    hh = data.household
    k = next(k for k, s in enumerate(hh.cars_since) if s >= data.timeline.period.start)
    return data, hh.cars[k], hh.cars_since[k]


def test_the_ground_truth_dates_the_purchase(bought):
    data, plate, day = bought
    events = docs_of(data, "org.selfdata.groundtruth.event", kind="new_car")
    assert [(e["start"], e["details"]["plate"]) for e in events] == [(day.isoformat(), plate)]
    assert "io.cozy.bank.operations" in events[0]["affects"]


def test_the_insurer_covers_the_car_from_that_day_and_bills_the_rest_of_the_year(bought):
    data, plate, day = bought
    contracts = [c for doc in docs_of(data, "fr.maif.maifuser.contrat") for c in doc["contrat"]
                 if plate in [v["immatriculationVehicule"]
                              for v in c.get("objects", {}).get("vehicule", [])]]
    assert len(contracts) == 1 and contracts[0]["startDate"][:10] == day.isoformat()
    amendment = [b for b in docs_of(data, BILLS, vendor="MAIF") if "-AV" in b["vendorRef"]]
    assert len(amendment) == 1 and amendment[0]["date"][:10] == day.isoformat()
    assert amendment[0]["periodEnd"] == f"{day.year}-12-31" and amendment[0]["amount"] > 0
    # it is debited like every premium: same cents, same day
    debit = [o for o in docs_of(data, OPS) if o["date"][:10] == day.isoformat()
             and o["amount"] == -amendment[0]["amount"]]
    assert len(debit) == 1 and "MAIF" in debit[0]["label"]


def test_the_bank_shows_the_deposit_then_the_loan_from_the_next_month(bought):
    data, plate, day = bought
    ops = docs_of(data, OPS)
    deposit = [o for o in ops if o["cozyCategoryId"] == "400205"]
    assert len(deposit) == 1 and deposit[0]["date"][:10] == day.isoformat()
    assert plate in deposit[0]["originalBankLabel"] and deposit[0]["amount"] < 0
    loan = sorted(o["date"][:10] for o in ops if o["cozyCategoryId"] == "400210")
    assert loan and loan[0][:7] > day.isoformat()[:7]
    assert len({d[:7] for d in loan}) == len(loan)  # one instalment a month
    last = data.timeline.period.end
    months_after = (last.year - day.year) * 12 + last.month - day.month - 1
    assert len(loan) == months_after


def test_no_fuel_is_bought_for_the_new_car_before_it_exists(bought):
    data, _, day = bought
    assert len(data.household.cars) == 2  # the household already had one
    fuel = [date.fromisoformat(o["realisationDate"][:10]) for o in docs_of(data, OPS)
            if o["cozyCategoryId"] == "400250"]
    before = [d for d in fuel if d < day]
    after = [d for d in fuel if d >= day]
    # two cars after the purchase: more fills a day than before it
    assert before and after
    assert len(after) / max((data.timeline.period.end - day).days, 1) > \
        len(before) / max((day - data.timeline.period.start).days, 1)


def test_no_claim_involves_the_car_before_it_was_bought(bought):
    data, plate, day = bought
    for e in data.timeline.events:
        if e.kind == "claim" and e.details.get("plate") == plate:
            assert e.start >= day
