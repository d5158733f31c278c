"""The final ranking kept in the store: the judges' weight (each challenge's weight is in its
definition) and the parts the ranking combines (rules in :mod:`app_store.challenges.ranking`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from app_store import accounts
from app_store.accounts import Account
from app_store.challenges import kinds, ranking
from app_store.challenges.service import Challenges
from app_store.errors import Invalid
from app_store.judging_store import Judging
from app_store.tables import ranking_weights


class FinalRanking:
    """The judges' score and the challenges' combined (:mod:`app_store.challenges.ranking`)."""

    def __init__(self, challenges: Challenges, judging: Judging):
        self.challenges = challenges
        self.judging = judging
        self.db = challenges.db

    def judges_weight(self) -> float:
        with self.db.read() as conn:
            w = conn.execute(sa.select(ranking_weights.c.weight).where(
                ranking_weights.c.part == "judges")).scalar()
        return 1.0 if w is None else float(w)

    def set_judges_weight(self, who: Account, weight: Any) -> float:
        accounts.require(who, "organiser")
        if not isinstance(weight, int | float) or isinstance(weight, bool) or \
                not 0 <= weight <= 100:
            raise Invalid("the weights were not saved", [
                {"path": "judges", "message": "a number from 0 to 100"}])
        with self.db.write() as conn:
            conn.execute(ranking_weights.delete().where(ranking_weights.c.part == "judges"))
            conn.execute(ranking_weights.insert().values(part="judges", weight=float(weight)))
        return float(weight)

    def parts(self) -> tuple[list[ranking.Part], dict[str, str]]:
        organiser = Account(0, "", "organiser", None)
        standings = self.judging.standings()
        teams = dict(standings.teams)
        parts = [ranking.Part("judges", self.judges_weight(),
                              {r.app: r.score for r in standings.rows})]
        for key in self.challenges.keys(("open", "closed", "revealed")):
            d, state = self.challenges.definition(key)
            board = "private" if state == "revealed" else "leaderboard"
            rows = self.challenges.leaderboard(organiser, key, board)
            teams.update({r["app"]: r["team"] for r in rows})
            parts.append(ranking.Part(key, d.weight, {r["app"]: r["score"] for r in rows},
                                      kinds.KINDS[d.kind].higher_is_better,
                                      d.kind == "forecast", d.kind == "advice",
                                      state == "revealed"))
        return parts, teams

    def ranking(self) -> dict:
        parts, teams = self.parts()
        rows = ranking.combine(parts, teams)
        return {"provisional": not all(p.final for p in parts),
                "parts": [{"key": p.key, "weight": p.weight, "final": p.final} for p in parts],
                "data": [asdict(r) for r in rows]}

    def csv(self) -> str:
        parts, teams = self.parts()
        return ranking.to_csv(ranking.combine(parts, teams), parts)
