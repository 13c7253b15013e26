"""CKAN's DataStore actions: datastore_search, _search_sql, _info, _create, _upsert, _delete.

They register with the catalog's Action API (catalog/ckan.py), so they answer at
`/api/3/action/datastore_*` in CKAN's envelope with CKAN's error types. Reading a table needs
what reading its dataset needs (catalog/rules.can_see: public, or private/draft for the
publisher's members by API token); writing needs catalog/rules.can_edit. Every write keeps the
registry's row count and fields true and appends an audit entry (which also refreshes the
anonymous page cache).
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abierto.catalog import rules
from abierto.catalog.ckan import (
    Call,
    NotAuthorized,
    NotFound,
    ValidationFailed,
    action,
    as_bool,
)
from abierto.catalog.models import Dataset, Resource
from abierto.core import audit
from abierto.datastore import counts, query, schema
from abierto.datastore.routers import ALIAS
from abierto.datastore.schema import Field, Table

PRIMARY_KEY = "datastore_primary_key"
# CKAN and PostgreSQL names for the column types, as clients send them.
TYPE_NAMES = {
    "text": schema.TEXT,
    "string": schema.TEXT,
    "varchar": schema.TEXT,
    "int": schema.INT,
    "int4": schema.INT,
    "int8": schema.INT,
    "integer": schema.INT,
    "bigint": schema.INT,
    "numeric": schema.NUMERIC,
    "number": schema.NUMERIC,
    "float": schema.NUMERIC,
    "float8": schema.NUMERIC,
    "double precision": schema.NUMERIC,
    "date": schema.DATE,
    "timestamp": schema.TIMESTAMP,
    "datetime": schema.TIMESTAMP,
    "bool": schema.BOOL,
    "boolean": schema.BOOL,
}


# --- Finding the resource and its table -----------------------------------------------------


def _key(reference: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(reference))
    except ValueError:
        raise NotFound(_("no existe el recurso «%s».") % str(reference)[:80]) from None


def find_resource(reference: Any) -> Resource:
    key = _key(reference)
    # One row by a unique key: no ordering to compile (`first()` adds one).
    found = Resource.objects.select_related("dataset__publisher").filter(uuid=key).order_by()
    resource = next(iter(found[:1]), None)
    if resource is None or resource.state == Dataset.State.DELETED:
        raise NotFound(_("no existe el recurso «%s».") % key)
    return resource


@functools.cache
def _public_parts() -> tuple[str, str, str]:
    """What says whether a resource is public: its columns, tables and condition."""
    # Identifiers from the models' own metadata, quoted alike by both databases.
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    resource, dataset = Resource._meta, Dataset._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"r.{column(resource, 'state')}, d.{column(dataset, 'state')}, "
        f"d.{column(dataset, 'private')}",
        f"{quote(resource.db_table)} r JOIN {quote(dataset.db_table)} d "
        f"ON d.{quote(dataset.pk.column)} = r.{column(resource, 'dataset')}",
        f"r.{column(resource, 'uuid')} = %s",
    )


@functools.cache
def _public_sql() -> str:
    columns, tables, condition = _public_parts()
    return f"SELECT {columns} FROM {tables} WHERE {condition}"


@functools.cache
def _public_table_sql() -> str:
    columns, tables, condition = _public_parts()
    registry = ", ".join(f"g.{name.strip()}" for name in schema._COLUMNS.split(","))
    return (
        f"SELECT {columns}, {registry} FROM {tables} "
        f"LEFT JOIN {schema.REGISTRY} g ON g.resource_id = %s WHERE {condition}"
    )


def _visibility(row) -> bool | None:
    if row is None or row[0] == Dataset.State.DELETED:
        return None
    return row[1] == Dataset.State.ACTIVE and not row[2]


def _is_public(key: uuid.UUID) -> bool | None:
    """Whether resource `key` is public (active, in an active public dataset); None if there
    is no such resource or it was deleted.

    Every read action asks this first, so it is one statement Django need not compile: the
    ORM query of a resource with its dataset and publisher was about 1.2 ms of a 2.6 ms
    first page of datastore_search; this one takes about 0.03 ms."""
    connection = connections[DEFAULT_DB_ALIAS]
    value = Resource._meta.get_field("uuid").get_db_prep_value(key, connection)
    with connection.cursor() as cursor:
        cursor.execute(_public_sql(), [value])
        return _visibility(cursor.fetchone())


# The datastore's same-database settings that make two aliases one database and one role,
# and the options that only change how statements are sent (settings.py), not where.
_SAME = ("NAME", "HOST", "PORT", "USER")
_HOW_SENT = ("server_side_binding", "prepare_threshold")


def _where(settings: dict[str, Any]) -> tuple:
    options = {k: v for k, v in (settings.get("OPTIONS") or {}).items() if k not in _HOW_SENT}
    return (*(settings.get(k) for k in _SAME), sorted(options.items()))


def _public_and_table(key: uuid.UUID) -> tuple[bool | None, Table | None] | None:
    """Whether resource `key` is public (as `_is_public`) and its registry row, in one
    statement on the datastore's connection, which then serves the rows too; None when that
    cannot be asked.

    It can when the datastore is the platform's own PostgreSQL database (the default set-up)
    and neither connection is in a transaction, whose uncommitted writes only it would see.
    On PostgreSQL a first page cost three statements on two connections, each connection
    checked by `SELECT 1` before its first statement of a request (CONN_HEALTH_CHECKS): five
    round trips, now three."""
    site, datastore = connections[DEFAULT_DB_ALIAS], schema.connection()
    if (
        datastore.vendor != "postgresql"
        or site.vendor != "postgresql"
        or _where(site.settings_dict) != _where(datastore.settings_dict)
        or site.in_atomic_block
        or datastore.in_atomic_block
    ):
        return None
    value = Resource._meta.get_field("uuid").get_db_prep_value(key, datastore)
    try:
        with datastore.cursor() as cursor:
            cursor.execute(_public_table_sql(), [str(key), value])
            row = cursor.fetchone()
    except DatabaseError as error:
        if schema.REGISTRY in str(error):
            return None  # no registry yet: nothing was ever loaded
        raise
    public = _visibility(row)
    return public, (schema._table(row[3:]) if public is not None and row[3] else None)


_UNREAD = object()


def readable_table(user, reference: Any) -> Table:
    """The table of a resource, if `user` may read it (catalog/rules.can_see)."""
    key = _key(reference)
    public, table = _public_and_table(key) or (_is_public(key), _UNREAD)
    if public is None:
        raise NotFound(_("no existe el recurso «%s».") % key)
    if not public and not rules.can_see(user, find_resource(key).dataset):
        raise NotAuthorized(_("el recurso «%s» no es público.") % key)
    if table is _UNREAD:
        table = query.read_table(key)
    if table is None:
        raise NotFound(_("el recurso «%s» no tiene tabla en el almacén de datos.") % key)
    return table


def writable(call: Call, reference: Any) -> Resource:
    """The resource, if the caller may change its table."""
    call.require_user()
    resource = find_resource(reference)
    if not rules.can_edit(call.user, resource.dataset):
        raise NotAuthorized(_("no puede modificar los datos del recurso «%s».") % resource.uuid)
    return resource


def _resource_id(call: Call) -> Any:
    value = call.get("resource_id") or call.get("id")
    if value in (None, ""):
        raise ValidationFailed({"resource_id": [_("Falta este valor.")]})
    return value


def is_public(resource: Resource) -> bool:
    dataset = resource.dataset
    return dataset.state == Dataset.State.ACTIVE and not dataset.private


# --- Read actions ---------------------------------------------------------------------------


@action(read_only=True)
def datastore_search(call: Call) -> dict[str, Any]:
    """Search a resource's table (CKAN datastore_search).

    Parameters: resource_id; filters ({field: value or [values]}); q (text searched in every
    text field, Spanish, accents ignored; or {field: text}); plain (true); language
    ("spanish"); distinct; fields (list or "a,b"); sort ("a, b desc nulls last"); limit (100;
    at most 32000); offset; include_total (true); total_estimation_threshold;
    records_format (objects, lists, csv or tsv).
    Returns {fields, records, total, total_was_estimated, limit, offset, filters, _links, …};
    with q, each record has a `rank` (higher is better) and records come best first.
    """
    table = readable_table(call.user, _resource_id(call))
    data = dict(call.data)
    data["resource_id"] = table.resource_id
    data.pop("id", None)
    return query.search(table, data, path="/api/3/action/datastore_search")


@action(read_only=True)
def datastore_info(call: Call) -> dict[str, Any]:
    """A table's shape: `meta` (row count, version, when loaded) and its `fields`."""
    table = readable_table(call.user, _resource_id(call))
    return {
        "meta": {
            "id": table.resource_id,
            "count": table.row_count,
            "table_type": "BASE TABLE",
            "aliases": [],
            "version": table.version,
            "loaded_at": table.loaded_at.isoformat(),
        },
        "fields": [query.field_dict(f) for f in table.fields],
    }


