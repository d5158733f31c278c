"""The store's tables (SQLAlchemy Core): accounts, submissions and their history, judging."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),        # team, organiser, judge
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("team", sa.String(80)),                        # a judge's own team, if any
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("role", "name", name="uq_accounts_role_name"),
)

conflicts = sa.Table(
    "conflicts", metadata,
    sa.Column("judge_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("team", sa.String(80), primary_key=True),
)

app_owners = sa.Table(
    "app_owners", metadata,
    sa.Column("slug", sa.String(64), primary_key=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("slug", sa.String(64)),
    sa.Column("version", sa.String(64)),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("manifest", sa.Text),
    sa.Column("report", sa.Text),          # check results (JSON)
    sa.Column("build_log", sa.Text),
    sa.Column("image_id", sa.String(80)),
    sa.Column("smoke", sa.Text),           # smoke-run report (JSON)
    sa.Column("reason", sa.Text),          # why it failed or was rejected
    sa.Column("reviewed_by", sa.String(80)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
)

events = sa.Table(
    "submission_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False,
              index=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)

criteria = sa.Table(
    "criteria", metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("label", sa.String(120), nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("position", sa.Integer, nullable=False, default=0),
)

scores = sa.Table(
    "scores", metadata,
    sa.Column("judge_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("slug", sa.String(64), primary_key=True),
    sa.Column("criterion", sa.String(40), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("at", sa.Float, nullable=False),
)

# Challenges (app_store.challenges): definitions, scoring runs, one result per household.
challenges = sa.Table(
    "challenges", metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("definition", sa.Text, nullable=False),      # JSON, as validated
    sa.Column("hidden_seed", sa.BigInteger, nullable=False),  # secret: never leaves the store
    sa.Column("state", sa.String(12), nullable=False),     # draft, open, closed, revealed
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

challenge_runs = sa.Table(
    "challenge_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("challenge", sa.String(40), sa.ForeignKey("challenges.key"), nullable=False,
              index=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("state", sa.String(12), nullable=False, index=True),  # queued running done failed
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("totals", sa.Text),          # JSON: per set and part, the kind's total
    sa.Column("reason", sa.Text),
    sa.UniqueConstraint("challenge", "submission_id", name="uq_challenge_runs_entry"),
)

challenge_results = sa.Table(
    "challenge_results", metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("challenge_runs.id"), primary_key=True),
    sa.Column("set", sa.String(8), primary_key=True),       # public, hidden
    sa.Column("index", sa.Integer, primary_key=True),
    sa.Column("part", sa.String(12), nullable=False),       # leaderboard, private
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("result", sa.Text),          # JSON: the kind's household result
    sa.Column("error", sa.Text),           # why this household has no score
    sa.Column("findings", sa.Integer, nullable=False, default=0),
    sa.Column("out_of_schema", sa.Integer, nullable=False, default=0),
    sa.Column("refused", sa.Text, nullable=False, default=""),  # requests outside the manifest
    sa.Column("timings", sa.Text),         # JSON: seconds per step
    sa.Column("at", sa.Float, nullable=False),
)

ranking_weights = sa.Table(
    "ranking_weights", metadata,            # the judges' weight in the final ranking
    sa.Column("part", sa.String(40), primary_key=True),
    sa.Column("weight", sa.Float, nullable=False),
)
