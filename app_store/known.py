"""Which doctypes an app may ask for: the MesInfos ones, a few Cozy ones, and its own."""

from __future__ import annotations

from functools import cache

from sandbox.doctypes import HIDDEN, READ_ONLY

COZY = {"io.cozy.bills", "io.cozy.bank.operations", "io.cozy.bank.accounts", "io.cozy.accounts",
        "io.cozy.doctypes", "io.cozy.journal", "io.cozy.files", "io.cozy.apps"}


@cache
def known_doctypes() -> frozenset[str]:
    from synthetic_data.schemas import schema_doctypes

    return frozenset(schema_doctypes()) | COZY


def is_reserved(doctype: str, writes: bool) -> bool:
    return doctype in HIDDEN or (writes and doctype in READ_ONLY)


def own_namespace(slug: str) -> str:
    """An app's own doctypes contain its slug (hyphens as underscores) as one dotted segment,
    e.g. ``fr.hackathon.leak_watch.findings`` for the app ``leak-watch``."""
    return slug.replace("-", "_")


def is_own(doctype: str, slug: str) -> bool:
    return own_namespace(slug) in doctype.split(".")


def matches_known(rule_type: str) -> bool:
    if rule_type.endswith(".*"):
        prefix = rule_type[:-2]
        return any(d == prefix or d.startswith(prefix + ".") for d in known_doctypes())
    return rule_type in known_doctypes()
