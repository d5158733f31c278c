"""Budget's analysis: pure functions of the documents, no I/O.

- the household's spending on energy, water, phone/internet and insurance per month and per year,
  from the bank operations, by the category cozy-banks shows (:func:`category_of`);
- each bill against its debit, by cozy-banks' bill matching rules (its "Linker"):
  :func:`match_bills`;
- for water, electricity and gas, what the bills imply per m³ or per kWh against the meter
  readings, with the bills that disagree flagged: :func:`unit_costs`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import date, timedelta

# cozy-banks category ids (its categories/tree.json) grouped into the app's four budget lines
GROUPS: dict[str, tuple[str, ...]] = {
    "energy": ("401080",),             # Électricité, gaz, chauffage
    "water": ("401070",),              # Eau
    "phone": ("400150",),              # Internet, TV, télécom
    "insurance": ("401040", "400230"),  # Assurance habitation, assurance véhicule
}
GROUP_OF = {c: g for g, cats in GROUPS.items() for c in cats}
HEALTH = ("400610", "400620")  # a non-health bill never matches an operation in these
COZY_PROBA = 0.15  # cozy-banks shows cozyCategoryId only above this probability

# bill matching defaults (cozy-banks docs/bills-matching.md)
AMOUNT_DELTA = 0.001
DAYS_BEFORE, DAYS_AFTER = 15, 29
# brand regexps of the vendors in the data (cozy-banks brands.json); other vendors fall back to
# the vendor's own name between word boundaries
BRANDS = {"orange": r"\borange\b", "sosh": r"\bsosh\b", "edf": r"\bedf\b", "engie": r"\bengie\b",
          "maif": r"\bmaif\b", "veolia": r"\bveolia\b"}

# a bill's difference with what the meter implies that is still agreement: rounding of the
# readings and of the bill's lines (1 €), or 2 % of the bill
TOLERANCE_EUR, TOLERANCE_SHARE = 1.0, 0.02


def category_of(op: dict) -> str | None:
    """The category cozy-banks shows for an operation (cozy-libs ``getCategoryId``): the user's
    choice, else the global model's when it is more than 15 % sure, else the bank's; None while
    neither model has run on it ("catégorisation en cours"). The local model only counts behind
    a flag that is off by default, so it is left out."""
    if op.get("manualCategoryId"):
        return str(op["manualCategoryId"])
    cozy = op.get("cozyCategoryId")
    if cozy is not None and (op.get("cozyCategoryProba") or 0) > COZY_PROBA:
        return str(cozy)
    if cozy is None and op.get("localCategoryId") is None:
        return None
    auto = op.get("automaticCategoryId")
    return str(auto) if auto is not None else None


def op_day(op: dict) -> date:
    """The day the account moved (``date``), the day cozy-banks files a checking account's
    operation under."""
    return date.fromisoformat(str(op["date"])[:10])


def _match_day(op: dict) -> date:
    return date.fromisoformat(str(op.get("realisationDate") or op["date"])[:10])


def spending(ops: list[dict]) -> dict:
    """Σ spending (debits positive, refunds negative) per budget line, per month and per year."""
    months: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(GROUPS, 0.0))
    years: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(GROUPS, 0.0))
    counted, awaiting = 0, 0
    for op in ops:
        cat = category_of(op)
        if cat is None:
            awaiting += 1
            continue
        group = GROUP_OF.get(cat)
        if group is None:
            continue
        counted += 1
        d = op_day(op)
        spent = -float(op["amount"])
        months[f"{d:%Y-%m}"][group] += spent
        years[f"{d:%Y}"][group] += spent

    def rounded(table: dict) -> dict:
        return {k: {g: round(v, 2) for g, v in table[k].items()} for k in sorted(table)}

    return {"months": rounded(months), "years": rounded(years), "operations": counted,
            "awaiting": awaiting,
            "total": round(sum(sum(v.values()) for v in years.values()), 2)}


# ---- bills against debits (cozy-banks' Linker) ---------------------------------------------------

def _fold(text: str) -> str:
    """Lower case without accents: bank labels often drop them ("SOCIETE DES EAUX")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))


def label_pattern(bill: dict) -> re.Pattern[str]:
    """The regexp an operation's ``label`` must match: the bill's own, else the brand's, else
    the vendor between word boundaries (case and accents ignored)."""
    own = (bill.get("matchingCriterias") or {}).get("labelRegex")
    vendor = str(bill.get("vendor", ""))
    text = own or BRANDS.get(_fold(vendor)) or rf"\b{re.escape(_fold(vendor))}\b"
    return re.compile(_fold(text), re.IGNORECASE)


def _bill_day(bill: dict) -> date:
    refund = bool(bill.get("isRefund"))
    return date.fromisoformat(str(bill["date"] if refund else
                                  bill.get("originalDate") or bill["date"])[:10])


def _target(bill: dict) -> float:
    if bill.get("isRefund"):
        return float(bill.get("groupAmount") or bill["amount"])
    return -float(bill.get("originalAmount") or bill["amount"])


