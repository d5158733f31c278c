"""The event in one process: sandbox and store served on loopback, the sample apps submitted,
built, approved and two installed for the first tester, when a Docker engine is there."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from app_store import accounts
from app_store.challenges.definition import read_file
from app_store.client import SETTLED, StoreClient
from app_store.packing import pack
from app_store.settings import StoreSettings
from sandbox.settings import Settings

INSTALL_FOR_FIRST = ("energy-coach", "my-calls")
# On stop, connections still open after this are closed (an app's or a browser's lingering
# connection must not hold the event's shutdown), then the lifespan's shutdown runs.
GRACEFUL_S = 10


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


def listening_socket(port: int = 0) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: a free one, read back with getsockname)."""
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def serve_in_thread(app, sock: socket.socket, lifespan: str = "on") -> _Server:
    """Serve ``app`` from a thread on a bound socket (see :func:`listening_socket`)."""
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                    lifespan=lifespan, timeout_graceful_shutdown=GRACEFUL_S))
    server.port = port
    server.thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                     daemon=True, name=f"serve-{port}")
    server.thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # uvicorn sets the flag; it offers no event to wait on
        if time.monotonic() > deadline or not server.thread.is_alive():
            raise RuntimeError(f"the server on port {port} did not start")
        time.sleep(0.05)
    return server


def _serve_worker(env: dict[str, str], sock: socket.socket) -> None:
    """One sandbox worker process: the ASGI factory on the shared socket (settings from
    ``env``, as ``selfdata serve`` passes them)."""
    os.environ.update(env)
    config = uvicorn.Config("sandbox.web.asgi:build", factory=True, log_level="warning",
                            access_log=False, lifespan="on",
                            timeout_graceful_shutdown=GRACEFUL_S)
    uvicorn.Server(config).run(sockets=[sock])


