"""Challenges kept in the store's tables: definitions and their state, entries (scoring runs)
with quotas, per-household results, and what each account may see of them.

Who sees what: a challenge's definition, schema, metric and public households are public; the
hidden set's seed never leaves this module's table (no method returns it but
:meth:`Challenges.secret_seed`, which only the scoring runner calls). A team sees its own runs'
public-leaderboard total, and the per-household breakdown of the *public* set only; private
totals and the private leaderboard appear once the organiser reveals the challenge (organisers
see them from the close on).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import sqlalchemy as sa

from app_store import accounts, pipeline
from app_store.accounts import Account
from app_store.challenges import households as hs
from app_store.challenges import kinds
from app_store.challenges.definition import Definition, parse
from app_store.errors import Conflict, Invalid, NotAllowed, NotFound
from app_store.tables import (
    challenge_results,
    challenge_runs,
    challenges,
    submissions,
)
from sandbox.contract.doctypes import covers, own_namespace
from sandbox.contract.manifest import Manifest, manifest_from_json
from sandbox.dbkit import Database

QUEUED, RUNNING, DONE, FAILED, OVER_QUOTA = "queued", "running", "done", "failed", "over-quota"
ACTIONS = {"open": ({"draft", "closed"}, "open"), "close": ({"open"}, "closed"),
           "reveal": ({"closed"}, "revealed")}
DAY_S = 86_400


def findings_doctype(d: Definition, slug: str) -> str:
    """Where the app ``slug`` writes its findings for ``d``: in its own namespace."""
    return f"{own_namespace(slug)}.{d.findings}"


def _load(row) -> Definition:
    raw = orjson.loads(row.definition)
    return parse(raw)


class Challenges:
    def __init__(self, db: Database, wake=None):
        self.db = db
        self.wake = wake

    # ---- definitions -------------------------------------------------------------------------

    def create(self, who: Account, data: Any) -> dict:
        accounts.require(who, "organiser")
        d = parse(data)
        now = time.time()
        with self.db.write() as conn:
            if conn.execute(sa.select(challenges.c.key).where(
                    challenges.c.key == d.key)).first():
                raise Conflict(f"a challenge {d.key!r} exists; change it with PUT")
            conn.execute(challenges.insert().values(
                key=d.key, definition=orjson.dumps(d.to_json()).decode(),
                hidden_seed=hs.draw_secret_seed(), state="draft", created_at=now,
                updated_at=now))
        return self.public(d.key)

    def update(self, who: Account, key: str, data: Any) -> dict:
        accounts.require(who, "organiser")
        row = self._row(key)
        d = parse({**data, "key": key} if isinstance(data, dict) else data)  # the key stays
        if row.state == "revealed":
            raise Conflict(f"{key} is revealed; its definition can no longer change")
        with self.db.write() as conn:
            conn.execute(challenges.update().where(challenges.c.key == key).values(
                definition=orjson.dumps(d.to_json()).decode(), updated_at=time.time()))
        return self.public(key)

    def act(self, who: Account, key: str, action: str) -> dict:
        """``open``, ``close`` or ``reveal`` (the organiser's controls)."""
        accounts.require(who, "organiser")
        if action not in ACTIONS:
            raise Invalid(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        allowed, to = ACTIONS[action]
        with self.db.write() as conn:
            done = conn.execute(challenges.update().where(
                challenges.c.key == key, challenges.c.state.in_(allowed)).values(
                state=to, updated_at=time.time()))
        if done.rowcount != 1:
            row = self._row(key)
            raise Conflict(f"{key} is {row.state}; it cannot {action} (it can from "
                           f"{' or '.join(sorted(allowed))})")
        return self.public(key)

    def _row(self, key: str):
        with self.db.read() as conn:
            row = conn.execute(sa.select(challenges).where(challenges.c.key == key)).first()
        if row is None:
            raise NotFound(f"no challenge {key!r}")
        return row

    def definition(self, key: str) -> tuple[Definition, str]:
        row = self._row(key)
        return _load(row), row.state

    def keys(self, states: tuple[str, ...] | None = None) -> list[str]:
        q = sa.select(challenges.c.key).order_by(challenges.c.created_at)
        if states:
            q = q.where(challenges.c.state.in_(states))
        with self.db.read() as conn:
            return [r.key for r in conn.execute(q)]

    def public(self, key: str) -> dict:
        """What anyone may read of a challenge (never the hidden seed)."""
        d, state = self.definition(key)
        kind = kinds.KINDS[d.kind]
        return {**d.to_json(), "state": state, "metric": kind.metric,
                "higher_is_better": kind.higher_is_better,
                "findings_doctype": f"fr.hackathon.<your app's slug, - as _>.{d.findings}",
                "schema": kinds.schema(d), "example": kinds.example(d),
                "public_set": {"seed": d.public_seed, "year": d.year,
                               "households": d.public_households},
                "hidden_set": {"households": d.hidden_households,
                               "on_public_leaderboard": d.leaderboard_share}}

    def secret_seed(self, key: str) -> int:
        """The hidden set's seed: for the scoring runner only, never for an answer."""
        return int(self._row(key).hidden_seed)

    def scoring_households(self, key: str) -> list[hs.Scored]:
        d, _ = self.definition(key)
        need = kinds.partners(d)
        public = hs.indices(d.public_seed, d.public_households, need, d.year, d.event_kinds)
        hidden = hs.indices(self.secret_seed(key), d.hidden_households, need, d.year,
                            d.event_kinds)
        return hs.split(hs.PUBLIC, public, d.leaderboard_share) + \
            hs.split(hs.HIDDEN, hidden, d.leaderboard_share)

    # ---- entries -----------------------------------------------------------------------------

    def enter_all(self, sub_id: int) -> list[int]:
        """After a submission passed its smoke run: one run per open challenge whose findings
        its manifest may write (POST), within the team's daily quota."""
        with self.db.read() as conn:
            sub = conn.execute(sa.select(submissions).where(submissions.c.id == sub_id)).first()
        if sub is None or not sub.manifest:
            return []
        manifest = manifest_from_json(sub.manifest)
        out = []
        for key in self.keys(("open",)):
            d, _ = self.definition(key)
            if _may_write(manifest, findings_doctype(d, sub.slug)):
                out.append(self._enter(key, d, sub))
        return out

    def enter(self, who: Account, key: str, sub_id: int) -> dict:
        """A team enters one of its submissions that passed its smoke run."""
        accounts.require(who, "team")
        d, state = self.definition(key)
        if state != "open":
            raise Conflict(f"{key} is {state}; entries are taken while it is open")
        with self.db.read() as conn:
            sub = conn.execute(sa.select(submissions).where(submissions.c.id == sub_id)).first()
        if sub is None or sub.team_id != who.id:
            raise NotFound(f"you have no submission {sub_id}")
        if sub.state not in (pipeline.AWAITING, pipeline.APPROVED) or not sub.image_id:
            raise Conflict(f"submission {sub_id} is {sub.state}; only a submission that "
                           "passed its smoke run (and kept its image) can be scored")
        manifest = manifest_from_json(sub.manifest)
        doctype = findings_doctype(d, sub.slug)
        if not _may_write(manifest, doctype):
            raise Invalid(f"the app must be allowed to write its findings: declare POST on "
                          f"{doctype} in its manifest")
        return self.run_json(who, self._enter(key, d, sub))

    def _enter(self, key: str, d: Definition, sub) -> int:
        now = time.time()
        with self.db.write() as conn:
            old = conn.execute(sa.select(challenge_runs.c.id).where(
                challenge_runs.c.challenge == key,
                challenge_runs.c.submission_id == sub.id)).first()
            if old is not None:
                return old.id
            used = conn.execute(sa.select(sa.func.count()).where(
                challenge_runs.c.challenge == key, challenge_runs.c.team_id == sub.team_id,
                challenge_runs.c.state != OVER_QUOTA,
                challenge_runs.c.created_at > now - DAY_S)).scalar()
            over = used >= d.quota_per_day
            run_id = conn.execute(challenge_runs.insert().values(
                challenge=key, submission_id=sub.id, team_id=sub.team_id,
                state=OVER_QUOTA if over else QUEUED, created_at=now, updated_at=now,
                attempts=0, reason=f"over the quota of {d.quota_per_day} scored "
                "submissions a day; it was not scored" if over else None)).inserted_primary_key[0]
        if self.wake is not None and not over:
            self.wake.set()
        return run_id

    # ---- the runs' life (the scoring runner's side) ------------------------------------------

    def claim(self) -> int | None:
        for _ in range(5):
            with self.db.read() as conn:
                row = conn.execute(sa.select(challenge_runs.c.id).where(
                    challenge_runs.c.state == QUEUED).order_by(challenge_runs.c.id)
                    .limit(1)).first()
            if row is None:
                return None
            with self.db.write() as conn:
                done = conn.execute(challenge_runs.update().where(
                    challenge_runs.c.id == row.id, challenge_runs.c.state == QUEUED).values(
                    state=RUNNING, updated_at=time.time(),
                    attempts=challenge_runs.c.attempts + 1))
                if done.rowcount == 1:
                    return row.id
        return None

    def requeue_interrupted(self, max_attempts: int = 3) -> list[int]:
        """After a restart: runs caught mid-way go back to the queue; the households they had
        finished keep their results and are not run again."""
        with self.db.write() as conn:
            rows = conn.execute(sa.select(challenge_runs.c.id, challenge_runs.c.attempts)
                                .where(challenge_runs.c.state == RUNNING)).all()
            for r in rows:
                again = r.attempts < max_attempts
                conn.execute(challenge_runs.update().where(challenge_runs.c.id == r.id).values(
                    state=QUEUED if again else FAILED, updated_at=time.time(),
                    reason=None if again else "the store stopped too often while scoring it"))
        return [r.id for r in rows]

    def run_row(self, run_id: int):
        with self.db.read() as conn:
            row = conn.execute(sa.select(challenge_runs).where(
                challenge_runs.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"no scoring run {run_id}")
        return row

    def image_and_manifest(self, run_id: int) -> tuple[str, Manifest, str]:
        run = self.run_row(run_id)
        with self.db.read() as conn:
            sub = conn.execute(sa.select(submissions).where(
                submissions.c.id == run.submission_id)).first()
        if not sub.image_id or not sub.manifest:
            raise Conflict("the submission's image is gone")
        manifest = manifest_from_json(sub.manifest)
        return sub.image_id, manifest, sub.slug

    def finished(self, run_id: int) -> set[tuple[str, int]]:
        with self.db.read() as conn:
            return {(r.set, r.index) for r in conn.execute(sa.select(
                challenge_results.c.set, challenge_results.c.index).where(
                challenge_results.c.run_id == run_id))}

    def record(self, run_id: int, h: hs.Scored, *, ok: bool, result: dict | None,
               error: str | None, findings: int, out_of_schema: int, refused: list[str],
               timings: dict[str, float]) -> None:
        with self.db.write() as conn:
            conn.execute(challenge_results.insert().values(
                run_id=run_id, set=h.set, index=h.index, part=h.part, ok=ok,
                result=orjson.dumps(result).decode() if result is not None else None,
                error=error, findings=findings, out_of_schema=out_of_schema,
                refused="; ".join(refused), timings=orjson.dumps(timings).decode(),
                at=time.time()))

    def results(self, run_id: int) -> list:
        with self.db.read() as conn:
            return conn.execute(sa.select(challenge_results).where(
                challenge_results.c.run_id == run_id).order_by(
                challenge_results.c.set, challenge_results.c.index)).all()

    def finish(self, run_id: int) -> dict:
        run = self.run_row(run_id)
        d, _ = self.definition(run.challenge)
        rows = self.results(run_id)
        totals = {}
        for name, keep in (("public_set", lambda r: r.set == hs.PUBLIC),
                           ("leaderboard", lambda r: r.set == hs.HIDDEN and r.part == hs.BOARD),
                           ("private", lambda r: r.set == hs.HIDDEN and r.part == hs.PRIVATE)):
            part = [r for r in rows if keep(r)]
            got = [orjson.loads(r.result) for r in part if r.ok]
            totals[name] = {**kinds.total(d, got), "errors": sum(not r.ok for r in part),
                            "out_of_schema": sum(r.out_of_schema for r in part)}
        with self.db.write() as conn:
            conn.execute(challenge_runs.update().where(challenge_runs.c.id == run_id).values(
                state=DONE, updated_at=time.time(), totals=orjson.dumps(totals).decode()))
        return totals

    def fail(self, run_id: int, reason: str) -> None:
        with self.db.write() as conn:
            conn.execute(challenge_runs.update().where(
                challenge_runs.c.id == run_id, challenge_runs.c.state == RUNNING).values(
                state=FAILED, updated_at=time.time(), reason=reason))

    # ---- what accounts see -------------------------------------------------------------------

    def _visible_parts(self, who: Account | None, state: str, own: bool) -> set[str]:
        parts = {"leaderboard"}
        if who is not None and who.role == "organiser":
            parts |= {"public_set"} | ({"private"} if state in ("closed", "revealed") else set())
        elif own:
            parts |= {"public_set"} | ({"private"} if state == "revealed" else set())
        elif state == "revealed":
            parts |= {"private"}
        return parts

    def run_json(self, who: Account | None, run_id: int) -> dict:
        run = self.run_row(run_id)
        _, state = self.definition(run.challenge)
        own = who is not None and who.id == run.team_id
        if not own and (who is None or who.role != "organiser"):
            raise NotAllowed("only the team that submitted it and the organisers see a run")
        parts = self._visible_parts(who, state, own)
        totals = orjson.loads(run.totals) if run.totals else {}
        out = {"id": run.id, "challenge": run.challenge, "submission": run.submission_id,
               "team": accounts.team_names(self.db).get(run.team_id, "?"), "state": run.state,
               "reason": run.reason, "created_at": run.created_at,
               "totals": {k: v for k, v in totals.items() if k in parts}, "households": []}
        for r in self.results(run_id):
            if r.set == hs.PUBLIC and "public_set" in parts:
                out["households"].append({
                    "household": f"{r.set}-{r.index}", "ok": r.ok, "error": r.error,
                    "result": orjson.loads(r.result) if r.result else None,
                    "findings": r.findings, "out_of_schema": r.out_of_schema,
                    "refused": r.refused, "timings": orjson.loads(r.timings or "{}")})
        hidden = [r for r in self.results(run_id) if r.set == hs.HIDDEN]
        out["hidden_households"] = {"scored": sum(r.ok for r in hidden),
                                    "errors": sum(not r.ok for r in hidden),
                                    "refused_requests": sum(bool(r.refused) for r in hidden)}
        return out

    def runs_of(self, who: Account, key: str) -> list[dict]:
        q = sa.select(challenge_runs.c.id).where(challenge_runs.c.challenge == key)
        if who.role != "organiser":
            q = q.where(challenge_runs.c.team_id == who.id)
        with self.db.read() as conn:
            ids = [r.id for r in conn.execute(q.order_by(challenge_runs.c.id.desc()))]
        return [self.run_json(who, i) for i in ids]

    def leaderboard(self, who: Account | None, key: str, board: str = "leaderboard"
                    ) -> list[dict]:
        """Each team's best scored run on ``board`` (``leaderboard`` or ``private``)."""
        d, state = self.definition(key)
        if board not in ("leaderboard", "private"):
            raise Invalid("the board is leaderboard or private")
        if board == "private" and "private" not in self._visible_parts(who, state, False):
            raise NotAllowed("the private leaderboard is shown once the organisers reveal "
                             "the challenge")
        with self.db.read() as conn:
            runs = conn.execute(sa.select(challenge_runs, submissions.c.slug,
                                          submissions.c.version).join(
                submissions, submissions.c.id == challenge_runs.c.submission_id).where(
                challenge_runs.c.challenge == key, challenge_runs.c.state == DONE)).all()
        teams = accounts.team_names(self.db)
        best: dict[int, dict] = {}
        for r in runs:
            t = orjson.loads(r.totals)[board]
            if t.get("score") is None:
                continue
            cur = best.get(r.team_id)
            if cur is None or kinds.better(d, t["score"], cur["score"]):
                best[r.team_id] = {"team": teams.get(r.team_id, "?"), "app": r.slug,
                                   "version": r.version, "run": r.id, "score": t["score"],
                                   "baseline": t.get("baseline"),
                                   "households": t.get("households", 0),
                                   "errors": t.get("errors", 0)}
        rows = sorted(best.values(), key=lambda x: (-x["score"] if kinds.KINDS[d.kind]
                                                    .higher_is_better else x["score"],
                                                    x["team"]))
        for i, x in enumerate(rows, 1):
            x["rank"] = i
        return rows


def _may_write(manifest: Manifest, doctype: str) -> bool:
    return any(covers(r.type, doctype) and "POST" in r.verbs for r in manifest.permissions)
