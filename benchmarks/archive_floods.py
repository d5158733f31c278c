"""Time and memory to check hostile uploads at the upload limit (20 MB), one by one.

    .venv/bin/python benchmarks/archive_floods.py

Each archive is read by the store's checks (``check_upload``) in this process; the figures are
the wall time and the growth of peak memory (tracemalloc) for each, and how many problems the
team would read.
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app_store.checks.run import check_upload  # noqa: E402

LIMIT = 20 * 1024 * 1024


def tar_of(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=9) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def dirs(n: int):
    for i in range(n):
        info = tarfile.TarInfo(f"d/{i}")
        info.type = tarfile.DIRTYPE
        yield info, b""


def links(n: int):
    for i in range(n):
        info = tarfile.TarInfo(f"l{i}")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        yield info, b""


def huge_member() -> bytes:
    """One member announcing 16 GiB of zeros: the tar stream must be read through to skip it."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        info = tarfile.TarInfo("big.bin")
        info.size = 16 << 30
        gz.write(info.tobuf())
        chunk = bytes(1 << 20)
        for _ in range(16 << 10):
            gz.write(chunk)
            if out.tell() > LIMIT - (1 << 20):
                break
    return out.getvalue()


def zip_entries(n: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(f"e{i}", b"")
    return buf.getvalue()


CASES = {
    "200,000 directory entries (tar.gz)": lambda: tar_of(dirs(200_000)),
    "50,000 symlinks (tar.gz)": lambda: tar_of(links(50_000)),
    "one member of 16 GiB of zeros (tar.gz)": huge_member,
    "150,000 empty files (zip)": lambda: zip_entries(150_000),
}


def main() -> None:
    print(f"{'upload':<42}{'bytes':>12}{'seconds':>10}{'peak MiB':>10}{'problems':>10}"
          f"{'report KB':>11}")
    for name, make in CASES.items():
        data = make()[:LIMIT]
        tracemalloc.start()
        t = time.perf_counter()
        report = check_upload(data, "upload")
        took = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = len(str(report.to_json())) / 1024
        print(f"{name:<42}{len(data):>12,}{took:>10.2f}{peak / 2**20:>10.1f}"
              f"{len(report.problems):>10,}{size:>11.0f}")


if __name__ == "__main__":
    main()
