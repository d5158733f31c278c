"""EDF, the household's energy supplier: client, contracts (electricity, gas), payment terms, the
Edelia home profile and consumption estimates, and the bills of monthly payment (see
``mensualisation``).

Bills price the Linky half-hours the Enedis source shared (``ctx.shared["electricity"]``) with the
regulated tariff in force each day (Base, HP/HC by the household's off-peak window, or Tempo colour
× HP/HC) plus a standing charge per day, and the Gazpar days (``ctx.shared["gas"]``) with a gas
price plus standing charge.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date, timedelta

import numpy as np

from synthetic_data import parameters
from synthetic_data.client_record import CLIENT, client_record
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch
from synthetic_data.invoices import INVOICE_DETAILS, fr_number
from synthetic_data.ledger import publish_bill
from synthetic_data.sources import bills, electricity_model, mensualisation
from synthetic_data.sources.grdf import complete_months

CONTRACT = "org.fing.mesinfos.contract"
PAYMENTTERMS = "org.fing.mesinfos.paymentterms"
HOME = "org.fing.mesinfos.home"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
DOCTYPES = (CLIENT, CONTRACT, PAYMENTTERMS, HOME, STATEMENTS, bills.BILLS)

SUBCATEGORY = {"Base": "OPTION_BASE", "HPHC": "OPTION_HEURES_CREUSES", "Tempo": "OPTION_TEMPO"}
COMPTAGE = {"Base": "BASE", "HPHC": "HC", "Tempo": "TEMPO"}
HEATING = {"Électricité": "Electricite", "Gaz": "Gaz", "Fioul": "Fioul", "Bois": "Bois",
           "Réseau de chaleur": "Reseau de chaleur"}


def plain(text: str) -> str:
    """Without accents, as EDF's home profile writes its labels ("Electrique", "Proprietaire")."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if unicodedata.category(ch) != "Mn")


def money(x: float) -> str:
    """EDF writes amounts as decimal strings with two decimals ("80.33", "-690.00")."""
    return f"{x:.2f}"


def offset_midnight(day: date, millis: bool = False) -> str:
    """Local midnight with its offset (Paris time), as EDF writes dates in services and payments:
    "2016-05-18T00:00:00+02:00" (with ".000" before the offset when ``millis``)."""
    summer = _summer_time(day)
    return f"{day.isoformat()}T00:00:00{'.000' if millis else ''}{'+02:00' if summer else '+01:00'}"


def _summer_time(day: date) -> bool:
    """Whether Paris is on summer time at midnight of ``day`` (EU rule: last Sundays of March
    and October, 01:00 UTC)."""
    def last_sunday(month: int) -> date:
        d = date(day.year, month, 31)
        return d - timedelta(days=(d.weekday() + 1) % 7)
    return last_sunday(3) < day <= last_sunday(10)


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


OPTION_LABELS = {"Base": "option Base", "HPHC": "option Heures Creuses", "Tempo": "option Tempo"}


def _tariff_column(key: str, energy: str = "electricity") -> mensualisation.PriceOn:
    """A tariff table's column on any days (the reference prices mensualisation reprices with)."""
    entries = parameters.load("supplier")[f"{energy}_tariffs"]
    column = np.array([float(t[key]) for t in entries])
    return lambda days: column[_tariff_index(entries, days)]


def _energies(ctx: SourceContext, electricity: tuple[np.ndarray, np.ndarray],
              gas: tuple[np.ndarray, np.ndarray] | None) -> list[mensualisation.Energy]:
    """Electricity (and gas) as the mensualisation prices them, with their PDF lines."""
    s = parameters.load("supplier")
    edf = s["edf"]
    hh = ctx.household
    e = ctx.shared["electricity"]
    option = electricity_model.OPTIONS[int(e["option_code"][-1])]
    sigma = edf["previous_year_sigma"]

    def elec_lines(u: dict[str, float], days: int, energy: float, standing: float
                   ) -> list[tuple[str, str, float]]:
        qty = f"{fr_number(round(u['consumptionWh']) / 1000, 3)} kWh"
        if option != "Base":
            qty += f" dont {fr_number(round(u['offPeakWh']) / 1000, 3)} kWh HC"
        return [(f"Électricité {edf['electricity_offer']}, {OPTION_LABELS[option]}", qty, energy),
                (f"Abonnement {hh.contract.kva} kVA ({days} jours)", "", standing)]

    def gas_lines(u: dict[str, float], days: int, energy: float, standing: float
                  ) -> list[tuple[str, str, float]]:
        qty = f"{round(u['consumptionKwh'])} kWh ({fr_number(u['volumeM3'], 2)} m³)"
        return [(f"Gaz naturel, {edf['gas_offer']}", qty, energy),
                (f"Abonnement gaz ({days} jours)", "", standing)]

    out = [mensualisation.Energy(
        "electricity", electricity[0], electricity[1], _tariff_column("base"),
        _tariff_column("standing_6kva"),
        {"consumptionWh": e["daily_wh"], "offPeakWh": e["daily_hc_wh"]}, elec_lines,
        sigma["electricity"])]
    if gas is not None:
        g = ctx.shared["gas"]
        out.append(mensualisation.Energy(
            "gas", gas[0], gas[1], _tariff_column("kwh", "gas"),
            _tariff_column("standing_t2", "gas"),
            {"consumptionKwh": g["daily_kwh"], "volumeM3": g["daily_m3"]}, gas_lines,
            sigma["gas"]))
    return out


