"""Where the datastore keeps its tables, and the SQL that makes, swaps and drops them.

The tables live behind the `datastore` database alias (settings.py; a SQLite file of their own
by default, the platform's database with PostgreSQL). Each load writes a new physical table
`ds_<resource hex>_<version>`; `swap()` then, in one transaction, points the registry row and a
view named after the resource id at it and drops the previous table. A failed load therefore
never touches what is serving, and `datastore_search_sql` users query `"<resource id>"` as in
CKAN.

Full text: a side table `<physical>_fts` keyed by the table's `_id`s indexes the text columns:
on PostgreSQL a tsvector (configuration `abierto_es`: Spanish stems over `unaccent`) under a
GIN index; on SQLite a contentless FTS5 table (unicode61 folding accents; it has no Spanish
stemmer). A load swaps its table in first and builds this index afterwards
(`build_text_index`), because the index costs several times what writing the rows does: the
rows serve at once, and until the registry's `text_index` says the index is there, `q`
matches by reading the text columns (slower; unranked on SQLite, where a word then also
matches inside a longer one). Beside the index, how many rows hold each word and how many
times (`vocabulary_name` on SQLite, live; `words_name` on PostgreSQL, kept by the writes)
lets a search whose words no row holds twice skip ranking every match (query._flat_rank).

Column names are the file's headers, kept as written but made safe (`safe_names`): every SQL
statement quotes them, and the registry records each field's id and type.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError, ProgrammingError, connections, transaction
from django.utils.translation import gettext as _

from abierto.core import exports
from abierto.datastore.routers import ALIAS

logger = logging.getLogger(__name__)

# CKAN's names for the column types (datastore_search's `fields[].type`).
FIELD_TYPES = exports.FIELD_TYPES
TEXT, INT, NUMERIC, DATE, TIMESTAMP, BOOL = FIELD_TYPES
# SQLite keeps dates and timestamps as ISO 8601 text, which sorts and compares correctly.
SQLITE_TYPES = {
    TEXT: "TEXT",
    INT: "INTEGER",
    NUMERIC: "REAL",
    DATE: "TEXT",
    TIMESTAMP: "TEXT",
    BOOL: "INTEGER",
}
POSTGRES_TYPES = {
    TEXT: "text",
    INT: "bigint",
    NUMERIC: "numeric",
    DATE: "date",
    TIMESTAMP: "timestamp",
    BOOL: "boolean",
}
# Below PostgreSQL's 1,600 columns per table and SQLite's 2,000, with room for `_id`.
MAX_COLUMNS = 1000
# Indexes made for filters at most per table (each one costs every later write), and the
# mean length above which a text column is free text, searched with `q` rather than filtered.
MAX_FILTER_INDEXES = 32
MAX_INDEXED_TEXT = 64
# PostgreSQL's b-tree refuses a key over about 2,700 bytes, so its index on a text column
# leaves longer values out (a partial index): an upsert of a long text still succeeds, and a
# filter on a shorter value, which no left-out row can equal, says so to use the index.
INDEXED_TEXT_BYTES = 2000
# Lexemes in fewer rows are not counted ahead (PostgreSQL): ranking so few matches is quick.
COUNTED_WORD_ROWS = 100
# PostgreSQL cuts identifiers at 63 bytes; two headers equal in their first 63 bytes would
# otherwise collide.
MAX_NAME_BYTES = 63
# `_id` numbers a loading session takes from its table's sequence at a time (create_table).
BULK_ID_CACHE = 100_000
REGISTRY = "datastore_registry"
# Where a resource keeps the columns its publisher asked to index (CKAN's `indexes`).
INDEXES_EXTRA = "datastore_indexes"
SEARCH_CONFIG = "abierto_es"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SchemaError(ValueError):
    """A table that cannot be made as asked (too many columns, unknown type)."""


@dataclass
class Field:
    id: str
    type: str = TEXT
    # The data dictionary's free part, as CKAN has it: {"label", "notes", ...}.
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Table:
    """A registry row: which physical table serves a resource, and its shape."""

    resource_id: str
    physical: str
    fields: list[Field]
    row_count: int
    version: int
    loaded_at: datetime
    public: bool
    # False between a load's swap and the end of its full-text index build.
    text_index: bool = True

    @property
    def text_fields(self) -> list[Field]:
        return [f for f in self.fields if f.type == TEXT]


def connection():
    return connections[ALIAS]


def is_postgres() -> bool:
    return connection().vendor == "postgresql"


def quote(name: str) -> str:
    """A quoted SQL identifier (both databases double the quote character)."""
    return '"' + name.replace('"', '""') + '"'


def _cut(name: str, limit: int) -> str:
    encoded = name.encode()
    if len(encoded) <= limit:
        return name
    return encoded[:limit].decode(errors="ignore").rstrip()


def safe_names(headers: list[Any]) -> list[str]:
    """Column names from a file's headers: kept as written where possible, always usable.

    Control characters go, spaces are collapsed, a leading `_` (reserved: `_id`,
    `_full_text`) is dropped, an empty header becomes «columna_N», names are cut to 63 bytes,
    and repeats (ignoring case, as SQLite does) get «_2», «_3»…
    """
    if len(headers) > MAX_COLUMNS:
        raise SchemaError(
            _("El archivo tiene %(count)s columnas; el máximo es %(max)s.")
            % {"count": f"{len(headers):,}", "max": f"{MAX_COLUMNS:,}"}
        )
    names: list[str] = []
    taken: set[str] = set()
    for position, header in enumerate(headers, start=1):
        text = unicodedata.normalize("NFC", "" if header is None else str(header))
        text = " ".join(_CONTROL.sub(" ", text).split()).lstrip("_").strip()
        base = _cut(text, MAX_NAME_BYTES) or f"columna_{position}"
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            suffix = f"_{n}"
            name = _cut(base, MAX_NAME_BYTES - len(suffix)) + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def physical_name(resource_id: uuid.UUID | str, version: int) -> str:
    return f"ds_{uuid.UUID(str(resource_id)).hex}_{version}"


def fts_name(physical: str) -> str:
    return f"{physical}_fts"


def vocabulary_name(physical: str) -> str:
    """SQLite: the fts5vocab table over the full-text index (each word's rows and uses)."""
    return f"{physical}_fts_vocabulary"


def words_name(physical: str) -> str:
    """PostgreSQL: the rows and uses of each lexeme the full-text index holds in at least
    COUNTED_WORD_ROWS rows (kept by the writes: actions._fts_add, actions._fts_remove)."""
    return f"{physical}_fts_words"


def values_name(physical: str) -> str:
    """PostgreSQL: the rows of each frequent value of the filter columns (counts.py)."""
    return f"{physical}_values"


def word_counts_sql(fts: str, where: str = "") -> str:
    """PostgreSQL: (lexeme, rows, uses) of the documents of the side table `fts` (quoted)
    that `where` selects (about 5 s for a million rows; ts_stat took 50)."""
    return (
        "SELECT u.lexeme, count(*) AS ndoc, sum(cardinality(u.positions)) AS nentry "
        f"FROM {fts} m, unnest(m.doc) u {where} GROUP BY u.lexeme"
    )


# --- Preparing the database ----------------------------------------------------------------


def ensure_ready(cursor) -> None:
    """Create the registry (and, on PostgreSQL, the Spanish unaccented search configuration)."""
    if connection().vendor == "postgresql":
        # Two first loads at once must not both create the configuration.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('abierto_datastore_ready'))")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [SEARCH_CONFIG])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} (COPY = spanish)")
            cursor.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {SEARCH_CONFIG} "
                "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem"
            )
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {REGISTRY} ("
        " resource_id varchar(36) PRIMARY KEY,"
        " physical varchar(63) NOT NULL,"
        " fields text NOT NULL,"
        " row_count bigint NOT NULL,"
        " version integer NOT NULL,"
        " loaded_at varchar(40) NOT NULL,"
        " public boolean NOT NULL DEFAULT false,"
        " text_index boolean NOT NULL DEFAULT true)"
    )
    _add_text_index_column(cursor)


