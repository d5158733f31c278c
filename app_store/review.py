"""Organisers' decisions on submissions: approve, reject (with a reason the team reads), or
retry a failed one."""

from __future__ import annotations

import threading

from app_store import accounts, pipeline
from app_store.accounts import Account
from app_store.errors import Invalid
from sandbox.dbkit import Database

DECISIONS = {"approve": pipeline.APPROVED, "reject": pipeline.REJECTED,
             "retry": pipeline.QUEUED}


class Review:
    def __init__(self, db: Database, wake: threading.Event):
        self.db = db
        self.wake = wake

    def decide(self, who: Account, sub_id: int, decision: str, reason: str) -> None:
        accounts.require(who, "organiser")
        to = DECISIONS.get(decision)
        if to is None:
            raise Invalid("decision must be approve, reject or retry",
                          [{"path": "decision", "message": f"got {decision!r}"}])
        reason = (reason or "").strip()
        if to == pipeline.REJECTED and not reason:
            raise Invalid("say why the app is rejected: the team reads the reason",
                          [{"path": "reason", "message": "required when rejecting"}])
        pipeline.move(self.db, sub_id, to, f"by {who.name}", reason=reason or None,
                      reviewed_by=who.name)
        if to == pipeline.QUEUED:
            self.wake.set()
