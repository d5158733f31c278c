"""Instances declared without their data and loaded on first use (``sandbox.ondemand``): the
same contents as an eager load, loaded once whoever asks at the same time, a bounded wait, a
failure that leaves the instance pending and empty, and the HTTP answers around them."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from sandbox import dashboard, loader, ondemand
from sandbox.auth import tokens
from sandbox.errors import InstanceNotReady
from sandbox.files.names import DOCTYPE as FILES
from sandbox.loader import load_population
from sandbox.service import Sandbox
from sandbox.settings import Settings
from sandbox.storage import documents as documents_module
from sandbox.storage.tables import pending_instances
from sandbox.web.app import create_app
from synthetic_data.population import describe
from synthetic_data.writers import write_household
from tests.support.households import SEED, YEAR, full_household, household

ROOT = Path(__file__).resolve().parents[2]
# made when the instance is, so an eager and a lazy load differ there only
STAMPED = {"io.cozy.files.root-dir", "io.cozy.files.trash-dir"}


def _sandbox(folder: Path, url: str | None = None) -> Sandbox:
    return Sandbox(Settings(database_url=url or f"sqlite:///{folder / 'sb.db'}",
                            files_dir=str(folder / "files"), live_engine=False))


def _population(folder: Path, index: int) -> Path:
    """Household ``index`` of the tests' seed written as `selfdata generate` writes it."""
    data = household(index)
    out = folder / "pop"
    write_household(out, data.household.instance, data.batches, "ndjson", data.blobs)
    (out / "manifest.json").write_bytes(orjson.dumps({
        "seed": SEED, "start": YEAR.start.isoformat(), "years": 1,
        "end": YEAR.end.isoformat(), "format": "ndjson",
        "households": [orjson.loads(orjson.dumps(describe(data)))]}))
    return out


def _declare_one(sb: Sandbox, index: int) -> str:
    """Declare households 0…index of the seed and return household ``index``'s name."""
    names = ondemand.seeded(sb.instances, SEED, YEAR.start, 1, index + 1)
    return names[index]


def _by_content(docs: dict, given: set[str]) -> dict[str, list[bytes]]:
    """Each doctype's documents, their ``_id`` left out where the sandbox drew it (a
    generated document without one gets a fresh id at every load, eager or not)."""
    out: dict[str, list[bytes]] = {}
    for (doctype, _), doc in docs.items():
        body = {k: v for k, v in doc.items() if k != "_id" or v in given}
        out.setdefault(doctype, []).append(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
    return {d: sorted(v) for d, v in out.items()}


def _contents(sb: Sandbox, name: str) -> dict:
    """Everything an instance holds that a tester or the dashboard can see."""
    inst = sb.instances.get(name)
    docs = {}
    for doctype in sb.documents.doctypes(inst.id):
        rows = sb.documents.all_docs(inst.id, doctype, include_docs=True, limit=None)["rows"]
        for r in rows:
            doc = orjson.loads(orjson.dumps(r["doc"]))
            if r["id"] in STAMPED:
                doc = {k: v for k, v in doc.items() if k not in ("_rev", "created_at",
                                                                   "updated_at")}
            docs[(doctype, r["id"])] = doc
    blobs = sorted(p.name for p in sb.files.blobs.folder(inst).rglob("*") if p.is_file())
    return {"profile": inst.profile, "docs": docs, "blobs": blobs,
            "settings": sb.instance_settings.stored(inst),
            "indexes": sb.indexes.design_docs(inst.id, "io.cozy.bills", True),
            "overview": dashboard.overview(sb, inst)}


@pytest.mark.slow
def test_on_demand_contents_equal_an_eager_load(tmp_path):
    index = full_household()
    pop = _population(tmp_path, index)
    eager, lazy, files = (_sandbox(tmp_path / n) for n in ("eager", "lazy", "files"))
    try:
        name = load_population(eager, pop).instances[0]
        assert _declare_one(lazy, index) == name
        assert ondemand.from_files(files.instances, pop) == [name]
        assert lazy.instances.lookup(name).profile["declared"]
        want = _contents(eager, name)
        given = {d["_id"] for b in household(index).batches for d in b.dicts() if "_id" in d}
        assert FILES in {d for d, _ in want["docs"]} and want["blobs"]
        assert len(want["docs"]) > 10_000
        for other in (lazy, files):
            got = _contents(other, name)
            assert got.keys() == want.keys()
            assert _by_content(got["docs"], given) == _by_content(want["docs"], given)
            same = got["docs"].keys() & want["docs"].keys()
            assert any(d == "io.cozy.bank.operations" for d, _ in same)  # ids of their own
            for key in same:
                assert got["docs"][key] == want["docs"][key], key
            for part in ("profile", "blobs", "settings", "indexes", "overview"):
                assert got[part] == want[part], part
            assert other.ondemand.pending() == 0
    finally:
        for sb in (eager, lazy, files):
            sb.close()


def _count_loads(caplog) -> int:
    return sum("loaded on first use" in r.getMessage() for r in caplog.records)


@pytest.fixture
def lazy(database_url, tmp_path):
    sb = _sandbox(tmp_path, database_url)
    yield sb
    sb.close()


def test_concurrent_first_uses_load_once(lazy, caplog):
    caplog.set_level(logging.INFO, logger="sandbox.ondemand")
    names = ondemand.seeded(lazy.instances, SEED, YEAR.start, 1, 3)
    name = names[-1]
    start = threading.Barrier(6)

    def first_use(_: int):
        start.wait()
        return lazy.instances.get(name)

    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(first_use, range(6)))
    assert {i.id for i in got} == {got[0].id} and not got[0].profile.get("declared")
    assert _count_loads(caplog) == 1
    assert lazy.ondemand.pending() == 2  # the other two are still waiting for a first use
    expected = sum(b.n for b in household(2).batches if b.doctype not in (
        "org.selfdata.groundtruth.event", FILES))
    loaded = sum(lazy.documents.db_info(got[0].id, d)["doc_count"]
                 for d in lazy.documents.doctypes(got[0].id) if d not in (FILES,
                                                                          "io.cozy.settings"))
    assert loaded == expected


