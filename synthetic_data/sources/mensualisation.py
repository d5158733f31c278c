"""EDF monthly payment (mensualisation): fixed instalments and a yearly regularisation bill.

How EDF bills a mensualised customer (``reference/realism-additions.md`` §8): at the contract's
anniversary a schedule (échéancier) is made from last year's consumption priced at the tariffs in
force that day, spread over 11 equal monthly instalments [B1][B4]; after the 11th, the meter is
read at the anniversary and a regularisation bill (facture de régularisation) charges the actual
cost of the billing year less the instalments, or refunds the difference [B1][B2].

What the household's Cozy receives, as EDF's konnector saved it (``konnectors/edf``
``src/index.js``: one ``io.cozy.bills`` per paid deadline of a MENS schedule, dated on its
encashment and worth its electricity plus gas amounts; one per facture, a negative one saved with
``isRefund``): one bill per instalment actually debited (electricity and gas together, the one
bank debit) and one per regularisation. A bill exists only when every date on it (issue, debit,
due date) is within the data; the schedule in ``org.fing.mesinfos.paymentterms`` is the current
billing year's, with its instalments still to come unpaid (as the kit shows them).

The data start at ``period.start`` but a billing year that began before must still be priced:
days before the data repeat the days a whole number of years later, their energy scaled by a
per-household year-to-year factor ("last year's consumption", lognormal, an assumption) and
repriced at the tariffs of their own date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period
from synthetic_data.invoices import InvoiceDetail, fr_amount, split_cents

# Reference price (€/kWh, or € of standing charge a day) in force on each of some days.
PriceOn = Callable[[np.ndarray], np.ndarray]


@dataclass
class Energy:
    """One energy's days as EDF prices them, over the data's days."""

    name: str                      # "electricity" or "gas"
    energy: np.ndarray             # euros of energy per day, at each day's tariff
    standing: np.ndarray           # euros of standing charge per day
    kwh_price: PriceOn             # a reference €/kWh on any days (to reprice)
    standing_price: PriceOn        # a reference standing charge on any days
    usage: dict[str, np.ndarray]   # quantities per day for the regularisation (consumptionWh…)
    lines: Callable[[dict[str, float], int, float, float], list[tuple[str, str, float]]]
    sigma: float                   # year-to-year lognormal spread of consumption


@dataclass
class BillingYear:
    start: date                    # contract anniversary (schedule made, instalments follow)
    end: date                      # next anniversary (meter read, regularisation), exclusive
    instalments: dict[str, int]    # whole euros per instalment, by energy
    debits: list[date]             # the 11 instalment debit dates
    cost: dict[str, float] = field(default_factory=dict)   # actual euros of the year, by energy
    usage: dict[str, dict[str, float]] = field(default_factory=dict)


def anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _month_day(first: date, months: int, day: int) -> date:
    m = first.month - 1 + months
    return date(first.year + m // 12, m % 12 + 1, day)


class _History:
    """Days from ``first`` to the period's end: each day before the data repeats the data's day
    ``m`` × 365 days later, scaled by ``factor ** m``."""

    def __init__(self, per: Period, first: date):
        self.per = per
        self.first = min(first, per.start)
        k = np.arange((self.first - per.start).days, per.n_days)
        self.m = np.where(k < 0, (-k + 364) // 365, 0)
        self.j = k + 365 * self.m
        self.days = np.datetime64(per.start, "D") + k

    def mask(self, a: date, b: date) -> np.ndarray:
        return (self.days >= np.datetime64(a, "D")) & (self.days < np.datetime64(b, "D"))

    def energy(self, e: Energy, factor: float) -> tuple[np.ndarray, np.ndarray]:
        """(energy euros, standing euros) per history day, each at its own day's tariff."""
        scale = factor ** self.m
        source = self.per.days[self.j]
        energy = e.energy[self.j] * scale * (e.kwh_price(self.days) / e.kwh_price(source))
        standing = e.standing[self.j] * (e.standing_price(self.days) / e.standing_price(source))
        return energy, standing


