"""Which partner delivers a document, and when (the cadences of ``cadences.toml``).

A source's documents are grouped by the simulated time they are due: each group is one run of
its konnector. Undated documents (identity, contracts, profiles) are there from the start.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays

PARAMS = Path(__file__).with_name("cadences.toml")
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
BILLS = "io.cozy.bills"
ENEDIS_METERING = "fr.enedis.api.meteringdata."


@dataclass(frozen=True)
class Source:
    name: str
    konnector: str
    label: str
    doctypes: tuple[str, ...]
    statements: tuple[str, ...]
    vendors: tuple[str, ...]
    delay_days: int
    bill_delay_days: int
    hour: int
    banking_days: bool


@dataclass(frozen=True)
class Cadences:
    timezone: ZoneInfo
    sources: dict[str, Source]
    faults: dict[str, dict[str, Any]]

    def source_of(self, doctype: str, doc: dict) -> Source | None:
        """The source that delivers ``doc`` (None: no live source, it is there from the
        start)."""
        for s in self.sources.values():
            if doctype in s.doctypes:
                return s
            if doctype == STATEMENTS and doc.get("statementCategory") in s.statements:
                return s
            if doctype == BILLS and any(v.lower() in str(doc.get("vendor", "")).lower()
                                        for v in s.vendors):
                return s
        return None

    def due(self, source: Source, doctype: str, doc: dict) -> float | None:
        """When ``doc`` is delivered, in simulated epoch seconds (None: undated)."""
        day = data_day(doctype, doc, self.timezone)
        return None if day is None else self.due_on(source, doctype, day)

    def due_on(self, source: Source, doctype: str, day: date) -> float:
        """When a document of ``doctype`` about ``day`` is delivered."""
        delay = source.bill_delay_days if doctype == BILLS else source.delay_days
        return self.at(source, day + timedelta(days=delay))

    def at(self, source: Source, day: date) -> float:
        """The run time of ``source`` on ``day`` (or the next banking day)."""
        if source.banking_days:
            day = next_banking_day(day)
        return datetime.combine(day, time(source.hour), self.timezone).timestamp()


def _local_day(stamp: str, tz: ZoneInfo) -> date:
    if len(stamp) == 10:
        return date.fromisoformat(stamp)
    if len(stamp) == 19 and stamp[10] == "T":   # no offset: local already
        return date.fromisoformat(stamp[:10])
    if stamp.endswith("Z") and len(stamp) >= 20 and stamp[10] == "T":
        day = _utc_hour_day(stamp[:13], tz)   # most stamps share their hour with others
        if day is not None:
            return day
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(tz).date()


@lru_cache(maxsize=65_536)
def _utc_hour_day(hour: str, tz: ZoneInfo) -> date | None:
    """The local day of every instant of a UTC hour (``YYYY-MM-DDTHH``), None when a local
    midnight falls inside it (an offset that is not whole hours)."""
    start = datetime.fromisoformat(f"{hour}:00:00+00:00")
    first = start.astimezone(tz).date()
    return first if (start + timedelta(seconds=3599)).astimezone(tz).date() == first else None


def _month_end(month: str) -> date:
    first = date.fromisoformat(f"{month}-01")
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def data_day(doctype: str, doc: dict, tz: ZoneInfo) -> date | None:
    """The last local day the document's data is about (None when it is about no day)."""
    try:
        if doctype.startswith(ENEDIS_METERING):
            reading = doc["usage_point"][0]["meter_reading"]["reading_type"]
            return date.fromisoformat(reading["start_measurement_period"])
        if doctype == STATEMENTS:
            period = str(doc.get("period") or "")
            if len(period) == 10:
                return date.fromisoformat(period)
            if len(period) == 7:
                return _month_end(period)
            if len(period) == 4:
                return date(int(period), 12, 31)
            end = doc.get("end")
            if isinstance(end, str) and end:   # half-hours: the day the half-hour starts in
                return _local_day(str(doc.get("start") or end), tz)
            return None
        if doctype == BILLS:
            return _local_day(str(doc["date"]), tz)
        for key in ("timestamp", "date"):
            if isinstance(doc.get(key), str):
                return _local_day(doc[key], tz)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None


@cache
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def next_banking_day(day: date) -> date:
    """``day`` or the next day a French bank books operations (Monday–Friday, not a public
    holiday)."""
    while day.weekday() >= 5 or day in _french_holidays(day.year):
        day += timedelta(days=1)
    return day


def _tuple(raw: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in raw or ())


@cache
def cadences(path: Path = PARAMS) -> Cadences:
    """The cadences and fault profiles of ``cadences.toml``."""
    raw = tomllib.loads(path.read_text())
    sources = {name: Source(name, s["konnector"], s["label"], _tuple(s.get("doctypes")),
                            _tuple(s.get("statements")), _tuple(s.get("vendors")),
                            int(s["delay_days"]), int(s.get("bill_delay_days", 0)),
                            int(s["hour"]), bool(s.get("banking_days", False)))
               for name, s in raw["sources"].items()}
    return Cadences(ZoneInfo(raw["timezone"]), sources, raw["faults"])
