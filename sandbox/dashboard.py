"""What a tester's dashboard shows, computed from their own documents (no HTTP here)."""

from __future__ import annotations

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
    contracts: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)


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
    return ov
