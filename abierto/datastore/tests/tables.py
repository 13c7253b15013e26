"""Tables for the datastore's query, API and export tests, made with schema.py's own functions."""

from __future__ import annotations

import uuid

from abierto.datastore import schema
from abierto.datastore.schema import Field

OBRAS_FIELDS = [
    Field("Municipio", schema.TEXT, {"label": "Municipio", "notes": "Nombre oficial"}),
    Field("Obra", schema.TEXT),
    Field("Monto", schema.NUMERIC),
    Field("Año", schema.INT),
    Field("Fecha", schema.DATE),
    Field("Concluida", schema.BOOL),
]
OBRAS_ROWS = [
    ("Zapopan", "Construcción de puente vehicular", 1500000.5, 2017, "2017-03-01", True),
    ("Guadalajara", "Bacheo de calles", 250000, 2018, "2018-05-10", False),
    ("Tlaquepaque", "Construcción de escuela primaria", 980000, 2018, "2018-07-20", True),
    ("Zapopan", "Alumbrado público", 120000, 2016, "2016-01-15", False),
    ("Tonalá", "Reparación'; DROP TABLE datastore_registry; --", None, 2017, None, None),
]


def load(
    resource_id: uuid.UUID | str | None = None,
    fields: list[Field] | None = None,
    rows: list[tuple] | None = None,
    *,
    public: bool = True,
) -> schema.Table:
    """A table served for `resource_id` (as a loader leaves it: rows in, indexed, swapped)."""
    resource_id = resource_id or uuid.uuid4()
    fields = OBRAS_FIELDS if fields is None else fields
    rows = OBRAS_ROWS if rows is None else rows
    version = schema.next_version(resource_id)
    physical = schema.physical_name(resource_id, version)
    columns = ", ".join(schema.quote(f.id) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with schema.connection().cursor() as cursor:
        schema.ensure_ready(cursor)
        schema.create_table(cursor, physical, fields)
        if rows:
            cursor.executemany(
                f"INSERT INTO {schema.quote(physical)} ({columns}) VALUES ({marks})", rows
            )
        schema.index_table(cursor, physical, fields)
    return schema.swap(
        resource_id,
        physical=physical,
        fields=fields,
        row_count=len(rows),
        version=version,
        public=public,
    )


def indexed_columns(physical: str) -> set[str]:
    """The columns of `physical` that lead an index of their own, as the database lists them
    (on PostgreSQL an index on (column, _id))."""
    with schema.connection().cursor() as cursor:
        if schema.is_postgres():
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                " ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
                [schema.quote(physical)],
            )
            return {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [physical]
        )
        columns = set()
        for (name,) in cursor.fetchall():
            cursor.execute(f"PRAGMA index_info({schema.quote(name)})")
            columns |= {row[2] for row in cursor.fetchall()}
        return columns
