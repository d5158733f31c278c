"""The smoke run: a built image started against a throwaway sandbox instance.

The store keeps one private sandbox (its own SQLite file, reached only through each
container's socket and gate). Each run creates an instance loaded with one synthetic
household, installs the app there with exactly its manifest's permissions, starts the
container locked down, waits for the health route, opens the app's page once, then reads the
sandbox's access journal: the doctypes the app really read, and any request refused as
outside its permissions.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import orjson

from app_store.problems import ERROR, WARNING, Problem
from app_store.runtime.bridge import app_get
from app_store.runtime.runner import AppRunner
from sandbox.settings import Settings
from sandbox.storage.tables import apps as installed_apps
from synthetic_data.calendar_fr import Period

GROUND_TRUTH = "org.selfdata.groundtruth.event"
TEMPLATE = "smoke-template"


@dataclass
class SmokeReport:
    ok: bool
    health_seconds: float | None
    detail: str
    read: list[str] = field(default_factory=list)        # doctypes read
    written: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)     # "VERB doctype" outside the manifest
    page_status: int | None = None
    logs: str = ""
    exit_code: int | None = None
    oom_killed: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    def problems(self) -> list[Problem]:
        out = []
        tail = self.logs.strip().splitlines()[-3:]
        said = f" Its last output: {' | '.join(tail)}" if tail else ""
        if not self.ok:
            if self.oom_killed:
                out.append(Problem("runtime.out_of_memory", ERROR, "the app was stopped for "
                                   "using more memory than its limit; load less data at once "
                                   "(use pagination) and free what you no longer need." + said))
            elif self.exit_code is not None:
                out.append(Problem("runtime.crashed", ERROR, f"the app stopped (exit code "
                                   f"{self.exit_code}); run it with selfdata dev and read its "
                                   f"output.{said}"))
            else:
                out.append(Problem("runtime.no_health", ERROR, f"{self.detail}; listen on "
                                   "127.0.0.1:$PORT and answer the health route with 200 "
                                   "quickly (load data after, not before)." + said))
        elif self.page_status is None or self.page_status >= 400:
            out.append(Problem("runtime.page_error", ERROR, f"the app's page / answered "
                               f"{self.page_status or self.detail}; it is what testers open "
                               "first, make it answer 200." + said, "/"))
        for what in self.refused:
            out.append(Problem("runtime.outside_permissions", WARNING, f"the app asked for "
                               f"{what}, which its manifest does not allow, and was refused; "
                               "declare the permission or remove the request"))
        return out


class SmokeSandbox:
    """A private sandbox for smoke runs (its own SQLite file), made on first use. It is not
    served on any port: each container reaches it through its own socket and gate."""

    def __init__(self, data_dir: Path, seed: int):
        self.data_dir = data_dir
        self.seed = seed
        self._lock = threading.Lock()
        self._started = False
        self._counter = itertools.count(1)

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            from sandbox.web.app import create_app
            from synthetic_data.population import generate_household

            self.data_dir.mkdir(parents=True, exist_ok=True)
            db = self.data_dir / "smoke-sandbox.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            self.app = create_app(Settings(database_url=f"sqlite:///{db}", port=8080))
            self.sandbox = self.app.state.sandbox
            data = generate_household(self.seed, 0, Period.of_years(date(2017, 1, 1), 1))
            # one template instance; each run gets a copy made inside the database
            template = self.sandbox.instances.create(TEMPLATE, profile={"smoke": True})
            for b in data.batches:
                if b.doctype != GROUND_TRUTH:
                    docs = b.dicts()
                    for i in range(0, len(docs), 5000):
                        self.sandbox.store.load(template.id, b.doctype, docs[i:i + 5000])
            self._started = True

    def new_instance(self, manifest: dict) -> tuple[str, str]:
        """A fresh instance with the household and the app installed; (name, app token)."""
        self.start()
        sb = self.sandbox
        name = f"smoke{next(self._counter)}x{int(time.time() * 1000) % 10**8}"
        inst = sb.instances.clone(TEMPLATE, name)
        with sb.db.write() as conn:
            conn.execute(installed_apps.insert().values(
                instance_id=inst.id, slug=manifest["slug"],
                manifest=orjson.dumps(manifest).decode(),
                permissions=orjson.dumps(manifest.get("permissions", {})).decode(), state="smoke",
                installed_at=time.time()))
        return name, sb.app_token(name, manifest["slug"])

    def gate(self, name: str):
        from sandbox.web.app_gate import ApiGate

        return ApiGate(self.app, f"{name}.localhost:8080")

    def usage(self, name: str) -> list[dict]:
        """Every client's reads, writes and refusals in the instance (grouped, not sampled)."""
        return self.sandbox.journal.summary(self.sandbox.instances.get(name).id)

    def drop(self, name: str) -> None:
        self.sandbox.instances.delete(name)

    def stop(self) -> None:
        if self._started:
            self.sandbox.close()


def smoke_run(runner: AppRunner, sandbox: SmokeSandbox, image: str, manifest: dict,
              health_timeout_s: float, owner: str = "") -> SmokeReport:
    rt = manifest.get("runtime", {})
    health_path = rt.get("health", "/") if rt.get("type") == "python" else "/"
    name, token = sandbox.new_instance(manifest)
    report = SmokeReport(False, None, "")
    try:
        app = runner.start(image, manifest, token, sandbox.gate(name),
                           f"{name}.localhost:8080",
                           labels={"selfdata.smoke": "1", "selfdata.app": manifest["slug"],
                                   "selfdata.owner": owner})
        try:
            health = runner.wait_healthy(app, health_path, health_timeout_s)
            report.ok, report.detail = health.ok, health.detail
            report.health_seconds = round(health.seconds, 3) if health.ok else None
            if health.ok:
                try:
                    report.page_status = app_get(app.sock_dir, "/", health_timeout_s).status_code
                except Exception as exc:
                    report.detail = f"the app's page / did not answer: {type(exc).__name__}"
        finally:
            logs, state = runner.stop(app)
            report.logs = logs[-8000:]
            if state is not None:
                report.exit_code = None if state.running else state.exit_code
                report.oom_killed = state.oom_killed
        usage = sandbox.usage(name)
        report.read = sorted({u["doctype"] for u in usage if u["reads"]})
        report.written = sorted({u["doctype"] for u in usage if u["writes"]})
        report.refused = sorted({f"{u['doctype']} ({u['denied']} request(s))" for u in usage
                                 if u["denied"]})
    finally:
        sandbox.drop(name)
    return report
