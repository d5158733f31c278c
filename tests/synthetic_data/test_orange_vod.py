"""Orange VOD: at home only, evenings, series in order, viewings within the programme, prices."""

from __future__ import annotations

import re
from datetime import date

import numpy as np

import synthetic_data.population as population
from synthetic_data.calendar_fr import Period, utc_offset_minutes
from synthetic_data.household import Partners
from synthetic_data.schemas import problems
from tests.support.households import docs_of

VOD = "fr.orange.videostream"
SUB = re.compile(r"^(\d{2})-(.+) - S(\d{2})$")


def _local(docs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    t = np.array([d["timestamp"].rstrip("Z") for d in docs], dtype="datetime64[s]")
    local = t + utc_offset_minutes(t) * np.timedelta64(1, "m")
    day = local.astype("datetime64[D]")
    return day, (local - day).astype(np.int64) / 3600.0


def _orders(data) -> list[dict]:
    return docs_of(data, VOD, action="Commande")


def test_no_vod_on_away_days(households):
    seen = 0
    for data in households:
        docs = docs_of(data, VOD)
        if not docs:
            continue
        day, _ = _local(docs)
        idx = (day - np.datetime64(data.timeline.period.start, "D")).astype(np.int64)
        assert ((idx >= 0) & (idx < data.timeline.away.size)).all()
        assert not data.timeline.away[idx].any()
        assert {d["clientId"] for d in docs} == {data.household.habits.orange_client_id}
        seen += len(docs)
    assert seen > 200


def test_orders_are_mostly_in_the_evening(households):
    hours = []
    for data in households:
        orders = [d for d in _orders(data) if d["content"]["csaCode"] > 1]
        if orders:
            hours.extend(_local(orders)[1])
    hours = np.array(hours)
    evening = (hours >= 18) | (hours < 2)
    assert evening.mean() > 0.7
    assert ((hours >= 20.5) & (hours < 22)).mean() > 0.3
    assert ((hours >= 2) & (hours < 9)).mean() < 0.02


def test_orders_follow_household_appetite(households):
    months = households[0].timeline.period.n_days / 30.44
    rates, appetite = [], []
    for data in households:
        rates.append(len(_orders(data)) / months)
        appetite.append(data.household.habits.vod_per_month)
    assert np.corrcoef(rates, appetite)[0, 1] > 0.7
    assert 0.4 < np.sum(rates) / np.sum(appetite) < 1.3


def test_series_episodes_are_watched_in_order(households):
    runs = 0
    for data in households:
        progress: dict[str, tuple[int, int]] = {}
        for d in sorted(_orders(data), key=lambda x: x["timestamp"]):
            sub = d["content"]["subTitle"]
            if sub is None:
                continue
            m = SUB.match(sub)
            assert m, sub
            season, name = int(m.group(1)), m.group(2)
            episode = int(d["content"]["title"].split(".")[0])
            if name in progress:
                assert (season, episode) > progress[name]
                runs += 1
            progress[name] = (season, episode)
    assert runs > 20


def test_each_order_is_viewed_within_its_duration(households):
    views = abandoned = 0
    for data in households:
        docs = sorted(docs_of(data, VOD), key=lambda x: x["timestamp"])
        orders = [d for d in docs if d["action"] == "Commande"]
        viewings = [d for d in docs if d["action"] == "Visualisation"]
        assert len(orders) == len(viewings)
        by_id = {}
        for o in orders:
            by_id.setdefault(o["content"]["id"], []).append(o)
        for v in viewings:
            assert "viewingDuration" in v and v["price"] == 0
            assert 0 < v["viewingDuration"] <= v["content"]["duration"]
            assert v["viewingDuration"] % 60 == 0
            assert v["content"]["id"] in by_id
            views += 1
            abandoned += v["viewingDuration"] < 0.8 * v["content"]["duration"]
        assert all("viewingDuration" not in o for o in orders)
    assert 0.1 < abandoned / views < 0.35


def test_prices_and_offers(households):
    for data in households:
        for d in _orders(data):
            c, det, price = d["content"], d["details"], d["price"]
            if det["offer"] == "Free VOD":
                assert price == 0 and det["offerName"] == "Orange Cinema Series"
                assert c["longId"].endswith("_SVODOCS_1")
            else:
                assert price > 0 and det["offerName"] == "Paid VOD"
                assert 1.99 <= price <= 5.99 or 11.99 <= price <= 16.99
            assert c["quality"] in ("HD", "SD")
            assert c["title"].endswith(" - HD") == (c["quality"] == "HD")
            if c["subTitle"] is None:
                assert 5400 <= c["duration"] <= 7620 or c["csaCode"] == 1
            else:
                assert 600 <= c["duration"] <= 3600


def test_vod_documents_validate(households):
    for data in households:
        for doc in docs_of(data, VOD):
            assert problems(VOD, doc) == []


def test_a_household_with_almost_no_appetite_still_orders_once(monkeypatch):
    """The pilot's VOD query must find data in every tester's cloud."""


    real = population.sample_household

    def frugal(*args, **kwargs):
        hh = real(*args, **kwargs)
        hh.habits.vod_per_month = 1e-4
        hh.partners = Partners()  # a VOD customer, whatever the draw
        return hh

    monkeypatch.setattr(population, "sample_household", frugal)
    data = population.generate_household(5, 0, Period.of_years(date(2024, 1, 1), 1))
    vod = [b for b in data.batches if b.doctype == "fr.orange.videostream"]
    orders = [d for b in vod for d in b.dicts() if d["action"] == "Commande"]
    assert len(orders) == 1
