"""What a check reports: a stable id, a severity, where, and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"      # the submission is refused
WARNING = "warning"  # shown to the team and the reviewers; does not block


@dataclass(frozen=True)
class Problem:
    check: str       # stable id, e.g. "archive.unsafe_path"
    severity: str
    message: str     # what is wrong and how to fix it
    path: str = ""   # file inside the archive, or manifest field

    def to_json(self) -> dict:
        return asdict(self)


def blocking(problems: list[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)