def _mensualisation(ctx: SourceContext, energies: list[mensualisation.Energy]
                    ) -> tuple[list[mensualisation.BillingYear], Batch]:
    """The billing years overlapping the data and the bills debited or issued within it."""
    hh = ctx.household
    rng = ctx.rng("edf-previous-year")
    factors = {en.name: float(rng.lognormal(0.0, en.sigma)) for en in energies}
    years = mensualisation.billing_years(ctx.period, hh.contract.start, energies, factors)
    c = hh.contract
    refs = [("N° client", c.supplier_client_id), ("N° de contrat", c.supplier_contract_number),
            ("Point de livraison (PDL)", c.pdl)]
    if len(energies) > 1:
        refs.append(("Point de comptage (PCE)", c.gas_pce or ""))
    refs.append(("Adresse de consommation", hh.address.formatted))
    account = mensualisation.Account(c.supplier_client_id, c.supplier_contract_number,
                                     tuple(refs))
    details = ctx.shared.setdefault(INVOICE_DETAILS, {})
    docs = mensualisation.bills(ctx.period, years, energies, account, details)
    for doc in docs:  # instalments are dated on their debit; a regularisation on its schedule
        publish_bill(ctx, doc, source="energy_supplier",
                     day=date.fromisoformat(doc.get("scheduledPaymentDate", doc["date"][:10])))
    return years, Batch.from_dicts(bills.BILLS, docs)


def _client(ctx: SourceContext) -> dict:
    hh = ctx.household
    s = parameters.load("supplier")["edf"]
    return client_record(
        hh, vendor=s["vendor"], client_id=hh.contract.supplier_client_id,
        account="0" + hh.contract.supplier_contract_number[:3]
                + hh.contract.supplier_client_id[-7:],
        contact={"title": s["commercial_title"], "phone": s["commercial_phone"],
                 "address": s["commercial_address"]})


def _services(start: date, day: int, gas: bool) -> list[dict]:
    """The contract's services in the kit's two element shapes: subscriptions ``{nom, activ,
    start}`` and options ``{name, status, valueSubscribed[, valuesAvailable]}`` (flags as the
    strings "true"/"false"). Monthly payment (mensualisation) of both energies when there is gas."""
    s = parameters.load("supplier")["edf"]
    return [
        {"nom": "SUIVI_CONSO", "activ": "true", "start": offset_midnight(start)},
        {"nom": "SER_BILANCONSO", "activ": "false"},
        {"name": "PRELEVEMENT_AUTOMATIQUE", "status": "true", "valueSubscribed": f"{day:02d}",
         "valuesAvailable": list(s["debit_days_available"])},
        {"name": "FACTURE_ELECTRONIQUE", "status": "true", "valueSubscribed": None},
        {"name": "MENS_ANNUELLE", "status": "false", "valueSubscribed": None},
        {"name": "MENS_MENSUELLE", "status": "true", "valueSubscribed": None},
        {"name": "MENS_ELECTRICITE", "status": "true", "valueSubscribed": "OUI"},
        {"name": "MENS_GAZ", "status": "true" if gas else "false",
         "valueSubscribed": "OUI" if gas else "NON"},
    ]


def _statement(ctx: SourceContext) -> dict:
    """The meter-reading block of a contract, as the kit shows it without self-reading."""
    s = parameters.load("supplier")["edf"]
    nxt = ctx.period.end.isoformat()
    return {"prochaineReleve": nxt, "saisieReleveConfiance": s["statement_self_reading"],
            "dateFermetureReleveConfiance": None, "prochaineDateOuvertureReleveConfiance": None,
            "prochaineDateFermetureReleveConfiance": None, "prochaineDateFermetureReelle": nxt,
            "saisieSuiviConso": s["statement_follow_up"],
            "prochaineDateOuvertureSaisieConso": None}


