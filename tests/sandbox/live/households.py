"""Households of the tests' seeded population for live time: one with every source, one with a
burst pipe in late February or March; their year cut to three months (what is dated after them
is left out), so schedules stay small."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache

from sandbox.live.sources import cadences, data_day
from synthetic_data.calendar_fr import Period
from synthetic_data.household import Household
from synthetic_data.timeline import Event, Timeline
from tests.support.households import YEAR, first_index, household, latent

PERIOD = Period(date(2024, 1, 1), date(2024, 4, 1))


def _burst(tl: Timeline) -> Event | None:
    """The first burst pipe starting between Feb 18 and Mar 20 (after the tests' Feb 15 start)."""
    return next((e for e in tl.events if e.kind == "leak" and e.details["kind"] == "burst_pipe"
                 and date(2024, 2, 18) <= e.start <= date(2024, 3, 20)), None)


def _bursty(hh: Household, tl: Timeline) -> bool:
    """a burst pipe in late February or March and a phone line, at home before it"""
    burst = _burst(tl)
    return (burst is not None and any(m.msisdn for m in hh.members)
            and not tl.away[tl.day_index(date(2024, 2, 10)):tl.day_index(burst.start)].any())


def _every_source(hh: Household, tl: Timeline) -> bool:
    """gas, EDF, an Orange line and at home from Feb 10 to 16 (the tests' start)"""
    return (hh.contract.gas_pce is not None and hh.partners.edf and hh.partners.orange_mobile
            and any(m.msisdn for m in hh.members)
            and not tl.away[tl.day_index(date(2024, 2, 10)):tl.day_index(date(2024, 2, 17))].any())


EVERY_SOURCE = first_index(_every_source)
BURSTY = first_index(_bursty)
BURST_DAY: date = _burst(latent(BURSTY)[1]).start  # type: ignore[union-attr]
GROUND_TRUTH = "org.selfdata.groundtruth.event"
TZ = cadences().timezone


def at(day: date, hour: int = 0) -> float:
    """Local ``hour`` on ``day``, as epoch seconds."""
    return datetime.combine(day, time(hour), TZ).timestamp()


@cache
def _docs(index: int) -> tuple[tuple[str, tuple[dict, ...]], ...]:
    data = household(index, period=YEAR)
    out: dict[str, list[dict]] = {}
    for b in data.batches:
        if b.doctype not in (GROUND_TRUTH, "io.cozy.files"):
            for d in b.dicts():
                day = data_day(b.doctype, d, TZ)
                if day is None or day < PERIOD.end:
                    out.setdefault(b.doctype, []).append(d)
    return tuple((k, tuple(v)) for k, v in out.items())


def household_docs(index: int) -> list[tuple[str, list[dict]]]:
    """(doctype, documents) of the household, fresh copies."""
    return [(k, [dict(d) for d in v]) for k, v in _docs(index)]


def truth(index: int) -> list[dict]:
    data = household(index, period=YEAR)
    return [d for b in data.batches if b.doctype == GROUND_TRUTH for d in b.dicts()]
