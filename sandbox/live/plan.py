"""A household's deliveries: what is there before the clock starts, what comes later and when,
with the delivery faults of a profile drawn from the seed and labelled as ground truth.

Everything here is a pure function of (instance name, documents, start, profile, seed): the
same inputs give the same deliveries in the same order, and document ids are derived from
the instance, doctype and position, so a delivery is recognisable wherever it lands.
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sandbox.errors import BadRequest
from sandbox.live.sources import BILLS, STATEMENTS, Cadences, Source, data_day

GROUND_TRUTH_KIND = "delivery_fault"
FILES = "io.cozy.files"
CREATE, UPDATE, ERROR = "create", "update", "error"
DAY = 86_400.0
FAULT_LABELS = {
    "missing_day": "Livraison manquante (un jour de données ne viendra pas)",
    "late_batch": "Livraison en retard",
    "duplicate": "Valeurs livrées en double",
    "corrected": "Valeurs corrigées après livraison",
    "connector_error": "Connecteur en erreur",
}


@dataclass
class Delivery:
    """One pending row: a document to create or update, or a failed konnector run."""

    due: float
    source: str
    op: str
    doctype: str
    doc_id: str
    body: dict


@dataclass
class Schedule:
    present: dict[str, list[dict]] = field(default_factory=dict)  # there before the start
    pending: list[Delivery] = field(default_factory=list)         # in delivery order
    labels: list[dict] = field(default_factory=list)              # the faults, as ground truth
    sources: list[Source] = field(default_factory=list)           # konnectors with a trigger
    held: set[str] = field(default_factory=set)   # the Drive's files that come with a bill


def invoice_of(bill: dict) -> str | None:
    """The id of the bill's PDF in the Drive (``invoice: "io.cozy.files:<id>"``)."""
    ref = bill.get("invoice")
    if isinstance(ref, str) and ref.startswith(f"{FILES}:"):
        return ref[len(FILES) + 1:] or None
    return None


def doc_id(instance: str, doctype: str, position: int) -> str:
    return hashlib.sha256(f"{instance}/{doctype}/{position}".encode()).hexdigest()[:32]


def check_profile(cad: Cadences, profile: str) -> dict:
    if profile not in cad.faults:
        raise BadRequest(f"unknown fault profile {profile!r}: one of "
                         f"{', '.join(sorted(cad.faults))}", "bad_request")
    return cad.faults[profile]


def schedule(instance: str, docs: Iterable[tuple[str, list[dict]]], start: float,
             cad: Cadences, profile: str = "clean", seed: int = 0,
             files: Iterable[dict] = ()) -> Schedule:
    """Split a household's documents at ``start`` (simulated epoch seconds) and plan the
    rest's deliveries under the fault ``profile``.

    ``files`` are the Drive's ``io.cozy.files`` documents: the PDF of a bill delivered later
    is ``held`` (not there at the start) and comes in the same run as its bill, wherever
    the faults move that run (none when the bill never comes; once when it comes twice)."""
    faults = check_profile(cad, profile)
    out = Schedule()
    drive = {f["_id"]: f for f in files if isinstance(f.get("_id"), str)}
    batches: dict[tuple[str, float], list[Delivery]] = defaultdict(list)
    dues: dict[tuple[str, str, date], float] = {}   # many documents share a run
    for doctype, items in docs:
        by_doc = doctype in (STATEMENTS, BILLS)   # else one source for the whole doctype
        fixed = None if by_doc or not items else cad.source_of(doctype, items[0])
        for i, doc in enumerate(items):
            source = cad.source_of(doctype, doc) if by_doc else fixed
            day = data_day(doctype, doc, cad.timezone) if source is not None else None
            if source is None or day is None:
                out.present.setdefault(doctype, []).append(doc)
                continue
            key = (source.name, doctype if doctype == BILLS else "", day)
            due = dues.get(key)
            if due is None:
                due = dues[key] = cad.due_on(source, doctype, day)
            body = {"_id": doc_id(instance, doctype, i), **doc}
            if doctype == BILLS and due > start and invoice_of(doc) in drive:
                out.held.add(str(invoice_of(doc)))
            if due <= start:
                out.present.setdefault(doctype, []).append(body)
            else:
                batches[(source.name, due)].append(
                    Delivery(due, source.name, CREATE, doctype, body["_id"], body))
    by_source: dict[str, list[float]] = defaultdict(list)
    for name, due in batches:
        by_source[name].append(due)
    planned: list[Delivery] = []
    for name in sorted(by_source):
        src = cad.sources[name]
        out.sources.append(src)
        rng = random.Random(f"{seed}/{instance}/{name}/{profile}")
        runs = sorted(by_source[name])
        planned += _with_faults(instance, src, runs, batches, faults, rng, cad, out.labels)
    planned = _with_pdfs(planned, drive, out.held)
    order = {id(d): n for n, d in enumerate(planned)}
    out.pending = sorted(planned, key=lambda d: (d.due, d.source, order[id(d)]))
    for n, label in enumerate(sorted(out.labels, key=lambda x: (x["start"], x["details"]
                                                                 ["source"]))):
        label["eventId"] = f"{instance}-live-{n:03d}"
    out.labels.sort(key=lambda x: x["eventId"])
    return out


