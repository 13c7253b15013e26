"""Checks on uploaded files: size, declared type against the file's real first bytes, checksum."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
# What the first bytes of each allowed type look like; text types are checked by decoding.
MAGIC = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
    "odt": (ZIP_MAGIC,),
    "ods": (ZIP_MAGIC,),
    "docx": (ZIP_MAGIC,),
    "xlsx": (ZIP_MAGIC,),
}
TEXT_TYPES = {"csv", "txt"}


@dataclass(frozen=True)
class CheckedUpload:
    media_type: str
    size: int
    sha256: str


def check_upload(upload: UploadedFile, *, field: str = "file") -> CheckedUpload:
    """Refuse a file too large or not of an allowed type; return its type, size and SHA-256."""
    refuse_if_too_large(upload, max_bytes=settings.DOCUMENT_MAX_BYTES, field=field)
    extension = PurePosixPath(upload.name or "").suffix.lower().lstrip(".")
    allowed = settings.DOCUMENT_ALLOWED_TYPES
    if extension not in allowed:
        raise ValidationError(
            {
                field: _(
                    "El tipo de archivo «.%(ext)s» no está permitido. Tipos permitidos: %(types)s."
                )
                % {"ext": extension or "?", "types": ", ".join(sorted(allowed))}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    if not _looks_like(extension, head, upload):
        raise ValidationError(
            {
                field: _("El contenido de «%(name)s» no corresponde a un archivo .%(ext)s.")
                % {"name": upload.name, "ext": extension}
            }
        )
    size, sha256 = measure(upload)
    return CheckedUpload(media_type=allowed[extension], size=size, sha256=sha256)


def refuse_if_too_large(upload: UploadedFile, *, max_bytes: int, field: str) -> None:
    """A ValidationError on `field` naming the file, its size and the limit."""
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            {
                field: _("El archivo «%(name)s» pesa %(size)s; el máximo permitido es %(max)s.")
                % {
                    "name": upload.name,
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(max_bytes),
                }
            }
        )


def measure(upload: UploadedFile, chunk_size: int | None = None) -> tuple[int, str]:
    """The file's size and SHA-256, read in chunks (never whole in memory); rewound after."""
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks(chunk_size):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return size, digest.hexdigest()


def _looks_like(extension: str, head: bytes, upload: UploadedFile) -> bool:
    if extension in TEXT_TYPES:
        upload.seek(0)
        sample = upload.read(65536)
        if b"\x00" in sample:
            return False
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the sample's end is still text.
            if error.start < len(sample) - 4:
                try:
                    sample.decode("cp1252")
                except UnicodeDecodeError:
                    return False
        return True
    if extension == "mp4":
        return head[4:8] == b"ftyp"
    if extension == "webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return any(head.startswith(magic) for magic in MAGIC.get(extension, ()))
