"""Streaming row readers, one per format: batches of rows as lists of strings, in file order.

Every reader can be read twice (the loader infers types on the first pass and writes on the
second) and never holds more than one batch, except spreadsheets: calamine reads a whole
sheet into memory, so spreadsheets are refused above `MAX_SPREADSHEET_BYTES` with a message
asking for a CSV.

Cells are strings, "" when empty (NULL once stored). Ragged rows: a row shorter than the
header is padded with empty cells (spreadsheet exports drop trailing empty cells); a row
with more cells than the header is refused with its number, unless the extra cells are all
empty (trailing delimiters).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any, BinaryIO

import python_calamine
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from abierto.datastore import sniff
from abierto.datastore.errors import LoadError

CSV_FORMATS = frozenset({"CSV", "TSV", "TXT"})
SPREADSHEET_FORMATS = frozenset({"XLSX", "XLS", "ODS"})
JSONL_FORMATS = frozenset({"JSONL", "NDJSON"})
FORMATS = CSV_FORMATS | SPREADSHEET_FORMATS | JSONL_FORMATS
MAX_SPREADSHEET_BYTES = 100 * 1024 * 1024
# A "line" longer than this is not a row of a table (a binary or a one-line dump).
MAX_LINE_CHARS = 8 * 1024 * 1024

Tap = Callable[[bytes], Any]


@dataclass
class Batch:
    rows: list[list[str]]
    # The file's row number of each row (blank lines are skipped but counted): a range
    # when no line was skipped, which is almost always.
    numbers: Sequence[int]
    # How far into the file the reader is, in bytes.
    position: int

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, index: int) -> Iterable[str]:
        return map(itemgetter(index), self.rows)


@dataclass
class Columns:
    """A first-pass batch read as columns: the values of each, with no row built."""

    columns: list[list[str]]
    count: int
    position: int

    def __len__(self) -> int:
        return self.count

    def column(self, index: int) -> Iterable[str]:
        return self.columns[index]


@dataclass
class Reader:
    """A file's header and rows. Subclasses implement `_rows()`."""

    path: Path
    size: int = 0
    headers: list[str] = field(default_factory=list)
    has_header: bool = True
    notes: list[str] = field(default_factory=list)
    # No blank line and no row of another width so far: the file is the table as written
    # (the loader may then hand it to PostgreSQL's COPY as it is).
    regular: bool = True

    def batches(
        self, size: int, *, first_pass: bool = False, tap: Tap | None = None
    ) -> Iterator[Batch]:
        """The data rows, `size` at a time, each exactly as wide as the header.

        On the first pass a JSON-lines reader finds its columns as it goes: `headers` may
        grow between batches, never within one. `tap(data)`, which only a delimited text
        file takes, is given every byte of the file as it is read (the loader's COPY).
        """
        if tap is not None:
            raise TypeError(f"{type(self).__name__} has no bytes to tap")
        rows: list[list[str]] = []
        numbers: list[int] = []
        position = 0
        source = self._scan_rows() if first_pass else self._data_rows()
        for number, row, position in source:
            width = len(self.headers)
            if len(row) != width:
                row = self._fit(row, width, number)
            rows.append(row)
            numbers.append(number)
            if len(rows) >= size:
                yield self._batch(rows, numbers, position)
                rows, numbers = [], []
        if rows:
            yield self._batch(rows, numbers, position)

    def check_encoding(self) -> bool:
        """Read every byte for the file's encoding, if the constructor was told not to
        (a delimited file's `whole_encoding=False`), and say whether it changed. Raises
        LoadError as the constructor does (a NUL byte, an overlong line)."""
        return False

    def scan(self, size: int, *, tap: Tap | None = None) -> Iterator[Batch | Columns]:
        """The first pass: the batches of `batches(first_pass=True)`, or, where a reader
        can, the same values as `Columns` (cheaper: no row is built)."""
        return self.batches(size, first_pass=True, tap=tap)

    def _batch(self, rows: list[list[str]], numbers: list[int], position: int) -> Batch:
        width = len(self.headers)
        for row in rows:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        return Batch(rows, numbers, position)

    def _scan_rows(self) -> Iterator[tuple[int, list[str], int]]:
        return self._data_rows()

    def _fit(self, row: list[str], width: int, number: int) -> list[str]:
        if len(row) < width:
            return row + [""] * (width - len(row))
        extra = row[width:]
        if any(cell is not None and str(cell).strip() for cell in extra):
            raise LoadError(
                _(
                    "La fila tiene %(cells)s celdas y el encabezado %(width)s columnas. "
                    "Revise si falta poner entre comillas un texto que contiene el separador."
                )
                % {"cells": len(row), "width": width},
                row=number,
                column=None,
                value=next(c for c in extra if c is not None and str(c).strip()),
            )
        return row[:width]

    def _data_rows(self) -> Iterator[tuple[int, list[str], int]]:
        """(row number, cells, bytes read so far) for every non-blank row after the header."""
        raise NotImplementedError


