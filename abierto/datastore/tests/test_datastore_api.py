"""The DataStore actions through the CKAN Action API, with Django's client and real ckanapi."""

from __future__ import annotations

import json

import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from abierto.catalog.factories import (
    DatasetFactory,
    LicenceFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
)
from abierto.catalog.models import Resource
from abierto.core.models import AuditEntry
from abierto.datastore import counts, schema
from abierto.datastore.tests.tables import OBRAS_ROWS, indexed_columns, load

pytestmark = pytest.mark.django_db(databases=["default", "datastore"])
API = "/api/3/action/"


@pytest.fixture
def salud(db):
    return PublisherFactory(name="salud", title="Secretaría de Salud")


@pytest.fixture
def editor_key(salud):
    return Token.objects.create(user=PublisherMemberFactory(publisher=salud).user).key


@pytest.fixture
def outsider_key(db):
    return Token.objects.create(user=PublisherMemberFactory().user).key


@pytest.fixture
def obras(salud):
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud), title="Obras")
    load(resource.uuid)
    return resource


@pytest.fixture
def private_obras(salud):
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud, private=True))
    load(resource.uuid, public=False)
    return resource


def get(client, name, key=None, **params):
    headers = {"HTTP_X_CKAN_API_KEY": key} if key else {}
    return client.get(API + name, params, **headers)


def post(client, name, data, key=None):
    headers = {"HTTP_AUTHORIZATION": key} if key else {}
    return client.post(API + name, json.dumps(data), content_type="application/json", **headers)


def test_anyone_searches_a_public_table_by_get_and_post(client, obras):
    response = get(client, "datastore_search", resource_id=str(obras.uuid), q="construccion")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["success"] is True
    result = body["result"]
    assert result["total"] == 2 and result["resource_id"] == str(obras.uuid)
    assert {r["Municipio"] for r in result["records"]} == {"Zapopan", "Tlaquepaque"}
    response = post(
        client,
        "datastore_search",
        {"resource_id": str(obras.uuid), "filters": {"Municipio": ["Zapopan", "Tonalá"]}},
    )
    assert response.json()["result"]["total"] == 3
    # Filters over GET come as JSON text, as CKAN clients send them.
    response = get(
        client,
        "datastore_search",
        resource_id=str(obras.uuid),
        filters=json.dumps({"Año": 2018}),
        sort="Monto desc",
    )
    assert [r["Municipio"] for r in response.json()["result"]["records"]] == [
        "Tlaquepaque",
        "Guadalajara",
    ]


