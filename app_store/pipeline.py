"""Submission states, kept in the database with a timestamped history.

queued → checking → building → smoke-testing → awaiting-review → approved | rejected,
or failed at any automatic step (with the reason the team sees). Workers claim queued rows
with a compare-and-set, so two workers never take the same job; after a restart, rows left in
an automatic step go back to the queue, so no submission is lost.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from app_store.errors import Conflict
from app_store.tables import events, submissions
from sandbox.dbkit import Database

QUEUED, CHECKING, BUILDING, SMOKE = "queued", "checking", "building", "smoke-testing"
AWAITING, APPROVED, REJECTED, FAILED = "awaiting-review", "approved", "rejected", "failed"
RUNNING = (CHECKING, BUILDING, SMOKE)
FINAL = (APPROVED, REJECTED, FAILED)
STATES = (QUEUED, *RUNNING, AWAITING, *FINAL)
NEXT = {QUEUED: {CHECKING}, CHECKING: {BUILDING, FAILED}, BUILDING: {SMOKE, FAILED},
        SMOKE: {AWAITING, FAILED}, AWAITING: {APPROVED, REJECTED}, APPROVED: {REJECTED},
        REJECTED: {APPROVED}, FAILED: {QUEUED}}  # an organiser may retry a failed job


def record(conn: sa.Connection, sub_id: int, state: str, detail: str = "") -> None:
    now = time.time()
    conn.execute(events.insert().values(submission_id=sub_id, state=state, at=now,
                                        detail=detail))


def move(db: Database, sub_id: int, to: str, detail: str = "", **fields) -> None:
    """Move a submission to ``to`` (refused unless the step is allowed), saving ``fields``."""
    with db.write() as conn:
        row = conn.execute(sa.select(submissions.c.state).where(
            submissions.c.id == sub_id)).first()
        if row is None:
            raise Conflict(f"submission {sub_id} does not exist")
        if to not in NEXT[row.state]:
            raise Conflict(f"submission {sub_id} is {row.state}; it cannot become {to}")
        conn.execute(submissions.update().where(submissions.c.id == sub_id).values(
            state=to, updated_at=time.time(), **fields))
        record(conn, sub_id, to, detail)


def fail_if_running(db: Database, sub_id: int, reason: str) -> bool:
    """Fail a job still in an automatic step (a compare-and-set: never overwrites a decision)."""
    with db.write() as conn:
        row = conn.execute(sa.select(submissions.c.state).where(
            submissions.c.id == sub_id)).first()
        done = conn.execute(submissions.update().where(
            submissions.c.id == sub_id, submissions.c.state.in_(RUNNING)).values(
            state=FAILED, updated_at=time.time(), reason=reason))
        if done.rowcount == 1:
            record(conn, sub_id, FAILED, f"internal error at {row.state}")
            return True
    return False


def claim(db: Database) -> int | None:
    """Take the oldest queued submission (moving it to checking), or None."""
    for _ in range(5):
        with db.read() as conn:
            row = conn.execute(sa.select(submissions.c.id).where(submissions.c.state == QUEUED)
                               .order_by(submissions.c.id).limit(1)).first()
        if row is None:
            return None
        with db.write() as conn:
            done = conn.execute(submissions.update().where(
                submissions.c.id == row.id, submissions.c.state == QUEUED).values(
                state=CHECKING, updated_at=time.time(),
                attempts=submissions.c.attempts + 1))
            if done.rowcount == 1:
                record(conn, row.id, CHECKING)
                return row.id
    return None


def requeue_interrupted(db: Database, max_attempts: int = 3) -> list[int]:
    """After a restart: jobs caught mid-step go back to the queue (or fail after too many
    attempts, so one poisonous upload cannot loop forever). This assumes one store process
    per database, which is how the store runs."""
    with db.write() as conn:
        rows = conn.execute(sa.select(submissions.c.id, submissions.c.attempts).where(
            submissions.c.state.in_(RUNNING))).all()
        for r in rows:
            if r.attempts >= max_attempts:
                conn.execute(submissions.update().where(submissions.c.id == r.id).values(
                    state=FAILED, updated_at=time.time(),
                    reason=f"the store stopped {r.attempts} times while handling this "
                           "submission; resubmit it, and tell the organisers"))
                record(conn, r.id, FAILED, "interrupted too often")
            else:
                conn.execute(submissions.update().where(submissions.c.id == r.id).values(
                    state=QUEUED, updated_at=time.time()))
                record(conn, r.id, QUEUED, "resumed after a store restart")
    return [r.id for r in rows]


def history(db: Database, sub_id: int) -> list[dict]:
    with db.read() as conn:
        return [{"state": r.state, "at": r.at, "detail": r.detail} for r in conn.execute(
            sa.select(events).where(events.c.submission_id == sub_id).order_by(events.c.id))]
