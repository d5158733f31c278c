"""Judging kept in the store's tables: criteria, scores, the leaderboard (rules in judging)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from app_store import accounts, pipeline
from app_store.accounts import Account
from app_store.errors import Invalid, NotFound
from app_store.judging import (
    DEFAULT_CRITERIA,
    Criterion,
    JudgingError,
    Row,
    Score,
    check_criteria,
    check_score,
    incomplete_sets,
)
from app_store.judging import leaderboard as rank
from app_store.tables import app_owners, criteria, scores, submissions
from sandbox.dbkit import Database


@dataclass(frozen=True)
class Standings:
    """The ranking, every incomplete score set (app → judge → criteria missing), and the rule
    for them in force."""

    rows: list[Row]
    incomplete: dict[str, dict[str, list[str]]]
    partial: str
    teams: dict[str, str]


class Judging:
    """Criteria, scores and the leaderboard, in the store's tables. ``partial`` is the event's
    rule for incomplete score sets (:data:`app_store.judging.PARTIAL`)."""

    def __init__(self, db: Database, partial: str = "exclude"):
        self.db = db
        self.partial = partial

    def team_names(self) -> dict[int, str]:
        return accounts.team_names(self.db)

    def get_criteria(self) -> list[Criterion]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(criteria).order_by(criteria.c.position)).all()
        saved = [Criterion(r.key, r.label, r.weight, r.description) for r in rows]
        return saved or list(DEFAULT_CRITERIA)

    def set_criteria(self, who: Account, items: list[dict]) -> list[Criterion]:
        accounts.require(who, "organiser")
        try:
            new = [Criterion(str(i["key"]), str(i.get("label", "")), float(i.get("weight", 1)),
                             str(i.get("description", ""))) for i in items]
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"each criterion needs a key, a label and a numeric weight ({exc})") \
                from exc
        problems = check_criteria(new)
        if not new:
            problems.append("give at least one criterion")
        if problems:
            raise Invalid("the criteria were not saved", [{"path": "criteria", "message": p}
                                                          for p in problems])
        with self.db.write() as conn:
            conn.execute(criteria.delete())
            for pos, c in enumerate(new):
                conn.execute(criteria.insert().values(key=c.key, label=c.label, weight=c.weight,
                                                      description=c.description, position=pos))
        return new

    def judged_apps(self) -> dict[str, str]:
        """Slug → team, for every app with an approved version."""
        with self.db.read() as conn:
            rows = conn.execute(sa.select(app_owners.c.slug, app_owners.c.team_id).where(
                app_owners.c.slug.in_(sa.select(submissions.c.slug).where(
                    submissions.c.state == pipeline.APPROVED)))).all()
        teams = self.team_names()
        return {r.slug: teams.get(r.team_id, "?") for r in rows}

    def score(self, judge: Account, slug: str, values: dict[str, int],
              comment: str = "") -> None:
        accounts.require(judge, "judge")
        apps = self.judged_apps()
        if slug not in apps:
            raise NotFound(f"{slug!r} is not an approved app; only approved apps are judged")
        crit = self.get_criteria()
        own = {judge.team} if judge.team else set()
        conflicts = accounts.conflicts_of(self.db, judge.id)
        problems = []
        checked = []
        for key, value in values.items():
            s = Score(judge.name, slug, key, value, comment)
            try:
                check_score(s, crit, apps[slug], own, conflicts)
                checked.append(s)
            except JudgingError as exc:
                problems.append({"path": key, "message": str(exc)})
        if problems:
            raise Invalid("the scores were not saved", problems)
        with self.db.write() as conn:
            for s in checked:
                conn.execute(scores.delete().where(scores.c.judge_id == judge.id,
                                                   scores.c.slug == slug,
                                                   scores.c.criterion == s.criterion))
                conn.execute(scores.insert().values(judge_id=judge.id, slug=slug,
                                                    criterion=s.criterion, value=s.value,
                                                    comment=comment, at=time.time()))

    def all_scores(self) -> list[Score]:
        names = {a.id: a.name for a in accounts.listing(self.db, "judge")}
        with self.db.read() as conn:
            return [Score(names.get(r.judge_id, "?"), r.slug, r.criterion, r.value, r.comment)
                    for r in conn.execute(sa.select(scores))]

    def leaderboard(self) -> list[Row]:
        return self.standings().rows

    def standings(self) -> Standings:
        crit, given, apps = self.get_criteria(), self.all_scores(), self.judged_apps()
        return Standings(rank(crit, given, apps, self.partial),
                         {a: m for a, m in incomplete_sets(crit, given).items() if a in apps},
                         self.partial, apps)