@action(read_only=True)
def datastore_search_sql(call: Call) -> dict[str, Any]:
    """One read-only SELECT over public tables (CKAN datastore_search_sql), if enabled.

    Parameters: sql. Tables are named by their resource id in double quotes. Off unless the
    site sets DATASTORE_SQL_ENABLED; at most 32000 rows (then `records_truncated` is true);
    stopped after DATASTORE_SQL_TIMEOUT_MS milliseconds.
    """
    from abierto.datastore import sql

    if not settings.DATASTORE_SQL_ENABLED:
        raise NotAuthorized(_("la consulta SQL no está habilitada en este sitio."))
    return sql.search_sql(str(call.require("sql")))


# --- Writing --------------------------------------------------------------------------------


def _parse_fields(raw: Any) -> list[Field]:
    if not isinstance(raw, list):
        raise ValidationFailed({"fields": [_("Debe ser una lista de {id, type, info}.")]})
    fields: list[Field] = []
    errors = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not str(item.get("id") or "").strip():
            errors.append(_("Campo %(n)s: falta «id».") % {"n": position})
            continue
        name = str(item["id"])
        if name.startswith("_") or len(name.encode()) > schema.MAX_NAME_BYTES or '"' in name:
            errors.append(
                _(
                    "Campo %(n)s: «%(name)s» no es un nombre válido (sin «_» inicial ni comillas, "
                    "63 bytes a lo más)."
                )
                % {"n": position, "name": name[:80]}
            )
            continue
        kind = TYPE_NAMES.get(str(item.get("type") or "text").strip().lower())
        if kind is None:
            errors.append(
                _("Campo %(n)s («%(name)s»): tipo desconocido «%(type)s»; use %(types)s.")
                % {
                    "n": position,
                    "name": name,
                    "type": item.get("type"),
                    "types": ", ".join(schema.FIELD_TYPES),
                }
            )
            continue
        if any(f.id.casefold() == name.casefold() for f in fields):
            errors.append(
                _("Campo %(n)s: «%(name)s» está repetido.") % {"n": position, "name": name}
            )
            continue
        info = item.get("info") if isinstance(item.get("info"), dict) else {}
        fields.append(Field(name, kind, info))
    if errors:
        raise ValidationFailed({"fields": errors})
    if len(fields) > schema.MAX_COLUMNS:
        raise ValidationFailed({"fields": [_("Más de %s campos.") % schema.MAX_COLUMNS]})
    return fields


