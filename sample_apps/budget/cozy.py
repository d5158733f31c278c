"""A tiny read-only client for the personal cloud's /data API (standard library only).

The address and the token come from the environment the platform sets (COZY_URL, COZY_TOKEN);
nothing here knows a host.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

PAGE = 1000  # the stack's largest page for _find and _all_docs
OPERATIONS = "io.cozy.bank.operations"
BILLS = "io.cozy.bills"
STATEMENTS = "org.fing.mesinfos.consumptionstatement"
ENERGY = "fr.enedis.api.meteringdata.energy"
APP = "budget"
# the daily meters it crosses with the bills (the Linky half-hours are not needed)
METER_REASONS = ["WaterDailyConsumption", "GazparDailyGazConsumption"]


class CozyError(RuntimeError):
    def __init__(self, status: int, body: str):
        super().__init__(f"the personal cloud answered {status}: {body[:300]}")
        self.status = status


class Cozy:
    def __init__(self, url: str, token: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_env(cls) -> Cozy:
        url, token = os.environ.get("COZY_URL", ""), os.environ.get("COZY_TOKEN", "")
        if not url or not token:
            raise CozyError(0, "COZY_URL and COZY_TOKEN must be set (the platform sets them)")
        return cls(url, token)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json",
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise CozyError(exc.code, exc.read().decode("utf-8", "replace")) from None

    def find(self, doctype: str, selector: dict, index: list[str]) -> list[dict]:
        """Every document matching ``selector``, page by page with the bookmark (the index on
        the selected fields is created first; it answers "exists" the next time). A doctype
        without a database yet has no documents."""
        name = f"{APP}-{'-'.join(index)}"
        try:
            self.request("POST", f"/data/{doctype}/_index",
                         {"index": {"fields": index}, "ddoc": name, "name": name})
        except CozyError as exc:
            if exc.status == 404:
                return []
            raise
        out: list[dict] = []
        bookmark = None
        while True:
            body: dict[str, Any] = {"selector": selector, "limit": PAGE}
            if bookmark:
                body["bookmark"] = bookmark
            page = self.request("POST", f"/data/{doctype}/_find", body)
            out.extend(page["docs"])
            bookmark = page.get("bookmark")
            if len(page["docs"]) < PAGE or not bookmark:
                return out

    def all_docs(self, doctype: str) -> list[dict]:
        """Every document of a doctype (none when its database does not exist yet)."""
        out: list[dict] = []
        skip = 0
        while True:
            q = urllib.parse.urlencode({"include_docs": "true", "limit": PAGE, "skip": skip})
            try:
                page = self.request("GET", f"/data/{doctype}/_all_docs?{q}")
            except CozyError as exc:
                if exc.status == 404:
                    return out
                raise
            rows = page.get("rows", [])
            out.extend(r["doc"] for r in rows
                       if r.get("doc") and not r["id"].startswith("_design/"))
            if len(rows) < PAGE:
                return out
            skip += len(rows)

