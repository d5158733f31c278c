"""Scoring leak findings against labelled events (the organisers' ground truth): a finding
matches a leak when their days overlap, give or take ``tolerance`` days. Used by the tests and by
``benchmarks/leak_watch_score.py``; the app itself never reads the ground truth."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol


class FindingLike(Protocol):
    start: str
    end: str

    @property
    def is_leak(self) -> bool: ...


def overlaps(a_start: str, a_end: str, b_start: str, b_end: str, tolerance: int) -> bool:
    a0, a1 = date.fromisoformat(a_start), date.fromisoformat(a_end)
    b0, b1 = date.fromisoformat(b_start), date.fromisoformat(b_end)
    pad = timedelta(days=tolerance)
    return a0 <= b1 + pad and a1 >= b0 - pad


def match(findings: list[FindingLike], leaks: list[dict], tolerance: int = 2
          ) -> tuple[int, int, int, int]:
    """(true findings, leak findings, leaks found, leaks) for one household. ``leaks`` are
    labelled events with ``start`` and ``end`` (inclusive local days)."""
    mine = [f for f in findings if f.is_leak]
    true_f = sum(any(overlaps(f.start, f.end, e["start"], e["end"], tolerance) for e in leaks)
                 for f in mine)
    found = sum(any(overlaps(f.start, f.end, e["start"], e["end"], tolerance) for f in mine)
                for e in leaks)
    return true_f, len(mine), found, len(leaks)