def match_bills(bills: list[dict], ops: list[dict]) -> dict:
    """Each bill's operation by cozy-banks' rules: a debit (a credit for a refund) of the bill's
    amount to 0.001 €, dated 15 days before to 29 days after the bill, whose label names the
    vendor, not a health operation nor an uncategorised one; the closest (0.7 × days + 0.3 × €)
    wins, and an operation settles one bill. Bills paid by a third party are skipped, as the
    Linker does. Debits of the four budget lines that no bill claims are listed too."""
    used: set[str] = set()
    matched, unmatched = [], []
    for bill in sorted(bills, key=lambda b: (str(b["date"]), str(b.get("_id", "")))):
        if bill.get("isThirdPartyPayer"):
            continue
        crit = bill.get("matchingCriterias") or {}
        target, day = _target(bill), _bill_day(bill)
        lo = target - float(crit.get("amountLowerDelta", AMOUNT_DELTA))
        hi = target + float(crit.get("amountUpperDelta", AMOUNT_DELTA))
        first = day - timedelta(days=int(crit.get("dateLowerDelta", DAYS_BEFORE)))
        last = day + timedelta(days=int(crit.get("dateUpperDelta", DAYS_AFTER)))
        pattern = label_pattern(bill)
        best, best_score = None, 0.0
        for op in ops:
            if op["_id"] in used or not lo <= float(op["amount"]) <= hi:
                continue
            cat = category_of(op)
            if cat in (None, "0") or cat in HEALTH:
                continue
            d = _match_day(op)
            if not first <= d <= last or not pattern.search(_fold(str(op.get("label", "")))):
                continue
            score = 0.7 * abs((d - day).days) + 0.3 * abs(float(op["amount"]) - target)
            if best is None or score < best_score:
                best, best_score = op, score
        row = {"bill": bill.get("_id"), "vendorRef": bill.get("vendorRef"),
               "vendor": bill.get("vendor"), "type": bill.get("type"),
               "date": str(bill["date"])[:10], "amount": float(bill["amount"]),
               "isRefund": bool(bill.get("isRefund"))}
        if best is None:
            unmatched.append(row)
            continue
        used.add(best["_id"])
        matched.append({**row, "operation": best["_id"], "label": best.get("label", ""),
                        "paid": str(best["date"])[:10], "days": (_match_day(best) - day).days})
    orphans = [{"operation": op["_id"], "date": str(op["date"])[:10],
                "amount": float(op["amount"]), "label": op.get("label", ""),
                "group": GROUP_OF[category_of(op) or ""]}
               for op in sorted(ops, key=lambda o: str(o["date"]))
               if op["_id"] not in used and category_of(op) in GROUP_OF]
    return {"matched": matched, "bills_without_debit": unmatched,
            "debits_without_bill": orphans}


# ---- bills against meters -----------------------------------------------------------------------

def daily_series(statements: list[dict], energy_days: list[dict]) -> dict[str, dict[str, float]]:
    """Per day: water litres and gas kWh from the consumption statements, electricity kWh from
    Enedis's daily energy documents."""
    water: dict[str, float] = {}
    gas: dict[str, float] = {}
    for s in statements:
        reason = s.get("statementReason")
        day = str(s.get("period") or s.get("start", ""))[:10]
        if reason == "WaterDailyConsumption":
            water[day] = water.get(day, 0.0) + float(s["value"])  # litres
        elif reason == "GazparDailyGazConsumption":
            gas[day] = gas.get(day, 0.0) + float(s["value"])  # kWh
    elec: dict[str, float] = {}
    for d in energy_days:
        for point in d.get("usage_point", []):
            reading = point["meter_reading"]
            day = reading["reading_type"]["start_measurement_period"][:10]
            wh = sum(float(b["value"]) for b in reading.get("interval_block", []))
            elec[day] = elec.get(day, 0.0) + wh / 1000.0
    return {"water_l": water, "gas_kwh": gas, "electricity_kwh": elec}


def _days(a: str, b: str) -> list[str]:
    first, last = date.fromisoformat(a[:10]), date.fromisoformat(b[:10])
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _metered(series: dict[str, float], start: str, end: str) -> tuple[float, int, int]:
    """Σ over the bill's period, days with a reading, days in the period."""
    days = _days(start, end)
    have = [series[d] for d in days if d in series]
    return sum(have), len(have), len(days)


def _fit(rows: list[tuple[float, float, float]]) -> tuple[float, float] | None:
    """Least squares of amount = price × quantity + standing × days (two unknowns); None when
    the bills cannot separate them."""
    sqq = sum(q * q for q, _, _ in rows)
    sdd = sum(d * d for _, d, _ in rows)
    sqd = sum(q * d for q, d, _ in rows)
    sqa = sum(q * a for q, _, a in rows)
    sda = sum(d * a for _, d, a in rows)
    det = sqq * sdd - sqd * sqd
    if len(rows) < 2 or abs(det) < 1e-9 * max(1.0, sqq * sdd):
        return None
    return (sqa * sdd - sda * sqd) / det, (sda * sqq - sqa * sqd) / det


