"""Downloads of a datastore table, whole or filtered: CSV, TSV, JSON and XLSX.

`/datos/almacen/<resource id>/descargar.<fmt>` and CKAN's `/datastore/dump/<resource id>
?format=csv|tsv|json|xlsx&bom=true` take datastore_search's parameters as query parameters
(filters as JSON, q, sort, fields, distinct, limit, offset). Rows are read in batches from a
server-side cursor (PostgreSQL) or a stepping SQLite cursor and written out as they come, so
memory stays flat whatever the table's size; XLSX is written by xlsxwriter in constant-memory
mode to a temporary file, then streamed.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
from collections.abc import Iterator
from typing import Any

import xlsxwriter
from django.db import DatabaseError, transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.utils.translation import gettext as _

from abierto.catalog.ckan import (
    ActionError,
    NotAuthorized,
    NotFound,
    SearchQueryFailed,
    ValidationFailed,
    as_bool,
)
from abierto.datastore import query, schema
from abierto.datastore.actions import readable_table
from abierto.datastore.routers import ALIAS
from abierto.datastore.schema import Table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BATCH = 2000
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
PARAMETERS = ("filters", "q", "plain", "language", "distinct", "fields", "sort")


def rows(found: query.Query, *, limit: int | None, offset: int) -> Iterator[list[Any]]:
    """The query's rows, converted for output, fetched BATCH at a time."""
    sql, params = found.select(limit=limit, offset=offset)
    conn = schema.connection()
    if not schema.is_postgres():
        # SQLite steps through the rows as they are fetched.
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(BATCH):
                yield from found.converted(batch)
        return
    # A server-side cursor inside a transaction streams; outside one (autocommit) PostgreSQL
    # would first copy the whole result aside for a WITH HOLD cursor.
    with transaction.atomic(using=ALIAS):
        cursor = conn.chunked_cursor()
        query.json_ready(cursor)
        try:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(BATCH):
                yield from found.converted(batch)
        finally:
            cursor.close()


def _delimited(found: query.Query, data: Iterator[list[Any]], delimiter: str, bom: bool):
    """The header, then the rows BATCH at a time (one chunk per batch, not per row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode()

    buffer.write("\ufeff" if bom else "")
    writer.writerow([f.id for f in found.fields])
    yield flush()
    for count, row in enumerate(data, start=1):
        writer.writerow([query.as_text(v) for v in row])
        if count % BATCH == 0:
            yield flush()
    if buffer.tell():
        yield flush()


def _json(found: query.Query, data: Iterator[list[Any]]):
    fields = json.dumps([query.field_dict(f) for f in found.fields], ensure_ascii=False)
    yield f'{{\n  "fields": {fields},\n  "records": [\n'.encode()
    separator = "    "
    chunk: list[str] = []
    for row in data:
        chunk.append(separator + json.dumps(row, ensure_ascii=False, default=str))
        separator = ",\n    "
        if len(chunk) == BATCH:
            yield "".join(chunk).encode()
            chunk = []
    yield ("".join(chunk) + "\n  ]\n}\n").encode()


def _xlsx(found: query.Query, data: Iterator[list[Any]]) -> Any:
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    workbook = xlsxwriter.Workbook(
        handle, {"constant_memory": True, "strings_to_numbers": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet(_("datos"))
    bold = workbook.add_format({"bold": True})
    for column, f in enumerate(found.fields):
        sheet.write_string(0, column, f.id, bold)
    for number, row in enumerate(data, start=1):
        if number > XLSX_MAX_ROWS:
            break
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(number, column, value)
            elif isinstance(value, int | float):
                sheet.write_number(number, column, value)
            else:
                sheet.write_string(number, column, str(value))
    workbook.close()
    handle.seek(0)
    return handle


def _table_for(request: HttpRequest, resource_id: Any) -> Table:
    try:
        return readable_table(request.user, resource_id)
    except NotAuthorized:
        # A private resource is as absent as a missing one to those who may not see it.
        raise Http404(_("No existe ese recurso.")) from None
    except NotFound as error:
        raise Http404(error.message) from None


def _error_text(error: ActionError) -> str:
    if isinstance(error, ValidationFailed):
        return "\n".join(
            f"{key}: {message}"
            for key, messages in error.errors.items()
            for message in (messages if isinstance(messages, list) else [messages])
        )
    return error.error()["message"]


def export(request: HttpRequest, resource_id: Any, fmt: str) -> HttpResponse:
    """The table (or the rows its query parameters select) as a file in `fmt`."""
    if fmt not in FORMATS:
        return HttpResponseBadRequest(
            _("Formato no disponible «%s»: use csv, tsv, json o xlsx.") % fmt[:20],
            content_type="text/plain; charset=utf-8",
        )
    table = _table_for(request, resource_id)
    data = {key: request.GET[key] for key in PARAMETERS if key in request.GET}
    try:
        found = query.build(table, data)
        limit = query._natural(request.GET, "limit", 0) or None
        offset = query._natural(request.GET, "offset", 0)
        stream = rows(found, limit=limit, offset=offset)
        try:
            # The first row runs the query: a refused search expression is an error page.
            first = next(stream, None)
        except DatabaseError as error:
            raise SearchQueryFailed(str(error).strip().splitlines()[0]) from None
        stream = itertools.chain([first] if first is not None else [], stream)
        if fmt == "xlsx":
            content = _xlsx(found, stream)
        elif fmt == "json":
            content = _json(found, stream)
        else:
            bom = as_bool(request.GET.get("bom"), False)
            content = _delimited(found, stream, "," if fmt == "csv" else "\t", bom)
    except NotAuthorized:
        raise Http404(_("No existe ese recurso.")) from None
    except ActionError as error:
        return HttpResponseBadRequest(_error_text(error), content_type="text/plain; charset=utf-8")
    filename = f"{table.resource_id}.{fmt}"
    if fmt == "xlsx":
        return FileResponse(
            content, as_attachment=True, filename=filename, content_type=FORMATS[fmt]
        )
    response = StreamingHttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def download(request: HttpRequest, resource_id: Any, fmt: str) -> HttpResponse:
    """/datos/almacen/<resource id>/descargar.<fmt>"""
    return export(request, resource_id, fmt)


def dump(request: HttpRequest, resource_id: Any) -> HttpResponse:
    """CKAN's /datastore/dump/<resource id>?format=csv|tsv|json|xlsx&bom=true"""
    return export(request, resource_id, str(request.GET.get("format") or "csv").lower())
