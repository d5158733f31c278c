"""A data-usage label from an app's permissions, for the catalogue (after Cozy's A-E labels).

- A: reads one or two ordinary kinds of data, writes nothing;
- B: reads three or more ordinary kinds, or writes only its own data;
- C: reads one sensitive kind (where the phone was, calls and texts, bank details);
- D: reads several sensitive kinds, or changes data it does not own;
- E: asks for a whole family of doctypes at once (a wildcard).
"""

from __future__ import annotations

from dataclasses import dataclass

from app_store import known
from sandbox.auth.permissions import Rule
from sandbox.labels import SENSITIVE, rule_in_words


@dataclass(frozen=True)
class UsageLabel:
    grade: str
    summary: str
    sentences: tuple[str, ...]


def usage_label(rules: list[Rule], slug: str) -> UsageLabel:
    reads = {r.type for r in rules if "GET" in r.verbs}
    writes = {r.type for r in rules if r.verbs - {"GET"}}
    foreign_writes = {d for d in writes if not known.is_own(d, slug)}
    sensitive = reads & SENSITIVE
    sentences = tuple(rule_in_words(r).sentence for r in rules)
    if any(r.type.endswith(".*") or r.type == "*" for r in rules):
        return UsageLabel("E", "asks for whole families of data at once", sentences)
    if len(sensitive) >= 2 or foreign_writes:
        why = ("changes data it does not own" if foreign_writes
               else "reads several kinds of sensitive data")
        return UsageLabel("D", why, sentences)
    if sensitive:
        return UsageLabel("C", "reads one kind of sensitive data", sentences)
    ordinary = reads - SENSITIVE
    if len(ordinary) >= 3 or writes:
        return UsageLabel("B", "reads several kinds of data" + (", stores its own results"
                                                                if writes else ""), sentences)
    return UsageLabel("A", "reads little data and changes nothing", sentences)