def _add_text_index_column(cursor) -> None:
    """Registries made before the index was built after the swap lack the column."""
    if connection().vendor == "postgresql":
        cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = 'text_index'",
            [REGISTRY],
        )
        present = cursor.fetchone() is not None
    else:
        cursor.execute(f"PRAGMA table_info({REGISTRY})")
        present = any(row[1] == "text_index" for row in cursor.fetchall())
    if not present:
        cursor.execute(
            f"ALTER TABLE {REGISTRY} ADD COLUMN text_index boolean NOT NULL DEFAULT true"
        )


# --- Reading the registry ------------------------------------------------------------------


def _table(row) -> Table:
    resource_id, physical, fields, row_count, version, loaded_at, public, text_index = row
    return Table(
        resource_id=resource_id,
        physical=physical,
        fields=[Field(**f) for f in json.loads(fields)],
        row_count=row_count,
        version=version,
        loaded_at=datetime.fromisoformat(loaded_at),
        public=bool(public),
        text_index=bool(text_index),
    )


_COLUMNS = "resource_id, physical, fields, row_count, version, loaded_at, public, text_index"


def get_table(resource_id: uuid.UUID | str) -> Table | None:
    """The table serving `resource_id`, or None if it was never loaded."""
    with connection().cursor() as cursor:
        ensure_ready(cursor)
        cursor.execute(
            f"SELECT {_COLUMNS} FROM {REGISTRY} WHERE resource_id = %s", [str(resource_id)]
        )
        row = cursor.fetchone()
    return _table(row) if row else None


