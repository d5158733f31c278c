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
    pending: int = 0     # live: deliveries to come
    faults: int = 0      # live: delivery faults planned


@dataclass(frozen=True)
class LiveLoad:
    """Load for a live run: what is dated after ``start`` (simulated epoch seconds) is kept
    for delivery on its source's cadence, with the faults of ``profile``."""

    start: float
    profile: str = "clean"
    seed: int = 0


def load_population(sb: Sandbox, directory: Path, *, include_ground_truth: bool = False,
                    replace: bool = False, live: LiveLoad | None = None,
                    progress: Callable[[str], None] | None = None) -> LoadReport:
    """Create an instance per household and bulk-load its documents, and its files
    (``io.cozy.files.<fmt>`` and the ``files/`` folder) into its files store.

    An existing instance is skipped (its data is never touched) unless ``replace`` is set.
    Ground truth stays out of the testers' clouds unless asked for. A household's files are
    checked (size and MD5 of every blob) before its instance is created, so a mismatch stops
    the load with nothing of that household stored. With ``live``, each household's dated
    documents after the start wait for their delivery (``sandbox.live``), and the delivery
    faults planned are added to its ground truth when that is loaded.
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
        if files is not None and live is None:
            report.documents += importer.load(sb.files, inst, files)
        delivered: list[tuple[str, list[dict]]] = []
        for path in sorted((directory / name).glob(f"*.{fmt}")):
            doctype = path.name[: -len(fmt) - 1]
            if doctype == FILES or (doctype == GROUND_TRUTH and not include_ground_truth):
                continue
            docs = load_file(path, fmt)
            if live is not None and doctype != GROUND_TRUTH:
                delivered.append((doctype, docs))
                continue
            for i in range(0, len(docs), BATCH):
                report.documents += sb.documents.load(inst.id, doctype, docs[i:i + BATCH])
        if live is not None:   # a bill's PDF comes with it (held out of the Drive till then)
            done = sb.live.schedule(inst, delivered, live.start, live.profile, live.seed,
                                    files.docs if files is not None else ())
            if files is not None:
                report.documents += importer.load(sb.files, inst, files, hold=done.held)
            report.documents += done.present
            report.pending += done.pending
            report.faults += done.faults
            if include_ground_truth and done.faults:
                report.documents += sb.documents.load(inst.id, GROUND_TRUTH,
                                                      sb.live.labels(inst))
        report.instances.append(name)
        if progress:
            progress(name)
    return report


def _checked_files(folder: Path, fmt: str, name: str) -> importer.Checked | None:
    listing = folder / f"{FILES}.{fmt}"
    if not listing.is_file():
        return None
    return importer.check(load_file(listing, fmt), folder / "files", name)
