"""The event in one process: sandbox and store served on loopback, the sample apps submitted,
built, approved and two installed for the first tester, when a Docker engine is there."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

from app_store import accounts
from app_store.packing import pack
from app_store.settings import StoreSettings

INSTALL_FOR_FIRST = ("energy-coach", "my-calls")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


def serve_in_thread(app, port: int) -> _Server:
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    server.thread = threading.Thread(target=server.run, daemon=True, name=f"serve-{port}")
    server.thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server on port {port} did not start")
        time.sleep(0.05)
    return server


def stop_on_sigterm() -> None:
    """SIGTERM ends a foreground command like Ctrl-C does, so its shutdown runs (apps'
    containers stopped, workers joined) instead of the process vanishing."""
    import signal

    def _interrupt(*_args) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)


def shutdown(servers: list) -> None:
    """Ask each server to stop and wait for its shutdown (lifespan included)."""
    for s in servers:
        s.should_exit = True
    for s in servers:
        s.thread.join(30)


@dataclass
class EventState:
    organiser_token: str = ""
    team_token: str = ""
    judge_token: str = ""
    engine: str = ""
    apps: dict[str, str] = field(default_factory=dict)      # slug → final state or reason
    installed: list[str] = field(default_factory=list)


def prepare_store(store_app, state: EventState) -> None:
    st = store_app.state.store
    for role, name, attr in (("organiser", "Organisers", "organiser_token"),
                             ("team", "Sample apps", "team_token"),
                             ("judge", "Judge One", "judge_token")):
        _, token = accounts.create(st.db, name, role)
        setattr(state, attr, token)


def submit_samples(store_url: str, state: EventState, sample_dir: Path,
                   say: Callable[[str], None], timeout_s: float = 600) -> None:
    """Submit every sample app as the sample team, wait, approve what passed."""
    team = {"Authorization": f"Bearer {state.team_token}"}
    org = {"Authorization": f"Bearer {state.organiser_token}"}
    ids = {}
    for d in sorted(p for p in sample_dir.iterdir() if (p / "manifest.webapp").is_file()):
        r = httpx.post(f"{store_url}/api/submissions", params={"filename": f"{d.name}.tar.gz"},
                       content=pack(d), headers=team, timeout=60)
        r.raise_for_status()
        ids[d.name] = r.json()["id"]
    say(f"Submitted {len(ids)} sample apps; building and smoke-running them ...")
    deadline = time.monotonic() + timeout_s
    pending = dict(ids)
    while pending and time.monotonic() < deadline:
        time.sleep(0.5)
        for name, sid in list(pending.items()):
            info = httpx.get(f"{store_url}/api/submissions/{sid}", headers=team, timeout=30).json()
            if info["state"] == "awaiting-review":
                httpx.post(f"{store_url}/api/submissions/{sid}/review", headers=org, timeout=30,
                           json={"decision": "approve", "reason": "sample app"})
                state.apps[name] = "approved"
                say(f"  {name}: approved")
                del pending[name]
            elif info["state"] in ("failed", "rejected"):
                state.apps[name] = f"{info['state']}: {info['reason']}"
                say(f"  {name}: {info['state']} — {info['reason']}")
                del pending[name]
    for name in pending:
        state.apps[name] = "still in the queue"


def install_for(sandbox_app, instance: str, registry: str, state: EventState,
                say: Callable[[str], None]) -> None:
    ins = sandbox_app.state.installer
    for slug in INSTALL_FOR_FIRST:
        if state.apps.get(slug) != "approved":
            continue
        try:
            ins.install(instance, ins.release(registry, slug))
            state.installed.append(slug)
        except Exception as exc:  # the event goes on; say what went wrong
            say(f"  could not install {slug} for {instance}: {exc}")


def store_settings_for(port: int, sandbox_port: int, data: Path) -> StoreSettings:
    return StoreSettings.from_env(database_url=f"sqlite:///{data / 'store.db'}",
                                  data_dir=data / "store", port=port,
                                  sandbox_url=f"http://localhost:{sandbox_port}")
