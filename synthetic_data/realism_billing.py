"""Billing figures for ``selfdata realism``: EDF mensualisation and MAIF premiums as contracts say.

From ``io.cozy.bills``: EDF instalments (title ECHEANCE) grouped by billing year (``periodStart``)
must be equal within a year and eleven to a year; a regularisation (FACTURE_REGUL_ECHEANCIER)
closes each year, its signed amount against the year's cost; MAIF premiums are called on
1 January (yearly) or the 1st of a month (monthly). Every document of every doctype is swept for
dates after the data's last day, except forecasts and periods paid in advance (``ALLOWED_AFTER``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

BILLS = "io.cozy.bills"
INSTALMENT = "ECHEANCE"
REGULARISATION = "FACTURE_REGUL_ECHEANCIER"
PARIS = ZoneInfo("Europe/Paris")

# Field paths (doctype, dotted path, [] for array items) whose dates may lie after the data's end:
# forecasts made at the end, and the end of what a payment made in advance covers.
ALLOWED_AFTER = {
    ("org.fing.mesinfos.paymentterms", "nextBillDate"): "the coming regularisation (forecast)",
    ("org.fing.mesinfos.paymentterms", "paymentSchedules[].scheduleDate"):
        "instalments still to come, unpaid, as the kit lists them",
    ("org.fing.mesinfos.contract", "statement.prochaineReleve"): "the next meter reading",
    ("org.fing.mesinfos.contract", "statement.prochaineDateFermetureReelle"):
        "the next reading window's close",
    ("io.cozy.bills", "periodEnd"): "the billing year an EDF instalment pays towards, or the "
                                    "time a MAIF premium covers",
}
# Exclusive ends of intervals may equal the data's end (midnight after its last day); a gas day
# runs 06:00 to 06:00 and is dated by its start (GRDF, the kit), so the data's last gas day ends
# at 06:00 the morning after.
EXCLUSIVE_ENDS = {"end", "end_measurement_period"}
GAS_DAY_HOURS = 6

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
                   r"(Z|[+-]\d{2}:\d{2})?)?")
_FRENCH = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def _moment(text: str) -> datetime | None:
    """A date or date-time string as a local (Paris) naive date-time, None if it is neither."""
    m = _DATE.fullmatch(text)
    if m:
        y, mo, d, hh, mm, ss, tz = m.groups()
        try:
            t = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
        except ValueError:
            return None
        if tz:
            offset = timedelta(0) if tz == "Z" else (
                timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])) * (1 if tz[0] == "+" else -1))
            t = (t - offset).replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS).replace(tzinfo=None)
        return t
    m = _FRENCH.fullmatch(text)
    if m:
        try:
            return datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    return None


def _walk(x: object, path: str = ""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _walk(v, f"{path}.{k}" if path else k)
    elif isinstance(x, list):
        for v in x:
            yield from _walk(v, path + "[]")
    elif isinstance(x, str) and len(x) >= 10 and x[:1].isdigit():
        yield path, x


def after_end(doctype: str, doc: dict, end: date) -> list[tuple[str, str]]:
    """(path, value) of every date in ``doc`` after the data's end (``end`` exclusive), but the
    allowed forecasts; unpaid schedule rows only are forecasts."""
    limit = datetime.combine(end, datetime.min.time())
    out = []
    for path, value in _walk(doc):
        t = _moment(value)
        if t is None or t < limit:
            continue
        leaf = path.rsplit(".", 1)[-1].rstrip("[]")
        if leaf in EXCLUSIVE_ENDS and (t == limit or (
                t == limit + timedelta(hours=GAS_DAY_HOURS) and doc.get("statementCategory")
                == "gazpar" and str(doc.get("start", "")).endswith("T06:00:00"))):
            continue
        if (doctype, path) in ALLOWED_AFTER:
            if path.startswith("paymentSchedules[]"):
                if any(r.get("scheduleDate") == value and not r.get("paid")
                       for r in doc.get("paymentSchedules", [])):
                    continue
            else:
                continue
        out.append((path, value))
    return out


@dataclass
class Billing:
    instalment_ratio: list[float] = field(default_factory=list)   # max/min within a year
    instalments_per_year: list[int] = field(default_factory=list)  # closed years only
    regularisation_share: list[float] = field(default_factory=list)  # |regul| / year's cost
    refunds: list[int] = field(default_factory=lambda: [0, 0])      # refunds, regularisations
    schedule_mismatch: int = 0     # paid schedule rows without the same instalment bill
    maif_due: list[int] = field(default_factory=lambda: [0, 0])     # on 1 Jan / the 1st, all
    maif_paid_after: int = 0       # premiums called after the period they cover began
    after_end: int = 0             # documents with a date after the data's end
    examples: list[str] = field(default_factory=list)


def measure_household(acc: Billing, files: dict[str, list[dict]], end: date) -> None:
    for doctype, docs in files.items():
        for doc in docs:
            bad = after_end(doctype, doc, end)
            if bad:
                acc.after_end += 1
                if len(acc.examples) < 5:
                    acc.examples.append(f"{doctype} {bad[0][0]}={bad[0][1]}")
    bills = files.get(BILLS, [])
    _edf(acc, [b for b in bills if b.get("vendor") == "EDF"],
         files.get("org.fing.mesinfos.paymentterms", []))
    for b in bills:  # premiums (an amendment for a car bought mid-year is billed that day)
        if b.get("vendor") == "MAIF" and "-AV" not in b.get("vendorRef", ""):
            due = date.fromisoformat(b["date"][:10])
            months = 12 if b.get("recurrence") == "yearly" else 1
            acc.maif_due[0] += due.day == 1 and (months == 1 or due.month == 1)
            acc.maif_due[1] += 1
            acc.maif_paid_after += b.get("periodStart", b["date"][:10]) < b["date"][:10]


def _edf(acc: Billing, bills: list[dict], terms: list[dict]) -> None:
    years: dict[str, list[dict]] = defaultdict(list)
    regul: dict[str, dict] = {}
    for b in bills:
        if b.get("title") == INSTALMENT:
            years[b["periodStart"]].append(b)
        elif b.get("title") == REGULARISATION:
            regul[b["periodStart"]] = b
    for start, inst in years.items():
        amounts = [float(b["amount"]) for b in inst]
        acc.instalment_ratio.append(max(amounts) / min(amounts) if min(amounts) > 0 else 0.0)
        ranks = sorted(int(b.get("instalmentNumber", 0)) for b in inst)
        if start in regul and ranks == list(range(ranks[0], ranks[-1] + 1)):
            # a closed year: its last instalment's rank is how many there were, all equal (the
            # ones before the data too: one schedule), so they paid that many times the amount
            acc.instalments_per_year.append(ranks[-1])
            paid = ranks[-1] * amounts[0]
            r = regul[start]
            signed = -float(r["amount"]) if r.get("isRefund") else float(r["amount"])
            cost = paid + signed
            if cost > 0:
                acc.regularisation_share.append(abs(signed) / cost)
    for r in regul.values():
        acc.refunds[0] += bool(r.get("isRefund"))
        acc.refunds[1] += 1
    debits = {(b["date"][:10], round(float(b["amount"]), 2)) for b in bills
              if b.get("title") == INSTALMENT}
    for doc in terms:
        for row in doc.get("paymentSchedules", []):
            if row.get("paid") and (row["scheduleDate"], float(row["amount"])) not in debits:
                acc.schedule_mismatch += 1

