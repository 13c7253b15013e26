"""Previews of uploaded resources: a table, a map, pretty JSON or plain text.

A preview reads only the beginning of a file: CSV is decoded line by line from a capped
stream, text and JSON stop at 200 KB, and spreadsheets (which calamine loads a sheet at a
time) and GeoJSON maps are skipped above a size limit. Linked resources are never fetched
from a page request: that would let a visitor make the server call any address (SSRF) and
tie the page to someone else's server. Whatever goes wrong in a file gives a message on the
page, never an error page.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import python_calamine
from django.core.cache import cache
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from abierto.catalog.models import Resource

logger = logging.getLogger(__name__)

MAX_ROWS = 100
MAX_COLUMNS = 60
MAX_CELL_CHARS = 500
MAX_TEXT_BYTES = 200 * 1024
# A CSV preview never reads more than this, even when a row has no line end in sight.
MAX_CSV_READ_BYTES = 5 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
MAX_SPREADSHEET_BYTES = 50 * 1024 * 1024
MAX_MAP_BYTES = 5 * 1024 * 1024
MAX_MAP_PROPERTIES = 20
CACHE_SECONDS = 24 * 3600
CACHE_PREFIX = "abierto:catalog:preview:v1:"

TABLE_FORMATS = frozenset({"CSV", "TSV"})
SPREADSHEET_FORMATS = frozenset({"XLSX", "XLS", "ODS"})
TEXT_FORMATS = frozenset({"TXT", "XML", "KML", "RDF", "TTL", "JSONL"})
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (con BOM)",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}


class PreviewError(Exception):
    """A file that cannot be previewed; the message says why, in the visitor's language."""


@dataclass
class Preview:
    """What the resource page shows: `kind` is table, map, text or none."""

    kind: str
    message: str = ""
    notes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    more_rows: bool = False
    text: str = ""
    geojson: dict[str, Any] | None = None
    feature_count: int = 0

    @property
    def is_error(self) -> bool:
        return self.kind == "none" and bool(self.message)


def preview_resource(resource: Resource) -> Preview:
    """The preview of `resource`, or a Preview of kind "none" whose message says why not."""
    if not resource.is_upload:
        return Preview(
            "none",
            message=_(
                "La vista previa solo está disponible para archivos cargados en este portal; "
                "este recurso es un enlace a otro sitio."
            ),
        )
    fmt = (resource.format or "").upper()
    if not (
        fmt in TABLE_FORMATS | SPREADSHEET_FORMATS | TEXT_FORMATS or fmt in {"JSON", "GEOJSON"}
    ):
        return Preview(
            "none",
            message=_("No hay vista previa para archivos %(format)s; puede descargarlo.")
            % {"format": fmt or _("de formato desconocido")},
        )
    key = f"{CACHE_PREFIX}{resource.sha256}:{fmt}" if resource.sha256 else None
    if key and fmt != "GEOJSON":  # maps are large; the rest is small and costly to rebuild
        cached = cache.get(key)
        if cached is not None:
            return cached
    try:
        preview = _build(resource, fmt)
    except PreviewError as error:
        preview = Preview("none", message=str(error))
    except Exception:  # a broken file must not break the page
        logger.exception("Preview of resource %s failed", resource.uuid)
        preview = Preview(
            "none",
            message=_(
                "No fue posible leer el archivo para la vista previa; puede estar dañado. "
                "Puede descargarlo para revisarlo."
            ),
        )
    if key and fmt != "GEOJSON":
        cache.set(key, preview, CACHE_SECONDS)
    return preview


def _build(resource: Resource, fmt: str) -> Preview:
    if fmt in TABLE_FORMATS:
        return _csv_preview(resource, "\t" if fmt == "TSV" else ",")
    if fmt in SPREADSHEET_FORMATS:
        return _spreadsheet_preview(resource)
    if fmt == "GEOJSON":
        return _geojson_preview(resource)
    if fmt == "JSON":
        return _json_preview(resource)
    return _text_preview(resource)


# ------------------------------------------------------------------------------ reading


class _CappedReader(io.RawIOBase):
    """A binary stream that stops after `limit` bytes and tells whether the file went on."""

    def __init__(self, source, limit: int) -> None:
        self.source = source
        self.remaining = limit
        self.capped = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.remaining <= 0:
            self.capped = self.capped or bool(self.source.read(1))
            return 0
        data = self.source.read(min(len(buffer), self.remaining))
        buffer[: len(data)] = data
        self.remaining -= len(data)
        return len(data)


