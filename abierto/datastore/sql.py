"""datastore_search_sql: one read-only SELECT over the public tables, or a clear refusal.

Off unless settings.DATASTORE_SQL_ENABLED. The text must parse as a single SELECT (sqlparse);
then the database itself enforces the rest, so a cleverly written statement gains nothing:

- SQLite: a separate connection, read-only (`mode=ro`, or `query_only` for the in-memory test
  database), whose authorizer allows reading only the views and physical tables of public
  resources and denies everything else (writes, ATTACH, PRAGMA, the registry, any other
  table, load_extension/readfile); a progress handler stops it at the time limit.
- PostgreSQL: a connection of its own that logs in as `abierto_datastore_reader` (as CKAN's
  `read_url`), a role granted SELECT on public resources' views only, in a READ ONLY
  transaction with a statement timeout. Its session user is the reader itself, so nothing in
  the statement (`SET ROLE`, `set_config('role', …)`) can reach the platform's own user. The
  grants are brought in line with the catalog before each query, so a table swapped in or a
  dataset turned private is covered at once.

At most 32,000 rows come back; more sets `records_truncated`.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote as url_quote

import psycopg
import sqlparse
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from abierto.catalog.ckan import NotAuthorized, ValidationFailed
from abierto.catalog.models import Dataset, Resource
from abierto.datastore import schema
from abierto.datastore.routers import ALIAS

ROWS_MAX = 32_000
READER = "abierto_datastore_reader"
SQL_MAX_CHARS = 20_000
DENIED_FUNCTIONS = frozenset(
    {
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fts3_tokenizer",
        "zipfile",
        "sqlar_compress",
    }
)
PG_TYPES = {
    16: "bool",
    20: "int",
    21: "int",
    23: "int",
    700: "numeric",
    701: "numeric",
    1700: "numeric",
    1082: "date",
    1114: "timestamp",
    1184: "timestamp",
}


def _query_error(message: str) -> ValidationFailed:
    return ValidationFailed({"query": [message]})


def _timeout_error() -> ValidationFailed:
    return _query_error(
        _("La consulta tardó más de %s ms y se detuvo.") % settings.DATASTORE_SQL_TIMEOUT_MS
    )


def check_statement(sql: str) -> str:
    """The statement without its trailing `;`, if it is one SELECT."""
    text = sql.strip()
    if not text:
        raise _query_error(_("Falta la consulta."))
    if len(text) > SQL_MAX_CHARS:
        raise _query_error(_("La consulta pasa de %s caracteres.") % f"{SQL_MAX_CHARS:,}")
    statements = [s for s in sqlparse.parse(text) if s.value.strip().strip(";").strip()]
    if len(statements) != 1:
        raise _query_error(
            _("La consulta debe ser una sola instrucción (Query is not a single statement).")
        )
    kind = statements[0].get_type()
    if kind != "SELECT":
        raise _query_error(_("Solo se admiten consultas SELECT (la instrucción es %s).") % kind)
    return text.rstrip().rstrip(";").rstrip()


def public_tables() -> dict[str, str]:
    """resource id -> physical table, for the tables of public resources of public datasets."""
    with schema.connection().cursor() as cursor:
        schema.ensure_ready(cursor)
        cursor.execute(f"SELECT resource_id, physical FROM {schema.REGISTRY}")
        registered = dict(cursor.fetchall())
    public = Resource.objects.filter(
        uuid__in=list(registered),
        state=Dataset.State.ACTIVE,
        dataset__state=Dataset.State.ACTIVE,
        dataset__private=False,
    ).values_list("uuid", flat=True)
    return {str(key): registered[str(key)] for key in public}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def _result(sql: str, names: list[str], types: list[str], rows: list[tuple]) -> dict[str, Any]:
    truncated = len(rows) > ROWS_MAX
    rows = rows[:ROWS_MAX]
    result: dict[str, Any] = {
        "sql": sql,
        "fields": [{"id": n, "type": t} for n, t in zip(names, types, strict=True)],
        "records": [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in rows],
    }
    if truncated:
        result["records_truncated"] = True
    return result


def search_sql(sql: str) -> dict[str, Any]:
    statement = check_statement(sql)
    allowed = public_tables()
    if schema.is_postgres():
        return _postgres(statement, allowed)
    return _sqlite(statement, allowed)


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_uri() -> tuple[str, bool]:
    """The datastore file as a read-only URI (or the in-memory test database, shared)."""
    conn = schema.connection()
    name = str(conn.settings_dict["NAME"])
    if conn.is_in_memory_db():
        return name, False
    return f"file:{url_quote(name)}?mode=ro", True


def _sqlite(statement: str, allowed: dict[str, str]) -> dict[str, Any]:
    readable = {name.casefold() for pair in allowed.items() for name in pair}

    def authorize(action, arg1, arg2, database, source):
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            name = (arg1 or "").casefold()
            internal = name.startswith(("sqlite_", "pragma_", "dbstat", "fts"))
            if name in readable or (
                database in ("main", None) and name not in stored and not internal
            ):
                # A public table, or a CTE of the statement itself.
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() in DENIED_FUNCTIONS:
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    stored: set[str] = set()
    uri, read_only = _sqlite_uri()
    raw = sqlite3.connect(uri, uri=True, timeout=5, check_same_thread=False)
    try:
        if not read_only:
            raw.execute("PRAGMA query_only = ON")
        stored = {
            row[0].casefold() for row in raw.execute("SELECT name FROM sqlite_master").fetchall()
        } | {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"}
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 50_000_000)
        raw.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        deadline = time.monotonic() + settings.DATASTORE_SQL_TIMEOUT_MS / 1000
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        raw.set_authorizer(authorize)
        try:
            cursor = raw.execute(statement)
            rows = cursor.fetchmany(ROWS_MAX + 1)
        except sqlite3.Warning as error:  # more than one statement
            raise _query_error(str(error)) from None
        except sqlite3.DatabaseError as error:
            message = str(error)
            if "not authorized" in message or "prohibited" in message:
                raise NotAuthorized(
                    _("la consulta lee tablas o funciones no permitidas (solo tablas públicas).")
                ) from None
            if "interrupted" in message:
                raise _timeout_error() from None
            raise _query_error(message) from None
        names = [d[0] for d in cursor.description or []]
    finally:
        raw.close()
    types = []
    for index in range(len(names)):
        sample = next((row[index] for row in rows if row[index] is not None), None)
        types.append(
            "int" if isinstance(sample, int) else "numeric" if isinstance(sample, float) else "text"
        )
    return _result(statement, names, types, rows)


# --- PostgreSQL -----------------------------------------------------------------------------


def _sync_reader(cursor, allowed: dict[str, str]) -> None:
    """Create the reader role if missing; grant it SELECT on exactly the public views."""
    cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [READER])
    row = cursor.fetchone()
    if row is None or not row[0]:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('abierto_datastore_reader'))")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [READER])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        # It may log in, and holds its SELECT grants and nothing else.
        cursor.execute(f"{verb} ROLE {READER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    cursor.execute(
        f"SELECT r.resource_id, CASE WHEN to_regclass(quote_ident(r.resource_id)) IS NULL "
        f"THEN NULL ELSE has_table_privilege(%s, quote_ident(r.resource_id), 'SELECT') END "
        f"FROM {schema.REGISTRY} r",
        [READER],
    )
    changes = []
    for resource_id, granted in cursor.fetchall():
        if granted is None:
            continue
        wanted = resource_id in allowed
        if wanted and not granted:
            changes.append(f"GRANT SELECT ON {schema.quote(resource_id)} TO {READER}")
        elif granted and not wanted:
            changes.append(f"REVOKE ALL ON {schema.quote(resource_id)} FROM {READER}")
    if changes:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('abierto_datastore_reader'))")
        for change in changes:
            cursor.execute(change)


def _reader_conninfo() -> str:
    """DATASTORE_SQL_URL, or the datastore's database as the reader role (trust or peer
    authentication on a development machine or CI)."""
    if settings.DATASTORE_SQL_URL:
        return settings.DATASTORE_SQL_URL
    params = schema.connection().get_connection_params()
    params.pop("password", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)  # psycopg's, not libpq's (settings.py)
    params["user"] = READER
    return psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if isinstance(v, str | int)}
    )


def _postgres(statement: str, allowed: dict[str, str]) -> dict[str, Any]:
    conn = schema.connection()
    try:
        with transaction.atomic(using=ALIAS), conn.cursor() as cursor:
            _sync_reader(cursor, allowed)
    except DatabaseError as error:
        # A database user that may not create roles or grant: see docs/datastore-api.md.
        raise NotAuthorized(
            _("el servidor no está preparado para consultas SQL (%s).")
            % str(error).strip().splitlines()[0]
        ) from None
    timeout = int(settings.DATASTORE_SQL_TIMEOUT_MS)
    try:
        with psycopg.connect(_reader_conninfo(), autocommit=False) as reader:
            reader.read_only = True
            with reader.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {timeout}")
                cursor.execute(statement)
                rows = cursor.fetchmany(ROWS_MAX + 1)
                description = cursor.description or []
            reader.rollback()
    except psycopg.Error as error:
        state = getattr(error, "sqlstate", None)
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        if state == "42501":
            raise NotAuthorized(
                _("la consulta lee tablas o funciones no permitidas (solo tablas públicas): %s")
                % message
            ) from None
        if state == "57014":
            raise _timeout_error() from None
        if isinstance(error, psycopg.OperationalError) and state is None:
            # Could not log in as the reader: see docs/datastore-api.md.
            raise NotAuthorized(
                _("el servidor no está preparado para consultas SQL (%s).") % message
            ) from None
        raise _query_error(message) from None
    names = [d.name for d in description]
    types = [PG_TYPES.get(d.type_code, "text") for d in description]
    return _result(statement, names, types, rows)
