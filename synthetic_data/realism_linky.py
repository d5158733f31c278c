"""Linky figures for ``selfdata realism``: peak power over minutes, watt resolution, routines.

From the Enedis load curve (half-hour mean W, ``reading_number`` 1 = 00:00-00:30 local) and the
daily maximum power documents.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np

LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"
MAXPOWER = "fr.enedis.api.meteringdata.maxpower"


@dataclass
class Linky:
    watts: list[int] = field(default_factory=lambda: [0, 0])        # odd values, all values
    pmax_above: list[int] = field(default_factory=lambda: [0, 0])   # days PMAX > max half-hour
    ratios: list[float] = field(default_factory=list)               # PMAX / max half-hour
    same_slot: list[float] = field(default_factory=list)  # share of days on the modal peak slot
    weekend_delay: list[float] = field(default_factory=list)        # hours, per household


def _reading(doc: dict) -> dict:
    return doc["usage_point"][0]["meter_reading"]


def measure_household(acc: Linky, files: dict[str, list[dict]]) -> None:
    max_half: dict[str, int] = {}
    peaks: dict[str, float] = {}
    for doc in files.get(LOADCURVE, []):
        mr = _reading(doc)
        day = mr["reading_type"]["start_measurement_period"]
        values = np.array([int(b["value"]) for b in mr["interval_block"]])
        acc.watts[0] += int((values % 2).sum())
        acc.watts[1] += values.size
        max_half[day] = int(values.max())
        if values.size == 48:  # the morning peak (05:00-11:00) of ordinary days
            morning = values[10:22]
            if morning.max() > 1.8 * np.median(values[2:10]):  # someone got up at home
                peaks[day] = 5.0 + 0.5 * int(morning.argmax())
    for doc in files.get(MAXPOWER, []):
        mr = _reading(doc)
        day = mr["reading_type"]["start_measurement_period"]
        if day in max_half and max_half[day] > 0:
            pmax = int(mr["interval_block"][0]["value"])
            acc.pmax_above[0] += pmax > max_half[day]
            acc.pmax_above[1] += 1
            acc.ratios.append(pmax / max_half[day])
    if len(peaks) >= 30:
        counts = Counter(peaks.values())
        acc.same_slot.append(counts.most_common(1)[0][1] / len(peaks))
        weekday = [h for d, h in peaks.items() if date.fromisoformat(d).weekday() < 5]
        weekend = [h for d, h in peaks.items() if date.fromisoformat(d).weekday() >= 5]
        if len(weekday) >= 10 and len(weekend) >= 5:
            acc.weekend_delay.append(float(np.mean(weekend) - np.mean(weekday)))