def test_errors_come_in_ckan_envelope_with_ckan_types(client, obras, salud):
    bad = get(client, "datastore_search", resource_id=str(obras.uuid), filters='{"Monto": "x"}')
    assert bad.status_code == 409
    assert bad.json()["error"]["__type"] == "Validation Error"
    assert "«Monto»" in bad.json()["error"]["filters"][0]
    missing = get(client, "datastore_search", resource_id="00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error"
    no_table = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    assert get(client, "datastore_search", resource_id=str(no_table.uuid)).status_code == 404
    assert get(client, "datastore_search").json()["error"]["resource_id"]
    syntax = get(
        client, "datastore_search", resource_id=str(obras.uuid), q="((( & |", plain="false"
    )
    assert syntax.status_code == 400
    assert syntax.json()["error"]["__type"] == "Search Query Error"


def test_a_private_table_is_for_its_publishers_members_only(
    client, private_obras, editor_key, outsider_key
):
    rid = str(private_obras.uuid)
    anonymous = get(client, "datastore_search", resource_id=rid)
    assert anonymous.status_code == 403
    assert anonymous.json()["error"]["__type"] == "Authorization Error"
    assert get(client, "datastore_search", outsider_key, resource_id=rid).status_code == 403
    member = get(client, "datastore_search", editor_key, resource_id=rid)
    assert member.status_code == 200 and member.json()["result"]["total"] == 5
    assert get(client, "datastore_info", resource_id=rid).status_code == 403


@pytest.mark.parametrize(
    ("dataset_state", "private", "resource_state", "anonymous", "member"),
    [
        ("active", False, "active", 200, 200),
        ("active", True, "active", 403, 200),
        ("draft", False, "active", 403, 200),
        ("deleted", False, "active", 403, 403),
        ("active", False, "deleted", 404, 404),
    ],
)
def test_reading_a_table_follows_its_datasets_visibility(
    client, salud, editor_key, dataset_state, private, resource_state, anonymous, member
):
    resource = ResourceFactory(
        dataset=DatasetFactory(publisher=salud, private=private, state=dataset_state),
        state=resource_state,
    )
    load(resource.uuid, public=False)
    rid = str(resource.uuid)
    for name in ("datastore_search", "datastore_info"):
        assert get(client, name, resource_id=rid).status_code == anonymous, name
        assert get(client, name, editor_key, resource_id=rid).status_code == member, name
    if member == 200:
        assert get(client, "datastore_search", editor_key, resource_id=rid).json()["result"][
            "total"
        ] == len(OBRAS_ROWS)


def test_a_public_search_reads_the_site_database_once(client, obras):
    # Whether the resource is public is one statement (anonymous readers are most requests).
    with CaptureQueriesContext(connections["default"]) as site:
        response = get(client, "datastore_search", resource_id=str(obras.uuid), q="construccion")
    assert response.status_code == 200 and response.json()["result"]["total"] == 2
    assert len(site.captured_queries) == 1
    # ...the lean one: not the resource with its dataset and publisher, as the ORM read it.
    assert "catalog_publisher" not in site.captured_queries[0]["sql"]


@pytest.mark.skipif(
    not schema.is_postgres(), reason="PostgreSQL only: with SQLite the datastore is a file apart"
)
@pytest.mark.django_db(transaction=True, databases=["default", "datastore"])
def test_outside_a_transaction_postgres_answers_a_search_on_one_connection(
    client, salud, editor_key
):
    # The datastore is the site's own database: whether the resource is public comes with its
    # table's registry row, on the connection that then reads the rows (a first page: two
    # statements on one connection, where there were three on two).
    def resource(**dataset):
        found = ResourceFactory(dataset=DatasetFactory(publisher=salud, **dataset))
        load(found.uuid, public=not dataset)
        return str(found.uuid)

    public, private, draft = resource(), resource(private=True), resource(state="draft")
    bare = str(ResourceFactory(dataset=DatasetFactory(publisher=salud)).uuid)
    gone = ResourceFactory(dataset=DatasetFactory(publisher=salud), state="deleted")
    load(gone.uuid)
    with (
        CaptureQueriesContext(connections["default"]) as site,
        CaptureQueriesContext(connections["datastore"]) as datastore,
    ):
        response = get(client, "datastore_search", resource_id=public)
    assert response.status_code == 200 and response.json()["result"]["total"] == len(OBRAS_ROWS)
    assert len(site.captured_queries) == 0 and len(datastore.captured_queries) == 2
    assert "datastore_registry" in datastore.captured_queries[0]["sql"]
    # The same answers as the two statements inside a transaction give.
    for rid, anonymous, member in [
        (private, 403, 200),
        (draft, 403, 200),
        (bare, 404, 404),
        (str(gone.uuid), 404, 404),
    ]:
        assert get(client, "datastore_search", resource_id=rid).status_code == anonymous, rid
        answer = get(client, "datastore_search", editor_key, resource_id=rid)
        assert answer.status_code == member, rid
    answer = get(client, "datastore_search", editor_key, resource_id=private).json()
    assert answer["result"]["total"] == len(OBRAS_ROWS)
    assert (
        "no tiene tabla"
        in get(client, "datastore_info", resource_id=bare).json()["error"]["message"]
    )


@pytest.mark.skipif(
    not schema.is_postgres(), reason="PostgreSQL only: SQLite prepares every statement itself"
)
def test_postgres_plans_a_repeated_search_once_per_connection(client, obras):
    # settings.DATASTORE_PREPARE_THRESHOLD: from the fifth run on, the page's SELECT is a
    # prepared statement of the datastore's connection, and the answer does not change.
    asked = {
        "resource_id": str(obras.uuid),
        "filters": json.dumps({"Año": 2018}),
        "sort": "Monto desc",
    }
    answers = [get(client, "datastore_search", **asked).json()["result"] for _ in range(6)]
    assert answers[0]["total"] == 2 and all(answer == answers[0] for answer in answers)
    physical = schema.get_table(obras.uuid).physical
    with connections["datastore"].cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any(physical in statement and "LIMIT" in statement for statement in prepared)


def test_datastore_info_describes_the_table(client, obras):
    result = get(client, "datastore_info", resource_id=str(obras.uuid)).json()["result"]
    assert result["meta"]["count"] == 5
    assert result["fields"][0] == {
        "id": "Municipio",
        "type": "text",
        "info": {"label": "Municipio", "notes": "Nombre oficial"},
    }


def test_a_publisher_creates_a_table_and_everyone_can_search_it(client, salud, editor_key):
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    audits = AuditEntry.objects.count()
    response = post(
        client,
        "datastore_create",
        {
            "resource_id": str(resource.uuid),
            "fields": [
                {"id": "clues", "type": "text", "info": {"label": "Clave CLUES"}},
                {"id": "camas", "type": "int"},
                {"id": "apertura", "type": "date"},
            ],
            "primary_key": "clues",
            "records": [
                {"clues": "JCSSA001", "camas": 120, "apertura": "1999-02-01"},
                {"clues": "JCSSA002", "camas": "35", "apertura": None},
            ],
        },
        editor_key,
    )
    assert response.status_code == 200, response.content
    assert response.json()["result"]["total"] == 2
    resource.refresh_from_db()
    assert resource.datastore_active is True
    assert resource.data_dictionary[0] == {
        "id": "clues",
        "type": "text",
        "info": {"label": "Clave CLUES"},
    }
    assert AuditEntry.objects.count() == audits + 1
    found = get(client, "datastore_search", resource_id=str(resource.uuid), sort="camas")
    assert [r["camas"] for r in found.json()["result"]["records"]] == [35, 120]
    assert schema.get_table(resource.uuid).row_count == 2


def test_objects_and_lists_give_the_same_values_of_every_type_in_the_same_order(
    client, salud, editor_key
):
    # Each format is written by its own code (dicts, lists): a client must not see the two
    # disagree on a number, a date, a null or an accent, or on the order of the rows.
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    records = [
        {
            "clave": 'Ñ-1 «Tlaquepaque» "a"\nb',
            "camas": 9007199254740993,
            "monto": "1234.50",
            "apertura": "1999-02-01",
            "revision": "2017-12-31T10:30:00",
            "activa": True,
        },
        {
            "clave": "Zapopan",
            "camas": -3,
            "monto": "0.1",
            "apertura": None,
            "revision": None,
            "activa": False,
        },
        {"clave": None, "camas": None, "monto": None, "apertura": "2018-06-30", "activa": None},
    ]
    created = post(
        client,
        "datastore_create",
        {
            "resource_id": str(resource.uuid),
            "fields": [
                {"id": "clave", "type": "text"},
                {"id": "camas", "type": "int"},
                {"id": "monto", "type": "numeric"},
                {"id": "apertura", "type": "date"},
                {"id": "revision", "type": "timestamp"},
                {"id": "activa", "type": "bool"},
            ],
            "records": records,
        },
        editor_key,
    )
    assert created.status_code == 200, created.content
    asked = {"resource_id": str(resource.uuid), "sort": "camas desc nulls last"}
    objects = get(client, "datastore_search", **asked).json()["result"]
    lists = get(client, "datastore_search", records_format="lists", **asked).json()["result"]
    names = [f["id"] for f in lists["fields"]]
    assert names == ["_id", "clave", "camas", "monto", "apertura", "revision", "activa"]
    assert objects["records"] == [dict(zip(names, row, strict=True)) for row in lists["records"]]
    first, second, third = objects["records"]
    assert first == {
        "_id": 1,
        "clave": 'Ñ-1 «Tlaquepaque» "a"\nb',
        "camas": 9007199254740993,
        "monto": 1234.5,
        "apertura": "1999-02-01",
        "revision": "2017-12-31T10:30:00",
        "activa": True,
    }
    assert (second["camas"], second["monto"], second["apertura"]) == (-3, 0.1, None)
    assert third == {
        "_id": 3,
        "clave": None,
        "camas": None,
        "monto": None,
        "apertura": "2018-06-30",
        "revision": None,
        "activa": None,
    }
    assert objects["total"] == 3
    # A page past the end is an empty list, not null.
    past = get(client, "datastore_search", offset=10, **asked).json()["result"]
    assert past["records"] == [] and past["total"] == 3


def test_create_refuses_bad_records_naming_row_and_field(client, salud, editor_key):
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    response = post(
        client,
        "datastore_create",
        {
            "resource_id": str(resource.uuid),
            "fields": [{"id": "camas", "type": "int"}, {"id": "x", "type": "geometry"}],
        },
        editor_key,
    )
    assert response.status_code == 409
    assert "tipo desconocido «geometry»" in response.json()["error"]["fields"][0]
    response = post(
        client,
        "datastore_create",
        {
            "resource_id": str(resource.uuid),
            "fields": [{"id": "camas", "type": "int"}],
            "records": [{"camas": 1}, {"camas": "muchas"}, {"colonia": "Centro"}],
        },
        editor_key,
    )
    assert response.status_code == 409
    errors = response.json()["error"]["records"]
    assert errors[0].startswith("Fila 2, campo «camas»: «muchas» no es un número entero")
    assert errors[1] == "Fila 3: el campo «colonia» no existe en la tabla."
    assert schema.get_table(resource.uuid) is None


def test_writes_need_a_member_key_and_post(client, obras, outsider_key):
    data = {"resource_id": str(obras.uuid), "records": [{"Municipio": "Tala"}]}
    assert post(client, "datastore_upsert", data).status_code == 403
    refused = post(client, "datastore_upsert", data, outsider_key)
    assert refused.status_code == 403
    assert refused.json()["error"]["__type"] == "Authorization Error"
    assert get(client, "datastore_create", resource_id=str(obras.uuid)).status_code == 400
    assert schema.get_table(obras.uuid).row_count == 5


def test_create_adds_fields_to_an_existing_table_keeping_its_rows(client, obras, editor_key):
    response = post(
        client,
        "datastore_create",
        {
            "resource_id": str(obras.uuid),
            "fields": [{"id": "Colonia", "type": "text"}],
            "records": [{"Municipio": "Tala", "Colonia": "Centro histórico"}],
        },
        editor_key,
    )
    assert response.status_code == 200, response.content
    result = get(client, "datastore_search", resource_id=str(obras.uuid), q="historico").json()
    assert [r["_id"] for r in result["result"]["records"]] == [6]
    assert (
        get(client, "datastore_info", resource_id=str(obras.uuid)).json()["result"]["meta"]["count"]
        == 6
    )
    changed = post(
        client,
        "datastore_create",
        {"resource_id": str(obras.uuid), "fields": [{"id": "Monto", "type": "text"}]},
        editor_key,
    )
    assert changed.status_code == 409
    assert "«Monto» es de tipo numeric" in changed.json()["error"]["fields"][0]


def test_upsert_updates_by_primary_key_inserts_new_and_keeps_search_true(client, salud, editor_key):
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    rid = str(resource.uuid)
    post(
        client,
        "datastore_create",
        {
            "resource_id": rid,
            "fields": [{"id": "clave", "type": "text"}, {"id": "nombre", "type": "text"}],
            "primary_key": ["clave"],
            "records": [{"clave": "A", "nombre": "Hospital Civil"}],
        },
        editor_key,
    )
    response = post(
        client,
        "datastore_upsert",
        {
            "resource_id": rid,
            "records": [
                {"clave": "A", "nombre": "Clínica Jalisco"},
                {"clave": "B", "nombre": "Hospital Regional"},
            ],
        },
        editor_key,
    )
    assert response.status_code == 200, response.content
    search = get(client, "datastore_search", resource_id=rid, q="clinica").json()["result"]
    assert [r["clave"] for r in search["records"]] == ["A"]
    assert (
        get(client, "datastore_search", resource_id=rid, q="civil").json()["result"]["total"] == 0
    )
    assert get(client, "datastore_search", resource_id=rid).json()["result"]["total"] == 2
    update = post(
        client,
        "datastore_upsert",
        {"resource_id": rid, "method": "update", "records": [{"clave": "Z", "nombre": "x"}]},
        editor_key,
    )
    assert update.status_code == 409
    assert update.json()["error"]["records"] == ["Fila 1: no existe una fila con esa clave."]
    dry = post(
        client,
        "datastore_upsert",
        {"resource_id": rid, "dry_run": True, "records": [{"clave": "C", "nombre": "y"}]},
        editor_key,
    )
    assert dry.status_code == 200
    assert get(client, "datastore_search", resource_id=rid).json()["result"]["total"] == 2


def test_writes_keep_the_order_and_total_of_a_one_word_search(
    client, salud, editor_key, monkeypatch
):
    # Words counted ahead make one-word searches skip ranking while no row holds the word
    # twice; upserts and deletes must keep those counts true.
    monkeypatch.setattr(schema, "COUNTED_WORD_ROWS", 1)
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    rid = str(resource.uuid)
    records = [{"clave": f"C{n}", "nombre": f"Pozo número {n}"} for n in range(1, 6)]
    created = post(
        client,
        "datastore_create",
        {
            "resource_id": rid,
            "fields": [{"id": "clave", "type": "text"}, {"id": "nombre", "type": "text"}],
            "primary_key": ["clave"],
            "records": records,
        },
        editor_key,
    )
    assert created.status_code == 200, created.content

    def found():
        result = get(client, "datastore_search", resource_id=rid, q="pozo").json()["result"]
        return [r["clave"] for r in result["records"]], result["total"]

    assert found() == (["C1", "C2", "C3", "C4", "C5"], 5)
    twice = {"resource_id": rid, "records": [{"clave": "C4", "nombre": "Pozo y pozo"}]}
    assert post(client, "datastore_upsert", twice, editor_key).status_code == 200
    assert found() == (["C4", "C1", "C2", "C3", "C5"], 5)
    gone = {"resource_id": rid, "filters": {"clave": "C4"}}
    assert post(client, "datastore_delete", gone, editor_key).status_code == 200
    assert found() == (["C1", "C2", "C3", "C5"], 4)
    added = {"resource_id": rid, "method": "insert", "records": [{"clave": "C6", "nombre": "Pozo"}]}
    assert post(client, "datastore_upsert", added, editor_key).status_code == 200
    assert found() == (["C1", "C2", "C3", "C5", "C6"], 5)


def test_writes_keep_the_totals_of_filters_exact(client, salud, editor_key, monkeypatch):
    # On PostgreSQL the rows of frequent values are counted ahead (counts.py); upserts,
    # inserts and deletes must keep those counts true.
    monkeypatch.setattr(counts, "COUNTED_VALUE_ROWS", 1)
    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    rid = str(resource.uuid)
    towns = ["Tala", "Tala", "Tala", "Ameca", "Ameca"]
    created = post(
        client,
        "datastore_create",
        {
            "resource_id": rid,
            "fields": [
                {"id": "clave", "type": "text"},
                {"id": "municipio", "type": "text"},
                {"id": "activo", "type": "bool"},
            ],
            "primary_key": ["clave"],
            "records": [
                {"clave": f"C{n}", "municipio": m, "activo": n % 2 == 0}
                for n, m in enumerate(towns)
            ],
        },
        editor_key,
    )
    assert created.status_code == 200, created.content

    def totals():
        def total(filters):
            found = get(
                client, "datastore_search", resource_id=rid, limit=1, filters=json.dumps(filters)
            )
            return found.json()["result"]["total"]

        return [
            total({"municipio": "Tala"}),
            total({"municipio": "Ameca"}),
            total({"activo": True}),
        ]

    assert totals() == [3, 2, 3]
    moved = {"resource_id": rid, "records": [{"clave": "C0", "municipio": "Ameca"}]}
    assert post(client, "datastore_upsert", moved, editor_key).status_code == 200
    assert totals() == [2, 3, 3]
    added = {
        "resource_id": rid,
        "method": "insert",
        "records": [{"clave": "C9", "municipio": "Tala", "activo": True}],
    }
    assert post(client, "datastore_upsert", added, editor_key).status_code == 200
    assert totals() == [3, 3, 4]
    more = {"resource_id": rid, "records": [{"clave": "C7", "municipio": "Tala", "activo": True}]}
    assert post(client, "datastore_create", more, editor_key).status_code == 200
    assert totals() == [4, 3, 5]
    gone = {"resource_id": rid, "filters": {"municipio": "Ameca"}}
    assert post(client, "datastore_delete", gone, editor_key).status_code == 200
    assert totals() == [4, 0, 3]


def test_delete_with_filters_removes_rows_and_without_drops_the_table(client, obras, editor_key):
    rid = str(obras.uuid)
    response = post(
        client,
        "datastore_delete",
        {"resource_id": rid, "filters": {"Municipio": "Zapopan"}},
        editor_key,
    )
    assert response.status_code == 200 and response.json()["result"]["deleted"] == 2
    result = get(client, "datastore_search", resource_id=rid).json()["result"]
    assert result["total"] == 3 and "Zapopan" not in {r["Municipio"] for r in result["records"]}
    assert (
        get(client, "datastore_search", resource_id=rid, q="puente").json()["result"]["total"] == 0
    )
    obras.datastore_active = True
    obras.save()
    assert post(client, "datastore_delete", {"resource_id": rid}, editor_key).status_code == 200
    assert not Resource.objects.get(pk=obras.pk).datastore_active
    assert get(client, "datastore_search", resource_id=rid).status_code == 404


def test_a_write_refreshes_the_anonymous_cached_answer(client, obras, editor_key, settings):
    settings.PAGE_CACHE_SECONDS = 600
    rid = str(obras.uuid)
    assert get(client, "datastore_search", resource_id=rid).json()["result"]["total"] == 5
    post(
        client,
        "datastore_upsert",
        {"resource_id": rid, "method": "insert", "records": [{"Municipio": "Tala"}]},
        editor_key,
    )
    assert get(client, "datastore_search", resource_id=rid).json()["result"]["total"] == 6


# --- The real ckanapi client against a live server -----------------------------------------


@pytest.mark.django_db(transaction=True, databases=["default", "datastore"])
def test_ckanapi_datastore_search_works_against_abierto(live_server, monkeypatch):
    # Each live-server request thread opens its own connections; kept open (CONN_MAX_AGE),
    # they would stop PostgreSQL's test database from being dropped at the end.
    # (SQLite's in-memory test databases are shared with the server's threads instead.)
    for alias in ("default", "datastore"):
        if connections[alias].vendor == "postgresql":
            monkeypatch.setitem(connections[alias].settings_dict, "CONN_MAX_AGE", 0)
    LicenceFactory()
    publisher = PublisherFactory(name="obras-publicas")
    key = Token.objects.create(user=PublisherMemberFactory(publisher=publisher).user).key
    resource = ResourceFactory(dataset=DatasetFactory(publisher=publisher))
    load(resource.uuid)
    for get_only in (False, True):
        site = RemoteCKAN(live_server.url, get_only=get_only)
        # Over GET a dict travels as JSON text (requests would send only its keys).
        filters = {"Año": 2018}
        found = site.action.datastore_search(
            resource_id=str(resource.uuid),
            q="construcción",
            filters=json.dumps(filters) if get_only else filters,
        )
        assert [r["Municipio"] for r in found["records"]] == ["Tlaquepaque"]
        assert found["total"] == 1
        page = site.action.datastore_search(resource_id=str(resource.uuid), limit=2, offset=2)
        assert [r["_id"] for r in page["records"]] == [3, 4]
        with pytest.raises(NotFound):
            site.action.datastore_search(resource_id="00000000-0000-0000-0000-000000000000")
        with pytest.raises(ValidationError):
            site.action.datastore_search(resource_id=str(resource.uuid), sort="nada")
    writer = RemoteCKAN(live_server.url, apikey=key)
    writer.action.datastore_upsert(
        resource_id=str(resource.uuid), method="insert", records=[{"Municipio": "Tala"}]
    )
    assert (
        RemoteCKAN(live_server.url).action.datastore_info(id=str(resource.uuid))["meta"]["count"]
        == 6
    )
    with pytest.raises(NotAuthorized):
        RemoteCKAN(live_server.url).action.datastore_delete(resource_id=str(resource.uuid))


def test_create_indexes_the_columns_asked_for_and_keeps_them_for_reloads(
    client, salud, editor_key, tmp_path
):
    from abierto.datastore import loader

    resource = ResourceFactory(dataset=DatasetFactory(publisher=salud))
    description = "Mantenimiento preventivo y correctivo de equipo médico de la unidad "
    data = {
        "resource_id": str(resource.uuid),
        "fields": [
            {"id": "clues", "type": "text"},
            {"id": "descripcion", "type": "text"},
            {"id": "camas", "type": "int"},
        ],
        "records": [{"clues": f"JC{n}", "descripcion": description + str(n)} for n in range(5)],
    }
    refused = post(client, "datastore_create", {**data, "indexes": "clues,colonia"}, editor_key)
    assert refused.status_code == 409
    assert "«colonia» no existe" in refused.json()["error"]["indexes"][0]

    response = post(client, "datastore_create", {**data, "indexes": ["descripcion"]}, editor_key)
    assert response.status_code == 200, response.content
    assert response.json()["result"]["indexes"] == ["descripcion"]
    table = schema.get_table(resource.uuid)
    # Long free text is indexed only when asked for; short codes and numbers always are.
    assert indexed_columns(table.physical) == {"clues", "descripcion", "camas"}
    found = get(
        client,
        "datastore_search",
        resource_id=str(resource.uuid),
        filters='{"descripcion": "%s"}' % (description + "3"),
    )
    assert [r["clues"] for r in found.json()["result"]["records"]] == ["JC3"]

    # A file loaded later keeps the publisher's choice.
    path = tmp_path / "camas.csv"
    path.write_text(
        "clues,descripcion,camas\n" + "".join(f"JC{n},{description}{n},{n}\n" for n in range(3)),
        encoding="utf-8",
    )
    resource.refresh_from_db()
    reloaded = loader.load_path(
        path, resource_id=resource.uuid, indexes=resource.extras[schema.INDEXES_EXTRA]
    )
    assert indexed_columns(reloaded.physical) == {"clues", "descripcion", "camas"}
    plain = loader.load_path(path, resource_id=resource.uuid)
    assert indexed_columns(plain.physical) == {"clues", "camas"}
