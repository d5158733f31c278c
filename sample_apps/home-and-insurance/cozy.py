"""A tiny client for the personal cloud's /data API (standard library only).

The address and the token come from the environment the platform sets (COZY_URL, COZY_TOKEN);
nothing here knows a host.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

PAGE = 1000  # the stack's largest page for _find and _normal_docs


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

    def ensure_index(self, doctype: str, fields: list[str], name: str) -> None:
        """Mango queries need an index on the fields they select (creating one needs only GET
        on the doctype; it answers "exists" when it is already there)."""
        self.request("POST", f"/data/{doctype}/_index",
                     {"index": {"fields": fields}, "ddoc": name, "name": name})

    def find(self, doctype: str, selector: dict, index: list[str] | None = None,
             name: str = "home-and-insurance") -> list[dict]:
        """Every document matching ``selector``, page by page with the bookmark."""
        if index:
            self.ensure_index(doctype, index, f"{name}-{'-'.join(index)}")
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

    def every(self, doctype: str) -> list[dict]:
        """Every document of a doctype through _find (an _id selector needs no index); none
        when the doctype has no database in this cloud."""
        try:
            return self.find(doctype, {"_id": {"$gt": None}})
        except CozyError as exc:
            if exc.status == 404:
                return []
            raise
