"""One run of the app: read the water readings, detect, save new findings, summarise."""

from __future__ import annotations

import analysis
from cozy import Cozy

WATER_DOCTYPE = "org.fing.mesinfos.consumptionstatement"
FINDINGS_DOCTYPE = "fr.hackathon.leak_watch.findings"


def run(cozy: Cozy) -> dict:
    """Detect leaks in the household's water readings and store the new findings."""
    water = cozy.find(WATER_DOCTYPE, {"statementCategory": analysis.WATER_CATEGORY},
                      index=["statementCategory"])
    findings = analysis.detect(water)
    stored = cozy.all_docs(FINDINGS_DOCTYPE)
    known = {d.get("key") for d in stored}
    new = []
    for f in findings:
        if f.key not in known:  # re-running the app must not duplicate a finding
            cozy.create(FINDINGS_DOCTYPE, f.to_doc())
            known.add(f.key)
            new.append(f.to_doc())
    return {**summarise(water, findings, len(stored) + len(new), len(new)), "new": new}


def summarise(water: list[dict], findings: list[analysis.Finding], stored: int,
              created: int) -> dict:
    first, litres = analysis.daily_series(water)
    days = [] if first is None else [
        analysis.day_after(first, i).isoformat() for i in range(len(litres))]
    return {
        "days": len(days),
        "first": days[0] if days else "",
        "last": days[-1] if days else "",
        "litres_total": sum(v or 0 for v in litres),
        "findings": [f.to_doc() for f in findings],
        "leaks": sum(f.is_leak for f in findings),
        "stored": stored,
        "created": created,
        "series": {"days": days, "litres": [v or 0 for v in litres]},
    }
