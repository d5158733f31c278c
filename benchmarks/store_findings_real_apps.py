"""What the store's checks say about real Cozy apps: findings per check and severity.

    .venv/bin/python benchmarks/store_findings_real_apps.py PATH [PATH ...] [--json] [--list CODE]

Each PATH is an app folder (packed here as a .tar.gz, as `selfdata submit` would) or an archive
(.tar.gz, .zip). Real apps are not in the repository: fetch them yourself, e.g. the built
branches of cozy/cozy-banks and cozy/cozy-drive (``git archive build``) or the MesInfos
developer kit (jacquarg/mesinfos-dev, branch development), and give their folders here.

The limits are raised so that a big build is checked rather than refused for its size (the
size rules are measured by benchmarks/archive_floods.py); everything else is the store's
``check_upload`` unchanged. Run it from two checkouts to compare before and after a change.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app_store.checks.run import check_upload  # noqa: E402
from sandbox.contract.bundle import Limits  # noqa: E402

BIG = Limits(upload_bytes=1 << 30, total_bytes=1 << 30, file_bytes=1 << 28, files=50_000,
             ratio=1e9)
SKIP = {".git", "node_modules"}


def pack(folder: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and not path.is_symlink() and not SKIP & set(rel.parts):
                tar.add(path, arcname=rel.as_posix(), recursive=False)
    return buf.getvalue()


def findings(path: Path) -> list[dict]:
    data = pack(path) if path.is_dir() else path.read_bytes()
    name = f"{path.name}.tar.gz" if path.is_dir() else path.name
    return [p.to_json() for p in check_upload(data, name, BIG).problems]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="app folders or archives")
    ap.add_argument("--json", action="store_true", help="one JSON object per app")
    ap.add_argument("--list", metavar="CODE", help="also list the findings of this check")
    args = ap.parse_args(argv)
    for path in args.paths:
        found = findings(path)
        counts = Counter((p["check"], p["severity"]) for p in found)
        errors = sum(p["severity"] == "error" for p in found)
        if args.json:
            print(json.dumps({"app": str(path), "total": len(found), "errors": errors,
                              "counts": {f"{c}:{s}": n for (c, s), n in sorted(counts.items())}}))
        else:
            print(f"{path}: {len(found)} findings, {errors} errors")
            for (check, severity), n in sorted(counts.items()):
                print(f"  {n:5d}  {severity:7s}  {check}")
        if args.list:
            for p in found:
                if p["check"] == args.list:
                    print(f"    {p['severity']:7s} {p['path']}: {p['message'][:110]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
