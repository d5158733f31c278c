"""Reading the household's documents from the personal cloud with httpx.

The address and the token come from the environment the platform sets (COZY_URL, COZY_TOKEN).
"""

from __future__ import annotations

import os
from typing import Any

import httpx

PAGE = 1000  # the stack's largest page for _find
LOADCURVE = "fr.enedis.api.meteringdata.loadcurve"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
HOME = "org.fing.mesinfos.home"
USAGE_POINTS = "fr.enedis.api.customers.usagepoints"
FINDINGS = "fr.hackathon.energy_coach.findings"   # the advice a challenge scores
APP = "energy-coach"


class CozyError(RuntimeError):
    pass


def client() -> httpx.Client:
    url, token = os.environ.get("COZY_URL", ""), os.environ.get("COZY_TOKEN", "")
    if not url or not token:
        raise CozyError("COZY_URL and COZY_TOKEN must be set (the platform sets them)")
    return httpx.Client(base_url=url.rstrip("/"), timeout=60.0, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json"})


def _check(r: httpx.Response) -> Any:
    if r.status_code >= 400:
        raise CozyError(f"{r.request.method} {r.request.url.path}: {r.status_code} "
                        f"{r.text[:300]}")
    return r.json()


def find(c: httpx.Client, doctype: str, selector: dict, index: list[str] | None = None
         ) -> list[dict]:
    """Every document matching ``selector``, following the bookmark page by page. Selecting on
    a field needs a Mango index on it: create it first (it answers "exists" the next time)."""
    if index:
        name = f"{APP}-{'-'.join(index)}"
        _check(c.post(f"/data/{doctype}/_index",
                      json={"index": {"fields": index}, "ddoc": name, "name": name}))
    out: list[dict] = []
    bookmark = None
    while True:
        body: dict[str, Any] = {"selector": selector, "limit": PAGE}
        if bookmark:
            body["bookmark"] = bookmark
        r = c.post(f"/data/{doctype}/_find", json=body)
        if r.status_code == 404:  # the doctype has no database: no such data in this cloud
            return out
        page = _check(r)
        out.extend(page["docs"])
        bookmark = page.get("bookmark")
        if len(page["docs"]) < PAGE or not bookmark:
            return out


def every(c: httpx.Client, doctype: str) -> list[dict]:
    """Every document of a small doctype (the _id selector needs no index)."""
    return find(c, doctype, {"_id": {"$gt": None}})


def household_documents() -> dict[str, Any]:
    """What the coach reads: the load curve, the Gazpar days, the home profile, the meter."""
    with client() as c:
        homes = every(c, HOME)
        points = every(c, USAGE_POINTS)
        return {
            "loadcurve": every(c, LOADCURVE),
            "gas": find(c, STATEMENTS, {"statementReason": "GazparDailyGazConsumption"},
                        index=["statementReason"]),
            "home": homes[0] if homes else None,
            "usage_point": points[0] if points else None,
        }


def create(doctype: str, doc: dict) -> dict:
    """Write one document (the challenge's advice)."""
    with client() as c:
        return _check(c.post(f"/data/{doctype}/", json=doc))