def _disagrees(amount: float, expected: float) -> bool:
    return abs(amount - expected) > max(TOLERANCE_EUR, TOLERANCE_SHARE * abs(amount))


def water_costs(bills: list[dict], water_l: dict[str, float]) -> dict:
    """Each water bill against the litres the meter counted over its period: the all-in price
    per m³, and the price per m³ and yearly standing charge that fit every bill at once; a bill
    more than 1 € and 2 % away from that fit, or whose period the readings do not cover, is
    flagged."""
    rows, out = [], []
    for b in sorted((b for b in bills if b.get("type") == "water" and not b.get("isRefund")
                     and b.get("periodStart") and b.get("periodEnd")), key=lambda b: b["date"]):
        litres, have, n = _metered(water_l, b["periodStart"], b["periodEnd"])
        m3 = litres / 1000.0
        row = {"bill": b.get("_id"), "vendor": b.get("vendor"), "periodStart": b["periodStart"],
               "periodEnd": b["periodEnd"], "amount": float(b["amount"]),
               "m3": round(m3, 3), "days": n, "days_read": have,
               "eur_per_m3": round(float(b["amount"]) / m3, 3) if m3 > 0 else None,
               "flag": None}
        if have < n:
            row["flag"] = "readings_missing"
        else:
            rows.append((m3, float(n), float(b["amount"])))
        out.append(row)
    fit = _fit(rows)
    price = standing = None
    if fit:
        price, per_day = fit
        standing = per_day * 365.0
        for row in out:
            if row["flag"] is None:
                row["expected"] = round(price * row["m3"] + per_day * row["days"], 2)
                if _disagrees(row["amount"], row["expected"]):
                    row["flag"] = "amount_off_meter"
    return {"bills": out, "price_per_m3": None if price is None else round(price, 4),
            "standing_per_year": None if standing is None else round(standing, 2),
            "flagged": sum(1 for r in out if r["flag"])}


def energy_costs(bills: list[dict], kwh: dict[str, float], energy: str) -> dict:
    """The supplier's yearly statements (regularisations) against the meter: the kWh the bill
    counts for its billing year against Σ of the meter's days over the same period, and what the
    year cost per kWh (the monthly instalments plus the regularisation). A year the meter covers
    only in part is shown, not judged."""
    key = "amountElectricity" if energy == "electricity" else "amountGas"
    out = []
    for b in sorted(bills, key=lambda b: str(b["date"])):
        if b.get("type") != "energy" or not b.get("periodStart"):
            continue
        billed = (float(b["consumptionWh"]) / 1000.0 if energy == "electricity"
                  and "consumptionWh" in b else float(b["consumptionKwh"])
                  if energy == "gas" and "consumptionKwh" in b else None)
        if billed is None:
            continue
        year = [x for x in bills if x.get("type") == "energy" and x is not b
                and x.get("periodStart") == b["periodStart"] and "instalmentNumber" in x]
        # the year's cost is its instalments plus the regularisation's (signed) part: known
        # when the data holds the year's first instalment, hence all of them
        whole = any(int(x["instalmentNumber"]) == 1 for x in year)
        cost = (sum(float(x.get(key, 0.0)) for x in year) + float(b.get(key, 0.0))
                if whole else None)
        metered, have, n = _metered(kwh, b["periodStart"], b["periodEnd"])
        row = {"bill": b.get("_id"), "periodStart": b["periodStart"],
               "periodEnd": b["periodEnd"], "billed_kwh": round(billed, 1),
               "metered_kwh": round(metered, 1), "days": n, "days_read": have,
               "cost": None if cost is None else round(cost, 2),
               "eur_per_kwh": round(cost / billed, 4) if cost is not None and billed > 0
               else None, "flag": None}
        if have == n:
            if abs(metered - billed) > max(1.0, TOLERANCE_SHARE * billed):
                row["flag"] = "kwh_off_meter"
        else:
            row["flag"] = "partly_read"
        out.append(row)
    return {"years": out, "flagged": sum(1 for r in out if r["flag"] == "kwh_off_meter")}


def monthly_use(series: dict[str, float]) -> dict[str, float]:
    months: dict[str, float] = defaultdict(float)
    for d, v in series.items():
        months[d[:7]] += v
    return {m: round(months[m], 1) for m in sorted(months)}


def summarise(ops: list[dict], bills: list[dict], statements: list[dict],
              energy_days: list[dict]) -> dict:
    series = daily_series(statements, energy_days)
    edf = [b for b in bills if b.get("type") == "energy"]
    return {
        "spending": spending(ops),
        "matching": match_bills(bills, ops),
        "water": water_costs(bills, series["water_l"]),
        "electricity": energy_costs(edf, series["electricity_kwh"], "electricity"),
        "gas": energy_costs(edf, series["gas_kwh"], "gas"),
        "use": {"water_m3": {m: round(v / 1000.0, 3)
                             for m, v in monthly_use(series["water_l"]).items()},
                "electricity_kwh": monthly_use(series["electricity_kwh"]),
                "gas_kwh": monthly_use(series["gas_kwh"])},
        "counts": {"operations": len(ops), "bills": len(bills)},
    }
