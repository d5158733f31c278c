"""Sort specifications, shared by ``_find`` and ``_index``."""

from __future__ import annotations

from typing import Any

from sandbox.errors import BadRequest


def sort_spec(sort: Any) -> list[tuple[str, str]]:
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise BadRequest("sort must be an array", "bad_request")
    out = []
    for item in sort:
        if isinstance(item, str):
            out.append((item, "asc"))
        elif isinstance(item, dict) and len(item) == 1:
            (f, d), = item.items()
            if d not in ("asc", "desc"):
                raise BadRequest(f"sort direction of {f} must be asc or desc", "bad_request")
            out.append((f, d))
        else:
            raise BadRequest("each sort item is a field name or {field: asc|desc}", "bad_request")
    if len({d for _, d in out}) > 1:
        raise BadRequest("Sorts currently only support a single direction for all fields.",
                         "unsupported_mixed_sort")
    return out
