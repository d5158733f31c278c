"""Purchases: receipts ↔ card payments to the cent, VAT, merchants near the phone, fuel only with
cars, parcels delivered to the household's address on working days at home."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

import numpy as np
import pytest

from synthetic_data.context import SourceContext
from synthetic_data.ledger import Payment, payments
from synthetic_data.population import household_context
from synthetic_data.sources import modules_for, shopping
from synthetic_data.sources.laposte import LABELS, PARCEL
from synthetic_data.sources.shopping import RECEIPT, _Shopper
from tests.support.households import SEED, YEAR, indices_where

SWEEP = 6
ORDER = {"DR1": 0, "PC1": 1, "ET1": 2, "MD2": 3, "AG1": 4, "DI1": 5, "RE1": 5, "DI2": 6}


@cache
def shopped(index: int) -> tuple[SourceContext, dict[str, list[dict]], list[Payment]]:
    """Household ``index`` run through every source up to shopping: its documents and its
    shopping payments."""
    ctx = household_context(SEED, index, YEAR)
    docs: dict[str, list[dict]] = {}
    for mod in modules_for(ctx.household.partners):
        if mod is shopping:
            for b in mod.generate(ctx):
                docs[b.doctype] = b.dicts()
            break
        mod.generate(ctx)
    return ctx, docs, [p for p in payments(ctx) if p.source == "shopping"]


@cache
def sweep() -> list[int]:
    def with_trip_and_car(hh, tl) -> bool:
        """a trip and a car"""
        return bool(tl.trips) and bool(hh.cars)

    def without_phone_partner(hh, tl) -> bool:
        """mobile lines not with Orange"""
        return not hh.partners.orange_mobile

    return sorted(set(indices_where(with_trip_and_car, SWEEP - 2)
                      + indices_where(without_phone_partner, 2)))


def _km(lat0, lon0, lat1, lon1) -> np.ndarray:
    dy = (np.asarray(lat1) - lat0) * 111.32
    dx = (np.asarray(lon1) - lon0) * 111.32 * np.cos(np.radians(lat0))
    return np.hypot(dx, dy)


def test_each_receipt_total_is_its_lines_and_its_card_payment_to_the_cent():
    for i in sweep():
        _, docs, pays = shopped(i)
        by_ref = {p.reference: p for p in pays if p.category == shopping.GROCERIES}
        assert docs[RECEIPT] and len(by_ref) == len(docs[RECEIPT])
        for r in docs[RECEIPT]:
            cents = [round(it["amount"] * 100) for it in r["items"]]
            assert round(r["total"] * 100) == sum(cents)
            for it in r["items"]:
                assert abs(it["quantity"] * it["unitPrice"] - it["amount"]) <= 0.005 + 1e-9
            pay = by_ref[r["receiptId"]]
            assert round(-pay.amount * 100) == sum(cents) and pay.kind == "card"
            assert pay.when == datetime.fromisoformat(r["date"])
            assert (pay.latitude, pay.longitude) == (r["store"]["latitude"],
                                                     r["store"]["longitude"])


def test_vat_rates_follow_the_rules_and_summaries_add_up():
    _, docs, _ = shopped(sweep()[0])
    for r in docs[RECEIPT]:
        for it in r["items"]:
            assert it["vatRate"] in (2.1, 5.5, 10.0, 20.0)
            if it["family"] in ("entretien", "bazar", "textile", "animalerie"):
                assert it["vatRate"] == 20.0
            if it["family"] == "presse":
                assert it["vatRate"] == 2.1
            if it["family"] == "fruits_legumes":
                assert it["vatRate"] == 5.5
        for v in r["vat"]:
            lines = sum(round(it["amount"] * 100) for it in r["items"]
                        if it["vatRate"] == v["rate"])
            assert round(v["total"] * 100) == lines
            assert round(v["base"] * 100) + round(v["vat"] * 100) == lines
            assert round(v["base"] * 100) == round(lines / (1 + v["rate"] / 100))
        assert sum(round(v["total"] * 100) for v in r["vat"]) == round(r["total"] * 100)
        main = [it for it in r["items"] if it["label"].startswith("VIN ")]
        assert all(it["vatRate"] == 20.0 for it in main)


def test_card_payments_are_near_the_holder_at_that_instant():
    for i in sweep():
        ctx, _, pays = shopped(i)
        sh = _Shopper(ctx)
        located = [p for p in pays if p.latitude is not None]
        assert located
        local = np.array([np.datetime64(p.when, "s") for p in located])
        lat, lon, _ = sh.where(np.array([p.member for p in located]), local)
        km = _km(lat, lon, [p.latitude for p in located], [p.longitude for p in located])
        assert km.max() < 1.0, f"household {i}: a merchant {km.max():.2f} km from its holder"


def test_nothing_is_bought_in_the_home_area_on_an_away_day():
    for i in sweep():
        ctx, _, pays = shopped(i)
        tl, home = ctx.timeline, ctx.household.dwelling.location
        for p in pays:
            if p.latitude is None or not tl.away[(p.day - ctx.period.start).days]:
                continue
            assert _km(home.latitude, home.longitude, p.latitude, p.longitude) > 5.0
            assert p.city != ctx.household.address.city


def test_fuel_only_for_households_with_cars_and_within_their_driving():
    fuel_seen = 0
    for i in sweep():
        ctx, _, pays = shopped(i)
        fuel = [p for p in pays if p.category == "400250"]
        if not ctx.household.cars:
            assert not fuel
        else:
            fuel_seen += 1
            litres = sum(-p.amount for p in fuel) / 1.78
            assert 200 < litres / len(ctx.household.cars) < 1600
    assert fuel_seen


def _working(day: date, holidays: set[date]) -> bool:
    return day.weekday() != 6 and day not in holidays


def test_parcels_reach_the_household_address_in_a_valid_order_on_working_days_at_home():
    avise = delivered = letterbox = 0
    for i in sweep():
        ctx, docs, pays = shopped(i)
        per, tl, addr = ctx.period, ctx.timeline, ctx.household.address
        holidays = set(per.days[per.public_holiday].astype(date))
        refs = {p.reference for p in pays if p.category == "400112"}
        sh = _Shopper(ctx)
        for d in docs[PARCEL]:
            assert d["recipientAddress"] == {"line": addr.line, "postcode": addr.postcode,
                                             "city": addr.city, "insee": addr.insee,
                                             "country": addr.country}
            assert d["orderReference"] in refs and len(d["idShip"]) == 13
            ev = list(reversed(d["event"]))
            codes = [e["code"] for e in ev]
            dates = [datetime.fromisoformat(e["date"]) for e in ev]
            assert dates == sorted(dates) and codes[0] == "DR1"
            assert [ORDER[c] for c in codes] == sorted(ORDER[c] for c in codes)
            if "MD2" not in codes:
                continue
            md2 = dates[codes.index("MD2")]
            assert _working(md2.date(), holidays)
            pc1 = dates[codes.index("PC1")].date()
            assert sum(_working(date.fromordinal(o), holidays)
                       for o in range(pc1.toordinal() + 1, md2.date().toordinal() + 1)) == 2
            attempt_day = (md2.date() - per.start).days
            if "DI1" in codes:
                got = dates[codes.index("DI1")]
                assert _working(got.date(), holidays)
                assert not tl.away[(got.date() - per.start).days]
                delivered += 1
            if "AG1" in codes:
                avise += 1
                at = dates[codes.index("AG1")].replace(tzinfo=None)
                assert not sh.home_present(attempt_day, np.datetime64(at, "s"))
                assert d["contextData"]["removalPoint"]["type"] == "BDP"
            elif "DI1" in codes:
                at = dates[codes.index("DI1")].replace(tzinfo=None)
                left = ev[codes.index("DI1")]["label"] == LABELS["DI1l"]
                assert left or sh.home_present(attempt_day, np.datetime64(at, "s"))
                assert not tl.away[attempt_day]
                letterbox += left
            assert d["isFinal"] == (codes[-1] in ("DI1", "DI2"))
    assert delivered and avise and letterbox


def test_no_parcel_is_handed_over_at_home_while_away():
    for i in sweep():
        ctx, docs, _ = shopped(i)
        for d in docs[PARCEL]:
            for e in d["event"]:
                if e["code"] == "DI1":
                    day = datetime.fromisoformat(e["date"]).date()
                    assert not ctx.timeline.away[(day - ctx.period.start).days]


def test_households_without_orange_lines_still_shop_near_their_members():
    i = next(i for i in sweep() if not shopped(i)[0].household.partners.orange_mobile)
    _, docs, pays = shopped(i)
    assert docs[RECEIPT] and any(p.latitude is not None for p in pays)


def test_generation_is_deterministic():
    i = sweep()[0]
    a = shopping.generate(household_context(SEED, i, YEAR))
    b = shopping.generate(household_context(SEED, i, YEAR))
    assert [x.ndjson() for x in a] == [x.ndjson() for x in b]


@pytest.mark.parametrize("units,expected", [(1, 1.0), (2, 1.5)])
def test_consumption_units_follow_the_oecd_scale(units, expected):
    def adults(hh, tl) -> bool:
        """that many adults and nobody else"""
        return len(hh.members) == units and all(
            m.age_on(YEAR.start) >= 14 for m in hh.members)
    ctx = household_context(SEED, indices_where(adults, 1)[0], YEAR)
    assert shopping.consumption_units(ctx) == expected