def detect_encoding(sample: bytes, *, complete: bool = True) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such, else Windows-1252/Latin-1.

    Mexican spreadsheets exported from Excel are usually Windows-1252; a file that is neither
    (bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D) still reads as Latin-1, which maps every byte.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # A sample that is not the whole file may end in the middle of a character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _open(resource: Resource):
    try:
        return resource.file.open("rb")
    except (FileNotFoundError, OSError):
        raise PreviewError(
            _("El archivo de este recurso no está disponible en el almacenamiento.")
        ) from None


def _head(resource: Resource, size: int) -> tuple[bytes, bool]:
    """The first `size` bytes of the file, and whether there is more."""
    stream = _open(resource)
    try:
        data = stream.read(size + 1)
    finally:
        stream.close()
    return data[:size], len(data) > size


def _file_size(resource: Resource) -> int:
    if resource.size is not None:
        return resource.size
    try:
        return resource.file.size
    except OSError:
        raise PreviewError(
            _("El archivo de este recurso no está disponible en el almacenamiento.")
        ) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.date | dt.time):
        value = value.isoformat()
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"


def _table(rows: list[list[Any]], more: bool, notes: list[str]) -> Preview:
    if not rows:
        raise PreviewError(_("El archivo no tiene filas que mostrar."))
    width = min(max(len(row) for row in rows), MAX_COLUMNS)
    if max(len(row) for row in rows) > MAX_COLUMNS:
        notes.append(_("Se muestran las primeras %(n)s columnas.") % {"n": MAX_COLUMNS})
    header = [_cell(value) for value in rows[0][:width]]
    header += [""] * (width - len(header))
    # A blank heading would leave a column without a name for screen readers.
    header = [name or _("Columna %(n)s") % {"n": i} for i, name in enumerate(header, 1)]
    body = []
    for row in rows[1:]:
        cells = [_cell(value) for value in row[:width]]
        body.append(cells + [""] * (width - len(cells)))
    return Preview("table", columns=header, rows=body, more_rows=more, notes=notes)


# ---------------------------------------------------------------------------- formats


def _csv_preview(resource: Resource, default_delimiter: str) -> Preview:
    sample, more = _head(resource, SNIFF_BYTES)
    encoding = detect_encoding(sample, complete=not more)
    delimiter = default_delimiter
    if default_delimiter == ",":
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample)
        complete = text[: max(text.rfind("\n"), 0)] or text
        try:
            delimiter = csv.Sniffer().sniff(complete, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    notes = [
        _("Codificación detectada: %(encoding)s. Separador: %(delimiter)s.")
        % {
            "encoding": ENCODING_NAMES.get(encoding, encoding),
            "delimiter": {",": _("coma"), ";": _("punto y coma"), "\t": _("tabulador")}.get(
                delimiter, f"«{delimiter}»"
            ),
        }
    ]
    stream = _open(resource)
    capped = _CappedReader(stream, MAX_CSV_READ_BYTES)
    reader_stream = io.TextIOWrapper(io.BufferedReader(capped), encoding=encoding, newline="")
    rows: list[list[str]] = []
    more = False
    try:
        reader = csv.reader(reader_stream, delimiter=delimiter)
        for row in reader:
            if len(rows) > MAX_ROWS:
                more = True
                break
            rows.append(row)
    except UnicodeDecodeError:
        raise PreviewError(
            _(
                "El archivo no se puede leer como texto %(encoding)s: tiene bytes no válidos "
                "cerca de la fila %(row)s. Guárdelo como CSV UTF-8 y vuelva a cargarlo."
            )
            % {"encoding": ENCODING_NAMES.get(encoding, encoding), "row": len(rows) + 1}
        ) from None
    except csv.Error as error:
        raise PreviewError(
            _("El archivo no es un CSV válido cerca de la fila %(row)s: %(error)s")
            % {"row": len(rows) + 1, "error": error}
        ) from None
    finally:
        stream.close()
    more = more or capped.capped
    return _table(rows, more, notes)


def _spreadsheet_preview(resource: Resource) -> Preview:
    size = _file_size(resource)
    if size > MAX_SPREADSHEET_BYTES:
        raise PreviewError(
            _(
                "El archivo pesa %(size)s: la vista previa de hojas de cálculo se ofrece hasta "
                "%(max)s. Puede descargarlo."
            )
            % {"size": filesizeformat(size), "max": filesizeformat(MAX_SPREADSHEET_BYTES)}
        )
    stream = _open(resource)
    try:
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(resource.file.path)
        except (NotImplementedError, AttributeError):  # remote storage: no local path
            workbook = python_calamine.CalamineWorkbook.from_filelike(stream)
        names = workbook.sheet_names
        if not names:
            raise PreviewError(_("El libro no tiene hojas."))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(nrows=MAX_ROWS + 1)
        more = sheet.height > len(rows)
    except python_calamine.PasswordError:
        raise PreviewError(_("El libro está protegido con contraseña.")) from None
    except python_calamine.CalamineError as error:
        raise PreviewError(
            _("No fue posible leer la hoja de cálculo; el archivo parece dañado (%(error)s).")
            % {"error": error}
        ) from None
    finally:
        stream.close()
    notes = [_("Hoja mostrada: «%(sheet)s».") % {"sheet": names[0]}]
    if len(names) > 1:
        notes.append(
            _("El libro tiene %(n)s hojas; descárguelo para ver las demás.") % {"n": len(names)}
        )
    return _table(rows, more, notes)


def _decoded_head(resource: Resource) -> tuple[str, bool, str]:
    data, more = _head(resource, MAX_TEXT_BYTES)
    encoding = detect_encoding(data, complete=not more)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=not more)
    return text, more, encoding


