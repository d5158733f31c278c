"""Start an app image locked down, wired to a sandbox through sockets; wait for its health.

Used by the store's smoke run and by the sandbox's installs, so both run apps the same way.
"""

from __future__ import annotations

import http.client
import os
import time
from dataclasses import dataclass, field

from sandbox.contract.manifest import Manifest
from sandbox.runtime import sockdir
from sandbox.runtime.bridge import SocketBridges, UnsafeSocket, app_get
from sandbox.runtime.engine import ContainerState, Engine, RunSpec
from sandbox.runtime.hardening import API_PORT, APP_PORT, RunLimits

API_URL = f"http://127.0.0.1:{API_PORT}"   # the sandbox, as the shim shows it to the app
SOCKDIR_LABEL = "selfdata.sockdir"
STARTED_LABEL = "selfdata.started"


@dataclass
class RunningApp:
    container_id: str
    sock_dir: str
    slug: str
    started_at: float = field(default_factory=time.time)
    # this process serves its api.sock (it started it); False: adopted from another process
    own: bool = True


@dataclass
class Health:
    ok: bool
    status: int | None
    seconds: float
    detail: str


def app_env(manifest: Manifest, token: str, domain: str, cozy_url: str = API_URL,
            port: int = APP_PORT, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What an app finds in its environment, in a container or in ``selfdata dev``;
    ``extra``: the page values a python app may write in its pages (``page_env``)."""
    return {**(extra or {}), "COZY_URL": cozy_url, "COZY_TOKEN": token, "COZY_DOMAIN": domain,
            "PORT": str(port), "SELFDATA_APP_SLUG": manifest.slug,
            "SELFDATA_APP_NAME": manifest.name, "SELFDATA_APP_EDITOR": manifest.editor}


class AppRunner:
    def __init__(self, engine: Engine, bridges: SocketBridges, limits: RunLimits | None = None):
        self.engine = engine
        self.bridges = bridges
        self.limits = limits or RunLimits()

    def start(self, image: str, manifest: Manifest, token: str, api_app, domain: str,
              labels: dict[str, str], extra_env: dict[str, str] | None = None,
              name: str | None = None, started_at: float | None = None) -> RunningApp:
        """Run ``image`` with ``api_app`` (an ASGI app, normally the sandbox behind its gate)
        answering on the container's ``http://127.0.0.1:8080``. With ``name``, a container of
        that name already there raises :class:`~sandbox.runtime.engine.NameTaken` (and this
        start leaves nothing behind). The container's labels carry its socket folder
        (``selfdata.sockdir``) and start time (``selfdata.started``), so another process can
        adopt it."""
        sock_dir, _capped = sockdir.make()
        api_sock = os.path.join(sock_dir, "api.sock")
        started = time.time() if started_at is None else started_at
        labels = {**labels, SOCKDIR_LABEL: sock_dir, STARTED_LABEL: repr(started)}
        try:
            self.bridges.serve(api_sock, api_app)
            cid = self.engine.start(RunSpec(image=image, sock_dir=sock_dir,
                                            env=app_env(manifest, token, domain,
                                                        extra=extra_env),
                                            limits=self.limits, labels=labels, name=name))
        except Exception:
            self.bridges.close(api_sock)
            sockdir.remove(sock_dir)
            raise
        return RunningApp(cid, sock_dir, manifest.slug, started)

    def wait_healthy(self, app: RunningApp, path: str, timeout_s: float) -> Health:
        started = time.monotonic()
        last = "no answer"
        while time.monotonic() - started < timeout_s:
            state = self.engine.state(app.container_id)
            if not state.running:
                return Health(False, None, time.monotonic() - started,
                              f"the container stopped (exit code {state.exit_code}"
                              f"{', out of memory' if state.oom_killed else ''})")
            try:
                r = app_get(app.sock_dir, path, timeout_s=5)
                if r.status_code == 200:
                    return Health(True, 200, time.monotonic() - started, "")
                last = f"{path} answered {r.status_code}"
            except UnsafeSocket as exc:
                last = str(exc)
            except (OSError, http.client.HTTPException) as exc:
                last = f"{path}: {type(exc).__name__}"
            # most apps answer within a second: look often then, less after
            time.sleep(0.02 if time.monotonic() - started < 2 else 0.1)
        return Health(False, None, time.monotonic() - started,
                      f"no 200 from {path} within {timeout_s:.0f} s ({last})")

    def alive(self, app: RunningApp) -> bool:
        try:
            return self.engine.state(app.container_id).running
        except Exception:
            return False

    def stop(self, app: RunningApp, keep_logs: bool = True) -> tuple[str, ContainerState | None]:
        """Remove the container; close its bridge and socket folder when this process serves
        them (an adopted app's are its starter's: it closes them, see :meth:`release`)."""
        logs, state = "", None
        if keep_logs:
            logs = self.engine.logs(app.container_id)
            try:
                state = self.engine.state(app.container_id)
            except Exception:
                state = None
        self.engine.remove(app.container_id)
        if app.own:
            self.release(app.sock_dir)
        return logs, state

    def release(self, sock_dir: str) -> None:
        """Close this process's bridge into ``sock_dir`` and remove the folder (its container
        is gone)."""
        self.bridges.close(os.path.join(sock_dir, "api.sock"))
        sockdir.remove(sock_dir)
