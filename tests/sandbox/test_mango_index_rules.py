"""Which index can serve a query: CouchDB's ``has_required_fields`` (apache/couchdb,
``src/mango/src/mango_selector.erl``), and the MesInfos kit's queries that rely on it.

The cases of CouchDB's own eunit tests are restated here on our parsed selectors; the oracle
suite (``test_mango_oracle.py``) checks the same rule on random selectors against PouchDB's
results with an index created first.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.mango.match import MISSING, get_path, matches
from sandbox.mango.selector import parse, required_fields, split_path

# (selector, fields an index may have, usable in CouchDB)
COUCHDB_CASES = {
    "basic": ({"A": "foo"}, ["A"], True),
    "basic_failure": ({"A": "foo"}, ["B"], False),
    "empty_selector": ({}, ["A"], False),
    "exists_false": ({"A": {"$exists": False}}, ["A"], False),
    "and_true": ({"$and": [{"A": "foo"}, {"B": "foo"}]}, ["A"], True),
    "nested_and_true": ({"$and": [{"$and": [{"A": "foo"}]}, {"$and": [{"B": "foo"}]}]},
                        ["A", "B"], True),
    "and_false": ({"$and": [{"A": "foo"}, {"B": "foo"}]}, ["A", "C"], False),
    "or_false": ({"$or": [{"A": "foo"}, {"B": "foo"}]}, ["A"], False),
    "or_true": ({"A": "foo", "$or": [{"B": "bar"}, {"B": "baz"}], "C": "qux"},
                ["A", "B", "C"], True),
    "and_nested_or_true": ({"$and": [{"$and": [{"A": "foo"}]},
                                     {"$or": [{"B": "foo"}, {"B": "foo"}]}]}, ["A", "B"], True),
    "and_nested_or_false": ({"$and": [{"$and": [{"A": "foo"}]},
                                      {"$or": [{"A": "foo"}, {"B": "foo"}]}]}, ["A", "B"], False),
    "or_nested_and_true": ({"$or": [{"$and": [{"A": "foo"}]}, {"$and": [{"A": "foo"}]}]},
                           ["A"], True),
    "or_nested_or_true": ({"$or": [{"$or": [{"A": "foo"}]}, {"$or": [{"A": "bar"}]}]},
                          ["A"], True),
    "or_nested_or_false": ({"$or": [{"$or": [{"A": "foo"}]}, {"$or": [{"B": "bar"}]}]},
                           ["A"], False),
    # every operator but $exists: false requires its field
    "ne": ({"A": {"$ne": 1}}, ["A"], True),
    "nin": ({"A": {"$nin": [1, 2]}}, ["A"], True),
    "not_eq": ({"$not": {"A": 1}}, ["A"], True),
    "not_regex": ({"A": {"$not": {"$regex": "^x"}}}, ["A"], True),
    "nor": ({"$nor": [{"A": 1}, {"A": 2}]}, ["A"], True),
    "not_exists_true": ({"$not": {"A": {"$exists": True}}}, ["A"], False),
    "not_exists_false": ({"$not": {"A": {"$exists": False}}}, ["A"], True),
    "elem_match": ({"A": {"$elemMatch": {"$gt": 1}}}, ["A"], True),
    "size": ({"A": {"$size": 0}}, ["A"], True),
    "dotted": ({"A": {"b": {"$nin": ["x"]}}}, ["A.b"], True),
}


@pytest.mark.parametrize("name", list(COUCHDB_CASES))
def test_index_usability_follows_couchdb(name):
    selector, fields, usable = COUCHDB_CASES[name]
    assert (set(fields) <= required_fields(parse(selector)) and bool(selector)) is usable


_values = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "a", "B"])
_docs = st.lists(st.fixed_dictionaries({}, optional={
    "a": _values | st.lists(_values, max_size=2), "b": _values,
    "c": st.fixed_dictionaries({}, optional={"d": _values})}), max_size=8)
_leaf = st.tuples(st.sampled_from(["a", "b", "c.d"]),
                  st.sampled_from(["$eq", "$ne", "$gt", "$lte", "$in", "$nin", "$exists",
                                   "$type", "$size"]),
                  _values)
_tree = st.recursive(_leaf, lambda kids: st.tuples(
    st.sampled_from(["$and", "$or", "$nor", "$not"]), st.lists(kids, min_size=1, max_size=3)),
    max_leaves=5)


def _selector(tree) -> dict:
    if isinstance(tree[1], list):
        op, kids = tree
        return {"$not": _selector(kids[0])} if op == "$not" else \
            {op: [_selector(k) for k in kids]}
    field, op, arg = tree
    if op in ("$in", "$nin"):
        arg = [arg]
    elif op == "$exists":
        arg = bool(arg)
    elif op == "$type":
        arg = "null" if arg is None else "string"
    elif op == "$size":
        arg = 1
    return {field: {op: arg}}


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(docs=_docs, tree=_tree)
def test_a_required_field_is_present_in_every_match(docs, tree):
    """Soundness: an index that leaves out documents missing a required field loses none of
    the query's answers."""
    node = parse(_selector(tree))
    for field in required_fields(node):
        for doc in docs:
            if get_path(doc, split_path(field)) is MISSING:
                assert not matches(node, doc), (field, doc)


