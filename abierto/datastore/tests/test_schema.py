"""The datastore's physical tables: safe names, the swap that never shows a half table."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

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


def test_settling_a_sqlite_load_empties_its_write_ahead_log(tmp_path):
    """A million-row load left 437 MB in SQLite's write-ahead log, which readers then search
    for every page they read: `settle` checkpoints it into the file once the load is done.
    A file database of its own (the suite's datastore lives in memory, without a log)."""
    path = tmp_path / "datastore.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;"},
            }
        }
    )
    conn = handler["default"]
    reader = sqlite3.connect(path)
    try:
        with conn.cursor() as cursor:
            cursor.execute("CREATE TABLE gasto (municipio text, monto integer)")
        # A reader in the middle of a request holds the snapshot from before the load, so
        # the automatic checkpoints at the load's commits cannot finish.
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM gasto").fetchone()
        with conn.cursor() as cursor:
            cursor.execute("BEGIN")  # one transaction, as a load is
            cursor.executemany(
                "INSERT INTO gasto VALUES (%s, %s)", [("Ocotlán", n) for n in range(100_000)]
            )
            cursor.execute("COMMIT")
        reader.execute("COMMIT")
        wal = Path(f"{path}-wal")
        assert wal.stat().st_size > 1_000_000
        schema.settle("gasto", conn)
        assert wal.stat().st_size == 0
        assert reader.execute("SELECT count(*), sum(monto) FROM gasto").fetchone() == (
            100_000,
            sum(range(100_000)),
        )
    finally:
        reader.close()
        conn.close()
