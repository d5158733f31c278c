"""A household of the tests' seeded population with a burst pipe; its year cut to three
months (what is dated after them is left out), so schedules stay small."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache

from sandbox.live.sources import cadences, data_day
from synthetic_data.calendar_fr import Period
from tests.support.households import YEAR, household

BURSTY = 17                      # a burst pipe on 2024-02-21 (ground truth)
BURST_DAY = date(2024, 2, 21)
PERIOD = Period(date(2024, 1, 1), date(2024, 4, 1))
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
