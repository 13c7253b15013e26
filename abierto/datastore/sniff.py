"""What a text file is before it is read: its encoding, its delimiter, whether it has a header.

The catalog's preview guesses the encoding from the first 64 KB (`catalog.preview`), which is
enough to show a page of rows. A load must not guess: a Windows-1252 «Ñ» on row 900,000 of a
file whose beginning is plain ASCII would break it halfway (CKAN's xloader falls back to
cp1252 blindly for that reason). `detect_encoding` therefore reads the whole file in 1 MB
chunks — in C, about a second for a gigabyte — and picks, in order: UTF-16 (BOM), UTF-8 with
BOM, UTF-8, Windows-1252, Latin-1 (which maps every byte). A file with NUL bytes and no
UTF-16 BOM is binary (a spreadsheet, a PDF or a zip renamed .csv) and is refused. (On
PostgreSQL the loader may begin from the first megabyte, `whole=False`, because its Arrow pass
checks every further byte before the load can succeed.)
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from abierto.catalog.preview import ENCODING_NAMES, SNIFF_BYTES
from abierto.datastore import infer
from abierto.datastore.errors import LoadError
from abierto.datastore.schema import DATE, NUMERIC, TIMESTAMP

CHUNK_BYTES = 1024 * 1024
# A line longer than this is not a row of a table; refusing it keeps memory bounded.
MAX_LINE_BYTES = 8 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": _("coma"), ";": _("punto y coma"), "\t": _("tabulador"), "|": _("barra")}
# How many rows of the sample decide the delimiter.
SNIFF_ROWS = 50
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def encoding_name(encoding: str) -> str:
    return str(ENCODING_NAMES.get(encoding, "UTF-16" if encoding == "utf-16" else encoding))


UTF8_NAMES = frozenset({"utf-8", "utf-8-sig"})


def detect_encoding(stream: BinaryIO, *, whole: bool = True) -> str:
    """The encoding of the whole file (read to its end, then rewound).

    With `whole=False`, a file whose first megabyte is UTF-8 is said to be UTF-8 without
    reading further (nor looking there for NUL bytes or long lines): the caller has the
    rest checked (PostgreSQL's loader: Arrow checks every byte as it reads the file, and
    anything it refuses sends the load back to `whole=True`)."""
    stream.seek(0)
    first = stream.read(CHUNK_BYTES)
    if not first.strip():
        raise LoadError(_("El archivo está vacío."))
    if first.startswith(_UTF16_BOMS):
        stream.seek(0)
        return "utf-16"
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = is_cp1252 = True
    offset, lines, chunk = 0, 0, first
    run = 0  # bytes since the last line end
    while chunk:
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise LoadError(
                _(
                    "El archivo no es texto: tiene bytes nulos (en el byte %(byte)s). "
                    "¿Es una hoja de cálculo, un PDF o un ZIP con otro nombre? Súbalo con su "
                    "formato real o guárdelo como CSV."
                )
                % {"byte": f"{offset + nul + 1:,}"},
                row=lines + chunk.count(b"\n", 0, nul) + 1,
            )
        if is_utf8:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
                # Windows-1252 is only checked once UTF-8 fails (most files are UTF-8, and
                # the check is a second decoding of every byte): check the bytes before.
                is_cp1252 = _decodes(stream, offset, "cp1252")
        if is_cp1252 and not is_utf8:
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError:
                is_cp1252 = False
        newline = chunk.find(b"\n")
        run = run + len(chunk) if newline < 0 else len(chunk) - chunk.rfind(b"\n") - 1
        if max(run, newline) > MAX_LINE_BYTES:
            raise LoadError(
                _(
                    "La línea %(line)s pasa de %(max)s: no parece una tabla de datos (¿un "
                    "archivo sin saltos de línea?)."
                )
                % {"line": f"{lines + 1:,}", "max": filesizeformat(MAX_LINE_BYTES)},
                row=lines + 1,
            )
        offset += len(chunk)
        lines += chunk.count(b"\n")
        if is_utf8 and not whole and len(chunk) == CHUNK_BYTES:
            stream.seek(0)  # the caller checks the rest (a character may be cut at the end)
            return "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
        chunk = stream.read(CHUNK_BYTES)
    if is_utf8:
        try:
            utf8.decode(b"", final=True)  # a file cut in the middle of a character
        except UnicodeDecodeError:
            is_utf8 = False
            is_cp1252 = _decodes(stream, offset, "cp1252")
    stream.seek(0)
    if is_utf8:
        return "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    return "cp1252" if is_cp1252 else "latin-1"


def _decodes(stream: BinaryIO, end: int, encoding: str) -> bool:
    """Do the first `end` bytes decode as `encoding` (a single-byte one)? The stream's
    position is kept."""
    position = stream.tell()
    stream.seek(0)
    try:
        while end > 0 and (chunk := stream.read(min(CHUNK_BYTES, end))):
            end -= len(chunk)
            chunk.decode(encoding)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(position)
    return True


def sample_text(stream: BinaryIO, encoding: str) -> str:
    """The first complete lines of the file (up to 64 KB), decoded; the stream is rewound."""
    stream.seek(0)
    data = stream.read(SNIFF_BYTES)
    stream.seek(0)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data)
    end = text.rfind("\n")
    return text[: end + 1] if end > 0 and len(data) == SNIFF_BYTES else text


def detect_delimiter(sample: str) -> str:
    """The candidate that splits the sample's rows into the same number (>1) of cells.

    Scored on consistency first, then width; `csv.Sniffer` is not used because it is easily
    fooled by decimal commas (`1.234,56;…`).
    """
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        widths = []
        try:
            for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
                if row:
                    widths.append(len(row))
                if len(widths) >= SNIFF_ROWS:
                    break
        except csv.Error:
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        consistency = count / len(widths)
        score = (width > 1 and consistency >= 0.8, consistency if width > 1 else 0.0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def is_header(cells: list[str | None]) -> bool:
    """Is the first row a header? Yes unless one of its cells is a decimal number, a date or
    a date-time: headers are names (a year such as «2017» may head a column)."""
    for cell in cells:
        if infer.is_null(cell):
            continue
        kind, _decimal = infer._kind_of(cell.strip())
        if kind in (NUMERIC, DATE, TIMESTAMP):
            return False
    return True