def _parse_records(raw: Any, fields: list[Field], *, allow_id: bool = False) -> list[dict]:
    """Records as {field id: value converted to its column's type}; errors name row and field."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationFailed({"records": [_("Debe ser una lista de objetos {campo: valor}.")]})
    by_id = {f.id: f for f in fields}
    if allow_id:
        by_id[query.ID] = query.ID_FIELD
    out, errors = [], []
    for row, record in enumerate(raw, start=1):
        if not isinstance(record, dict):
            errors.append(_("Fila %(row)s: no es un objeto {campo: valor}.") % {"row": row})
            continue
        converted = {}
        for name, value in record.items():
            f = by_id.get(name)
            if f is None:
                errors.append(
                    _("Fila %(row)s: el campo «%(name)s» no existe en la tabla.")
                    % {"row": row, "name": str(name)[:80]}
                )
                continue
            try:
                converted[name] = query.to_db(f, value)
            except query.BadValue as error:
                errors.append(
                    _("Fila %(row)s, campo «%(name)s»: %(error)s")
                    % {"row": row, "name": name, "error": error}
                )
        out.append(converted)
        if len(errors) >= 20:
            break
    if errors:
        raise ValidationFailed({"records": errors})
    return out


def _insert(cursor, physical: str, records: list[dict]) -> None:
    """Insert records, grouped by the fields they give."""
    groups: dict[tuple[str, ...], list[list[Any]]] = {}
    for record in records:
        groups.setdefault(tuple(record), []).append(list(record.values()))
    for names, rows in groups.items():
        if not names:
            cursor.executemany(
                f"INSERT INTO {schema.quote(physical)} DEFAULT VALUES", [[]] * len(rows)
            )
            continue
        columns = ", ".join(schema.quote(n) for n in names)
        marks = ", ".join(["%s"] * len(names))
        cursor.executemany(
            f"INSERT INTO {schema.quote(physical)} ({columns}) VALUES ({marks})", rows
        )


def _max_id(cursor, physical: str) -> int:
    cursor.execute(f"SELECT coalesce(max(_id), 0) FROM {schema.quote(physical)}")
    return int(cursor.fetchone()[0])


def _lock_for_write(cursor, table_physical: str) -> None:
    """Take the lock writes take, first: a text index build in progress finishes before this
    transaction looks for the index, so no row escapes it."""
    if schema.is_postgres():
        cursor.execute(f"LOCK TABLE {schema.quote(table_physical)} IN ROW EXCLUSIVE MODE")


def _fts_add(cursor, table_physical: str, fields: list[Field], where: str, params: list) -> None:
    """Index the rows `where` selects, and count their values (counts.py), once their values
    are written. Before a load's index build has finished there is no index to keep: the
    build reads these rows itself."""
    if not schema.has_text_index(cursor, table_physical):
        return
    fts = schema.quote(schema.fts_name(table_physical))
    source = f"FROM {schema.quote(table_physical)} t WHERE {where}"
    if schema.is_postgres():
        _recount_words(cursor, table_physical, "-", source, params)
        cursor.execute(
            f"INSERT INTO {fts} (_id, doc) SELECT _id, {schema.document_sql(fields, 't')} "
            f"{source} ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc",
            params,
        )
        _recount_words(cursor, table_physical, "+", source, params)
        counts.recount(cursor, table_physical, fields, "+", source, params)
        return
    cursor.execute(
        f"INSERT INTO {fts} (rowid, doc) SELECT _id, {schema.document_sql(fields, 't')} {source}",
        params,
    )


def _recount_words(cursor, table_physical: str, sign: str, source: str, params: list) -> None:
    """PostgreSQL: take the indexed documents of the rows `source` selects out of (`sign`
    "-") or into ("+") the counted lexemes, which then stay exact for search to trust."""
    words = schema.quote(schema.words_name(table_physical))
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [words])
    if not cursor.fetchone()[0]:
        return  # indexed before lexemes were counted
    fts = schema.quote(schema.fts_name(table_physical))
    counts = schema.word_counts_sql(fts, f"WHERE m._id IN (SELECT _id {source})")
    cursor.execute(
        f"UPDATE {words} w SET ndoc = w.ndoc {sign} d.ndoc, nentry = w.nentry {sign} d.nentry "
        f"FROM ({counts}) d WHERE w.lexeme = d.lexeme",
        params,
    )


def _fts_remove(cursor, table_physical: str, fields: list[Field], where: str, params: list) -> None:
    """Take the rows `where` selects out of the index and the value counts, before they
    change or go."""
    if not schema.has_text_index(cursor, table_physical):
        return
    fts = schema.quote(schema.fts_name(table_physical))
    source = f"FROM {schema.quote(table_physical)} t WHERE {where}"
    if schema.is_postgres():
        _recount_words(cursor, table_physical, "-", source, params)
        cursor.execute(f"DELETE FROM {fts} WHERE _id IN (SELECT _id {source})", params)
        counts.recount(cursor, table_physical, fields, "-", source, params)
        return
    # A contentless FTS5 table forgets a row only when given the values it indexed.
    cursor.execute(
        f"INSERT INTO {fts} ({fts}, rowid, doc) SELECT 'delete', _id, "
        f"{schema.document_sql(fields, 't')} {source}",
        params,
    )


def _count(cursor, physical: str) -> int:
    cursor.execute(f"SELECT count(*) FROM {schema.quote(physical)}")
    return int(cursor.fetchone()[0])


def _primary_key(resource: Resource, raw: Any, fields: list[Field]) -> list[str]:
    if raw in (None, "", []):
        return list(resource.extras.get(PRIMARY_KEY) or [])
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list):
        raise ValidationFailed({"primary_key": [_("Debe ser un nombre de campo o una lista.")]})
    known = {f.id for f in fields}
    for name in names:
        if name not in known:
            raise ValidationFailed(
                {"primary_key": [_("El campo «%s» no existe en la tabla.") % str(name)[:80]]}
            )
    return [str(n) for n in names]


def _indexes(resource: Resource, raw: Any, fields: list[Field]) -> list[str]:
    """CKAN's `indexes`: a field, a list of fields or "a,b"; the resource's own when absent."""
    if raw in (None, "", []):
        return list(resource.extras.get(schema.INDEXES_EXTRA) or [])
    if isinstance(raw, str):
        raw = [name.strip() for name in raw.split(",") if name.strip()]
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise ValidationFailed({"indexes": [_("Debe ser un nombre de campo o una lista.")]})
    known = {f.id for f in fields}
    for name in raw:
        if name not in known:
            raise ValidationFailed(
                {"indexes": [_("El campo «%s» no existe en la tabla.") % name[:80]]}
            )
    return list(dict.fromkeys(raw))


def _integrity(error: IntegrityError) -> ValidationFailed:
    return ValidationFailed(
        {"records": [_("Los registros repiten la clave primaria: %s") % str(error).splitlines()[0]]}
    )


def _record_change(call: Call, resource: Resource, verb: str, before: dict, after: dict) -> None:
    audit.record(actor=call.user, verb=verb, obj=resource, before=before, after=after)


@action(read_only=False)
def datastore_create(call: Call) -> dict[str, Any]:
    """Create a resource's table, or add fields and records to it (CKAN datastore_create).

    Parameters: resource_id; fields ([{id, type, info}]: types text, int, numeric, date,
    timestamp, bool); records ([{field: value}]); primary_key (a field or a list, used by
    datastore_upsert); indexes (a field, a list or "a,b": columns to index for filters beyond
    those indexed anyway, kept for later loads). Sets the resource's datastore_active and
    data dictionary.
    """
    resource = writable(call, _resource_id(call))
    existing = schema.get_table(resource.uuid)
    given = _parse_fields(call.get("fields")) if call.get("fields") not in (None, "") else []
    if existing is None:
        fields = given
        if not fields:
            raise ValidationFailed({"fields": [_("Indique los campos de la tabla nueva.")]})
    else:
        fields = [Field(f.id, f.type, dict(f.info)) for f in existing.fields]
        by_id = {f.id: f for f in fields}
        for f in given:
            old = by_id.get(f.id)
            if old is None:
                fields.append(f)
            elif old.type != f.type:
                raise ValidationFailed(
                    {
                        "fields": [
                            _("El campo «%(name)s» es de tipo %(old)s; no puede cambiar a %(new)s.")
                            % {"name": f.id, "old": old.type, "new": f.type}
                        ]
                    }
                )
            elif f.info:
                old.info = f.info
    primary_key = _primary_key(resource, call.get("primary_key"), fields)
    indexes = _indexes(resource, call.get("indexes"), fields)
    records = _parse_records(call.get("records"), fields)
    rebuild = existing is None or len(fields) != len(existing.fields)
    try:
        with transaction.atomic(using=ALIAS), schema.connection().cursor() as cursor:
            schema.ensure_ready(cursor)
            if rebuild:
                table = _rebuild(cursor, resource, existing, fields, records, primary_key, indexes)
            else:
                _lock_for_write(cursor, existing.physical)
                asked = [f for f in fields if f.id in set(indexes)]
                schema.add_indexes(cursor, existing.physical, fields, asked)
                start = _max_id(cursor, existing.physical)
                _insert(cursor, existing.physical, records)
                _fts_add(cursor, existing.physical, fields, "_id > %s", [start])
                row_count = existing.row_count + len(records)
                schema.update_registry(resource.uuid, fields=fields, row_count=row_count)
                table = Table(**{**existing.__dict__, "fields": fields, "row_count": row_count})
    except IntegrityError as error:
        raise _integrity(error) from None
    with audit.recording_change(actor=call.user, verb="datastore_create", obj=resource):
        resource.datastore_active = True
        resource.data_dictionary = [query.field_dict(f) | {"info": f.info} for f in fields]
        resource.extras = {
            **resource.extras,
            PRIMARY_KEY: primary_key,
            schema.INDEXES_EXTRA: indexes,
        }
        resource.last_modified = timezone.now()
        resource.save()
    return {
        "resource_id": str(resource.uuid),
        "fields": [query.field_dict(f) for f in table.fields],
        "primary_key": primary_key,
        "indexes": indexes,
        "records": call.get("records") or [],
        "total": table.row_count,
    }


def _rebuild(cursor, resource, existing, fields, records, primary_key, indexes) -> Table:
    """A new version of the table with `fields`: old rows copied, records added, swapped in."""
    version = existing.version + 1 if existing else 1
    physical = schema.physical_name(resource.uuid, version)
    schema.create_table(cursor, physical, fields)
    if existing is not None:
        columns = ", ".join(["_id", *(schema.quote(f.id) for f in existing.fields)])
        cursor.execute(
            f"INSERT INTO {schema.quote(physical)} ({columns}) "
            f"SELECT {columns} FROM {schema.quote(existing.physical)}"
        )
        if schema.is_postgres():
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, '_id'), "
                f"(SELECT coalesce(max(_id), 0) + 1 FROM {schema.quote(physical)}), false)",
                [schema.quote(physical)],
            )
    _insert(cursor, physical, records)
    if primary_key:
        columns = ", ".join(schema.quote(n) for n in primary_key)
        cursor.execute(
            f"CREATE UNIQUE INDEX {schema.quote(physical + '_pk')} "
            f"ON {schema.quote(physical)} ({columns})"
        )
    schema.index_table(cursor, physical, fields, indexes)
    return schema.swap(
        resource.uuid,
        physical=physical,
        fields=fields,
        row_count=_count(cursor, physical),
        version=version,
        public=is_public(resource),
    )


def _existing(resource: Resource) -> Table:
    table = schema.get_table(resource.uuid)
    if table is None:
        raise NotFound(_("el recurso «%s» no tiene tabla en el almacén de datos.") % resource.uuid)
    return table


@action(read_only=False)
def datastore_upsert(call: Call) -> dict[str, Any]:
    """Insert or change rows (CKAN datastore_upsert).

    Parameters: resource_id; records; method: upsert (default: change the row with the same
    primary key, or `_id`, else insert), insert, or update (the row must exist); dry_run
    (check and report, change nothing).
    """
    resource = writable(call, _resource_id(call))
    table = _existing(resource)
    method = str(call.get("method") or "upsert")
    if method not in ("upsert", "insert", "update"):
        raise ValidationFailed({"method": [_("Use upsert, insert o update.")]})
    key = list(resource.extras.get(PRIMARY_KEY) or [])
    records = _parse_records(call.get("records"), table.fields, allow_id=method != "insert")
    if method != "insert":
        for row, record in enumerate(records, start=1):
            if query.ID in record:
                continue
            missing = [k for k in key if record.get(k) is None]
            if not key or missing:
                raise ValidationFailed(
                    {
                        "records": [
                            _("Fila %(row)s: falta la clave (%(key)s) para %(method)s.")
                            % {"row": row, "key": ", ".join(key or [query.ID]), "method": method}
                        ]
                    }
                )
    physical = schema.quote(table.physical)
    inserted = 0
    try:
        with transaction.atomic(using=ALIAS), schema.connection().cursor() as cursor:
            _lock_for_write(cursor, table.physical)
            for row, record in enumerate(records, start=1):
                found = None
                if method != "insert":
                    names = [query.ID] if query.ID in record else key
                    where = " AND ".join(f"{schema.quote(n)} = %s" for n in names)
                    cursor.execute(
                        f"SELECT _id FROM {physical} WHERE {where}", [record[n] for n in names]
                    )
                    hit = cursor.fetchone()
                    found = hit[0] if hit else None
                if found is None:
                    if method == "update":
                        raise ValidationFailed(
                            {
                                "records": [
                                    _("Fila %(row)s: no existe una fila con esa clave.")
                                    % {"row": row}
                                ]
                            }
                        )
                    start = _max_id(cursor, table.physical)
                    _insert(cursor, table.physical, [record])
                    _fts_add(cursor, table.physical, table.fields, "_id > %s", [start])
                    inserted += 1
                    continue
                values = {k: v for k, v in record.items() if k != query.ID}
                if not values:
                    continue
                _fts_remove(cursor, table.physical, table.fields, "_id = %s", [found])
                sets = ", ".join(f"{schema.quote(n)} = %s" for n in values)
                cursor.execute(
                    f"UPDATE {physical} SET {sets} WHERE _id = %s", [*values.values(), found]
                )
                _fts_add(cursor, table.physical, table.fields, "_id = %s", [found])
            if as_bool(call.get("dry_run")):
                transaction.set_rollback(True, using=ALIAS)
            else:
                schema.update_registry(resource.uuid, row_count=table.row_count + inserted)
    except IntegrityError as error:
        raise _integrity(error) from None
    if not as_bool(call.get("dry_run")):
        _record_change(
            call,
            resource,
            "datastore_upsert",
            {"row_count": table.row_count},
            {"row_count": table.row_count + inserted, "records": len(records)},
        )
    return {
        "resource_id": str(resource.uuid),
        "method": method,
        "records": call.get("records") or [],
        "inserted": inserted,
        "total": table.row_count + (0 if as_bool(call.get("dry_run")) else inserted),
    }


@action(read_only=False)
def datastore_delete(call: Call) -> dict[str, Any]:
    """Delete rows matching `filters` ({field: value or [values]}), or, without filters, the
    whole table (the resource is then no longer in the datastore)."""
    resource = writable(call, _resource_id(call))
    table = _existing(resource)
    filters = call.get("filters")
    if filters in (None, "", {}):
        schema.drop(resource.uuid)
        with audit.recording_change(actor=call.user, verb="datastore_delete", obj=resource):
            resource.datastore_active = False
            resource.last_modified = timezone.now()
            resource.save()
        return {"resource_id": str(resource.uuid), "filters": {}}
    found = query.build(table, {"filters": filters})
    source, params = found._from()
    physical = schema.quote(table.physical)
    with transaction.atomic(using=ALIAS), schema.connection().cursor() as cursor:
        _lock_for_write(cursor, table.physical)
        selected = f"_id IN (SELECT t._id {source})"
        _fts_remove(
            cursor, table.physical, table.fields, selected.replace("_id IN", "t._id IN", 1), params
        )
        cursor.execute(f"DELETE FROM {physical} WHERE {selected}", params)
        deleted = max(cursor.rowcount, 0)
        schema.update_registry(resource.uuid, row_count=table.row_count - deleted)
    _record_change(
        call,
        resource,
        "datastore_delete",
        {"row_count": table.row_count},
        {"row_count": table.row_count - deleted},
    )
    return {
        "resource_id": str(resource.uuid),
        "filters": query._json_param(filters, "filters", dict),
        "deleted": deleted,
    }
