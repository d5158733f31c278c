"""Sweep over every doctype: a documented schema, and every generated document validates."""

import json
from pathlib import Path

import pytest

from synthetic_data.schemas import (
    load_schema,
    problems,
    schema_doctypes,
    tabular_columns,
    undocumented_fields,
    validator,
)
from synthetic_data.sources import all_doctypes
from tests.support.households import docs_of
from tests.support.requirements import require

LEGACY = Path(__file__).resolve().parents[3] / "shared" / "reference" / \
    "mesinfos-legacy-queries.json"


def test_every_generated_doctype_has_a_schema_and_no_orphan_schemas():
    assert set(all_doctypes()) == set(schema_doctypes())


@pytest.mark.parametrize("doctype", schema_doctypes())
def test_schema_is_valid_documented_and_strict(doctype):
    schema = load_schema(doctype)
    validator(doctype)  # raises if the schema itself is invalid
    assert schema["title"] == doctype
    assert len(schema.get("description", "")) > 40
    assert undocumented_fields(schema) == []
    assert schema.get("examples"), "give at least one example document"
    for example in schema["examples"]:
        assert problems(doctype, example) == []
    assert tabular_columns(doctype)


@pytest.mark.parametrize("doctype", all_doctypes())
def test_every_generated_document_validates(households, doctype):
    seen = 0
    for data in households:
        for i, doc in enumerate(docs_of(data, doctype)):
            seen += 1
            found = problems(doctype, doc)
            assert not found, f"{data.household.instance} {doctype} #{i}: {found[:3]}"
    assert seen > 0, f"no {doctype} document in 12 households"


def test_schemas_reject_broken_documents(households):
    doctype = "org.selfdata.groundtruth.event"
    doc = dict(next(docs for h in households if (docs := docs_of(h, doctype)))[0])
    doc["kind"] = "earthquake"
    doc["surprise"] = 1
    del doc["start"]
    found = " ".join(problems(doctype, doc))
    assert "earthquake" in found and "surprise" in found and "start" in found


def _matches(doc: dict, selector: dict) -> bool:
    """The few Mango operators the pilot's queries use ($gte null, $ne, $in, $nin, equality)."""
    for field, cond in selector.items():
        value = doc.get(field, ...)
        ops = cond if isinstance(cond, dict) else {"$eq": cond}
        for op, arg in ops.items():
            if value is ... and op != "$ne" and op != "$nin":
                return False
            if op == "$gte" and arg is None:
                continue
            if (op == "$eq" and value != arg) or (op == "$ne" and value == arg) or \
                    (op == "$in" and value not in arg) or (op == "$nin" and value in arg):
                return False
    return True


def test_the_pilots_own_queries_find_data_in_every_household(households):
    require(LEGACY.is_file(), f"{LEGACY} not found (../shared is beside the repository)")
    queries = json.loads(LEGACY.read_text(encoding="utf-8"))
    for q in queries:
        for data in households:
            if "Gaz" in json.dumps(q["selector"]) and "$in" in json.dumps(q["selector"]) \
                    and not data.household.dwelling.uses_gas:
                continue  # gas estimates exist only for homes with a gas contract
            if q["doctype"] == "fr.maif.maifuser.sinistre" and not any(
                    e.kind == "claim" for e in data.timeline.events):
                continue  # one document per claim (as in the kit): none without a claim
            docs = [dict(d, _id=f"id{i}") for i, d in enumerate(docs_of(data, q["doctype"]))]
            found = [d for d in docs if _matches(d, q["selector"])]
            assert found, f"{q['label']!r} ({q['doctype']}) finds nothing for " \
                          f"{data.household.instance}"
