"""EDF, the household's energy supplier: client, contracts (electricity, gas), payment terms, the
Edelia home profile and consumption estimates, and monthly bills.

Bills price the Linky half-hours the Enedis source shared (``ctx.shared["electricity"]``) with the
regulated tariff in force each day (Base, HP/HC by the household's off-peak window, or Tempo colour
× HP/HC) plus a standing charge per day, and the Gazpar days (``ctx.shared["gas"]``) with a gas
price plus standing charge.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch
from synthetic_data.invoices import fr_number
from synthetic_data.sources import bills, electricity_model
from synthetic_data.sources.grdf import complete_months

CLIENT = "org.fing.mesinfos.client"
CONTRACT = "org.fing.mesinfos.contract"
PAYMENTTERMS = "org.fing.mesinfos.paymentterms"
HOME = "org.fing.mesinfos.home"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
DOCTYPES = (CLIENT, CONTRACT, PAYMENTTERMS, HOME, STATEMENTS, bills.BILLS)

SUBCATEGORY = {"Base": "OPTION_BASE", "HPHC": "OPTION_HEURES_CREUSES", "Tempo": "OPTION_TEMPO"}
COMPTAGE = {"Base": "BASE", "HPHC": "HC", "Tempo": "TEMPO"}
HEATING = {"Électricité": "Électrique", "Gaz": "Gaz", "Fioul": "Fioul", "Bois": "Bois",
           "Réseau de chaleur": "Réseau de chaleur"}


def _tariff_index(entries: list[dict], days: np.ndarray) -> np.ndarray:
    froms = np.array([np.datetime64(e["from"], "D") for e in entries])
    return np.clip(np.searchsorted(froms, days, side="right") - 1, 0, len(entries) - 1)


def electricity_daily_cost(ctx: SourceContext) -> tuple[np.ndarray, np.ndarray]:
    """Euros per local day: (energy priced slot by slot, standing charge)."""
    s = parameters.load("supplier")
    e = ctx.shared["electricity"]
    hg = ctx.period.halfhours
    d = hg.day_index
    entries = s["electricity_tariffs"]
    tidx = _tariff_index(entries, ctx.period.days)
    base = np.array([t["base"] for t in entries])[tidx]
    hp = np.array([t["hp"] for t in entries])[tidx]
    hc = np.array([t["hc"] for t in entries])[tidx]
    opt = e["option_code"]
    slot_opt = opt[d]
    slot_hc = e["slot_hc"]
    price = np.where(slot_opt == 0, base[d], np.where(slot_hc, hc[d], hp[d]))
    if e["slot_tempo_colour"] is not None:
        grid = np.array([t["tempo"] for t in entries])[tidx]          # day × 6
        col = 2 * e["slot_tempo_colour"].astype(np.int64) + np.where(slot_hc, 0, 1)
        price = np.where(slot_opt == 2, grid[d, col], price)
    energy = np.bincount(d, weights=e["halfhour_wh"] / 1000.0 * price,
                         minlength=ctx.period.n_days)
    st = s["standing"]
    kva = str(ctx.household.contract.kva)
    opt_factor = np.array([st["option_factor"][o] for o in electricity_model.OPTIONS])[opt]
    standing = (np.array([t["standing_6kva"] for t in entries])[tidx]
                * st["kva_factor"].get(kva, 1.0) * opt_factor / 365.0)
    return energy, standing


def gas_daily_cost(ctx: SourceContext) -> tuple[np.ndarray, np.ndarray]:
    """Euros per gas day (counted on its local start day): (energy, standing charge)."""
    s = parameters.load("supplier")
    g = ctx.shared["gas"]
    entries = s["gas_tariffs"]
    tidx = _tariff_index(entries, ctx.period.days)
    kwh_price = np.array([t["kwh"] for t in entries])[tidx]
    yearly = g["daily_kwh"].sum() * 365.0 / ctx.period.n_days
    key = "standing_t2" if yearly > s["gas"]["t2_threshold_kwh"] else "standing_t1"
    standing = np.array([t[key] for t in entries])[tidx] / 365.0
    return g["daily_kwh"] * kwh_price, standing


def _payment_dates(issued: date, day: int, due_days: int) -> tuple[date, date]:
    due = issued + timedelta(days=due_days)
    scheduled = issued.replace(day=day)
    if scheduled <= issued:
        scheduled = (issued.replace(day=1) + timedelta(days=32)).replace(day=day)
    return due, scheduled


OPTION_LABELS = {"Base": "option Base", "HPHC": "option Heures Creuses", "Tempo": "option Tempo"}


def _bills(ctx: SourceContext, energy: str, priced: tuple[np.ndarray, np.ndarray], contract: str,
           usage: dict[str, np.ndarray]) -> Batch:
    """Monthly bills of ``energy``; ``priced`` = (energy, standing charge) in euros per day."""
    s = parameters.load("supplier")["edf"]
    days = ctx.period.days
    hh = ctx.household
    client = hh.contract.supplier_client_id
    kwh_price, standing = priced
    cost = kwh_price + standing

    def extra(a: date, b: date, amount: float) -> dict:
        issued = b + timedelta(days=4)
        due, scheduled = _payment_dates(issued, s["payment_day"], s["payment_due_days"])
        mask = (days >= np.datetime64(a, "D")) & (days < np.datetime64(b, "D"))
        out = {
            "subtype": energy,
            "clientId": client,
            "number": f"{contract[-5:]}{a:%Y%m}{1 if energy == 'electricity' else 2}",
            "title": "FACTURE_MENSUELLE",
            "value": f"{amount:.2f}",
            "totalPaymentDue": amount,
            "balanceBeforeInvoice": 0.0,
            "paymentDueDate": due.isoformat(),
            "scheduledPaymentDate": scheduled.isoformat(),
        }
        for key, arr in usage.items():
            total = arr[mask].sum().item()
            out[key] = total if isinstance(total, int) else round(total, 2)
        return out

    def lines(mask: np.ndarray, first: date, last: date) -> list[tuple[str, str, float]]:
        n = int(mask.sum())
        if energy == "electricity":
            option = electricity_model.OPTIONS[int(ctx.shared["electricity"]["option_code"][
                mask][-1])]
            wh, hc = int(usage["consumptionWh"][mask].sum()), int(usage["offPeakWh"][mask].sum())
            qty = f"{fr_number(wh / 1000, 3)} kWh"
            if option != "Base":
                qty += f" dont {fr_number(hc / 1000, 3)} kWh HC"
            label = f"Électricité {s['electricity_offer']}, {OPTION_LABELS[option]}"
            sub = f"Abonnement {hh.contract.kva} kVA ({n} jours)"
        else:
            kwh = int(usage["consumptionKwh"][mask].sum())
            m3 = round(float(usage["volumeM3"][mask].sum()), 2)
            qty = f"{kwh} kWh ({fr_number(m3, 2)} m³)"
            label, sub = f"Gaz naturel, {s['gas_offer']}", f"Abonnement gaz ({n} jours)"
        return [(label, qty, float(kwh_price[mask].sum())),
                (sub, "", float(standing[mask].sum()))]

    point = (("Point de livraison (PDL)", hh.contract.pdl) if energy == "electricity"
             else ("Point de comptage (PCE)", hh.contract.gas_pce or ""))
    return bills.periodic_bills(
        ctx, months=1, vendor=s["vendor"], bill_type="energy",
        amounts=lambda mask: float(cost[mask].sum()), contract=contract, extra=extra,
        lines=lines, references=(("N° client", client), ("N° de contrat", contract), point,
                                 ("Adresse de consommation", hh.address.formatted)))


def _client(ctx: SourceContext) -> dict:
    hh = ctx.household
    s = parameters.load("supplier")["edf"]
    a, m = hh.address, hh.main
    doc = {
        "vendor": s["vendor"],
        "clientId": hh.contract.supplier_client_id,
        "numeroAcc": "0" + hh.contract.supplier_contract_number[:4]
                     + hh.contract.supplier_client_id[-7:],
        "address": {"street": a.line, "city": a.city, "postCode": a.postcode,
                    "country": a.country, "formated": a.formatted},
        "name": {"prefix": m.title, "family": m.family, "given": m.given,
                 "formated": f"{m.title} {m.given} {m.family}"},
    }
    if m.email:
        doc["email"] = m.email
        doc["loginEmail"] = m.email
    if m.msisdn:
        doc["cellPhone"] = "0" + m.msisdn[2:]
    partner = next((x for x in hh.members if x.role == "Conjoint"), None)
    if partner:
        doc["coHolder"] = {"family": partner.family, "given": partner.given,
                           "formated": f"{partner.given} {partner.family}"}
    doc["commercialContact"] = {"title": "Service Clients EDF", "phone": s["commercial_phone"],
                                "address": s["commercial_address"]}
    return doc


def _services(start: date, day: int) -> list[dict]:
    return [
        {"name": "PRELEVEMENT_AUTOMATIQUE", "status": "ACTIF", "activ": True,
         "start": start.isoformat(), "valueSubscribed": str(day), "valueAvailable": ""},
        {"name": "MENS_MENSUELLE", "status": "ACTIF", "activ": True,
         "start": start.isoformat(), "valueSubscribed": "MENS", "valueAvailable": ""},
    ]


def _last_year(ctx: SourceContext) -> np.ndarray:
    """Mask of the last 365 days of the period (the whole period if shorter)."""
    return np.arange(ctx.period.n_days) >= ctx.period.n_days - 365


def _contracts(ctx: SourceContext) -> list[dict]:
    hh = ctx.household
    c = hh.contract
    s = parameters.load("supplier")["edf"]
    e = ctx.shared["electricity"]
    options = ctx.timeline.hc_option
    current = str(options[-1])
    changed = np.flatnonzero(options != options[-1])
    option_start = (ctx.period.start + timedelta(days=int(changed[-1]) + 1) if changed.size
                    else c.start)
    index_end = e["index_start_wh"] + int(e["daily_wh"].sum())
    docs = [{
        "vendor": s["vendor"], "clientId": c.supplier_client_id,
        "number": c.supplier_contract_number, "start": c.start.isoformat(),
        "status": "CONTRAT_ACTIF", "pdl": c.pdl, "energie": "Électricité",
        "name": s["electricity_offer"], "contractSubcategory1": SUBCATEGORY[current],
        "optionStart": option_start.isoformat(), "power": f"{c.kva} kVA",
        "counter": {"type": "LINKY", "comptage": COMPTAGE[current],
                    "dernierIndex": index_end // 1000,
                    "annualConsumption": int(e["daily_wh"][_last_year(ctx)].sum()) // 1000},
        "services": _services(c.start, s["payment_day"]),
        "troubleshootingPhone": s["enedis_troubleshooting_prefix"] + hh.commune.department[:2],
    }]
    g = ctx.shared.get("gas")
    if g is not None:
        docs.append({
            "vendor": s["vendor"], "clientId": c.supplier_client_id,
            "number": c.gas_contract_number, "start": c.start.isoformat(),
            "status": "CONTRAT_ACTIF", "pdl": c.gas_pce, "energie": "Gaz",
            "name": s["gas_offer"],
            "counter": {"type": "GAZPAR", "comptage": "BASE",
                        "dernierIndex": int(g["index_m3"][-1]),
                        "annualConsumption": int(g["daily_kwh"][_last_year(ctx)].sum())},
            "services": _services(c.start, s["payment_day"]),
            "troubleshootingPhone": s["grdf_troubleshooting_phone"],
        })
    return docs


def _home(ctx: SourceContext) -> dict:
    dw = ctx.household.dwelling
    heating = HEATING[dw.heating]
    if dw.heat_pump:
        heating = "Pompe à chaleur"
    return {
        "beginTs": ctx.period.start.isoformat(),
        "isProfileValidated": True,
        "housingType": dw.kind,
        "residenceType": "Principale",
        "occupationType": "Propriétaire" if dw.owner else "Locataire",
        "constructionDate": dw.construction_year,
        "isBBC": dw.construction_year >= parameters.load("supplier")["home"]["bbc_from_year"],
        "surface": dw.surface,
        "occupantsCount": int(ctx.timeline.occupants[0]),
        "principalHeatingSystemType": heating,
        "sanitoryHotWaterType": dw.hot_water,
        "origin": "EDF",
    }


def _edelia(ctx: SourceContext, energy: str, contract: str, kwh: np.ndarray,
            cost: np.ndarray) -> list[dict]:
    """Monthly (complete months) and yearly (12-month windows ending at the period end)."""
    s = parameters.load("supplier")["edf"]
    per = ctx.period
    days = per.days
    word = "Elec" if energy == "electricity" else "Gaz"
    windows: list[tuple[date, date, str, str]] = [
        (a, b, a.strftime("%Y-%m"), f"EdeliaMonthly{word}Consumption")
        for a, b in complete_months(per.start, per.end)]
    end = per.end
    while True:
        try:
            start = end.replace(year=end.year - 1)
        except ValueError:
            start = end.replace(year=end.year - 1, day=28)
        if start < per.start:
            break
        windows.append((start, end, str(start.year), f"EdeliaYearly{word}Consumption"))
        end = start
    docs = []
    for a, b, period, reason in windows:
        mask = (days >= np.datetime64(a, "D")) & (days < np.datetime64(b, "D"))
        docs.append({
            "docTypeVersion": s["doc_type_version"], "contractNumber": contract,
            "start": a.isoformat(), "end": b.isoformat(), "period": period,
            "value": round(float(kwh[mask].sum()), 1), "unit": "kWh",
            "cost": round(float(cost[mask].sum()), 2),
            "statementType": "estime", "statementCategory": "edelia",
            "statementReason": reason,
        })
    return docs


def generate(ctx: SourceContext) -> list[Batch]:
    hh = ctx.household
    c = hh.contract
    e = ctx.shared["electricity"]
    energy, standing = electricity_daily_cost(ctx)
    elec_cost = energy + standing
    out_bills = [_bills(ctx, "electricity", (energy, standing), c.supplier_contract_number,
                        {"consumptionWh": e["daily_wh"], "offPeakWh": e["daily_hc_wh"]})]
    edelia = _edelia(ctx, "electricity", c.supplier_contract_number, e["daily_wh"] / 1000.0,
                     elec_cost)
    g = ctx.shared.get("gas")
    if g is not None:
        g_energy, g_standing = gas_daily_cost(ctx)
        gas_cost = g_energy + g_standing
        out_bills.append(_bills(ctx, "gas", (g_energy, g_standing), c.gas_contract_number,
                                {"consumptionKwh": g["daily_kwh"], "volumeM3": g["daily_m3"]}))
        edelia += _edelia(ctx, "gas", c.gas_contract_number, g["daily_kwh"].astype(float),
                          gas_cost)
    return [
        Batch.from_dicts(CLIENT, [_client(ctx)]),
        Batch.from_dicts(CONTRACT, _contracts(ctx)),
        Batch.from_dicts(PAYMENTTERMS, [_payment_terms(ctx, out_bills)]),
        Batch.from_dicts(HOME, [_home(ctx)]),
        Batch.from_dicts(STATEMENTS, edelia),
        *out_bills,
    ]


def _payment_terms(ctx: SourceContext, bill_batches: list[Batch]) -> dict:
    s = parameters.load("supplier")["edf"]
    by_month: dict[str, dict] = {}
    for batch in bill_batches:
        for b in batch.dicts():
            key = b["periodStart"][:7]
            row = by_month.setdefault(key, {
                "amount": 0.0, "amountElectricity": 0.0, "amountGas": 0.0,
                "number": len(by_month) + 1, "receiptDate": b["date"][:10],
                "scheduleDate": b["scheduledPaymentDate"], "paid": False})
            field = "amountElectricity" if b["subtype"] == "electricity" else "amountGas"
            row[field] = round(row[field] + b["amount"], 2)
            row["amount"] = round(row["amountElectricity"] + row["amountGas"], 2)
    end = ctx.period.end.isoformat()
    schedules = list(by_month.values())
    for row in schedules:
        row["paid"] = row["scheduleDate"] < end
    paid = [r for r in schedules if r["paid"]]
    doc = {
        "vendor": s["vendor"],
        "clientId": ctx.household.contract.supplier_client_id,
        "balance": 0.0,
        "billFrequency": "MENS",
        "idPayer": ctx.household.contract.supplier_client_id,
        "modifBankDetailsAllowed": True,
        "paymentMeans": "PRELEVEMENT",
        "payerDivergent": False,
        "paymentSchedules": schedules,
    }
    if paid:
        doc["dernierReglement"] = {"date": paid[-1]["scheduleDate"], "amount": paid[-1]["amount"],
                                   "type": "PRELEVEMENT"}
    unpaid = [r for r in schedules if not r["paid"]]
    doc["nextBillDate"] = (unpaid[0]["receiptDate"] if unpaid
                           else (ctx.period.end + timedelta(days=4)).isoformat())
    return doc
