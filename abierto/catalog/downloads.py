"""Serving a resource's stored file: streamed in chunks, with its checksum as ETag, resumable.

The whole file is never read into memory: FileResponse hands the open file to the server
(which may use sendfile), and a byte range is a capped reader over the same file. A single
`Range: bytes=…` is honoured (download managers resume with it); several ranges in one
request are answered with the whole file, which HTTP allows.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.http import http_date
from django.utils.translation import gettext as _

from abierto.catalog import files
from abierto.catalog.models import Resource

BLOCK_SIZE = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _Slice:
    """A read-only view of `length` bytes of an open file, from where it stands."""

    def __init__(self, stream, length: int) -> None:
        self.stream = stream
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.stream.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.stream.close()


def byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """The (first, last) bytes a `Range` header asks for; None: ignore it; False: unsatisfiable."""
    match = RANGE.match(header.strip().replace(" ", ""))
    if not match or size == 0:
        return None  # not a single byte range we understand: serve the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        return False
    if end < start:
        return None
    return start, end


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison, as If-None-Match requires."""
    if header.strip() == "*":
        return True
    candidates = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag in candidates


def ascii_filename(resource: Resource) -> str:
    """The stored file's name, ASCII as the guide asks (kept from the upload, made safe)."""
    return files.safe_name(PurePosixPath(resource.file.name).name)


def file_response(request: HttpRequest, resource: Resource, *, public: bool) -> HttpResponse:
    """The stored file of `resource`, whole or the asked byte range, with cache validators."""
    etag = f'"{resource.sha256}"' if resource.sha256 else ""
    caching = "public, max-age=3600" if public else "private, no-cache"
    if etag and _etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        response["Cache-Control"] = caching
        return response
    try:
        stream = resource.file.open("rb")
        size = resource.file.size
    except (FileNotFoundError, OSError):
        raise Http404(_("El archivo de este recurso no está disponible.")) from None
    content_type = (
        resource.media_type or files.media_type_of(resource.format) or "application/octet-stream"
    )
    wanted = None
    range_header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range", "")
    # A Range made against another version of the file (If-Range differs) gets the whole file.
    if range_header and (not if_range or if_range == etag):
        wanted = byte_range(range_header, size)
    if wanted is False:
        stream.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    if wanted:
        start, end = wanted
        stream.seek(start)
        response = FileResponse(
            _Slice(stream, end - start + 1), status=206, content_type=content_type
        )
        response.block_size = BLOCK_SIZE
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(stream, content_type=content_type)
        response.block_size = BLOCK_SIZE
        response["Content-Length"] = str(size)
    response["Content-Disposition"] = f'attachment; filename="{ascii_filename(resource)}"'
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(resource.last_modified.timestamp())
    response["Cache-Control"] = caching
    if etag:
        response["ETag"] = etag
    if public:
        # Open data: notebooks and other portals may fetch it from their own pages.
        response["Access-Control-Allow-Origin"] = "*"
    return response
