"""Loading a file into the datastore: two streaming passes, then an atomic swap.

Pass 1 reads the whole file and infers each column's type (`infer.py`); nothing is written,
so a file that is refused (empty, binary, ragged, too many columns) leaves no trace. Pass 2
reads it again and writes a new physical table — `COPY … FROM STDIN` on PostgreSQL, batched
`executemany` on SQLite — and swaps the table in (`schema.swap`). Pass 2 and the swap are
one transaction of the datastore database: if any value does not fit its column (a
dictionary override says int and row 48,213 says «N/D por error»), it rolls back, the
previous table keeps serving, and the `LoadError` names the row, the column and the value.

On PostgreSQL a delimited file whose first rows are written as COPY reads them (plain
numbers, ISO or day-first dates, no null markers) is copied *during* pass 1
(`_copy_while_reading`): PostgreSQL parses the bytes on one core while pass 1 reads them on
the other, into a table of the types the first `GUESS_ROWS` rows suggest. Pass 1 still reads
every value; when the whole file confirms those types, that copy is the table and there is
no pass 2. When it does not (a late «N/D», a `007`, a `today` PostgreSQL would take for a
date, a blank line), the copy is rolled back and pass 2 writes the file as planned from
every value, as above. There pass 1 is Arrow's reader (`columnar.py`, in C, quicker than
COPY), which also checks every byte past the first megabyte of a file taken for UTF-8
(`readers.CsvReader(whole_encoding=False)`); anything it refuses sends the load back to the
whole file's encoding and the Python pass. The table gets its primary key after the COPY
(`schema.add_key`): built at once it costs PostgreSQL a quarter of what keeping it during
the COPY does.
On SQLite a delimited file is likewise written as pass 1 reads it
(`_insert_while_reading`): parsed once, not twice, kept only if the whole file confirms
the plan of its first rows.

The full-text index comes last, in a transaction of its own (`schema.build_text_index`): it
costs several times what writing the rows does (a Spanish tsvector per row on PostgreSQL),
and the rows need not wait for it to serve. Then `schema.settle`: on PostgreSQL a VACUUM, so
that filters count their rows in the indexes alone; on SQLite a checkpoint that empties the
write-ahead log the load filled.

Memory stays constant whatever the file size: one batch of `BATCH_ROWS` rows at a time and
a few counters per column (spreadsheets excepted: see `readers.py`).
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from abierto.datastore import columnar, infer, readers, schema
from abierto.datastore.errors import LoadError
from abierto.datastore.routers import ALIAS

__all__ = ["BATCH_ROWS", "LoadError", "load_path"]

BATCH_ROWS = 5000
COPY_BLOCK = 1 << 20
# The rows whose types decide the table a file is copied (PostgreSQL) or written (SQLite)
# into while pass 1 reads it (pass 1 then confirms them on every value, or the rows written
# are thrown away).
GUESS_ROWS = BATCH_ROWS

Progress = Callable[[int, int], Any]
Served = Callable[[schema.Table], Any]
# A column to rewrite: its position, its batch converter and its one-value converter.
Conversion = tuple[int, Callable[[Sequence[str]], list[str]], Callable[[str], str | None]]
# Creates (without its primary key: `_write` adds it) and fills the new physical table:
# (cursor, physical name) -> (fields, rows).
Fill = Callable[[Any, str], tuple[list[schema.Field], int]]


def load_path(
    path: Path | str,
    *,
    resource_id: uuid.UUID | str,
    public: bool = True,
    fields: Sequence[dict[str, Any]] | None = None,
    progress: Progress | None = None,
    format: str | None = None,  # noqa: A002 - the catalog's name for it
    notes: list[str] | None = None,
    on_served: Served | None = None,
    indexes: Sequence[str] = (),
) -> schema.Table:
    """Load the file at `path` as the table of `resource_id` and serve it.

    `fields` are data-dictionary entries `{"id", "type", "info"}`: a `type` forces the
    column's type instead of inferring it, `info` (label, notes) is stored with the field.
    `format` (CSV, TSV, XLSX, XLS, ODS, JSONL, NDJSON) defaults to the file's extension.
    `progress(rows_loaded, bytes_read)` is called every `BATCH_ROWS` rows; `bytes_read`
    counts both passes, so it runs up to twice the file's size (rows_loaded stays 0 during
    the first pass). `notes`, if given, receives what was detected (encoding, delimiter,
    sheet) in the user's words. `on_served(table)` is called once the new rows serve, before
    their full-text index is built. `indexes` names columns to index for filters whatever
    their kind (CKAN's `indexes`, kept by the resource). Raises LoadError; the previous
    table, if any, is left serving.
    """
    # A UTF-8 file's first megabyte is enough to begin: on PostgreSQL, Arrow checks every
    # other byte as pass 1 reads the file beside COPY (`_copy_while_reading`); every other
    # way reads the whole file for its encoding first (`check_encoding`).
    reader = readers.open_reader(path, format or "", whole_encoding=False)
    try:
        _names(reader.headers)  # refuse 10,000 columns before reading 10,000 columns of data
        overrides = fields or []
        guess = _guess(reader, overrides)
        if guess is not None:
            fill = functools.partial(_copy_while_reading, reader, guess, overrides, progress)
        else:
            reader.check_encoding()
            if (guess := _guess_sqlite(reader, overrides)) is not None:
                fill = functools.partial(_insert_while_reading, reader, guess, overrides, progress)
            else:
                inference, rows_seen = _read(reader, progress)
                fill = functools.partial(
                    _fill, reader, _plan(reader, inference, overrides), rows_seen, progress
                )
        table = _write(resource_id, fill, public=public)
    finally:
        if notes is not None:  # the encoding's, as found in the end
            notes.extend(str(note) for note in reader.notes)
    if on_served is not None:
        on_served(table)
    if schema.build_text_index(resource_id, table.physical, table.fields, indexes):
        table.text_index = True
    schema.settle(table.physical)
    return table


def _read(
    reader: readers.Reader,
    progress: Progress | None,
    tap: readers.Tap | None = None,
    each: Callable[[readers.Batch | readers.Columns], Any] | None = None,
    *,
    arrow: bool = True,
) -> tuple[infer.Inference, int]:
    """Pass 1: every value of the file through inference, each batch then handed to `each`.
    The rows it read, too.

    Unless `arrow` is false, a delimited file without `each` is read by Arrow
    (`columnar.scan`) when it can be; if Arrow refuses it, the Python pass reads it, unless
    `tap` has been given part of it: then _Misread."""
    if arrow and each is None and columnar.readable(reader):
        try:
            return columnar.scan(reader, progress, tap=tap)
        except columnar.Unreadable:
            if tap is not None:
                raise _Misread from None
    inference = infer.Inference(len(reader.headers))
    rows_seen = 0
    for batch in reader.scan(BATCH_ROWS, tap=tap):
        inference.widen_to(len(reader.headers))
        if len(batch):  # a batch of blank lines only has none
            inference.feed_columns(batch.column)
            rows_seen += len(batch)
            if each is not None:
                each(batch)
        if progress is not None:
            progress(0, batch.position)
    return inference, rows_seen


@dataclass
class _Plan:
    """How the rows are written: each column's field and decimal separator, the columns
    whose values need rewriting, and whether PostgreSQL's COPY reads the file as it is."""

    columns: list[tuple[schema.Field, str | None]]
    conversions: list[Conversion]
    copyable: bool

    @property
    def fields(self) -> list[schema.Field]:
        return [f for f, _decimal in self.columns]


def _plan(
    reader: readers.Reader, inference: infer.Inference, overrides: Sequence[dict[str, Any]]
) -> _Plan:
    columns = _fields(_names(reader.headers), inference.fields(), overrides)
    conversions = [
        (index, infer.column_converter(f.type, decimal), infer.converter(f.type, decimal))
        for index, ((f, decimal), canonical, (inferred, _d)) in enumerate(
            zip(columns, inference.canonical(), inference.fields(), strict=True)
        )
        if f.type != schema.TEXT and not (canonical and f.type == inferred)
    ]
    copyable = all(
        f.type == schema.TEXT or (ready and f.type == inferred)
        for (f, _decimal), ready, (inferred, _d) in zip(
            columns, inference.copyable(), inference.fields(), strict=True
        )
    )
    return _Plan(columns, conversions, copyable)


def _names(headers: list[str | None]) -> list[str]:
    try:
        return schema.safe_names(headers)
    except schema.SchemaError as error:
        raise LoadError(str(error), row=1) from None


def _fields(
    names: list[str],
    inferred: list[tuple[str, str | None]],
    overrides: Sequence[dict[str, Any]],
) -> list[tuple[schema.Field, str | None]]:
    by_id = {str(o.get("id")): o for o in overrides if isinstance(o, dict)}
    result = []
    for name, (kind, decimal) in zip(names, inferred, strict=True):
        override = by_id.get(name, {})
        forced = override.get("type") or None
        if forced is not None and forced not in schema.FIELD_TYPES:
            raise LoadError(
                _("El diccionario de datos pide un tipo desconocido: «%(type)s».")
                % {"type": forced},
                column=name,
            )
        info = override.get("info") if isinstance(override.get("info"), dict) else {}
        result.append((schema.Field(name, forced or kind, dict(info)), decimal))
    return result


def _write(resource_id: uuid.UUID | str, fill: Fill, *, public: bool) -> schema.Table:
    """Make a new physical table, `fill` it, and swap it in, all in one transaction."""
    connection = schema.connection()
    # Outside the long transaction: ensure_ready takes a lock that readers take too.
    with connection.cursor() as cursor:
        schema.ensure_ready(cursor)
    version = schema.next_version(resource_id)
    physical = schema.physical_name(resource_id, version)
    try:
        with transaction.atomic(using=ALIAS):
            with connection.cursor() as cursor:
                fields, rows = fill(cursor, physical)
                schema.add_key(cursor, physical)
                schema.analyze(cursor, physical)
            return schema.swap(
                resource_id,
                physical=physical,
                fields=fields,
                row_count=rows,
                version=version,
                public=public,
                text_index=False,
            )
    except DatabaseError as error:
        _drop(physical)
        raise LoadError(
            _("La base de datos rechazó la carga: %(error)s") % {"error": error}
        ) from error
    except BaseException:
        _drop(physical)
        raise


def _fill(
    reader: readers.Reader,
    plan: _Plan,
    rows_seen: int,
    progress: Progress | None,
    cursor: Any,
    physical: str,
) -> tuple[list[schema.Field], int]:
    """Pass 2: create the table and write the rows pass 1 planned for."""
    fields = plan.fields
    schema.create_table(cursor, physical, fields, keyed=False)
    if cursor.db.vendor != "postgresql":
        return fields, _insert(cursor, reader, physical, fields, plan.conversions, progress)
    if plan.copyable and _raw_options(reader) is not None:
        rows = _copy_file(cursor, reader, physical, fields, plan.conversions, progress, rows_seen)
    else:
        rows = _copy(cursor, reader, physical, fields, plan.conversions, progress)
    return fields, rows


def _drop(physical: str) -> None:
    # The rollback already removed it; this covers a connection that had no transaction.
    try:
        with schema.connection().cursor() as cursor:
            schema.drop_physical(cursor, physical)
    except DatabaseError:
        pass


def _convert(batch: readers.Batch, fields: list[schema.Field], plan: list[Conversion]) -> None:
    """Rewrite, in place, the cells of the columns that need it (Spanish numbers, dates
    written day first, booleans, null markers) in the form the database reads; the other
    columns go as read. A value that does not fit raises LoadError for its earliest row."""
    rows = batch.rows
    failure: tuple[int, int, str] | None = None  # (index in batch, column, message)
    for position, convert_all, convert in plan:
        values = list(map(itemgetter(position), rows))
        try:
            converted = convert_all(values)
        except infer.ParseError:
            for index, value in enumerate(values):
                if failure is not None and index >= failure[0]:
                    break
                try:
                    convert(value)
                except infer.ParseError as error:
                    failure = (index, position, str(error))
                    break
            continue
        for row, value in zip(rows, converted, strict=True):
            row[position] = value
    if failure is not None:
        index, position, message = failure
        field = fields[position]
        raise LoadError(
            _("El valor %(problem)s; la columna es de tipo %(type)s.")
            % {"problem": message, "type": infer.describe(field.type)},
            row=batch.numbers[index],
            column=field.id,
            value=rows[index][position],
        )


def _insert_sql(physical: str, fields: list[schema.Field]) -> str:
    names = ", ".join(schema.quote(f.id) for f in fields)
    # Empty cells are NULL; SQLite's column affinity turns the canonical text of numbers
    # into INTEGER and REAL.
    marks = ", ".join(["NULLIF(%s, '')"] * len(fields))
    return f"INSERT INTO {schema.quote(physical)} ({names}) VALUES ({marks})"


def _insert(cursor, reader, physical, fields, plan, progress) -> int:
    sql = _insert_sql(physical, fields)
    rows = 0
    for batch in reader.batches(BATCH_ROWS):
        _convert(batch, fields, plan)
        cursor.executemany(sql, batch.rows)
        rows += len(batch.rows)
        if progress is not None:
            progress(rows, reader.size + batch.position)
    return rows


# The encodings PostgreSQL's COPY reads itself, by the names sniff gives them.
COPY_ENCODINGS = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "cp1252": "WIN1252", "latin-1": "LATIN1"}
COPY_DELIMITERS = {",": "','", ";": "';'", "\t": "E'\\t'", "|": "'|'"}


