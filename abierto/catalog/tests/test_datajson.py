"""data.json (Project Open Data v1.1): what a data.json harvester requires of every dataset."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.catalog import datajson
from abierto.catalog.factories import DatasetFactory, PublisherFactory, ThemeFactory
from abierto.catalog.tests.federation_fixtures import (  # noqa: F401 (fixtures)
    HIDDEN_TITLES,
    fetch_json,
    hidden_datasets_fixture,
    jalisco_fixture,
    salud_dataset_fixture,
    zapopan_fixture,
)

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
# POD v1.1 required fields that apply outside the US federal government.
REQUIRED = (
    "title",
    "description",
    "keyword",
    "modified",
    "publisher",
    "contactPoint",
    "identifier",
    "accessLevel",
)


def read_catalog(client, query: str = "") -> dict:
    response = client.get(f"/data.json{query}")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(b"".join(response.streaming_content))


def assert_pod_dataset(entry: dict) -> None:
    for field in REQUIRED:
        assert entry.get(field), f"{entry.get('identifier')}: «{field}» is missing"
    assert entry["@type"] == "dcat:Dataset"
    assert isinstance(entry["keyword"], list) and all(entry["keyword"])
    modified = dt.datetime.fromisoformat(entry["modified"])
    assert modified.utcoffset() is not None  # ISO 8601 with its offset, as the guide asks
    assert entry["publisher"]["@type"] == "org:Organization" and entry["publisher"]["name"]
    contact = entry["contactPoint"]
    assert contact["@type"] == "vcard:Contact" and contact["fn"]
    assert contact["hasEmail"].startswith("mailto:") and "@" in contact["hasEmail"]
    assert entry["accessLevel"] == "public"
    for distribution in entry["distribution"]:
        assert distribution["@type"] == "dcat:Distribution"
        assert distribution.get("downloadURL") or distribution.get("accessURL")
        if "downloadURL" in distribution:
            assert distribution["mediaType"]  # POD requires it alongside downloadURL


def test_every_public_dataset_is_listed_once_with_the_required_fields(
    client, salud_dataset, hidden_datasets
):
    publisher = PublisherFactory()
    DatasetFactory.create_batch(4, publisher=publisher, tags=["presupuesto"])
    catalog = read_catalog(client)
    assert catalog["@context"] == "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
    assert catalog["@type"] == "dcat:Catalog"
    assert catalog["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert catalog["describedBy"].startswith("https://project-open-data.cio.gov/v1.1/schema/")
    datasets = catalog["dataset"]
    assert len(datasets) == 5
    assert len({entry["identifier"] for entry in datasets}) == 5
    for entry in datasets:
        assert_pod_dataset(entry)
    titles = {entry["title"] for entry in datasets}
    assert not titles & set(HIDDEN_TITLES)


def test_a_dataset_carries_the_guides_metadata(client, salud_dataset):
    (entry,) = read_catalog(client)["dataset"]
    assert entry["identifier"] == "ssj-camas-hospitalarias"
    assert sorted(entry["keyword"]) == ["hospitales", "salud"]
    assert entry["publisher"]["name"] == "Secretaría de Salud Jalisco"
    assert entry["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "Unidad de Transparencia de Salud",
        "hasEmail": "mailto:transparencia@salud.jalisco.example",
    }
    assert entry["license"] == "https://datos.gob.mx/libreusomx"
    assert entry["spatial"] == f"{SITE}/id/inegi/14120"
    assert entry["temporal"] == "2018-01-01/2020-12-31"
    assert entry["accrualPeriodicity"] == "R/P1M"
    assert entry["landingPage"] == f"{SITE}/datos/conjuntos/camas-hospitalarias/"
    assert entry["language"] == ["es-MX"]
    assert entry["theme"] == ["Salud"]
    assert entry["describedBy"] == "https://salud.jalisco.example/diccionarios/camas.csv"
    assert entry["describedByType"] == "text/csv"

    upload = salud_dataset.resources.get(title="Camas por hospital 2020")
    csv, dashboard = entry["distribution"]
    assert csv == {
        "@type": "dcat:Distribution",
        "title": "Camas por hospital 2020",
        "description": "Corte al 31 de diciembre.",
        "downloadURL": (
            f"{SITE}/datos/conjuntos/camas-hospitalarias/recursos/{upload.uuid}/descargar/"
        ),
        "mediaType": "text/csv",
        "format": "CSV",
        "conformsTo": "https://salud.jalisco.example/normas/camas",
        "describedBy": "https://salud.jalisco.example/diccionarios/camas.csv",
        "describedByType": "text/csv",
    }
    assert dashboard["accessURL"] == "https://tablero.salud.jalisco.example/camas"
    assert "downloadURL" not in dashboard


def test_a_dataset_without_keywords_takes_its_themes_titles(client):
    DatasetFactory(themes=[ThemeFactory(title="Movilidad"), ThemeFactory(title="Transporte")])
    (entry,) = read_catalog(client)["dataset"]
    assert sorted(entry["keyword"]) == ["Movilidad", "Transporte"]


def test_a_distribution_with_a_dictionary_points_at_the_datapackage(client):
    dataset = DatasetFactory(name="escuelas")
    dataset.resources.create(
        title="Escuelas",
        url="https://datos.example/escuelas.csv",
        format="CSV",
        data_dictionary=[{"id": "cct", "type": "text"}],
    )
    (entry,) = read_catalog(client)["dataset"]
    (distribution,) = entry["distribution"]
    assert distribution["describedBy"] == f"{SITE}/dataset/escuelas/datapackage.json"
    assert client.get("/dataset/escuelas/datapackage.json").status_code == 200


def test_one_publishers_catalog_and_an_unknown_publisher(client, salud_dataset):
    DatasetFactory.create_batch(3, publisher=PublisherFactory(name="educacion"))
    entries = read_catalog(client, "?publisher=salud")["dataset"]
    assert [entry["title"] for entry in entries] == ["Camas hospitalarias"]
    assert len(read_catalog(client, "?publisher=educacion")["dataset"]) == 3
    response = client.get("/data.json?publisher=hacienda")
    assert response.status_code == 404
    assert response.json() == {
        "error": "No existe la dependencia «hacienda» (parámetro «publisher»)."
    }


def test_the_catalog_streams_in_pieces_with_queries_per_chunk_not_per_dataset(client, monkeypatch):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            pieces = list(client.get("/data.json").streaming_content)
        json.loads(b"".join(pieces))
        return len(captured)

    publisher = PublisherFactory()
    DatasetFactory.create_batch(3, publisher=publisher, tags=["agua"])
    few = queries()
    DatasetFactory.create_batch(120, publisher=publisher, tags=["agua", "lluvia"])
    assert queries() == few  # 123 datasets fit in one chunk of 500
    monkeypatch.setattr(datajson, "CHUNK_SIZE", 50)
    # One cursor over the datasets; each chunk of 50 reads its tags, themes and resources.
    assert queries() == few + 2 * 3
    pieces = list(client.get("/data.json").streaming_content)
    assert len(pieces) > 2
    assert len(json.loads(b"".join(pieces))["dataset"]) == 123


def test_a_harvester_reads_data_json_over_http(live_server, salud_dataset):
    catalog = fetch_json(f"{live_server.url}/data.json")
    (entry,) = catalog["dataset"]
    assert_pod_dataset(entry)
    download = entry["distribution"][0]["downloadURL"]
    assert download.startswith(f"{live_server.url}/datos/conjuntos/camas-hospitalarias/")