def _with_pdfs(planned: list[Delivery], drive: dict[str, dict],
               held: set[str]) -> list[Delivery]:
    """Each held PDF right after the first delivery of its bill, in the same run."""
    out, sent = [], set()
    for d in planned:
        out.append(d)
        pdf = invoice_of(d.body) if d.doctype == BILLS and d.op == CREATE else None
        if pdf in held and pdf not in sent:
            sent.add(pdf)
            out.append(Delivery(d.due, d.source, CREATE, FILES, pdf, drive[pdf]))
    return out


def _day(ts: float, cad: Cadences) -> str:
    return datetime.fromtimestamp(ts, cad.timezone).date().isoformat()


def _label(fault: str, src: Source, start: float, end: float, cad: Cadences, docs: list,
           **details) -> dict:
    return {"kind": GROUND_TRUTH_KIND, "label": f"{FAULT_LABELS[fault]} ({src.konnector})",
            "start": _day(start, cad), "end": _day(end, cad),
            "details": {"fault": fault, "source": src.name, "konnector": src.konnector,
                        "documents": len(docs), **details},
            "affects": sorted({d.doctype for d in docs})}


def _with_faults(instance: str, src: Source, runs: list[float],
                 batches: dict[tuple[str, float], list[Delivery]], p: dict,
                 rng: random.Random, cad: Cadences, labels: list[dict]) -> list[Delivery]:
    out: list[Delivery] = []
    i = 0
    while i < len(runs):
        due = runs[i]
        batch = batches[(src.name, due)]
        if rng.random() < p.get("connector_error", 0):
            days = rng.randint(*p["error_days"])
            back = due + days * DAY
            held = [r for r in runs[i:] if r < back]
            docs = [d for r in held for d in batches[(src.name, r)]]
            for r in held:   # each run in the window fails
                out.append(Delivery(r, src.name, ERROR, "", f"{src.name}-{r:.0f}",
                                    {"error": "VENDOR_DOWN"}))
            out += [Delivery(back, d.source, d.op, d.doctype, d.doc_id, d.body) for d in docs]
            labels.append(_label("connector_error", src, due, back, cad, docs,
                                 error="VENDOR_DOWN", recovered=_day(back, cad)))
            i += len(held)
            continue
        i += 1
        draw = rng.random()
        edges = (("missing_day", p.get("missing_day", 0)), ("late_batch", p.get("late_batch", 0)),
                 ("duplicate", p.get("duplicate", 0)), ("corrected", p.get("corrected", 0)))
        fault, acc = None, 0.0
        for name, chance in edges:
            acc += chance
            if draw < acc:
                fault = name
                break
        if fault is None:
            out += batch
        elif fault == "missing_day":
            labels.append(_label(fault, src, due, due, cad, batch))
        elif fault == "late_batch":
            late = due + rng.randint(*p["late_days"]) * DAY
            out += [Delivery(late, d.source, d.op, d.doctype, d.doc_id, d.body) for d in batch]
            labels.append(_label(fault, src, due, late, cad, batch,
                                 delivered=_day(late, cad)))
        elif fault == "duplicate":
            twins = [Delivery(due, d.source, d.op, d.doctype, f"{d.doc_id}-dup",
                              {**d.body, "_id": f"{d.doc_id}-dup"}) for d in batch]
            out += batch + twins
            labels.append(_label(fault, src, due, due, cad, batch,
                                 ids=[t.doc_id for t in twins][:10]))
        else:
            fixed = due + rng.randint(*p["corrected_days"]) * DAY
            wrong = [Delivery(due, d.source, d.op, d.doctype, d.doc_id, _wrong(d.doctype, d.body))
                     for d in batch]
            out += wrong + [Delivery(fixed, d.source, UPDATE, d.doctype, d.doc_id, d.body)
                            for d in batch]
            labels.append(_label(fault, src, due, fixed, cad, batch,
                                 corrected=_day(fixed, cad)))
    return out


def _wrong(doctype: str, doc: dict) -> dict:
    """The value a meter or a vendor first sends before correcting it: zero readings (a
    meter that did not answer), a bill 10 % off."""
    wrong = copy.deepcopy(doc)
    if doctype == BILLS and isinstance(wrong.get("amount"), int | float):
        wrong["amount"] = round(wrong["amount"] * 1.1, 2)
    elif isinstance(wrong.get("value"), int | float):
        wrong["value"] = 0
    else:
        for point in wrong.get("usage_point") or []:
            for block in point.get("meter_reading", {}).get("interval_block", []):
                block["value"] = "0"
    return wrong