def _raw_options(reader: readers.Reader) -> str | None:
    """COPY's options to read the file as it is, or None when the file is not that simple:
    not a delimited text file, blank or ragged rows (pass 1 noted them), an encoding COPY
    does not read, or a byte order mark on a first line that is data."""
    if not isinstance(reader, readers.CsvReader) or not reader.regular:
        return None
    encoding = COPY_ENCODINGS.get(reader.encoding)
    delimiter = COPY_DELIMITERS.get(reader.delimiter)
    if encoding is None or delimiter is None:
        return None
    if reader.encoding == "utf-8-sig" and not reader.has_header:
        return None
    header = "true" if reader.has_header else "false"
    return f"FORMAT csv, HEADER {header}, DELIMITER {delimiter}, ENCODING '{encoding}'"


class _Misread(Exception):
    """COPY read the file otherwise than pass 1 did."""


def _raw_copy_sql(reader: readers.Reader, physical: str, fields: list[schema.Field]) -> str:
    names = ", ".join(schema.quote(f.id) for f in fields)
    # An empty cell is NULL, quoted or not, as on the row-by-row path.
    return (
        f"COPY {schema.quote(physical)} ({names}) FROM STDIN "
        f"({_raw_options(reader)}, FORCE_NULL ({names}))"
    )


