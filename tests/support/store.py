"""One fixture factory for the store: its app under a TestClient, with accounts, a client per
account and helpers to submit and follow (like datasette's ``make_app_client``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app_store import accounts, pipeline
from app_store.client import StoreClient
from app_store.settings import StoreSettings
from app_store.tables import app_owners, submissions
from app_store.web.app import create_app
from sandbox.runtime.engine import Engine, MissingEngine
from selfdata.event import listening_socket
from tests.support.served import Served

# name → (role, the judge's own team)
ACCOUNTS = {"Org": ("organiser", None), "Blue": ("team", None), "Red": ("team", None),
            "Jo": ("judge", "Red")}
NO_ENGINE = MissingEngine("no engine in this test")


class StoreHarness:
    def __init__(self, client: TestClient, tokens: dict[str, str]):
        self.client = client
        self.app = client.app
        self.store = client.app.state.store
        self.tokens = tokens

    def __getattr__(self, name: str):
        return getattr(self.client, name)   # get, post, put ... as on the TestClient

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def as_(self, who: str) -> StoreClient:
        return StoreClient("http://testserver", self.tokens[who], http=self.client)

    def submit(self, data: bytes, who: str = "Blue", name: str = "app.tar.gz") -> int:
        return self.as_(who).submit(data, name)

    def settle(self, sub_id: int, who: str = "Blue", timeout: float = 180) -> dict:
        return self.as_(who).wait(sub_id, timeout, every_s=0.05)


@contextmanager
def make_store(folder: Path, *, database_url: str | None = None, engine: Engine | None = None,
               workers: int = 2, people: dict = ACCOUNTS, **settings) -> Iterator[StoreHarness]:
    """A store in ``folder`` (SQLite there unless ``database_url``), its workers running;
    with ``engine=None`` the real Docker engine is used when the store needs one."""
    s = StoreSettings(database_url=database_url or f"sqlite:///{folder / 'store.db'}",
                      data_dir=folder, workers=workers, **settings)
    app = create_app(s, engine=engine)
    with TestClient(app) as client:
        st = app.state.store
        tokens = {name: accounts.create(st.db, name, role, team)[1]
                  for name, (role, team) in people.items()}
        yield StoreHarness(client, tokens)


def approve_directly(store: StoreHarness, team: str, manifest: dict,
                     archive: bytes | None = None) -> int:
    """Record an approved release of ``manifest`` without checks or a build (judging and the
    catalogue do not depend on the engine); its archive is stored if given."""
    return approve_directly_in(store.store, store.tokens[team], manifest, archive)


def approve_directly_in(st, token: str, manifest: dict, archive: bytes | None = None) -> int:
    """:func:`approve_directly` on a store object, for the team of ``token``."""
    tid = accounts.authenticate(st.db, token).id
    data = archive if archive is not None else b"\x1f\x8b not an archive"
    digest = st.artifacts.put(data)
    now = time.time()
    slug = str(manifest.get("slug"))
    with st.db.write() as conn:
        sub_id = conn.execute(submissions.insert().values(
            team_id=tid, filename="x.tar.gz", sha256=digest, size=len(data), slug=slug,
            version=str(manifest.get("version", "1.0.0")), state=pipeline.APPROVED,
            created_at=now, updated_at=now, attempts=1,
            manifest=orjson.dumps(manifest).decode())).inserted_primary_key[0]
        if conn.execute(sa.select(app_owners).where(app_owners.c.slug == slug)).first() is None:
            conn.execute(app_owners.insert().values(slug=slug, team_id=tid, created_at=now))
    return sub_id


def awaiting_review(st, token: str, manifest: dict, smoke: dict | None,
                    archive: bytes) -> int:
    """A submission waiting for review as the pipeline leaves it (its manifest, a passed
    check report and the smoke report given), without a build."""
    tid = accounts.authenticate(st.db, token).id
    now = time.time()
    with st.db.write() as conn:
        sid = conn.execute(submissions.insert().values(
            team_id=tid, filename="app.tar.gz", sha256=st.artifacts.put(archive),
            size=len(archive), slug=manifest["slug"], version=manifest["version"],
            state=pipeline.AWAITING, created_at=now, updated_at=now, attempts=1,
            manifest=orjson.dumps(manifest).decode(),
            report=orjson.dumps({"problems": []}).decode(),
            smoke=orjson.dumps(smoke).decode() if smoke else None)).inserted_primary_key[0]
        pipeline.record(conn, sid, pipeline.AWAITING, "healthy")
    return sid


@contextmanager
def live_store(folder: Path, *, engine: Engine | None = NO_ENGINE, workers: int = 1,
               people: dict = ACCOUNTS, **settings) -> Iterator[tuple[Served, dict[str, str]]]:
    """The store served on a real socket (for Node tools such as cozy-app-publish), with
    accounts; yields the server and the tokens by name."""
    sock = listening_socket()
    s = StoreSettings(database_url=f"sqlite:///{folder / 'store.db'}", data_dir=folder,
                      workers=workers, port=sock.getsockname()[1], **settings)
    with Served(create_app(s, engine=engine), sock=sock) as served:
        st = served.app.state.store
        tokens = {name: accounts.create(st.db, name, role, team)[1]
                  for name, (role, team) in people.items()}
        yield served, tokens