def next_version(resource_id: uuid.UUID | str) -> int:
    table = get_table(resource_id)
    return table.version + 1 if table else 1


# --- Making, swapping and dropping tables --------------------------------------------------


def _column_sql(f: Field, types: dict[str, str]) -> str:
    if f.type not in types:
        raise SchemaError(_("Tipo de columna desconocido: %(type)s") % {"type": f.type})
    return f"{quote(f.id)} {types[f.type]}"


def _text_expression(fields: list[Field], alias: str = "") -> str:
    """All text columns joined by spaces: immutable SQL on both databases."""
    prefix = f"{alias}." if alias else ""
    parts = [f"coalesce({prefix}{quote(f.id)}, '')" for f in fields if f.type == TEXT]
    return " || ' ' || ".join(parts) if parts else "''"


def document_sql(fields: list[Field], alias: str = "") -> str:
    """What the full-text index holds for a row: its text columns, as a tsvector on
    PostgreSQL and as one string for FTS5 on SQLite."""
    text = _text_expression(fields, alias)
    if connection().vendor == "postgresql":
        return f"to_tsvector('{SEARCH_CONFIG}'::regconfig, {text})"
    return text


def create_table(cursor, physical: str, fields: list[Field], *, keyed: bool = True) -> None:
    """An empty table for a load (dropping a leftover of a failed one with the same name).

    On PostgreSQL, `keyed=False` leaves out the primary key on `_id`, which `add_key` adds
    once the rows are in: a million rows copied into a keyed table cost PostgreSQL 7.3 s
    against 4.8 s without the key, and building it afterwards 0.6 s. (SQLite's `_id` is the
    rowid: a key whatever `keyed` says.)

    Such a table's `_id` numbers also come from a sequence cached by the loading session,
    BULK_ID_CACHE at a time: fetching each from the shared sequence cost PostgreSQL 0.35-0.4
    s of the million rows' 4.8 s COPY. `add_key` puts the sequence back to one at a time."""
    drop_physical(cursor, physical)
    if connection().vendor == "postgresql":
        columns = ", ".join(_column_sql(f, POSTGRES_TYPES) for f in fields)
        key = " PRIMARY KEY" if keyed else f" (CACHE {BULK_ID_CACHE})"
        cursor.execute(
            f"CREATE TABLE {quote(physical)} ("
            f'"_id" bigint GENERATED BY DEFAULT AS IDENTITY{key}, {columns})'
        )
    else:
        columns = ", ".join(_column_sql(f, SQLITE_TYPES) for f in fields)
        cursor.execute(f'CREATE TABLE {quote(physical)} ("_id" INTEGER PRIMARY KEY, {columns})')


def add_key(cursor, physical: str) -> None:
    """The primary key on `_id` of a table made with `create_table(keyed=False)`; rows
    written after the load are numbered one at a time from its last row on (not from the
    end of the loading session's cache)."""
    if connection().vendor == "postgresql":
        table = quote(physical)
        cursor.execute(f'ALTER TABLE {table} ADD PRIMARY KEY ("_id")')
        cursor.execute(f'SELECT coalesce(max("_id"), 0) + 1 FROM {table}')  # noqa: S608
        (following,) = cursor.fetchone()
        cursor.execute(
            f'ALTER TABLE {table} ALTER COLUMN "_id" SET CACHE 1 RESTART WITH {int(following)}'
        )