def _text_preview(resource: Resource) -> Preview:
    text, more, encoding = _decoded_head(resource)
    notes = [
        _("Codificación detectada: %(encoding)s.")
        % {"encoding": ENCODING_NAMES.get(encoding, encoding)}
    ]
    if more:
        notes.append(_("Se muestran los primeros 200 KB del archivo."))
    return Preview("text", text=text, notes=notes, more_rows=more)


def _json_preview(resource: Resource) -> Preview:
    text, more, _encoding = _decoded_head(resource)
    if more:
        return Preview(
            "text",
            text=text,
            more_rows=True,
            notes=[_("El archivo pasa de 200 KB: se muestra su comienzo tal como está.")],
        )
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        return Preview(
            "text",
            text=text,
            notes=[
                _("El archivo no es JSON válido (línea %(line)s, columna %(column)s: %(msg)s).")
                % {"line": error.lineno, "column": error.colno, "msg": error.msg}
            ],
        )
    return Preview("text", text=json.dumps(parsed, ensure_ascii=False, indent=2))


GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def _features(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise PreviewError(_("El archivo no es GeoJSON: debe ser un objeto con «type»."))
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise PreviewError(_("El GeoJSON no tiene una lista «features»."))
        return [f for f in features if isinstance(f, dict)]
    if kind == "Feature":
        return [data]
    if kind in GEOMETRY_TYPES:
        return [{"type": "Feature", "geometry": data, "properties": {}}]
    raise PreviewError(
        _("El GeoJSON tiene un «type» desconocido: «%(type)s».") % {"type": str(kind)[:40]}
    )


def _geojson_preview(resource: Resource) -> Preview:
    size = _file_size(resource)
    if size > MAX_MAP_BYTES:
        raise PreviewError(
            _("El archivo pesa %(size)s: el mapa se ofrece hasta %(max)s. Puede descargarlo.")
            % {"size": filesizeformat(size), "max": filesizeformat(MAX_MAP_BYTES)}
        )
    data, _more = _head(resource, MAX_MAP_BYTES)
    try:
        # RFC 7946: GeoJSON is UTF-8.
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PreviewError(_("El GeoJSON debe estar en UTF-8 (RFC 7946).")) from None
    except json.JSONDecodeError as error:
        raise PreviewError(
            _("El archivo no es JSON válido (línea %(line)s, columna %(column)s: %(msg)s).")
            % {"line": error.lineno, "column": error.colno, "msg": error.msg}
        ) from None
    features = _features(parsed)
    columns: list[str] = []
    for feature in features[:MAX_ROWS]:
        properties = feature.get("properties")
        for key in properties if isinstance(properties, dict) else ():
            if key not in columns and len(columns) < MAX_MAP_PROPERTIES:
                columns.append(str(key))
    rows = []
    for feature in features[:MAX_ROWS]:
        properties = feature.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        geometry = feature.get("geometry")
        kind = geometry.get("type", "") if isinstance(geometry, dict) else ""
        rows.append([_cell(kind)] + [_cell(_plain(properties.get(c))) for c in columns])
    notes = []
    if len(features) > MAX_ROWS:
        notes.append(
            _(
                "La tabla muestra los primeros %(n)s de %(total)s elementos; "
                "el mapa los muestra todos."
            )
            % {"n": MAX_ROWS, "total": len(features)}
        )
    return Preview(
        "map",
        columns=[_("Geometría")] + columns,
        rows=rows,
        more_rows=len(features) > MAX_ROWS,
        notes=notes,
        geojson={"type": "FeatureCollection", "features": features},
        feature_count=len(features),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value