def test_the_kits_nin_query_uses_the_index_it_just_created(alice):
    """MesInfos kit: index ["statementReason"], then $nin on it (400 no_index before)."""
    docs = [{"_id": "linky", "statementReason": "LinkyHalfHourElecConsumption"},
            {"_id": "edelia", "statementReason": "EdeliaMonthlyElecConsumption"},
            {"_id": "periodic", "statementReason": "RELEVE_PERIODIQUE"},
            {"_id": "no-reason", "value": 3}]
    assert alice.post("/data/test.notes/_bulk_docs", {"docs": docs}).status_code == 201
    r = alice.post("/data/test.notes/_index", {"index": {"fields": ["statementReason"]}})
    assert r.status_code == 200, r.text
    query = {"selector": {"statementReason": {"$nin": ["LinkyHalfHourElecConsumption",
                                                       "GazparDailyGazConsumption"]}}}
    r = alice.post("/data/test.notes/_find", query)
    assert r.status_code == 200, r.text
    # a missing field never matches $nin/$ne in CouchDB
    assert sorted(d["_id"] for d in r.json()["docs"]) == ["edelia", "periodic"]
    r = alice.post("/data/test.notes/_find",
                   {"selector": {"statementReason": {"$ne": "RELEVE_PERIODIQUE"}}})
    assert r.status_code == 200, r.text
    assert sorted(d["_id"] for d in r.json()["docs"]) == ["edelia", "linky"]
    # $exists: false still needs another index, as in CouchDB
    r = alice.post("/data/test.notes/_find", {"selector": {"statementReason": {"$exists": False}}})
    assert r.status_code == 400 and r.json()["error"] == "no_index"


def test_a_partial_index_serves_only_the_queries_that_name_it(alice):
    """CouchDB (``mango_idx:get_usable_indexes``): an index with a partial_filter_selector is a
    candidate only when ``use_index`` names it, then whatever the selector (its columns still
    required), and it holds only the documents its filter matches. cozy-stack-client's probe
    after creating one (``{n: {$gt: null}}`` on that index) relies on it: answered with a
    warning, it created a stray index without the filter."""
    docs = [{"_id": f"d{n}", "n": n, "kind": "odd" if n % 2 else "even"} for n in range(6)]
    assert alice.post("/data/test.notes/_bulk_docs", {"docs": docs}).status_code == 201
    r = alice.post("/data/test.notes/_index", {"ddoc": "by_n_odd", "index": {
        "fields": ["n"], "partial_filter_selector": {"kind": "odd"}}})
    assert r.status_code == 200 and r.json()["result"] == "created", r.text

    def find(body):
        r = alice.post("/data/test.notes/_find", body)
        return r.status_code, r.json()

    # named: used without a warning, and only its documents answer (the filter applies)
    status, out = find({"selector": {"n": {"$gt": None}}, "use_index": "_design/by_n_odd",
                        "limit": 1})
    assert status == 200 and "warning" not in out and [d["_id"] for d in out["docs"]] == ["d1"]
    status, out = find({"selector": {"n": {"$gte": 2}}, "use_index": "by_n_odd"})
    assert status == 200 and [d["_id"] for d in out["docs"]] == ["d3", "d5"]
    # its columns must still be required by the selector
    status, out = find({"selector": {"kind": "odd"}, "use_index": "_design/by_n_odd"})
    assert status == 400 and out["error"] == "no_index"
    # not named: not a candidate, even for a selector that repeats its filter
    status, out = find({"selector": {"n": {"$gt": 0}, "kind": "odd"}})
    assert status == 400 and out["error"] == "no_index"
    r = alice.post("/data/test.notes/_index", {"ddoc": "by_n", "index": {"fields": ["n"]}})
    assert r.status_code == 200
    status, out = find({"selector": {"n": {"$gt": 0}, "kind": "odd"}})
    assert status == 200 and [d["_id"] for d in out["docs"]] == ["d1", "d3", "d5"]
    status, out = find({"selector": {"n": {"$gte": 4}}})
    assert status == 200 and [d["_id"] for d in out["docs"]] == ["d4", "d5"]