def _copy_raw(cursor: Any, sql: str, send: Callable[[Callable[[bytes], Any]], int]) -> int:
    """Run the raw COPY `sql`, whose bytes `send(write)` writes, and return the rows it
    stored; raise _Misread, with nothing stored, if PostgreSQL refused the file or read
    another number of rows than `send` returns (pass 1's count)."""
    try:
        with transaction.atomic(using=ALIAS), cursor.db.wrap_database_errors:
            # Until the load's transaction ends; the dates pass 1 saw are day first or ISO.
            cursor.execute("SET LOCAL DateStyle = 'ISO, DMY'")
            # psycopg's own writer: pass 1 (`send`) waits whenever the socket is full, and
            # being quicker than PostgreSQL's parsing it loses nothing by waiting. (Its
            # queued writer, kept while pass 1 was the slower, buffers up to 128 MB.)
            with cursor.copy(sql) as copy:
                expected = send(copy.write)
            if cursor.rowcount != expected:
                # E.g. a line `\.`, which ends COPY's data: never serve part of a file.
                raise _Misread
            return cursor.rowcount
    except DatabaseError:
        # E.g. line endings that change within the file, which csv reads and COPY refuses.
        raise _Misread from None


def _copy_file(cursor, reader, physical, fields, plan, progress, expected: int) -> int:
    """Hand the file to COPY as it is, when pass 1 found every typed value in a form
    PostgreSQL reads (plain numbers, ISO or day-first dates): PostgreSQL parses the CSV, in
    C, and Python only moves bytes. Any refusal (a CSV subtlety the two parsers read apart)
    falls back to the row-by-row path, which names the row, column and value."""

    def send(write: Callable[[bytes], Any]) -> int:
        lines = 0
        with open(reader.path, "rb") as source:
            while block := source.read(COPY_BLOCK):
                write(block)
                lines += block.count(b"\n")
                if progress is not None:
                    # Lines stand for rows here (a quoted cell may span lines).
                    progress(max(lines - 1, 1), reader.size + source.tell())
        return expected

    try:
        rows = _copy_raw(cursor, _raw_copy_sql(reader, physical, fields), send)
    except _Misread:
        _restart_ids(cursor, physical)
        return _copy(cursor, reader, physical, fields, plan, progress)
    if progress is not None:
        progress(rows, 2 * reader.size)
    return rows


