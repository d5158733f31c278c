"""What the tester's dashboard shows of their files (no HTTP here): the folders with what
they hold, the latest files, the space used."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sandbox.files.names import ROOT_ID, TRASH_PATH
from sandbox.files.store import Files
from sandbox.files.tree import Usage, size_of
from sandbox.instances import Instance


@dataclass
class Folder:
    id: str
    path: str
    files: int          # files directly inside
    bytes: int


@dataclass
class RecentFile:
    id: str
    name: str
    folder: str
    size: int          # bytes
    updated_at: str
    mime: str


@dataclass
class FilesOverview:
    folders: list[Folder] = field(default_factory=list)
    recent: list[RecentFile] = field(default_factory=list)
    used: int = 0       # bytes
    quota: int = 0      # bytes; 0: none
    count: int = 0
    trash: int = 0


def overview(files: Files, inst: Instance, recent: int = 10) -> FilesOverview:
    """Every folder outside the trash that holds files, and the ``recent`` latest files."""
    files.ensure(inst)
    dirs = {d["_id"]: d.get("path", "/") for d in files.select(inst, {"type": "directory"})}
    live = [f for f in files.select(inst, {"type": "file"})
            if not f.get("trashed") and not _in_trash(dirs.get(f.get("dir_id", ""), ""))]
    per_dir = Counter(f.get("dir_id", ROOT_ID) for f in live)
    bytes_per_dir = Counter()
    for f in live:
        bytes_per_dir[f.get("dir_id", ROOT_ID)] += size_of(f)
    folders = [Folder(i, dirs[i], n, bytes_per_dir[i])
               for i, n in per_dir.items() if i in dirs]
    latest = sorted(live, key=lambda f: (str(f.get("updated_at", "")), f["_id"]),
                    reverse=True)[:recent]
    use: Usage = files.usage(inst)
    return FilesOverview(
        folders=sorted(folders, key=lambda f: f.path),
        recent=[RecentFile(f["_id"], f.get("name", ""), dirs.get(f.get("dir_id", ""), "/"),
                           size_of(f), str(f.get("updated_at", ""))[:10],
                           str(f.get("mime", ""))) for f in latest],
        used=use.files, quota=files.quota or 0,
        count=len(live), trash=use.count - len(live))


def _in_trash(path: str) -> bool:
    return path == TRASH_PATH or path.startswith(TRASH_PATH + "/")
