"""Water: one daily statement per local day, and quarterly bills.

Litres follow household size (sub-linear), season and weekday; nobody home → 0 L, except the leak
flow, which is how leaks show (non-zero use while away, a raised floor every day).
"""

from __future__ import annotations

import numpy as np

from synthetic_data import parameters
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Col, iso_local
from synthetic_data.invoices import fr_number
from synthetic_data.sources import bills

STATEMENTS = "org.fing.mesinfos.consumptionstatement"
DOCTYPES = (STATEMENTS, "io.cozy.bills")
VERSION = "selfdata-water-1.0"


def vendor_for(ctx: SourceContext) -> str:
    p = parameters.load("water")
    if ctx.household.commune.department == "69":
        return p["vendors"][0]
    if ctx.household.commune.department == "75":
        return p["vendors"][2]
    return p["vendors"][1 + ctx.household.index % 2 * 2]


def daily_litres(ctx: SourceContext) -> np.ndarray:
    p = parameters.load("water")
    rng = ctx.rng("water")
    per = ctx.period
    tl = ctx.timeline
    sizes = np.clip(tl.occupants, 1, len(p["litres_by_size"]))
    base = np.asarray(p["litres_by_size"])[sizes - 1]
    base = base * rng.lognormal(0.0, p["household_sigma"])
    factor = np.asarray(p["month_factor"])[per.month - 1] * np.asarray(
        p["weekday_factor"])[per.weekday]
    if ctx.household.dwelling.garden:
        factor = factor * np.where((per.month >= 5) & (per.month <= 9),
                                   1 + p["garden_summer_boost"], 1.0)
    noise = rng.lognormal(-p["daily_sigma"] ** 2 / 2, p["daily_sigma"], per.n_days)
    presence = np.where(tl.away, 0.0, 1.0)
    # departure and return days: away one half of the day
    edges = np.zeros(per.n_days, dtype=bool)
    edges[1:] |= tl.away[1:] != tl.away[:-1]
    presence[edges & tl.away] = p["travel_day_share"]
    litres = base * factor * noise * presence + tl.leak_lph * 24.0
    return np.round(litres).astype(np.int64)


def generate(ctx: SourceContext) -> list[Batch]:
    p = parameters.load("water")
    litres = daily_litres(ctx)
    ctx.shared["water_litres"] = litres
    days = ctx.period.days
    start_index = int(ctx.rng("water-index").integers(50_000, 900_000))  # litres on the meter
    index = start_index + np.cumsum(litres)
    spec = {
        "docTypeVersion": VERSION,
        "contractNumber": ctx.household.water_contract,
        "vendor": vendor_for(ctx),
        "start": Col("start"),
        "end": Col("end"),
        "period": Col("period"),
        "value": Col("value", "int"),
        "unit": "L",
        "volume": Col("volume", "float"),
        "index": Col("index", "float"),
        "statementType": "mesure",
        "statementCategory": "eau",
        "statementReason": "WaterDailyConsumption",
    }
    statements = Batch.from_columns(STATEMENTS, spec, {
        "start": iso_local(days, "s"),
        "end": iso_local(days + np.timedelta64(1, "D"), "s"),
        "period": iso_local(days, "D"),
        "value": litres,
        "volume": np.round(litres / 1000.0, 3),
        "index": np.round(index / 1000.0, 3),
    })
    m3 = litres / 1000.0

    def lines(mask: np.ndarray, first, last) -> list[tuple[str, str, float]]:
        used = float(m3[mask].sum())
        return [("Consommation d'eau", f"{fr_number(used, 3)} m³ à "
                 f"{fr_number(p['price_per_m3'], 2)} €/m³", used * p["price_per_m3"]),
                (f"Abonnement ({int(mask.sum())} jours)", "",
                 p["standing_per_year"] * mask.sum() / 365.0)]

    quarter_bills = bills.periodic_bills(
        ctx, months=3, vendor=vendor_for(ctx), bill_type="water",
        amounts=lambda mask: float(m3[mask].sum() * p["price_per_m3"]
                                   + p["standing_per_year"] * mask.sum() / 365.0),
        contract=ctx.household.water_contract, lines=lines,
        references=(("N° de contrat", ctx.household.water_contract),
                    ("Adresse de desserte", ctx.household.address.formatted)),
    )
    return [statements, quarter_bills]
