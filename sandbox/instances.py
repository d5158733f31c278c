"""Instances: one personal cloud per tester, each with its own signing key.

This module writes the ``instances`` table only. What lives in an instance belongs to other
owners (documents, indexes, the journal, OAuth clients, installed apps), so copying or deleting
an instance asks each of them, through the hooks the sandbox wires, inside one transaction.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from sandbox.contract import addresses
from sandbox.errors import BadRequest, Conflict, NotFound
from sandbox.storage.database import Database
from sandbox.storage.tables import instances

Hook = Callable[..., None]    # (conn, instance_id) on delete; (conn, source_id, copy_id) on copy;
                              # (instance) after an empty instance is created


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
        self.on_delete: list[Hook] = []
        self.on_copy: list[Hook] = []
        # (instance) after a new, empty instance is committed: its first documents
        self.on_create: list[Hook] = []

    def create(self, name: str, profile: dict | None = None) -> Instance:
        """A new, empty instance; the ``on_create`` hooks then set up what every instance
        has (the root folder of its files)."""
        inst = self._create(name, profile)
        for hook in self.on_create:
            hook(inst)
        return inst

    def _create(self, name: str, profile: dict | None = None) -> Instance:
        if not addresses.is_label(name):
            raise BadRequest(f"instance name {name!r} must be a DNS label: lowercase letters, "
                             "digits and inner hyphens, at most 63 characters")
        with self.db.write() as conn:
            row = conn.execute(sa.select(instances.c.id).where(instances.c.name == name)).first()
            if row:
                raise Conflict(f"instance {name!r} already exists")
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
        profile = self._profile(src.id)
        # no on_create hooks: the copy gets the source's documents, those included
        inst = self._create(name, profile=orjson.loads(profile) if profile else None)
        with self.db.write() as conn:
            for copy in self.on_copy:
                copy(conn, src.id, inst.id)
        return inst

    def _profile(self, instance_id: int) -> str | None:
        with self.db.read() as conn:
            return conn.execute(sa.select(instances.c.profile).where(
                instances.c.id == instance_id)).scalar()

    def delete(self, name: str) -> None:
        """The instance and everything in it, in one transaction."""
        inst = self.get(name)
        with self.db.write() as conn:
            for forget in self.on_delete:
                forget(conn, inst.id)
            conn.execute(sa.delete(instances).where(instances.c.id == inst.id))
        self._cache.pop(name, None)

    def forget(self) -> None:
        """Drop the instances kept by name (another process deleted one)."""
        self._cache.clear()
