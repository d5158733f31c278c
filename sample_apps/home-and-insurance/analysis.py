"""What the home costs, month by month, and its claims beside its meters (pure functions).

Costs come from the bills (``io.cozy.bills``): EDF electricity and gas, water, and MAIF. A MAIF
bill pays every contract of the member (home and cars), so only the home contract's share of it
counts: the home contract's yearly premium over the sum of the premiums (``fr.maif.maifuser.
contrat``). A bill is spread over the days it covers (``periodStart`` to ``periodEnd``), so a
quarterly water bill lands on its three months. EDF's monthly payment is counted as it is paid:
each instalment, and the yearly regularisation (a refund counts negative), in the month of its
date, split between electricity and gas by its ``amountElectricity`` and ``amountGas``.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta

HOME_CONTRACT = "NOR"      # MAIF's home contract (RAQVAM); VAM is a car
CATEGORIES = ("electricity", "gas", "water", "home insurance")


def _d(text: str) -> date:
    return date.fromisoformat(str(text)[:10])


def _category(bill: dict) -> str | None:
    if bill.get("type") == "energy":
        return bill.get("subtype") if bill.get("subtype") in ("electricity", "gas") else None
    if bill.get("type") == "water":
        return "water"
    if bill.get("type") == "insurance" and str(bill.get("vendor", "")).upper() == "MAIF":
        return "home insurance"
    return None  # phone and the rest are not the home's


def contracts(docs: list[dict]) -> list[dict]:
    return [c for d in docs for c in d.get("contrat", [])]


def home_share(contract_list: list[dict]) -> float:
    """Share of the MAIF premiums that insures the home (1 when there is only the home)."""
    total = sum(float(c.get("montantTarifTtc") or 0) for c in contract_list)
    home = sum(float(c.get("montantTarifTtc") or 0) for c in contract_list
               if c.get("name") == HOME_CONTRACT)
    return home / total if total > 0 else 1.0


def monthly_costs(bills: list[dict], contract_docs: list[dict]) -> dict[str, dict[str, float]]:
    """Euros per month (YYYY-MM) and category, refunds deducted."""
    share = home_share(contracts(contract_docs))
    out: dict[str, dict[str, float]] = {}
    for b in bills:
        if b.get("type") == "energy" and "amountElectricity" in b:  # EDF monthly payment
            row = out.setdefault(str(b["date"])[:7], dict.fromkeys(CATEGORIES, 0.0))
            row["electricity"] += float(b["amountElectricity"])
            row["gas"] += float(b.get("amountGas") or 0)
            continue
        cat = _category(b)
        if cat is None or "amount" not in b:
            continue
        amount = float(b["amount"]) * (-1 if b.get("isRefund") else 1)
        if cat == "home insurance":
            amount *= share
        start = _d(b.get("periodStart") or b["date"])
        end = _d(b.get("periodEnd") or b.get("periodStart") or b["date"])
        days = max(1, (end - start).days + 1)
        for i in range(days):
            month = (start + timedelta(days=i)).isoformat()[:7]
            row = out.setdefault(month, dict.fromkeys(CATEGORIES, 0.0))
            row[cat] += amount / days
    return {m: {k: round(v, 2) for k, v in row.items()} for m, row in sorted(out.items())}


def premiums(contract_docs: list[dict]) -> dict:
    items = contracts(contract_docs)
    home = [c for c in items if c.get("name") == HOME_CONTRACT]
    return {
        "home_yearly": round(sum(float(c.get("montantTarifTtc") or 0) for c in home), 2),
        "all_yearly": round(sum(float(c.get("montantTarifTtc") or 0) for c in items), 2),
        "home_share": round(home_share(items), 4),
        "home_formula": home[0].get("formuleBase", "") if home else "",
        "contracts": [{"name": c.get("name"), "formula": c.get("formuleBase"),
                       "yearly": c.get("montantTarifTtc"),
                       "since": str(c.get("startDate", ""))[:10]}
                      for c in items],
    }


def claims(sinistre_docs: list[dict]) -> list[dict]:
    """Every claim, oldest first, with its local day."""
    out = []
    for c in sinistre_docs:  # one document per claim, as the MAIF konnector writes them
        when = datetime.fromisoformat(c["timestamp"])
        out.append({"day": when.date().isoformat(), "time": when.strftime("%H:%M"),
                    "type": c.get("type", ""), "nature": c.get("natureSinistre", ""),
                    "amount": float(c.get("montantSinistre") or 0),
                    "reference": c.get("ref", ""),
                    "place": c.get("lieuSurvenance", "")})
    return sorted(out, key=lambda c: (c["day"], c["time"]))


def daily_water(statements: list[dict]) -> dict[str, float]:
    return {s["period"]: float(s["value"]) for s in statements
            if s.get("statementCategory") == "eau" and "period" in s}


def daily_electricity(energy_docs: list[dict]) -> dict[str, float]:
    """kWh per local day from the Linky daily energy documents (Wh)."""
    out = {}
    for d in energy_docs:
        reading = d["usage_point"][0]["meter_reading"]
        day = reading["reading_type"]["start_measurement_period"]
        out[day] = sum(int(b["value"]) for b in reading["interval_block"]) / 1000.0
    return out


def around(series: dict[str, float], day: str, before: int = 14) -> dict | None:
    """The meter in the ``before`` days up to ``day`` against its usual level (the year's
    median): what a water-damage claim looks like from the meter."""
    if not series:
        return None
    d0 = _d(day)
    window = [series[k] for k in ((d0 - timedelta(days=i)).isoformat() for i in range(before))
              if k in series]
    usual = statistics.median(series.values())
    if not window or usual <= 0:
        return None
    return {"mean_before": round(statistics.mean(window), 1), "usual": round(usual, 1),
            "ratio": round(statistics.mean(window) / usual, 2),
            "peak": round(max(window), 1)}


def summarise(bills: list[dict], contract_docs: list[dict], home_docs: list[dict],
              sinistre_docs: list[dict], water_statements: list[dict],
              energy_docs: list[dict]) -> dict:
    months = monthly_costs(bills, contract_docs)
    totals = {k: round(sum(m[k] for m in months.values()), 2) for k in CATEGORIES}
    water, elec = daily_water(water_statements), daily_electricity(energy_docs)
    claim_list = claims(sinistre_docs)
    for c in claim_list:
        c["water"] = around(water, c["day"])
        c["electricity"] = around(elec, c["day"])
    homes = [h for d in home_docs for h in d.get("home", [])]
    home = homes[0] if homes else {}
    total = round(sum(totals.values()), 2)
    return {
        "home": {"kind": home.get("natureLieu", ""), "rooms": home.get("nombrePieces", ""),
                 "status": " ".join(str(home.get("situationJuridiqueLieu", "")).split()),
                 "contents_value": str(home.get("patrimoineMobilier", "")).strip(),
                 "city": home.get("address", {}).get("city", "")},
        "months": months,
        "totals": totals,
        "total": total,
        "per_month": round(total / len(months), 2) if months else 0.0,
        "premiums": premiums(contract_docs),
        "claims": claim_list,
        "home_claims": sum(1 for c in claim_list if c["type"] == "Habitation"),
        "series": {"water_l": dict(sorted(water.items())),
                   "electricity_kwh": {k: round(v, 2) for k, v in sorted(elec.items())}},
    }
