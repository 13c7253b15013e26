"""The table on a datastore resource's page: rows served by query.py, filtered, searched,
sorted and paged by GET parameters alone (no JavaScript), with the equivalent API call.

Parameters: `q` (full text, Spanish, accents ignored), `f.<column>` (one exact-value filter
per column), `sort` (`<column>` or `<column> desc`), `page` (1-based, PAGE_SIZE rows). A bad
parameter is reported on the page and left out of the query instead of failing the page.
The rows come from `query.search`, as the API's: so the page costs the registry read, one
SELECT and at most one count (none on an unfiltered table: the registry's row count), whatever
the table's size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from abierto.catalog.ckan import ActionError, ValidationFailed
from abierto.catalog.models import Resource
from abierto.datastore import infer, query, schema
from abierto.datastore.schema import Field, Table

PAGE_SIZE = 50
MAX_PAGE = 10**12
FILTER_PREFIX = "f."
DOWNLOAD_FORMATS = ("csv", "json", "xlsx")
API_PATH = "/api/3/action/datastore_search"  # CKAN's address, as query.search links it
# How a value must be written in a column's filter, per type.
HINTS = {
    schema.INT: "2017",
    schema.NUMERIC: "1234.5",
    schema.DATE: "AAAA-MM-DD",
    schema.TIMESTAMP: "AAAA-MM-DDTHH:MM",
    schema.BOOL: "sí / no",
}


@dataclass
class Column:
    field: Field
    type_label: str
    label: str
    filter_name: str = ""  # the GET parameter; empty for _id
    filter_value: str = ""
    filter_error: str = ""
    hint: str = ""
    sort: str = ""  # "ascending", "descending" or ""
    sort_ascending_url: str = ""
    sort_descending_url: str = ""
    input_id: str = ""


@dataclass
class Cell:
    text: str
    numeric: bool = False


def _display(value: Any) -> str:
    """A value as the table shows it: as the API writes it, booleans in Spanish."""
    if value is None:
        return ""
    if value is True or value is False:
        return _("sí") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class TablePage:
    table: Table
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    total: int = 0
    first: int = 0
    last: int = 0
    page: int = 1
    pages: int = 1
    q: str = ""
    sort: str = ""
    filtered: bool = False
    errors: list[str] = field(default_factory=list)
    api_url: str = ""
    downloads: list[dict[str, str]] = field(default_factory=list)
    whole_downloads: list[dict[str, str]] = field(default_factory=list)
    previous_url: str = ""
    next_url: str = ""
    clear_url: str = ""

    @property
    def data_columns(self) -> list[Column]:
        return [c for c in self.columns if c.filter_name]

    @property
    def has_filter_values(self) -> bool:
        return any(c.filter_value for c in self.columns)


def sort_value(column_id: str, descending: bool) -> str:
    """A `sort` clause for one column, quoted only when its name needs it."""
    name = column_id
    if any(ch in name for ch in ',"') or name.split()[-1:] in (["asc"], ["desc"]):
        name = '"' + name.replace('"', '""') + '"'
    return f"{name} desc" if descending else name


def _messages(error: ActionError) -> list[str]:
    if isinstance(error, ValidationFailed):
        return [
            str(message)
            for messages in error.errors.values()
            for message in (messages if isinstance(messages, list) else [messages])
        ]
    return [error.message or error.error()["message"]]


def _url(path: str, params: dict[str, Any]) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", {})}
    return f"{path}?{urlencode(kept)}" if kept else path


def dictionary(resource: Resource, table: Table | None) -> list[dict[str, Any]]:
    """The data dictionary as the page lists it: the table's actual columns and types when
    the resource is in the datastore, else what the resource's dictionary says."""
    if table is not None:
        entries = [{"id": f.id, "type": f.type, "info": f.info or {}} for f in table.fields]
    else:
        entries = [item for item in resource.data_dictionary or [] if isinstance(item, dict)]
    for entry in entries:
        info = entry.get("info") if isinstance(entry.get("info"), dict) else {}
        entry["info"] = info
        entry["type_label"] = infer.describe(entry["type"]) if entry.get("type") else ""
    return entries


def for_resource(request: HttpRequest, resource: Resource) -> TablePage | None:
    """The table page of `resource`, or None when it has no table in the datastore.

    The caller has already decided that the request may see the resource."""
    if not resource.datastore_active:
        return None
    table = query.read_table(resource.uuid)
    if table is None:
        return None
    return build_page(request, table)