def _counter(kind: str, comptage: str, index: int, annual: int) -> dict:
    """Numbers as the kit writes them: strings, the index with one decimal, the number of
    dials (roues) zero-padded."""
    return {"comptage": comptage, "nombreRoues": f"{max(5, len(str(index))):03d}",
            "dernierIndex": f"{index}.0", "type": kind, "annualConsumption": str(annual),
            "peakHours": None}


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
    g = ctx.shared.get("gas")
    common = {"vendor": s["vendor"], "clientId": c.supplier_client_id}
    docs = [{
        **common, "number": c.supplier_contract_number, "name": s["electricity_offer"],
        "start": c.start.isoformat(), "end": None, "status": "CONTRAT_ACTIF",
        "terminationGrounds": None, "pdl": c.pdl, "energie": "Électricité",
        "troubleshootingPhone": s["enedis_troubleshooting_prefix"] + hh.commune.department[:2],
        "power": f"{c.kva} kVA", "contractSubcategory1": SUBCATEGORY[current],
        "optionStart": option_start.isoformat(),
        "counter": _counter("LINKY", COMPTAGE[current], index_end // 1000,
                            int(e["daily_wh"][_last_year(ctx)].sum()) // 1000),
        "statement": _statement(ctx),
        "services": _services(c.start, s["payment_day"], g is not None),
    }]
    if g is not None:
        docs.append({
            **common, "number": c.gas_contract_number, "name": s["gas_offer"],
            "start": c.start.isoformat(), "end": None, "status": "CONTRAT_ACTIF",
            "terminationGrounds": None, "pdl": c.gas_pce, "energie": "Gaz",
            "troubleshootingPhone": s["grdf_troubleshooting_phone"],
            "counter": _counter("GAZPAR", "BASE", int(g["index_m3"][-1]),
                                int(g["daily_kwh"][_last_year(ctx)].sum())),
            "statement": _statement(ctx),
            "services": _services(c.start, s["payment_day"], True),
        })
    return docs


def _home(ctx: SourceContext) -> dict:
    dw = ctx.household.dwelling
    heating = HEATING[dw.heating]
    if dw.heat_pump:
        heating = "Pompe a chaleur"
    second = int(ctx.rng("edf-home").integers(8 * 3600, 22 * 3600))  # profile filled in by day
    return {
        "beginTs": f"{ctx.period.start.isoformat()}T{second // 3600:02d}:{second // 60 % 60:02d}:"
                   f"{second % 60:02d}Z",
        "isProfileValidated": True,
        "housingType": dw.kind,
        "residenceType": "Principale",
        "occupationType": "Proprietaire" if dw.owner else "Locataire",
        "constructionDate": dw.construction_year,
        "isBBC": dw.construction_year >= parameters.load("supplier")["home"]["bbc_from_year"],
        "surface": round(dw.surface),
        "occupantsCount": int(ctx.timeline.occupants[0]),
        "principalHeatingSystemType": heating,
        "sanitoryHotWaterType": plain(dw.hot_water),
        "origin": "EDF",
    }


def _edelia(ctx: SourceContext, energy: str, contract: str, kwh: np.ndarray,
            priced: tuple[np.ndarray, np.ndarray], index: np.ndarray) -> list[dict]:
    """Monthly (complete months) and yearly (12-month windows ending at the period end).

    Numbers are whole kWh and euros as in the kit; ``priced`` = (energy, standing charge) in
    euros per day; ``index`` = the meter index at the start of each day (the monthly documents'
    reading). Categories are labelled BASE whatever the option (the kit shows only BASE; Edelia's
    estimate is on the total); yearly documents compare the home with similar homes."""
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
    rng = ctx.rng(f"edelia-{energy}")
    energy_cost, standing = priced
    docs = []
    for a, b, period, reason in windows:
        mask = (days >= np.datetime64(a, "D")) & (days < np.datetime64(b, "D"))
        value = round(float(kwh[mask].sum()))
        doc = {
            "docTypeVersion": s["doc_type_version"], "contractNumber": contract,
            "start": a.isoformat(), "end": b.isoformat(), "period": period,
            "value": value, "unit": "kWh",
            "cost": round(float(energy_cost[mask].sum() + standing[mask].sum())),
            "costsByCategory": {"BASE": round(float(energy_cost[mask].sum())),
                                "standing": round(float(standing[mask].sum()))},
            "valuesByCatergory": {"BASE": value},
            "statementType": "estime", "statementCategory": "edelia",
            "statementReason": reason,
        }
        if len(period) == 4:  # yearly
            average = round(value * float(rng.lognormal(0.0, s["similar_average_sigma"])))
            doc["similarHomes"] = {"site": value, "average": average,
                                   "least": round(average * s["similar_least_factor"])}
            doc["statements"] = []
        else:
            first = int(np.flatnonzero(mask)[0])
            doc["statements"] = [{"date": a.isoformat(),
                                  "indexesByLabel": {"BASE": int(index[first])}}]
        docs.append(doc)
    return docs


def generate(ctx: SourceContext) -> list[Batch]:
    hh = ctx.household
    c = hh.contract
    e = ctx.shared["electricity"]
    energy, standing = electricity_daily_cost(ctx)
    before = np.concatenate(([0], np.cumsum(e["daily_wh"])[:-1]))  # Wh before each day
    elec_index = (e["index_start_wh"] + before) // 1000
    edelia = _edelia(ctx, "electricity", c.supplier_contract_number, e["daily_wh"] / 1000.0,
                     (energy, standing), elec_index)
    g = ctx.shared.get("gas")
    gas_priced = None
    if g is not None:
        gas_priced = gas_daily_cost(ctx)
        gas_index = np.asarray(g["index_m3"]) - np.asarray(g["daily_m3"])
        edelia += _edelia(ctx, "gas", c.gas_contract_number, g["daily_kwh"].astype(float),
                          gas_priced, np.floor(gas_index).astype(np.int64))
    energies = _energies(ctx, (energy, standing), gas_priced)
    years, edf_bills = _mensualisation(ctx, energies)
    return [
        Batch.from_dicts(CLIENT, [_client(ctx)]),
        Batch.from_dicts(CONTRACT, _contracts(ctx)),
        Batch.from_dicts(PAYMENTTERMS, [_payment_terms(ctx, years, energies, edf_bills)]),
        Batch.from_dicts(HOME, [_home(ctx)]),
        Batch.from_dicts(STATEMENTS, edelia),
        edf_bills,
    ]


def _payment_terms(ctx: SourceContext, years: list[mensualisation.BillingYear],
                   energies: list[mensualisation.Energy], edf_bills: Batch) -> dict:
    """Monthly payment by direct debit: the current schedule (fixed instalments, the ones after
    the data's end unpaid, as the kit lists them), the last debit, the next bill (the coming
    regularisation)."""
    s = parameters.load("supplier")["edf"]
    last = ctx.period.end - timedelta(days=1)
    schedules = mensualisation.schedule(ctx.period, years, energies)
    debits = [b for b in edf_bills.dicts() if not b["isRefund"]
              and b["scheduledPaymentDate"] <= last.isoformat()]
    paid = max(debits, key=lambda b: (b["scheduledPaymentDate"], b["date"]), default=None)
    coming = [y.end for y in years if y.end > last]
    next_bill = (coming[0] + timedelta(days=int(s["regularisation_issue_days"])) if coming
                 else None)
    a = ctx.household.address
    m = ctx.household.main
    bank = {"bank": s["bank_name"],
            "bankAddress": {"street": a.line, "city": f"{a.city} {a.postcode}", "country": "France",
                            "formated": f"{a.line}\n{a.postcode} {a.city}"},
            "iban": "FR76" + "*" * 19 + ctx.household.contract.supplier_client_id[-4:],
            "holder": f"{'Mme' if m.title.startswith('Mme') else 'M.'} {m.given} {m.family}".upper()
                      .replace("MME ", "Mme ", 1)}
    doc = {
        "vendor": s["vendor"],
        "clientId": ctx.household.contract.supplier_client_id,
        "encryptedBankDetails": json.dumps(bank, ensure_ascii=False),
        "balance": 0.0,
        "billFrequency": "MENS",
        "idPayer": ctx.household.contract.supplier_client_id,
        "modifBankDetailsAllowed": "true",
        "paymentMeans": "PRELEVEMENT",
        "payerDivergent": False,
    }
    if paid is not None:
        doc["dernierReglement"] = {
            "date": offset_midnight(date.fromisoformat(paid["scheduledPaymentDate"]), millis=True),
            "amount": money(paid["amount"]), "type": "ENCAISSEMENT_PRELEVEMENT"}
    doc["paymentSchedules"] = schedules
    doc["nextBillDate"] = next_bill.isoformat() if next_bill else ""
    return doc
