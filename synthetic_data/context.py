"""What a source receives: the household, its period, timeline and weather, and its own RNG."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthetic_data.calendar_fr import Period
from synthetic_data.household import Household
from synthetic_data.seeding import stream
from synthetic_data.timeline import Timeline


@dataclass
class SourceContext:
    household: Household
    period: Period
    timeline: Timeline
    temperature: np.ndarray   # daily mean °C, one per local day
    hdd: np.ndarray           # heating degree-days (base 18 °C), one per local day
    seed: np.random.SeedSequence
    master_seed: int
    # Results a source publishes for later ones (e.g. "electricity" for the supplier's bills).
    shared: dict[str, Any] = field(default_factory=dict)

    def rng(self, name: str) -> np.random.Generator:
        """The independent random stream ``name`` of this household."""
        return stream(self.seed, name)
