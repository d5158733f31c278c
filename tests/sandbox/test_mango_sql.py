"""Property: for random documents and selectors, SQL (SQLite and PostgreSQL) returns exactly the
documents the Python matcher accepts, in the same order when sorted (sorting by array/object
values follows their JSON text, a documented deviation, so those are left out of the order check).
"""

import itertools

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.mango.collate import Key
from sandbox.mango.match import get_path, matches
from sandbox.mango.selector import parse, split_path

FIELDS = ["a", "b", "c.d", "tags"]
_counter = itertools.count()
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                    st.floats(-5, 5, allow_nan=False, allow_infinity=False).map(
                        lambda x: round(x, 2)),
                    st.sampled_from(["", "a", "B", "ab", "é", "10", "Zz"]))
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.sampled_from(["x", "y"]), scalars, max_size=2))


@st.composite
def documents(draw):
    docs = []
    for i in range(draw(st.integers(1, 12))):
        doc = {}
        if draw(st.booleans()):
            doc["a"] = draw(values)
        if draw(st.booleans()):
            doc["b"] = draw(scalars)
        if draw(st.booleans()):
            doc["c"] = {"d": draw(values)} if draw(st.booleans()) else draw(scalars)
        if draw(st.booleans()):
            doc["tags"] = draw(st.lists(scalars, max_size=4))
        doc["_id"] = f"d{i:02d}"
        docs.append(doc)
    return docs


ops = st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"])


@st.composite
def conditions(draw):
    field = draw(st.sampled_from(FIELDS))
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return {field: {draw(ops): draw(values)}}
    if kind == 4:
        return {field: {draw(st.sampled_from(["$in", "$nin"])): draw(st.lists(scalars,
                                                                            max_size=3))}}
    if kind == 5:
        return {field: {"$exists": draw(st.booleans())}}
    if kind == 6:
        return {field: {"$type": draw(st.sampled_from(
            ["null", "boolean", "number", "string", "array", "object"]))}}
    if kind == 7:
        return {field: {"$size": draw(st.integers(0, 3))}}
    if kind == 8:
        return {field: {"$mod": [draw(st.sampled_from([2, 3, -2])), draw(st.integers(-1, 1))]}}
    return {field: draw(scalars)}


selectors = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"$and": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"$or": xs}),
        st.lists(inner, min_size=1, max_size=2).map(lambda xs: {"$nor": xs}),
        inner.map(lambda x: {"$not": x})),
    max_leaves=4)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents(), selector=selectors, sort_field=st.sampled_from([None, "b", "c.d"]))
def test_sql_agrees_with_the_matcher(sb, docs, selector, sort_field):
    inst = sb.instances.create(f"p{next(_counter)}")
    sb.documents.load(inst.id, "t.docs", docs)
    body: dict = {"selector": {"_id": {"$gt": None}, "$and": [selector]}, "limit": 1000}
    if sort_field:
        sb.indexes.define_index(inst.id, "t.docs", {"index": {"fields": [sort_field]}})
        body["selector"][sort_field] = {"$exists": True}
        body["sort"] = [sort_field]
    got = [d["_id"] for d in orjson.loads(orjson.dumps(
        sb.finder.find(inst.id, "t.docs", body)["docs"]))]
    node = parse(body["selector"])
    want = [d for d in sorted(docs, key=lambda d: d["_id"]) if matches(node, d)]
    if sort_field:
        want = [d for d in want if not isinstance(get_path(d, split_path(sort_field)),
                                                  list | dict)] if sort_field == "c.d" else want
        got = [i for i in got if i in {d["_id"] for d in want}]
        want.sort(key=lambda d: (Key(get_path(d, split_path(sort_field))), d["_id"]))
    assert got == [d["_id"] for d in want], (selector, docs)
