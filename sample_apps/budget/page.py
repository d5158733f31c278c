"""Budget's HTML page, in French or English: inline SVG (sized for a phone's width) and tables,
no external assets."""

from __future__ import annotations

from html import escape

COLOURS = {"energy": "#ff7f0e", "water": "#1f77b4", "phone": "#9467bd", "insurance": "#2ca02c"}
TEXT = {
    "en": {
        "title": "Budget", "energy": "Energy (electricity, gas)", "water": "Water",
        "phone": "Phone, internet", "insurance": "Insurance (home, car)",
        "intro": "What your bank account paid for energy, water, phone and insurance, by the "
                 "category your bank app shows, checked against your bills and your meters.",
        "empty": "No bank operation in these categories yet: connect your bank, or come back "
                 "once operations have arrived.",
        "denied": "Not allowed to read: {}. That part stays empty.",
        "months": "Month by month", "years": "Year by year", "year": "Year", "month": "Month",
        "total": "Total", "awaiting": "{} operation(s) still being categorised are not counted.",
        "bills": "Bills and their debits", "matched": "{} of {} bill(s) found on your account.",
        "nodebit": "Bills without a debit", "nobill": "Debits without a bill",
        "date": "Date", "vendor": "Vendor", "amount": "Amount", "label": "Label",
        "none": "None.",
        "water_h": "Water: bills against the meter", "period": "Period",
        "perm3": "€/m³ all in", "expected": "From the meter", "flag": "Check",
        "fit": "All your water bills fit {} €/m³ plus {} € a year of standing charge.",
        "energy_h": "Electricity and gas: yearly statements against the meter",
        "billed": "Billed kWh", "metered": "Metered kWh", "cost": "Cost of the year",
        "perkwh": "€/kWh", "electricity": "Electricity", "gas": "Gas",
        "use_h": "Used and paid, month by month", "elec_kwh": "Electricity kWh",
        "gas_kwh": "Gas kWh", "paid_energy": "Energy paid", "paid_water": "Water paid",
        "use_note": "Energy is paid in equal monthly instalments and settled once a year by "
                    "the yearly statement; water is paid each quarter, after the fact.",
        "flags": {"readings_missing": "meter readings missing", "amount_off_meter":
                  "amount differs from the meter", "kwh_off_meter": "kWh differ from the "
                  "meter", "partly_read": "meter covers part of the year", None: "ok"},
        "how": "Spending is the debits (minus refunds) of the categories Électricité, gaz, "
               "chauffage (401080), Eau (401070), Internet, TV, télécom (400150), Assurance "
               "habitation (401040) and Assurance véhicule (400230), taken as cozy-banks shows "
               "them: your own choice, else the model's when it is more than 15 % sure, else "
               "the bank's. A bill's debit is found as cozy-banks does: same amount to the "
               "tenth of a cent, 15 days before to 29 days after the bill, the vendor in the "
               "label.",
    },
    "fr": {
        "title": "Budget", "energy": "Énergie (électricité, gaz)", "water": "Eau",
        "phone": "Téléphone, internet", "insurance": "Assurances (logement, voiture)",
        "intro": "Ce que votre compte a payé pour l'énergie, l'eau, le téléphone et les "
                 "assurances, selon la catégorie que montre votre appli bancaire, vérifié avec "
                 "vos factures et vos compteurs.",
        "empty": "Aucune opération bancaire dans ces catégories pour l'instant : connectez "
                 "votre banque, ou revenez quand les opérations seront arrivées.",
        "denied": "Lecture non autorisée : {}. Cette partie reste vide.",
        "months": "Mois par mois", "years": "Année par année", "year": "Année",
        "month": "Mois", "total": "Total",
        "awaiting": "{} opération(s) en cours de catégorisation ne sont pas comptées.",
        "bills": "Les factures et leurs prélèvements",
        "matched": "{} facture(s) sur {} retrouvée(s) sur votre compte.",
        "nodebit": "Factures sans prélèvement", "nobill": "Prélèvements sans facture",
        "date": "Date", "vendor": "Fournisseur", "amount": "Montant", "label": "Libellé",
        "none": "Aucun.",
        "water_h": "Eau : les factures face au compteur", "period": "Période",
        "perm3": "€/m³ tout compris", "expected": "D'après le compteur", "flag": "Contrôle",
        "fit": "Toutes vos factures d'eau suivent {} €/m³ plus {} € par an d'abonnement.",
        "energy_h": "Électricité et gaz : les factures annuelles face au compteur",
        "billed": "kWh facturés", "metered": "kWh au compteur", "cost": "Coût de l'année",
        "perkwh": "€/kWh", "electricity": "Électricité", "gas": "Gaz",
        "use_h": "Consommé et payé, mois par mois", "elec_kwh": "kWh électricité",
        "gas_kwh": "kWh gaz", "paid_energy": "Énergie payée", "paid_water": "Eau payée",
        "use_note": "L'énergie se paie en mensualités égales, soldées une fois par an par la "
                    "facture de régularisation ; l'eau se paie chaque trimestre, après coup.",
        "flags": {"readings_missing": "relevés manquants", "amount_off_meter":
                  "montant différent du compteur", "kwh_off_meter": "kWh différents du "
                  "compteur", "partly_read": "compteur partiel sur l'année", None: "ok"},
        "how": "Les dépenses sont les prélèvements (moins les remboursements) des catégories "
               "Électricité, gaz, chauffage (401080), Eau (401070), Internet, TV, télécom "
               "(400150), Assurance habitation (401040) et Assurance véhicule (400230), telles "
               "que cozy-banks les affiche : votre choix, sinon celle du modèle s'il est sûr à "
               "plus de 15 %, sinon celle de la banque. Le prélèvement d'une facture est "
               "retrouvé comme le fait cozy-banks : même montant au dixième de centime, de 15 "
               "jours avant à 29 jours après la facture, le fournisseur dans le libellé.",
    },
}
GROUPS = ("energy", "water", "phone", "insurance")
SWITCH = {"en": "English", "fr": "Français"}


