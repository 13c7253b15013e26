"""Reading a datastore table: CKAN's datastore_search (filters, full text, sort, paging).

Every name a caller gives (in `fields`, `filters`, `sort` or a per-field `q`) is looked up in
the table's registered fields and only then quoted into SQL; every value goes as a parameter,
converted first to the column's type, so a bad value is refused naming its field instead of
reaching the database. A search is one SELECT; the total comes from the registry when there is
no filter, from the page itself when the page is the last one, and otherwise from one
count(*) — or, past `total_estimation_threshold` on PostgreSQL, from the planner's estimate.

Full text: SQLite joins the table to the matching rowids of its FTS5 index (bm25 rank);
PostgreSQL matches the side table's tsvector with `plainto_tsquery('abierto_es', …)`
(ts_rank). Both ignore accents and case. With `q` alone, in rank order, the index takes the
page itself, so only the page's rows are read.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.db import DatabaseError, transaction
from django.db.backends.signals import connection_created
from django.utils.translation import gettext as _
from psycopg.types.numeric import FloatLoader
from psycopg.types.string import TextLoader

from abierto.catalog.ckan import SearchQueryFailed, ValidationFailed, as_bool
from abierto.datastore import counts, schema
from abierto.datastore.routers import ALIAS
from abierto.datastore.schema import Field, Table

ROWS_MAX = 32_000
DEFAULT_LIMIT = 100
ID = "_id"
RANK = "rank"
RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")
# CKAN's `language` names a PostgreSQL text search configuration; Abierto indexes in Spanish.
SPANISH = {"spanish", "es", "español", "espanol", "es-mx"}
ID_FIELD = Field(ID, schema.INT)
TRUE_WORDS = {"true", "t", "1", "yes", "y", "si", "sí", "verdadero", "on"}
FALSE_WORDS = {"false", "f", "0", "no", "n", "falso", "off"}
_WORD = re.compile(r"\w+", re.UNICODE)
# A word FTS5's unicode61 tokenizer keeps as one token, folded: what its vocabulary lists.
_TOKEN = re.compile(r"[a-z0-9]+", re.ASCII)


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(value: Any) -> str:
    """Text without accents, in lower case: how SQLite compares a per-field `q`."""
    return _without_accents("" if value is None else str(value)).casefold()


def _register_fold(sender, connection, **kwargs) -> None:
    if connection.alias == ALIAS and connection.vendor == "sqlite":
        connection.connection.create_function("abierto_fold", 1, fold, deterministic=True)


connection_created.connect(_register_fold, dispatch_uid="abierto_datastore_fold")


# --- Values: from the caller to the column's type, and from the column to JSON --------------


class BadValue(ValueError):
    pass


def to_db(f: Field, value: Any) -> Any:
    """`value` as the database stores column `f`; BadValue says why not."""
    if value is None:
        return None
    postgres = schema.is_postgres()
    if isinstance(value, dict | list):
        raise BadValue(_("«%(value)s» no es un valor simple") % {"value": json.dumps(value)[:80]})
    text = value.strip() if isinstance(value, str) else value
    try:
        if f.type == schema.TEXT:
            return str(value)
        if text == "":
            return None
        if f.type == schema.INT:
            if isinstance(text, bool):
                raise ValueError
            number = Decimal(str(text))
            if number != number.to_integral_value():
                raise ValueError
            return int(number)
        if f.type == schema.NUMERIC:
            if isinstance(text, bool):
                raise ValueError
            number = Decimal(str(text))
            if not number.is_finite():
                raise ValueError
            return number if postgres else float(number)
        if f.type == schema.DATE:
            day = date.fromisoformat(str(text)[:10])
            return day if postgres else day.isoformat()
        if f.type == schema.TIMESTAMP:
            moment = datetime.fromisoformat(str(text))
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
            return moment if postgres else moment.isoformat()
        if f.type == schema.BOOL:
            if isinstance(text, bool):
                flag = text
            elif str(text).lower() in TRUE_WORDS:
                flag = True
            elif str(text).lower() in FALSE_WORDS:
                flag = False
            else:
                raise ValueError
            return flag if postgres else int(flag)
    except (ValueError, InvalidOperation, TypeError):
        pass
    expected = {
        schema.INT: _("un número entero"),
        schema.NUMERIC: _("un número"),
        schema.DATE: _("una fecha AAAA-MM-DD"),
        schema.TIMESTAMP: _("una fecha y hora ISO 8601"),
        schema.BOOL: _("verdadero o falso (true/false)"),
    }.get(f.type, f.type)
    raise BadValue(
        _("«%(value)s» no es %(expected)s") % {"value": str(value)[:80], "expected": expected}
    )


# Column types whose values the database driver already returns as JSON has them: on SQLite
# dates are ISO text and REAL columns floats; on PostgreSQL booleans are bools.
_AS_STORED_SQLITE = frozenset(
    {schema.TEXT, schema.INT, schema.NUMERIC, schema.DATE, schema.TIMESTAMP, "float"}
)
# Numerics and dates come from PostgreSQL as JSON wants them through `json_ready`'s loaders.
_AS_STORED_POSTGRES = frozenset(
    {schema.TEXT, schema.INT, schema.BOOL, schema.NUMERIC, schema.DATE, "float"}
)


def json_ready(cursor) -> None:
    """Make a PostgreSQL cursor (Django's wrapper) return numerics as floats and dates as ISO
    text, as `from_db` would turn them: psycopg's C loaders do it while reading the rows,
    where converting each Decimal and date in Python cost a tenth of a first page."""
    if schema.is_postgres():
        adapters = cursor.cursor.adapters
        adapters.register_loader("numeric", FloatLoader)
        adapters.register_loader("date", TextLoader)


def from_db(f: Field, value: Any) -> Any:
    """A stored value as CKAN returns it in JSON."""
    if value is None:
        return None
    if f.type == schema.NUMERIC:
        return float(value)
    if f.type == schema.BOOL:
        return bool(value)
    if f.type == schema.INT:
        return int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def as_text(value: Any) -> str:
    """A JSON value as a CSV cell."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


# --- Parsing the caller's parameters --------------------------------------------------------


def _fail(key: str, message: str) -> ValidationFailed:
    return ValidationFailed({key: [message]})


def _json_param(value: Any, key: str, kind: type) -> Any:
    """A dict or list given as such, or as JSON text (CKAN over GET)."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            raise _fail(key, _("No es JSON válido.")) from None
    if not isinstance(value, kind):
        raise _fail(key, _("Debe ser un objeto JSON {campo: valor}."))
    return value


def _lookup(table: Table, name: Any, key: str, *, extra: tuple[Field, ...] = ()) -> Field:
    """The table's field called `name` (an exact name, else a unique case-insensitive one)."""
    candidates = [ID_FIELD, *table.fields, *extra]
    name = str(name)
    for f in candidates:
        if f.id == name:
            return f
    folded = [f for f in candidates if f.id.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise _fail(
        key,
        _("El campo «%(name)s» no existe en la tabla. Campos: %(fields)s")
        % {"name": name[:80], "fields": ", ".join(f.id for f in candidates)[:500]},
    )


def _split_outside_quotes(text: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_fields(table: Table, value: Any) -> list[Field]:
    """`fields`: a list, a JSON list or comma-separated names; all fields when empty."""
    if value in (None, "", []):
        return [ID_FIELD, *table.fields]
    if isinstance(value, str):
        names = (
            _json_param(value, "fields", list)
            if value.strip().startswith("[")
            else [n.strip('"') for n in _split_outside_quotes(value)]
        )
    elif isinstance(value, list):
        names = value
    else:
        raise _fail("fields", _("Debe ser una lista de nombres de campo."))
    chosen: list[Field] = []
    for name in names:
        f = _lookup(table, name, "fields")
        if f not in chosen:
            chosen.append(f)
    return chosen


@dataclass
class Order:
    field: Field
    descending: bool = False
    nulls: str = ""  # "", "first" or "last"

    def sql(self) -> str:
        text = "rank" if self.field is RANK_FIELD else f"t.{schema.quote(self.field.id)}"
        text += " DESC" if self.descending else " ASC"
        if self.nulls:
            text += f" NULLS {self.nulls.upper()}"
        return text


RANK_FIELD = Field(RANK, "float")


def parse_sort(table: Table, value: Any, *, ranked: bool) -> list[Order]:
    """`sort`: "a, b desc, \"c d\" asc nulls last" (a list of such clauses is accepted too)."""
    if value in (None, "", []):
        return []
    clauses = value if isinstance(value, list) else _split_outside_quotes(str(value))
    extra = (RANK_FIELD,) if ranked else ()
    orders = []
    for clause in clauses:
        text = str(clause).strip()
        if text.startswith('"'):
            end = 1
            while True:
                end = text.find('"', end)
                if end == -1:
                    raise _fail("sort", _("Comillas sin cerrar en «%s».") % text[:80])
                if text[end + 1 : end + 2] == '"':
                    end += 2
                    continue
                break
            name, tokens = text[1:end].replace('""', '"'), text[end + 1 :].split()
        else:
            words = text.split()
            tokens = []
            while words and words[-1].lower() in ("asc", "desc", "nulls", "first", "last"):
                tokens.insert(0, words.pop())
            name = " ".join(words)
        lowered = [t.lower() for t in tokens]
        descending, nulls = False, ""
        if lowered[:1] in (["asc"], ["desc"]):
            descending = lowered.pop(0) == "desc"
        if lowered[:1] == ["nulls"] and len(lowered) == 2 and lowered[1] in ("first", "last"):
            nulls = lowered[1]
            lowered = []
        if lowered or not name:
            raise _fail(
                "sort",
                _("Orden no válido «%s»: use «campo», «campo desc» o «campo asc nulls last».")
                % text[:80],
            )
        orders.append(Order(_lookup(table, name, "sort", extra=extra), descending, nulls))
    return orders


def fts_words(text: str) -> list[str]:
    return _WORD.findall(text)


# --- The query ------------------------------------------------------------------------------


@dataclass
class Query:
    """A parsed datastore_search: what to select, from where, in which order."""

    table: Table
    fields: list[Field]
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    join: str = ""
    join_params: list[Any] = field(default_factory=list)
    rank: str = ""
    rank_params: list[Any] = field(default_factory=list)
    order: list[Order] = field(default_factory=list)
    distinct: bool = False
    filtered: bool = False
    empty: bool = False  # a q with no words, or an empty list filter: nothing matches
    fts_match: str = ""  # SQLite: the FTS5 MATCH expression of `q`
    plain_q: str = ""  # the text of `q` matched in the index, when plain
    fts_alone: bool = False  # `q` is the only condition
    # The index's matches and their rank, as a subquery yielding (m_id, m_rank), and how
    # to order it: with `q` alone, the page is taken there, before any row is read.
    matches: str = ""
    matches_params: list[Any] = field(default_factory=list)
    matches_order: str = ""
    # How many rows match `q` when it is one word that no row holds twice (`_flat_rank`).
    word_total: int | None = None
    # The column and value (as counts.key spells it) of a filter on one value of a column
    # whose frequent values are counted ahead (PostgreSQL), when it is the only condition.
    counted: tuple[Field, str] | None = None

    @property
    def ranked(self) -> bool:
        return bool(self.rank)

    def _from(self) -> tuple[str, list[Any]]:
        sql = f"FROM {schema.quote(self.table.physical)} t {self.join}"
        where = list(self.where) + (["1 = 0"] if self.empty else [])
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, [*self.join_params, *self.params]

    def columns(self) -> tuple[str, list[Any]]:
        cols = [f"t.{schema.quote(f.id)}" for f in self.fields if f is not RANK_FIELD]
        params: list[Any] = []
        if self.ranked and RANK_FIELD in self.fields:
            cols.append(f"{self.rank} AS rank")
            params = list(self.rank_params)
        return ", ".join(cols), params

    def select(self, *, limit: int | None, offset: int = 0) -> tuple[str, list[Any]]:
        if self._top_ranked(limit):
            return self._select_top(limit=limit, offset=offset)
        columns, column_params = self.columns()
        source, source_params = self._from()
        sql = f"SELECT {'DISTINCT ' if self.distinct else ''}{columns} {source}"
        params = [*column_params, *source_params]
        order = [o.sql() for o in self.order]
        if not self.distinct:
            if self.ranked and not self.order:
                order.append(f"{self.rank} DESC")
                params += self.rank_params
            order.append("t._id")
        elif not order:
            order = [f"t.{schema.quote(f.id)}" for f in self.fields if f is not RANK_FIELD][:1]
        # ORDER BY rank refers to the column alias; it must be selected.
        if any(o.field is RANK_FIELD for o in self.order) and RANK_FIELD not in self.fields:
            raise _fail("sort", _("Para ordenar por rank, inclúyalo en «fields»."))
        if order:
            sql += " ORDER BY " + ", ".join(order)
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        elif offset:
            sql += " LIMIT -1 OFFSET %s" if not schema.is_postgres() else " OFFSET %s"
            params.append(offset)
        return sql, params

    def _top_ranked(self, limit: int | None) -> bool:
        """A page in rank order of `q` alone: the index ranks its matches and gives the page's
        ids, and only those rows are read (not every match's, to be sorted)."""
        return bool(self.fts_alone and self.matches and self.ranked and not self.order) and not (
            self.distinct or self.empty or limit is None
        )

    def _select_top(self, *, limit: int, offset: int) -> tuple[str, list[Any]]:
        columns = [f"t.{schema.quote(f.id)}" for f in self.fields if f is not RANK_FIELD]
        if RANK_FIELD in self.fields:
            columns.append("m.m_rank AS rank")
        sql = (
            f"SELECT {', '.join(columns)} FROM {schema.quote(self.table.physical)} t "
            f"JOIN ({self.matches} ORDER BY {self.matches_order} LIMIT %s OFFSET %s) m "
            "ON m.m_id = t._id ORDER BY m.m_rank DESC, t._id"
        )
        return sql, [*self.matches_params, limit, offset]

    def count_sql(self) -> tuple[str, list[Any]]:
        if self.fts_alone and self.matches and not self.distinct and not self.empty:
            return f"SELECT count(*) FROM ({self.matches}) m", list(self.matches_params)
        source, params = self._from()
        if self.distinct:
            columns = ", ".join(f"t.{schema.quote(f.id)}" for f in self.fields if f.id != RANK)
            return f"SELECT count(*) FROM (SELECT DISTINCT {columns} {source}) s", params
        return f"SELECT count(*) {source}", params

    def converted(self, rows: list[tuple]) -> list[list[Any]]:
        """`rows` as JSON values, converting only the columns that need it (text comes from
        the database as it is returned: most columns of most tables)."""
        as_stored = _AS_STORED_POSTGRES if schema.is_postgres() else _AS_STORED_SQLITE
        needing = [(index, f) for index, f in enumerate(self.fields) if f.type not in as_stored]
        if not needing:
            return list(map(list, rows))
        out = []
        for row in rows:
            values = list(row)
            for index, f in needing:
                value = values[index]
                if value is not None:
                    values[index] = from_db(f, value)
            out.append(values)
        return out


def _full_text(query: Query, text: str, *, plain: bool) -> None:
    """Match `text` in all text columns, ranking the matches."""
    query.filtered = True
    physical = query.table.physical
    fts = schema.quote(schema.fts_name(physical))
    if schema.is_postgres():
        function = "plainto_tsquery" if plain else "to_tsquery"
        ts = f"{function}('{schema.SEARCH_CONFIG}', %s)"
        if query.table.text_index:
            query.join = f"JOIN {fts} m ON m._id = t._id"
            document = "m.doc"
            query.matches = (
                f"SELECT _id AS m_id, ts_rank(doc, {ts}) AS m_rank FROM {fts} WHERE doc @@ {ts}"
            )
            query.matches_params = [text, text]
            query.matches_order = "m_rank DESC, m_id"
            if plain:
                query.plain_q = text
        else:
            # The load's index build has not finished: the same match, reading every row.
            document = schema.document_sql(query.table.fields, "t")
        query.where.append(f"{document} @@ {ts}")
        query.params.append(text)
        query.rank = f"ts_rank({document}, {ts})"
        query.rank_params = [text]
        return
    if plain:
        words = fts_words(text)
        if not words:
            query.empty = True
            return
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    else:
        match = text
    if not query.table.text_index:
        # The load's index build has not finished: every word, accents and case folded as
        # FTS5 folds them, somewhere in the text columns; unranked.
        if not plain:
            raise _fail("plain", _("El índice de texto se está construyendo: use plain=true."))
        document = f"abierto_fold({schema.document_sql(query.table.fields, 't')})"
        _contains_words(query, document, words)
        query.rank, query.rank_params = "0.0", []
        return
    query.fts_match = match
    query.matches = f"SELECT rowid AS m_id, -rank AS m_rank FROM {fts} WHERE {fts} MATCH %s"
    query.matches_params = [match]
    # bm25 is lower for better matches; rowid breaks ties as `t._id` does outside, so that
    # pages taken in the index follow each other.
    query.matches_order = "rank, rowid"
    if plain:
        query.plain_q = text
    query.join = f"JOIN ({query.matches}) m ON m.m_id = t._id"
    query.join_params = [match]
    query.rank = "m.m_rank"
    query.rank_params = []


def _flat_rank(physical: str, text: str) -> list[int] | None:
    """How many rows hold each word of a plain `q` when no row holds one twice (None when
    that is not known). Then every match has the same rank, so rank order is id order and
    the page's rows alone need ranking; with one word the count is the number of matches.

    SQLite: bm25 without row lengths (`schema._index_text`) is then the same for every row
    holding all the words, as FTS5's vocabulary tells, counting a word's rows by reading its
    entry (as long as counting its matches, not ranking them); it answers for words that
    are one token as FTS5 folds them. PostgreSQL: ts_rank weighs how near the words are to
    each other, so only one lexeme qualifies, counted ahead (`schema.words_name`)."""
    if schema.is_postgres():
        words = schema.quote(schema.words_name(physical))
        sql = (
            "SELECT cardinality(a.l), w.ndoc, w.nentry FROM (SELECT tsvector_to_array("
            f"to_tsvector('{schema.SEARCH_CONFIG}', %s)) AS l) a "
            f"LEFT JOIN {words} w ON w.lexeme = a.l[1]"
        )
        try:
            with _guarded(), schema.connection().cursor() as cursor:
                cursor.execute(sql, [text])
                lexemes, rows, uses = cursor.fetchone()
        except SearchQueryFailed:
            return None  # a table indexed before lexemes were counted: rank as always
        return [rows] if lexemes == 1 and rows is not None and rows == uses else None
    terms = list(dict.fromkeys(_vocabulary_term(w) for w in fts_words(text)))
    if not terms or None in terms:
        return None
    vocabulary = schema.quote(schema.vocabulary_name(physical))
    try:
        with schema.connection().cursor() as cursor:
            counts = []
            for term in terms:
                cursor.execute(f"SELECT doc, cnt FROM {vocabulary} WHERE term = %s", [term])
                counts.append(cursor.fetchone())
    except DatabaseError:
        return None  # a table indexed before the vocabulary existed: rank as always
    if any(c is None or c[0] != c[1] for c in counts):
        return None
    return [c[0] for c in counts]


def _vocabulary_term(word: str) -> str | None:
    """`word` as FTS5's vocabulary lists it, when that is sure: one token of ASCII letters and
    digits once accents are taken off and letters lowered as unicode61 does (not casefold(),
    which makes «ß» «ss», a different word for FTS5)."""
    term = _without_accents(word).lower()
    return term if _TOKEN.fullmatch(term) else None


def _contains_words(query: Query, folded: str, words: list[str]) -> None:
    """SQLite: every word somewhere in the folded text `folded` (an SQL expression)."""
    for word in words:
        escaped = fold(word).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query.where.append(f"{folded} LIKE %s ESCAPE '\\'")
        query.params.append(f"%{escaped}%")


def _field_text(query: Query, f: Field, text: str) -> None:
    """Match `text` in one column only (q given as {field: text})."""
    query.filtered = True
    column = f"t.{schema.quote(f.id)}"
    if schema.is_postgres():
        query.where.append(
            f"to_tsvector('{schema.SEARCH_CONFIG}', coalesce({column}::text, '')) @@ "
            f"plainto_tsquery('{schema.SEARCH_CONFIG}', %s)"
        )
        query.params.append(text)
        return
    words = fts_words(text)
    if not words:
        query.empty = True
        return
    _contains_words(query, f"abierto_fold({column})", words)


def _short_texts(f: Field, values: list[Any]) -> bool:
    """Whether a PostgreSQL filter on the text column `f` can say its values are short
    enough for the column's partial index (see `schema.add_indexes`)."""
    return (
        f.type == schema.TEXT
        and schema.is_postgres()
        and all(len(str(v).encode()) <= schema.INDEXED_TEXT_BYTES for v in values)
    )


def build(table: Table, data: dict[str, Any]) -> Query:
    """A Query from datastore_search's parameters (validated, or ValidationFailed naming them)."""
    language = str(data.get("language") or "spanish").strip().lower()
    if language not in SPANISH:
        raise _fail("language", _("Solo se admite «spanish»: las tablas se indexan en español."))
    plain = as_bool(data.get("plain"), True)
    q = data.get("q")
    if isinstance(q, str) and q.strip().startswith("{"):
        q = _json_param(q, "q", dict)
    full_text = data.get("full_text")
    ranked = bool((isinstance(q, str) and q.strip()) or full_text)
    query = Query(table=table, fields=parse_fields(table, data.get("fields")))
    query.distinct = as_bool(data.get("distinct"), False)

    filters = data.get("filters")
    if filters not in (None, "", {}):
        filters = _json_param(filters, "filters", dict)
        for name, value in filters.items():
            f = _lookup(table, name, "filters")
            column = f"t.{schema.quote(f.id)}"
            values = value if isinstance(value, list) else [value]
            try:
                converted = [to_db(f, v) for v in values]
            except BadValue as error:
                raise _fail("filters", f"«{f.id}»: {error}") from None
            query.filtered = True
            present = [v for v in converted if v is not None]
            clauses = []
            if len(present) == 1:
                clauses.append(f"{column} = %s")
            elif present:
                clauses.append(f"{column} IN ({', '.join(['%s'] * len(present))})")
            if len(present) < len(converted):
                clauses.append(f"{column} IS NULL")
            elif present and _short_texts(f, present):
                clauses.append(schema.text_filter_sql(column))
                clauses = [" AND ".join(clauses)]
            if not clauses:
                query.empty = True
                continue
            query.where.append("(" + " OR ".join(clauses) + ")")
            query.params.extend(present)
            if len(converted) == len(present) == 1:
                spelled = counts.key(f, present[0])
                query.counted = (f, spelled) if spelled is not None else None

    if isinstance(q, dict):
        for name, text in q.items():
            f = _lookup(table, name, "q")
            if not isinstance(text, str | int | float):
                raise _fail("q", _("El texto a buscar en «%s» debe ser una cadena.") % f.id)
            if str(text).strip():
                _field_text(query, f, str(text))
    elif q not in (None, "") or full_text not in (None, ""):
        text = " ".join(str(part) for part in (q, full_text) if part not in (None, ""))
        if text.strip():
            _full_text(query, text, plain=plain)
    query.order = parse_sort(table, data.get("sort"), ranked=query.ranked)
    if query.ranked and query.order and not any(o.field is RANK_FIELD for o in query.order):
        # Sorted by other fields: match without ranking, which costs far less on many matches.
        _unrank(query)
    elif query.ranked and ranked and data.get("fields") in (None, "", []):
        query.fields.append(RANK_FIELD)
    # Only the words to match: they are counted, and a page ranked, in the index alone. The
    # match is a join on SQLite until _unrank makes it a condition; always one on PostgreSQL.
    own = 0 if query.join and not schema.is_postgres() else 1
    query.fts_alone = bool(query.matches) and len(query.where) == own
    if len(query.where) != 1 or query.join or query.empty or not schema.is_postgres():
        query.counted = None
    if query.plain_q and query.fts_alone and query.ranked and not query.order:
        word_counts = _flat_rank(table.physical, query.plain_q)
        if word_counts is not None:
            # Every match ranks the same: id order is rank order, and the rank is computed
            # for the page's rows only (26,541 matches of one word in a million rows, SQLite:
            # 4.6 -> 0.5 ms), once they are counted ahead (one word) or in the index.
            query.matches_order = "m_id" if schema.is_postgres() else "rowid"
            query.word_total = word_counts[0] if len(word_counts) == 1 else None
    return query


def _unrank(query: Query) -> None:
    query.rank, query.rank_params = "", []
    if query.join and schema.is_postgres():
        # Matching needs the index's documents, not the ranking: a semi-join is cheaper.
        fts = schema.quote(schema.fts_name(query.table.physical))
        query.join = ""
        condition = query.where.pop()
        query.where.append(f"t._id IN (SELECT m._id FROM {fts} m WHERE {condition})")
    elif query.join:
        fts = schema.quote(schema.fts_name(query.table.physical))
        query.join, query.join_params = "", []
        query.where.append(f"t._id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)")
        query.params.append(query.fts_match)


# --- Running it -----------------------------------------------------------------------------


def read_table(resource_id: Any) -> Table | None:
    """The registry row of a resource in one statement (schema.get_table also prepares the
    database first, which costs several statements on PostgreSQL: fine for loads, not reads)."""
    conn = schema.connection()
    sql = f"SELECT {schema._COLUMNS} FROM {schema.REGISTRY} WHERE resource_id = %s"
    guard = transaction.atomic(using=ALIAS) if conn.in_atomic_block else contextlib.nullcontext()
    try:
        with guard, conn.cursor() as cursor:
            cursor.execute(sql, [str(resource_id)])
            row = cursor.fetchone()
    except DatabaseError as error:
        if schema.REGISTRY in str(error):
            return None  # no registry yet: nothing was ever loaded
        raise
    return schema._table(row) if row else None


# --- Running the query ---------------------------------------------------------------------


@contextlib.contextmanager
def _guarded():
    """Turn the database's refusal of a search expression into CKAN's Search Query Error.

    Inside a transaction (tests, writes) PostgreSQL needs a savepoint to carry on after it."""
    conn = schema.connection()
    try:
        if conn.in_atomic_block and conn.vendor == "postgresql":
            with transaction.atomic(using=ALIAS):
                yield
        else:
            yield
    except DatabaseError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise SearchQueryFailed(message) from None


def fetch(query: Query, *, limit: int, offset: int) -> list[tuple]:
    sql, params = query.select(limit=limit, offset=offset)
    with _guarded(), schema.connection().cursor() as cursor:
        json_ready(cursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def count(query: Query, *, threshold: int | None = None) -> tuple[int, bool]:
    """The number of matching rows, and whether it is the planner's estimate."""
    if not query.filtered and not query.distinct:
        return query.table.row_count, False
    if query.word_total is not None and query.fts_alone and not query.distinct:
        return query.word_total, False
    sql, params = query.count_sql()
    if query.counted and query.table.text_index and not query.distinct:
        # Counted ahead, or else counted now in the same statement; asked to estimate large
        # totals, only the count kept ahead, which is exact and cheaper than the estimate.
        otherwise = (sql, params) if threshold is None else None
        counted_sql, counted_params = counts.total_sql(
            query.table.physical, *query.counted, otherwise
        )
        try:
            with _guarded(), schema.connection().cursor() as cursor:
                cursor.execute(counted_sql, counted_params)
                row = cursor.fetchone()
        except SearchQueryFailed:
            row = None  # a table indexed before values were counted: count as always
        if row is not None and row[0] is not None:
            return int(row[0]), False
    with _guarded(), schema.connection().cursor() as cursor:
        if threshold is not None and schema.is_postgres():
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql.replace("count(*)", "1", 1), params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            estimate = int(plan[0]["Plan"]["Plan Rows"])
            if estimate > threshold:
                return estimate, True
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0]), False


def field_dict(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f.id, "type": f.type}
    if f.info:
        out["info"] = f.info
    return out


def _link(path: str, data: dict[str, Any], **changes: Any) -> str:
    params = {}
    for key, value in {**data, **changes}.items():
        if value in (None, "") or key in ("callback", "_"):
            continue
        params[key] = (
            json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        )
    return f"{path}?{urlencode(params)}"


def search(
    table: Table, data: dict[str, Any], *, path: str = "/api/3/action/datastore_search"
) -> dict[str, Any]:
    """datastore_search's result, in CKAN's shape."""
    query = build(table, data)
    limit = _natural(data, "limit", DEFAULT_LIMIT, maximum=ROWS_MAX)
    offset = _natural(data, "offset", 0)
    records_format = str(data.get("records_format") or "objects")
    if records_format not in RECORDS_FORMATS:
        raise _fail("records_format", _("Use objects, lists, csv o tsv."))
    try:
        rows = fetch(query, limit=limit, offset=offset)
    except SearchQueryFailed as error:
        # A load swapped a new table in since the registry was read: read it again, once.
        newer = read_table(table.resource_id)
        if table.physical not in error.message or newer is None or newer.physical == table.physical:
            raise
        return search(newer, data, path=path)
    result: dict[str, Any] = {
        "resource_id": table.resource_id,
        "fields": [field_dict(f) for f in query.fields],
        "records_format": records_format,
    }
    converted = query.converted(rows)
    if records_format == "objects":
        names = [f.id for f in query.fields]
        result["records"] = [dict(zip(names, row, strict=True)) for row in converted]
    elif records_format == "lists":
        result["records"] = converted
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter="," if records_format == "csv" else "\t")
        writer.writerows([as_text(v) for v in row] for row in converted)
        result["records"] = out.getvalue()
    if as_bool(data.get("include_total"), True):
        threshold = data.get("total_estimation_threshold")
        threshold = (
            None if threshold in (None, "") else _natural(data, "total_estimation_threshold", 0)
        )
        if not query.filtered and not query.distinct:
            total, estimated = table.row_count, False
        elif limit and (0 < len(rows) < limit or (not rows and offset == 0)):
            # The last page tells the total without counting.
            total, estimated = offset + len(rows), False
        else:
            total, estimated = count(query, threshold=threshold)
        result["total"] = total
        result["total_was_estimated"] = estimated
    base = {k: v for k, v in data.items() if k != "offset"}
    result["_links"] = {
        "start": _link(path, base),
        "next": _link(path, base, offset=offset + limit),
    }
    result["limit"] = limit
    result["offset"] = offset
    for key in ("filters", "q", "sort", "distinct", "include_total"):
        if data.get(key) not in (None, ""):
            result[key] = data[key]
    if isinstance(result.get("filters"), str):
        result["filters"] = _json_param(result["filters"], "filters", dict)
    result.setdefault("filters", {})
    return result


def _natural(data: dict[str, Any], key: str, default: int, *, maximum: int | None = None) -> int:
    value = data.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _fail(key, _("Debe ser un número entero.")) from None
    if number < 0:
        raise _fail(key, _("Debe ser un número natural (0 o más)."))
    return min(number, maximum) if maximum is not None else number
