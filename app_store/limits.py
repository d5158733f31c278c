"""Limits on submissions (settings can override each)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = 20 * 1024 * 1024          # the Cozy registry's 20 MB bundle limit
    total_bytes: int = 64 * 1024 * 1024           # uncompressed, all files
    file_bytes: int = 16 * 1024 * 1024            # one file, uncompressed
    files: int = 5_000
    ratio: float = 50.0                           # uncompressed / compressed, past ...
    ratio_floor_bytes: int = 8 * 1024 * 1024      # ... this many uncompressed bytes (PyPI-like)
    name_length: int = 255