def analyze(cursor, physical: str) -> None:
    """Give PostgreSQL's planner the new table's statistics before it serves."""
    if connection().vendor == "postgresql":
        # A tenth of the default sample: enough for filters and sorts on a fresh table, and
        # at 100 rows per unit it no longer costs as much as the COPY itself.
        cursor.execute("SET LOCAL default_statistics_target = 10")
        cursor.execute(f"ANALYZE {quote(physical)}")
        cursor.execute("RESET default_statistics_target")


def index_table(cursor, physical: str, fields: list[Field], indexed: Sequence[str] = ()) -> None:
    """Build the indexes of a table whose rows are in (faster than row by row), in the
    caller's transaction: the full-text side table, then the filter columns' (`indexed`
    names the ones a publisher asked for, CKAN's `indexes`)."""
    _index_text(cursor, physical, fields)
    index_columns(cursor, physical, fields, indexed)


def filter_columns(
    cursor, physical: str, fields: list[Field], indexed: Sequence[str] = ()
) -> list[Field]:
    """The columns worth an index for `filters` (and `sort`): those a publisher asked for,
    then every typed column and every text column of short values (codes, names,
    categories), at most MAX_FILTER_INDEXES.

    Free text (a mean over MAX_INDEXED_TEXT characters: descriptions, addresses) is what
    `q` is for; an index on it would be as big as the column and rarely used."""
    wanted = set(indexed)
    asked = [f for f in fields if f.id in wanted]
    texts = [f for f in fields if f.type == TEXT and f not in asked]
    means: dict[str, float | None] = {}
    if texts:
        averages = ", ".join(f"avg(length({quote(f.id)}))" for f in texts)
        cursor.execute(f"SELECT {averages} FROM {quote(physical)}")
        means = dict(zip((f.id for f in texts), cursor.fetchone(), strict=True))
    chosen = asked + [
        f
        for f in fields
        if f not in asked
        and (f.type != TEXT or (means[f.id] is not None and means[f.id] <= MAX_INDEXED_TEXT))
    ]
    return chosen[:MAX_FILTER_INDEXES]


def index_columns(cursor, physical: str, fields: list[Field], indexed: Sequence[str] = ()) -> None:
    """Index the filter columns, so that a filter's page and its exact total read the
    matching rows only: on a million rows, a count by municipality falls from a scan of the
    table (about 190 ms) to about a millisecond. On PostgreSQL their frequent values' rows
    are counted too (counts.py): a filter's total is then read, not counted."""
    chosen = filter_columns(cursor, physical, fields, indexed)
    add_indexes(cursor, physical, fields, chosen)
    if connection().vendor == "postgresql":
        from abierto.datastore import counts  # it builds on this module

        counts.build(cursor, physical, chosen)


def add_indexes(cursor, physical: str, fields: list[Field], chosen: Sequence[Field]) -> None:
    """An index on each of `chosen` that has none yet (named after the column's position).

    On PostgreSQL each is a b-tree on (column, _id): a filter's page is then read in `_id`
    order from the index, and its exact total is an index-only scan once the table is
    vacuumed (`settle`), where a hash index read a heap page per matching row (262 against
    1.7 ms for 19,000 of a million rows). Text keys are limited (`text_filter_sql`)."""
    postgres = connection().vendor == "postgresql"
    positions = {f.id: n for n, f in enumerate(fields)}
    for f in chosen:
        name = quote(f"{physical}_c{positions[f.id]}")
        columns, where = quote(f.id), ""
        if postgres:
            columns += ', "_id"'
            if f.type == TEXT:
                where = f" WHERE {text_filter_sql(quote(f.id))}"
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {quote(physical)} ({columns}){where}")


def text_filter_sql(column: str) -> str:
    """The condition of PostgreSQL's partial index on the text `column` (an SQL expression),
    which a filter on values of at most INDEXED_TEXT_BYTES adds to its own."""
    return f"octet_length({column}) <= {INDEXED_TEXT_BYTES}"


