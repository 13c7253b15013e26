"""Stream a public list as CSV or JSON: every list a person can see can be downloaded.

A view describes its columns once and answers `?format=csv` or `?format=json` (or a
dedicated URL) with :func:`export_response`. CSV is UTF-8 with a byte-order mark so that
spreadsheet programs read accents right; both formats are streamed row by row so that a
long list never sits whole in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse

# The data dictionary's column types, in CKAN's names (the datastore's schema uses these).
FIELD_TYPES = ("text", "int", "numeric", "date", "timestamp", "bool")
FORMATS = ("csv", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
# A spreadsheet would run a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of an export: its stable name and how to read it from a row."""

    name: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Declared:
    """One column of an export as its data dictionary describes it: name, type, label, notes.

    An export declares its columns once (a tuple of these next to the view); the view reads
    its values with :func:`declared_columns` and the catalog publishes the same tuple as the
    resource's data dictionary (:func:`data_dictionary`), so the two cannot drift apart.
    """

    name: str
    type: str
    label: str
    notes: str

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(
                f"Column {self.name!r}: unknown type {self.type!r} (one of {FIELD_TYPES})"
            )


def declared_columns(declared: Sequence[Declared], **getters: Callable[[Any], Any]) -> list[Column]:
    """The export's columns in their declared order, each read by the getter of its name."""
    names = [column.name for column in declared]
    missing = [name for name in names if name not in getters]
    extra = [name for name in getters if name not in names]
    if missing or extra:
        raise ValueError(
            f"Export columns differ from their declaration: no getter for {missing}, "
            f"undeclared {extra}"
        )
    return [Column(column.name, getters[column.name]) for column in declared]


def data_dictionary(declared: Sequence[Declared]) -> list[dict[str, Any]]:
    """The declared columns in CKAN's data dictionary shape (labels in the active language)."""
    return [
        {
            "id": column.name,
            "type": column.type,
            "info": {"label": str(column.label), "notes": str(column.notes)},
        }
        for column in declared
    ]


def requested_format(request: HttpRequest) -> str | None:
    """`csv` or `json` when the request asks for a download (`?format=`), else None."""
    fmt = request.GET.get("format", "").lower()
    return fmt if fmt in FORMATS else None


def export_response(
    fmt: str, *, rows: Iterable[Any], columns: Sequence[Column], filename: str
) -> StreamingHttpResponse:
    """A streamed download of `rows` in `fmt` (csv or json), named `filename`.csv/.json."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    chunks = _csv_chunks(rows, columns) if fmt == "csv" else _json_chunks(rows, columns)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    # Public data: anyone may fetch it from anywhere (open data portals, notebooks).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _plain(value: Any) -> Any:
    """A JSON-ready value: dates in ISO 8601, decimals as numbers, lazy strings as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def _csv_cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, list):
        return " | ".join(str(item) for item in value)
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_chunks(rows: Iterable[Any], columns: Sequence[Column]) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow([column.name for column in columns])).encode()
    for row in rows:
        yield writer.writerow([_csv_cell(column.value(row)) for column in columns]).encode()


def _json_chunks(rows: Iterable[Any], columns: Sequence[Column]) -> Iterator[bytes]:
    yield b"["
    separator = b"\n"
    for row in rows:
        record = {column.name: _plain(column.value(row)) for column in columns}
        yield separator + json.dumps(record, ensure_ascii=False).encode()
        separator = b",\n"
    yield b"\n]\n"