def test_a_failed_load_leaves_the_instance_pending_and_empty_then_retries(lazy, monkeypatch):
    name = ondemand.seeded(lazy.instances, SEED, YEAR.start, 1, 1)[0]
    real = ondemand.generate_household

    def broken(*args):
        real(*args)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ondemand, "generate_household", broken)
    with pytest.raises(InstanceNotReady) as failed:
        lazy.instances.get(name)
    assert "could not be prepared" in failed.value.message
    inst = lazy.instances.lookup(name)
    assert lazy.documents.doctypes(inst.id) == []
    with lazy.db.read() as conn:
        row = conn.execute(pending_instances.select()).one()
    assert (row.state, row.attempts, row.error) == ("pending", 1,
                                                    "RuntimeError: disk on fire")
    monkeypatch.setattr(ondemand, "generate_household", real)
    assert lazy.instances.get(name).profile["occupants"] >= 1
    assert lazy.ondemand.pending() == 0 and "io.cozy.bills" in lazy.documents.doctypes(inst.id)


def test_a_waiter_gives_up_after_the_bounded_wait(lazy, monkeypatch):
    name = ondemand.seeded(lazy.instances, SEED, YEAR.start, 1, 1)[0]
    inside, release = threading.Event(), threading.Event()
    real = ondemand.generate_household

    def slow(*args):
        inside.set()
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(ondemand, "generate_household", slow)
    lazy.ondemand.wait_s = 0.2
    with ThreadPoolExecutor(1) as pool:
        loading = pool.submit(lazy.instances.get, name)
        assert inside.wait(30)
        with pytest.raises(InstanceNotReady) as busy:
            lazy.instances.get(name)
        assert "being prepared" in busy.value.message and busy.value.retry_after > 0
        release.set()
        assert loading.result(60).name == name
    assert lazy.instances.get(name).id == loading.result().id


