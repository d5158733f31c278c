"""Instances: one personal cloud per tester, each with its own signing key."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from sandbox.errors import BadRequest, NotFound
from sandbox.storage.database import Database
from sandbox.storage.indexes import drop_indexes
from sandbox.storage.tables import (
    access_codes,
    apps,
    databases,
    documents,
    instances,
    journal,
    oauth_clients,
)

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Instance:
    id: int
    name: str
    secret: str
    profile: dict


class Instances:
    def __init__(self, db: Database):
        self.db = db
        self._cache: dict[str, Instance] = {}

    def create(self, name: str, profile: dict | None = None) -> Instance:
        if not NAME.match(name):
            raise BadRequest(f"instance name {name!r} must be a DNS label: lowercase letters, "
                             "digits and inner hyphens, at most 63 characters", "bad_request")
        with self.db.write() as conn:
            row = conn.execute(sa.select(instances.c.id).where(instances.c.name == name)).first()
            if row:
                raise BadRequest(f"instance {name!r} already exists", "conflict")
            res = conn.execute(sa.insert(instances).values(
                name=name, secret=secrets.token_hex(32), created_at=time.time(),
                profile=orjson.dumps(profile or {}).decode()))
            new_id = res.inserted_primary_key[0]
        return self.by_id(new_id)

    def get(self, name: str) -> Instance:
        inst = self._cache.get(name)
        if inst is not None:
            return inst
        with self.db.read() as conn:
            row = conn.execute(sa.select(instances).where(instances.c.name == name)).first()
        if row is None:
            raise NotFound(f"no instance named {name!r}")
        inst = Instance(row.id, row.name, row.secret, orjson.loads(row.profile))
        self._cache[name] = inst
        return inst

    def by_id(self, instance_id: int) -> Instance:
        with self.db.read() as conn:
            row = conn.execute(sa.select(instances).where(instances.c.id == instance_id)).first()
        if row is None:
            raise NotFound(f"no instance with id {instance_id}")
        return self.get(row.name)

    def find(self, name: str) -> Instance | None:
        try:
            return self.get(name)
        except NotFound:
            return None

    def all(self) -> list[Instance]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(instances).order_by(instances.c.id)).all()
        return [Instance(r.id, r.name, r.secret, orjson.loads(r.profile)) for r in rows]

    def clone(self, source: str, name: str) -> Instance:
        """A new instance (its own secret) holding a copy of ``source``'s documents, copied
        inside the database; indexes, apps, clients and the journal are not copied."""
        src = self.get(source)
        inst = self.create(name, profile=orjson.loads(src_profile)
                           if (src_profile := self._profile(src.id)) else None)
        with self.db.write() as conn:
            conn.execute(databases.insert().from_select(
                ["instance_id", "doctype", "created_at"],
                sa.select(sa.literal(inst.id), databases.c.doctype, databases.c.created_at)
                .where(databases.c.instance_id == src.id)))
            cols = ["instance_id", "doctype", "doc_id", "rev", "deleted", "body"]
            conn.execute(documents.insert().from_select(
                cols, sa.select(sa.literal(inst.id), documents.c.doctype, documents.c.doc_id,
                                documents.c.rev, documents.c.deleted, documents.c.body)
                .where(documents.c.instance_id == src.id).order_by(documents.c.seq)))
        return inst

    def _profile(self, instance_id: int) -> str | None:
        with self.db.read() as conn:
            return conn.execute(sa.select(instances.c.profile).where(
                instances.c.id == instance_id)).scalar()

    def delete(self, name: str) -> None:
        """The instance and everything in it, in one transaction."""
        inst = self.get(name)
        with self.db.write() as conn:
            drop_indexes(conn, inst.id)
            for table in (documents, databases, journal, oauth_clients, access_codes, apps):
                conn.execute(sa.delete(table).where(table.c.instance_id == inst.id))
            conn.execute(sa.delete(instances).where(instances.c.id == inst.id))
        self._cache.pop(name, None)
