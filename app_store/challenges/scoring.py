"""Scoring runs: a submission's image against each scoring household of a challenge.

For each household (a few at a time, ``scoring_parallel``): the household is generated from
its set's seed, loaded into a fresh scratch instance (only the doctypes its manifest names)
without its ground truth (nor, for a forecast, the held-out month), the app is installed
there with its manifest's permissions only and started in the same locked-down container as
the smoke run (:class:`AppSession`), its analysis is triggered through the runtime hook
(``POST /selfdata/challenge``, docs/challenges.md) with the challenge's time limit, and the
findings it wrote are read back, checked against the kind's JSON Schema and scored. Results
are stored household by household, so a run interrupted by a restart resumes where it
stopped; the same image and the same seeds give the same score.

Nothing here stores or raises anything that holds the hidden seed: a household's error is told
by its type and the household's label (``hidden-3``); the store's log gets the traceback with
the hidden seed masked.
"""

from __future__ import annotations

import http.client
import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import orjson
from jsonschema import Draft202012Validator

from app_store.challenges import households as hs
from app_store.challenges import kinds
from app_store.challenges.definition import Definition
from app_store.challenges.service import Challenges, findings_doctype
from app_store.smoke import AppSession
from sandbox.contract.doctypes import covers
from sandbox.contract.manifest import Manifest
from sandbox.runtime.bridge import app_request
from sandbox.runtime.runner import AppRunner
from sandbox.scratch import ScratchSandbox
from synthetic_data.population import generate_household
from synthetic_data.tariff_options import option_costs

log = logging.getLogger("selfdata.store")
HOOK = "/selfdata/challenge"
MAX_FINDINGS = 5000


def hook_body(d: Definition, doctype: str) -> bytes:
    """What the app receives on the hook: enough to know what to produce and where."""
    body = {"challenge": d.key, "kind": d.kind, "findings_doctype": doctype}
    if d.kind == "event-detection":
        body["event_kinds"] = list(d.event_kinds)
    hold = kinds.holdout(d)
    if hold is not None:
        body.update(target=d.target, month=hold.strftime("%Y-%m"))
    return orjson.dumps(body)


def check_findings(d: Definition, docs: list[dict]) -> tuple[list[dict], int, str]:
    """(findings that follow the schema, how many do not, the first problem in words)."""
    validator = Draft202012Validator(kinds.schema(d))
    good, bad, first = [], 0, ""
    for doc in docs:
        err = next(iter(validator.iter_errors(doc)), None)
        if err is None and d.kind == "event-detection":
            try:
                kinds.spans(d, [doc])
            except ValueError:
                err_text = f"{doc.get('start')!r} or {doc.get('end')!r} is not a real day"
                bad, first = bad + 1, first or err_text
                continue
        if err is None:
            good.append(doc)
        else:
            bad += 1
            where = "/".join(str(p) for p in err.absolute_path) or "(the finding)"
            first = first or f"{where}: {err.message[:200]}"
    return good, bad, first


