"""SQL for JSON fields, per backend, built around one *collation key* per field.

CouchDB orders null < false < true < numbers < strings < arrays < objects. Each field of a
document gets a key expression that sorts in that order, so every Mango comparison is one
sargable comparison and ``_index`` can create an expression index on exactly that key:

- SQLite: one value. null → -inf, false/true → the two lowest finite reals, numbers as they
  are, strings as TEXT (after every number in SQLite's order), arrays/objects as BLOB (after text).
- PostgreSQL: a row (rank, number, text) compared as a tuple.

Field paths are rendered as SQL literals, never bound, so the planner matches indexes; they are
escaped here and come only from parsed selectors.
"""

from __future__ import annotations

import itertools
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from sandbox.mango.collate import rank as value_rank
from sandbox.storage.tables import documents

NEG_INF = "-9e999"
_param_ids = itertools.count()  # unique bind names for hand-written SQL fragments
FALSE_KEY = "-1.7976931348623157e308"
TRUE_KEY = "-1.7976931348623155e308"


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class Dialect:
    name = "base"
    body = documents.c.body

    def usable_path(self, path: tuple[str, ...]) -> bool:
        return all('"' not in p and "\\" not in p and "\x00" not in p for p in path)

    def key(self, path: tuple[str, ...]) -> list[ColumnElement]:
        raise NotImplementedError

    def key_literal(self, value: Any) -> list[Any]:
        raise NotImplementedError

    def exists(self, path: tuple[str, ...]) -> ColumnElement:
        raise NotImplementedError

    def type_is(self, path: tuple[str, ...], json_type: str) -> ColumnElement:
        raise NotImplementedError

    def array_length(self, path: tuple[str, ...]) -> ColumnElement:
        raise NotImplementedError

    def array_contains_any(self, path: tuple[str, ...], values: list) -> ColumnElement:
        raise NotImplementedError

    def is_integer(self, path: tuple[str, ...]) -> ColumnElement:
        raise NotImplementedError

    def number(self, path: tuple[str, ...]) -> ColumnElement:
        raise NotImplementedError

    def body_text(self) -> ColumnElement:
        raise NotImplementedError

    def body_param(self, name: str) -> ColumnElement:
        raise NotImplementedError

    def index_sql(self, sql_name: str, paths: list[tuple[str, ...]], instance_id: int,
                  doctype: str) -> str:
        """An expression index on the fields' collation keys, partial to one instance and
        doctype: its build evaluates only that tester's documents."""
        raise NotImplementedError

    def index_names_sql(self) -> str:
        """The names of the expression indexes that exist (``mx_...``)."""
        raise NotImplementedError


class SQLiteDialect(Dialect):
    name = "sqlite"

    @staticmethod
    def _jpath(path: tuple[str, ...]) -> str:
        return _sql_str("$" + "".join(f'."{p}"' for p in path))

    def _key_sql(self, path: tuple[str, ...]) -> str:
        jp = self._jpath(path)
        return (f"CASE json_type(body, {jp}) WHEN 'null' THEN {NEG_INF} "
                f"WHEN 'false' THEN {FALSE_KEY} WHEN 'true' THEN {TRUE_KEY} "
                f"WHEN 'array' THEN CAST(json_extract(body, {jp}) AS BLOB) "
                f"WHEN 'object' THEN CAST(json_extract(body, {jp}) AS BLOB) "
                f"ELSE json_extract(body, {jp}) END")

    def key(self, path):
        return [sa.literal_column(self._key_sql(path))]

    def key_literal(self, value):
        r = value_rank(value)
        if r == 0:
            return [sa.literal_column(NEG_INF)]
        if r == 1:
            return [sa.literal_column(FALSE_KEY)]
        if r == 2:
            return [sa.literal_column(TRUE_KEY)]
        if r in (5, 6):
            return [sa.literal(orjson.dumps(value), sa.LargeBinary)]
        # untyped: SQLAlchemy must not coerce a mixed list ($in) to the first value's type
        return [sa.literal(value, sa.types.NullType())]

    def exists(self, path):
        return sa.literal_column(f"json_type(body, {self._jpath(path)})").is_not(None)

    def type_is(self, path, json_type):
        t = sa.literal_column(f"json_type(body, {self._jpath(path)})")
        names = {"null": ["null"], "boolean": ["true", "false"], "number": ["integer", "real"],
                 "string": ["text"], "array": ["array"], "object": ["object"]}[json_type]
        return t.in_(names)

    def array_length(self, path):
        return sa.literal_column(f"json_array_length(body, {self._jpath(path)})")

    def is_integer(self, path):
        return sa.literal_column(f"json_type(body, {self._jpath(path)})") == "integer"

    def number(self, path):
        return sa.literal_column(f"json_extract(body, {self._jpath(path)})")

    def array_contains_any(self, path, values):
        elem = (f"CASE e.type WHEN 'null' THEN {NEG_INF} WHEN 'false' THEN {FALSE_KEY} "
                f"WHEN 'true' THEN {TRUE_KEY} WHEN 'array' THEN CAST(e.value AS BLOB) "
                f"WHEN 'object' THEN CAST(e.value AS BLOB) ELSE e.value END")
        tag = next(_param_ids)
        params = {f"ac{tag}_{i}": v for i, v in enumerate(self._literal_values(values))}
        names = ", ".join(f":{k}" for k in params)
        return sa.text(
            f"(json_type(body, {self._jpath(path)}) = 'array' AND EXISTS (SELECT 1 FROM "
            f"json_each(body, {self._jpath(path)}) AS e WHERE ({elem}) IN ({names})))"
        ).bindparams(**params)

    def _literal_values(self, values):
        out = []
        for v in values:
            r = value_rank(v)
            out.append({0: float("-inf"), 1: -1.7976931348623157e308,
                        2: -1.7976931348623155e308}.get(r, orjson.dumps(v) if r >= 5 else v))
        return out

    def body_text(self):
        return documents.c.body

    def body_param(self, name):
        return sa.bindparam(name, type_=sa.Text)

    def index_sql(self, sql_name, paths, instance_id, doctype):
        cols = ", ".join(f"({self._key_sql(p)})" for p in paths)
        return (f'CREATE INDEX IF NOT EXISTS "{sql_name}" ON documents (instance_id, doctype, '
                f"{cols}, doc_id) WHERE instance_id = {int(instance_id)} AND "
                f"doctype = {_sql_str(doctype)}")

    def index_names_sql(self):
        return "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'mx_%'"


