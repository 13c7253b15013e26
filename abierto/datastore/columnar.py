"""Pass 1 over a delimited file read by Arrow's CSV parser, in C.

On PostgreSQL the loader copies a regular CSV while pass 1 reads it
(`loader._copy_while_reading`), so a load takes the time of the slower of the two. Pass 1 in
Python (twelve million strings cut out by `str.split`, then inference) took longer than
PostgreSQL's COPY of the same bytes: for a million rows, 3.1-3.5 s of one core against COPY's
2.3-3.0 s on the other. Arrow cuts the file into columns without making a Python string of
each value, and the questions inference asks of a whole column (are all the values of this
column of plain integers still plain integers?) are answered over the column in C; only the
distinct values of a column that must be looked at closely (dates, booleans, a first Spanish
number) become Python strings, which `infer.Inference.learn` reads exactly as it reads those
of csv.reader.

Only files the two readers read alike come this way, and Arrow is told to refuse, not to
guess: a blank line, a row of another width, a row of empty cells (a blank row to
csv.reader), a value longer than csv's field limit or a byte that is not of the encoding
raises `Unreadable`, and the loader reads the file with the Python pass, which names the row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as arrow_csv

from abierto.datastore import infer, readers
from abierto.datastore.schema import TEXT

__all__ = ["Unreadable", "readable", "scan"]

# Arrow reads about 35 blocks ahead of the one it parses: 9 MB at this size, whatever the
# file's (36 MB at 1 MB; at 128 KB a million rows cost 0.7 s more of CPU). A row longer
# than a block is refused (the Python pass reads it).
BLOCK_BYTES = 1 << 18
# Arrow's regular expressions are RE2's, whose `\d` is ASCII; a value only the standard
# library's `\d` takes (`٣`) fails this check and goes to `learn`, which decides as before.
_PLAIN = {
    kind: "^(?:" + pattern.replace(r"\d", "[0-9]") + ")?$"
    for kind, pattern in infer.CANONICAL_NUMBERS.items()
}
# The encodings of sniff's names that Arrow is asked to read (it transcodes the others).
_ARROW_ENCODINGS = {"utf-8": "utf8", "utf-8-sig": "utf8"}


class Unreadable(Exception):
    """Arrow could not read the file the way csv.reader does: the Python pass reads it."""


def readable(reader: readers.Reader) -> bool:
    """Whether `scan` may read this file: a delimited text file, regular so far, of more
    than one column (in a file of one column a blank line is a blank row to csv.reader and
    an empty value to Arrow)."""
    return isinstance(reader, readers.CsvReader) and reader.regular and len(reader.headers) > 1


def scan(
    reader: readers.CsvReader,
    progress: Callable[[int, int], Any] | None = None,
    *,
    tap: readers.Tap | None = None,
) -> tuple[infer.Inference, int]:
    """Every value of the file through inference, as `loader._read` does with csv.reader:
    the inference and the number of rows. `tap(data)` is given every byte of the file as
    it is read. Raises Unreadable (having read part of the file, maybe)."""
    width = len(reader.headers)
    names = [f"c{index}" for index in range(width)]
    options = {
        "read_options": arrow_csv.ReadOptions(
            use_threads=False,  # the other core is PostgreSQL's, parsing the same bytes
            block_size=BLOCK_BYTES,
            skip_rows=1 if reader.has_header else 0,
            column_names=names,
            encoding=_ARROW_ENCODINGS.get(reader.encoding, reader.encoding),
        ),
        "parse_options": arrow_csv.ParseOptions(
            delimiter=reader.delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=False,
        ),
        "convert_options": arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }
    inference = infer.Inference(width)
    rows = 0
    with open(reader.path, "rb") as raw:
        source = raw
        if tap is not None:
            source = io.BufferedReader(readers.Tapped(raw, tap), readers.TAP_BLOCK)
        try:
            for batch in arrow_csv.open_csv(source, **options):
                _check(batch.columns)
                _feed(inference, batch.columns)
                rows += batch.num_rows
                if progress is not None:
                    progress(0, raw.tell())
        except (pa.ArrowException, UnicodeDecodeError) as error:
            raise Unreadable(str(error)) from None
    return inference, rows


def _check(columns: Sequence[pa.Array]) -> None:
    """Refuse what csv.reader reads otherwise: a value longer than its field limit, a row
    of empty cells. (Each Arrow call costs tens of microseconds: most batches need three.)"""
    limit = csv.field_size_limit()
    for column in columns:
        # A column's bytes in the batch bound its longest value, so most need no look. Bytes,
        # not characters: a value over the limit in bytes may be under it in characters, and
        # the Python pass decides.
        if column.nbytes > limit and pc.max(pc.binary_length(column)).as_py() > limit:
            raise Unreadable("a value longer than csv's field limit")
    empty = None  # the rows whose cells so far are all empty
    for column in columns:
        blank = pc.equal(pc.binary_length(column), 0)
        empty = blank if empty is None else pc.and_(empty, blank)
        if not pc.any(empty).as_py():
            return  # every row has a value in one of the columns so far
    raise Unreadable("a row of empty cells")


def _feed(inference: infer.Inference, columns: Sequence[pa.Array]) -> None:
    """`Inference.feed_columns` for Arrow's columns of one batch."""
    for column, values in zip(inference.columns, columns, strict=True):
        if column.kind == TEXT:
            continue
        plain = _PLAIN.get(column.kind) if column.canonical else None  # type: ignore[arg-type]
        if plain is not None and pc.all(pc.match_substring_regex(values, plain)).as_py():
            continue  # plain numbers (or empty cells) in a column of plain numbers
        present = set(pc.unique(values).to_pylist())
        present.discard("")
        if present:
            inference.learn(column, present)