def _restart_ids(cursor: Any, physical: str) -> None:
    # The rows went with the savepoint; the numbers they took did not.
    cursor.execute(f'ALTER TABLE {schema.quote(physical)} ALTER COLUMN "_id" RESTART WITH 1')


def _guess(reader: readers.Reader, overrides: Sequence[dict[str, Any]]) -> _Plan | None:
    """On PostgreSQL, when the file's first `GUESS_ROWS` rows could go to COPY as they are,
    the plan they suggest: the loader then copies the file while pass 1 reads it."""
    if schema.connection().vendor != "postgresql" or _raw_options(reader) is None:
        return None
    if not columnar.readable(reader):
        reader.check_encoding()  # only Arrow's pass 1 checks the bytes as it reads them
    try:
        plan = _sample_plan(reader, overrides)
    except LoadError:
        if not reader.check_encoding():  # the sample went past the first megabyte, into cp1252
            raise
        plan = _sample_plan(reader, overrides)
    # The sample may have shown a blank or ragged row.
    return plan if plan.copyable and _raw_options(reader) is not None else None


def _copy_while_reading(
    reader: readers.Reader,
    guess: _Plan,
    overrides: Sequence[dict[str, Any]],
    progress: Progress | None,
    cursor: Any,
    physical: str,
) -> tuple[list[schema.Field], int]:
    """Pass 1 and a COPY of the file at once, each on a core of its own: the rows are read
    and their types inferred here while PostgreSQL parses the same bytes into a table of
    the types the first rows suggest. When the whole file confirms those types (and that
    COPY reads it as pass 1 does), the load is done in the time of the slower of the two;
    otherwise the copied rows go, and pass 2 writes the file as planned from every value
    (a late «N/D» in a column of numbers, a `today` that PostgreSQL would read as a date)."""
    read: list[tuple[infer.Inference, int]] = []

    def send(write: Callable[[bytes], Any]) -> int:
        read.append(_read(reader, progress, tap=write))
        return read[0][1]

    try:
        with transaction.atomic(using=ALIAS):
            schema.create_table(cursor, physical, guess.fields, keyed=False)
            rows = _copy_raw(cursor, _raw_copy_sql(reader, physical, guess.fields), send)
            plan = _plan(reader, read[0][0], overrides)
            if plan.columns != guess.columns or not plan.copyable or not _raw_options(reader):
                raise _Misread
    except _Misread:
        reader.check_encoding()  # Arrow may have refused a byte that is not UTF-8
        if not read:  # COPY refused to start, a write failed or Arrow refused the file
            read.append(_read(reader, progress, arrow=False))
        inference, rows_seen = read[0]
        return _fill(
            reader, _plan(reader, inference, overrides), rows_seen, progress, cursor, physical
        )
    if progress is not None:
        progress(rows, 2 * reader.size)
    return guess.fields, rows


