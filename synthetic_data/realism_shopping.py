"""Shopping figures for ``selfdata realism``: receipts, grocery spend, parcels.

From the till receipts (``org.selfdata.receipt``) and La Poste parcels
(``org.selfdata.laposte.parcel``), as an analyst would read them. Consumption units come from the
manifest's occupant count (no ages there): 1 + 0.4 per other occupant, between INSEE's 0.5 for a
person aged 14+ and 0.3 for a child (approximation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

RECEIPT = "org.selfdata.receipt"
PARCEL = "org.selfdata.laposte.parcel"


@dataclass
class Shopping:
    totals: list[float] = field(default_factory=list)          # every receipt's total
    big_items: list[int] = field(default_factory=list)         # articles per main shop
    topup_items: list[int] = field(default_factory=list)       # articles per top-up
    spend_per_unit: list[float] = field(default_factory=list)  # € per consumption unit-year
    parcels_month: list[float] = field(default_factory=list)   # per household with parcels
    avise: list[int] = field(default_factory=lambda: [0, 0])   # parcels with AG1, attempted


def measure_household(acc: Shopping, hh: dict, files: dict[str, list[dict]], days: int) -> None:
    receipts = files.get(RECEIPT, [])
    for r in receipts:
        acc.totals.append(float(r["total"]))
        (acc.big_items if r["kind"] == "main" else acc.topup_items).append(int(r["itemCount"]))
    if receipts:
        units = 1.0 + 0.4 * max(int(hh.get("occupants", 1)) - 1, 0)
        acc.spend_per_unit.append(sum(float(r["total"]) for r in receipts) / units
                                  * 365.25 / days)
    parcels = files.get(PARCEL, [])
    if parcels:
        acc.parcels_month.append(len(parcels) / (days / 30.44))
    for p in parcels:
        codes = {e["code"] for e in p["event"]}
        if "MD2" in codes:
            acc.avise[0] += "AG1" in codes
            acc.avise[1] += 1


def figures(acc: Shopping) -> dict[str, tuple[str, list[float], int]]:
    """Metric name → (source, values to average, sample size)."""
    n_hh = len(acc.spend_per_unit)
    share = [acc.avise[0] / acc.avise[1]] if acc.avise[1] else []
    return {
        "receipt_mean_eur": ("Shopping", acc.totals, n_hh),
        "items_per_main_shop": ("Shopping", acc.big_items, n_hh),
        "items_per_topup": ("Shopping", acc.topup_items, n_hh),
        "grocery_receipts_eur_per_unit_year": ("Shopping", acc.spend_per_unit, n_hh),
        "parcels_per_ordering_household_month": ("Shopping", acc.parcels_month,
                                                 len(acc.parcels_month)),
        "parcels_avise_share": ("Shopping", share, acc.avise[1]),
    }
