"""Bank realism figures: bills found by cozy-banks' rules, pay, rent and overdraft measured."""

from synthetic_data.population import describe
from synthetic_data.realism_bank import (
    OVERDRAWN,
    UNLINKED,
    Bank,
    checks,
    figures,
    measure_household,
)
from tests.support.households import YEAR, docs_of, first_index, household

DOCTYPES = ("io.cozy.bank.operations", "io.cozy.bank.accounts", "io.cozy.bills")


def _renter_who_works(hh, tl) -> bool:
    """a renter with a working member"""
    return not hh.dwelling.owner and any(m.works for m in hh.members)


def _files(index: int) -> tuple[dict, dict]:
    data = household(index)
    return describe(data), {t: docs_of(data, t) for t in DOCTYPES}


def test_a_generated_household_has_every_bill_linked_and_its_pay_and_rent_measured():
    hh, files = _files(first_index(_renter_who_works))
    acc = Bank()
    measure_household(acc, hh, files, YEAR)
    assert checks(acc)[UNLINKED][0] == 0 and acc.bills >= 12
    assert checks(acc)[OVERDRAWN][0] == 0 and acc.accounts == 2
    fig = figures(acc)
    assert 1000 < fig["bank_salary_credit_median"][1][0] < 10_000
    assert 3 < fig["bank_rent_per_m2_mean"][1][0] < 40
    assert acc.mortgage == [0, 0]  # a renter is no owner


def test_a_debit_off_by_a_cent_or_a_deep_overdraft_is_caught():
    hh, files = _files(first_index(_renter_who_works))
    ops = [dict(o) for o in files["io.cozy.bank.operations"]]
    debit = next(o for o in ops if o["label"] == "EDF" or o["label"] == "MAIF")
    debit["amount"] = round(debit["amount"] - 0.01, 2)
    checking = next(a for a in files["io.cozy.bank.accounts"] if a["type"] == "Checkings")
    # a 50,000 € debit on the first day paid back on the last: the balance is unchanged
    # but the history runs deep into overdraft
    moves = ((-50_000.0, "2024-01-01"), (50_000.0, "2024-12-31"))
    gap = [{"account": checking["_id"], "amount": a, "date": d, "label": "X",
            "cozyCategoryId": "0"} for a, d in moves]
    acc = Bank()
    measure_household(acc, hh, {**files, "io.cozy.bank.operations": gap[:1] + ops + gap[1:]}, YEAR)
    assert checks(acc)[UNLINKED][0] == 1 and checks(acc)[OVERDRAWN][0] == 1
