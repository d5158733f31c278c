"""The smoke run: a built image started against a throwaway sandbox instance.

The store keeps one scratch sandbox (the sandbox's public API for it). Each run gets an
instance loaded with one synthetic household and the app installed there with exactly its
manifest's permissions, starts the container locked down, waits for the health route, opens
the app's page once, then reads the sandbox's access journal: the doctypes the app really read,
and any request refused as outside its permissions.
"""

from __future__ import annotations

import http.client
from dataclasses import asdict, dataclass, field

from sandbox.contract.consent import doctype_in_words
from sandbox.contract.manifest import Manifest
from sandbox.contract.problems import ERROR, WARNING, Problem
from sandbox.runtime.bridge import app_get
from sandbox.runtime.runner import AppRunner
from sandbox.scratch import ScratchSandbox


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

    def reads_in_words(self) -> str:
        """What the smoke run saw the app read, in a sentence (never a bare dash)."""
        if not self.read:
            return "it read no data during the smoke run"
        return f"it read {len(self.read)} kind{'s' if len(self.read) > 1 else ''} of data: " + \
            "; ".join(f"{doctype_in_words(d)} ({d})" for d in self.read)

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


class AppSession:
    """One locked-down container of ``image`` against instance ``name`` of a scratch sandbox:
    started on entry, stopped on exit (its logs and exit state kept). The smoke run and the
    challenges' scoring runs both start apps this way."""

    def __init__(self, runner: AppRunner, sandbox: ScratchSandbox, name: str, token: str,
                 image: str, manifest: Manifest, labels: dict[str, str]):
        self.runner, self.sandbox, self.name = runner, sandbox, name
        self.token, self.image, self.manifest, self.labels = token, image, manifest, labels
        self.logs = ""
        self.state = None

    def __enter__(self) -> AppSession:
        self.app = self.runner.start(self.image, self.manifest, self.token,
                                     self.sandbox.gate(self.name), self.sandbox.host(self.name),
                                     labels=self.labels)
        return self

    def wait_healthy(self, timeout_s: float):
        return self.runner.wait_healthy(self.app, self.manifest.runtime.health_path, timeout_s)

    def __exit__(self, *exc) -> None:
        logs, self.state = self.runner.stop(self.app)
        self.logs = logs[-8000:]


def smoke_run(runner: AppRunner, sandbox: ScratchSandbox, image: str, manifest: Manifest,
              health_timeout_s: float, owner: str = "") -> SmokeReport:
    name, token = sandbox.new_instance(manifest)
    report = SmokeReport(False, None, "")
    try:
        session = AppSession(runner, sandbox, name, token, image, manifest,
                             {"selfdata.smoke": "1", "selfdata.app": manifest.slug,
                              "selfdata.owner": owner})
        with session:
            health = session.wait_healthy(health_timeout_s)
            report.ok, report.detail = health.ok, health.detail
            report.health_seconds = round(health.seconds, 3) if health.ok else None
            if health.ok:
                try:
                    report.page_status = app_get(session.app.sock_dir, "/",
                                                 health_timeout_s).status_code
                except (OSError, http.client.HTTPException) as exc:
                    report.detail = f"the app's page / did not answer: {type(exc).__name__}"
        report.logs = session.logs
        state = session.state
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