def test_http_answers_around_a_declared_instance(tmp_path, monkeypatch):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'sb.db'}",
                              files_dir=str(tmp_path / "files"), live_engine=False))
    sb = app.state.sandbox
    client = TestClient(app)
    en = {"Accept-Language": "en"}
    try:
        name = ondemand.seeded(sb.instances, SEED, YEAR.start, 1, 1)[0]
        secret = sb.instances.lookup(name).secret
        token = tokens.issue(secret, aud="cli", instance=name, sub="cli",
                             scope="io.cozy.bills:GET")
        unknown = client.get("/", headers={"Host": "nobody-here.localhost", **en})
        assert unknown.status_code == 404 and "No such personal cloud" in unknown.text
        monkeypatch.setattr(ondemand, "generate_household", _raise)
        page = client.get("/", headers={"Host": f"{name}.localhost", **en})
        assert page.status_code == 503 and page.headers["Retry-After"]
        assert "being prepared" in page.text and "Traceback" not in page.text
        api = client.get("/data/io.cozy.bills/_normal_docs", headers={
            "Host": "127.0.0.1", "Authorization": f"Bearer {token}"})
        assert api.status_code == 503 and api.headers["Retry-After"]
        assert "could not be prepared" in api.json()["error"]
        assert "ValueError" not in api.text and "Traceback" not in api.text
        monkeypatch.undo()
        api = client.get("/data/io.cozy.bills/_normal_docs?limit=2", headers={
            "Host": "127.0.0.1", "Authorization": f"Bearer {token}"})
        assert api.status_code == 200 and len(api.json()["rows"]) == 2
        page = client.get("/", headers={"Host": f"{name}.localhost", **en})
        assert page.status_code == 200 and "kWh" in page.text
        assert client.get("/browse/", headers={"Host": f"{name}.localhost", **en}
                          ).status_code == 200
    finally:
        sb.close()


def _raise(*_args):
    raise ValueError("a secret detail")


CHILD = textwrap.dedent("""
    import logging, sys
    from sandbox.service import Sandbox
    from sandbox.settings import Settings
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    sb = Sandbox(Settings(database_url=sys.argv[1], files_dir=sys.argv[2], live_engine=False))
    sb.ondemand.wait_s = 120
    print("ready", flush=True)
    sys.stdin.readline()
    inst = sb.instances.get(sys.argv[3])
    print("docs", sum(sb.documents.db_info(inst.id, d)["doc_count"]
                      for d in sb.documents.doctypes(inst.id)), flush=True)
    sb.close()
""")


@pytest.mark.slow
def test_two_processes_load_a_declared_instance_once(lazy, tmp_path):
    name = ondemand.seeded(lazy.instances, SEED, YEAR.start, 1, 2)[-1]
    url = str(lazy.db.engine.url.render_as_string(hide_password=False))
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, url, str(tmp_path / "files"), name],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    for p in procs:  # both started, then both asked at once
        assert p.stdout.readline().strip() == "ready"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = {line for out in outs for line in out.splitlines() if line.startswith("docs ")}
    assert len(counts) == 1, outs
    assert sum(out.count("loaded on first use") for out in outs) == 1, outs
    assert lazy.ondemand.pending() == 1


def test_prepare_new_stores_what_prepare_stores(monkeypatch):
    """The loader's one-serialisation ``prepare_new`` against ``prepare``, on every document
    of a household and on the shapes it hands back to ``prepare``."""
    drawn = [0]  # both draw the same id for the same document

    def fixed_id() -> str:
        drawn[0] += 1
        return f"{drawn[0]:032x}"

    for module in (documents_module, loader):
        monkeypatch.setattr(module, "new_id", fixed_id)
    odd = [{}, {"_id": "a"}, {"b": 1, "_id": "a"}, {"_id": None, "b": 1}, {"_id": "", "b": 2},
           {"_id": 'é"x', "b": [1.5, None]}, {"_type": "t", "b": 1}, {"_rev": "1-x", "b": 1}]
    docs = [d for b in household(full_household()).batches for d in b.dicts()] + odd
    assert any("_id" not in d for d in docs) and any("_id" in d for d in docs)
    for doc in docs:
        drawn[0] = 0
        fast = loader.prepare_new(doc)
        drawn[0] = 0
        assert fast == documents_module.prepare(doc), doc
    assert documents_module.prepare({"a": 1})[1] == documents_module.next_rev(
        None, orjson.dumps({"a": 1}))  # the revision prepare_new computes itself
    drawn_by_loader = {loader.prepare_new({"a": i}, loader._id_drawer())[0] for i in range(3)}
    assert len(drawn_by_loader) == 3 and all(len(i) == 32 for i in drawn_by_loader)
