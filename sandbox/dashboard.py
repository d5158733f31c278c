"""What a tester's dashboard shows, computed from their own documents (no HTTP here)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from sandbox.instances import Instance
from sandbox.mango.match import matches
from sandbox.mango.selector import parse
from sandbox.mango.sql import compile_selector
from sandbox.service import Sandbox
from sandbox.storage.documents import DOCS
from synthetic_data.calendar_fr import local_hour


@dataclass
class Overview:
    counts: dict[str, int] = field(default_factory=dict)
    electricity: tuple[list[str], list[float]] = ([], [])
    week_curve: tuple[list[str], list[float]] = ([], [])
    gas: tuple[list[str], list[float]] = ([], [])
    water: tuple[list[str], list[float]] = ([], [])
    calls_by_hour: list[float] = field(default_factory=list)
    top_contacts: tuple[list[str], list[float]] = ([], [])
    vod_by_month: tuple[list[str], list[float]] = ([], [])
    months: tuple[str, str] | None = None   # the first and last month with any data
    # month -> {spending group (SPENDING_GROUPS) -> euros spent}, debits of every account
    spending: dict[str, dict[str, float]] = field(default_factory=dict)
    balance: tuple[list[str], list[float]] = ([], [])   # checking account, end of each day
    receipts: dict[str, tuple[int, float]] = field(default_factory=dict)  # month -> (n, €)
    # month -> {parcel outcome (PARCEL_OUTCOMES) -> parcels}, by the month of the last event
    parcels: dict[str, dict[str, int]] = field(default_factory=dict)
    validations_by_hour: list[float] = field(default_factory=list)   # [] when there are none
    contracts: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)


# cozy-banks' category tree (src/ducks/categories/tree.json, crossing-sources §1.3) folded into
# a handful of groups a tester reads at a glance: the first digits of an id name its parent.
# Out-of-budget moves (6001xx: transfers to savings, loan capital) are not spending.
SPENDING_GROUPS = ("housing", "daily", "transport", "health", "taxes", "leisure", "other")
_GROUP_OF_PARENT = {"4010": "housing", "4001": "daily", "4002": "transport", "4006": "health",
                    "4005": "taxes", "4007": "leisure", "4008": "leisure"}
PARCEL_OUTCOMES = ("home", "post_office", "returned", "on_the_way")


def spending_group(category: str | None) -> str | None:
    """The dashboard's group of a cozy-banks category id; None for out-of-budget moves."""
    cat = category or "0"
    if cat.startswith("6"):
        return None
    return _GROUP_OF_PARENT.get(cat[:4], "other")


def category_of(op: dict) -> str | None:
    """The category cozy-banks shows (its getCategoryId, crossing-sources §1.2): the tester's
    choice, else Cozy's model when confident enough, else the bank's."""
    if op.get("manualCategoryId"):
        return op["manualCategoryId"]
    if op.get("cozyCategoryId") and float(op.get("cozyCategoryProba") or 0) > 0.15:
        return op["cozyCategoryId"]
    return op.get("automaticCategoryId")


def parcel_outcome(parcel: dict) -> str:
    """home: delivered at the first attempt; post_office: a notice left (AG1) and collected at
    the post office; returned: not collected in time (RE1, back to the sender); on_the_way."""
    codes = {e.get("code") for e in parcel.get("event", [])}
    if "RE1" in codes or "DI2" in codes:
        return "returned"
    if "DI1" in codes:
        return "post_office" if "AG1" in codes else "home"
    return "on_the_way"


def checking_balance(accounts: list[dict], operations: list[dict]) -> tuple[list[str],
                                                                         list[float]]:
    """The checking account's balance at the end of every day from its first operation to its
    last: the account's final balance minus what came after (io.cozy.bank.accounts' balance is
    the opening balance plus every operation)."""
    checking = next((a for a in accounts if a.get("type") == "Checkings"), None)
    if checking is None:
        return [], []
    by_day: dict[str, float] = defaultdict(float)
    for op in operations:
        if op.get("account") == checking["_id"]:
            by_day[op["date"][:10]] += float(op["amount"])
    if not by_day:
        return [], []
    days = sorted(by_day)
    running = float(checking["balance"]) - sum(by_day.values())
    out: dict[str, float] = {}
    for d in days:
        running += by_day[d]
        out[d] = round(running, 2)
    first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
    labels, values, day, held = [], [], first, 0.0
    while day <= last:   # a day without operations keeps the day before's balance
        held = out.get(day.isoformat(), held)
        labels.append(day.isoformat())
        values.append(held)
        day += dt.timedelta(days=1)
    return labels, values


def documents(sb: Sandbox, inst: Instance, doctype: str,
              selector: dict | None = None, limit: int | None = None) -> list[dict]:
    """Every live document of a doctype matching ``selector`` (internal: no index rules)."""
    cond, exact = compile_selector(parse(selector or {}), sb.db.dialect)
    q = sa.select(sb.db.dialect.body_text()).where(
        DOCS.instance_id == inst.id, DOCS.doctype == doctype, DOCS.deleted.is_(False),
        sa.not_(DOCS.doc_id.startswith("_design/")), cond).order_by(DOCS.doc_id)
    if limit is not None and exact:
        q = q.limit(limit)
    with sb.db.read() as conn:
        docs = [orjson.loads(r[0]) for r in conn.execute(q)]
    if not exact:
        node = parse(selector or {})
        docs = [d for d in docs if matches(node, d)]
    return docs if limit is None else docs[:limit]