class Workers:
    """The sandbox served by ``count`` processes accepting on one bound socket (the kernel
    hands each connection to one of them), as ``selfdata serve --workers`` does; for
    :func:`shutdown` it looks like a server started by :func:`serve_in_thread`."""

    def __init__(self, sock: socket.socket, count: int, env: dict[str, str],
                 timeout_s: float = 60):
        self.port = sock.getsockname()[1]
        sock.listen(2048)
        ctx = multiprocessing.get_context("spawn")
        self.processes = [ctx.Process(target=_serve_worker, args=(env, sock), daemon=True,
                                      name=f"sandbox-worker-{n}") for n in range(count)]
        for proc in self.processes:
            proc.start()
        self._asked = threading.Event()  # set when the event is asked to stop
        self.thread = threading.Thread(target=self._join, daemon=True,
                                       name=f"workers-{self.port}")
        self._wait_started(timeout_s)
        self.thread.start()

    def _wait_started(self, timeout_s: float) -> None:
        """Until the socket answers (a worker still starting accepts nothing: the kernel
        gives the connections to those that do)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(not p.is_alive() for p in self.processes):
                break
            if _answers(self.port):
                return
            time.sleep(0.1)
        self._stop()
        raise RuntimeError(f"the sandbox workers on port {self.port} did not start")

    @property
    def should_exit(self) -> bool:
        """Asked to stop, or a worker died (the event stops then, as one server would)."""
        return self._asked.is_set() or any(not p.is_alive() for p in self.processes)

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        if value and not self._asked.is_set():
            for proc in self.processes:
                if proc.is_alive() and proc.pid is not None:
                    os.kill(proc.pid, signal.SIGTERM)  # uvicorn shuts down gracefully
            self._asked.set()

    @property
    def force_exit(self) -> bool:
        return False

    @force_exit.setter
    def force_exit(self, value: bool) -> None:
        if value:
            self._stop()

    def _join(self) -> None:
        self._asked.wait()
        deadline = time.monotonic() + 30  # for all of them: they stop side by side
        for proc in self.processes:
            proc.join(max(0.0, deadline - time.monotonic()))

    def _stop(self) -> None:
        for proc in self.processes:
            if proc.is_alive():
                proc.kill()
            proc.join(10)


def serve_sandbox(app, sock: socket.socket, workers: int = 1):
    """The event's sandbox on ``sock``: ``app`` served from a thread of this process, or,
    with ``workers`` > 1, ``workers`` processes of its settings (``app`` then stays here
    for what the command does itself: installs, the clock)."""
    if workers <= 1:
        return serve_in_thread(app, sock)
    s: Settings = app.state.sandbox.settings
    env = {"SELFDATA_DATABASE_URL": s.database_url, "SELFDATA_PORT": str(s.port),
           "SELFDATA_REGISTRY_URL": s.registry_url,
           "SELFDATA_LIVE_ADMIN_TOKEN": s.live_admin_token}
    return Workers(sock, workers, env)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"GET /status/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return conn.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


def stop_on_sigterm() -> None:
    """SIGTERM ends a foreground command like Ctrl-C does, so its shutdown runs (apps'
    containers stopped, workers joined) instead of the process vanishing."""

    def _interrupt(*_args) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)


def shutdown(servers: list, timeout_s: float = 30) -> None:
    """Ask each server to stop and wait for its shutdown (lifespan included); one that does
    not stop in time is forced."""
    for s in servers:
        s.should_exit = True
    for s in servers:
        s.thread.join(timeout_s)
        if s.thread.is_alive():
            s.force_exit = True
            s.thread.join(timeout_s)


@dataclass
class EventState:
    organiser_token: str = ""
    team_token: str = ""
    judge_token: str = ""
    engine: str = ""
    apps: dict[str, str] = field(default_factory=dict)      # slug → final state or reason
    installed: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)     # keys, opened


def prepare_store(store_app, state: EventState, challenges: Path | None = None) -> None:
    """The event's accounts, and the challenges of ``challenges`` (a JSON list) created and
    opened, so that sample apps submitted next are scored."""
    st = store_app.state.store
    made = {}
    for role, name, attr in (("organiser", "Organisers", "organiser_token"),
                             ("team", "Sample apps", "team_token"),
                             ("judge", "Judge One", "judge_token")):
        made[role], token = accounts.create(st.db, name, role)
        setattr(state, attr, token)
    if challenges is not None:
        for item in read_file(challenges.read_text(encoding="utf-8")):
            st.challenges.create(made["organiser"], item)
            st.challenges.act(made["organiser"], item["key"], "open")
            state.challenges.append(item["key"])


def submit_samples(store_url: str, state: EventState, sample_dir: Path,
                   say: Callable[[str], None], timeout_s: float = 600) -> None:
    """Submit every sample app as the sample team, wait, approve what passed."""
    team = StoreClient(store_url, state.team_token)
    org = StoreClient(store_url, state.organiser_token)
    try:
        ids = {d.name: team.submit(pack(d), f"{d.name}.tar.gz")
               for d in sorted(p for p in sample_dir.iterdir()
                               if (p / "manifest.webapp").is_file())}
        say(f"Submitted {len(ids)} sample apps; building and smoke-running them ...")
        deadline = time.monotonic() + timeout_s
        for name, sid in ids.items():
            try:
                info = team.wait(sid, max(1.0, deadline - time.monotonic()), every_s=0.5,
                                 on_state=_say_step(name, say))
            except TimeoutError:
                state.apps[name] = "still in the queue"
                continue
            if info["state"] == "awaiting-review":
                org.review(sid, "approve", "sample app")
                state.apps[name] = "approved"
                say(f"  {name}: approved")
            else:
                state.apps[name] = f"{info['state']}: {info['reason']}"
                say(f"  {name}: {info['state']} — {info['reason']}")
    finally:
        team.close()
        org.close()


def _say_step(name: str, say: Callable[[str], None]) -> Callable[[str], None]:
    """Say each step a submission reaches until it settles (the outcome is said after)."""
    def step(state: str) -> None:
        if state not in SETTLED:
            say(f"  {name}: {state} ...")
    return step


def install_for(sandbox_app, instance: str, registry: str, state: EventState,
                say: Callable[[str], None]) -> None:
    apps = sandbox_app.state.apps
    for slug in INSTALL_FOR_FIRST:
        if state.apps.get(slug) != "approved":
            continue
        say(f"Installing {slug} for {instance} (starting its container) ...")
        try:
            apps.install(instance, apps.release(registry, slug))
            state.installed.append(slug)
        except Exception as exc:  # the event goes on; say what went wrong
            say(f"  could not install {slug} for {instance}: {exc}")


def store_settings_for(port: int, sandbox_port: int, data: Path, live_admin_token: str = "",
                       live_faults: str = "") -> StoreSettings:
    """The event's store; with a live run, the sandbox's organiser token for the console's
    Live time panel."""
    return StoreSettings.from_env(database_url=f"sqlite:///{data / 'store.db'}",
                                  data_dir=data / "store", port=port,
                                  sandbox_url=f"http://localhost:{sandbox_port}",
                                  live_admin_token=live_admin_token, live_faults=live_faults)


def sandbox_settings_for(database_url: str, port: int, store: StoreSettings,
                         live_admin_token: str = "") -> Settings:
    """The sandbox of the event: it installs from the event's store and runs apps with the
    same container limits as the store's smoke runs."""
    return Settings.from_env(database_url=database_url, port=port, registry_url=store.url,
                             app_limits=store.app_limits, live_admin_token=live_admin_token)
