"""A client for the store's HTTP API, used by ``selfdata submit``, ``selfdata up``, the
benchmarks and the tests: one way to submit, follow and review a submission."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

SETTLED = ("awaiting-review", "approved", "rejected", "failed")


class StoreClientError(Exception):
    """The store refused a request; ``status`` and the store's ``error`` message."""

    def __init__(self, status: int, message: str, problems: list | None = None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.problems = problems or []


class StoreClient:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = 60,
                 transport: httpx.BaseTransport | None = None,
                 http: Any | None = None):
        """``http`` may be any client with httpx's interface (a Starlette TestClient)."""
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout_s,
                                         transport=transport)
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs) -> Any:
        r = self.http.request(method, path, headers=self.headers, **kwargs)
        if r.status_code >= 400:
            try:
                body = r.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                body = {"error": r.text[:500]}
            raise StoreClientError(r.status_code, str(body.get("error", r.text[:500])),
                                   body.get("problems") if isinstance(body.get("problems"),
                                                                      list) else None)
        return r.json()

    def submit(self, data: bytes, filename: str = "app.tar.gz") -> int:
        """Upload an archive; the submission's id."""
        return self._call("POST", "/api/submissions", params={"filename": filename},
                          content=data)["id"]

    def submission(self, sub_id: int) -> dict:
        return self._call("GET", f"/api/submissions/{sub_id}")

    def wait(self, sub_id: int, timeout_s: float = 600, every_s: float = 0.2,
             on_state: Callable[[str], None] | None = None) -> dict:
        """Follow a submission until it is checked, built and smoke-run (or refused)."""
        deadline = time.monotonic() + timeout_s
        seen = ""
        while True:
            info = self.submission(sub_id)
            if info["state"] != seen:
                seen = info["state"]
                if on_state:
                    on_state(seen)
            if seen in SETTLED:
                return info
            if time.monotonic() > deadline:
                raise TimeoutError(f"submission {sub_id} is still {seen} after {timeout_s:g} s")
            time.sleep(every_s)

    def review(self, sub_id: int, decision: str, reason: str = "") -> dict:
        return self._call("POST", f"/api/submissions/{sub_id}/review",
                          json={"decision": decision, "reason": reason})

    def create_account(self, name: str, role: str, team: str | None = None) -> dict:
        return self._call("POST", "/api/accounts", json={"name": name, "role": role,
                                                         "team": team})

    def close(self) -> None:
        if isinstance(self.http, httpx.Client):
            self.http.close()