def build_page(request: HttpRequest, table: Table) -> TablePage:
    params = request.GET
    errors: list[str] = []

    # Columns and their filters: each value converted to its column's type, or refused here
    # (naming the column) and left out, so the rest of the page still answers.
    columns = [Column(query.ID_FIELD, infer.describe(schema.INT), _("número de fila"))]
    filters: dict[str, Any] = {}
    for index, f in enumerate(table.fields):
        info = f.info or {}
        column = Column(
            f,
            infer.describe(f.type),
            str(info.get("label") or ""),
            filter_name=FILTER_PREFIX + f.id,
            filter_value=params.get(FILTER_PREFIX + f.id, ""),
            hint=HINTS.get(f.type, ""),
            input_id=f"filtro-{index}",
        )
        columns.append(column)
        value = column.filter_value.strip()
        if not value:
            continue
        try:
            filters[f.id] = query.from_db(f, query.to_db(f, value))
        except query.BadValue as error:
            column.filter_error = str(error)
            errors.append(
                _("Filtro de la columna «%(column)s»: %(error)s. No se aplicó.")
                % {"column": f.id, "error": error}
            )

    q = params.get("q", "").strip()
    sort = params.get("sort", "").strip()
    orders: list[query.Order] = []
    if sort:
        try:
            orders = query.parse_sort(table, sort, ranked=False)
        except ValidationFailed as error:
            errors.extend(_("Orden: %s") % message for message in _messages(error))
            sort = ""
        else:
            if len(orders) != 1:
                errors.append(_("Orden: la tabla se ordena por una sola columna."))
                orders, sort = [], ""

    raw_page = params.get("page", "1").strip() or "1"
    try:
        page = int(raw_page)
        if page < 1:
            raise ValueError
    except ValueError:
        errors.append(
            _("Página «%s» no válida: debe ser un número entero de 1 en adelante.") % raw_page[:40]
        )
        page = 1
    requested = page
    page = min(page, MAX_PAGE)  # an absurd page still makes a valid OFFSET

    state = {"q": q, "sort": sort, "filters": filters}
    data: dict[str, Any] = {
        "q": q,
        "filters": filters,
        "sort": sort,
        "limit": PAGE_SIZE,
        "offset": (page - 1) * PAGE_SIZE,
        "records_format": "lists",
    }
    result = _search(table, data, errors)
    total = int(result.get("total") or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        errors.append(
            _("La página %(page)s no existe: hay %(pages)s. Se muestra la última.")
            % {"page": requested, "pages": pages}
        )
        page = pages
        data.update(offset=(page - 1) * PAGE_SIZE, include_total=False)
        result = {**_search(table, data, errors), "total": total}
    data.pop("include_total", None)

    names = [f["id"] for f in result.get("fields", [])]
    keep = [i for i, name in enumerate(names) if name != query.RANK]
    numeric = [
        f["type"] in (schema.INT, schema.NUMERIC)
        for i, f in enumerate(result.get("fields", []))
        if i in keep
    ]
    rows = [
        [Cell(_display(row[i]), is_number) for i, is_number in zip(keep, numeric, strict=True)]
        for row in result.get("records", [])
    ]

    current = orders[0] if orders else None
    for column in columns:
        if current is not None and current.field.id == column.field.id:
            column.sort = "descending" if current.descending else "ascending"
        for descending in (False, True):
            url = _page_url(params, sort=sort_value(column.field.id, descending), page=None)
            if descending:
                column.sort_descending_url = url
            else:
                column.sort_ascending_url = url

    page_view = TablePage(
        table=table,
        columns=columns,
        rows=rows,
        total=total,
        first=data["offset"] + 1 if rows else 0,
        last=data["offset"] + len(rows),
        page=page,
        pages=pages,
        q=q,
        sort=sort,
        filtered=bool(q or filters),
        errors=errors,
    )
    page_view.api_url = request.build_absolute_uri(api_path(table, data))
    page_view.downloads = _downloads(request, table, state)
    page_view.whole_downloads = _downloads(request, table, {})
    if page > 1:
        page_view.previous_url = _page_url(params, page=page - 1 if page > 2 else None)
    if page < pages:
        page_view.next_url = _page_url(params, page=page + 1)
    page_view.clear_url = request.path
    return page_view


def _search(table: Table, data: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    try:
        return query.search(table, data)
    except ActionError as error:
        errors.extend(_messages(error))
        return {"fields": [], "records": [], "total": 0}


def _page_url(params: Any, **changes: Any) -> str:
    """This page's query string with `changes` applied (None removes a parameter)."""
    values = {key: params.get(key) for key in params}
    values.update(changes)
    kept = {k: v for k, v in values.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else "?"


def api_path(table: Table, data: dict[str, Any]) -> str:
    """datastore_search's address for the rows the page shows."""
    return _url(
        API_PATH,
        {
            "resource_id": table.resource_id,
            "q": data.get("q"),
            "filters": json.dumps(data["filters"], ensure_ascii=False)
            if data.get("filters")
            else "",
            "sort": data.get("sort"),
            "limit": data["limit"],
            "offset": data["offset"],
        },
    )


def _downloads(request: HttpRequest, table: Table, state: dict[str, Any]) -> list[dict[str, str]]:
    params = {
        "q": state.get("q"),
        "filters": json.dumps(state["filters"], ensure_ascii=False) if state.get("filters") else "",
        "sort": state.get("sort"),
    }
    return [
        {
            "format": fmt.upper(),
            "url": _url(reverse("datastore:download", args=[table.resource_id, fmt]), params),
        }
        for fmt in DOWNLOAD_FORMATS
    ]
