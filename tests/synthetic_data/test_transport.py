"""Public transport: validations only where and when the person is; passes and tickets paid."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from functools import cache

import numpy as np
import pytest

from synthetic_data import parameters
from synthetic_data.calendar_fr import utc_offset_seconds
from synthetic_data.ledger import payments
from synthetic_data.population import household_context
from synthetic_data.schemas import problems
from synthetic_data.sources import SOURCE_MODULES, transport
from synthetic_data.sources.orange_mobility import HOME, WORK, mobility
from tests.support.households import SEED, YEAR, docs_of, household, indices_where, tcl_worker

VALIDATION = transport.VALIDATION


@cache
def lyon() -> list[int]:
    """TCL-area households with a commuter (monthly pass validations) among the first ones."""
    out = [i for i in indices_where(tcl_worker, 12)
           if docs_of(household(i), VALIDATION, productId="monthly_pass")]
    assert len(out) >= 2, "too few TCL commuters among the first TCL-area households"
    return out


@cache
def run(index: int):
    """The household's context after its transport source ran alone (ledger and mobility)."""
    ctx = household_context(SEED, index, YEAR)
    batches = transport.generate(ctx)
    docs = [d for b in batches for d in b.dicts()]
    return ctx, docs


def _instants(docs: list[dict]) -> np.ndarray:
    return np.array([d["timestamp"][:-1] for d in docs], dtype="datetime64[s]")


def _local_days(t: np.ndarray) -> np.ndarray:
    off = utc_offset_seconds(t.astype(np.int64)).astype("timedelta64[s]")
    return (t + off).astype("datetime64[D]")


def test_runs_after_maif_and_only_in_the_network_area():
    assert SOURCE_MODULES.index("transport") == SOURCE_MODULES.index("maif") + 1
    assert transport.served("69383") and transport.served("69266")
    assert not transport.served("69264")  # Villefranche-sur-Saône: outside the metropolis
    outside = indices_where(lambda hh, tl: not transport.served(hh.commune.insee), 2)
    for i in outside:
        assert docs_of(household(i), VALIDATION) == []


def test_generated_documents_match_the_transport_run_and_validate():
    for i in lyon():
        _, docs = run(i)
        assert docs == docs_of(household(i), VALIDATION)
        for d in docs:
            assert problems(VALIDATION, d) == []


def test_validations_happen_where_the_phone_is_and_never_on_trips():
    walk = parameters.load("transport")["commute"]["max_walk_km"]
    for i in lyon():
        ctx, docs = run(i)
        mob = mobility(ctx)
        by_name = {f"{m.given} {m.family}": m for m in ctx.household.members}
        for name in {d["cardHolder"] for d in docs}:
            mine = [d for d in docs if d["cardHolder"] == name]
            msisdn = by_name[name].msisdn
            t = _instants(mine)
            place, trip = mob.place(msisdn, t)
            tr = mob.tracks[msisdn]
            km = transport.km_between(tr.place_lat[place], tr.place_lon[place],
                                      np.array([d["latitude"] for d in mine]),
                                      np.array([d["longitude"] for d in mine]))
            assert (km <= walk + 1e-9).all(), km.max()
            assert (trip < 0).all()
            days = (_local_days(t) - np.datetime64(YEAR.start, "D")).astype(np.int64)
            assert not ctx.timeline.away[days].any()
            # and the reported position (with its scatter) is near the stop too
            lat, lon, radius, _ = mob.locate(msisdn, t, np.random.default_rng(0))
            near = transport.km_between(lat, lon, np.array([d["latitude"] for d in mine]),
                                        np.array([d["longitude"] for d in mine]))
            assert (near <= walk + 5 * radius / 1000.0).all()