def _guess_sqlite(reader: readers.Reader, overrides: Sequence[dict[str, Any]]) -> _Plan | None:
    """On SQLite, for a delimited text file, the plan its first `GUESS_ROWS` rows suggest:
    the loader then writes the rows as pass 1 reads them."""
    if schema.connection().vendor == "postgresql" or not isinstance(reader, readers.CsvReader):
        return None
    return _sample_plan(reader, overrides)


def _sample_plan(reader: readers.Reader, overrides: Sequence[dict[str, Any]]) -> _Plan:
    """The plan the file's first `GUESS_ROWS` rows suggest."""
    sample = infer.Inference(len(reader.headers))
    with contextlib.closing(reader.batches(GUESS_ROWS)) as batches:
        for batch in batches:
            sample.feed(batch.rows)
            break
    return _plan(reader, sample, overrides)


def _insert_while_reading(
    reader: readers.Reader,
    guess: _Plan,
    overrides: Sequence[dict[str, Any]],
    progress: Progress | None,
    cursor: Any,
    physical: str,
) -> tuple[list[schema.Field], int]:
    """SQLite: pass 1 writes each batch it reads, converted as the first rows suggest, so
    the file is parsed once, not twice (csv.reader was 2.8 of pass 2's 6.9 s for a million
    rows). The rows are kept only if the whole file confirms the plan (the same types,
    separators and conversions); otherwise — a late «N/D», a `007`, a value the guessed
    conversion refuses — they are rolled back and pass 2 writes the file as planned from
    every value, naming the row of any value that does not fit."""
    sql = _insert_sql(physical, guess.fields)
    writing = True

    def write(batch: readers.Batch | readers.Columns) -> None:
        nonlocal writing
        if writing:  # once a value refuses the guessed conversion, pass 1 only reads
            writing = _write_columns(cursor, sql, batch, guess)

    try:
        with transaction.atomic(using=ALIAS):
            schema.create_table(cursor, physical, guess.fields, keyed=False)
            inference, rows_seen = _read(reader, progress, each=write)
            plan = _plan(reader, inference, overrides)
            if not writing or not _same_writing(plan, guess):
                raise _Misread
    except _Misread:
        return _fill(reader, plan, rows_seen, progress, cursor, physical)
    if progress is not None:
        progress(rows_seen, 2 * reader.size)
    return guess.fields, rows_seen


