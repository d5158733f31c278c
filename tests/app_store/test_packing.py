"""Packing an app folder (``selfdata submit``): what a developer's folder holds beside the app
stays out, and is named."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from app_store.checks.run import check_upload
from app_store.packing import pack, pack_folder
from tests.support.apps import app_files


def _folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _names(data: bytes) -> set[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return set(tar.getnames())


JUNK = {
    "node_modules/cozy-client-js/dist/cozy-client.min.js": b"x",
    "node_modules/cozy-client-js/package.json": b"{}",
    "package-lock.json": b'{"resolved": "https://registry.npmjs.org/x.tgz"}',
    "yarn.lock": b"x", "pnpm-lock.yaml": b"x", ".git/HEAD": b"ref: refs/heads/main",
    ".DS_Store": b"\0", "vendor/.DS_Store": b"\0", "Thumbs.db": b"\0", ".app.js.swp": b"\0",
    "app.js~": b"x", ".idea/workspace.xml": b"<x/>", ".vscode/settings.json": b"{}",
    "__pycache__/a.cpython-311.pyc": b"\0", ".env": b"API_KEY=abcd1234efgh5678",
}


def test_the_folder_is_packed_without_what_surrounds_the_app(tmp_path):
    app = app_files(**{"vendor/cozy-client.min.js": b"// lib", "package.json": b"{}"})
    packed = pack_folder(_folder(tmp_path, {**app, **JUNK}))
    assert _names(packed.data) == set(app)
    assert packed.files == len(app)
    assert packed.left_out == sorted([
        ".DS_Store", ".app.js.swp", ".env", ".git/ (1 file)", ".idea/ (1 file)",
        ".vscode/ (1 file)", "Thumbs.db", "__pycache__/ (1 file)", "app.js~",
        "node_modules/ (2 files)", "package-lock.json", "pnpm-lock.yaml", "vendor/.DS_Store",
        "yarn.lock"])
    assert packed.summary().startswith("Left out of the archive: ")
    assert "node_modules/ (2 files)" in packed.summary()
    assert check_upload(packed.data, "a.tar.gz").problems == []


def test_nothing_left_out_says_nothing_and_the_bytes_are_reproducible(tmp_path):
    folder = _folder(tmp_path, app_files())
    packed = pack_folder(folder)
    assert packed.left_out == [] and packed.summary() == ""
    assert pack(folder) == packed.data


def test_a_folder_holding_the_app_one_level_down_is_named(tmp_path):
    _folder(tmp_path / "my-bills", app_files())
    with pytest.raises(FileNotFoundError, match=r"manifest found in my-bills/"):
        pack_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"has no manifest.webapp at its root$"):
        pack_folder(_folder(tmp_path / "empty", {"a.txt": b"x"}))


def test_links_out_of_the_folder_are_not_followed(tmp_path):
    outside = _folder(tmp_path / "outside", {"secret.txt": b"s"})
    folder = _folder(tmp_path / "app", app_files())
    (folder / "link").symlink_to(outside)
    (folder / "file-link").symlink_to(outside / "secret.txt")
    assert _names(pack(folder)) == set(app_files())
