"""Teams, organisers and judges, each with a bearer token (only its sha256 is stored)."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from app_store.errors import Conflict, Invalid, NotAllowed, Unauthorized
from app_store.tables import accounts, conflicts
from sandbox.dbkit import Database

ROLES = ("team", "organiser", "judge")
NAME = re.compile(r"^[\w][\w .'-]{0,78}$")


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    team: str | None = None      # for a judge: the team they belong to, if any


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db: Database, name: str, role: str, team: str | None = None) -> tuple[Account, str]:
    """A new account and its token (shown once)."""
    problems = []
    if role not in ROLES:
        problems.append({"path": "role", "message": f"role must be one of {', '.join(ROLES)}"})
    if not isinstance(name, str) or not NAME.match(name.strip()):
        problems.append({"path": "name", "message": "a name is 1-79 letters, digits, spaces, "
                         "dots, apostrophes or hyphens"})
    team = (team or "").strip() or None if isinstance(team, str | None) else team
    if team is not None and role != "judge":
        problems.append({"path": "team", "message": "only a judge belongs to a team; leave it "
                         "empty for a team or an organiser"})
    elif team is not None:
        why = unknown_team(db, team)
        if why:
            problems.append({"path": "team", "message": why})
    if problems:
        raise Invalid("the account cannot be created", problems)
    name = name.strip()
    token = f"sd_{role[0]}_{secrets.token_urlsafe(24)}"
    with db.write() as conn:
        if conn.execute(sa.select(accounts.c.id).where(accounts.c.role == role,
                                                       accounts.c.name == name)).first():
            raise Conflict(f"a {role} named {name!r} already exists; choose another name")
        aid = conn.execute(accounts.insert().values(
            name=name, role=role, token_sha256=_digest(token), team=team,
            created_at=time.time())).inserted_primary_key[0]
    return Account(aid, name, role, team), token


def authenticate(db: Database, token: str | None) -> Account:
    if not token:
        raise Unauthorized("send your token as 'Authorization: Bearer <token>'")
    with db.read() as conn:
        row = conn.execute(sa.select(accounts).where(
            accounts.c.token_sha256 == _digest(token))).first()
    if row is None:
        raise Unauthorized("this token is not known to the store; ask the organisers for one")
    return Account(row.id, row.name, row.role, row.team)


def require(account: Account, *roles: str) -> Account:
    if account.role not in roles:
        raise NotAllowed(f"this needs a {' or '.join(roles)} token; yours is a {account.role}'s")
    return account


def listing(db: Database, role: str | None = None) -> list[Account]:
    q = sa.select(accounts).order_by(accounts.c.role, accounts.c.name)
    if role:
        q = q.where(accounts.c.role == role)
    with db.read() as conn:
        return [Account(r.id, r.name, r.role, r.team) for r in conn.execute(q)]


def unknown_team(db: Database, team: object) -> str | None:
    """Why ``team`` is not the name of an existing team (None when it is): judges' teams and
    conflicts name real teams, or the rule that keeps a judge off their own team is off."""
    names = sorted(team_names(db).values())
    if isinstance(team, str) and team in names:
        return None
    known = f"choose one of: {', '.join(names)}" if names else "no team has an account yet"
    return f"no team is called {str(team)[:80]!r}; {known}"


def declare_conflict(db: Database, judge: Account, team: str) -> None:
    """Record that ``judge`` may not score ``team``'s apps (an existing team only)."""
    why = unknown_team(db, team)
    if why:
        raise Invalid("the conflict was not recorded", [{"path": "team", "message": why}])
    with db.write() as conn:
        if not conn.execute(sa.select(conflicts).where(conflicts.c.judge_id == judge.id,
                                                       conflicts.c.team == team)).first():
            conn.execute(conflicts.insert().values(judge_id=judge.id, team=team))


def conflicts_of(db: Database, judge_id: int) -> set[str]:
    with db.read() as conn:
        return {r.team for r in conn.execute(sa.select(conflicts.c.team).where(
            conflicts.c.judge_id == judge_id))}


def team_names(db: Database) -> dict[int, str]:
    """Team account id → name."""
    return {a.id: a.name for a in listing(db, "team")}
