"""Instances: one personal cloud per tester, each with its own signing key.

This module writes the ``instances`` table only. What lives in an instance belongs to other
owners (documents, indexes, the journal, OAuth clients, installed apps), so copying or deleting
an instance asks each of them, through the hooks the sandbox wires, inside one transaction.

An instance may be *declared* before its data exists (:meth:`Instances.declare`, a large
event): resolving it by name (:meth:`Instances.get`) first asks the ``first_use`` hook
(``sandbox.ondemand``) to generate and load it, so every caller sees a loaded instance.
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
from sandbox.storage.tables import instances, pending_instances

Hook = Callable[..., None]    # (conn, instance_id) on delete; (conn, source_id, copy_id) on copy;
                              # (instance) after an empty instance is created
FirstUse = Callable[["Instance"], "Instance"]  # a declared instance made ready (the same if it is)


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
        # (instance) → the instance ready: a declared one is generated and loaded first
        self.first_use: FirstUse | None = None

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

    def set_up(self, inst: Instance) -> None:
        """What :meth:`create` does after the row: the ``on_create`` hooks (a declared
        instance runs them when it is materialised)."""
        for hook in self.on_create:
            hook(inst)

    def declare(self, entries: list[tuple[str, dict, dict]]) -> list[str]:
        """Instances without their data, in one transaction: ``(name, profile, source)``
        each, ``source`` saying where the data will come from (``sandbox.ondemand``). Names
        already taken are left as they are; the names declared."""
        for name, _, _ in entries:
            if not addresses.is_label(name):
                raise BadRequest(f"instance name {name!r} must be a DNS label")
        now = time.time()
        with self.db.write() as conn:
            taken = {r[0] for r in conn.execute(sa.select(instances.c.name))}
            fresh = [(n, p, src) for n, p, src in entries if n not in taken]
            if not fresh:
                return []
            conn.execute(sa.insert(instances), [
                {"name": n, "secret": secrets.token_hex(32), "created_at": now,
                 "profile": orjson.dumps(p).decode()} for n, p, _ in fresh])
            names = [n for n, _, _ in fresh]
            ids: dict[str, int] = {}
            for i in range(0, len(names), 500):
                ids.update(conn.execute(sa.select(instances.c.name, instances.c.id).where(
                    instances.c.name.in_(names[i:i + 500]))).all())
            conn.execute(sa.insert(pending_instances), [
                {"instance_id": ids[n], "source": orjson.dumps(src).decode(),
                 "state": "pending", "attempts": 0} for n, _, src in fresh])
        return [n for n, _, _ in fresh]

    def set_profile(self, instance_id: int, profile: dict) -> Instance:
        """Replace the profile (a declared instance's, once its household is generated)."""
        with self.db.write() as conn:
            conn.execute(sa.update(instances).where(instances.c.id == instance_id).values(
                profile=orjson.dumps(profile).decode()))
        inst = self.lookup_id(instance_id)
        self._cache.pop(inst.name, None)
        return inst

    def get(self, name: str) -> Instance:
        """The instance, ready: a declared one is generated and loaded first (``first_use``;
        it may raise ``InstanceNotReady`` while another request loads it)."""
        inst = self._cache.get(name)
        if inst is not None:
            return inst
        inst = self.lookup(name)
        if self.first_use is not None:
            inst = self.first_use(inst)
        self._cache[name] = inst
        return inst

    def lookup(self, name: str) -> Instance:
        """The instance's record as it is, declared or ready (nothing is loaded)."""
        with self.db.read() as conn:
            row = conn.execute(sa.select(instances).where(instances.c.name == name)).first()
        if row is None:
            raise NotFound(f"no instance named {name!r}")
        return Instance(row.id, row.name, row.secret, orjson.loads(row.profile))

    def lookup_id(self, instance_id: int) -> Instance:
        with self.db.read() as conn:
            row = conn.execute(sa.select(instances).where(instances.c.id == instance_id)).first()
        if row is None:
            raise NotFound(f"no instance with id {instance_id}")
        return Instance(row.id, row.name, row.secret, orjson.loads(row.profile))

    def by_id(self, instance_id: int) -> Instance:
        """The record of instance ``instance_id`` (a declared one is not loaded: callers hold
        an id of an instance already in use, or are deleting it)."""
        return self.lookup_id(instance_id)

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
        """The instance and everything in it, in one transaction (a declared instance is
        not loaded first)."""
        inst = self._cache.get(name) or self.lookup(name)
        with self.db.write() as conn:
            for forget in self.on_delete:
                forget(conn, inst.id)
            conn.execute(sa.delete(pending_instances).where(
                pending_instances.c.instance_id == inst.id))
            conn.execute(sa.delete(instances).where(instances.c.id == inst.id))
        self._cache.pop(name, None)

    def clear(self, inst: Instance) -> None:
        """Everything in the instance, the instance itself kept (a declared instance whose
        loading failed goes back to empty)."""
        with self.db.write() as conn:
            for forget in self.on_delete:
                forget(conn, inst.id)
        self._cache.pop(inst.name, None)

    def forget(self) -> None:
        """Drop the instances kept by name (another process deleted one)."""
        self._cache.clear()