def settle(physical: str, conn=None) -> None:
    """Leave a freshly loaded table as fast to read as an old one.

    PostgreSQL: VACUUM marks its pages all-visible, so that counts read its indexes only
    (autovacuum would do it later or, where it is off, never). SQLite: a checkpoint moves the
    load out of the write-ahead log (437 MB for a million rows) into the database file and
    empties the log. Until then every page a reader wants is looked up in the log's index
    first, and with no write after the load the automatic checkpoint may never finish while
    readers hold older snapshots: a filter's page took 3.45 ms of CPU against 2.03 once
    checkpointed (bench/README.md). Neither can run in a transaction, so inside one (tests,
    a caller's atomic block) both are left to the database."""
    conn = conn or connection()
    if conn.in_atomic_block:
        return
    try:
        with conn.cursor() as cursor:
            if conn.vendor == "postgresql":
                cursor.execute(f"VACUUM {quote(physical)}")
            else:
                # TRUNCATE waits (busy_timeout) for readers of older snapshots, then empties
                # the log; if they outlast it, what could be copied was, and that is all.
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except ProgrammingError:
        # Another load swapped its table in and dropped this one meanwhile.
        pass
    except DatabaseError:
        # The rows already serve: a VACUUM or checkpoint that cannot run now (a lock held
        # too long) only leaves them slower until the database does it itself.
        logger.warning("datastore: could not settle %s", physical, exc_info=True)


def _index_text(cursor, physical: str, fields: list[Field]) -> None:
    fts = quote(fts_name(physical))
    if connection().vendor == "postgresql":
        cursor.execute(f'CREATE TABLE {fts} ("_id" bigint PRIMARY KEY, doc tsvector NOT NULL)')
        source = f"SELECT _id, {document_sql(fields)} FROM {quote(physical)}"
        cursor.execute(f"INSERT INTO {fts} (_id, doc) {source}")
        cursor.execute(f"CREATE INDEX {quote(physical + '_ft')} ON {fts} USING gin (doc)")
        cursor.execute(f"ANALYZE {fts}")
        words = quote(words_name(physical))
        cursor.execute(
            f"CREATE TABLE {words} (lexeme text PRIMARY KEY, ndoc bigint NOT NULL, "
            "nentry bigint NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {words} {word_counts_sql(fts)} HAVING count(*) >= %s",
            [COUNTED_WORD_ROWS],
        )
    else:
        # columnsize=0: no row lengths are kept, so bm25 ranks by how often and how rare the
        # words are, not by the row's length, as CKAN's ts_rank does on PostgreSQL; reading a
        # stored length for every match was most of a ranked search (36 -> 4 ms over 26,541
        # matches of one word in a million rows), and the index is smaller and quicker to build.
        cursor.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5("
            "doc, content='', columnsize=0, tokenize='unicode61 remove_diacritics 2')"
        )
        source = f"SELECT _id, {document_sql(fields)} FROM {quote(physical)}"
        cursor.execute(f"INSERT INTO {fts} (rowid, doc) {source}")
        cursor.execute(
            f"CREATE VIRTUAL TABLE {quote(vocabulary_name(physical))} USING fts5vocab({fts}, row)"
        )


def has_text_index(cursor, physical: str) -> bool:
    """Whether the full-text side table of `physical` exists (in the caller's transaction)."""
    if connection().vendor == "postgresql":
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [quote(fts_name(physical))])
        return bool(cursor.fetchone()[0])
    cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [fts_name(physical)])
    return cursor.fetchone() is not None


def build_text_index(
    resource_id: uuid.UUID | str,
    physical: str,
    fields: list[Field],
    indexed: Sequence[str] = (),
) -> bool:
    """Index the text of a table that already serves, then tell the registry so.

    Writes to the table (datastore_upsert, datastore_delete) wait for the build, and the
    writes made before it are in what it reads: they keep the side table in step only once it
    exists (actions.py checks `has_text_index` after writing the rows). Returns False when
    another load replaced the table meanwhile: there is nothing left to index.
    """
    resource_id = str(resource_id)
    postgres = connection().vendor == "postgresql"
    with transaction.atomic(using=ALIAS), connection().cursor() as cursor:
        if postgres:
            # The table before the registry row, in the order upserts and swaps take them, so
            # none of them deadlocks with the build. Readers go on; writers wait for the end.
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [quote(physical)])
            if not cursor.fetchone()[0]:
                return False
            cursor.execute(f"LOCK TABLE {quote(physical)} IN SHARE MODE")
        # On SQLite the build's first write takes the database's write lock.
        cursor.execute(f"SELECT physical FROM {REGISTRY} WHERE resource_id = %s", [resource_id])
        row = cursor.fetchone()
        if row is None or row[0] != physical:
            return False
        if not has_text_index(cursor, physical):
            index_table(cursor, physical, fields, indexed)
        cursor.execute(
            f"UPDATE {REGISTRY} SET text_index = %s WHERE resource_id = %s", [True, resource_id]
        )
    return True


