"""Seeding, determinism, layouts and atomic output of whole populations."""

import hashlib
import os
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pytest

from synthetic_data import population
from synthetic_data.calendar_fr import Period
from synthetic_data.population import Options, generate_household, generate_population
from synthetic_data.reading import iter_documents
from synthetic_data.schemas import tabular_columns
from synthetic_data.seeding import household_seed
from synthetic_data.writers import ARROW_TYPES, group

START = date(2024, 1, 1)


def _opts(out: Path, **kw) -> Options:
    base = {"households": 3, "years": 1, "start": START, "seed": 7, "out": out,
            "format": "ndjson", "workers": 1}
    base.update(kw)
    return Options(**base)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def test_same_seed_gives_byte_identical_output_whatever_the_worker_count(tmp_path):
    generate_population(_opts(tmp_path / "a", workers=1))
    generate_population(_opts(tmp_path / "b", workers=2))
    a, b = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert a == b and len(a) >= 6


def test_another_seed_gives_other_data(tmp_path):
    generate_population(_opts(tmp_path / "a", households=1))
    generate_population(_opts(tmp_path / "b", households=1, seed=8))
    assert _digest(tmp_path / "a") != _digest(tmp_path / "b")


def test_household_k_is_reproducible_alone(tmp_path):
    generate_population(_opts(tmp_path / "pop", households=3))
    alone = generate_household(7, 2, Period.of_years(START, 1))
    folder = tmp_path / "pop" / alone.household.instance
    for doctype, parts in group(alone.batches).items():
        expected = "\n".join(line for b in parts for line in b.lines()) + "\n"
        assert (folder / f"{doctype}.ndjson").read_text(encoding="utf-8") == expected


def test_household_seed_is_a_spawned_child_of_the_master_seed():

    children = np.random.SeedSequence(99).spawn(2)[0].spawn(5)
    assert household_seed(99, 4).generate_state(4).tolist() == \
        children[4].generate_state(4).tolist()


def test_households_differ_from_each_other():
    period = Period.of_years(START, 1)
    a, b = generate_household(7, 0, period), generate_household(7, 1, period)
    assert a.household.instance != b.household.instance
    assert a.household.contract.pdl != b.household.contract.pdl


def test_manifest_lists_households_and_counts(tmp_path):
    summary = generate_population(_opts(tmp_path / "pop"))
    manifest = orjson.loads((tmp_path / "pop" / "manifest.json").read_bytes())
    assert [h["index"] for h in manifest["households"]] == [0, 1, 2]
    assert manifest["documents"] == summary.docs
    assert manifest["seed"] == 7 and manifest["end"] == "2025-01-01"
    counted: dict[str, int] = {}
    for _inst, doctype, docs in iter_documents(tmp_path / "pop"):
        counted[doctype] = counted.get(doctype, 0) + len(docs)
    assert counted == summary.docs


def test_json_layout_is_one_array_per_doctype_and_household(tmp_path):
    generate_population(_opts(tmp_path / "pop", households=1, format="json"))
    nd = generate_household(7, 0, Period.of_years(START, 1))
    folder = tmp_path / "pop" / nd.household.instance
    for doctype, parts in group(nd.batches).items():
        docs = orjson.loads((folder / f"{doctype}.json").read_bytes())
        assert docs == [d for b in parts for d in b.dicts()]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tabular_layouts_read_as_one_dataset_per_doctype(tmp_path, fmt):
    summary = generate_population(_opts(tmp_path / "pop", households=2, format=fmt))
    period = Period.of_years(START, 1)
    held = Counter(t for i in range(2) for t in group(generate_household(7, i, period).batches))
    for doctype, count in summary.docs.items():
        folder = tmp_path / "pop" / doctype
        files = sorted(folder.iterdir())
        assert len(files) == held[doctype]  # a file per household that has the doctype
        if fmt == "parquet":
            table = ds.dataset(folder, format="parquet").to_table()
        else:
            types = {"household": pa.string(), **{
                path: ARROW_TYPES[kind] for path, kind in tabular_columns(doctype)}}
            fmt_csv = ds.CsvFileFormat(convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=False))
            table = ds.dataset(folder, format=fmt_csv).to_table()
        assert table.num_rows == count
        assert table.column_names[0] == "household"
        assert table.column_names[1:] == [p for p, _ in tabular_columns(doctype)]


def test_an_interrupted_run_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = population.generate_household

    def failing(seed, index, period):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(seed, index, period)

    monkeypatch.setattr(population, "generate_household", failing)
    out = tmp_path / "pop"
    with pytest.raises(KeyboardInterrupt):
        generate_population(_opts(out))
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_force_replaces_an_existing_population_atomically(tmp_path):
    out = tmp_path / "pop"
    generate_population(_opts(out, households=1))
    first = _digest(out)
    generate_population(_opts(out, households=1, seed=8, force=True))
    assert _digest(out) != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pop"]
