"""schema.org JSON-LD in the dataset page's head, and the alternate links beside it."""

from __future__ import annotations

import json
import re

import pytest
from django.template import Context, Template
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from abierto.catalog import schemaorg, services
from abierto.catalog.models import Dataset
from abierto.catalog.tests.federation_fixtures import (  # noqa: F401 (fixtures)
    jalisco_fixture,
    salud_dataset_fixture,
    zapopan_fixture,
)

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
SCHEMA = "https://schema.org/"


def test_a_dataset_in_schema_org_terms(rf, salud_dataset):
    data = json.loads(schemaorg.dataset_jsonld(salud_dataset, rf.get("/")))
    page = f"{SITE}/datos/conjuntos/camas-hospitalarias/"
    assert (data["@type"], data["@id"], data["url"]) == ("Dataset", page, page)
    assert data["name"] == "Camas hospitalarias"
    assert data["identifier"] == "ssj-camas-hospitalarias"
    assert sorted(data["keywords"]) == ["hospitales", "salud"]
    assert data["license"] == "https://datos.gob.mx/libreusomx"
    assert data["publisher"]["name"] == data["creator"]["name"] == "Secretaría de Salud Jalisco"
    assert data["temporalCoverage"] == "2018-01-01/2020-12-31"
    assert data["spatialCoverage"]["name"] == "Zapopan"
    assert data["spatialCoverage"]["identifier"] == "14120"
    assert data["dateModified"].startswith(str(salud_dataset.modified.year))
    upload = salud_dataset.resources.get(title="Camas por hospital 2020")
    csv, dashboard = data["distribution"]
    assert csv == {
        "@type": "DataDownload",
        "name": "Camas por hospital 2020",
        "contentUrl": f"{page}recursos/{upload.uuid}/descargar/",
        "encodingFormat": "text/csv",
        "description": "Corte al 31 de diciembre.",
        "contentSize": f"{upload.size} B",
    }
    assert dashboard["contentUrl"] == "https://tablero.salud.jalisco.example/camas"


def test_a_title_cannot_close_the_script_element(rf, salud_dataset):
    hostile = "Camas </script><script>alert(1)</script> <!-- & más"
    services.dataset_save(actor=None, dataset=salud_dataset, title=hostile)
    dataset = Dataset.objects.with_listing().get(pk=salud_dataset.pk)
    text = schemaorg.dataset_jsonld(dataset, rf.get("/"))
    assert "<" not in text and ">" not in text
    assert json.loads(text)["name"] == hostile


def test_the_template_tags_write_the_head_of_the_dataset_page(rf, salud_dataset):
    html = Template(
        "{% load catalog_federation %}"
        "{% dataset_jsonld dataset %}{% dataset_alternate_links dataset %}"
    ).render(Context({"dataset": salud_dataset, "request": rf.get("/")}))
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(script.group(1))
    # Search engines know schema.org's context by its name; read here with it given inline.
    assert data.pop("@context") == SCHEMA
    graph = Graph().parse(
        data=json.dumps({"@context": {"@vocab": SCHEMA}, **data}), format="json-ld"
    )
    node = URIRef(f"{SITE}/datos/conjuntos/camas-hospitalarias/")
    assert (node, RDF.type, URIRef(f"{SCHEMA}Dataset")) in graph
    assert (node, URIRef(f"{SCHEMA}name"), None) in graph
    assert (
        f'<link rel="alternate" type="text/turtle" '
        f'href="{SITE}/dataset/camas-hospitalarias.ttl" title="DCAT en Turtle">'
    ) in html
    assert (
        'type="application/json" href="http://testserver/dataset/camas-hospitalarias/datapackage.json"'
        in html
    )
