"""Run every check on an upload and report all problems together."""

from __future__ import annotations

from dataclasses import dataclass, field

from app_store.archive import Archive, read_archive
from app_store.checks.code import check_code
from app_store.checks.manifest import check_manifest, load_manifest
from app_store.limits import Limits
from app_store.problems import Problem, blocking


@dataclass
class Report:
    archive: Archive
    manifest: dict | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not blocking(self.problems)

    def to_json(self) -> dict:
        return {"accepted": self.accepted, "problems": [p.to_json() for p in self.problems]}


def check_upload(data: bytes, filename: str, limits: Limits | None = None) -> Report:
    archive = read_archive(data, filename, limits)
    problems = list(archive.problems)
    manifest = None
    if archive.kind != "unknown" and not any(p.check in ("archive.too_large", "archive.corrupt")
                                             for p in problems):
        manifest, found = load_manifest(archive)
        problems.extend(found)
        if manifest is not None:
            problems.extend(check_manifest(manifest, archive))
        problems.extend(check_code(manifest, archive))
    return Report(archive, manifest, problems)
