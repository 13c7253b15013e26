"""DCAT output: what a DCAT-AP harvester reads back from the catalog and from each dataset."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS, XSD

from abierto.catalog import dcat, federation, services
from abierto.catalog.dcat import DCAT, HYDRA, LOCN, SPDX, VCARD
from abierto.catalog.factories import DatasetFactory, PublisherFactory
from abierto.catalog.models import Dataset
from abierto.catalog.tests.federation_fixtures import (  # noqa: F401 (fixtures)
    CAMAS_CSV,
    HIDDEN_TITLES,
    connections_opened,
    hidden_datasets_fixture,
    jalisco_fixture,
    salud_dataset_fixture,
    zapopan_fixture,
)

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
RDFLIB_FORMATS = {"jsonld": "json-ld", "ttl": "turtle", "rdf": "xml", "xml": "xml", "n3": "n3"}
CONTENT_TYPES = {
    "jsonld": "application/ld+json",
    "ttl": "text/turtle",
    "rdf": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "n3": "text/n3",
}


def fetch_graph(client, path: str, fmt: str) -> Graph:
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(CONTENT_TYPES[fmt])
    with connections_opened() as opened:
        graph = Graph().parse(data=response.content, format=RDFLIB_FORMATS[fmt])
    assert opened == []  # nothing was fetched to read it (no remote @context)
    return graph


def one(graph: Graph, subject, predicate):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def dataset_node(graph: Graph, title: str) -> URIRef:
    nodes = [
        s for s in graph.subjects(DCTERMS.title, None) if str(one(graph, s, DCTERMS.title)) == title
    ]
    assert len(nodes) == 1, f"{title!r} appears {len(nodes)} times"
    return nodes[0]


def distribution_titled(graph: Graph, dataset: URIRef, title: str) -> URIRef:
    for node in graph.objects(dataset, DCAT.distribution):
        if str(one(graph, node, DCTERMS.title)) == title:
            return node
    raise AssertionError(f"no distribution {title!r}")


@pytest.mark.parametrize("fmt", ["jsonld", "ttl", "rdf", "xml"])
def test_the_catalog_reads_back_with_titles_publishers_licences_and_download_urls(
    client, salud_dataset, fmt
):
    graph = fetch_graph(client, f"/catalog.{fmt}", fmt)
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    node = dataset_node(graph, "Camas hospitalarias")
    assert (catalog, DCAT.dataset, node) in graph
    assert node == URIRef(f"{SITE}/dataset/{salud_dataset.uuid}")
    assert (node, RDF.type, DCAT.Dataset) in graph
    publisher = one(graph, node, DCTERMS.publisher)
    assert str(one(graph, publisher, FOAF.name)) == "Secretaría de Salud Jalisco"
    modified = one(graph, node, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime
    assert modified.toPython() == salud_dataset.modified.replace(microsecond=0)

    upload = salud_dataset.resources.get(title="Camas por hospital 2020")
    csv = distribution_titled(graph, node, "Camas por hospital 2020")
    expected = f"{SITE}/datos/conjuntos/camas-hospitalarias/recursos/{upload.uuid}/descargar/"
    assert one(graph, csv, DCAT.downloadURL) == URIRef(expected)
    assert one(graph, csv, DCTERMS.license) == URIRef("https://datos.gob.mx/libreusomx")


def test_a_dataset_document_carries_the_guides_metadata_in_dcat_ap_terms(client, salud_dataset):
    graph = fetch_graph(client, "/dataset/camas-hospitalarias.ttl", "ttl")
    node = URIRef(f"{SITE}/dataset/{salud_dataset.uuid}")
    assert str(one(graph, node, DCTERMS.identifier)) == "ssj-camas-hospitalarias"
    assert str(one(graph, node, DCTERMS.description)).startswith("Camas censables")
    assert {str(k) for k in graph.objects(node, DCAT.keyword)} == {"salud", "hospitales"}
    assert one(graph, node, DCTERMS.issued).datatype == XSD.dateTime

    theme = one(graph, node, DCAT.theme)
    assert theme == URIRef(f"{SITE}/datos/temas/salud/")
    assert (theme, RDF.type, SKOS.Concept) in graph
    assert str(one(graph, theme, SKOS.prefLabel)) == "Salud"
    assert one(graph, theme, SKOS.inScheme) == URIRef(f"{SITE}/id/temas")

    contact = one(graph, node, DCAT.contactPoint)
    assert str(one(graph, contact, VCARD.fn)) == "Unidad de Transparencia de Salud"
    assert one(graph, contact, VCARD.hasEmail) == URIRef(
        "mailto:transparencia@salud.jalisco.example"
    )
    assert one(graph, node, DCAT.landingPage) == URIRef(
        f"{SITE}/datos/conjuntos/camas-hospitalarias/"
    )

    frequency = one(graph, node, DCTERMS.accrualPeriodicity)
    assert frequency == URIRef("http://publications.europa.eu/resource/authority/frequency/MONTHLY")
    assert one(graph, frequency, SKOS.notation) == Literal("R/P1M")

    period = one(graph, node, DCTERMS.temporal)
    assert one(graph, period, DCAT.startDate) == Literal("2018-01-01", datatype=XSD.date)
    assert one(graph, period, DCAT.endDate) == Literal("2020-12-31", datatype=XSD.date)

    place = one(graph, node, DCTERMS.spatial)
    assert place == URIRef(f"{SITE}/id/inegi/14120")
    assert str(one(graph, place, DCTERMS.identifier)) == "14120"
    assert str(one(graph, place, LOCN.geographicName)) == "Zapopan"
    assert one(graph, node, DCTERMS.language) == URIRef(
        "http://publications.europa.eu/resource/authority/language/SPA"
    )
    assert one(graph, node, FOAF.page) == URIRef(
        "https://salud.jalisco.example/diccionarios/camas.csv"
    )

    csv = distribution_titled(graph, node, "Camas por hospital 2020")
    assert str(one(graph, csv, DCTERMS.description)) == "Corte al 31 de diciembre."
    assert one(graph, csv, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert one(graph, csv, DCTERMS["format"]) == URIRef(
        "http://publications.europa.eu/resource/authority/file-type/CSV"
    )
    size = one(graph, csv, DCAT.byteSize)
    assert size.datatype == XSD.nonNegativeInteger and size.toPython() == len(CAMAS_CSV)
    checksum = one(graph, csv, SPDX.checksum)
    assert one(graph, checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    upload = salud_dataset.resources.get(title="Camas por hospital 2020")
    assert str(one(graph, checksum, SPDX.checksumValue)) == upload.sha256
    assert one(graph, csv, DCTERMS.conformsTo) == URIRef(
        "https://salud.jalisco.example/normas/camas"
    )
    assert one(graph, csv, DCAT.accessURL) == one(graph, csv, DCAT.downloadURL)

    # A link to a web dashboard is where to reach the data, not the data itself.
    dashboard = distribution_titled(graph, node, "Tablero de ocupación")
    assert one(graph, dashboard, DCAT.accessURL) == URIRef(
        "https://tablero.salud.jalisco.example/camas"
    )
    assert list(graph.objects(dashboard, DCAT.downloadURL)) == []


@pytest.mark.parametrize("fmt", ["jsonld", "ttl", "rdf", "xml", "n3"])
def test_a_dataset_is_found_by_its_id_as_well_as_its_name(client, salud_dataset, fmt):
    by_id = fetch_graph(client, f"/dataset/{salud_dataset.uuid}.{fmt}", fmt)
    by_name = fetch_graph(client, f"/dataset/camas-hospitalarias.{fmt}", fmt)
    node = URIRef(f"{SITE}/dataset/{salud_dataset.uuid}")
    assert str(one(by_id, node, DCTERMS.title)) == str(one(by_name, node, DCTERMS.title))


def test_private_draft_and_deleted_datasets_appear_nowhere(client, salud_dataset, hidden_datasets):
    text = client.get("/catalog.ttl").content.decode()
    graph = Graph().parse(data=text, format="turtle")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 1
    for title in HIDDEN_TITLES:
        assert title not in text
    for dataset in hidden_datasets:
        for ref in (dataset.name, dataset.uuid):
            response = client.get(f"/dataset/{ref}.jsonld")
            assert response.status_code == 404
            assert "No existe un conjunto de datos público" in response.content.decode()


def test_jsonld_holds_its_context_inline_and_never_names_a_remote_one(client, salud_dataset):
    for path in ("/catalog.jsonld", "/dataset/camas-hospitalarias.jsonld", "/id/temas.jsonld"):
        document = json.loads(client.get(path).content)
        assert isinstance(document["@context"], dict)
        assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"

        def contexts(value):
            if isinstance(value, dict):
                for key, item in value.items():
                    if key == "@context":
                        yield item
                    yield from contexts(item)
            elif isinstance(value, list):
                for item in value:
                    yield from contexts(item)

        assert all(isinstance(context, dict) for context in contexts(document))


def _many_datasets(count: int, **values) -> list[Dataset]:
    publisher = PublisherFactory()
    return DatasetFactory.create_batch(count, publisher=publisher, **values)


def _page_info(graph: Graph):
    (paging,) = graph.subjects(RDF.type, HYDRA.PagedCollection)
    return {p.split("#")[-1]: o.toPython() for p, o in graph.predicate_objects(paging)}


def test_a_harvester_follows_the_hydra_pages_and_gets_every_dataset_once(client):
    _many_datasets(230)
    seen, pages, page_sets = [], [], []
    url = "/catalog.ttl"
    while url:
        graph = fetch_graph(client, url, "ttl")
        info = _page_info(graph)
        pages.append(info)
        catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
        ids = [str(one(graph, d, DCTERMS.identifier)) for d in graph.objects(catalog, DCAT.dataset)]
        seen += ids
        page_sets.append(set(ids))
        url = str(info["nextPage"]).removeprefix(SITE) if "nextPage" in info else None
    assert len(pages) == 3
    assert len(seen) == len(set(seen)) == 230
    assert [info["totalItems"] for info in pages] == [230, 230, 230]
    assert pages[0]["itemsPerPage"] == 100
    assert str(pages[0]["firstPage"]) == f"{SITE}/catalog.ttl?page=1"
    assert str(pages[0]["lastPage"]) == f"{SITE}/catalog.ttl?page=3"
    assert "previousPage" not in pages[0]
    assert str(pages[1]["previousPage"]) == f"{SITE}/catalog.ttl?page=1"
    # Pages follow a stable order: oldest metadata change first, then id.
    expected = list(
        Dataset.objects.order_by("metadata_modified", "id").values_list("identifier", flat=True)
    )
    assert page_sets == [set(expected[:100]), set(expected[100:200]), set(expected[200:])]


def test_modified_since_gives_only_what_changed_and_pages_keep_the_filter(client):
    old = _many_datasets(3)
    recent = _many_datasets(2)
    Dataset.objects.filter(pk__in=[d.pk for d in old]).update(
        metadata_modified=timezone.make_aware(timezone.datetime(2020, 1, 1))
    )
    Dataset.objects.filter(pk__in=[d.pk for d in recent]).update(
        metadata_modified=timezone.make_aware(timezone.datetime(2024, 6, 1))
    )
    # An unencoded "+" arrives as a space; the offset is still understood.
    for since in ("2024-01-01", "2024-01-01T00:00:00-06:00", "2024-01-01T00:00:00 06:00"):
        graph = fetch_graph(client, f"/catalog.ttl?modified_since={since}", "ttl")
        titles = {
            str(t)
            for d in graph.subjects(RDF.type, DCAT.Dataset)
            for t in graph.objects(d, DCTERMS.title)
        }
        assert titles == {d.title for d in recent}, since
        first = urlsplit(str(_page_info(graph)["firstPage"]))
        assert parse_qs(first.query)["modified_since"] == [since]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("modified_since=ayer", 400, "«modified_since» debe ser una fecha ISO 8601"),
        ("modified_since=2024-13-45", 400, "se recibió «2024-13-45»"),
        ("page=0", 400, "«page» debe ser un número entero mayor o igual a 1"),
        ("page=dos", 400, "se recibió «dos»"),
        ("page=7", 404, "La página 7 no existe: el catálogo tiene 1."),
    ],
)
def test_bad_paging_parameters_get_a_clear_error(client, salud_dataset, query, status, message):
    response = client.get(f"/catalog.jsonld?{query}")
    assert response.status_code == status
    assert message in response.content.decode()


def test_a_catalog_page_runs_the_same_queries_for_3_or_100_datasets(
    client, django_assert_max_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/catalog.jsonld").status_code == 200
        return len(captured)

    _many_datasets(3, tags=["agua"])
    few = queries()
    _many_datasets(150, tags=["agua", "drenaje"])
    assert queries() == few
    with django_assert_max_num_queries(8):
        client.get("/catalog.ttl?page=2")


def test_a_dataset_uri_sends_browsers_to_the_page_and_rdf_readers_to_rdf(client, salud_dataset):
    uri = f"/dataset/{salud_dataset.uuid}"
    page = client.get(uri, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert page.status_code == 303
    assert page["Location"] == "/datos/conjuntos/camas-hospitalarias/"
    turtle = client.get(uri, HTTP_ACCEPT="text/turtle")
    assert (turtle.status_code, turtle["Location"]) == (303, "/dataset/camas-hospitalarias.ttl")
    upload = salud_dataset.resources.get(title="Camas por hospital 2020")
    resource = client.get(f"{uri}/resource/{upload.uuid}", HTTP_ACCEPT="application/ld+json")
    assert resource["Location"] == "/dataset/camas-hospitalarias.jsonld"
    assert client.get("/dataset/no-existe").status_code == 404


def test_place_and_theme_uris_describe_what_they_name(client, salud_dataset):
    response = client.get("/id/inegi/14120", HTTP_ACCEPT="text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    zapopan_uri = URIRef(f"{SITE}/id/inegi/14120")
    assert str(one(graph, zapopan_uri, SKOS.prefLabel)) == "Zapopan"
    assert one(graph, zapopan_uri, DCTERMS.isPartOf) == URIRef(f"{SITE}/id/inegi/14")
    assert str(one(graph, URIRef(f"{SITE}/id/inegi/14"), DCTERMS.identifier)) == "14"
    assert client.get("/id/inegi/99").status_code == 404

    themes = fetch_graph(client, "/id/temas.jsonld", "jsonld")
    scheme = URIRef(f"{SITE}/id/temas")
    assert (scheme, SKOS.hasTopConcept, URIRef(f"{SITE}/datos/temas/salud/")) in themes


def test_the_dataset_page_advertises_each_format_at_an_address_that_answers(
    client, rf, salud_dataset
):
    links = federation.alternate_links(salud_dataset, rf.get("/"))
    assert [content_type for _, content_type, _ in links] == [
        "application/ld+json",
        "text/turtle",
        "application/rdf+xml",
        "application/json",
    ]
    for href, content_type, title in links:
        assert href.startswith(f"{SITE}/") and title
        response = client.get(href.removeprefix(SITE))
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)


def test_without_a_request_addresses_use_the_configured_site(settings, salud_dataset):
    settings.SITE_URL = "https://datos.jalisco.example"
    graph = dcat.dataset_graph(salud_dataset, federation.base_url(None))
    node = URIRef(f"https://datos.jalisco.example/dataset/{salud_dataset.uuid}")
    assert (node, RDF.type, DCAT.Dataset) in graph


def test_cached_pages_stay_open_to_all_origins_current_and_on_the_callers_host(
    client, settings, salud_dataset, django_assert_max_num_queries
):
    settings.PAGE_CACHE_SECONDS = 300
    settings.SITE_URL = SITE
    first = client.get("/catalog.ttl")
    with django_assert_max_num_queries(1):  # only the content version is read
        again = client.get("/catalog.ttl")
    assert again.content == first.content
    assert again["Access-Control-Allow-Origin"] == "*"
    assert again["Content-Type"].startswith("text/turtle")

    services.dataset_save(actor=None, dataset=salud_dataset, title="Camas censables")
    assert "Camas censables" in client.get("/catalog.ttl").content.decode()
    # Another host name never gets a document whose addresses point at SITE_URL.
    other = client.get("/catalog.ttl", HTTP_HOST="localhost").content.decode()
    assert "http://localhost/dataset/" in other and "http://testserver/" not in other
