"""Bank figures for ``selfdata realism``: pay, rent, mortgages, statement volume, spending shares,
and the coherence checks (every bill finds its debit by cozy-banks' rules; no deep overdraft).

Read from ``io.cozy.bank.operations`` and ``io.cozy.bank.accounts`` by category id (cozy-banks'
tree): 200110 pay, 401020 rent, 401010 mortgage, 400110 groceries. The housing share is judged
only on households whose statement carries groceries (the shopping source): without them the
spending it divides by is not the household's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic_data.calendar_fr import Period

OPERATIONS = "io.cozy.bank.operations"
ACCOUNTS = "io.cozy.bank.accounts"
BILLS = "io.cozy.bills"
HEALTH = {"400610", "400620"}
# cozy-banks brands.json regexes of our bills' vendors; other vendors match as \b<vendor>\b.
BRANDS = {"EDF": r"\bedf\b", "Orange": r"\borange\b", "MAIF": r"\bmaif\b"}
# Housing as INSEE counts it (rent, charges, energy, water; no mortgage repayment [I2]).
HOUSING = {"401020", "401030", "401070", "401080"}
# Not consumption: moves between accounts, taxes, loan capital, savings, credit-card totals.
NOT_SPENDING = ("600", "4005", "401010")

UNLINKED = "bills without their debit by cozy-banks' matching rules"
OVERDRAWN = "bank accounts over 2,000 € overdrawn on some day"


@dataclass
class Bank:
    salaries: list[float] = field(default_factory=list)   # mean monthly pay per payer
    rent_per_m2: list[float] = field(default_factory=list)
    housing_share: list[float] = field(default_factory=list)
    ops_per_month: list[float] = field(default_factory=list)
    mortgage: list[int] = field(default_factory=lambda: [0, 0])  # with a loan, owners
    unlinked: int = 0
    bills: int = 0
    overdrawn: int = 0
    accounts: int = 0


def _day(iso: str) -> date:
    return date.fromisoformat(iso[:10])


def linked(bill: dict, ops: list[dict]) -> bool:
    """cozy-banks' Linker finds a debit (or a refund's credit) for ``bill``: label regex, amount
    within 0.001, date in [bill − 15 d, + 29 d], not a health category."""
    refund = bool(bill.get("isRefund"))
    target = bill["amount"] if refund else -bill["amount"]
    when = _day(bill["date"])
    vendor = bill["vendor"]
    regex = re.compile(BRANDS.get(vendor, rf"\b{re.escape(vendor)}\b"), re.IGNORECASE)
    lo, hi = when - timedelta(days=15), when + timedelta(days=29)
    return any((op["amount"] > 0) == refund and abs(op["amount"] - target) <= 0.001
               and lo <= _day(op.get("realisationDate") or op["date"]) <= hi
               and op.get("cozyCategoryId") not in HEALTH and regex.search(op["label"])
               for op in ops)


def measure_household(acc: Bank, hh: dict, files: dict[str, list[dict]], period: Period) -> None:
    ops = files.get(OPERATIONS, [])
    accounts = files.get(ACCOUNTS, [])
    if not accounts:
        return
    checking = next((a["_id"] for a in accounts if a["type"] == "Checkings"), None)
    months = period.n_days / 30.44
    acc.ops_per_month.append(sum(o["account"] == checking for o in ops) / months)
    by_cat: dict[str, list[float]] = {}
    for o in ops:
        by_cat.setdefault(o["cozyCategoryId"], []).append(o["amount"])
    pays: dict[str, list[float]] = {}  # by payer: one person's pay (a new job: a new payer)
    for o in ops:
        if o["cozyCategoryId"] == "200110":
            pays.setdefault(o["label"], []).append(o["amount"])
    acc.salaries.extend(float(np.mean(v)) for v in pays.values())
    rent = by_cat.get("401020", [])
    if rent and hh.get("surface"):
        acc.rent_per_m2.append(-float(np.median(rent)) / float(hh["surface"]))
    elif not rent:
        acc.mortgage[0] += bool(by_cat.get("401010"))
        acc.mortgage[1] += 1
    if by_cat.get("400110"):
        spending = -sum(a for cat, amounts in by_cat.items() for a in amounts
                        if a < 0 and not cat.startswith(NOT_SPENDING))
        housing = -sum(a for cat in HOUSING for a in by_cat.get(cat, []) if a < 0)
        if spending > 0:
            acc.housing_share.append(housing / spending)
    end = period.end
    for bill in files.get(BILLS, []):
        if _day(bill["date"]) + timedelta(days=30) >= end or bill["amount"] == 0:
            continue  # may be debited after the data's end
        acc.bills += 1
        acc.unlinked += not linked(bill, ops)
    for a in accounts:
        acc.accounts += 1
        cents = sum(round(o["amount"] * 100) for o in ops if o["account"] == a["_id"])
        # the opening balance is the end balance less every operation; from it, the day-by-day
        # balance must never run deep into overdraft
        opening = round(a["balance"] * 100) - cents
        running = opening + np.cumsum([round(o["amount"] * 100) for o in ops
                                       if o["account"] == a["_id"]])
        acc.overdrawn += bool(running.size and running.min() < -200_000)


def figures(acc: Bank) -> dict[str, tuple[str, list[float], int]]:
    """(source, values, n) per metric name; a single value is a population figure."""
    s = acc.salaries
    return {
        "bank_salary_credit_median": ("Bank", [float(np.median(s))] if s else [], len(s)),
        "bank_salary_credit_mean": ("Bank", [float(np.mean(s))] if s else [], len(s)),
        "bank_rent_per_m2_mean": ("Bank", acc.rent_per_m2, len(acc.rent_per_m2)),
        "bank_operations_per_month": ("Bank", acc.ops_per_month, len(acc.ops_per_month)),
        "bank_housing_share_of_spending": ("Bank", acc.housing_share, len(acc.housing_share)),
    }


def checks(acc: Bank) -> dict[str, tuple[int, str]]:
    """Coherence checks that must be 0: (count, unit) per check."""
    return {UNLINKED: (acc.unlinked, f"bills, of {acc.bills} debited within the data"),
            OVERDRAWN: (acc.overdrawn, f"accounts, of {acc.accounts}")}