class PostgresDialect(Dialect):
    name = "postgresql"

    @staticmethod
    def _x(path: tuple[str, ...]) -> str:
        arr = ",".join(_sql_str(p) for p in path)
        return f"(body #> ARRAY[{arr}]::text[])"

    def _parts(self, path) -> tuple[str, str, str]:
        x = self._x(path)
        r = (f"(CASE jsonb_typeof({x}) WHEN 'null' THEN 0 WHEN 'boolean' THEN "
             f"(CASE WHEN {x} = 'true'::jsonb THEN 2 ELSE 1 END) WHEN 'number' THEN 3 "
             f"WHEN 'string' THEN 4 WHEN 'array' THEN 5 WHEN 'object' THEN 6 END)")
        n = (f"(CASE WHEN jsonb_typeof({x}) = 'number' THEN ({x} #>> '{{}}')::float8 "
             f"ELSE 0 END)")
        t = (f"((CASE jsonb_typeof({x}) WHEN 'string' THEN {x} #>> '{{}}' "
             f"WHEN 'array' THEN {x}::text WHEN 'object' THEN {x}::text ELSE '' END) "
             f'COLLATE "C")')
        return r, n, t

    def key(self, path):
        return [sa.literal_column(p) for p in self._parts(path)]

    def key_literal(self, value):
        r = value_rank(value)
        num = float(value) if r == 3 else 0.0
        if r == 4:
            txt = value
        elif r >= 5:
            txt = _pg_jsonb_text(value)
        else:
            txt = ""
        return [sa.literal(r), sa.literal(num, sa.Float), sa.literal(txt, sa.Text)]

    def exists(self, path):
        return sa.literal_column(self._x(path)).is_not(None)

    def type_is(self, path, json_type):
        return sa.literal_column(f"jsonb_typeof({self._x(path)})") == json_type

    def array_length(self, path):
        x = self._x(path)
        return sa.literal_column(
            f"(CASE WHEN jsonb_typeof({x}) = 'array' THEN jsonb_array_length({x}) END)")

    def is_integer(self, path):
        x = self._x(path)
        return sa.literal_column(
            f"(jsonb_typeof({x}) = 'number' AND ({x} #>> '{{}}') ~ '^-?[0-9]+$')")

    def number(self, path):
        x = self._x(path)
        return sa.literal_column(
            f"(CASE WHEN jsonb_typeof({x}) = 'number' THEN ({x} #>> '{{}}')::numeric END)")

    def array_contains_any(self, path, values):
        x = self._x(path)
        tag = next(_param_ids)
        params = {f"ac{tag}_{i}": orjson.dumps(v).decode() for i, v in enumerate(values)}
        names = ", ".join(f"CAST(:{k} AS jsonb)" for k in params)
        return sa.text(
            f"(jsonb_typeof({x}) = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements("
            f"CASE WHEN jsonb_typeof({x}) = 'array' THEN {x} ELSE '[]'::jsonb END) AS e(v) "
            f"WHERE e.v IN ({names})))"
        ).bindparams(**params)

    def body_text(self):
        return sa.cast(documents.c.body, sa.Text)

    def body_param(self, name):
        return sa.cast(sa.bindparam(name, type_=sa.Text), documents.c.body.type)

    def index_sql(self, sql_name, paths, instance_id, doctype):
        # The partial predicate fixes instance and doctype; as leading columns they would get
        # no index condition (PostgreSQL drops implied quals) and the scan would not seek.
        # CONCURRENTLY: other writers go on while it builds (outside any transaction).
        cols = ", ".join(part for p in paths for part in self._parts(p))
        return (f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{sql_name}" ON documents '
                f"({cols}, doc_id) WHERE instance_id = {int(instance_id)} AND "
                f"doctype = {_sql_str(doctype)}")

    def index_names_sql(self):
        return ("SELECT indexname FROM pg_indexes WHERE tablename = 'documents' "
                "AND indexname LIKE 'mx_%%'")


def _pg_jsonb_text(value: Any) -> str:
    """How PostgreSQL prints a jsonb array/object (``::text``): ``", "`` and ``": "``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_pg_jsonb_text(k)}: {_pg_jsonb_text(v)}"
                               for k, v in sorted(value.items(),
                                                  key=lambda kv: (len(kv[0]), kv[0]))) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_pg_jsonb_text(v) for v in value) + "]"
    return orjson.dumps(value).decode()


def for_engine(engine: sa.Engine) -> Dialect:
    return PostgresDialect() if engine.dialect.name == "postgresql" else SQLiteDialect()
