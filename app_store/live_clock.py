"""A client of the sandbox's live-time admin API (``/admin/live/...``), for the organiser
console: the event's clock (read, pause, resume, speed, jump to a date) and the delivery
faults planned for an instance. Every failure becomes a store error whose message says what
happened and what to do (the sandbox is down, its token is wrong, it refused the change)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx

from app_store.errors import Conflict, Invalid, NotAllowed, NotFound, StoreError

TOKEN_SETTING = "SELFDATA_STORE_LIVE_ADMIN_TOKEN"
MAX_SPEED = 1_000_000


class SandboxUnreachable(StoreError):
    """The sandbox did not answer (down, wrong address, or it answered something else)."""


class LiveNotSetUp(StoreError):
    """This store was given no organiser token for the sandbox's clock."""


def parse_speed(text: str) -> float:
    """A speed from a form (simulated seconds per wall second), or :class:`Invalid`."""
    try:
        speed = float(text.strip().replace(",", "."))
    except ValueError:
        raise Invalid(f"speed {text[:20]!r} is not a number: 1440 is a day per minute",
                      [{"path": "speed", "message": "not a number"}]) from None
    if not 0 <= speed <= MAX_SPEED:
        raise Invalid(f"speed must be between 0 and {MAX_SPEED:,}",
                      [{"path": "speed", "message": "out of range"}])
    return speed


def parse_date(text: str) -> str:
    """A date (YYYY-MM-DD) or an ISO date-time from a form, as sent to the sandbox, or
    :class:`Invalid`."""
    text = text.strip()
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{text[:40]!r} is not a date: write it as YYYY-MM-DD (local "
                      "midnight) or YYYY-MM-DDTHH:MM",
                      [{"path": "at", "message": "not a date"}]) from None
    return text


class LiveClock:
    def __init__(self, sandbox_url: str, token: str, *, timeout_s: float = 5,
                 http: Any | None = None):
        """``http`` may be any client with httpx's interface (a Starlette TestClient)."""
        self.base_url = sandbox_url.rstrip("/")
        self.token = token
        self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs) -> Any:
        if not self.token:
            raise LiveNotSetUp("live time is not set up for this store: start the event with "
                               f"`selfdata up --live`, or set {TOKEN_SETTING} to the "
                               "sandbox's SELFDATA_LIVE_ADMIN_TOKEN")
        try:
            r = self.http.request(method, path, headers={
                "Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                **kwargs)
        except httpx.HTTPError as exc:
            raise SandboxUnreachable(
                f"the sandbox at {self.base_url} does not answer ({type(exc).__name__}): is it "
                "running? (SELFDATA_STORE_SANDBOX_URL)") from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code >= 400:
            self._refused(r.status_code, body)
        if not isinstance(body, dict):
            raise SandboxUnreachable(f"the sandbox at {self.base_url} answered something that "
                                     "is not its admin API: check SELFDATA_STORE_SANDBOX_URL")
        return body

    def _refused(self, status: int, body: Any) -> None:
        reason = _reason(body) or f"status {status}"
        if status in (401, 403):
            raise NotAllowed(f"the sandbox refused the organiser token ({reason}): "
                             f"{TOKEN_SETTING} must be the sandbox's SELFDATA_LIVE_ADMIN_TOKEN")
        if status == 404:
            raise NotFound(f"the sandbox says: {reason}")
        if status == 409:
            raise Conflict(f"the sandbox refused: {reason}")
        if status < 500:
            raise Invalid(f"the sandbox refused: {reason}")
        raise SandboxUnreachable(f"the sandbox at {self.base_url} failed ({reason})")

    def clock(self) -> dict:
        """The event's clock: ``live``, ``now``, ``speed``, ``paused``, ``pending``."""
        return self._call("GET", "/admin/live/clock")

    def change(self, *, at: str | None = None, speed: float | None = None,
               paused: bool | None = None) -> dict:
        """Jump forward, change speed, pause or resume the event's clock."""
        change = {k: v for k, v in {"at": at, "speed": speed, "paused": paused}.items()
                  if v is not None}
        return self._call("PUT", "/admin/live/clock", json=change)

    def faults(self, instance: str) -> list[dict]:
        """The delivery faults planned for an instance, as ground-truth events."""
        events = self._call("GET", "/admin/live/faults", params={"instance": instance}).get(
            "events")
        return events if isinstance(events, list) else []


def _reason(body: Any) -> str:
    """The message of any of the sandbox's error shapes."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("detail") or errors[0].get("title") or "")[:300]
    return str(body.get("reason") or body.get("error") or "")[:300]
