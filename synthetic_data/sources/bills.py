"""``io.cozy.bills`` of vendors that bill after the fact: one bill per billing period, issued
four days after it ends, and only when that is within the data (a period that ends with the data
is billed after it: that bill is not there yet). EDF (mensualisation) and MAIF (premiums called in
advance) write their own bills.

A source may also say what each bill's PDF prints (``lines``: the priced lines, ``references``:
PDL, line numbers...); they are left in ``ctx.shared[INVOICE_DETAILS]`` for the Drive step
(``synthetic_data/drive.py``) and never change the bill document itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch
from synthetic_data.invoices import INVOICE_DETAILS, InvoiceDetail, split_cents
from synthetic_data.ledger import publish_bill

# What a bill's PDF lists for one billing period: (label, quantity as printed, euros unrounded).
Lines = Callable[[np.ndarray, date, date], list[tuple[str, str, float]]]

BILLS = "io.cozy.bills"


def billing_periods(start: date, end: date, months: int) -> list[tuple[date, date]]:
    """Consecutive periods of ``months`` calendar months starting on the 1st, clipped to
    [start, end); the last day of each period is exclusive."""
    out = []
    first = date(start.year, start.month, 1)
    while first < end:
        m = first.month - 1 + months
        nxt = date(first.year + m // 12, m % 12 + 1, 1)
        a, b = max(first, start), min(nxt, end)
        if b > a:
            out.append((a, b))
        first = nxt
    return out


def periodic_bills(ctx: SourceContext, *, months: int, vendor: str, bill_type: str,
                   amounts: Callable[[np.ndarray], float], contract: str,
                   extra: Callable[[date, date, float], dict] | None = None,
                   lines: Lines | None = None,
                   references: tuple[tuple[str, str], ...] = (), source: str,
                   debit_days: int = 0, dated_by_debit: bool = False,
                   title: str = "") -> Batch:
    """Bills for each billing period inside the household's period that are issued by its last
    day.

    ``amounts(mask)`` gets a boolean mask over the period's days and returns the euros due;
    ``lines(mask, first, last)`` (optional) splits them for the PDF, rounded so that they add up
    to the bill's amount. Each bill's direct debit (``debit_days`` after the issue date) goes to
    the household's ledger for the bank, published as ``source``. With ``dated_by_debit`` the
    bill's ``date`` is that debit day (as Orange's konnector saves it, crossing-sources §1.4),
    also given as ``scheduledPaymentDate``, and a bill debited after the data is not there yet.
    """
    details = ctx.shared.setdefault(INVOICE_DETAILS, {})
    days = ctx.period.days
    docs = []
    for a, b in billing_periods(ctx.period.start, ctx.period.end, months):
        issued = b + timedelta(days=4)
        debit = issued + timedelta(days=debit_days)
        if (debit if dated_by_debit else issued) >= ctx.period.end:
            continue
        mask = (days >= np.datetime64(a, "D")) & (days < np.datetime64(b, "D"))
        amount = round(float(amounts(mask)), 2)
        doc = {
            "vendor": vendor,
            "type": bill_type,
            "date": f"{(debit if dated_by_debit else issued).isoformat()}T00:00:00.000Z",
            "amount": amount,
            "currency": "EUR",
            "recurrence": {1: "monthly", 2: "bi-monthly", 12: "yearly"}.get(months, "quarterly"),
            "periodStart": a.isoformat(),
            "periodEnd": (b - timedelta(days=1)).isoformat(),
            "contractNumber": contract,
            "vendorRef": f"{contract}-{a.strftime('%Y%m')}",
            "isRefund": False,
        }
        if dated_by_debit:
            doc["scheduledPaymentDate"] = debit.isoformat()
        if extra:
            doc.update(extra(a, b, amount))
        if lines or references:
            parts = lines(mask, a, b - timedelta(days=1)) if lines else [
                ("Montant de la période", "", amount)]
            details[(vendor, doc["vendorRef"])] = InvoiceDetail(split_cents(parts, amount),
                                                                references, title)
        publish_bill(ctx, doc, source=source, day=debit)
        docs.append(doc)
    return Batch.from_dicts(BILLS, docs)
