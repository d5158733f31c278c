"""Household sets: which generated households a challenge is scored on.

Two sets per challenge, each drawn from a master seed: the *public* set (its seed is published,
so teams develop on exactly those households) and the *hidden* set (a secret seed the store
draws with :func:`secrets.randbits` and keeps in its database; it is never returned by the API,
shown on a page, written to a log or an image, nor put in an exception message). Each set is
split into a public-leaderboard part and a private part revealed when the organiser closes the
challenge: households are taken in index order among those that hold the data the challenge
needs, and the first ``leaderboard_share`` of them are the leaderboard part.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from synthetic_data.calendar_fr import Period
from synthetic_data.household import sample_household
from synthetic_data.seeding import household_seed, stream
from synthetic_data.timeline import build_timeline

PUBLIC, HIDDEN = "public", "hidden"
BOARD, PRIVATE = "leaderboard", "private"
SCAN_LIMIT = 40     # candidates looked at per household wanted, before giving up


@dataclass(frozen=True)
class Scored:
    """One scoring household: its set and part, and its index under the set's seed. The seed
    itself is looked up by the runner, never carried in what is stored or shown."""
    set: str
    part: str
    index: int

    @property
    def label(self) -> str:
        return f"{self.set}-{self.index}"


def draw_secret_seed() -> int:
    return secrets.randbits(62)


def period(year: int) -> Period:
    return Period.of_years(date(year, 1, 1), 1)


def indices(seed: int, n: int, partners: set[str], year: int,
            event_kinds: tuple[str, ...] = (), with_events: float = 0.5) -> list[int]:
    """The first ``n`` household indices of ``seed`` whose household has every partner in
    ``partners``, in index order. With ``event_kinds`` (event detection), ``with_events`` of
    them live at least one such event in the year and the rest none, so that both missed
    events and false alarms count (events such as leaks are rare: taken as they come, most
    sets would hold none). Cheap: the household and its timeline only, no source."""
    p = period(year)
    want_with = round(n * with_events) if event_kinds else 0
    picked: list[int] = []
    n_with = n_without = 0
    for i in range(n * SCAN_LIMIT):
        if n_with + n_without == n:
            break
        s = household_seed(seed, i)
        hh = sample_household(i, stream(s, "household"), p.start)
        if not all(getattr(hh.partners, name, True) for name in partners):
            continue                     # Enedis and the water utility: every household
        if event_kinds:
            tl = build_timeline(hh, p, stream(s, "timeline"))
            has = any(e.kind in event_kinds for e in tl.events)
            if has and n_with < want_with:
                n_with += 1
            elif not has and n_without < n - want_with:
                n_without += 1
            else:
                continue
        else:
            n_without += 1
        picked.append(i)
    if len(picked) < n:
        raise ValueError(f"only {len(picked)} of {n} households fit the challenge")
    return picked


def split(set_name: str, found: list[int], share: float) -> list[Scored]:
    """Spread the leaderboard part evenly along the set (households with events come last in
    index order, so each part gets its share of both)."""
    return [Scored(set_name, BOARD if int((pos + 1) * share) > int(pos * share) else PRIVATE,
                   idx) for pos, idx in enumerate(found)]
