"""The store, assembled: its database and uploads, and one object per job — submissions,
processing (checks, build, smoke run), the build farm, challenges and their scoring
runs, review and judging. The web layer and
the CLI reach each job through it."""

from __future__ import annotations

import threading

from app_store import accounts
from app_store.artifacts import Artifacts
from app_store.build_farm.farm import BuildFarm
from app_store.challenges.final_ranking import FinalRanking
from app_store.challenges.scoring import ScoringRunner
from app_store.challenges.service import Challenges
from app_store.judging_store import Judging
from app_store.processing import Processing
from app_store.review import Review
from app_store.settings import StoreSettings
from app_store.submissions import Submissions
from app_store.tables import metadata
from sandbox.contract.bundle import Limits
from sandbox.dbkit import Database
from sandbox.runtime.engine import Engine


class Store:
    def __init__(self, settings: StoreSettings, engine: Engine | None = None):
        self.settings = settings
        self.db = Database(settings.database_url, metadata)
        self.db.create_all()
        self.artifacts = Artifacts(settings.data_dir / "artifacts")
        self.limits = Limits(upload_bytes=settings.max_upload_bytes)
        self.wake = threading.Event()         # set when workers have something to do
        self.submissions = Submissions(self.db, self.artifacts, self.limits, self.wake)
        self.farm = BuildFarm(settings, engine)
        self.challenges = Challenges(self.db, self.wake)
        self.processing = Processing(self.db, self.submissions, self.farm, self.limits,
                                     on_passed=self.challenges.enter_all)
        self.scoring = ScoringRunner(self.challenges, self.farm.scoring_parts, self.farm.owner,
                                     settings.scoring_parallel, settings.health_timeout_s)
        self.review = Review(self.db, self.wake)
        self.judging = Judging(self.db, settings.partial_scores)
        self.ranking = FinalRanking(self.challenges, self.judging)

    def team_names(self) -> dict[int, str]:
        return accounts.team_names(self.db)

    def close(self) -> None:
        self.farm.close()
        self.db.dispose()
