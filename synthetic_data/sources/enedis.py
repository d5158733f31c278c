"""Enedis / Linky: daily load curve, daily energy and peak power, Linky half-hour statements, and
the customer documents (identity, usage-point address, usage point).

Every number derives from one integer array of Wh per half-hour (``electricity_model``): load-curve
W = 2 × Wh, daily energy = Σ half-hours of the local day, index = running sum. Published as
``ctx.shared["electricity"]`` for the supplier's bills.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

import numpy as np

from synthetic_data import parameters
from synthetic_data.calendar_fr import MINUTE, Period, utc_offset_minutes
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch, Col, iso_local
from synthetic_data.sources import electricity_model, tempo

LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"
ENERGY = "fr.enedis.api.meteringdata.energy"
MAXPOWER = "fr.enedis.api.meteringdata.maxpower"
IDENTITY = "fr.enedis.api.customers.identity"
ADDRESS = "fr.enedis.api.customers.usagepointaddress"
USAGEPOINTS = "fr.enedis.api.customers.usagepoints"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
DOCTYPES = (LOADCURVE, ENERGY, MAXPOWER, IDENTITY, ADDRESS, USAGEPOINTS, STATEMENTS)

HALF_HOUR = np.timedelta64(30, "m")


def local_clock(utc: np.ndarray) -> np.ndarray:
    """UTC instants as Europe/Paris clock times without offset, ``2024-10-27T02:00:00``, as the
    kit writes Linky half-hours. On the fall-back night 02:00-03:00 occurs twice: both runs are
    written, in time order (summer time first), so only document order tells them apart; in
    spring 02:00-03:00 does not exist and has no document."""
    offset = utc_offset_minutes(utc)
    return (utc + offset * MINUTE).astype("datetime64[s]")


@lru_cache(maxsize=8)
def _slot_bounds(period: Period) -> np.ndarray:
    """Every half-hour boundary of the period as local clock time (shared by households)."""
    hg = period.halfhours
    return local_clock(np.append(hg.start_utc, hg.start_utc[-1] + HALF_HOUR))


@lru_cache(maxsize=8)
def _block_template(n: int) -> str:
    """The interval_block of an ``n``-point day with ``%d`` for each value."""
    return "[" + ",".join(f'{{"value":"%d","reading_number":"{i}"}}'
                          for i in range(1, n + 1)) + "]"


def _metering(ctx: SourceContext, kind: str, unit: str, time_attribute: str, doc: dict) -> dict:
    hh = ctx.household
    return {
        "docTypeVersion": doc["enedis_version"],
        "contract_power": str(hh.contract.kva),
        "fee_schedule": Col("fee"),
        "INSEE_code": hh.address.insee,
        "business_step": doc["business_step"],
        "usage_point": [{
            "usage_point_id": hh.contract.pdl,
            "meter_reading": {
                "reading_type": {
                    "measurement_kind": kind,
                    "start_measurement_period": Col("start"),
                    "end_measurement_period": Col("end"),
                    "interval_length": "",
                    "time_attribute": time_attribute,
                    "unit": unit,
                    "flow_direction": "forward",
                },
                "interval_block": Col("block", "raw") if kind == "CDC" else [
                    {"value": Col("value"), "reading_number": "1"}],
            },
        }],
    }


def _customer_docs(ctx: SourceContext, doc: dict) -> list[Batch]:
    hh = ctx.household
    c = hh.contract
    main = hh.main
    identity = {"customer_id": c.enedis_customer_id, "segment": doc["segment"],
                "identity": {"natural_person": {"title": main.title.rstrip("."),
                                                "name": main.given.upper(),
                                                "last_name": main.family}}}
    a = hh.address
    address = {"customer_id": c.enedis_customer_id, "segment": doc["segment"],
               "usage_point_address": {
                   "additional_adress1": "", "additional_adress2": "",
                   "street_number": a.street_number, "street": a.street, "locality": "",
                   "zip": a.postcode, "city": a.city, "country": a.country, "geo_point": a.insee}}
    # the meter's off-peak hours as they stand at the data's end (after any option change)
    option = str(ctx.timeline.hc_option[-1])
    time_slot = ""
    if option == "HPHC":
        time_slot = f"HC ({_hhmm(c.hc_window[0])}-{_hhmm(c.hc_window[1])})"
    elif option == "Tempo":
        tp = parameters.load("electricity")["tempo"]
        time_slot = f"HC ({_hhmm(tp['hc_start'])}-{_hhmm(tp['hc_end'])})"
    points = {"usage_points": {"usage_point_id": c.pdl, "power_subscribed": str(c.kva),
                               "time_slot": time_slot}}
    return [Batch.from_dicts(IDENTITY, [identity]), Batch.from_dicts(ADDRESS, [address]),
            Batch.from_dicts(USAGEPOINTS, [points])]


def _hhmm(hour: float) -> str:
    return f"{int(hour) % 24}H{round(hour % 1 * 60):02d}"


def generate(ctx: SourceContext) -> list[Batch]:
    p = parameters.load("electricity")
    doc = p["documents"]
    e = electricity_model.simulate(ctx)
    ctx.shared["electricity"] = {
        "halfhour_wh": e.halfhour_wh,
        "daily_wh": e.daily_wh,
        "daily_hc_wh": e.daily_hc_wh,
        "tempo_colour": None if e.day_colour is None else tempo.names(e.day_colour),
        # extras for the supplier's bills and contract
        "index_start_wh": e.index_start_wh,
        "option_code": e.option_code,
        "slot_hc": e.slot_hc,
        "slot_tempo_colour": e.slot_colour,
        "daily_pmax_w": e.daily_pmax_w,
    }
    return [*_metering_batches(ctx, e, doc), _statements(ctx, e, doc),
            *_customer_docs(ctx, doc)]


def _metering_batches(ctx: SourceContext, e: electricity_model.Electricity, doc: dict,
                      ) -> list[Batch]:
    """Load curve (one document per local day, 46/48/50 points as a raw JSON column), daily
    energy and daily max power."""
    days = ctx.period.days
    start = iso_local(days, "D")
    end = iso_local(days + np.timedelta64(1, "D"), "D")
    fee = np.asarray(ctx.timeline.hc_option, dtype=object)
    watts = e.halfhour_w.tolist()
    bounds = np.append(e.day_start, e.halfhour_wh.size).tolist()
    blocks = [_block_template(b - a) % tuple(watts[a:b])
              for a, b in pairwise(bounds)]
    cols = {"fee": fee.tolist(), "start": start, "end": end}
    return [
        Batch.from_columns(LOADCURVE, _metering(ctx, "CDC", "W", "30mn", doc),
                           {**cols, "block": blocks}),
        Batch.from_columns(ENERGY, _metering(ctx, "ENERGIEGLO", "Wh", "day", doc),
                           {**cols, "value": e.daily_wh.astype(str)}),
        Batch.from_columns(MAXPOWER, _metering(ctx, "PMAX", "W", "day", doc),
                           {**cols, "value": e.daily_pmax_w.astype(str)}),
    ]


def _statements(ctx: SourceContext, e: electricity_model.Electricity, doc: dict) -> Batch:
    """Linky half-hours as consumption statements: one per slot, local clock time (no offset)."""
    spec = {
        "docTypeVersion": doc["linky_version"],
        "contractNumber": ctx.household.contract.supplier_contract_number,
        "start": Col("start", "local"),
        "end": Col("end", "local"),
        "value": Col("value", "int"),
        "unit": "Wh",
        "index": Col("index", "int"),
        "statementType": "mesure",
        "statementCategory": "linky",
        "statementReason": "LinkyHalfHourElecConsumption",
    }
    slot_bounds = _slot_bounds(ctx.period)
    return Batch.from_columns(STATEMENTS, spec, {
        "start": slot_bounds[:-1],
        "end": slot_bounds[1:],
        "value": e.halfhour_wh,
        "index": e.index_start_wh + np.cumsum(e.halfhour_wh),
    })
