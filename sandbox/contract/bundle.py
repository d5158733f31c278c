"""Read an app bundle (tar.gz or zip) safely, in memory, without extracting it.

The store reads each upload with it; the sandbox reads the tarball of a release it installs.

Every entry is checked before its bytes are read, and bytes are counted while reading, never
trusted from headers. Refused: links (symbolic or hard), devices, FIFOs, sparse members,
absolute or ``..`` paths, backslashes and drive letters, undecodable or control-character names,
duplicate names, too many files, a file or a total over the limits, and a suspicious
compression ratio (a bomb). All problems are reported together; the files that passed are kept.
"""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sandbox.contract.problems import ERROR, Problem

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Limits:
    """Limits on one bundle (the store's settings can override each)."""

    upload_bytes: int = 20 * 1024 * 1024          # the Cozy registry's 20 MB bundle limit
    total_bytes: int = 64 * 1024 * 1024           # uncompressed, all files
    file_bytes: int = 16 * 1024 * 1024            # one file, uncompressed
    files: int = 5_000
    ratio: float = 50.0                           # uncompressed / compressed, past ...
    ratio_floor_bytes: int = 8 * 1024 * 1024      # ... this many uncompressed bytes (PyPI-like)
    name_length: int = 255


@dataclass
class Archive:
    kind: str                                   # "tar.gz" or "zip"
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    compressed_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(len(b) for b in self.files.values())


def _bad(archive: Archive, check: str, message: str, path: str = "") -> None:
    archive.problems.append(Problem(check, ERROR, message, path))


def _clean_name(archive: Archive, raw: str | bytes, limits: Limits) -> str | None:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            _bad(archive, "archive.bad_name", "a file name is not valid UTF-8; rename it with "
                 "plain UTF-8 characters", repr(raw)[:80])
            return None
    name = raw
    if any("\udc80" <= ch <= "\udcff" for ch in name):  # bytes tarfile could not decode
        _bad(archive, "archive.bad_name", "a file name is not valid UTF-8; rename it with plain "
             "UTF-8 characters", name.encode("utf-8", "surrogateescape").decode("latin-1")[:80])
        return None
    if _CONTROL.search(name) or len(name) > limits.name_length:
        _bad(archive, "archive.bad_name", f"file names must be printable and at most "
             f"{limits.name_length} characters; rename this file", name[:80])
        return None
    if name.startswith("/") or "\\" in name or _DRIVE.match(name) or \
            ".." in PurePosixPath(name).parts:
        _bad(archive, "archive.unsafe_path", "absolute paths, '..', backslashes and drive "
             "letters are refused: pack the app with paths relative to its folder", name)
        return None
    clean = str(PurePosixPath(name))  # drops "./" and doubled slashes, keeps ".env"
    return None if clean in ("", ".") else clean


def read_archive(data: bytes, filename: str, limits: Limits | None = None) -> Archive:
    limits = limits or Limits()
    # By content, never by the file name.
    if data[:2] == b"\x1f\x8b":
        archive = Archive("tar.gz", compressed_bytes=len(data))
        reader = _read_tar
    elif data[:4] == b"PK\x03\x04":
        archive = Archive("zip", compressed_bytes=len(data))
        reader = _read_zip
    else:
        archive = Archive("unknown", compressed_bytes=len(data))
        _bad(archive, "archive.format", "the upload must be a .tar.gz or a .zip archive of the "
             "app's folder (selfdata submit packs it for you)", filename)
        return archive
    if len(data) > limits.upload_bytes:
        _bad(archive, "archive.too_large", f"the archive is {len(data):,} bytes; the limit is "
             f"{limits.upload_bytes:,}: leave out build outputs, node_modules and data files")
        return archive
    try:
        reader(archive, data, limits)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        _bad(archive, "archive.corrupt", f"the archive cannot be read ({exc}); create it again "
             "with tar -czf or zip")
    return archive


