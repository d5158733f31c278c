"""Load a generated population into the sandbox: one instance per household."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.errors import BadRequest
from sandbox.files import importer
from sandbox.files.names import DOCTYPE as FILES
from sandbox.service import Sandbox
from synthetic_data.population import read_manifest
from synthetic_data.reading import load_file

BATCH = 20_000
GROUND_TRUTH = "org.selfdata.groundtruth.event"


@dataclass
class LoadReport:
    instances: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    documents: int = 0


def load_population(sb: Sandbox, directory: Path, *, include_ground_truth: bool = False,
                    replace: bool = False,
                    progress: Callable[[str], None] | None = None) -> LoadReport:
    """Create an instance per household and bulk-load its documents, and its files
    (``io.cozy.files.<fmt>`` and the ``files/`` folder) into its files store.

    An existing instance is skipped (its data is never touched) unless ``replace`` is set.
    Ground truth stays out of the testers' clouds unless asked for. A household's files are
    checked (size and MD5 of every blob) before its instance is created, so a mismatch stops
    the load with nothing of that household stored.
    """
    manifest = read_manifest(directory)
    fmt = manifest["format"]
    if fmt not in ("json", "ndjson"):
        raise BadRequest(f"{directory} was generated as {fmt}; the sandbox loads json or ndjson "
                         "(regenerate with --format ndjson)", "bad_request")
    report = LoadReport()
    for hh in manifest["households"]:
        name = hh["instance"]
        if sb.instances.find(name) is not None and not replace:
            report.skipped.append(name)
            continue
        files = _checked_files(directory / name, fmt, name)
        if sb.instances.find(name) is not None:
            sb.instances.delete(name)
        inst = sb.instances.create(name, profile=hh)
        if files is not None:
            report.documents += importer.load(sb.files, inst, files)
        for path in sorted((directory / name).glob(f"*.{fmt}")):
            doctype = path.name[: -len(fmt) - 1]
            if doctype == FILES or (doctype == GROUND_TRUTH and not include_ground_truth):
                continue
            docs = load_file(path, fmt)
            for i in range(0, len(docs), BATCH):
                report.documents += sb.documents.load(inst.id, doctype, docs[i:i + BATCH])
        report.instances.append(name)
        if progress:
            progress(name)
    return report


def _checked_files(folder: Path, fmt: str, name: str) -> importer.Checked | None:
    listing = folder / f"{FILES}.{fmt}"
    if not listing.is_file():
        return None
    return importer.check(load_file(listing, fmt), folder / "files", name)
