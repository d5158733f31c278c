"""Skip a test only when its component truly cannot run here; in CI, fail instead."""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(ok: bool, why: str) -> None:
    if ok:
        return
    if in_ci():
        pytest.fail(f"CI must run this test, but: {why}")
    pytest.skip(why)
