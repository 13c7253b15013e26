"""Loading a file into the datastore: two streaming passes, then an atomic swap.

Pass 1 reads the whole file and infers each column's type (`infer.py`); nothing is written,
so a file that is refused (empty, binary, ragged, too many columns) leaves no trace. Pass 2
reads it again and writes a new physical table — `COPY … FROM STDIN` on PostgreSQL, batched
`executemany` on SQLite — and swaps the table in (`schema.swap`). Pass 2 and the swap are
one transaction of the datastore database: if any value does not fit its column (a
dictionary override says int and row 48,213 says «N/D por error»), it rolls back, the
previous table keeps serving, and the `LoadError` names the row, the column and the value.

The full-text index comes last, in a transaction of its own (`schema.build_text_index`): it
costs several times what writing the rows does (a Spanish tsvector per row on PostgreSQL),
and the rows need not wait for it to serve. On PostgreSQL a VACUUM follows, so that filters
count their rows in the indexes alone.

Memory stays constant whatever the file size: one batch of `BATCH_ROWS` rows at a time and
a few counters per column (spreadsheets excepted: see `readers.py`).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from abierto.datastore import infer, readers, schema
from abierto.datastore.errors import LoadError
from abierto.datastore.routers import ALIAS

__all__ = ["BATCH_ROWS", "LoadError", "load_path"]

BATCH_ROWS = 5000
COPY_BLOCK = 1 << 20

Progress = Callable[[int, int], Any]
Served = Callable[[schema.Table], Any]
# A column to rewrite: its position, its batch converter and its one-value converter.
Conversion = tuple[int, Callable[[Sequence[str]], list[str]], Callable[[str], str | None]]


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
    reader = readers.open_reader(path, format or "")
    if notes is not None:
        notes.extend(str(note) for note in reader.notes)
    _names(reader.headers)  # refuse 10,000 columns before reading 10,000 columns of data
    inference = infer.Inference(len(reader.headers))
    rows_seen = 0
    for batch in reader.batches(BATCH_ROWS, first_pass=True):
        inference.widen_to(len(reader.headers))
        inference.feed(batch.rows)
        rows_seen += len(batch.rows)
        if progress is not None:
            progress(0, batch.position)
    names = _names(reader.headers)
    columns = _fields(names, inference.fields(), fields or [])
    plan = [
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
    table = _write(
        reader,
        resource_id,
        columns,
        plan,
        public=public,
        progress=progress,
        raw_rows=rows_seen if copyable else None,
    )
    if on_served is not None:
        on_served(table)
    if schema.build_text_index(resource_id, table.physical, table.fields, indexes):
        table.text_index = True
        schema.vacuum(table.physical)
    return table


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


def _write(
    reader: readers.Reader,
    resource_id: uuid.UUID | str,
    columns: list[tuple[schema.Field, str | None]],
    plan: list[Conversion],
    *,
    public: bool,
    progress: Progress | None,
    raw_rows: int | None = None,
) -> schema.Table:
    """Write the rows and swap the table in. `raw_rows`: the file may go to COPY as it is,
    and pass 1 counted this many rows in it."""
    fields = [f for f, _decimal in columns]
    connection = schema.connection()
    # Outside the long transaction: ensure_ready takes a lock that readers take too.
    with connection.cursor() as cursor:
        schema.ensure_ready(cursor)
    version = schema.next_version(resource_id)
    physical = schema.physical_name(resource_id, version)
    write = _copy if connection.vendor == "postgresql" else _insert
    if write is _copy and raw_rows is not None and _raw_options(reader) is not None:
        write = functools.partial(_copy_file, expected=raw_rows)
    try:
        with transaction.atomic(using=ALIAS):
            with connection.cursor() as cursor:
                schema.create_table(cursor, physical, fields)
                rows = write(cursor, reader, physical, fields, plan, progress)
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


def _insert(cursor, reader, physical, fields, plan, progress) -> int:
    names = ", ".join(schema.quote(f.id) for f in fields)
    # Empty cells are NULL; SQLite's column affinity turns the canonical text of numbers
    # into INTEGER and REAL.
    marks = ", ".join(["NULLIF(%s, '')"] * len(fields))
    sql = f"INSERT INTO {schema.quote(physical)} ({names}) VALUES ({marks})"
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


def _copy_file(cursor, reader, physical, fields, plan, progress, *, expected: int) -> int:
    """Hand the file to COPY as it is, when pass 1 found every typed value in a form
    PostgreSQL reads (plain numbers, ISO or day-first dates): PostgreSQL parses the CSV, in
    C, and Python only moves bytes. Any refusal (a CSV subtlety the two parsers read apart)
    falls back to the row-by-row path, which names the row, column and value."""
    names = ", ".join(schema.quote(f.id) for f in fields)
    # An empty cell is NULL, quoted or not, as on the row-by-row path.
    sql = (
        f"COPY {schema.quote(physical)} ({names}) FROM STDIN "
        f"({_raw_options(reader)}, FORCE_NULL ({names}))"
    )
    try:
        with transaction.atomic(using=ALIAS):
            # Until the load's transaction ends; the dates pass 1 saw are day first or ISO.
            cursor.execute("SET LOCAL DateStyle = 'ISO, DMY'")
            lines = 0
            with cursor.copy(sql) as copy, open(reader.path, "rb") as source:
                while block := source.read(COPY_BLOCK):
                    copy.write(block)
                    lines += block.count(b"\n")
                    if progress is not None:
                        # Lines stand for rows here (a quoted cell may span lines).
                        progress(max(lines - 1, 1), reader.size + source.tell())
            rows = cursor.rowcount
            if rows != expected:
                # E.g. a line `\.`, which ends COPY's data: never serve part of a file.
                raise _Misread
    except (DatabaseError, _Misread):
        # The rows went with the savepoint; the numbers they took did not.
        cursor.execute(f'ALTER TABLE {schema.quote(physical)} ALTER COLUMN "_id" RESTART WITH 1')
        return _copy(cursor, reader, physical, fields, plan, progress)
    if progress is not None:
        progress(rows, 2 * reader.size)
    return rows


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