def doc_counts(sb: Sandbox, inst: Instance) -> dict[str, int]:
    q = (sa.select(DOCS.doctype, sa.func.count()).where(
        DOCS.instance_id == inst.id, DOCS.deleted.is_(False),
        sa.not_(DOCS.doc_id.startswith("_design/"))).group_by(DOCS.doctype)
        .order_by(DOCS.doctype))
    with sb.db.read() as conn:
        return {dt: n for dt, n in conn.execute(q)}


def _reading(doc: dict) -> tuple[str, float]:
    mr = doc["usage_point"][0]["meter_reading"]
    return mr["reading_type"]["start_measurement_period"], float(
        mr["interval_block"][0]["value"])


def overview(sb: Sandbox, inst: Instance) -> Overview:
    ov = Overview(counts=doc_counts(sb, inst))
    energy = sorted(_reading(d) for d in documents(
        sb, inst, "fr.enedis.api.meteringdata.energy"))
    ov.electricity = ([d for d, _ in energy], [v / 1000 for _, v in energy])
    curves = sorted(documents(sb, inst, "fr.enedis.api.meteringdata.loadcurve"),
                    key=lambda d: d["usage_point"][0]["meter_reading"]["reading_type"][
                        "start_measurement_period"])[-7:]
    labels, watts = [], []
    for c in curves:
        mr = c["usage_point"][0]["meter_reading"]
        day = mr["reading_type"]["start_measurement_period"]
        for i, block in enumerate(mr["interval_block"]):
            labels.append(f"{day[:10]}T{i // 2:02d}:{30 * (i % 2):02d}")
            watts.append(float(block["value"]))
    ov.week_curve = (labels, watts)
    for key, category in (("gas", "gazpar"), ("water", "eau")):
        sel: dict[str, Any] = {"statementCategory": category}
        if category == "gazpar":
            sel["statementReason"] = "GazparDailyGazConsumption"
        rows = sorted((d["period"], float(d["value"])) for d in documents(
            sb, inst, "org.fing.mesinfos.consumptionstatement", sel))
        setattr(ov, key, ([p for p, _ in rows], [v for _, v in rows]))
    calls = documents(sb, inst, "fr.orange.phonecommunicationlog", {"chipType": "s"})
    hours = [0.0] * 24
    partners: Counter = Counter()
    for c in calls:
        hours[int(local_hour(c["timestamp"]))] += 1
        partners[c["partner"]] += c.get("length", 0) / 60
    ov.calls_by_hour = hours
    top = partners.most_common(8)
    ov.top_contacts = ([f"…{p[-4:]}" for p, _ in top], [round(m, 1) for _, m in top])
    months: dict[str, float] = defaultdict(float)
    for v in documents(sb, inst, "fr.orange.videostream", {"action": "Commande"}):
        months[v["timestamp"][:7]] += 1
    ov.vod_by_month = (sorted(months), [months[m] for m in sorted(months)])
    seen = [m[:7] for series in (ov.electricity, ov.gas, ov.water, ov.vod_by_month)
            for m in (series[0][:1] + series[0][-1:])] + [c["timestamp"][:7] for c in calls]
    ov.months = (min(seen), max(seen)) if seen else None
    for doc in documents(sb, inst, "fr.maif.maifuser.contrat"):
        ov.contracts.extend(doc.get("contrat", []))
    for doc in documents(sb, inst, "org.fing.mesinfos.contract"):
        ov.contracts.append({"name": f"EDF {doc.get('name', '')} ({doc.get('energie', '')})",
                             "startDate": doc.get("start", ""),
                             "montantTarifTtc": doc.get("power", "")})
    ov.claims.extend(documents(sb, inst, "fr.maif.maifuser.sinistre"))  # one per claim
    _bank_and_shopping(sb, inst, ov)
    return ov


def _bank_and_shopping(sb: Sandbox, inst: Instance, ov: Overview) -> None:
    """Spending by category group, the checking balance, receipts, parcels, validations."""
    operations = documents(sb, inst, "io.cozy.bank.operations")
    spending: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for op in operations:
        group = spending_group(category_of(op))
        if float(op["amount"]) < 0 and group is not None:
            spending[op["date"][:7]][group] += -float(op["amount"])
    ov.spending = {m: {g: round(v, 2) for g, v in groups.items()}
                   for m, groups in sorted(spending.items())}
    ov.balance = checking_balance(documents(sb, inst, "io.cozy.bank.accounts"), operations)
    receipts: dict[str, list[float]] = defaultdict(list)
    for r in documents(sb, inst, "org.selfdata.receipt"):
        receipts[r["date"][:7]].append(float(r["total"]))
    ov.receipts = {m: (len(t), round(sum(t), 2)) for m, t in sorted(receipts.items())}
    parcels: dict[str, Counter] = defaultdict(Counter)
    for p in documents(sb, inst, "org.selfdata.laposte.parcel"):
        last = max((e["date"] for e in p.get("event", [])), default=p.get("entryDate", ""))
        parcels[last[:7]][parcel_outcome(p)] += 1
    ov.parcels = {m: dict(c) for m, c in sorted(parcels.items()) if m}
    validations = documents(sb, inst, "org.selfdata.transport.validation")
    if validations:
        hours = [0.0] * 24
        for v in validations:
            hours[int(local_hour(v["timestamp"]))] += 1
        ov.validations_by_hour = hours
