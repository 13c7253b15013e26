"""datastore_search_sql: one read-only SELECT over public tables; every other attempt refused."""

from __future__ import annotations

import pytest
from django.db import connections

from abierto.catalog.ckan import ActionError, NotAuthorized, ValidationFailed
from abierto.catalog.factories import (
    DatasetFactory,
    LicenceFactory,
    PublisherFactory,
    ResourceFactory,
)
from abierto.datastore import schema, sql
from abierto.datastore.tests.tables import load

# The query runs on a connection of its own (SQLite: read-only; PostgreSQL: logged in as the
# reader role), which sees only committed tables and grants.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "datastore"])


@pytest.fixture(autouse=True)
def _enabled(settings):
    settings.DATASTORE_SQL_ENABLED = True
    settings.DATASTORE_SQL_TIMEOUT_MS = 1000


@pytest.fixture
def tables(db):
    LicenceFactory()
    publisher = PublisherFactory(name="obras")
    public = ResourceFactory(dataset=DatasetFactory(publisher=publisher))
    private = ResourceFactory(dataset=DatasetFactory(publisher=publisher, private=True))
    return load(public.uuid), load(private.uuid, public=False)


def refused(statement: str) -> ActionError:
    with pytest.raises(ActionError) as caught:
        sql.search_sql(statement)
    assert isinstance(caught.value, NotAuthorized | ValidationFailed)
    return caught.value


def test_a_select_over_a_public_table_returns_records_and_fields(tables):
    public, _private = tables
    result = sql.search_sql(
        f'SELECT "Municipio", count(*) AS obras, sum("Monto") AS total FROM "{public.resource_id}" '
        'GROUP BY "Municipio" ORDER BY obras DESC, "Municipio";'
    )
    assert result["records"][0] == {"Municipio": "Zapopan", "obras": 2, "total": 1620000.5}
    assert [f["id"] for f in result["fields"]] == ["Municipio", "obras", "total"]
    assert result["fields"][1]["type"] == "int"
    assert "records_truncated" not in result


def test_more_than_32000_rows_are_cut_and_say_so(tables):
    result = sql.search_sql(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 32005) "
        "SELECT x FROM c"
    )
    assert len(result["records"]) == 32_000 and result["records_truncated"] is True


def test_it_is_off_unless_enabled(client, settings, tables):
    public, _private = tables
    statement = f'SELECT count(*) AS n FROM "{public.resource_id}"'
    on = client.get("/api/3/action/datastore_search_sql", {"sql": statement})
    assert on.status_code == 200 and on.json()["result"]["records"] == [{"n": 5}]
    settings.DATASTORE_SQL_ENABLED = False
    off = client.get("/api/3/action/datastore_search_sql", {"sql": statement})
    assert off.status_code == 403
    assert off.json()["error"]["__type"] == "Authorization Error"


@pytest.mark.parametrize(
    "statement",
    [
        'INSERT INTO "{public}" ("Municipio") VALUES (\'Tala\')',
        'UPDATE "{public}" SET "Monto" = 0',
        'DELETE FROM "{public}"',
        'DROP TABLE "{public}"',
        'DROP VIEW "{public}"',
        "CREATE TABLE robado AS SELECT 1 AS x",
        'SELECT 1; DELETE FROM "{public}"',
        "SELECT 1; SELECT 2",
        "SELECT * FROM core_user",
        "SELECT * FROM auth_group",
        "SELECT * FROM authtoken_token",
        "SELECT * FROM datastore_registry",
        'SELECT * FROM "{private}"',
        "SELECT * FROM {private_physical}",
        'SELECT p."Municipio" FROM "{public}" p JOIN "{private}" q ON p._id = q._id',
        "SELECT pg_read_file('/etc/passwd')",
        'WITH x AS (SELECT 1) DELETE FROM "{public}"',
    ],
)
def test_writes_other_tables_and_private_tables_are_refused(tables, statement):
    public, private = tables
    error = refused(
        statement.format(
            public=public.resource_id,
            private=private.resource_id,
            private_physical=private.physical,
        )
    )
    assert error.status in (403, 409)
    # Nothing changed.
    check = sql.search_sql(f'SELECT count(*) AS n FROM "{public.resource_id}"')
    assert check["records"] == [{"n": 5}]


def test_the_word_and_value_counts_beside_a_private_table_are_refused(tables):
    # What words and values a private table holds, and how often, is as private as the table.
    _public, private = tables
    names = (
        [schema.words_name, schema.values_name]
        if schema.is_postgres()
        else [schema.vocabulary_name]
    )
    for name in names:
        side = schema.quote(name(private.physical))
        # The table is there: the refusal is not a missing table's.
        with schema.connection().cursor() as cursor:
            tables = schema.connection().introspection.table_names(cursor)
        assert name(private.physical) in tables
        error = refused(f"SELECT * FROM {side}")
        assert error.status in (403, 409)


def test_a_statement_that_runs_too_long_is_stopped(tables, settings):
    settings.DATASTORE_SQL_TIMEOUT_MS = 300
    error = refused(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    )
    assert isinstance(error, ValidationFailed)
    assert "tardó más de 300 ms" in error.errors["query"][0]


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT load_extension('/tmp/evil')",
        "SELECT readfile('/etc/passwd')",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM pragma_table_info('datastore_registry')",
        "SELECT * FROM dbstat",
        "SELECT * FROM sqlite_dbpage",
        "SELECT * FROM {public_fts}",
        "ATTACH DATABASE '/tmp/otra.sqlite3' AS otra",
        "PRAGMA writable_schema = ON",
    ],
)
def test_sqlite_files_extensions_and_pragmas_are_refused(tables, statement):
    if schema.is_postgres():
        pytest.skip("SQLite only")
    public, _private = tables
    refused(statement.format(public_fts=schema.quote(schema.fts_name(public.physical))))


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT 1) TO PROGRAM 'id'",
        "SELECT set_config('role', 'postgres', true), "
        "query_to_xml('SELECT pg_read_file(''/etc/passwd'')', true, false, '')",
        "SELECT query_to_xml('SELECT * FROM core_user', true, false, '')",
        "SELECT set_config('transaction_read_only', 'off', true)",
        "SELECT pg_ls_dir('/')",
        "SELECT lo_import('/etc/passwd')",
    ],
)
def test_postgres_server_files_programs_and_role_escapes_are_refused(tables, statement):
    if not schema.is_postgres():
        pytest.skip("PostgreSQL only")
    refused(statement)


def test_postgres_dblink_cannot_reach_the_database_as_another_user(tables):
    if not schema.is_postgres():
        pytest.skip("PostgreSQL only")
    with connections["datastore"].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'dblink'")
        if cursor.fetchone() is None:
            pytest.skip("dblink is not installed on this server")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS dblink")
    name = connections["datastore"].settings_dict["NAME"]
    refused(
        f"SELECT * FROM dblink('dbname={name} user=postgres', 'SELECT username FROM core_user') "
        "AS t(u text)"
    )


def test_a_table_made_private_is_no_longer_readable(tables):
    public, _private = tables
    statement = f'SELECT count(*) AS n FROM "{public.resource_id}"'
    assert sql.search_sql(statement)["records"] == [{"n": 5}]
    from abierto.catalog.models import Resource

    dataset = Resource.objects.get(uuid=public.resource_id).dataset
    dataset.private = True
    dataset.save()
    refused(statement)
