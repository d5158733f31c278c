"""Run every check on an upload and report all problems together."""

from __future__ import annotations

from dataclasses import dataclass, field

from app_store.checks.code import check_code, check_secrets
from app_store.checks.manifest import check_manifest
from sandbox.contract.bundle import Archive, Limits, read_archive
from sandbox.contract.manifest import Manifest, parse_manifest, read_manifest
from sandbox.contract.problems import Problem, blocking


@dataclass
class Report:
    archive: Archive
    manifest: Manifest | None             # parsed, when the stack would accept it
    raw_manifest: dict | None = None      # the JSON object, whenever there is one
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not blocking(self.problems)

    def to_json(self) -> dict:
        return {"accepted": self.accepted, "problems": [p.to_json() for p in self.problems]}


def check_upload(data: bytes, filename: str, limits: Limits | None = None) -> Report:
    archive = read_archive(data, filename, limits)
    report = Report(archive, None, None, list(archive.problems))
    if archive.kind == "unknown" or any(p.check in ("archive.too_large", "archive.corrupt")
                                        for p in report.problems):
        return report
    raw, found = read_manifest(archive.files)
    report.problems.extend(found)
    if raw is None:
        # No manifest to read (missing, one folder down, not JSON): the files are not an app
        # yet, and what the code checks would say follows from that. Secrets still count:
        # they were uploaded.
        report.problems.extend(check_secrets(archive))
        return report
    if isinstance(raw, dict):
        report.raw_manifest = raw
        report.manifest, found = check_manifest(raw, archive)
        report.problems.extend(found)
    elif raw is not None:
        report.problems.extend(parse_manifest(raw)[1])
    # Without a manifest the stack accepts, the doctype and requirement checks would only
    # echo its problems; the others still run.
    report.problems.extend(check_code(report.manifest, archive))
    return report
