"""Review: organisers' decisions on submissions (approve, reject with a reason the team reads,
or retry a failed one), and what a reviewer is shown of a submission's permissions beside what
its smoke run saw it use."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app_store import accounts, pipeline
from app_store.accounts import Account
from app_store.errors import Invalid
from sandbox.contract.consent import (
    N_,
    Gettext,
    UsageLabel,
    doctype_in_words,
    rule_in_words,
    usage_label,
)
from sandbox.contract.manifest import parse_manifest
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


@dataclass(frozen=True)
class Asked:
    """One permission of a submission, in the words a tester reads, and whether the smoke run
    saw the app use it (None: the smoke run cannot tell)."""

    sentence: str
    doctype: str
    sensitive: bool
    writes: bool
    used: bool | None


@dataclass(frozen=True)
class WhatItAsks:
    label: UsageLabel | None          # None: the manifest cannot be read
    permissions: list[Asked]
    smoke_note: str                   # why "used" is unknown, when it is
    read: list[tuple[str, str]]       # (doctype, in words) the smoke run saw read
    written: list[tuple[str, str]]

    @property
    def unused(self) -> list[Asked]:
        return [p for p in self.permissions if p.used is False]


def what_it_asks(manifest: dict | None, smoke: dict | None, _: Gettext = str) -> WhatItAsks:
    """A submission's permissions in plain words with its data-use label, each compared with
    what the smoke run's access journal saw it read and write (in the language of ``_``, a
    gettext)."""
    parsed = parse_manifest(manifest)[0] if manifest is not None else None
    smoke = smoke or {}
    read = [d for d in smoke.get("read", []) if isinstance(d, str)]
    written = [d for d in smoke.get("written", []) if isinstance(d, str)]
    note = ""
    if parsed is None:
        note = N_("the manifest cannot be read, so its permissions are not known")
    elif not smoke:
        note = N_("there was no smoke run yet: what the app uses is not known")
    elif parsed.runtime.type == "static":
        note = N_("a static app reads data from the tester's browser, which the smoke run "
                  "does not open: it cannot tell which permissions are used")
    elif not smoke.get("ok"):
        note = N_("the smoke run failed: what the app uses is not known")
    knows = not note
    asked = []
    for rule in parsed.permissions if parsed else ():
        words = rule_in_words(rule, _)
        used = None
        if knows:
            touched = read if rule.verbs == {"GET"} else [*read, *written]
            used = any(rule.type_matches(d) for d in touched)
        asked.append(Asked(words.sentence, rule.type, words.sensitive, words.writes, used))
    label = usage_label(list(parsed.permissions), parsed.slug, _) if parsed else None
    return WhatItAsks(label, asked, _(note) if note else "",
                      [(d, doctype_in_words(d, _)) for d in read],
                      [(d, doctype_in_words(d, _)) for d in written])
