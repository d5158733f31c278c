"""The README's compatibility table names every route family the sandbox serves, and each row
has a status: a route added without a word about it fails here."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import APIRoute, APIWebSocketRoute

from sandbox.settings import Settings
from sandbox.web.app import create_app

README = Path(__file__).resolve().parents[2] / "README.md"
STATUSES = {"Supported", "Partial", "Not supported"}
# ours, not the stack's: the tester's pages, our journal and docs, assets named in App pages
OWN = {"", "browse", "journal", "api-docs", "openapi.json", "static", "drive", "assets",
       "docs", "live", "admin"}   # live/admin: simulated time, a row of its own ("Sandbox only")


def table() -> dict[str, str]:
    text = README.read_text()
    section = text.split("### Compatibility with cozy-stack", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[1] not in STATUSES:
            continue
        for family in re.findall(r"`/([a-z-]*)/?`", cells[0]):
            rows[family] = cells[1]
    return rows


def paths(routes: list) -> set[str]:
    """Every path served, websockets included, through included routers (FastAPI wraps
    them; ``original_router`` is the router as written)."""
    out: set[str] = set()
    for r in routes:
        if isinstance(r, APIRoute | APIWebSocketRoute):
            out.add(r.path)
        elif hasattr(r, "original_router"):
            out |= paths(r.original_router.routes)
    return out


def test_every_route_family_served_is_in_the_table(tmp_path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}"))
    families = {p.strip("/").split("/")[0] for p in paths(app.routes)}
    assert {"data", "files", "realtime", "settings"} <= families, families
    rows = table()
    assert {"data", "files", "realtime", "settings", "jobs", "sharings"} <= set(rows), rows
    missing = sorted(families - set(rows) - OWN)
    assert not missing, f"route families missing from the README's table: {missing}"
    assert rows["sharings"] == "Not supported" and rows["data"] == "Supported"
