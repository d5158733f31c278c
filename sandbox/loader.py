"""Load a generated population into the sandbox: one instance per household."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from sandbox.errors import BadRequest, NotFound
from sandbox.files import importer
from sandbox.files.names import DOCTYPE as FILES
from sandbox.instances import Instance
from sandbox.storage.documents import prepare
from sandbox.storage.revs import new_id
from synthetic_data.population import HouseholdData, read_manifest
from synthetic_data.reading import load_file
from synthetic_data.writers import group

if TYPE_CHECKING:  # the sandbox wires its on-demand loading, which loads through here
    from sandbox.service import Sandbox

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
    fmt = loadable_format(manifest, directory)
    report = LoadReport()
    for hh in manifest["households"]:
        name = hh["instance"]
        if _exists(sb, name) and not replace:
            report.skipped.append(name)
            continue
        files = _checked_files(directory / name, fmt, name)
        if _exists(sb, name):  # declared or loaded: not loaded just to be replaced
            sb.instances.delete(name)
        inst = sb.instances.create(name, profile=hh)
        load_household(sb, inst, directory / name, fmt, files, include_ground_truth, live,
                       report)
        report.instances.append(name)
        if progress:
            progress(name)
    return report


def loadable_format(manifest: dict, directory: Path) -> str:
    fmt = manifest["format"]
    if fmt not in ("json", "ndjson"):
        raise BadRequest(f"{directory} was generated as {fmt}; the sandbox loads json or ndjson "
                         "(regenerate with --format ndjson)", "bad_request")
    return fmt


def load_household(sb: Sandbox, inst: Instance, folder: Path, fmt: str,
                   files: importer.Checked | None, include_ground_truth: bool = False,
                   live: LiveLoad | None = None, report: LoadReport | None = None) -> LoadReport:
    """One household's files (``folder``, its Drive checked as ``files``) into ``inst``, an
    instance just created (its ``on_create`` hooks run): what :func:`load_population` does
    for each household, and a declared instance on its first use."""
    report = report if report is not None else LoadReport()
    if files is not None and live is None:
        report.documents += importer.load(sb.files, inst, files)
    delivered: list[tuple[str, list[dict]]] = []
    for path in sorted(folder.glob(f"*.{fmt}")):
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
    return report


def load_generated(sb: Sandbox, inst: Instance, data: HouseholdData,
                   include_ground_truth: bool = False) -> int:
    """A household generated in memory into ``inst`` (just created), straight into the
    database: the same documents, in the same order, as writing it to NDJSON and
    :func:`load_household` (its Drive's bytes pass through a temporary folder beside the
    blob store, checked by the same code); the number of documents."""
    by_type = {f"{doctype}.ndjson": parts for doctype, parts in group(data.batches).items()}
    loaded = 0
    listing = by_type.pop(f"{FILES}.ndjson", None)
    if listing is not None:
        root = sb.settings.files_root()
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=".generated-") as tmp:
            for file_id, blob in data.blobs.items():
                (Path(tmp) / file_id).write_bytes(blob)
            docs = [d for b in listing for d in b.dicts()]
            loaded += importer.load(sb.files, inst, importer.check(docs, Path(tmp), inst.name))
    prepared = []
    next_id = _id_drawer()
    for name in sorted(by_type):  # the order of the files' names, as load_household reads
        doctype = name.removesuffix(".ndjson")
        if doctype == GROUND_TRUTH and not include_ground_truth:
            continue
        prepared.append((doctype, [(inst.id, doctype, *prepare_new(d, next_id))
                                   for b in by_type[name] for d in b.dicts()]))
    with sb.db.write() as conn:  # one transaction: a first use waits on each commit
        sb.documents.ensure_dbs(conn, {(inst.id, doctype) for doctype, _ in prepared})
        for _, rows in prepared:
            for i in range(0, len(rows), BATCH):
                sb.documents.insert_prepared(conn, rows[i:i + BATCH])
            loaded += len(rows)
    return loaded


def _id_drawer() -> Callable[[], str]:
    """New document ids for one household, in ``new_id``'s shape (a random 26-hex prefix, then
    a counter) without its lock: a first use draws tens of thousands."""
    prefix, counter = secrets.token_hex(13), itertools.count()
    return lambda: f"{prefix}{next(counter):06x}"


def prepare_new(doc: dict, draw: Callable[[], str] | None = None) -> tuple[str, str, str]:
    """``storage.documents.prepare`` with one serialisation instead of two (a first use waits
    on it: about a fifth of loading a household): the stored body is the document's own JSON
    with ``_id`` and ``_rev`` put first, byte for byte what ``prepare`` makes; documents of
    another shape go through ``prepare`` itself. ``draw``: new ids (default ``new_id``)."""
    if "_rev" in doc or "_type" in doc or ("_id" in doc and next(iter(doc)) != "_id"):
        return prepare(doc)
    dumped = orjson.dumps(doc)
    rev = "1-" + hashlib.md5(dumped, usedforsecurity=False).hexdigest()  # next_rev(None, …)
    doc_id = doc.get("_id")
    if "_id" not in doc:
        doc_id = (draw or new_id)()
        rest = b"," + dumped[1:] if doc else b"}"
    elif isinstance(doc_id, str) and doc_id:
        rest = dumped[len(b'{"_id":') + len(orjson.dumps(doc_id)):]
    else:
        return prepare(doc)
    return doc_id, rev, f'{{"_id":{orjson.dumps(doc_id).decode()},"_rev":"{rev}"' + \
        rest.decode()


def _exists(sb: Sandbox, name: str) -> bool:
    try:
        sb.instances.lookup(name)
    except NotFound:
        return False
    return True


def checked_files(folder: Path, fmt: str, name: str) -> importer.Checked | None:
    """The household's Drive, every blob checked against its document (None: no Drive)."""
    return _checked_files(folder, fmt, name)


def _checked_files(folder: Path, fmt: str, name: str) -> importer.Checked | None:
    listing = folder / f"{FILES}.{fmt}"
    if not listing.is_file():
        return None
    return importer.check(load_file(listing, fmt), folder / "files", name)
