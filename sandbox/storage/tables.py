"""Tables. Documents keep their latest revision only; every write inserts a fresh row, so the
autoincrement primary key doubles as the changes-feed sequence."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

BodyType = sa.Text().with_variant(JSONB(), "postgresql")

instances = sa.Table(
    "instances", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("profile", sa.Text, nullable=False, server_default="{}"),
    sqlite_autoincrement=True,  # ids are never reused (caches key on them)
)

# Instances declared without their data (``sandbox.ondemand``): a row per instance whose
# household is generated and loaded on first use; no row, the instance is ready.
pending_instances = sa.Table(
    "pending_instances", metadata,
    sa.Column("instance_id", sa.Integer, sa.ForeignKey("instances.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("source", sa.Text, nullable=False),        # JSON: where its data comes from
    sa.Column("state", sa.String(16), nullable=False),   # pending, loading
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("claimed_at", sa.Float, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text, nullable=True),           # why the last attempt failed
)

databases = sa.Table(
    "databases", metadata,
    sa.Column("instance_id", sa.Integer, sa.ForeignKey("instances.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("doctype", sa.String(255), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

documents = sa.Table(
    "documents", metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("instance_id", sa.Integer, nullable=False),
    sa.Column("doctype", sa.String(255), nullable=False),
    sa.Column("doc_id", sa.String(512), nullable=False),
    sa.Column("rev", sa.String(64), nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("body", BodyType, nullable=False),
    sa.UniqueConstraint("instance_id", "doctype", "doc_id", name="uq_documents_id"),
    sa.Index("ix_documents_seq", "instance_id", "doctype", "seq"),
    sqlite_autoincrement=True,
)

indexes = sa.Table(
    "mango_indexes", metadata,
    sa.Column("instance_id", sa.Integer, primary_key=True),
    sa.Column("doctype", sa.String(255), primary_key=True),
    sa.Column("ddoc", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("fields", sa.Text, nullable=False),      # JSON list of [field, direction]
    sa.Column("partial", sa.Text, nullable=True),      # JSON partial_filter_selector
    sa.Column("sql_name", sa.String(63), nullable=False),
)

journal = sa.Table(
    "access_journal", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("instance_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("client", sa.String(255), nullable=False),
    sa.Column("client_kind", sa.String(32), nullable=False),
    sa.Column("doctype", sa.String(255), nullable=False),
    sa.Column("verb", sa.String(8), nullable=False),
    sa.Column("route", sa.String(64), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)

oauth_clients = sa.Table(
    "oauth_clients", metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("instance_id", sa.Integer, nullable=False, index=True),
    sa.Column("client_secret", sa.String(128), nullable=False),
    sa.Column("registration_token", sa.Text, nullable=False),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

access_codes = sa.Table(
    "oauth_access_codes", metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("instance_id", sa.Integer, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("challenge", sa.String(128), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Written only by sandbox.apps.records.InstallRecords.
apps = sa.Table(
    "installed_apps", metadata,
    sa.Column("instance_id", sa.Integer, primary_key=True),
    # the install key: the app's slug, or ``dev.<slug>`` for ``selfdata dev`` beside it
    sa.Column("slug", sa.String(80), primary_key=True),
    sa.Column("manifest", sa.Text, nullable=False),       # the manifest.webapp, as JSON
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),   # store, dev or smoke
    sa.Column("registry", sa.String(255)),                # where a store install came from
    sa.Column("sha256", sa.String(64)),                   # of the installed release's tarball
    sa.Column("image_id", sa.String(80)),                 # the image the store built from it
    sa.Column("served_by", sa.String(255)),               # a dev install's process (host pid port)
    sa.Column("installed_at", sa.Float, nullable=False),
)

# Simulated time (``sandbox.live``), written only by sandbox.live.

# Deliveries not yet made: one row per document (or per failed konnector run), taken out in the
# transaction that writes the document, so a delivery happens once or not at all.
live_pending = sa.Table(
    "live_pending", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),           # the planned order among rows of the same time
    sa.Column("instance_id", sa.Integer, nullable=False),
    sa.Column("due", sa.Float, nullable=False),          # simulated epoch seconds
    sa.Column("source", sa.String(64), nullable=False),  # the konnector that delivers it
    sa.Column("op", sa.String(8), nullable=False),       # create, update or error
    sa.Column("doctype", sa.String(255), nullable=False),
    sa.Column("doc_id", sa.String(512), nullable=False),
    sa.Column("body", sa.Text, nullable=False),          # the document, or the run's error
    # a create's revision, its body then stored as it will be (null: the document as given)
    sa.Column("rev", sa.String(64), nullable=True),
    sa.Index("ix_live_pending_due", "due", "id"),
    sa.Index("ix_live_pending_instance", "instance_id", "due", "id"),
    sqlite_autoincrement=True,
)

# The event's clock (instance_id 0) and instances' own clocks.
live_clocks = sa.Table(
    "live_clocks", metadata,
    sa.Column("instance_id", sa.Integer, primary_key=True),
    sa.Column("sim_anchor", sa.Float, nullable=False),   # simulated epoch at wall_anchor
    sa.Column("wall_anchor", sa.Float, nullable=False),
    sa.Column("speed", sa.Float, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
)

# Delivery faults planned for an instance, labelled as ground-truth events.
live_labels = sa.Table(
    "live_labels", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_id", sa.Integer, nullable=False, index=True),
    sa.Column("body", sa.Text, nullable=False),
)

# When each installed app was last used, written only by sandbox.apps.running.RunningApps (at
# most every few seconds per app and process): how the sandbox's worker processes agree on
# which containers are idle and which is the least recently used.
app_use = sa.Table(
    "app_use", metadata,
    sa.Column("instance", sa.String(255), primary_key=True),   # the instance's name
    sa.Column("slug", sa.String(80), primary_key=True),        # the install key
    sa.Column("used_at", sa.Float, nullable=False),            # epoch seconds
)

# Several server processes on one database (sandbox.storage.shared): what each process caches
# and must forget when another one changes it, and realtime events crossing processes.
cache_epochs = sa.Table(
    "cache_epochs", metadata,
    sa.Column("name", sa.String(40), primary_key=True),   # "auth", "instances", "indexes"
    sa.Column("value", sa.BigInteger, nullable=False),
)

# Which process listens to which instance (one row per process and instance, refreshed).
realtime_listeners = sa.Table(
    "realtime_listeners", metadata,
    sa.Column("instance_id", sa.Integer, primary_key=True),
    sa.Column("worker", sa.String(40), primary_key=True),
    sa.Column("seen", sa.Float, nullable=False),
)

# Write events for listeners in other processes, kept a short while.
realtime_events = sa.Table(
    "realtime_events", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("origin", sa.String(40), nullable=False),
    sa.Column("instance_id", sa.Integer, nullable=False),
    sa.Column("doctype", sa.String(255), nullable=False),
    sa.Column("verb", sa.String(16), nullable=False),
    sa.Column("doc_id", sa.String(512), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sqlite_autoincrement=True,
)
