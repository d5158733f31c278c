"""Public transport and Orange bill figures for ``selfdata realism``.

From the documents a contestant sees: TCL validations (who commutes with a monthly pass, how many
validations a commuter makes on a working day), the MAIF household file (who works, where the
household lives) and Orange's bills (the mean mobile bill per line and month, the box's bill).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import Period, utc_offset_minutes

VALIDATION = "org.selfdata.transport.validation"
FOYER = "fr.maif.maifuser.foyer"
CALLS = "fr.orange.phonecommunicationlog"
BILLS = "io.cozy.bills"
TRUTH = "org.selfdata.groundtruth.event"


@dataclass
class Transport:
    workers: list[int] = field(default_factory=lambda: [0, 0])   # commuting by TCL, workers
    per_working_day: list[float] = field(default_factory=list)   # per commuter
    mobile_per_line: list[float] = field(default_factory=list)   # per bill: euros / lines
    box: list[float] = field(default_factory=list)               # per internet bill


def _working_days(period: Period, events: list[dict]) -> int:
    """Weekdays of the period that are not public holidays nor inside a vacation."""
    away = np.zeros(period.n_days, dtype=bool)
    for e in (e for e in events if e.get("kind") == "vacation"):
        a = (date.fromisoformat(e["start"]) - period.start).days
        b = (date.fromisoformat(e["end"]) - period.start).days
        away[max(0, a):max(0, b + 1)] = True
    return int(((period.weekday < 5) & ~period.public_holiday & ~away).sum())


def measure_household(acc: Transport, files: dict[str, list[dict]], period: Period) -> None:
    _commuters(acc, files, period)
    lines = len({d["msisdn"] for d in files.get(CALLS, [])})
    for bill in files.get(BILLS, []):
        if bill.get("vendor") != "Orange":
            continue
        if bill.get("subtype") == "mobile" and lines:
            acc.mobile_per_line.append(bill["amount"] / lines)
        elif bill.get("subtype") == "internet":
            acc.box.append(bill["amount"])


def _commuters(acc: Transport, files: dict[str, list[dict]], period: Period) -> None:
    c = parameters.load("transport")["commute"]
    working = set(parameters.load("household")["professions"]["codes"])
    foyer = files.get(FOYER, [])
    if not foyer or foyer[0]["foyer"]["address"].get("inseeCode") not in c["city_communes"]:
        return
    names = {f"{m['name']['given']} {m['name']['family']}".upper()
             for m in foyer[0]["foyer"]["membres"]
             if m.get("codeProfessionSocietaire") in working}
    passes = [d for d in files.get(VALIDATION, []) if d["productId"] == "monthly_pass"]
    commuters = {d["cardHolder"].upper() for d in passes} & names
    acc.workers[0] += len(commuters)
    acc.workers[1] += len(names)
    days = _working_days(period, files.get(TRUTH, []))
    for who in commuters:
        t = np.array([d["timestamp"][:-1] for d in passes if d["cardHolder"].upper() == who],
                     dtype="datetime64[s]")
        local = (t + utc_offset_minutes(t) * np.timedelta64(1, "m")).astype("datetime64[D]")
        weekday = (local.astype(np.int64) + 3) % 7 < 5
        if days:
            acc.per_working_day.append(float(weekday.sum()) / days)


def figures(acc: Transport) -> dict[str, tuple[str, list[float], int]]:
    """(source, values, n) per mean metric; the commuting share is a count (``acc.workers``)."""
    return {
        "tcl_validations_per_commuter_working_day": (
            "Transport", acc.per_working_day, len(acc.per_working_day)),
        "orange_mobile_bill_per_line_month_eur": (
            "Orange", [float(np.mean(acc.mobile_per_line))] if acc.mobile_per_line else [],
            len(acc.mobile_per_line)),
        "orange_box_bill_month_eur": (
            "Orange", [float(np.mean(acc.box))] if acc.box else [], len(acc.box)),
    }
