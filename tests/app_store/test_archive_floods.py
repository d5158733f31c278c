"""Attack: floods inside an upload. 200,000 folder entries in a 0.9 MB upload held a worker for
half a minute; 50,000 symlinks made 50,001 problems and a 7.8 MB team page. Held by: every
entry counts toward the limit, problems are listed up to 20 per check with a summary, and
reading stops once the archive is clearly refused (benchmarks/archive_floods.py measures time
and memory at the upload limit)."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

from app_store.checks.run import check_upload
from sandbox.contract.bundle import MAX_LISTED, Limits, read_archive
from tests.support.apps import app_files

LIMITS = Limits(files=500)


def tar_with(extra) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in app_files().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return buf.getvalue()


def dirs(n: int):
    for i in range(n):
        info = tarfile.TarInfo(f"d/{i}")
        info.type = tarfile.DIRTYPE
        yield info


def links(n: int):
    for i in range(n):
        info = tarfile.TarInfo(f"l{i}")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        yield info


def test_folders_count_toward_the_entry_limit_and_reading_stops():
    archive = read_archive(tar_with(dirs(5_000)), "a.tar.gz", LIMITS)
    assert archive.stopped and archive.entries == LIMITS.files + 1
    assert [p.check for p in archive.problems] == ["archive.too_many_files"]


def test_links_are_listed_twenty_times_then_summed_up():
    archive = read_archive(tar_with(links(300)), "a.tar.gz", Limits(files=1_000))
    listed = [p for p in archive.problems if p.check == "archive.link"]
    assert len(listed) == MAX_LISTED + 1
    assert listed[-1].message.startswith("... and 280 more")
    report = check_upload(tar_with(links(300)), "a.tar.gz")
    assert len(report.to_json()["problems"]) < 40 and not report.accepted


def test_a_flood_of_refused_entries_stops_reading():
    archive = read_archive(tar_with(links(3_000)), "a.tar.gz", Limits(files=10_000))
    assert archive.stopped and archive.entries < 1_000
    assert "at least" in archive.problems[-1].message


def test_a_member_announcing_gigabytes_is_not_inflated():
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as gz:
        info = tarfile.TarInfo("big.bin")
        info.size = 8 << 30
        gz.write(info.tobuf())
        gz.write(bytes(4 << 20))
    archive = read_archive(out.getvalue(), "a.tar.gz")
    assert archive.stopped and archive.problems[0].check == "archive.file_too_large"


def test_a_huge_extended_header_is_stopped_by_the_inflate_cap():
    """A pax header is read whole into memory by the tar reader, whatever size it announces;
    the inflated stream refuses to go past what the archive may hold."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        info = tarfile.TarInfo("././@PaxHeader")
        info.type = tarfile.XHDTYPE
        info.size = 1 << 30
        gz.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        gz.write(b"9 a=b\n" * (40 << 20))   # 240 MiB of header content
    archive = read_archive(out.getvalue(), "a.tar.gz", Limits(total_bytes=16 << 20))
    assert archive.stopped and any(p.check == "archive.ratio" for p in archive.problems)


def test_a_zip_announcing_too_many_entries_is_refused_before_its_directory_is_read():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(600):
            zf.writestr(f"e{i}", b"")
    archive = read_archive(buf.getvalue(), "a.zip", LIMITS)
    assert archive.stopped and archive.entries == 0
    assert "600 entries" in archive.problems[0].message
