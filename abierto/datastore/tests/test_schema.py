"""The datastore's physical tables: safe names, the swap that never shows a half table."""

from __future__ import annotations

import uuid

import pytest

from abierto.datastore import schema
from abierto.datastore.schema import Field
from abierto.datastore.tests.tables import load

pytestmark = pytest.mark.django_db(databases=["default", "datastore"])


def _rows(sql: str, params=()) -> list[tuple]:
    with schema.connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_headers_become_safe_distinct_names():
    names = schema.safe_names(["Monto", "monto", "", "_id", 'Dice "hola"\n', "á" * 40, None])
    assert names[:2] == ["Monto", "monto_2"]
    assert names[2] == "columna_3"
    assert names[3] == "id"
    assert names[4] == 'Dice "hola"'
    assert len(names[5].encode()) <= 63 and names[5].startswith("á")
    assert names[6] == "columna_7"


def test_ten_thousand_headers_are_refused_with_the_count():
    with pytest.raises(schema.SchemaError, match="10,000 columnas"):
        schema.safe_names([f"c{i}" for i in range(10_000)])


def test_swap_replaces_the_table_and_the_view_by_resource_id():
    resource_id = uuid.uuid4()
    fields = [Field("Municipio"), Field("Monto", schema.NUMERIC)]
    load(resource_id, fields, [("Zapopan", 10.5), ("Tlaquepaque", 2)])
    view = schema.quote(str(resource_id))
    assert _rows(f'SELECT "Municipio" FROM {view} ORDER BY _id') == [("Zapopan",), ("Tlaquepaque",)]

    table = load(resource_id, [Field("Nombre")], [("Guadalajara",)])
    assert table.version == 2 and schema.next_version(resource_id) == 3
    assert _rows(f"SELECT * FROM {view}") == [(1, "Guadalajara")]
    stored = schema.get_table(resource_id)
    assert stored.physical == schema.physical_name(resource_id, 2)
    assert [f.id for f in stored.fields] == ["Nombre"] and stored.row_count == 1
    # The first version is gone, not left behind.
    with pytest.raises(Exception, match="ds_"):
        _rows(f"SELECT * FROM {schema.quote(schema.physical_name(resource_id, 1))}")


def test_drop_removes_table_view_and_registry_row():
    resource_id = uuid.uuid4()
    load(resource_id, [Field("a")], [("x",)])
    assert schema.drop(resource_id) is True
    assert schema.get_table(resource_id) is None
    assert schema.drop(resource_id) is False


def test_full_text_index_ignores_accents():
    resource_id = uuid.uuid4()
    table = load(
        resource_id,
        [Field("Obra"), Field("Monto", schema.INT)],
        [("Construcción de puente", 1), ("Bacheo", 2)],
    )
    physical = schema.quote(table.physical)
    fts = schema.quote(schema.fts_name(table.physical))
    if schema.is_postgres():
        sql = f"SELECT _id FROM {fts} WHERE doc @@ plainto_tsquery('{schema.SEARCH_CONFIG}', %s)"
    else:
        matches = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"
        sql = f"SELECT _id FROM {physical} WHERE _id IN ({matches})"
    assert _rows(sql, ["construccion"]) == [(1,)]
