"""Read an app bundle (tar.gz or zip) safely, in memory, without extracting it.

The store reads each upload with it; the sandbox reads the tarball of a release it installs.

Every entry is checked before its bytes are read, and bytes are counted while reading, never
trusted from headers. Refused: links (symbolic or hard), devices, FIFOs, sparse members,
absolute or ``..`` paths, backslashes and drive letters, undecodable or control-character names,
duplicate names, too many files, a file or a total over the limits, and a suspicious
compression ratio (a bomb). Every entry counts toward the entry limit (folders and links too),
at most ``MAX_LISTED`` problems are listed per check (the rest in one summary line), and reading
stops as soon as the archive is clearly refused, so a hostile upload costs bounded time and
memory. The files that passed are kept.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import zipfile
import zlib
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


MAX_LISTED = 20          # problems listed per check; the rest are counted in one line
MAX_PROBLEMS = 500       # past this many, the archive is clearly refused: reading stops


class _Stop(Exception):
    """The archive is clearly refused: reading stops here."""


@dataclass
class Archive:
    kind: str                                   # "tar.gz" or "zip"
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    compressed_bytes: int = 0
    entries: int = 0                            # every entry: files, folders, links, refused
    total_bytes: int = 0                        # of the files kept
    counts: dict[str, int] = field(default_factory=dict)   # problems per check, listed or not
    stopped: bool = False                       # reading stopped early: clearly refused


def _bad(archive: Archive, check: str, message: str, path: str = "") -> None:
    n = archive.counts.get(check, 0) + 1
    archive.counts[check] = n
    if n <= MAX_LISTED:
        archive.problems.append(Problem(check, ERROR, message, path))
    if sum(archive.counts.values()) > MAX_PROBLEMS:
        raise _Stop()


def _stop(archive: Archive, check: str, message: str, path: str = "") -> None:
    _bad(archive, check, message, path)
    raise _Stop()


def _summarise(archive: Archive) -> None:
    for check, n in archive.counts.items():
        if n > MAX_LISTED:
            more = (f"at least {n - MAX_LISTED:,} more" if archive.stopped
                    else f"{n - MAX_LISTED:,} more")
            stopped = " (the archive is refused; reading stopped there)" \
                if archive.stopped else ""
            archive.problems.append(Problem(check, ERROR, f"... and {more} like the ones "
                                            f"above{stopped}", ""))


def _entry(archive: Archive, limits: Limits) -> None:
    """Count one entry of any kind: a flood of folders or links costs like files."""
    archive.entries += 1
    if archive.entries > limits.files:
        _stop(archive, "archive.too_many_files", f"the archive holds more than "
              f"{limits.files:,} entries (files, folders and links); leave out dependencies "
              "and generated files")


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
    except _Stop:
        archive.stopped = True
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError,
            zlib.error) as exc:
        archive.problems.append(Problem("archive.corrupt", ERROR, f"the archive cannot be read "
                                        f"({exc}); create it again with tar -czf or zip"))
    _summarise(archive)
    return archive


def _budget(archive: Archive, name: str, size: int, limits: Limits) -> None:
    """Account for one file before reading it; stop at a limit that refuses the archive."""
    if size > limits.file_bytes:
        _stop(archive, "archive.file_too_large", f"this file is over {limits.file_bytes:,} "
              "bytes; apps may not ship large data files (read data from the personal cloud)",
              name)
    total = archive.total_bytes + size
    if total > limits.total_bytes:
        _stop(archive, "archive.total_too_large", f"the files add up to more than "
              f"{limits.total_bytes:,} bytes once unpacked")
    if total > limits.ratio_floor_bytes and total > limits.ratio * archive.compressed_bytes:
        _stop(archive, "archive.ratio", f"the archive expands more than {limits.ratio:g} "
              "times (a compression bomb?); submit the app's real files")


def _take(archive: Archive, name: str, size: int, read, limits: Limits) -> None:
    """Read one regular file that passed :func:`_budget` (counting bytes, not trusting the
    header)."""
    content = read(limits.file_bytes + 1)
    if len(content) > limits.file_bytes:
        _stop(archive, "archive.file_too_large", "this file is larger than its header says "
              "and over the limit", name)
    if name in archive.files:
        _bad(archive, "archive.duplicate", "the same path appears twice; keep one", name)
        return
    archive.files[name] = content
    archive.total_bytes += len(content)


class _Inflated(io.RawIOBase):
    """A gzip stream that refuses to inflate past ``cap`` bytes: skipping a member's data in
    a tar means inflating it, so a header announcing gigabytes of zeros is stopped here."""

    def __init__(self, data: bytes, cap: int, archive: Archive, ratio: float):
        self._gz = gzip.GzipFile(fileobj=io.BytesIO(data))
        self._cap = cap
        self._seen = 0
        self._archive = archive
        self._ratio = ratio

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._gz.readinto(buffer)
        self._seen += n
        if self._seen > self._cap:
            _stop(self._archive, "archive.ratio", f"the archive expands more than "
                  f"{self._ratio:g} times (a compression bomb?); submit the app's real files")
        return n


def _read_tar(archive: Archive, data: bytes, limits: Limits) -> None:
    # everything kept, plus a header per entry, is all a tar may inflate to
    cap = min(limits.total_bytes, max(limits.ratio_floor_bytes,
                                      int(limits.ratio * len(data)))) + 1024 * limits.files
    stream = io.BufferedReader(_Inflated(data, cap, archive, limits.ratio))
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            _entry(archive, limits)
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
            _budget(archive, name, member.size, limits)
            fh = tar.extractfile(member)
            _take(archive, name, member.size, fh.read if fh else (lambda n: b""), limits)
            tar.members.clear()  # a stream keeps every header otherwise


def _zip_entries(data: bytes) -> int | None:
    """The entry count the end of a zip announces (read before parsing its directory)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 66_000))
    if end < 0 or end + 22 > len(data):
        return None
    return int.from_bytes(data[end + 10:end + 12], "little")


def _read_zip(archive: Archive, data: bytes, limits: Limits) -> None:
    announced = _zip_entries(data)
    if announced is not None and announced > limits.files:
        _stop(archive, "archive.too_many_files", f"the archive holds {announced:,} entries, "
              f"more than {limits.files:,}; leave out dependencies and generated files")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        seen_raw: set[str] = set()
        for info in zf.infolist():
            _entry(archive, limits)
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
            _budget(archive, name, info.file_size, limits)
            with zf.open(info) as fh:
                _take(archive, name, info.file_size, fh.read, limits)
