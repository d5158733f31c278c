"""Simulated "now": the event's clock, and an instance's own clock when it has one.

A clock is an anchor (this simulated time was now at that wall time), a speed and a pause
flag, kept in the database: a restarted server reads the same clock, and the time that
passed while it was down has passed in simulation too (its deliveries are made on restart).
Clocks only go forward: delivered data cannot be taken back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

import sqlalchemy as sa

from sandbox.errors import BadRequest, Conflict
from sandbox.storage.database import Database
from sandbox.storage.tables import live_clocks

EVENT = 0          # the instance id of the event's clock
MAX_SPEED = 1_000_000.0


@dataclass(frozen=True)
class ClockState:
    sim_anchor: float
    wall_anchor: float
    speed: float
    paused: bool

    def now(self, wall: float) -> float:
        if self.paused:
            return self.sim_anchor
        return self.sim_anchor + max(0.0, wall - self.wall_anchor) * self.speed


class Clocks:
    def __init__(self, db: Database, wall: Callable[[], float] = time.time):
        self.db = db
        self.wall = wall

    def all(self) -> dict[int, ClockState]:
        with self.db.read() as conn:
            return {r.instance_id: ClockState(r.sim_anchor, r.wall_anchor, r.speed, r.paused)
                    for r in conn.execute(sa.select(live_clocks))}

    def state(self, instance_id: int) -> ClockState | None:
        """The clock an instance follows: its own, else the event's (None: not live)."""
        clocks = self.all()
        return clocks.get(instance_id) or clocks.get(EVENT)

    def now(self, instance_id: int) -> float | None:
        state = self.state(instance_id)
        return None if state is None else state.now(self.wall())

    def set(self, instance_id: int = EVENT, *, at: float | None = None,
            speed: float | None = None, paused: bool | None = None) -> ClockState:
        """Start, move forward, change speed, pause or resume a clock (an instance without a
        clock of its own starts from the event's)."""
        if speed is not None and not 0 <= speed <= MAX_SPEED:
            raise BadRequest(f"speed must be between 0 and {MAX_SPEED:.0f}", "bad_request")
        wall = self.wall()
        with self.db.write() as conn:
            rows = {r.instance_id: ClockState(r.sim_anchor, r.wall_anchor, r.speed, r.paused)
                    for r in conn.execute(sa.select(live_clocks).where(
                        live_clocks.c.instance_id.in_([instance_id, EVENT])))}
            old = rows.get(instance_id) or rows.get(EVENT)
            if old is None and at is None:
                raise BadRequest("this clock has not started: give it a date to start from",
                                 "bad_request")
            current = old.now(wall) if old is not None else at
            assert current is not None
            if at is not None and old is not None and at < current:
                raise Conflict("clocks only go forward: delivered data cannot be taken back")
            new = ClockState(at if at is not None else current, wall,
                             speed if speed is not None else (old.speed if old else 1.0),
                             paused if paused is not None else (old.paused if old else False))
            values = {"sim_anchor": new.sim_anchor, "wall_anchor": new.wall_anchor,
                      "speed": new.speed, "paused": new.paused}
            if instance_id in rows:
                conn.execute(sa.update(live_clocks).where(
                    live_clocks.c.instance_id == instance_id).values(**values))
            else:
                conn.execute(sa.insert(live_clocks).values(instance_id=instance_id, **values))
        return new

    def follow_event(self, instance_id: int) -> None:
        """Drop an instance's own clock: it follows the event's again."""
        if instance_id == EVENT:
            raise BadRequest("the event's clock cannot follow itself", "bad_request")
        with self.db.write() as conn:
            conn.execute(sa.delete(live_clocks).where(live_clocks.c.instance_id == instance_id))

    def delete_instance(self, conn, instance_id: int) -> None:
        conn.execute(sa.delete(live_clocks).where(live_clocks.c.instance_id == instance_id))


def parse_moment(text: str, tz: tzinfo) -> float:
    """A date (local midnight) or an ISO date-time (local when it names no offset), as epoch
    seconds."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(),
                                    tz).timestamp()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{text[:40]!r} is not a date (YYYY-MM-DD) or an ISO date-time",
                         "bad_request") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()
