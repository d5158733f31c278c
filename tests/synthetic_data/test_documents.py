import numpy as np
import orjson
import pyarrow as pa
import pytest

from synthetic_data.documents import Batch, Col, iso_local, iso_utc


def test_lines_are_json_in_spec_order_with_constants_and_nesting():
    spec = {"v": "x-1.0", "n": Col("n", "int"), "f": Col("f", "float"),
            "nested": {"t": Col("t", "text"), "const": [1, {"a": None}], "b": Col("b", "bool")},
            "raw": Col("r", "raw"), "s": Col("s")}
    b = Batch.from_columns("test.doc", spec, {
        "n": np.array([1, 2]), "f": np.array([0.1, 48.8661]), "t": ['a "quoted" \\ é', "%s %d"],
        "b": [True, False], "r": ['[{"value":"1"}]', None], "s": ["2024-01-01", "x"]})
    lines = b.lines()
    docs = [orjson.loads(line) for line in lines]
    assert docs[0] == {"v": "x-1.0", "n": 1, "f": 0.1,
                       "nested": {"t": 'a "quoted" \\ é', "const": [1, {"a": None}], "b": True},
                       "raw": [{"value": "1"}], "s": "2024-01-01"}
    assert docs[1]["nested"]["t"] == "%s %d" and docs[1]["raw"] is None
    assert list(docs[0]) == ["v", "n", "f", "nested", "raw", "s"]
    assert "é" in lines[0]  # UTF-8, not \u escapes
    assert b.dicts() == docs


def test_percent_signs_in_constants_survive():
    b = Batch.from_columns("t", {"a": "100%", "b": Col("x", "int")}, {"x": [5]})
    assert orjson.loads(b.lines()[0]) == {"a": "100%", "b": 5}


def test_constant_only_spec():
    b = Batch("t", 2, spec={"a": "50%"})
    assert [orjson.loads(x) for x in b.lines()] == [{"a": "50%"}] * 2


def test_non_finite_floats_are_refused():
    b = Batch.from_columns("t", {"x": Col("x", "float")}, {"x": np.array([1.0, np.nan])})
    with pytest.raises(ValueError, match="NaN"):
        b.lines()


def test_columns_of_unequal_length_are_refused():
    with pytest.raises(ValueError, match="column 'b' has 1 values, expected 2"):
        Batch.from_columns("t", {"a": Col("a", "int"), "b": Col("b", "int")},
                           {"a": [1, 2], "b": [1]})


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown column kind"):
        Col("x", "decimal")


def test_table_flattens_with_dotted_names():
    spec = {"a": {"b": Col("x", "int"), "c": "k"}, "l": [1, 2], "r": Col("r", "raw")}
    t = Batch.from_columns("t", spec, {"x": np.array([1, 2]), "r": ["[1]", None]}).table()
    assert t.column_names == ["a.b", "a.c", "l", "r"]
    assert t.column("a.b").to_pylist() == [1, 2]
    assert t.column("a.c").to_pylist() == ["k", "k"]
    assert t.column("l").to_pylist() == ["[1,2]", "[1,2]"]
    assert t.column("r").type == pa.string()


def test_from_dicts_lines_and_table_with_mixed_types():
    docs = [{"a": 1, "n": {"x": "1"}, "l": [1]}, {"a": "one", "n": {"x": "2", "y": 3}}]
    b = Batch.from_dicts("t", docs)
    assert [orjson.loads(x) for x in b.lines()] == docs
    t = b.table()
    assert t.column("a").to_pylist() == ["1", "one"]
    assert t.column("n.y").to_pylist() == [None, 3]
    assert t.column("l").to_pylist() == ["[1]", None]


def test_iso_helpers():
    t = np.array(["2016-10-01T08:59:08.7"], dtype="datetime64[ms]")
    assert iso_utc(t).tolist() == ["2016-10-01T08:59:08Z"]
    d = np.array(["2017-03-01"], dtype="datetime64[D]")
    assert iso_local(d, "s").tolist() == ["2017-03-01T00:00:00"]
    assert iso_local(d, "D").tolist() == ["2017-03-01"]


@pytest.mark.parametrize("texts", [
    ["plain", "accents é ü", "PRLV SEPA EDF"],             # nothing to escape: quoted as is
    ["plain", 'a "quote"', "back\\slash", "tab\there"],     # escaped like orjson
    ["ctrl \x01", "line\nbreak", "\x7f del", "\u2028 sep"],
])
def test_text_columns_render_as_orjson_does(texts):
    b = Batch.from_columns("t", {"x": Col("x", "text")}, {"x": texts})
    assert b.ndjson() == b"".join(orjson.dumps({"x": t}) + b"\n" for t in texts)


def test_an_optional_key_is_left_out_where_its_value_is_none():
    spec = {"id": Col("id"), "when": Col("when", optional=True), "n": Col("n", "int")}
    b = Batch.from_columns("t", spec, {"id": ["a", "b", "c"], "when": ["2024-01-01", None, "x"],
                                       "n": [1, 2, 3]})
    assert b.dicts() == [{"id": "a", "when": "2024-01-01", "n": 1}, {"id": "b", "n": 2},
                         {"id": "c", "when": "x", "n": 3}]
    assert b.table().column("when").to_pylist() == ["2024-01-01", None, "x"]


def test_an_optional_key_cannot_open_a_dict_nor_stand_alone():
    with pytest.raises(ValueError, match="first key"):
        Batch.from_columns("t", {"w": Col("w", optional=True), "n": Col("n", "int")},
                           {"w": [None], "n": [1]}).ndjson()
    with pytest.raises(ValueError, match="only str"):
        Col("n", "int", optional=True)
    with pytest.raises(ValueError, match="dict's value"):
        Batch.from_columns("t", {"a": [Col("w", optional=True)]}, {"w": ["x"]}).ndjson()


def test_cents_print_as_the_floats_shortest_repr_of_euros():
    cents = np.concatenate([[0, 1, -1, 5, -5, 10, 99, 100, -100, 2390, -2392],
                            np.random.default_rng(7).integers(-10**8, 10**8, 5000)])
    b = Batch.from_columns("t", {"a": Col("a", "cents")}, {"a": cents})
    assert b.ndjson() == b"".join(orjson.dumps({"a": c / 100}).replace(b".0}", b"}") + b"\n"
                                  for c in cents.tolist())
    assert b.table().column("a").to_pylist() == (cents / 100).tolist()
