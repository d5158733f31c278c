"""The sandbox's domain façade: what the web layer and the CLI call. No HTTP here.

Several processes on one database
---------------------------------
``selfdata serve --workers N`` (and ``selfdata up --workers N``) runs N processes sharing the
listening socket, and PostgreSQL takes any number of them behind any HTTP load balancer.
The database is the only thing they share; every piece of state a process keeps for itself
is listed here with how it stays correct:

- Documents, revisions, conflicts: each update deletes the current revision by ``(id,
  _rev)`` inside its write transaction and inserts the next one; of two processes writing
  the same ``_rev`` exactly one deletes a row, the other answers 409 (SQLite: writes run
  one at a time, ``BEGIN IMMEDIATE`` with a 30 s busy timeout; PostgreSQL: the row lock).
- Ids: ``new_id`` draws a random 26-hex prefix per process: no two processes collide.
- The journal: each process buffers its entries and writes them every 0.5 s; a reader sees
  another process's entries within that time.
- Realtime: a write's events reach the sockets of other processes through the database
  (``sandbox.events.Relay``: who listens where, and an outbox polled every 50 ms).
- Caches, cleared at once in the process that changes what they hold, and in the others
  within ``sandbox.storage.epochs.EVERY_S`` (0.25 s) through the cache epochs:
  token checks (``_auth_cache``: an uninstall, a revoked share, a deleted OAuth client),
  instances by name (a deleted instance), the indexes of a doctype (a new or deleted index,
  a dropped database; also expire after ``CATALOG_S``).
- Live deliveries: each process's delivery thread takes its rows in a write transaction
  serialised across processes (``Database.serialise``): a row is delivered once.
- Live clocks and instance settings: read from the database on use, not cached.
- Start-up: table creation and upgrades run one process at a time (``Database.startup``).
- Per-process only, by design: the realtime socket caps (``realtime_max_sockets`` and per
  client) count one process's sockets; the files' per-instance lock and the index builder
  work per process (an index is built by the process that was asked for it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from sandbox.apps.dev_installs import DevInstalls
from sandbox.apps.records import InstallRecords
from sandbox.auth import tokens
from sandbox.contract.permissions import PermissionSet, parse_scope
from sandbox.errors import InvalidToken
from sandbox.events import EventBus, Relay
from sandbox.files.blobs import BlobStore
from sandbox.files.store import Files
from sandbox.instance_settings import InstanceSettings
from sandbox.instances import Instance, Instances
from sandbox.intents import Intents
from sandbox.journal import Journal
from sandbox.live.service import Live
from sandbox.mango.selector import Limits
from sandbox.notifications import Notifications
from sandbox.oauth import OAuth
from sandbox.ondemand import OnDemand
from sandbox.settings import Settings
from sandbox.shares import Shares
from sandbox.storage.database import Database
from sandbox.storage.documents import DocumentStore
from sandbox.storage.epochs import AUTH, INDEXES, INSTANCES, Epochs
from sandbox.storage.finder import Finder
from sandbox.storage.indexes import Indexes, IndexLimits, drop_indexes
from sandbox.storage.tables import oauth_clients
from sandbox.storage.upgrade import upgrade

AUTH_CACHE_S = 5.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who is asking: the instance their token is bound to, and what they may do."""

    instance: Instance
    client: str
    kind: str            # "app", "oauth", "cli", "share"
    permissions: PermissionSet
    claims: tokens.Claims
    source_id: str = ""  # the stack's source of its permissions: io.cozy.apps/<slug>...

    @property
    def permission_id(self) -> str:
        """The id of its permission document (``/permissions/self``)."""
        return self.claims.scope if self.kind == "share" else self.claims.sub


