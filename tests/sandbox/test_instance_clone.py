"""Cloning an instance (the store's smoke runs start from a copy of one household)."""

from __future__ import annotations

import orjson
import pytest

from sandbox.errors import NotFound


def test_a_clone_has_the_same_documents_its_own_secret_and_is_independent(sb):
    src = sb.instances.create("tmpl", profile={"k": 1})
    sb.documents.load(src.id, "io.cozy.bills", [{"_id": f"b{i}", "amount": i} for i in range(50)])
    copy = sb.instances.clone("tmpl", "copy1")
    assert copy.secret != src.secret and copy.id != src.id
    a = sb.documents.all_docs(src.id, "io.cozy.bills", include_docs=True)
    b = sb.documents.all_docs(copy.id, "io.cozy.bills", include_docs=True)
    assert a["total_rows"] == b["total_rows"] == 50
    assert orjson.loads(orjson.dumps(a["rows"])) == orjson.loads(orjson.dumps(b["rows"]))
    # deleting the copy leaves the source whole
    sb.instances.delete("copy1")
    assert sb.documents.all_docs(src.id, "io.cozy.bills")["total_rows"] == 50
    with pytest.raises(NotFound):
        sb.instances.clone("nope", "copy2")
