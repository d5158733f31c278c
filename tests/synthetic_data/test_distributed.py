"""Generation on a Dask cluster (``--scheduler``): the same bytes as a local run, clear errors."""

import hashlib
import socket
import sys
from datetime import date
from pathlib import Path

import cloudpickle
import orjson
import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster

from selfdata.cli import main
from synthetic_data import distributed, population
from synthetic_data.errors import ClusterError, HouseholdError, OptionsError
from synthetic_data.population import Options, generate_population
from tests.support.households import SEED, full_household

START = date(2024, 1, 1)
# Functions the tests run on the workers travel by value: the workers need not import tests/.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _households() -> int:
    """A handful, one of them holding data from every partner (every doctype, bills in a Drive),
    and more than the cluster's threads so that shards and their order matter."""
    return max(5, full_household() + 1)


def _cluster(workers: int = 2) -> LocalCluster:
    return LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                        dashboard_address=":0")


@pytest.fixture(scope="module")
def cluster():
    with _cluster() as c:
        yield c


def _opts(out: Path, **kw) -> Options:
    base = {"households": _households(), "years": 1, "start": START, "seed": SEED, "out": out,
            "format": "parquet", "workers": 2}
    base.update(kw)
    return Options(**base)


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_shards_cover_every_household_once_in_order():
    jobs = list(range(37))
    for threads in (1, 2, 8, 64):
        size = distributed.shard_size(len(jobs), threads)
        parts = distributed.shards(jobs, size)
        assert [j for p in parts for j in p] == jobs
        assert 1 <= size <= distributed.MAX_SHARD
        assert all(len(p) == size for p in parts[:-1])
    assert distributed.shard_size(100_000, 64) == distributed.MAX_SHARD
    assert len(distributed.shards(jobs, distributed.shard_size(len(jobs), 2))) >= 8


def test_parquet_on_the_cluster_has_the_bytes_of_a_local_run(tmp_path, cluster):
    local = generate_population(_opts(tmp_path / "local"))
    remote = generate_population(_opts(tmp_path / "dask", workers=0,
                                       scheduler=cluster.scheduler_address))
    a, b = _files(tmp_path / "local"), _files(tmp_path / "dask")
    assert a == b
    # partitioned by doctype (a folder each) and household (a file each in it)
    assert sum(p.endswith(".parquet") for p in a) > len(local.docs)
    manifest = orjson.loads((tmp_path / "dask" / "manifest.json").read_bytes())
    assert [h["index"] for h in manifest["households"]] == list(range(_households()))
    assert remote.docs == local.docs and remote.bytes == local.bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask", "local"]  # no temp left


def test_the_cli_generates_ndjson_with_its_drive_on_the_cluster(tmp_path, cluster):
    common = ["generate", "-n", str(_households()), "--start", START.isoformat(),
              "--seed", str(SEED), "-q"]
    local = CliRunner().invoke(main, [*common, "-o", str(tmp_path / "local")])
    remote = CliRunner().invoke(main, [*common, "-o", str(tmp_path / "dask"),
                                       "--scheduler", cluster.scheduler_address])
    assert local.exit_code == 0, local.output
    assert remote.exit_code == 0, remote.output
    a, b = _files(tmp_path / "local"), _files(tmp_path / "dask")
    assert a == b
    assert any("/files/" in p for p in a)  # the Drive's PDFs are written by the workers too


def _break_household(index: int) -> None:
    """On a worker: household ``index`` raises from now on (the worker is restarted after)."""
    real = population.generate_household

    def failing(seed, i, period, without=frozenset()):
        if i == index:
            raise ValueError("a fault injected by the test")
        return real(seed, i, period, without)

    population.generate_household = failing


def test_a_failing_household_is_named_and_nothing_is_left(tmp_path, cluster):
    broken = _households() - 2
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        client.run(_break_household, broken)
        try:
            with pytest.raises(HouseholdError, match=rf"household {broken} \(seed {SEED}\) "
                                                     r"failed on .*ValueError: a fault injected"):
                generate_population(_opts(tmp_path / "pop", workers=0,
                                          scheduler=cluster.scheduler_address))
        finally:
            client.restart()
    assert list(tmp_path.iterdir()) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_exits_2_saying_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(main, ["generate", "-n", "2", "-o", str(tmp_path / "out"), "-q",
                                       "--scheduler", address])
    assert result.exit_code == 2, result.output
    assert f"Error: --scheduler: cannot reach a Dask scheduler at {address}" in result.output
    assert "dask scheduler" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_scheduler_without_workers_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", 1.0)
    with _cluster(workers=0) as empty, pytest.raises(ClusterError, match="has no worker"):
        generate_population(_opts(tmp_path / "pop", workers=0,
                                  scheduler=empty.scheduler_address))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("address", ["localhost:8786", "http://host:8786", "tcp://",
                                     "tcp://host:99999"])
def test_a_malformed_address_is_refused_before_anything_runs(tmp_path, address):
    result = CliRunner().invoke(main, ["generate", "-n", "2", "-o", str(tmp_path / "out"),
                                       "--scheduler", address])
    assert result.exit_code == 2, result.output
    assert "--scheduler: " in result.output and "tcp://HOST:PORT" in result.output
    assert list(tmp_path.iterdir()) == []


def test_workers_and_scheduler_together_are_refused(tmp_path):
    with pytest.raises(OptionsError, match="--workers: has no effect with --scheduler"):
        Options(households=2, years=1, start=START, seed=1, out=tmp_path / "out", workers=2,
                scheduler="tcp://127.0.0.1:8786").validated()