# ---------------------------------------------------------------------------------- CSV

# Small blocks keep the tap's consumer (a COPY whose server parses on the other core) fed
# evenly while the rows are parsed here, instead of in bursts it waits for.
TAP_BLOCK = 64 * 1024
# The first pass reads a delimited file in blocks of this many characters (a few thousand
# rows: the values of one block stay in the processor's cache while inference reads them).
SCAN_CHARS = 1 << 18


class Tapped(io.RawIOBase):
    """A binary file whose bytes, as they are read, are also handed to `tap`."""

    def __init__(self, raw: io.BufferedReader, tap: Tap) -> None:
        self.raw, self.tap = raw, tap

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        read = self.raw.readinto(buffer)
        if read:
            self.tap(bytes(memoryview(buffer)[:read]))
        return read


class CsvReader(Reader):
    def __init__(self, path: Path, *, delimiter: str = None, whole_encoding: bool = True) -> None:
        """`whole_encoding=False` takes a first megabyte of UTF-8 for a file of UTF-8
        without reading the rest (see `sniff.detect_encoding`): the caller checks the rest,
        or calls `check_encoding` before reading past that megabyte."""
        super().__init__(path=path, size=os.path.getsize(path))
        with open(path, "rb") as stream:
            self.encoding = sniff.detect_encoding(stream, whole=whole_encoding)
            sample = sniff.sample_text(stream, self.encoding)
        # Whether every byte was read to find the encoding.
        self.encoding_checked = whole_encoding or self.encoding not in sniff.UTF8_NAMES
        self.delimiter = delimiter or sniff.detect_delimiter(sample)
        self.notes = [self._encoding_note()]
        try:
            first = next(self._records(), None)
        except LoadError:
            if not self.check_encoding():  # a header past the first megabyte, in cp1252
                raise
            first = next(self._records(), None)
        if first is None:
            raise LoadError(_("El archivo está vacío."))
        _number, cells, _position = first
        self.has_header = sniff.is_header(cells)
        self.headers = list(cells) if self.has_header else [""] * len(cells)
        if not self.has_header:
            self.notes.append(
                _("La primera fila tiene datos, no nombres: las columnas se llaman columna_N.")
            )

    def _encoding_note(self) -> str:
        return _("Codificación: %(encoding)s. Separador: %(delimiter)s.") % {
            "encoding": sniff.encoding_name(self.encoding),
            "delimiter": sniff.DELIMITER_NAMES.get(self.delimiter, self.delimiter),
        }

    def check_encoding(self) -> bool:
        if self.encoding_checked:
            return False
        with open(self.path, "rb") as stream:
            encoding = sniff.detect_encoding(stream)
        self.encoding_checked = True
        if encoding == self.encoding:
            return False
        self.encoding = encoding
        self.notes[0] = self._encoding_note()
        return True

    def _records(self) -> Iterator[tuple[int, list[str], int]]:
        """The first non-blank record (for the header)."""
        for batch in self._chunks(1, skip_header=False):
            yield batch.numbers[0], batch.rows[0], batch.position
            return

    def batches(
        self, size: int, *, first_pass: bool = False, tap: Tap | None = None
    ) -> Iterator[Batch]:
        return self._chunks(size, skip_header=self.has_header, tap=tap)

    def _chunks(self, size: int, *, skip_header: bool, tap: Tap | None = None) -> Iterator[Batch]:
        # csv.reader iterates in C and islice cuts batches in C: the per-row Python work is
        # only for the rare blank or ragged row. Lines are bounded by sniff's scan (no
        # gigabyte-long line reaches here) and quoted fields by csv.field_size_limit.
        with self._open(tap) as (raw, text):
            reader = csv.reader(text, delimiter=self.delimiter)
            with self._errors(reader, 0):
                number = self._skip_header(reader) if skip_header else 0
            yield from self._rows_of(reader, raw, number, 0, size)

    def scan(self, size: int, *, tap: Tap | None = None) -> Iterator[Batch | Columns]:
        """The first pass, in blocks of about `SCAN_CHARS` characters. Blocks of plain lines
        (every line as wide as the header; no blank line, lone carriage return or NUL; no
        quoted value that spans lines) are cut into columns by `str.split`, two to three
        times cheaper than csv.reader, and read exactly as csv.reader reads them (see
        `_plain_columns`); from the first block that is not plain, csv.reader reads the rest
        of the file as `batches` does."""
        width = len(self.headers)
        with self._open(tap) as (raw, text):
            reader = csv.reader(text, delimiter=self.delimiter)
            with self._errors(reader, 0):
                number = self._skip_header(reader) if self.has_header else 0
            lines = reader.line_num
            tail = ""
            while True:
                rest = None
                with self._errors(None, lines):  # a byte that is not of the encoding
                    if not (block := text.read(SCAN_CHARS)):
                        break
                    block = tail + block
                    cut = block.rfind("\n") + 1
                    body, tail = block[:cut], block[cut:]
                    columns, count = (
                        _plain_columns(body, self.delimiter, width) if body else (None, 0)
                    )
                    if columns is None and body:
                        # The rest of the line in hand, so that csv.reader starts at a line.
                        rest = io.StringIO(body + tail + text.readline(), newline="")
                if rest is not None:
                    reader = csv.reader(chain(rest, text), delimiter=self.delimiter)
                    yield from self._rows_of(reader, raw, number, lines, size)
                    return
                if count:
                    number += count
                    lines += count
                    yield Columns(columns, count, raw.tell())
            if tail:  # a last line without a line end
                reader = csv.reader([tail], delimiter=self.delimiter)
                yield from self._rows_of(reader, raw, number, lines, size)

    @contextlib.contextmanager
    def _open(self, tap: Tap | None) -> Iterator[tuple[BinaryIO, io.TextIOWrapper]]:
        with open(self.path, "rb") as raw:
            source = raw if tap is None else io.BufferedReader(Tapped(raw, tap), TAP_BLOCK)
            yield raw, io.TextIOWrapper(source, encoding=self.encoding, newline="")

    def _skip_header(self, reader: Iterator[list[str]]) -> int:
        """Read up to the header (blank lines before it are skipped): its record number."""
        number = 0
        for cells in reader:
            number += 1
            if any(cells):
                break
        if number != 1:
            self.regular = False
        return number

    def _rows_of(
        self, reader: Any, raw: BinaryIO, number: int, lines: int, size: int
    ) -> Iterator[Batch]:
        """Batches of the records `reader` gives, numbered after `number` records and
        `lines` lines already read."""
        width = len(self.headers)
        with self._errors(reader, lines):
            while chunk := list(islice(reader, size)):
                first, number = number + 1, number + len(chunk)
                yield self._tidy(chunk, first, width, raw.tell())

    @contextlib.contextmanager
    def _errors(self, reader: Any, lines: int) -> Iterator[None]:
        """LoadErrors for csv's and the decoder's, at the line `reader` is on (after `lines`
        lines), or at the line after `lines` when no csv.reader is at work."""
        try:
            yield
        except csv.Error as error:
            raise LoadError(
                _("El archivo no es un CSV válido: %(error)s") % {"error": error},
                row=lines + reader.line_num,
            ) from None
        except UnicodeDecodeError:
            raise LoadError(
                _("El archivo tiene bytes que no son %(encoding)s.")
                % {"encoding": sniff.encoding_name(self.encoding)},
                row=lines + (reader.line_num if reader is not None else 1),
            ) from None

    def _tidy(self, chunk: list[list[str]], first: int, width: int, position: int) -> Batch:
        if width and set(map(len, chunk)) == {width} and all(map(any, chunk)):
            return Batch(chunk, range(first, first + len(chunk)), position)  # type: ignore[arg-type]
        if width:
            self.regular = False
        rows: list[list[str]] = []
        numbers = []
        for number, cells in enumerate(chunk, start=first):
            if not any(cells):
                continue
            rows.append(self._fit(cells, width, number) if width and len(cells) != width else cells)
            numbers.append(number)
        return Batch(rows, numbers, position)