def drop_physical(cursor, physical: str) -> None:
    if connection().vendor == "postgresql":
        cursor.execute(f"DROP TABLE IF EXISTS {quote(words_name(physical))}")
        cursor.execute(f"DROP TABLE IF EXISTS {quote(values_name(physical))}")
    else:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(vocabulary_name(physical))}")
    cursor.execute(f"DROP TABLE IF EXISTS {quote(fts_name(physical))}")
    cursor.execute(f"DROP TABLE IF EXISTS {quote(physical)}")


def _view_sql(resource_id: str, physical: str, fields: list[Field]) -> str:
    columns = ", ".join(['"_id"', *(quote(f.id) for f in fields)])
    return f"CREATE VIEW {quote(resource_id)} AS SELECT {columns} FROM {quote(physical)}"


def swap(
    resource_id: uuid.UUID | str,
    *,
    physical: str,
    fields: list[Field],
    row_count: int,
    version: int,
    public: bool,
    text_index: bool = True,
) -> Table:
    """Serve `physical` for the resource from now on; drop the table it replaces.

    One transaction: readers see the old table or the new one, never a mix or nothing.
    """
    resource_id = str(resource_id)
    loaded_at = datetime.now(UTC)
    fields_json = json.dumps([asdict(f) for f in fields], ensure_ascii=False)
    with transaction.atomic(using=ALIAS), connection().cursor() as cursor:
        ensure_ready(cursor)
        cursor.execute(f"SELECT physical FROM {REGISTRY} WHERE resource_id = %s", [resource_id])
        old = cursor.fetchone()
        cursor.execute(f"DROP VIEW IF EXISTS {quote(resource_id)}")
        if old is not None and old[0] != physical:
            drop_physical(cursor, old[0])
        cursor.execute(f"DELETE FROM {REGISTRY} WHERE resource_id = %s", [resource_id])
        cursor.execute(
            f"INSERT INTO {REGISTRY} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                resource_id,
                physical,
                fields_json,
                row_count,
                version,
                loaded_at.isoformat(),
                public,
                text_index,
            ],
        )
        cursor.execute(_view_sql(resource_id, physical, fields))
    return Table(resource_id, physical, fields, row_count, version, loaded_at, public, text_index)


def update_registry(
    resource_id: uuid.UUID | str,
    *,
    fields: list[Field] | None = None,
    row_count: int | None = None,
    public: bool | None = None,
) -> None:
    """Change what the registry says of a table (after an upsert, a dictionary edit, or the
    dataset turning public or private) without touching its rows."""
    sets, params = [], []
    if fields is not None:
        sets.append("fields = %s")
        params.append(json.dumps([asdict(f) for f in fields], ensure_ascii=False))
    if row_count is not None:
        sets.append("row_count = %s")
        params.append(row_count)
    if public is not None:
        sets.append("public = %s")
        params.append(public)
    if not sets:
        return
    with connection().cursor() as cursor:
        ensure_ready(cursor)
        cursor.execute(
            f"UPDATE {REGISTRY} SET {', '.join(sets)} WHERE resource_id = %s",
            [*params, str(resource_id)],
        )


def drop(resource_id: uuid.UUID | str) -> bool:
    """Remove a resource's table altogether (datastore_delete without filters)."""
    resource_id = str(resource_id)
    with transaction.atomic(using=ALIAS), connection().cursor() as cursor:
        ensure_ready(cursor)
        cursor.execute(f"SELECT physical FROM {REGISTRY} WHERE resource_id = %s", [resource_id])
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(f"DROP VIEW IF EXISTS {quote(resource_id)}")
        drop_physical(cursor, row[0])
        cursor.execute(f"DELETE FROM {REGISTRY} WHERE resource_id = %s", [resource_id])
    return True