def _budget(archive: Archive, name: str, size: int, limits: Limits) -> bool:
    """Account for one file; False (and a problem) when a limit is crossed."""
    if len(archive.files) >= limits.files:
        if not any(p.check == "archive.too_many_files" for p in archive.problems):
            _bad(archive, "archive.too_many_files", f"the archive holds more than "
                 f"{limits.files:,} files; leave out dependencies and generated files")
        return False
    if size > limits.file_bytes:
        _bad(archive, "archive.file_too_large", f"this file is over {limits.file_bytes:,} "
             "bytes; apps may not ship large data files (read data from the personal cloud)",
             name)
        return False
    if archive.total_bytes + size > limits.total_bytes:
        if not any(p.check == "archive.total_too_large" for p in archive.problems):
            _bad(archive, "archive.total_too_large", f"the files add up to more than "
                 f"{limits.total_bytes:,} bytes once unpacked")
        return False
    total = archive.total_bytes + size
    if total > limits.ratio_floor_bytes and total > limits.ratio * archive.compressed_bytes:
        if not any(p.check == "archive.ratio" for p in archive.problems):
            _bad(archive, "archive.ratio", f"the archive expands more than {limits.ratio:g} "
                 "times (a compression bomb?); submit the app's real files")
        return False
    return True


STOPPERS = ("archive.too_many_files", "archive.total_too_large", "archive.ratio")


def _take(archive: Archive, name: str, size: int, read, limits: Limits) -> bool:
    """Account for one regular file and read it (counting bytes, not trusting the header).
    False when a limit that ends the reading was crossed."""
    if not _budget(archive, name, size, limits):
        return archive.problems[-1].check not in STOPPERS
    content = read(limits.file_bytes + 1)
    if len(content) > limits.file_bytes:
        _bad(archive, "archive.file_too_large", "this file is larger than its header says and "
             "over the limit", name)
    else:
        _add(archive, name, content)
    return True


def _add(archive: Archive, name: str, data: bytes) -> None:
    if name in archive.files:
        _bad(archive, "archive.duplicate", "the same path appears twice; keep one", name)
        return
    archive.files[name] = data


def _read_tar(archive: Archive, data: bytes, limits: Limits) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar:
            name = _clean_name(archive, member.name, limits)
            if name is None:
                continue
            if member.issym() or member.islnk():
                _bad(archive, "archive.link", "symbolic and hard links are refused: copy the "
                     "file instead", name)
                continue
            if member.isdir():
                continue
            if not member.isreg() or member.issparse():
                _bad(archive, "archive.special_file", "devices, FIFOs and sparse files are "
                     "refused: only regular files and folders", name)
                continue
            fh = tar.extractfile(member)
            if not _take(archive, name, member.size, fh.read if fh else (lambda n: b""),
                         limits):
                return


def _read_zip(archive: Archive, data: bytes, limits: Limits) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        seen_raw: set[str] = set()
        for info in zf.infolist():
            raw = info.orig_filename
            if raw in seen_raw:
                _bad(archive, "archive.duplicate", "the same path appears twice; keep one", raw)
                continue
            seen_raw.add(raw)
            if not (info.flag_bits & 0x800):  # not flagged UTF-8: CP437 per the zip spec
                try:
                    raw = raw.encode("cp437").decode("utf-8")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    _bad(archive, "archive.bad_name", "a file name is not valid UTF-8; rename "
                         "it with plain UTF-8 characters", raw[:80])
                    continue
            name = _clean_name(archive, raw, limits)
            if name is None:
                continue
            mode = info.external_attr >> 16
            if (mode & 0o170000) == 0o120000:
                _bad(archive, "archive.link", "symbolic links are refused: copy the file "
                     "instead", name)
                continue
            if mode and (mode & 0o170000) not in (0o100000, 0o040000, 0):
                _bad(archive, "archive.special_file", "only regular files and folders are "
                     "accepted", name)
                continue
            if info.is_dir():
                continue
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                _bad(archive, "archive.corrupt", "only stored or deflated zip entries are "
                     "accepted", name)
                continue
            with zf.open(info) as fh:
                if not _take(archive, name, info.file_size, fh.read, limits):
                    return