def _plain_columns(
    body: str, delimiter: str, width: int
) -> tuple[list[list[str]], int] | tuple[None, int]:
    """The columns of a block of whole lines (it ends with a line end) and its number of
    rows, when csv.reader would read every line as one row of `width` cells and str.split
    reads the same; (None, 0) otherwise.

    Lines without a quote are split on the delimiter: for them csv.reader does just that.
    Lines with a quote go to a strict csv.reader, which raises rather than guess, and must
    each give one row (a quoted value that spans lines makes fewer). A blank line, a row of
    empty cells (csv.reader's blank row), a lone carriage return (a line end to csv.reader),
    a NUL, a line longer than csv's field limit or a row of another width: not plain.
    """
    if width < 1 or "\x00" in body:
        return None, 0
    if "\r" in body:
        if body.count("\r") != body.count("\r\n"):
            return None, 0
        body = body.replace("\r\n", "\n")
    lines = body.split("\n")
    lines.pop()  # after the last line end
    if not lines or "" in lines or max(map(len, lines)) > csv.field_size_limit():
        return None, 0
    if '"' in body:
        quoted = [line for line in lines if '"' in line]
        plain = [line for line in lines if '"' not in line]
    else:
        quoted, plain = [], lines
    columns: list[list[str]] = [[] for _ in range(width)]
    if plain:
        if delimiter * (width - 1) in plain or set(
            map(methodcaller("count", delimiter), plain)
        ) != {width - 1}:
            return None, 0
        cells = delimiter.join(plain).split(delimiter)
        columns = [cells[index::width] for index in range(width)]
    if quoted:
        try:
            rows = list(csv.reader(quoted, delimiter=delimiter, strict=True))
        except csv.Error:
            return None, 0
        if len(rows) != len(quoted) or set(map(len, rows)) != {width} or not all(map(any, rows)):
            return None, 0
        for column, values in zip(columns, zip(*rows, strict=True), strict=True):
            column.extend(values)
    return columns, len(lines)


