"""Semantic versions (semver 2.0): parse and order by precedence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

# semver 2.0 §9: dot-separated identifiers, none empty, numeric ones without leading zeros
_PRE = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER = re.compile(rf"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-({_PRE}(?:\.{_PRE})*))?\Z")


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    @classmethod
    def valid(cls, text: object) -> bool:
        return isinstance(text, str) and SEMVER.match(text) is not None

    @classmethod
    def parse(cls, text: str) -> Version:
        m = SEMVER.match(text) if isinstance(text, str) else None
        if not m:
            raise ValueError(f"{text!r} is not a semantic version X.Y.Z[-pre]")
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre)

    def _key(self) -> tuple:
        # semver §11: a pre-release sorts before its release; identifiers compare numerically
        # when numeric, numeric ones before alphanumeric ones
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return f"{base}-{'.'.join(self.pre)}" if self.pre else base