def billing_years(per: Period, contract_start: date, energies: list[Energy],
                  factors: dict[str, float]) -> list[BillingYear]:
    """Every billing year that overlaps the data, with its schedule and actual cost."""
    p = parameters.load("supplier")["edf"]
    n_inst = int(p["instalments_per_year"])
    k = 0
    while anniversary(contract_start, k + 1) <= per.start:
        k += 1
    first = anniversary(contract_start, k)
    hist = _History(per, first - timedelta(days=366))
    priced = {e.name: hist.energy(e, factors[e.name]) for e in energies}
    out = []
    while first < per.end:
        end = anniversary(contract_start, k + 1)
        last_year = hist.mask(first - timedelta(days=365), first)
        this_year = hist.mask(first, end)
        today = np.array([np.datetime64(first, "D")])
        inst, cost, usage = {}, {}, {}
        for e in energies:
            energy, standing = priced[e.name]
            # last year's energy at the tariffs of the day the schedule is made, plus a year of
            # the standing charge in force that day
            days = hist.days[last_year]
            reprice = e.kwh_price(today)[0] / e.kwh_price(days)
            standing_now = (standing[last_year][-1] * e.standing_price(today)[0]
                            / e.standing_price(days[-1:])[0])
            estimate = float((energy[last_year] * reprice).sum() + standing_now * 365)
            inst[e.name] = max(1, round(estimate / n_inst))
            cost[e.name] = float(energy[this_year].sum() + standing[this_year].sum())
            scale = factors[e.name] ** hist.m[this_year]
            usage[e.name] = {key: float((arr[hist.j[this_year]] * scale).sum())
                             for key, arr in e.usage.items()}
            usage[e.name]["energy_eur"] = float(energy[this_year].sum())
            usage[e.name]["standing_eur"] = float(standing[this_year].sum())
            usage[e.name]["days"] = float(this_year.sum())
        debits = [_month_day(first, i, int(p["payment_day"])) for i in range(1, n_inst + 1)]
        out.append(BillingYear(first, end, inst, debits, cost, usage))
        k += 1
        first = end
    return out


def _money(x: float) -> str:
    return f"{x:.2f}"


@dataclass
class Account:
    """Who is billed: the numbers every EDF bill carries."""

    client: str
    contract: str
    references: tuple[tuple[str, str], ...]


def bills(per: Period, years: list[BillingYear], energies: list[Energy], account: Account,
          details: dict) -> list[dict]:
    """The instalments debited and the regularisation bills issued within the data."""
    p = parameters.load("supplier")["edf"]
    last = per.end - timedelta(days=1)
    n_inst = int(p["instalments_per_year"])
    subtype = " and ".join(e.name for e in energies)
    out = []
    for y in years:
        common = {"vendor": p["vendor"], "type": "energy", "subtype": subtype,
                  "currency": "EUR", "periodStart": y.start.isoformat(),
                  "periodEnd": (y.end - timedelta(days=1)).isoformat(),
                  "contractNumber": account.contract, "clientId": account.client,
                  "balanceBeforeInvoice": _money(0.0)}
        per_debit = sum(y.instalments.values())
        for i, debit in enumerate(y.debits, start=1):
            if not per.start <= debit <= last:
                continue
            doc = {**common, "date": f"{debit.isoformat()}T00:00:00.000Z",
                   "amount": float(per_debit), "recurrence": "monthly",
                   "vendorRef": f"{account.contract}-E{debit:%Y%m}", "isRefund": False,
                   "number": f"{account.contract[-4:]}{debit:%Y%m}5",
                   "title": p["instalment_title"], "value": _money(per_debit),
                   "totalPaymentDue": _money(per_debit),
                   "paymentDueDate": debit.isoformat(), "scheduledPaymentDate": debit.isoformat(),
                   "instalmentNumber": i, "amountGas": 0.0,
                   **{_amount_key(e.name): float(y.instalments[e.name]) for e in energies}}
            lines = [(f"Échéance {i}/{n_inst} {_label(e.name)}", "",
                      float(y.instalments[e.name])) for e in energies]
            details[(p["vendor"], doc["vendorRef"])] = InvoiceDetail(
                split_cents(lines, per_debit), account.references, p["instalment_pdf_title"])
            out.append(doc)
        reg = _regularisation(y, energies, common, account, n_inst, details)
        if reg is not None and max(reg["date"][:10], reg["paymentDueDate"],
                                   reg["scheduledPaymentDate"]) <= last.isoformat():
            out.append(reg)
        elif reg is not None:
            details.pop((p["vendor"], reg["vendorRef"]), None)
    return out