class Sandbox:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.database_url)
        with self.db.startup():
            self.db.create_all()
            upgrade(self.db)
        self.epochs = Epochs(self.db)
        self.instances = Instances(self.db)
        self.events = EventBus(settings.realtime_queue_events, Relay(self.db))
        self.documents = DocumentStore(self.db, self.events)
        self.instance_settings = InstanceSettings(self.documents, settings.instance_locale,
                                                  settings.instance_timezone)
        self.instances.on_create.append(self.instance_settings.create)
        self.shares = Shares(self.documents)
        self.journal = Journal(self.db)
        self.live = Live(self.documents, self.journal, tick_s=settings.live_tick_s,
                         max_rows=settings.live_max_rows)
        # an app's notification is dated by its cloud's clock (simulated when live)
        self.notifications = Notifications(self.documents,
                                           now=lambda inst: self.live.now(inst))
        self.intents = Intents(self.documents)
        limits = Limits(settings.max_selector_depth, settings.max_in_values,
                        settings.max_regex_length)
        self.indexes = Indexes(self.documents, limits, IndexLimits(
            settings.max_indexes_per_doctype, settings.max_indexes_per_instance,
            settings.max_sql_indexes), settings.index_build_share)
        self.finder = Finder(self.documents, self.indexes, limits, settings.find_default_limit,
                             settings.find_max_limit)
        self.files = Files(self.documents, BlobStore(settings.files_root()),
                           settings.files_quota_bytes)
        self.oauth = OAuth(self.db)
        self._auth_cache: dict[str, tuple[Caller, float]] = {}
        self.installs = InstallRecords(self.db, on_change=self.forget_tokens)
        self.shares.on_change = self.forget_tokens
        self.oauth.on_change = self.forget_tokens
        self.dev_installs = DevInstalls(self.installs)
        # what lives in an instance is copied and deleted by its owners
        self.instances.on_copy += [self.documents.copy_instance, self._copy_files]
        self.instances.on_delete += [drop_indexes, self.documents.delete_instance,
                                     self.journal.delete_instance, self.oauth.delete_instance,
                                     self.installs.delete_instance, self._delete_files,
                                     self.live.delete_instance]
        self.instances.on_create.append(self.files.ensure)
        # a declared instance (a large event) is generated and loaded on its first use
        self.ondemand = OnDemand(self)
        self.instances.first_use = self.ondemand.ensure
        # what other processes cache of an instance or a doctype's indexes goes stale with it
        self.instances.on_delete.append(lambda conn, _id: self.epochs.bump(INSTANCES, conn))
        self.documents.on_drop.append(lambda conn, *_: self.epochs.bump(INDEXES, conn))
        self.indexes.epochs = self.epochs
        self.epochs.on(AUTH, self._auth_cache.clear)
        self.epochs.on(INSTANCES, self._forget_instances)
        self.epochs.on(INDEXES, self.indexes.forget_all)

    def watch(self) -> None:
        """A serving process: follow what other processes change (cache epochs)."""
        self.epochs.start()

    def _forget_instances(self) -> None:
        self.instances.forget()
        self._auth_cache.clear()

    def _copy_files(self, _conn, source_id: int, copy_id: int) -> None:
        self.files.blobs.copy_instance(self.instances.by_id(source_id),
                                       self.instances.by_id(copy_id))

    def _delete_files(self, _conn, instance_id: int) -> None:
        self.files.blobs.delete_instance(self.instances.by_id(instance_id))
        self.files.forget(instance_id)

    def close(self) -> None:
        self.epochs.close()
        self.events.close()
        self.live.engine.stop()
        self.indexes.close()
        self.journal.close()
        self.db.dispose()

    @property
    def ttls(self) -> dict[str, int | None]:
        s = self.settings
        return {"app": s.app_token_ttl_s, "cli": s.cli_token_ttl_s, "access": s.access_token_ttl_s,
                "refresh": None, "registration": None, "share": None}

    def cli_token(self, instance: str, scope: str, ttl: int | None = None) -> str:
        inst = self.instances.get(instance)
        parse_scope(scope)  # refuse a malformed scope now, not at first use
        return tokens.issue(inst.secret, aud="cli", instance=inst.name, sub="cli", scope=scope,
                            ttl=ttl)

    def locale_of(self, instance: str) -> str:
        """The locale the instance's settings name (what app pages are served in)."""
        return self.instance_settings.locale_of(self.instances.get(instance))

    def app_token(self, instance: str, slug: str, ttl: int | None = None) -> str:
        """A token for the app as installed now: it names the install (by its time, in ms),
        so an uninstall, or a reinstall, makes every older token of the app useless."""
        inst = self.instances.get(instance)
        installed = self.installs.get(inst, slug)
        stamp = installed.stamp if installed is not None else "install:none"
        return tokens.issue(inst.secret, aud="app", instance=inst.name, sub=slug, scope=stamp,
                            ttl=ttl)

    def cached_caller(self, token: str, host_instance: str | None = None) -> Caller | None:
        """The caller of a token seen in the last ``AUTH_CACHE_S`` seconds, without touching
        the database (None: ask :meth:`authenticate`)."""
        now = time.time()
        hit = self._auth_cache.get(token)
        if hit is None or now - hit[1] >= AUTH_CACHE_S:
            return None
        caller = hit[0]
        if host_instance and host_instance != caller.instance.name:
            raise InvalidToken()
        exp = caller.claims.exp or (caller.claims.iat + (self.ttls.get(caller.claims.aud)
                                                         or 10**12))
        return caller if now <= exp else None

    def authenticate(self, token: str, host_instance: str | None = None) -> Caller:
        """The caller of a token, cached for a few seconds (revocations and uninstalls take
        effect within ``AUTH_CACHE_S``); expiry is checked on every call."""
        caller = self.cached_caller(token, host_instance)
        if caller is not None:
            return caller
        now = time.time()
        caller = self._authenticate(token, host_instance)
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[token] = (caller, now)
        return caller

    def forget_tokens(self) -> None:
        """A token may have lost its rights: check every token again, here at once and in
        the other processes within the cache epochs' bound."""
        self._auth_cache.clear()
        try:
            self.epochs.bump(AUTH)
        except Exception:  # the change is committed; the others still expire in AUTH_CACHE_S
            log.exception("could not tell the other processes to forget their token checks")

    def _authenticate(self, token: str, host_instance: str | None = None) -> Caller:
        name = tokens.unverified_issuer(token)
        inst = self.instances.find(name)
        if inst is None or (host_instance and host_instance != name):
            raise InvalidToken()
        claims = tokens.verify(token, inst.secret, self.ttls)
        if claims.aud == "cli":
            return Caller(inst, "cli", "cli", PermissionSet(parse_scope(claims.scope)), claims,
                          "cli")
        if claims.aud == "app":
            return Caller(inst, claims.sub, "app",
                          self._app_permissions(inst, claims.sub, claims.scope), claims,
                          f"io.cozy.apps/{claims.sub}")
        if claims.aud == "access":
            client = self._oauth_client(inst, claims.sub)
            if client is None:
                raise InvalidToken()
            name = orjson.loads(client.metadata).get("client_name", claims.sub)
            return Caller(inst, name, "oauth", PermissionSet(parse_scope(claims.scope)), claims,
                          f"io.cozy.oauth.clients/{claims.sub}")
        if claims.aud == "share":
            doc, rules = self.shares.rules_for_token(inst, claims.scope, token)
            return Caller(inst, f"share:{claims.sub}", "share", PermissionSet(rules), claims,
                          str(doc.get("source_id", "")))
        raise InvalidToken()

    def oauth_software_id(self, inst: Instance, client_id: str) -> str:
        """The ``software_id`` an OAuth client registered with ("" if unknown)."""
        client = self._oauth_client(inst, client_id)
        return str(orjson.loads(client.metadata).get("software_id", "")) if client else ""

    def _app_permissions(self, inst: Instance, slug: str, stamp: str) -> PermissionSet:
        """An app token holds while the install it names is the current one."""
        installed = self.installs.get(inst, slug)
        if installed is None or installed.manifest is None or stamp != installed.stamp:
            raise InvalidToken()
        return PermissionSet(list(installed.manifest.permissions))

    def _oauth_client(self, inst: Instance, client_id: str):
        with self.db.read() as conn:
            return conn.execute(sa.select(oauth_clients).where(
                oauth_clients.c.client_id == client_id,
                oauth_clients.c.instance_id == inst.id)).first()
