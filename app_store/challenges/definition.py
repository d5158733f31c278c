"""A challenge as organisers define it (API, console, or the file of ``selfdata up``),
validated with every problem reported at once, each with its path.

The hidden set's seed is never part of a definition: the store draws it when the challenge is
created and keeps it to itself (see :mod:`app_store.challenges.households`).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import orjson

from app_store.challenges.kinds import EVENT_KINDS, KINDS, TARGETS
from app_store.errors import Invalid

KEY = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
FINDINGS = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STATES = ("draft", "open", "closed", "revealed")


@dataclass(frozen=True)
class Definition:
    key: str
    title: str
    kind: str
    description: str = ""
    findings: str = "findings"        # the app writes fr.hackathon.<its slug>.<findings>
    event_kinds: tuple[str, ...] = ()  # event detection
    tolerance_days: int = 2            # event detection
    target: str = ""                   # forecast: electricity or water
    year: int = 2017
    public_seed: int = 1
    public_households: int = 2
    hidden_households: int = 6
    leaderboard_share: float = 0.5     # of the hidden set, shown on the public leaderboard
    quota_per_day: int = 5
    time_limit_s: float = 120
    weight: float = 1.0                # in the final ranking, beside the judges' score
    opens_at: str = ""
    closes_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        out = asdict(self)
        out["event_kinds"] = list(self.event_kinds)
        out.pop("extra")
        return out


FIELDS = {f for f in Definition.__dataclass_fields__ if f != "extra"}


def _int(data: dict, key: str, lo: int, hi: int, default: int, problems: list) -> int:
    v = data.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        problems.append({"path": key, "message": f"a whole number from {lo} to {hi}"})
        return default
    return v


def _num(data: dict, key: str, lo: float, hi: float, default: float, problems: list,
         open_low: bool = False) -> float:
    v = data.get(key, default)
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and \
        (lo < v if open_low else lo <= v) and v <= hi
    if not ok:
        low = "above" if open_low else "at least"
        problems.append({"path": key, "message": f"a number {low} {lo} and at most {hi}"})
        return default
    return float(v)


def _text(data: dict, key: str, hi: int, problems: list, required: bool = False) -> str:
    v = data.get(key, "")
    if not isinstance(v, str) or len(v) > hi or (required and not v.strip()):
        need = "required, " if required else ""
        problems.append({"path": key, "message": f"{need}text of at most {hi} characters"})
        return ""
    return v.strip()


def _moment(data: dict, key: str, problems: list) -> str:
    v = data.get(key, "")
    if v in ("", None):
        return ""
    try:
        if not isinstance(v, str):
            raise ValueError
        datetime.fromisoformat(v)
    except ValueError:
        problems.append({"path": key, "message": "an ISO 8601 date and time, e.g. "
                         "2026-05-01T09:00:00+02:00"})
        return ""
    return v


def parse(data: Any) -> Definition:
    """The definition in ``data``, or :class:`Invalid` listing every problem with its path."""
    if not isinstance(data, dict):
        raise Invalid("a challenge is a JSON object", [{"path": "", "message": "an object"}])
    problems: list[dict] = []
    for k in sorted(set(data) - FIELDS):
        problems.append({"path": k, "message": "unknown field (the hidden seed is drawn by "
                         "the store, never given)" if "seed" in k else "unknown field"})
    key = data.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        problems.append({"path": "key", "message": "2 to 40 lowercase letters, digits and -, "
                         "starting with a letter"})
    title = _text(data, "title", 120, problems, required=True)
    description = _text(data, "description", 4000, problems)
    kind = data.get("kind")
    if kind not in KINDS:
        problems.append({"path": "kind", "message": f"one of {', '.join(KINDS)}"})
    findings = data.get("findings", "findings")
    if not isinstance(findings, str) or not FINDINGS.match(findings):
        problems.append({"path": "findings", "message": "the last part of the findings doctype "
                         "(fr.hackathon.<app>.<this>): lowercase letters, digits and _"})
    events: tuple[str, ...] = ()
    raw_events = data.get("event_kinds", [])
    if not isinstance(raw_events, list) or not all(isinstance(e, str) for e in raw_events):
        problems.append({"path": "event_kinds", "message": "a list of event kinds"})
    else:
        events = tuple(dict.fromkeys(raw_events))
        for i, e in enumerate(raw_events):
            if e not in EVENT_KINDS:
                problems.append({"path": f"event_kinds.{i}", "message": f"unknown event kind "
                                 f"{e!r}; one of {', '.join(EVENT_KINDS)}"})
    if kind == "event-detection" and not events:
        problems.append({"path": "event_kinds", "message": "name at least one event kind"})
    target = data.get("target", "")
    if kind == "forecast" and target not in TARGETS:
        problems.append({"path": "target", "message": f"one of {', '.join(TARGETS)}"})
    d = Definition(
        key=key if isinstance(key, str) else "", title=title, kind=str(kind),
        description=description, findings=findings if isinstance(findings, str) else "",
        event_kinds=events, target=target if isinstance(target, str) else "",
        tolerance_days=_int(data, "tolerance_days", 0, 30, 2, problems),
        year=_int(data, "year", 2010, 2035, 2017, problems),
        public_seed=_int(data, "public_seed", 0, 2**62, 1, problems),
        public_households=_int(data, "public_households", 1, 50, 2, problems),
        hidden_households=_int(data, "hidden_households", 2, 500, 6, problems),
        leaderboard_share=_num(data, "leaderboard_share", 0, 0.9, 0.5, problems,
                               open_low=True),
        quota_per_day=_int(data, "quota_per_day", 1, 100, 5, problems),
        time_limit_s=_num(data, "time_limit_s", 5, 900, 120, problems),
        weight=_num(data, "weight", 0, 100, 1.0, problems),
        opens_at=_moment(data, "opens_at", problems),
        closes_at=_moment(data, "closes_at", problems))
    if d.opens_at and d.closes_at and not problems and \
            datetime.fromisoformat(d.opens_at) >= datetime.fromisoformat(d.closes_at):
        problems.append({"path": "closes_at", "message": "must come after opens_at"})
    if problems:
        raise Invalid(f"the challenge was not saved: {len(problems)} problem(s)", problems)
    return d


def read_file(text: str) -> list[dict]:
    """The definitions of a challenges file (a JSON list of objects, as ``selfdata up``
    reads), each checked; every problem of every definition is reported at once."""
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"the challenges file is not JSON: {exc}") from exc
    if not isinstance(items, list):
        raise Invalid("the challenges file is a JSON list of challenges")
    problems = []
    for i, item in enumerate(items):
        try:
            parse(item)
        except Invalid as exc:
            problems.extend({"path": f"{i}.{p['path']}".rstrip("."), "message": p["message"]}
                            for p in exc.problems)
    if problems:
        raise Invalid(f"the challenges file has {len(problems)} problem(s)", problems)
    return items