# -------------------------------------------------------------------------- spreadsheets


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export would hold ("" when empty)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class SpreadsheetReader(Reader):
    def __init__(self, path: Path) -> None:
        super().__init__(path=path, size=os.path.getsize(path))
        if self.size == 0:
            raise LoadError(_("El archivo está vacío."))
        if self.size > MAX_SPREADSHEET_BYTES:
            raise LoadError(
                _(
                    "La hoja de cálculo pesa %(size)s; se cargan hasta %(max)s. Guárdela como "
                    "CSV (UTF-8) y súbala así: se carga sin ese límite."
                )
                % {"size": filesizeformat(self.size), "max": filesizeformat(MAX_SPREADSHEET_BYTES)}
            )
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            if not workbook.sheet_names:
                raise LoadError(_("El libro no tiene hojas."))
            self.sheet = workbook.get_sheet_by_index(0)
        except python_calamine.PasswordError:
            raise LoadError(_("El libro está protegido con contraseña.")) from None
        except python_calamine.CalamineError as error:
            raise LoadError(
                _("No fue posible leer la hoja de cálculo; el archivo parece dañado (%(error)s).")
                % {"error": error}
            ) from None
        self.notes = [_("Hoja cargada: «%(sheet)s».") % {"sheet": workbook.sheet_names[0]}]
        if len(workbook.sheet_names) > 1:
            self.notes.append(
                _("El libro tiene %(n)s hojas; solo se carga la primera.")
                % {"n": len(workbook.sheet_names)}
            )
        first = next(self._records(), None)
        if first is None:
            raise LoadError(_("La hoja «%(sheet)s» está vacía.") % {"sheet": self.sheet.name})
        _number, cells, _position = first
        self.has_header = sniff.is_header(cells)
        self.headers = list(cells) if self.has_header else [""] * len(cells)

    def _records(self) -> Iterator[tuple[int, list[str], int]]:
        height = max(self.sheet.height, 1)
        start = (self.sheet.start or (0, 0))[0]
        for index, values in enumerate(self.sheet.iter_rows()):
            cells = [_cell(v) for v in values]
            if any(cells):
                yield start + index + 1, cells, self.size * (index + 1) // height

    def _data_rows(self) -> Iterator[tuple[int, list[str], int]]:
        records = self._records()
        if self.has_header:
            next(records, None)
        yield from records


