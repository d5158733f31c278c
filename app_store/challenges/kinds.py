"""The kinds of challenge: for each, the JSON Schema its findings follow (published on the
challenge page and the API), an example finding, what is true for a household (taken from the
generated household, never loaded into the app's instance), the score of one household and the
total over households, and the trivial baseline every entry is compared with.

* ``event-detection``: findings ``{"event", "start", "end"}``; F1 per event kind (micro over
  households), the total is the mean F1 over the challenge's kinds (higher is better). Baseline:
  every kind claimed in every month (:func:`metrics.monthly_alarm`).
* ``advice``: one finding ``{"option"}``, the electricity option the app advises (Base, HPHC,
  Tempo); scored in euros lost against the true cheapest option for the household's real
  curve over the year (lower is better). Baseline: keeping the option in force.
* ``forecast``: one finding ``{"target", "month", "value"}``, the total of the held-out month
  (the last month of the year, withheld from the instance); MAPE in % (lower is better).
  Baseline: the mean day of the data so far times the month's days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app_store.challenges import metrics
from synthetic_data.sources.ground_truth import GROUND_TRUTH, LABELS

EVENT_KINDS = tuple(LABELS)
WATER = "org.fing.mesinfos.consumptionstatement"
ENERGY = "fr.enedis.api.meteringdata.energy"
# target → (the partner whose data it needs, unit)
TARGETS = {"electricity": ("enedis", "kWh"), "water": ("water", "L")}
EVENT_PARTNERS = {"leak": "water", "new_occupant": "water", "tariff_change": "enedis"}

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


@dataclass(frozen=True)
class Kind:
    name: str
    metric: str                 # shown on the challenge page
    higher_is_better: bool
    unit: str = ""


KINDS = {
    "event-detection": Kind("event-detection", "F1 per event kind (precision and recall on "
                            "events matched by date, give or take the tolerance), averaged "
                            "over the challenge's event kinds", True),
    "forecast": Kind("forecast", "mean absolute percentage error (MAPE) of the held-out "
                     "month's total; the mean absolute error (MAE) is shown beside", False, "%"),
    "advice": Kind("advice", "euros lost by following the advice instead of the cheapest "
                   "option for the household's real curve over the year, averaged over "
                   "households", False, "€"),
}
OPTIONS = ("Base", "HPHC", "Tempo")


@dataclass
class Truth:
    """What is true for one household (never shown to a team for a hidden household)."""
    events: list[metrics.Span] = field(default_factory=list)
    first: date | None = None
    last: date | None = None
    month_total: float | None = None      # forecast: the held-out month
    baseline_total: float | None = None   # forecast: the mean day so far × the month's days
    month: str = ""
    costs: dict[str, float] = field(default_factory=dict)   # advice: euros per option
    current: str = ""                                        # advice: the option in force


def schema(d) -> dict:
    """The JSON Schema of a finding for challenge ``d`` (each field described)."""
    base = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "additionalProperties": True}
    if d.kind == "event-detection":
        return {**base, "title": f"{d.title}: one detected event",
                "required": ["event", "start", "end"],
                "properties": {
                    "event": {"type": ["string", "null"], "description": "The kind of event "
                              f"found: one of {', '.join(d.event_kinds)}; null for a finding "
                              "that claims no event (it is not scored)."},
                    "start": {**DATE, "description": "First local day of the event, "
                              "YYYY-MM-DD."},
                    "end": {**DATE, "description": "Last local day of the event (inclusive), "
                            "YYYY-MM-DD; the same as start for a one-day event."},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                                   "description": "Optional: how sure the app is (0 to 1); "
                                   "shown, not scored."}}}
    if d.kind == "advice":
        return {**base, "title": f"{d.title}: the advice", "required": ["option"],
                "properties": {
                    "option": {"enum": list(OPTIONS), "description": "The electricity option "
                               "the household should take: Base, HPHC (peak / off-peak) or "
                               "Tempo."},
                    "annual_cost_eur": {"type": "number", "minimum": 0, "description":
                                        "Optional: what the app reckons that option costs "
                                        "over the year; shown, not scored."}}}
    unit = TARGETS.get(d.target, ("", ""))[1]
    return {**base, "title": f"{d.title}: the forecast",
            "required": ["target", "month", "value"],
            "properties": {
                "target": {"const": d.target, "description": "What is forecast."},
                "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$",
                          "description": "The month forecast, YYYY-MM: the month after the "
                          "last day of data."},
                "value": {"type": "number", "minimum": 0, "description": f"The month's total, "
                          f"in {unit}."}}}


def example(d) -> dict:
    if d.kind == "event-detection":
        kind = d.event_kinds[0] if d.event_kinds else "leak"
        return {"event": kind, "start": f"{d.year}-03-04", "end": f"{d.year}-03-19",
                "confidence": 0.8}
    if d.kind == "advice":
        return {"option": "Tempo", "annual_cost_eur": 812.5}
    return {"target": d.target, "month": f"{d.year}-12", "value": 250.0}


def partners(d) -> set[str]:
    """Partners a scoring household must have for the challenge to mean something."""
    if d.kind == "forecast":
        return {TARGETS[d.target][0]}
    if d.kind == "advice":
        return {"edf"}             # a supplier's contract: the option in force
    return {EVENT_PARTNERS[k] for k in d.event_kinds if k in EVENT_PARTNERS}


def holdout(d) -> date | None:
    """The first day withheld from the instance (forecast: the last month of the year)."""
    return date(d.year, 12, 1) if d.kind == "forecast" else None


def _daily(doctype: str, doc: dict, target: str) -> tuple[str, float] | None:
    if target == "water" and doctype == WATER and doc.get("statementCategory") == "eau" \
            and len(str(doc.get("period", ""))) == 10:
        return doc["period"], float(doc.get("value") or 0)
    if target == "electricity" and doctype == ENERGY:
        r = doc["usage_point"][0]["meter_reading"]
        return r["reading_type"]["start_measurement_period"][:10], \
            sum(float(v["value"]) for v in r["interval_block"]) / 1000.0
    return None


def truth(d, batches: list[tuple[str, list[dict]]],
          costs: tuple[dict[str, float], str] | None = None) -> Truth:
    """What is true for one generated household (its documents by doctype; for advice, the
    cost of each option and the option in force, from ``synthetic_data.tariff_options``)."""
    t = Truth(first=date(d.year, 1, 1), last=date(d.year, 12, 31))
    if d.kind == "advice":
        assert costs is not None
        t.costs, t.current = costs
        return t
    if d.kind == "event-detection":
        for doctype, docs in batches:
            if doctype == GROUND_TRUTH:
                t.events.extend(metrics.Span(e["kind"], date.fromisoformat(e["start"]),
                                             date.fromisoformat(e["end"])) for e in docs)
        return t
    t.month = f"{d.year}-12"
    month_total, before, days = 0.0, 0.0, set()
    for doctype, docs in batches:
        for doc in docs:
            got = _daily(doctype, doc, d.target)
            if got is None:
                continue
            if got[0].startswith(t.month):
                month_total += got[1]
            elif got[0] < t.month:
                before += got[1]
                days.add(got[0])
    t.month_total = round(month_total, 3)
    t.baseline_total = round(before / len(days) * 31, 3) if days else 0.0
    return t


def spans(d, findings: list[dict]) -> list[metrics.Span]:
    out = []
    for f in findings:
        if f.get("event") in d.event_kinds:
            a, b = date.fromisoformat(f["start"]), date.fromisoformat(f["end"])
            out.append(metrics.Span(f["event"], min(a, b), max(a, b)))
    return out


def household_result(d, findings: list[dict], t: Truth) -> dict[str, Any]:
    """One household's result: its counts or errors, JSON-ready (summed by :func:`total`)."""
    if d.kind == "event-detection":
        counts = metrics.detection(spans(d, findings), t.events, d.event_kinds,
                                   d.tolerance_days)
        base = metrics.detection(metrics.monthly_alarm(d.event_kinds, t.first, t.last),
                                 t.events, d.event_kinds, d.tolerance_days)
        return {"by_kind": {k: c.to_json() for k, c in counts.items()},
                "baseline": {k: c.to_json() for k, c in base.items()},
                # nothing to find and nothing claimed: right, but no F1 to show
                "score": None if not any(c.events or c.findings for c in counts.values())
                else round(metrics.mean([c.f1 for c in counts.values()]), 4)}
    if d.kind == "advice":
        advised = findings[-1]["option"] if findings else None
        return {"advised": advised, "cheapest": min(t.costs, key=t.costs.get),
                "current": t.current, "costs": t.costs,
                "score": round(metrics.advice_regret(t.costs, advised), 2),
                "saving": round(metrics.advice_saving(t.costs, advised, t.current), 2),
                "baseline_score": round(metrics.advice_regret(t.costs, t.current), 2)}
    mine = [f for f in findings if f.get("month") == t.month and f.get("target") == d.target]
    predicted = float(mine[-1]["value"]) if mine else 0.0
    actual = t.month_total or 0.0
    return {"predicted": predicted, "actual": actual, "forecast": bool(mine),
            "absolute_error": round(metrics.absolute_error(predicted, actual), 3),
            "score": round(metrics.absolute_percentage_error(predicted, actual), 3),
            "baseline_score": round(metrics.absolute_percentage_error(
                t.baseline_total or 0.0, actual), 3)}