def test_commuters_validate_at_home_going_out_and_at_work_coming_back_on_working_days():
    seen = 0
    for i in lyon():
        ctx, docs = run(i)
        mob = mobility(ctx)
        per = ctx.period
        for m in ctx.household.members:
            mine = [d for d in docs if d["cardHolder"] == f"{m.given} {m.family}"
                    and d["productId"] == "monthly_pass"]
            if not mine or not m.works:
                continue
            t = _instants(mine)
            place, _ = mob.place(m.msisdn, t)
            at_work_soon, _ = mob.place(m.msisdn, t + np.timedelta64(20, "m"))
            commute = ((place == HOME) & (at_work_soon == WORK)) | (place == WORK)
            assert commute.mean() > 0.6  # the rest: outings by the network
            days = (_local_days(t[commute]) - np.datetime64(per.start, "D")).astype(np.int64)
            assert (per.weekday[days] < 5).all() and not per.public_holiday[days].any()
            per_day = Counter(days.tolist())
            assert max(per_day.values()) <= 2
            rate = len(days) / len(per_day)
            assert 1.5 <= rate <= 2.0
            seen += 1
    assert seen


def test_one_pass_debit_per_holder_and_month_at_the_fare_of_the_year_and_age():
    fares = parameters.load("transport")["fares"]
    for i in lyon():
        ctx, docs = run(i)
        debits = [p for p in payments(ctx) if p.source == "transport"
                  and p.kind == "direct_debit"]
        holders = {d["cardId"] for d in docs if d["media"] == "card"}
        by_card = Counter(p.reference.rsplit("-", 1)[0] for p in debits)
        assert holders <= set(by_card)
        assert set(by_card.values()) == {12}
        for p in debits:
            assert p.day.day == fares["pass_debit_day"] and p.category == "400280"
            assert p.counterparty == "TCL"
            product = transport.pass_product(ctx.household.members[p.member], p.day)
            assert p.amount == -transport.fare(product, p.day)
        assert len({(p.member, p.day.month) for p in debits}) == len(debits)


def test_fares_by_year_follow_the_sourced_grid():
    assert transport.fare("monthly_pass", date(2024, 3, 5)) == 72.60
    assert transport.fare("monthly_pass", date(2025, 3, 5)) == 74.10
    assert transport.fare("monthly_pass_senior", date(2025, 1, 5)) == 37.00
    assert transport.fare("single_ticket", date(2018, 6, 1)) == 1.90
    assert transport.fare("monthly_pass", date(2016, 6, 1)) == 60.50
    assert 60.50 < transport.fare("monthly_pass", date(2021, 6, 1)) < 72.60


@pytest.mark.parametrize("born, day, product", [
    (date(1959, 5, 10), date(2024, 5, 5), "monthly_pass"),
    (date(1959, 5, 10), date(2024, 6, 5), "monthly_pass_senior"),
])
def test_the_senior_fare_applies_from_the_first_debit_after_the_65th_birthday(born, day, product):
    member = household(lyon()[0]).household.members[0]
    older = type(member)(**{**vars(member), "birthdate": born})
    assert transport.pass_product(older, day) == product


def test_every_single_ticket_is_a_card_payment_at_the_stop_at_that_instant():
    seen = 0
    for i in lyon():
        ctx, docs = run(i)
        tickets = [d for d in docs if d["media"] == "bank_card"]
        cards = {(p.when, p.latitude, p.longitude, p.amount) for p in payments(ctx)
                 if p.source == "transport" and p.kind == "card"}
        assert len(cards) == len(tickets)
        mob = mobility(ctx)
        for d in tickets:
            t = np.array([d["timestamp"][:-1]], dtype="datetime64[s]")
            x = float(mob.local_hours(t)[0])
            when = datetime.combine(YEAR.start, datetime.min.time()) + timedelta(hours=x)
            when = when.replace(microsecond=0)
            assert d["productId"] == "single_ticket" and d["cardId"].startswith("XXXX")
            assert (when, d["latitude"], d["longitude"],
                    -transport.fare("single_ticket", when.date())) in cards
            seen += 1
    assert seen
