"""The containers of installed apps, scaled to zero: started on first use, stopped when idle,
at most ``max_running`` at once (the least recently used makes room), restarted when dead or
when their token is past half its life, stopped on uninstall.

A container runs the image the store built, by id (never pulled), and only if the image's
``selfdata.sha256`` label names the installed release's tarball. It runs with the hardening and
the limits the settings give (the same the store's smoke run uses), and reaches this sandbox
only through its socket and the gate ``api_for`` returns (its own instance's data API).

Several worker processes share one engine and one database, and agree this way:

- **The engine is the truth about what runs.** An app's container has a name fixed by the
  sandbox (its owner label), the instance and the slug (:meth:`RunningApps.container_name`).
  Two processes starting the same app race on that name: the engine lets one create it, the
  other gets a conflict and *adopts* the running container (its labels carry its socket folder,
  start time and install stamp). The cap counts the owner's containers in the engine's
  listing, so it counts every process's. Two processes starting *different* apps at the cap
  may overshoot it by one each for a moment; the next start or reaper pass trims it back.
- **The database holds the last use.** Each process notes every request in memory and writes
  the ``app_use`` table at most every ``USE_FLUSH_S`` seconds per app (and at once on a start),
  so a busy app costs one small write per few seconds, not one per request. Idleness and the
  LRU order are read from that table (with this process's own unwritten uses on top): every
  process judges the same way, give or take those few seconds.
- **A container's API is served by the process that started it** (its ``api.sock`` bridge).
  A process that adopts one reaches the app's socket only. When a container goes (idle,
  evicted, uninstalled) whoever removes it removes it from the engine; its starter closes its
  bridge on its next reaper pass. A container whose starter has gone (its bridge answers no
  more) is an orphan: it is replaced, never adopted, and a starting process removes such
  leftovers.

Time comes from ``clock`` (wall seconds, shared by the processes), so tests drive idleness and
half-lives without waiting; :meth:`RunningApps.reap` is what the reaper thread calls.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sandbox.apps.records import InstallRecords
from sandbox.contract.manifest import Manifest
from sandbox.errors import AppUnavailable, NotFound
from sandbox.instances import Instances
from sandbox.runtime import sockdir
from sandbox.runtime.bridge import SocketBridges, bridge_listening
from sandbox.runtime.engine import Container, Engine, EngineError, NameTaken, connect
from sandbox.runtime.hardening import RunLimits
from sandbox.runtime.runner import SOCKDIR_LABEL, STARTED_LABEL, AppRunner, RunningApp
from sandbox.storage.tables import app_use

log = logging.getLogger("sandbox.apps")

ALIVE_CHECK_S = 2.0   # how often a request asks the engine whether a container still runs
USE_FLUSH_S = 5.0     # a process writes an app's last use at most this often
INSTALL_LABEL = "selfdata.install"   # the install's stamp: a reinstall's container is new

Key = tuple[str, str]   # (instance, install key)


class RunningApps:
    def __init__(self, records: InstallRecords, instances: Instances,
                 token_for: Callable[[str, str], str], api_for: Callable[[str], object], *,
                 limits: RunLimits, docker_host: str, start_timeout_s: float,
                 token_ttl_s: int, owner_key: str, engine: Engine | None = None,
                 page_env: Callable[[str, Manifest, str, str], dict[str, str]] | None = None,
                 idle_s: float = 300, max_running: int = 40,
                 clock: Callable[[], float] = time.time, reap_every_s: float | None = None):
        self.records = records
        self.db = records.db
        self.instances = instances
        self.token_for = token_for          # (instance, slug) → app token
        self.api_for = api_for              # instance → ASGI app behind the gate
        self.limits = limits
        self.docker_host = docker_host
        self.start_timeout_s = start_timeout_s
        self.token_ttl_s = token_ttl_s
        self.page_env = page_env            # (instance, manifest, token, domain) → page values
        self.idle_s = idle_s
        self.max_running = max_running
        self.clock = clock
        # None: no reaper thread (tests call reap() themselves)
        self.reap_every_s = reap_every_s
        self._engine = engine
        self._running: dict[Key, RunningApp] = {}
        self._checked: dict[Key, float] = {}
        self._used: dict[Key, float] = {}      # last use seen here
        self._flushed: dict[Key, float] = {}   # last use written to app_use
        # (instance, slug) → why its install cannot run here until it is installed again
        self.reinstall_needed: dict[Key, str] = {}
        self._locks: dict[Key, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._runner: AppRunner | None = None
        self._stopping = threading.Event()
        # evictions' removals under way (container ids) and their futures
        self._removing: set[str] = set()
        self._pending: list[Future] = []
        self._stopper = ThreadPoolExecutor(2, thread_name_prefix="app-stop")
        self._reaper: threading.Thread | None = None
        self.stats = {"starts": 0, "adopted": 0, "idle_stops": 0, "evictions": 0}
        # Containers of this sandbox carry this label; a start removes orphaned leftovers.
        self.owner = "sandbox-" + hashlib.sha256(owner_key.encode()).hexdigest()[:12]

    def lock(self, instance: str, slug: str) -> threading.Lock:
        with self._guard:
            return self._locks[(instance, slug)]

    def container_name(self, instance: str, slug: str) -> str:
        """The one name the app's container has, whichever process starts it."""
        digest = hashlib.sha256(f"{instance}\0{slug}".encode()).hexdigest()[:20]
        return f"{self.owner}-{digest}"

    def runner(self) -> AppRunner:
        with self._guard:
            if self._runner is None:
                engine = self._engine or connect(self.docker_host or None)
                for c in engine.listing(f"selfdata.owner={self.owner}"):
                    sock = c.labels.get(SOCKDIR_LABEL, "")
                    if not c.running or not sock or not bridge_listening(sock):
                        _discard(engine, c)   # dead, or its starter is gone: no API left
                self._runner = AppRunner(engine, SocketBridges(), self.limits)
                if self.reap_every_s:
                    self._reaper = threading.Thread(target=self._reap_loop, daemon=True,
                                                    name="app-reaper")
                    self._reaper.start()
            return self._runner

    # -- serving ---------------------------------------------------------------------------

    def ready(self, instance: str, slug: str) -> str | None:
        """The socket directory of an app known to run, without waiting or asking the engine
        (None: ask :meth:`sock_dir`, from a thread). Cheap enough for the event loop."""
        key = (instance, slug)
        lock = self.lock(instance, slug)
        if not lock.acquire(blocking=False):
            return None
        try:
            app = self._running.get(key)
            if app is None or time.monotonic() - self._checked.get(key, 0) >= ALIVE_CHECK_S:
                return None
            now = self.clock()
            if now - app.started_at > self.token_ttl_s / 2:
                return None
            self._used[key] = now
            return app.sock_dir
        finally:
            lock.release()

    def suspect(self, instance: str, slug: str) -> None:
        """The app's socket did not answer: ask the engine on its next request."""
        with self._guard:
            self._checked.pop((instance, slug), None)

    def sock_dir(self, instance: str, slug: str, domain: str) -> str:
        """The running app's socket directory, starting (or restarting) its container when
        needed: first use, after an idle stop or an eviction, a dead container, or a token past
        half its life."""
        key = (instance, slug)
        with self.lock(instance, slug):
            self._used[key] = self.clock()
            app = self._running.get(key)
            if app is not None and self._fresh(key, app):
                return app.sock_dir
            self.stop_locked(instance, slug)
            return self._start_locked(instance, slug, domain)

    def _fresh(self, key: Key, app: RunningApp) -> bool:
        if self.clock() - app.started_at > self.token_ttl_s / 2:
            return False
        now = time.monotonic()
        if now - self._checked.get(key, 0) < ALIVE_CHECK_S:
            return True
        self._checked[key] = now
        return self.runner().alive(app)

    def _start_locked(self, instance: str, slug: str, domain: str) -> str:
        installed = self.records.get(self.instances.get(instance), slug)
        if installed is None:
            raise NotFound(f"{slug} is not installed in {instance}")
        if installed.manifest is None:
            raise AppUnavailable(f"{slug} was installed under older rules; reinstall it from "
                                 "the store")
        image = installed.image_id
        key = (instance, slug)
        name = self.container_name(instance, slug)
        try:
            runner = self.runner()
            if not image or runner.engine.image_labels(image).get("selfdata.sha256") != \
                    installed.sha256:
                why = "this engine has no image built from the installed release"
                self.reinstall_needed[key] = why
                raise AppUnavailable(f"{slug}: {why}; reinstall it from the store (your "
                                     "dashboard has a button)")
            app = None
            for _ in range(3):   # adopt, or create; a lost race on the name: adopt then
                found = runner.engine.find(name)
                deadline = time.monotonic() + self.start_timeout_s
                while found is not None and found.status == "created" and \
                        time.monotonic() < deadline:
                    # another process created it and is starting it; the engine has no
                    # event to wait for here
                    time.sleep(0.05)
                    found = runner.engine.find(name)
                if found is not None:
                    app = self._adoptable(found, installed.stamp)
                    if app is not None:
                        self.stats["adopted"] += 1
                        break
                    _discard(runner.engine, found)
                self._make_room(name)
                token = self.token_for(instance, slug)
                extra = self.page_env(instance, installed.manifest, token,
                                      domain) if self.page_env else None
                try:
                    app = runner.start(image, installed.manifest, token, self.api_for(instance),
                                       domain, labels={"selfdata.app": slug,
                                                       "selfdata.instance": instance,
                                                       "selfdata.owner": self.owner,
                                                       INSTALL_LABEL: installed.stamp},
                                       extra_env=extra, name=name, started_at=self.clock())
                except NameTaken:
                    continue
                self.stats["starts"] += 1
                break
            if app is None:
                raise AppUnavailable(f"{slug} cannot start: its container keeps changing")
        except EngineError as exc:
            raise AppUnavailable(f"{slug} cannot start: {exc}") from exc
        try:
            health = runner.wait_healthy(app, installed.manifest.runtime.health_path,
                                         self.start_timeout_s)
        except Exception:
            runner.stop(app)
            raise
        if not health.ok:
            runner.stop(app)
            raise AppUnavailable(f"{slug} did not start: {health.detail}")
        self._running[key] = app
        self._checked[key] = time.monotonic()
        self._used[key] = self.clock()
        self.flush_uses([key])   # at once: another process's eviction sees it as recent
        return app.sock_dir

    def _adoptable(self, found: Container, stamp: str) -> RunningApp | None:
        """``found`` as this process's running app, if it may serve: running, of the current
        install, its token not past half its life, its API still served by its starter."""
        sock = found.labels.get(SOCKDIR_LABEL, "")
        try:
            started = float(found.labels.get(STARTED_LABEL, "0"))
        except ValueError:
            return None
        with self._guard:
            if found.id in self._removing:
                return None
        if not found.running or found.labels.get(INSTALL_LABEL) != stamp or not sock or \
                self.clock() - started > self.token_ttl_s / 2 or not bridge_listening(sock):
            return None
        own = self.runner().bridges.serves(f"{sock}/api.sock")
        return RunningApp(found.id, sock, found.labels.get("selfdata.app", ""), started,
                          own=own)

    # -- the cap, idleness, last use -------------------------------------------------------

    def _listing(self) -> list[Container]:
        return self.runner().engine.listing(f"selfdata.owner={self.owner}")

    @staticmethod
    def _key_of(c: Container) -> Key:
        return c.labels.get("selfdata.instance", ""), c.labels.get("selfdata.app", "")

    def _make_room(self, starting: str) -> None:
        """Evict the least recently used containers until one more fits under the cap."""
        others = [c for c in self._live(self._listing()) if c.running and c.name != starting]
        self._evict_lru(others, len(others) - (self.max_running - 1))

    def _evict_lru(self, running: list[Container], excess: int) -> None:
        if excess <= 0:
            return
        uses = self.last_uses()

        def last(c: Container) -> float:
            return max(uses.get(self._key_of(c), 0.0), _started(c))

        for c in sorted(running, key=last):
            if excess <= 0:
                break
            if self._remove(c, wait=False):   # one busy right now is passed over
                excess -= 1
                self.stats["evictions"] += 1
                log.info("app %s of %s stopped to make room (cap %d)", *reversed(
                    self._key_of(c)), self.max_running)

    def _remove(self, c: Container, wait: bool = True) -> bool:
        """Remove ``c`` unless this process is busy with its app (its lock is held); with
        ``wait=False`` the engine's removal (a few hundred ms) goes on in a thread of its own,
        so a start that evicts need not wait for it (:meth:`settle` waits)."""
        key = self._key_of(c)
        lock = self.lock(*key)
        if not lock.acquire(blocking=False):
            return False
        try:
            app = self._running.get(key)
            if app is not None and app.container_id == c.id:
                del self._running[key]
            else:
                app = None
            runner = self.runner()
            with self._guard:
                self._removing.add(c.id)

            def remove() -> None:
                try:
                    if app is not None:
                        runner.stop(app, keep_logs=False)
                    else:
                        runner.engine.remove(c.id)
                finally:
                    with self._guard:
                        self._removing.discard(c.id)

            if wait:
                remove()
            else:
                with self._guard:
                    self._pending = [f for f in self._pending if not f.done()]
                    self._pending.append(self._stopper.submit(remove))
            return True
        finally:
            lock.release()

    def settle(self) -> None:
        """Wait for the removals still under way."""
        with self._guard:
            pending = list(self._pending)
        for f in pending:
            f.result()

    def _live(self, listing: list[Container]) -> list[Container]:
        with self._guard:
            return [c for c in listing if c.id not in self._removing]

    def reap(self) -> list[Key]:
        """One pass of the reaper: write this process's uses, stop the containers idle for
        ``idle_s`` (or dead), trim to the cap, and let go of this process's bridges whose
        containers another process removed. Returns the apps stopped as idle."""
        now = self.clock()
        self.flush_uses()
        listing = self._live(self._listing())
        if not listing and not self._running:
            return []   # nothing runs: no need to read the uses
        uses = self.last_uses()
        stopped, gone = [], set()
        for c in listing:
            key = self._key_of(c)
            if (not c.running or now - max(uses.get(key, 0.0), _started(c)) >= self.idle_s) \
                    and self._remove(c):
                gone.add(c.id)
                if c.running:
                    stopped.append(key)
                    self.stats["idle_stops"] += 1
        left = [c for c in listing if c.id not in gone]
        self._evict_lru([c for c in left if c.running], sum(c.running for c in left) -
                        self.max_running)
        present = {c.id for c in left}
        for key, app in list(self._running.items()):
            if app.container_id in present:
                continue
            lock = self.lock(*key)
            if lock.acquire(blocking=False):
                try:
                    if self._running.get(key) is app:
                        del self._running[key]
                        if app.own:
                            self.runner().release(app.sock_dir)
                finally:
                    lock.release()
        return stopped

    def _reap_loop(self) -> None:
        while not self._stopping.wait(self.reap_every_s):
            try:
                self.reap()
            except Exception as exc:  # the engine or the database away for a moment
                log.warning("the app reaper's pass failed (next in %g s): %s",
                            self.reap_every_s, exc)

    def flush_uses(self, keys: Iterable[Key] | None = None) -> None:
        """Write the last uses seen here and not written yet (of ``keys``, or all)."""
        used = dict(list(self._used.items()))   # a snapshot: requests add to it meanwhile
        pending = [(k, used[k]) for k in (used if keys is None else keys)
                   if k in used and used[k] > self._flushed.get(k, 0.0)]
        if not pending:
            return
        ins = (sqlite.insert if self.db.is_sqlite else postgresql.insert)(app_use)
        stmt = ins.on_conflict_do_update(
            index_elements=[app_use.c.instance, app_use.c.slug],
            set_={"used_at": ins.excluded.used_at},
            where=app_use.c.used_at < ins.excluded.used_at)
        with self.db.write() as conn:
            conn.execute(stmt, [{"instance": i, "slug": s, "used_at": t}
                                for (i, s), t in pending])
        for k, t in pending:
            self._flushed[k] = t

    def last_uses(self) -> dict[Key, float]:
        """Every app's last use, as written by every process, with this one's on top."""
        with self.db.read() as conn:
            uses = {(r.instance, r.slug): r.used_at for r in conn.execute(sa.select(app_use))}
        for k, t in list(self._used.items()):
            uses[k] = max(t, uses.get(k, 0.0))
        return uses

    # -- stopping --------------------------------------------------------------------------

    def stop_locked(self, instance: str, slug: str) -> None:
        """Stop the app's container, whichever process started it; the caller holds
        :meth:`lock` for the pair."""
        app = self._running.pop((instance, slug), None)
        if app is not None:
            self.runner().stop(app)
            return
        try:   # another process's, or none
            engine = self.runner().engine
            found = engine.find(self.container_name(instance, slug))
            if found is not None:
                engine.remove(found.id)
        except EngineError:
            pass   # no engine: nothing runs

    def close(self) -> None:
        """Stop the containers this process serves (their API goes with it); adopted ones are
        their starters' to stop."""
        self._stopping.set()
        if self._reaper is not None:
            self._reaper.join(10)
        self._stopper.shutdown(wait=True)
        for instance, slug in list(self._running):
            with self.lock(instance, slug):
                app = self._running.pop((instance, slug), None)
                if app is not None and app.own:
                    self.runner().stop(app, keep_logs=False)
        if self._runner is not None:
            self._runner.bridges.shutdown()


def _started(c: Container) -> float:
    try:
        return float(c.labels.get(STARTED_LABEL, "0"))
    except ValueError:
        return 0.0


def _discard(engine: Engine, c: Container) -> None:
    """Remove ``c``, and its socket folder when no process serves it any more (its starter is
    gone: nobody else would remove it)."""
    engine.remove(c.id)
    sock = c.labels.get(SOCKDIR_LABEL, "")
    if sock and os.path.basename(sock).startswith("sd-") and not bridge_listening(sock):
        sockdir.remove(sock)