def total(d, results: list[dict]) -> dict[str, Any]:
    """The total over households' results: ``score`` (the ranked figure) and ``baseline``."""
    if not results:
        return {"score": None, "baseline": None, "households": 0}
    if d.kind == "event-detection":
        out: dict[str, Any] = {"by_kind": {}, "households": len(results)}
        f1s, base = [], []
        for k in d.event_kinds:
            c = sum((metrics.Counts(**{f: r["by_kind"][k][f] for f in (
                "true_positives", "findings", "events")}) for r in results),
                metrics.Counts(0, 0, 0))
            b = sum((metrics.Counts(**{f: r["baseline"][k][f] for f in (
                "true_positives", "findings", "events")}) for r in results),
                metrics.Counts(0, 0, 0))
            out["by_kind"][k] = c.to_json()
            f1s.append(c.f1)
            base.append(b.f1)
        out["score"] = round(metrics.mean(f1s), 4)
        out["baseline"] = round(metrics.mean(base), 4)
        return out
    if d.kind == "advice":
        return {"score": round(metrics.mean([r["score"] for r in results]), 2),
                "saving": round(metrics.mean([r["saving"] for r in results]), 2),
                "baseline": round(metrics.mean([r["baseline_score"] for r in results]), 2),
                "households": len(results)}
    return {"score": round(metrics.mean([r["score"] for r in results]), 3),
            "mae": round(metrics.mean([r["absolute_error"] for r in results]), 3),
            "baseline": round(metrics.mean([r["baseline_score"] for r in results]), 3),
            "households": len(results)}


def better(d, a: float, b: float) -> bool:
    return a > b if KINDS[d.kind].higher_is_better else a < b
