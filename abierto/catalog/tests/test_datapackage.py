"""datapackage.json: a valid Frictionless Data Package whose schema checks the data itself."""

from __future__ import annotations

import json
import re

import frictionless
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.catalog import services
from abierto.catalog.datapackage import table_schema
from abierto.catalog.factories import DatasetFactory, ResourceFactory
from abierto.catalog.tests.federation_fixtures import (  # noqa: F401 (fixtures)
    CAMAS_CSV,
    CAMAS_DICTIONARY,
    fetch_json,
    frictionless_http,
    hidden_datasets_fixture,
    jalisco_fixture,
    salud_dataset_fixture,
    zapopan_fixture,
)

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
# The Data Package specification's rule for package and resource names.
NAME = re.compile(r"^[-a-z0-9._/]+$")


def descriptor_of(client, ref: str) -> dict:
    response = client.get(f"/dataset/{ref}/datapackage.json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def test_the_descriptor_is_valid_frictionless_metadata_with_the_datasets_facts(
    client, salud_dataset
):
    descriptor = descriptor_of(client, "camas-hospitalarias")
    report = frictionless.Package.validate_descriptor(descriptor)
    assert report.valid, report.flatten(["type", "note"])
    assert NAME.match(descriptor["name"]) and descriptor["name"] == "camas-hospitalarias"
    assert descriptor["id"] == str(salud_dataset.uuid)
    assert descriptor["title"] == "Camas hospitalarias"
    assert descriptor["homepage"] == f"{SITE}/datos/conjuntos/camas-hospitalarias/"
    assert descriptor["licenses"] == [
        {
            "name": "libre-uso-mx",
            "title": "Términos de Libre Uso MX",
            "path": "https://datos.gob.mx/libreusomx",
        }
    ]
    assert sorted(descriptor["keywords"]) == ["hospitales", "salud"]
    assert descriptor["contributors"][0]["title"] == "Secretaría de Salud Jalisco"
    assert descriptor["contributors"][0]["role"] == "publisher"

    upload = salud_dataset.resources.get(title="Camas por hospital 2020")
    csv, dashboard = descriptor["resources"]
    assert csv["name"] == "camas-por-hospital-2020"
    assert csv["path"] == (
        f"{SITE}/datos/conjuntos/camas-hospitalarias/recursos/{upload.uuid}/descargar/"
    )
    assert (csv["format"], csv["mediatype"], csv["encoding"]) == ("csv", "text/csv", "utf-8")
    assert csv["bytes"] == len(CAMAS_CSV)
    assert csv["hash"] == f"sha256:{upload.sha256}"
    assert csv["profile"] == "tabular-data-resource"
    assert csv["schema"]["fields"] == [
        {
            "name": "hospital",
            "type": "string",
            "title": "Hospital",
            "description": "Nombre oficial",
        },
        {"name": "municipio", "type": "string", "title": "Municipio"},
        {"name": "camas", "type": "integer", "description": "Camas censables"},
        {"name": "fecha_corte", "type": "date"},
    ]
    # A link to a dashboard is listed, without a schema and so without the tabular profile.
    assert dashboard["path"] == "https://tablero.salud.jalisco.example/camas"
    assert "schema" not in dashboard and "profile" not in dashboard


def test_frictionless_validates_the_uploaded_csv_read_from_its_download_address(
    live_server, salud_dataset
):
    url = f"{live_server.url}/dataset/camas-hospitalarias/datapackage.json"
    descriptor = fetch_json(url)
    descriptor["resources"] = [r for r in descriptor["resources"] if r.get("schema")]
    with frictionless_http():
        report = frictionless.Package(descriptor).validate()
    assert report.valid, report.flatten(["type", "note"])
    task = report.tasks[0]
    assert task.stats["rows"] == 2
    assert task.stats["bytes"] == len(CAMAS_CSV)


def test_the_schema_catches_data_that_breaks_the_dictionary(live_server, salud_dataset):
    services.resource_save(
        actor=None,
        dataset=salud_dataset,
        title="Camas 2021",
        upload=SimpleUploadedFile(
            "camas_2021.csv",
            b"hospital,municipio,camas,fecha_corte\nHospital X,Tonala,muchas,2021-12-31\n",
        ),
        data_dictionary=CAMAS_DICTIONARY,
    )
    url = f"{live_server.url}/dataset/camas-hospitalarias/datapackage.json"
    descriptor = fetch_json(url)
    resource = next(r for r in descriptor["resources"] if r["name"] == "camas-2021")
    with frictionless_http():
        report = frictionless.Resource(resource).validate()
    assert not report.valid
    errors = report.flatten(["type", "fieldName"])
    assert ["type-error", "camas"] in errors


def test_dictionary_types_become_table_schema_types():
    schema = table_schema(
        [
            {"id": "a", "type": "text"},
            {"id": "b", "type": "int"},
            {"id": "c", "type": "integer"},
            {"id": "d", "type": "numeric"},
            {"id": "e", "type": "float"},
            {"id": "f", "type": "decimal"},
            {"id": "g", "type": "date"},
            {"id": "h", "type": "timestamp"},
            {"id": "i", "type": "datetime"},
            {"id": "j", "type": "bool"},
            {"id": "k", "type": "geometría rara"},
            {"id": "a", "type": "int"},  # a repeated column is dropped, not duplicated
            {"type": "text"},  # a column without a name describes nothing
        ]
    )
    assert [(f["name"], f["type"]) for f in schema["fields"]] == [
        ("a", "string"),
        ("b", "integer"),
        ("c", "integer"),
        ("d", "number"),
        ("e", "number"),
        ("f", "number"),
        ("g", "date"),
        ("h", "datetime"),
        ("i", "datetime"),
        ("j", "boolean"),
        ("k", "any"),
    ]
    assert table_schema([]) is None


def test_resource_names_are_slugs_unique_within_the_package(client):
    dataset = DatasetFactory(name="presupuesto")
    for title in ("Presupuesto 2024 (versión)", "Presupuesto 2024 (versión)", "¡¿"):
        ResourceFactory(dataset=dataset, title=title)
    descriptor = descriptor_of(client, "presupuesto")
    names = [resource["name"] for resource in descriptor["resources"]]
    assert names == ["presupuesto-2024-version", "presupuesto-2024-version-2", "recurso"]
    assert all(NAME.match(name) for name in names)
    assert frictionless.Package.validate_descriptor(descriptor).valid


def test_missing_private_or_empty_datasets_have_no_package(client, hidden_datasets):
    for dataset in hidden_datasets:
        ResourceFactory(dataset=dataset)
        response = client.get(f"/dataset/{dataset.name}/datapackage.json")
        assert response.status_code == 404
        assert "No existe un conjunto de datos público" in response.json()["error"]
    DatasetFactory(name="vacio")
    response = client.get("/dataset/vacio/datapackage.json")
    assert response.status_code == 404
    assert response.json()["error"] == (
        "El conjunto «vacio» aún no tiene recursos: un Data Package necesita al menos uno."
    )


def test_the_package_is_read_in_the_same_queries_for_2_or_40_resources(
    client, django_assert_num_queries
):
    dataset = DatasetFactory(name="obras", tags=["obra pública"])
    ResourceFactory.create_batch(2, dataset=dataset)
    with django_assert_num_queries(4):
        descriptor_of(client, "obras")
    ResourceFactory.create_batch(38, dataset=dataset)
    with django_assert_num_queries(4):
        assert len(descriptor_of(client, "obras")["resources"]) == 40