def language(query: str, accept: str) -> str:
    """``?lang=fr|en``, else the first of French or English in Accept-Language, else French
    (the pilot's testers were French)."""
    if query in TEXT:
        return query
    for part in accept.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in TEXT:
            return tag
    return "fr"


def money(v: float | None, lang: str, digits: int = 2) -> str:
    if v is None:
        return "–"
    s = f"{v:,.{digits}f}"
    if lang == "fr":
        s = s.replace(",", "\u202f").replace(".", ",")
    return f"{s} €"


def number(v: float | None, lang: str, digits: int = 1) -> str:
    if v is None:
        return "–"
    s = f"{v:,.{digits}f}"
    return s.replace(",", "\u202f").replace(".", ",") if lang == "fr" else s


def stacked_bars(months: dict[str, dict[str, float]], t: dict, lang: str,
                 width: int = 360, height: int = 240) -> str:
    """One bar per month, stacked by budget line; drawn in a 360-wide box so that its 12 px
    text stays readable on a phone."""
    if not months:
        return ""
    keys = sorted(months)
    top = max(max(sum(max(v, 0.0) for v in m.values()) for m in months.values()), 1.0)
    slot = (width - 44) / len(keys)
    plot = height - 80
    parts = []
    for i, m in enumerate(keys):
        y = 20 + plot
        for g in GROUPS:
            v = max(months[m].get(g, 0.0), 0.0)
            h = plot * v / top
            y -= h
            parts.append(f'<rect x="{44 + i * slot + 1:.1f}" y="{y:.1f}" '
                         f'width="{slot * 0.8:.1f}" height="{h:.1f}" fill="{COLOURS[g]}">'
                         f'<title>{m} {escape(t[g])}: {money(v, lang)}</title></rect>')
        if len(keys) <= 12 or i % 2 == 0:
            parts.append(f'<text x="{44 + i * slot + 1:.1f}" y="{36 + plot}" '
                         f'font-size="11">{m[5:]}</text>')
    parts.append(f'<text x="0" y="28" font-size="11">{top:.0f} €</text>'
                 f'<text x="0" y="{20 + plot}" font-size="11">0 €</text>')
    for j, g in enumerate(GROUPS):
        x, y = (j % 2) * 180, height - 28 + (j // 2) * 16
        parts.append(f'<rect x="{x}" y="{y}" width="11" height="11" fill="{COLOURS[g]}"/>'
                     f'<text x="{x + 15}" y="{y + 10}" font-size="12">'
                     f'{escape(t[g].split(" (")[0])}</text>')
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="{escape(t["months"])}">{"".join(parts)}</svg>')


def _table(head: list[str], rows: list[list[str]]) -> str:
    return ("<div class='scroll'><table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r)
                                               + "</tr>" for r in rows)
            + "</tbody></table></div>")


def _per_period(table: dict[str, dict[str, float]], t: dict, lang: str, first: str) -> str:
    rows = [[escape(k)] + [money(v[g], lang) for g in GROUPS]
            + [f"<b>{money(sum(v.values()), lang)}</b>"] for k, v in table.items()]
    return _table([first] + [escape(t[g].split(" (")[0]) for g in GROUPS] + [t["total"]], rows)


def _flag(code: str | None, t: dict) -> str:
    text = escape(t["flags"].get(code, code or "ok"))
    return f'<span class="flag">{text}</span>' if code else text


