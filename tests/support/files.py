"""Files for the files API and the loader: uploads through the API, and small hand-made
generated datasets (the DATASET-FILES contract: ``io.cozy.files.<fmt>`` and ``files/``)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tests.support.api import Api

ROOT = "io.cozy.files.root-dir"
TRASH = "io.cozy.files.trash-dir"


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def pdf(text: str) -> bytes:
    """A few bytes that start like a PDF (the API does not parse them)."""
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


def mkdir(api: Api, parent: str, name: str) -> dict:
    r = api.c.post(f"/files/{parent}", params={"Type": "directory", "Name": name},
                   headers=api.h)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def upload(api: Api, parent: str, name: str, data: bytes, *, status: int = 201,
           content_type: str = "application/pdf", md5: str | None = None, **params) -> dict:
    headers = {**api.h, "Content-Type": content_type, "Content-MD5": md5 or md5_b64(data)}
    r = api.c.post(f"/files/{parent}", params={"Type": "file", "Name": name, **params},
                   headers=headers, content=data)
    assert r.status_code == status, r.text
    return r.json()


@dataclass
class FakeFile:
    path: str           # /Administratif/EDF/facture.pdf
    data: bytes
    bill: dict | None = None   # an io.cozy.bills document that links to it


@dataclass
class FakeHousehold:
    instance: str
    files: list[FakeFile] = field(default_factory=list)


def _id(seed: str) -> str:
    return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()


def write_population(out: Path, households: list[FakeHousehold], fmt: str = "ndjson") -> Path:
    """A generated population as the generator writes it: ``manifest.json`` and per
    household its ``io.cozy.files.<fmt>`` (folders first, then files), ``files/<id>`` and
    the ``io.cozy.bills.<fmt>`` that point at them."""
    out.mkdir(parents=True, exist_ok=True)
    for hh in households:
        folder = out / hh.instance
        (folder / "files").mkdir(parents=True, exist_ok=True)
        dirs: dict[str, str] = {"/": ROOT}
        docs: list[dict] = []
        files: list[dict] = []
        bills: list[dict] = []
        for f in hh.files:
            parts = f.path.strip("/").split("/")
            cur = ""
            for part in parts[:-1]:
                parent = dirs[cur or "/"]
                cur = f"{cur}/{part}"
                if cur not in dirs:
                    dirs[cur] = _id(f"{hh.instance}:{cur}")
                    docs.append({"_id": dirs[cur], "type": "directory", "name": part,
                                 "dir_id": parent, "path": cur,
                                 "created_at": "2024-01-01T00:00:00Z",
                                 "updated_at": "2024-01-01T00:00:00Z", "tags": []})
            file_id = _id(f"{hh.instance}:{f.path}")
            (folder / "files" / file_id).write_bytes(f.data)
            files.append({"_id": file_id, "type": "file", "name": parts[-1],
                          "dir_id": dirs[cur or "/"], "size": str(len(f.data)),
                          "md5sum": md5_b64(f.data), "mime": "application/pdf",
                          "class": "pdf", "created_at": "2024-02-01T00:00:00Z",
                          "updated_at": "2024-02-01T00:00:00Z", "executable": False,
                          "trashed": False, "tags": [],
                          "metadata": {"classification": "invoicing"},
                          "cozyMetadata": {"createdByApp": "edf"}})
            if f.bill is not None:
                bills.append({**f.bill, "invoice": f"io.cozy.files:{file_id}"})
        _write(folder / f"io.cozy.files.{fmt}", docs + files, fmt)
        if bills:
            _write(folder / f"io.cozy.bills.{fmt}", bills, fmt)
    manifest = {"format": fmt, "households": [{"instance": h.instance} for h in households]}
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    return out


def _write(path: Path, docs: list[dict], fmt: str) -> None:
    if fmt == "json":
        path.write_bytes(orjson.dumps(docs))
    else:
        path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