class ScoringRunner:
    def __init__(self, challenges: Challenges, parts: Callable[[], tuple[AppRunner,
                 ScratchSandbox]], owner: str, parallel: int, health_timeout_s: float):
        self.challenges = challenges
        self.parts = parts
        self.owner = owner
        self.parallel = parallel
        self.health_timeout_s = health_timeout_s

    def run(self, run_id: int) -> dict:
        run = self.challenges.run_row(run_id)
        d, _ = self.challenges.definition(run.challenge)
        image, manifest, slug = self.challenges.image_and_manifest(run_id)
        done = self.challenges.finished(run_id)
        todo = [h for h in self.challenges.scoring_households(run.challenge)
                if (h.set, h.index) not in done]
        with ThreadPoolExecutor(max(1, self.parallel), thread_name_prefix="scoring") as pool:
            for f in [pool.submit(self.household, run_id, d, image, manifest, slug, h)
                      for h in todo]:
                f.result()
        return self.challenges.finish(run_id)

    def _seed(self, d: Definition, h: hs.Scored) -> int:
        return d.public_seed if h.set == hs.PUBLIC else self.challenges.secret_seed(d.key)

    def household(self, run_id: int, d: Definition, image: str, manifest: Manifest,
                  slug: str, h: hs.Scored) -> None:
        try:
            self._household(run_id, d, image, manifest, slug, h)
        except Exception as exc:  # one household's surprise is that household's error
            # the organisers' log gets the traceback, the hidden seed masked
            told = traceback.format_exc()
            told = told.replace(str(self.challenges.secret_seed(d.key)), "<hidden seed>")
            log.error("scoring run %s, household %s: %s", run_id, h.label, told)
            self.challenges.record(run_id, h, ok=False, result=None, error=f"the store could "
                                   f"not score this household ({type(exc).__name__}); the "
                                   "organisers can look at the store's log", findings=0,
                                   out_of_schema=0, refused=[], timings={})

    def _household(self, run_id: int, d: Definition, image: str, manifest: Manifest,
                   slug: str, h: hs.Scored) -> None:
        runner, scratch = self.parts()
        timings: dict[str, float] = {}
        t = time.perf_counter()

        def lap(step: str) -> None:
            nonlocal t
            now = time.perf_counter()
            timings[step] = round(now - t, 3)
            t = now

        data = generate_household(self._seed(d, h), h.index, hs.period(d.year))
        batches = [(b.doctype, b.dicts()) for b in data.batches]
        costs = option_costs(self._seed(d, h), h.index, hs.period(d.year)) \
            if d.kind == "advice" else None
        truth = kinds.truth(d, batches, costs)
        lap("generate")
        # only what the app may read is loaded: the rest would be refused all the same, and a
        # household-year is ~60,000 documents
        readable = [(t, docs) for t, docs in batches
                    if any(covers(r.type, t) for r in manifest.permissions)]
        name, token = scratch.new_household(manifest, readable, kinds.holdout(d))
        del data, batches
        lap("instance")
        doctype = findings_doctype(d, slug)
        error = None
        try:
            session = AppSession(runner, scratch, name, token, image, manifest,
                                 {"selfdata.scoring": "1", "selfdata.app": manifest.slug,
                                  "selfdata.owner": self.owner})
            with session:
                health = session.wait_healthy(self.health_timeout_s)
                lap("container_start")
                if not health.ok:
                    error = f"the app did not start: {health.detail}"
                else:
                    error = self._analyse(session, d, doctype)
                    lap("analysis")
            docs = scratch.documents(name, doctype, MAX_FINDINGS + 1)
            usage = scratch.usage(name)
            lap("read_back")
        finally:
            scratch.drop(name)
        refused = sorted(f"{u['doctype']} ({u['denied']} request(s))" for u in usage
                         if u["denied"])
        good, bad, first = check_findings(d, docs)
        if error is None and len(docs) > MAX_FINDINGS:
            error = f"more than {MAX_FINDINGS} findings; write only what you found"
        if error is None and docs and not good:
            error = (f"malformed findings: none of the {len(docs)} finding(s) follows the "
                     f"challenge's schema (first problem: {first})")
        result = None if error else kinds.household_result(d, good, truth)
        self.challenges.record(run_id, h, ok=error is None, result=result, error=error,
                               findings=len(docs), out_of_schema=bad, refused=refused,
                               timings=timings)

    def _analyse(self, session: AppSession, d: Definition, doctype: str) -> str | None:
        """Trigger the analysis; None when the app says it is done, else why not."""
        try:
            reply = app_request(session.app.sock_dir, "POST", HOOK, hook_body(d, doctype),
                                d.time_limit_s)
        except TimeoutError:
            return f"the analysis took longer than the time limit ({d.time_limit_s:g} s)"
        except (OSError, http.client.HTTPException) as exc:
            return f"the analysis hook did not answer properly ({type(exc).__name__}); " \
                f"answer POST {HOOK} once the findings are written"
        if not 200 <= reply.status_code < 300:
            return f"the analysis hook answered {reply.status_code}; answer POST {HOOK} with 200 " \
                "once the findings are written"
        return None