def _body(s: dict, t: dict, lang: str) -> str:
    sp, mt, w = s["spending"], s["matching"], s["water"]
    out = []
    if s.get("denied"):
        out.append(f'<p class="note">{escape(t["denied"].format(", ".join(s["denied"])))}</p>')
    if not sp["months"]:
        out.append(f'<p class="empty">{escape(t["empty"])}</p>')
    else:
        last = list(sp["years"])[-1]
        year = sp["years"][last]
        out.append("".join(f'<div class="kpi"><b>{money(year[g], lang, 0)}</b>'
                           f'{escape(t[g].split(" (")[0])} {last}</div>' for g in GROUPS))
        out.append(f"<h2>{t['months']}</h2>{stacked_bars(sp['months'], t, lang)}")
        out.append(_per_period(sp["months"], t, lang, t["month"]))
        out.append(f"<h2>{t['years']}</h2>" + _per_period(sp["years"], t, lang, t["year"]))
        if sp["awaiting"]:
            out.append(f"<p><small>{escape(t['awaiting'].format(sp['awaiting']))}</small></p>")
    n_bills = len(mt["matched"]) + len(mt["bills_without_debit"])
    out.append(f"<h2>{t['bills']}</h2><p>{escape(t['matched'].format(len(mt['matched']), n_bills))}"
               "</p>")
    for key, rows in (("nodebit", [[escape(b["date"]), escape(str(b["vendor"])),
                                    money(b["amount"], lang)]
                                   for b in mt["bills_without_debit"]]),
                      ("nobill", [[escape(o["date"]), escape(o["label"]),
                                   money(-o["amount"], lang)]
                                  for o in mt["debits_without_bill"]])):
        head = [t["date"], t["vendor"] if key == "nodebit" else t["label"], t["amount"]]
        out.append(f"<h3>{t[key]}</h3>" + (_table(head, rows) if rows else f"<p>{t['none']}</p>"))
    if w["bills"]:
        out.append(f"<h2>{t['water_h']}</h2>")
        rows = [[f"{escape(b['periodStart'])} → {escape(b['periodEnd'])}",
                 f"{number(b['m3'], lang, 3)} m³", money(b["amount"], lang),
                 number(b["eur_per_m3"], lang, 2), money(b.get("expected"), lang),
                 _flag(b["flag"], t)] for b in w["bills"]]
        out.append(_table([t["period"], "m³", t["amount"], t["perm3"], t["expected"],
                           t["flag"]], rows))
        if w["price_per_m3"] is not None:
            fit = t["fit"].format(number(w["price_per_m3"], lang, 2),
                                  number(w["standing_per_year"], lang, 0))
            out.append(f"<p>{escape(fit)}</p>")
    use = s["use"]
    months = sorted(set(use["electricity_kwh"]) | set(use["gas_kwh"]) | set(use["water_m3"]))
    if months:
        out.append(f"<h2>{t['use_h']}</h2>")
        rows = [[escape(m), number(use["electricity_kwh"].get(m), lang, 0),
                 number(use["gas_kwh"].get(m), lang, 0),
                 money(sp["months"].get(m, {}).get("energy"), lang),
                 number(use["water_m3"].get(m), lang, 1),
                 money(sp["months"].get(m, {}).get("water"), lang)] for m in months]
        out.append(_table([t["month"], t["elec_kwh"], t["gas_kwh"], t["paid_energy"], "m³",
                           t["paid_water"]], rows))
        out.append(f"<p><small>{escape(t['use_note'])}</small></p>")
    years = [(t[e], y) for e in ("electricity", "gas") for y in s[e]["years"]]
    if years:
        out.append(f"<h2>{t['energy_h']}</h2>")
        rows = [[escape(name), f"{escape(y['periodStart'])} → {escape(y['periodEnd'])}",
                 number(y["billed_kwh"], lang, 0), number(y["metered_kwh"], lang, 0),
                 money(y["cost"], lang), number(y["eur_per_kwh"], lang, 4),
                 _flag(y["flag"], t)] for name, y in years]
        out.append(_table(["", t["period"], t["billed"], t["metered"], t["cost"], t["perkwh"],
                           t["flag"]], rows))
    out.append(f"<p><small>{escape(t['how'])}</small></p>")
    return "\n".join(out)


def render(s: dict, lang: str = "fr") -> str:
    t = TEXT[lang]
    other = "en" if lang == "fr" else "fr"
    body = (f'<p class="error">{escape(s["error"])}</p>' if s.get("error")
            else _body(s, t, lang))
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{t['title']}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem; color: #222; max-width: 960px; }}
.scroll {{ overflow-x: auto; }} table {{ border-collapse: collapse; font-size: 0.9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left;
white-space: nowrap; }} .kpi {{ display: inline-block; margin: 0 1.5rem 0.8rem 0; }}
.kpi b {{ display: block; font-size: 1.4rem; }} .error, .flag {{ color: #b00; }}
.empty, .note {{ background: #f4f4f4; padding: 0.6rem; }} svg {{ max-width: 560px; }}
</style></head><body><h1>{t['title']}</h1><p>{escape(t['intro'])}</p>
{body}
<p><a href="?lang={other}">{SWITCH[other]}</a></p>
</body></html>"""