def _amount_key(energy: str) -> str:
    return "amountElectricity" if energy == "electricity" else "amountGas"


def _label(energy: str) -> str:
    return "électricité" if energy == "electricity" else "gaz"


def _regularisation(y: BillingYear, energies: list[Energy], common: dict, account: Account,
                    n_inst: int, details: dict) -> dict | None:
    p = parameters.load("supplier")["edf"]
    issued = y.end + timedelta(days=int(p["regularisation_issue_days"]))
    parts: dict[str, float] = {}
    lines: list[tuple[str, str, float]] = []
    for e in energies:
        paid = n_inst * y.instalments[e.name]
        parts[e.name] = round(y.cost[e.name] - paid, 2)
        u = y.usage[e.name]
        lines += e.lines(u, int(u["days"]), u["energy_eur"], u["standing_eur"])
        lines.append((f"Échéances {_label(e.name)} déduites",
                      f"{n_inst} × {fr_amount(y.instalments[e.name])}", -float(paid)))
    signed = round(sum(parts.values()), 2)
    refund = signed < 0
    if refund:
        scheduled = issued + timedelta(days=int(p["refund_days"]))
        due = scheduled
    else:  # debited on its due date: within the [-15, +29] days cozy-banks matches a bill in
        due = issued + timedelta(days=int(p["payment_due_days"]))
        scheduled = due
    doc = {**common, "date": f"{issued.isoformat()}T00:00:00.000Z", "amount": abs(signed),
           "recurrence": "yearly", "vendorRef": f"{account.contract}-R{y.end:%Y%m}",
           "isRefund": refund, "number": f"{account.contract[-4:]}{y.end:%Y%m}7",
           "title": p["regularisation_title"], "value": _money(signed),
           "totalPaymentDue": _money(signed), "paymentDueDate": due.isoformat(),
           "scheduledPaymentDate": scheduled.isoformat(), "amountGas": 0.0,
           **{_amount_key(e): v for e, v in parts.items()}}
    for e in energies:
        for key in e.usage:
            total = y.usage[e.name][key]
            doc[key] = round(total) if key != "volumeM3" else round(total, 2)
    details[(p["vendor"], doc["vendorRef"])] = InvoiceDetail(
        split_cents(lines, signed), account.references)
    return doc


def schedule(per: Period, years: list[BillingYear], energies: list[Energy]) -> list[dict]:
    """``paymentSchedules``: the current billing year's instalments (the last one that began
    within the data, else the one running at its start), paid up to the data's last day."""
    last = per.end - timedelta(days=1)
    current = [y for y in years if y.start <= last][-1]
    rows = []
    for i, debit in enumerate(current.debits, start=1):
        paid = debit <= last
        amounts = {_amount_key(e.name): current.instalments[e.name] for e in energies}
        rows.append({"number": i, "receiptDate": debit.isoformat() if paid else None,
                     "scheduleDate": debit.isoformat(), "paid": paid,
                     "amount": sum(amounts.values()),
                     "amountGas": amounts.get("amountGas", 0),
                     "amountElectricity": amounts["amountElectricity"]})
    return rows

