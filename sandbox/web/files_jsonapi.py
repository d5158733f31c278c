"""The JSON:API shapes of ``/files`` (the stack's ``web/files/paginated.go``) and its
``page[cursor]`` pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from sandbox.errors import BadRequest
from sandbox.files.names import DOCTYPE, ROOT_ID, TRASH_ID
from sandbox.files.tree import is_dir

# Kept out of a file's attributes (the stack hides them; references go in relationships).
HIDDEN = ("_id", "_rev", "_type", "internal_vfs_id", "referenced_by")
DEFAULT_PAGE = 30
MAX_PAGE = 1000


def _refs(doc: dict, id_: str) -> dict:
    return {"links": {"self": f"/files/{id_}/relationships/references"},
            "data": doc.get("referenced_by") or None}


def file_object(doc: dict, path: str | None = None) -> dict:
    id_ = doc["_id"]
    attrs = {k: v for k, v in doc.items() if k not in HIDDEN}
    if path is not None:
        attrs["path"] = path
    parent = doc.get("dir_id", "")
    return {"type": DOCTYPE, "id": id_, "attributes": attrs, "meta": {"rev": doc.get("_rev")},
            "links": {"self": f"/files/{id_}"},
            "relationships": {
                "parent": {"links": {"related": f"/files/{parent}"},
                           "data": {"type": DOCTYPE, "id": parent}},
                "referenced_by": _refs(doc, id_)}}


def dir_object(doc: dict) -> dict:
    id_ = doc["_id"]
    attrs = {k: v for k, v in doc.items() if k not in ("_id", "_rev", "_type")}
    return {"type": DOCTYPE, "id": id_, "attributes": attrs, "meta": {"rev": doc.get("_rev")},
            "links": {"self": f"/files/{id_}"},
            "relationships": {"referenced_by": _refs(doc, id_)}}


def obj(doc: dict, path: str | None = None) -> dict:
    return dir_object(doc) if is_dir(doc) else file_object(doc, path)


def page_limit(raw: str | None, default: int = DEFAULT_PAGE, top: int = MAX_PAGE) -> int:
    if raw in (None, ""):
        return default
    try:
        n = int(raw)
    except ValueError:
        raise BadRequest("page limit is not a number") from None
    if n < 1:
        raise BadRequest("page[limit] must be at least 1")
    return min(n, top)


def paginate(items: list[dict], key: Callable[[dict], list], limit: int, cursor: str | None,
             skip: str | None = None) -> tuple[list[dict], dict[str, str] | None]:
    """A page of ``items`` (already sorted by ``key`` then id) and the parameters of the
    next page: ``page[cursor]`` is ``[key of the next item, its id]``, as the stack sends."""
    start = 0
    if cursor:
        try:
            k, next_id = orjson.loads(cursor)
            if not isinstance(next_id, str):
                raise ValueError
            wanted: Any = (list(k) if isinstance(k, list) else k, next_id)
            # the item the cursor names, or (it went away) the first one after its key
            start = next((i for i, d in enumerate(items) if d["_id"] == next_id), None)
            if start is None:
                start = next((i for i, d in enumerate(items)
                              if (key(d), d["_id"]) >= wanted), len(items))
        except (orjson.JSONDecodeError, ValueError, TypeError):
            raise BadRequest(f"bad json cursor {cursor[:100]}") from None
    elif skip:
        if not skip.isdigit():
            raise BadRequest("page skip is not a number")
        start = int(skip)
    page = items[start:start + limit]
    if start + limit >= len(items):
        return page, None
    nxt = items[start + limit]
    if skip and not cursor:
        return page, {"page[limit]": str(limit), "page[skip]": str(start + limit)}
    return page, {"page[limit]": str(limit),
                  "page[cursor]": orjson.dumps([key(nxt), nxt["_id"]]).decode()}


def child_key(doc: dict) -> list:
    return [doc.get("dir_id", ""), doc.get("type", ""), doc.get("name", "")]


def visible(children: list[dict]) -> list[dict]:
    """A folder's children as listed: the trash is hidden from the root's."""
    return [c for c in children if c["_id"] != TRASH_ID]


def dir_data(doc: dict, shown: list[dict], count: int, params: dict[str, str] | None,
             query: Callable[[dict], str]) -> dict:
    """``GET /files/:dir-id``: the folder, its page of children (included, files without
    their path, as the stack sends them), the link to the next page."""
    id_ = doc["_id"]
    out = dir_object(doc)
    parent = {"data": None} if id_ == ROOT_ID else {
        "links": {"self": f"/files/{doc.get('dir_id', '')}"},
        "data": {"type": DOCTYPE, "id": doc.get("dir_id", "")}}
    contents: dict[str, Any] = {
        "meta": {"count": count}, "links": {"self": f"/files/{id_}/relationships/contents"},
        "data": [{"type": DOCTYPE, "id": c["_id"]} for c in shown]}
    out["relationships"] = {"parent": parent, "contents": contents,
                            "not_synchronized_on": {
                                "links": {"self": f"/files/{id_}/relationships/"
                                                  "not_synchronized_on"},
                                "data": doc.get("not_synchronized_on") or None},
                            "referenced_by": _refs(doc, id_)}
    links: dict[str, str] = {}
    if params:
        contents["links"]["next"] = f"/files/{id_}/relationships/contents?{query(params)}"
        links["next"] = f"/files/{id_}?{query(params)}"
    return {"data": out, "included": [obj(c) for c in shown], "links": links}
