"""Resource files: what formats are accepted, how they are checked, named and summed.

Files are read in chunks (Django has already spooled large uploads to a temporary file), so a
multi-gigabyte resource never sits in memory.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from abierto.core import uploads

ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # legacy Office files (.xls)
# Format (upper case, as CKAN shows it) -> (media type, magic prefixes or None for text).
FORMATS: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "CSV": ("text/csv", None),
    "TSV": ("text/tab-separated-values", None),
    "TXT": ("text/plain", None),
    "JSON": ("application/json", None),
    "JSONL": ("application/jsonl", None),
    "GEOJSON": ("application/geo+json", None),
    "XML": ("application/xml", None),
    "KML": ("application/vnd.google-earth.kml+xml", None),
    "RDF": ("application/rdf+xml", None),
    "TTL": ("text/turtle", None),
    "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "XLS": ("application/vnd.ms-excel", OLE),
    "ODS": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    "ODT": ("application/vnd.oasis.opendocument.text", ZIP),
    "DOCX": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "ZIP": ("application/zip", ZIP),
    "SHP": ("application/zip", ZIP),  # shapefiles travel zipped
    "KMZ": ("application/vnd.google-earth.kmz", ZIP),
    "PDF": ("application/pdf", (b"%PDF-",)),
    "SQLITE": ("application/vnd.sqlite3", (b"SQLite format 3\x00",)),
    "PARQUET": ("application/vnd.apache.parquet", (b"PAR1",)),
    "PNG": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "JPG": ("image/jpeg", (b"\xff\xd8\xff",)),
    "JPEG": ("image/jpeg", (b"\xff\xd8\xff",)),
}
TABULAR = frozenset({"CSV", "TSV", "XLSX", "XLS", "ODS"})
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Checked:
    format: str
    media_type: str
    size: int
    sha256: str


def format_from_name(name: str) -> str:
    """The format a file name or URL path suggests (`CSV`), or '' when unknown."""
    path = urlsplit(name).path if "://" in name else name
    suffix = PurePosixPath(path).suffix.lstrip(".").upper()
    return suffix if suffix in FORMATS else ""


def media_type_of(fmt: str) -> str:
    if fmt.upper() in FORMATS:
        return FORMATS[fmt.upper()][0]
    return mimetypes.types_map.get(f".{fmt.lower()}", "")


def safe_name(name: str) -> str:
    """An ASCII file name (the guide asks for ASCII download URLs), keeping the extension."""
    base = PurePosixPath(name or "archivo").name
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip("-.") or "archivo"
    return ascii_name[:150]


def check(upload: UploadedFile, *, field: str = "upload") -> Checked:
    """Refuse a file too large or not what its extension says; return its facts."""
    uploads.refuse_if_too_large(upload, max_bytes=settings.CATALOG_MAX_UPLOAD_BYTES, field=field)
    fmt = format_from_name(upload.name or "")
    if not fmt:
        raise ValidationError(
            {
                field: _("El tipo de archivo de «%(name)s» no está permitido. Formatos: %(list)s.")
                % {"name": upload.name, "list": ", ".join(sorted(FORMATS))}
            }
        )
    media_type, magic = FORMATS[fmt]
    # The cheap checks on the first bytes come before hashing what may be gigabytes.
    upload.seek(0)
    head = upload.read(8192)
    if not head:
        raise ValidationError({field: _("El archivo «%s» está vacío.") % upload.name})
    looks_right = head.startswith(magic) if magic else b"\x00" not in head
    if not looks_right:
        raise ValidationError(
            {
                field: _("El contenido de «%(name)s» no corresponde a un archivo %(fmt)s.")
                % {"name": upload.name, "fmt": fmt}
            }
        )
    size, sha256 = uploads.measure(upload, CHUNK)
    return Checked(format=fmt, media_type=media_type, size=size, sha256=sha256)