def _write_columns(cursor, sql: str, batch: readers.Batch | readers.Columns, plan: _Plan) -> bool:
    """Insert a first-pass batch as `plan` converts it; False, writing nothing, when a value
    does not convert."""
    columns = [list(batch.column(index)) for index in range(len(plan.columns))]
    try:
        for position, convert_all, _convert_one in plan.conversions:
            columns[position] = convert_all(columns[position])
    except infer.ParseError:
        return False
    cursor.executemany(sql, list(zip(*columns, strict=True)))
    return True


def _same_writing(plan: _Plan, guess: _Plan) -> bool:
    """Whether `plan` writes every value as `guess` did: the same fields and separators, and
    the same columns converted (a converter follows from its field's type and separator)."""
    return plan.columns == guess.columns and [c[0] for c in plan.conversions] == [
        c[0] for c in guess.conversions
    ]


def _copy(cursor, reader, physical, fields, plan, progress) -> int:
    names = ", ".join(schema.quote(f.id) for f in fields)
    rows = 0
    # Values go as text in each type's canonical form, and PostgreSQL parses them; an empty
    # cell is NULL.
    sql = f"COPY {schema.quote(physical)} ({names}) FROM STDIN (NULL '')"
    with cursor.copy(sql) as copy:
        for batch in reader.batches(BATCH_ROWS):
            _convert(batch, fields, plan)
            for row in batch.rows:
                copy.write_row(row)
            rows += len(batch.rows)
            if progress is not None:
                progress(rows, reader.size + batch.position)
    return rows