# --------------------------------------------------------------------------- JSON lines


def _json_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    # PostgreSQL text cannot hold NUL characters, which JSON can escape.
    return str(value).replace("\x00", "")


class JsonLinesReader(Reader):
    """One JSON object per line (UTF-8, RFC 8259). The columns are the keys, in the order
    they first appear anywhere in the file (found by `scan_keys`, the first pass)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path=path, size=os.path.getsize(path))
        with open(path, "rb") as stream:
            if not stream.read(SNIFF_BLANK).strip():
                raise LoadError(_("El archivo está vacío."))
        self.notes = [_("Codificación: UTF-8 (JSON).")]
        self.keys: dict[str, None] = {}
        for _number, obj, _position in self._objects():
            self.keys.update(dict.fromkeys(obj))
            break
        self.headers = list(self.keys)

    def _objects(self) -> Iterator[tuple[int, dict[str, Any], int]]:
        with open(self.path, "rb") as raw:
            number = 0
            while line := raw.readline(MAX_LINE_CHARS):
                number += 1
                if number == 1 and line.startswith(codecs.BOM_UTF8):
                    line = line[len(codecs.BOM_UTF8) :]
                if not line.strip():
                    continue
                if len(line) == MAX_LINE_CHARS and not line.endswith(b"\n"):
                    raise LoadError(
                        _("La línea pasa de %(max)s bytes.") % {"max": f"{MAX_LINE_CHARS:,}"},
                        row=number,
                    )
                try:
                    obj = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError) as error:
                    raise LoadError(
                        _("La línea no es JSON válido (%(error)s).") % {"error": error},
                        row=number,
                        value=line[:80].decode(errors="replace"),
                    ) from None
                if not isinstance(obj, dict):
                    raise LoadError(
                        _("Cada línea debe ser un objeto JSON ({…}); esta no lo es."),
                        row=number,
                        value=line[:80].decode(errors="replace"),
                    )
                yield number, obj, raw.tell()

    def _scan_rows(self) -> Iterator[tuple[int, list[str], int]]:
        """The first pass: rows as they come, with `headers` growing as new keys appear."""
        for number, obj, position in self._objects():
            if obj.keys() - self.keys.keys():
                self.keys.update(dict.fromkeys(obj))
                self.headers = list(self.keys)
            yield number, [_json_cell(obj.get(k)) for k in self.keys], position

    def _data_rows(self) -> Iterator[tuple[int, list[str], int]]:
        keys = list(self.keys)
        for number, obj, position in self._objects():
            yield number, [_json_cell(obj.get(k)) for k in keys], position


SNIFF_BLANK = 64 * 1024


def open_reader(path: Path | str, fmt: str, *, whole_encoding: bool = True) -> Reader:
    """The reader for a file of format `fmt` (CSV, TSV, XLSX, XLS, ODS, JSONL, NDJSON);
    `whole_encoding` as CsvReader takes it."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).upper()
    if fmt in ("CSV", "TXT"):
        return CsvReader(path, whole_encoding=whole_encoding)
    if fmt == "TSV":
        return CsvReader(path, delimiter="\t", whole_encoding=whole_encoding)
    if fmt in SPREADSHEET_FORMATS:
        return SpreadsheetReader(path)
    if fmt in JSONL_FORMATS:
        return JsonLinesReader(path)
    raise LoadError(
        _("El formato %(format)s no se carga al almacén; se cargan %(formats)s.")
        % {"format": fmt or "?", "formats": ", ".join(sorted(FORMATS - {"TXT"}))}
    )
