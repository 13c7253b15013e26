"""Harvesting from real catalogs served over HTTP on 127.0.0.1: CKAN, data.json, DCAT, Abierto.

The CKAN and data.json documents are the stored real files in tests/files/ (copies of the
shared reference data); a small threaded http.server answers with them (or with garbage,
slowly, or not at all).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from abierto.catalog import harvesting, services
from abierto.catalog.factories import (
    DatasetFactory,
    HarvestSourceFactory,
    PublisherFactory,
)
from abierto.catalog.models import Dataset, HarvestRun, HarvestSource
from abierto.core.factories import UserFactory
from abierto.core.models import AuditEntry

pytestmark = pytest.mark.django_db

# shared/ lies beside the checkout, on a developer's machine and in CI.
DATA = Path(__file__).resolve().parent / "files"
BIRMINGHAM = json.loads((DATA / "birmingham_package_search.json").read_text())
ARGENTINA = (DATA / "argentina_justicia_data.json").read_bytes()
BIRMINGHAM_IDS = {p["id"] for p in BIRMINGHAM["result"]["results"]}
SEARCH = "/api/3/action/package_search"


class Remote:
    """A real HTTP server on 127.0.0.1; each test says what its paths answer."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                remote.requests.append((parts.path, query))
                route = remote.routes.get(parts.path)
                if route is None:
                    status, content_type, body = 404, "text/plain", b"not found"
                else:
                    status, content_type, body = route(query)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (the slow-source test)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def searches(self) -> list[dict[str, list[str]]]:
        return [query for path, query in self.requests if path == SEARCH]


@pytest.fixture
def remote(settings):
    settings.HARVEST_ALLOW_PRIVATE_URLS = True
    server = Remote()
    yield server
    server.close()


def json_body(data) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(data).encode()


def ckan_pages(packages: list[dict]):
    """package_search as a CKAN with these packages answers it: 10 per page, then empty."""

    def answer(query):
        start = int(query.get("start", ["0"])[0])
        page = copy.deepcopy(BIRMINGHAM)
        page["result"]["results"] = packages[start : start + 10]
        return json_body(page)

    return answer


@pytest.fixture
def birmingham(remote):
    remote.routes[SEARCH] = ckan_pages(BIRMINGHAM["result"]["results"])
    return remote


@pytest.fixture
def ckan_source(birmingham):
    return HarvestSourceFactory(
        name="birmingham",
        kind=HarvestSource.Kind.CKAN,
        url=birmingham.url + "/",
        publisher=PublisherFactory(name="cosechas", title="Datos cosechados"),
    )


def catalog_state() -> list[tuple]:
    return list(
        Dataset.objects.order_by("pk").values_list("pk", "name", "title", "metadata_modified")
    )


# ----------------------------------------------------------------------------------- CKAN


def test_a_ckan_harvest_copies_every_remote_dataset_with_its_links(ckan_source, birmingham):
    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.DONE, run.error
    assert (run.seen, run.created, run.updated, run.unchanged, run.failed) == (10, 10, 0, 0, 0)
    harvested = Dataset.objects.filter(harvest_source=ckan_source)
    assert set(harvested.values_list("harvest_guid", flat=True)) == BIRMINGHAM_IDS
    first = harvested.get(harvest_guid="cf552d08-cee9-43bf-8c0f-3196a9311799")
    remote = BIRMINGHAM["result"]["results"][0]
    assert first.name == "purchase-card-transactions"
    assert first.title == remote["title"]
    assert first.origin == Dataset.Origin.HARVESTED
    # No local publisher is called birmingham-city-council: the source's publisher gets it.
    assert first.publisher.name == "cosechas"
    assert first.licence.key == "uk-ogl"
    assert first.modified == dt.datetime(2021, 1, 15, 10, 25, 28, 638659, tzinfo=dt.UTC)
    assert set(first.tags.values_list("name", flat=True)) == {"payments", "purchase card"}
    links = list(first.resources.active().order_by("position"))
    assert [r.url for r in links] == [r["url"] for r in remote["resources"]]
    assert links[0].format == "XLS"
    assert {e["action"] for e in run.report} == {"created"}
    # The remote was paged the way ckanext-harvest pages it.
    searches = birmingham.searches()
    assert [q["start"] for q in searches] == [["0"], ["10"]]
    assert searches[0]["rows"] == ["100"] and searches[0]["sort"] == ["id asc"]
    assert "fq" not in searches[0]


def test_running_again_asks_only_for_recent_changes_and_duplicates_nothing(ckan_source, birmingham):
    harvesting.run_now(ckan_source)
    before = catalog_state()
    entries = AuditEntry.objects.count()

    again = harvesting.run_now(ckan_source)

    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 10, 0)
    assert catalog_state() == before
    assert AuditEntry.objects.count() == entries
    fq = [q for q in birmingham.searches() if "fl" not in q][-1]["fq"][0]
    assert fq.startswith("metadata_modified:[") and fq.endswith("Z TO *]")


def test_a_remote_change_is_reported_updated_and_kept_in_the_history(ckan_source, birmingham):
    harvesting.run_now(ckan_source)
    packages = copy.deepcopy(BIRMINGHAM["result"]["results"])
    packages[1]["title"] = "February 2018 Purchase Card Transactions (revised)"
    packages[1]["resources"] = packages[1]["resources"][:1]
    birmingham.routes[SEARCH] = ckan_pages(packages)

    run = harvesting.run_now(ckan_source)

    assert (run.created, run.updated, run.unchanged) == (0, 1, 9)
    changed = Dataset.objects.get(harvest_guid=packages[1]["id"])
    assert changed.title.endswith("(revised)")
    assert changed.resources.active().count() == 1
    assert AuditEntry.objects.filter(verb="harvest", object_id=str(changed.pk)).exists()
    updated = [e for e in run.report if e["action"] == "updated"]
    assert [e["guid"] for e in updated] == [packages[1]["id"]]


def test_a_preview_reports_the_same_and_writes_nothing(ckan_source):
    entries = AuditEntry.objects.count()

    run = harvesting.run_now(ckan_source, preview=True)

    assert run.status == HarvestRun.Status.DONE
    assert (run.seen, run.created) == (10, 10)
    assert not Dataset.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_a_name_taken_here_gets_a_suffix_and_the_local_dataset_is_left_alone(ckan_source):
    local = DatasetFactory(name="purchase-card-transactions", title="Nuestro conjunto")

    harvesting.run_now(ckan_source)

    local.refresh_from_db()
    assert local.title == "Nuestro conjunto" and local.harvest_source is None
    copy_ = Dataset.objects.get(harvest_guid="cf552d08-cee9-43bf-8c0f-3196a9311799")
    assert copy_.name == "purchase-card-transactions-2"


def test_a_remote_organization_known_here_publishes_its_own_datasets(ckan_source):
    council = PublisherFactory(name="birmingham-city-council", title="Birmingham City Council")

    harvesting.run_now(ckan_source)

    assert Dataset.objects.filter(publisher=council).count() == 10


def test_a_dataset_missing_required_fields_fails_alone_with_its_reason(ckan_source, birmingham):
    packages = copy.deepcopy(BIRMINGHAM["result"]["results"])
    packages[0]["notes"] = ""
    packages[2]["metadata_modified"] = "ayer"
    packages[3]["resources"][0]["url"] = "no es una url"
    birmingham.routes[SEARCH] = ckan_pages(packages)

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.DONE
    assert (run.created, run.failed) == (7, 3)
    reasons = {e["guid"]: e["reason"] for e in run.report if e["action"] == "failed"}
    assert "Falta la descripción" in reasons[packages[0]["id"]]
    assert "metadata_modified" in reasons[packages[2]["id"]]
    assert "«ayer»" in reasons[packages[2]["id"]]
    assert "Recurso 1" in reasons[packages[3]["id"]]
    # Nothing half-created: not the dataset, not its other links.
    failed = {packages[i]["id"] for i in (0, 2, 3)}
    assert not Dataset.objects.filter(harvest_guid__in=failed).exists()


def test_a_source_that_repeats_the_same_page_stops_the_run_before_writing(ckan_source, birmingham):
    birmingham.routes[SEARCH] = lambda query: json_body(BIRMINGHAM)  # ignores `start`

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.FAILED
    assert "no avanza" in run.error
    assert not Dataset.objects.exists()


# ---------------------------------------------------------------- datasets the source removed


def test_a_dataset_gone_from_a_ckan_source_is_withdrawn_and_its_page_still_answers(
    client, data_team, ckan_source, birmingham
):
    harvesting.run_now(ckan_source)
    packages = copy.deepcopy(BIRMINGHAM["result"]["results"])
    gone = packages[:2]
    birmingham.routes[SEARCH] = ckan_pages(packages[2:])

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.DONE, run.error
    assert (run.unchanged, run.deleted) == (8, 2)
    # The incremental read gives only what changed; the ids came from a listing of the
    # source's datasets asked without the date filter.
    listing = [q for q in birmingham.searches() if q.get("fl") == ["id"]]
    assert listing and all("fq" not in q for q in listing)
    assert listing[0]["rows"] == ["1000"]
    withdrawn = Dataset.objects.filter(harvest_guid__in=[p["id"] for p in gone])
    assert set(withdrawn.values_list("state", flat=True)) == {Dataset.State.DELETED}
    assert Dataset.objects.filter(harvest_source=ckan_source, state="active").count() == 8
    for dataset in withdrawn:
        assert AuditEntry.objects.filter(verb="dataset_delete", object_id=str(dataset.pk)).exists()
        # Soft delete: the permanent address answers «gone», not «not found».
        page = client.get(reverse("catalog:dataset", kwargs={"name": dataset.name}))
        assert page.status_code == 410
    reported = {e["guid"]: e for e in run.report if e["action"] == "deleted"}
    assert set(reported) == {p["id"] for p in gone}
    assert all("Ya no está en la fuente" in e["reason"] for e in reported.values())

    client.force_login(data_team)
    html = client.get(reverse("harvest:run", kwargs={"pk": run.pk})).content.decode()
    assert html.count('data-action="deleted"') == 2
    assert gone[0]["title"] in html and "Retirados" in html
    only = client.get(reverse("harvest:run", kwargs={"pk": run.pk}), {"accion": "deleted"})
    assert only.content.decode().count("data-action=") == 2
    source_page = client.get(reverse("harvest:source", kwargs={"name": "birmingham"}))
    assert "Retirados" in source_page.content.decode()

    # Back at the source: the dataset comes back (restored, not duplicated).
    birmingham.routes[SEARCH] = ckan_pages(packages)
    back = harvesting.run_now(ckan_source)
    assert (back.updated, back.unchanged, back.deleted) == (2, 8, 0)
    assert set(withdrawn.values_list("state", flat=True)) == {Dataset.State.ACTIVE}
    restored = [e for e in back.report if e["action"] == "updated"]
    assert all("se restauró" in e["reason"] for e in restored)
    assert Dataset.objects.filter(harvest_source=ckan_source).count() == 10


def test_a_preview_reports_what_would_be_withdrawn_and_withdraws_nothing(ckan_source, birmingham):
    harvesting.run_now(ckan_source)
    packages = BIRMINGHAM["result"]["results"]
    birmingham.routes[SEARCH] = ckan_pages(packages[1:])
    entries = AuditEntry.objects.count()

    run = harvesting.run_now(ckan_source, preview=True)

    assert run.deleted == 1
    (entry,) = [e for e in run.report if e["action"] == "deleted"]
    assert entry["guid"] == packages[0]["id"] and "marcaría" in entry["reason"]
    assert not Dataset.objects.filter(state=Dataset.State.DELETED).exists()
    assert AuditEntry.objects.count() == entries


def test_a_source_answering_an_empty_list_withdraws_nothing(ckan_source, birmingham):
    harvesting.run_now(ckan_source)
    birmingham.routes[SEARCH] = ckan_pages([])  # an empty page, by mistake

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.DONE
    assert run.deleted == 0
    assert "por precaución no se retiró ninguno" in run.warning
    assert "10 cosechados" in run.warning
    assert Dataset.objects.filter(harvest_source=ckan_source, state="active").count() == 10


def test_a_failed_run_withdraws_nothing(ckan_source, birmingham):
    harvesting.run_now(ckan_source)
    birmingham.routes[SEARCH] = lambda query: (200, "application/json", b"<html>oops</html>")

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.FAILED
    assert run.deleted == 0
    assert Dataset.objects.filter(harvest_source=ckan_source, state="active").count() == 10


def test_a_full_data_json_run_withdraws_what_the_catalog_no_longer_lists(datajson_source, remote):
    harvesting.run_now(datajson_source)
    catalog = json.loads(ARGENTINA)
    removed = catalog["dataset"].pop(0)
    remote.routes["/data.json"] = lambda query: json_body(catalog)

    run = harvesting.run_now(datajson_source)

    assert (run.unchanged, run.deleted) == (15, 1)
    (entry,) = [e for e in run.report if e["action"] == "deleted"]
    assert entry["guid"] == removed["identifier"]
    assert Dataset.objects.get(harvest_guid=removed["identifier"]).state == "deleted"
    # A dataset of another source, or typed in here, is never withdrawn by this one.
    assert (
        Dataset.objects.exclude(harvest_source=datajson_source).filter(state="deleted").count() == 0
    )


# ------------------------------------------------------------------------ bad sources


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_source_that_is_down_fails_the_run_with_a_clear_message(settings):
    settings.HARVEST_ALLOW_PRIVATE_URLS = True
    DatasetFactory()
    before = catalog_state()
    source = HarvestSourceFactory(url=f"http://127.0.0.1:{_free_port()}/")

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.FAILED
    assert "no está disponible" in run.error and "rechazó la conexión" in run.error
    assert run.finished_at is not None
    assert catalog_state() == before


def test_a_source_that_answers_garbage_fails_the_run_and_changes_nothing(ckan_source, birmingham):
    harvesting.run_now(ckan_source)
    before = catalog_state()
    birmingham.routes[SEARCH] = lambda query: (200, "text/html", b"<html>Mantenimiento</html>")

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.FAILED
    assert "no es JSON válido" in run.error and SEARCH in run.error
    assert catalog_state() == before


def test_a_json_answer_that_is_not_ckan_fails_the_run(ckan_source, birmingham):
    birmingham.routes[SEARCH] = lambda query: json_body({"hola": "mundo"})

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.FAILED
    assert "package_search" in run.error
    assert not Dataset.objects.exists()


def test_a_slow_source_times_out_and_changes_nothing(ckan_source, birmingham, settings):
    settings.HARVEST_READ_TIMEOUT = 0.3

    def slow(query):
        time.sleep(1.5)
        return json_body(BIRMINGHAM)

    birmingham.routes[SEARCH] = slow

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.FAILED
    assert "tardó más de 0.3 s" in run.error
    assert not Dataset.objects.exists()


def test_a_response_over_the_size_limit_is_refused(ckan_source, settings):
    settings.HARVEST_MAX_BYTES = 1000

    run = harvesting.run_now(ckan_source)

    assert run.status == HarvestRun.Status.FAILED
    assert "supera el límite de 1000 bytes" in run.error


def test_private_addresses_are_refused_unless_allowed(settings):
    settings.HARVEST_ALLOW_PRIVATE_URLS = False
    source = HarvestSourceFactory(url="http://127.0.0.1:9/")

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.FAILED
    assert "dirección privada o reservada" in run.error


# ------------------------------------------------------------------------------ data.json


@pytest.fixture
def datajson_source(remote):
    remote.routes["/data.json"] = lambda query: (200, "application/json", ARGENTINA)
    return HarvestSourceFactory(
        name="justicia-ar", kind=HarvestSource.Kind.DATAJSON, url=remote.url + "/data.json"
    )


def test_a_data_json_catalog_is_harvested_with_publishers_licences_and_distributions(
    datajson_source,
):
    registry = PublisherFactory(
        name="registro-automotor",
        title=(
            "Ministerio de Justicia y Derechos Humanos. Subsecretaría de Asuntos Registrales. "
            "Dirección Nacional de Registros Nacionales de la Propiedad Automotor y Créditos "
            "Prendarios."
        ),
    )

    run = harvesting.run_now(datajson_source)

    assert run.status == HarvestRun.Status.DONE, run.error
    assert (run.seen, run.created, run.failed) == (16, 16, 0)
    infoleg = Dataset.objects.get(harvest_guid="d9a963ea-8b1d-4ca3-9dd9-07a4773e8c23")
    assert infoleg.title == "Base de datos legislativos Infoleg"
    assert infoleg.licence.key == "odc-odbl"  # matched by its title
    assert infoleg.accrual_periodicity == Dataset.Periodicity.MONTHLY
    assert infoleg.contact_email == "datosabiertos@saij.gob.ar"
    assert "boletín oficial" in set(infoleg.tags.values_list("name", flat=True))
    assert infoleg.publisher == datajson_source.publisher
    assert Dataset.objects.filter(publisher=registry).count() == 2
    assert Dataset.objects.filter(licence__key="notspecified").count() == 2
    total_links = sum(d.resources.active().count() for d in Dataset.objects.all())
    assert total_links == 56

    again = harvesting.run_now(datajson_source)
    assert (again.created, again.unchanged) == (0, 16)


def test_a_dataset_with_no_mailbox_anywhere_fails_naming_the_field(datajson_source):
    datajson_source.publisher.email = ""
    datajson_source.publisher.save()

    run = harvesting.run_now(datajson_source)

    assert (run.created, run.failed) == (15, 1)
    (failed,) = [e for e in run.report if e["action"] == "failed"]
    assert failed["title"] == "Internos del Servicio Penitenciario Federal - SPF"
    assert failed["reason"].startswith("buzón de contacto:")
    assert not Dataset.objects.filter(harvest_guid=failed["guid"]).exists()


def test_a_data_json_without_datasets_fails_the_run(remote):
    remote.routes["/data.json"] = lambda query: json_body({"title": "vacío"})
    source = HarvestSourceFactory(kind=HarvestSource.Kind.DATAJSON, url=remote.url + "/data.json")

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.FAILED
    assert "falta la lista «dataset»" in run.error


# ----------------------------------------------------------------------------------- DCAT

PAGE_ONE = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<{base}/catalog.ttl> a hydra:PagedCollection ; hydra:next <{base}/catalog.ttl?page=2> .
<{base}/catalog> a dcat:Catalog ; dcat:dataset <{base}/dataset/escuelas> .
<{base}/dataset/escuelas> a dcat:Dataset ;
    dct:identifier "escuelas-2016" ;
    dct:title "Escuelas públicas"@es , "Public schools"@en ;
    dct:description "Escuelas de educación básica con su clave de centro de trabajo."@es ;
    dcat:keyword "educación"@es , "escuelas"@es , "schools"@en ;
    dct:publisher [ a foaf:Agent ; foaf:name "Secretaría de Educación" ] ;
    dcat:contactPoint [ vcard:fn "Datos abiertos" ;
                        vcard:hasEmail <mailto:datos@educacion.example> ] ;
    dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/ANNUAL> ;
    dct:modified "2017-03-01T10:00:00-06:00"^^xsd:dateTime ;
    dct:temporal [ dcat:startDate "2016-01-01"^^xsd:date ; dcat:endDate "2016-12-31"^^xsd:date ] ;
    dcat:distribution <{base}/dataset/escuelas/csv> .
<{base}/dataset/escuelas/csv> a dcat:Distribution ;
    dct:title "Escuelas (CSV)"@es ;
    dcat:downloadURL <https://datos.example/escuelas.csv> ;
    dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;
    dct:license <https://creativecommons.org/licenses/by/4.0/> ;
    dcat:byteSize "2048"^^xsd:decimal .
"""

PAGE_TWO = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{base}/dataset/hospitales> a dcat:Dataset ;
    dct:identifier "hospitales" ;
    dct:title "Hospitales"@es ;
    dct:description "Unidades médicas con camas censables."@es ;
    dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://datos.example/hospitales> ] .
"""


def test_a_dcat_catalog_is_read_page_by_page_following_hydra(remote):
    remote.routes["/catalog.ttl"] = lambda query: (
        200,
        "text/turtle",
        (PAGE_TWO if query.get("page") == ["2"] else PAGE_ONE)
        .replace("{base}", remote.url)
        .encode(),
    )
    source = HarvestSourceFactory(kind=HarvestSource.Kind.DCAT, url=remote.url + "/catalog.ttl")

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.DONE, run.error
    assert (run.seen, run.created) == (2, 2)
    schools = Dataset.objects.get(harvest_guid="escuelas-2016")
    assert schools.title == "Escuelas públicas"  # the Spanish title
    assert schools.name == "escuelas"
    assert set(schools.tags.values_list("name", flat=True)) == {"educación", "escuelas"}
    assert schools.licence.key == "cc-by-4.0"
    assert schools.accrual_periodicity == Dataset.Periodicity.ANNUAL
    assert (schools.temporal_start, schools.temporal_end) == (
        dt.date(2016, 1, 1),
        dt.date(2016, 12, 31),
    )
    link = schools.resources.get()
    assert (link.url, link.media_type, link.size) == (
        "https://datos.example/escuelas.csv",
        "text/csv",
        2048,
    )
    assert Dataset.objects.get(harvest_guid="hospitales").resources.get().url == (
        "https://datos.example/hospitales"
    )
    assert harvesting.run_now(source).unchanged == 2


def test_a_dcat_page_that_is_not_rdf_fails_the_run(remote):
    remote.routes["/catalog.ttl"] = lambda query: (200, "text/turtle", b"esto no es turtle {{")
    source = HarvestSourceFactory(kind=HarvestSource.Kind.DCAT, url=remote.url + "/catalog.ttl")

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.FAILED
    assert "no se pudo leer como RDF" in run.error


def test_json_ld_with_a_remote_context_is_refused_without_fetching_it(remote):
    document = {"@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"}
    remote.routes["/catalog.jsonld"] = lambda query: (
        200,
        "application/ld+json",
        json.dumps(document).encode(),
    )
    source = HarvestSourceFactory(kind=HarvestSource.Kind.DCAT, url=remote.url + "/catalog.jsonld")

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.FAILED
    assert "@context remoto" in run.error


def test_paging_links_to_another_host_are_not_followed(remote):
    page = PAGE_ONE.replace("{base}/catalog.ttl?page=2", "http://otro.example/catalog.ttl")
    remote.routes["/catalog.ttl"] = lambda query: (
        200,
        "text/turtle",
        page.replace("{base}", remote.url).encode(),
    )
    source = HarvestSourceFactory(kind=HarvestSource.Kind.DCAT, url=remote.url + "/catalog.ttl")

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.FAILED
    assert "sale del servidor de la fuente" in run.error
    assert not Dataset.objects.exists()


# --------------------------------------------------------------- a second, live Abierto


def test_harvesting_another_abierto_through_its_ckan_api(live_server, settings):
    settings.HARVEST_ALLOW_PRIVATE_URLS = True
    municipality = PublisherFactory(name="municipio-remoto", title="Municipio remoto")
    originals = [
        services.dataset_save(
            actor=None,
            name=f"obras-publicas-{year}",
            title=f"Obras públicas {year}",
            description="Obras públicas del municipio con su monto y avance.",
            publisher=municipality,
            accrual_periodicity=Dataset.Periodicity.ANNUAL,
            tags=["obras públicas"],
        )
        for year in (2016, 2017, 2018)
    ]
    services.resource_save(
        actor=None, dataset=originals[0], title="Obras 2016", url="https://datos.example/o.csv"
    )
    DatasetFactory(title="De otra dependencia")  # not asked for by the source's filter
    source = HarvestSourceFactory(
        name="abierto-remoto",
        url=live_server.url,
        filter_query="organization:municipio-remoto",
        publisher=PublisherFactory(name="destino", title="Destino de la cosecha"),
    )

    run = harvesting.run_now(source)

    assert run.status == HarvestRun.Status.DONE, run.error
    assert (run.seen, run.created, run.failed) == (3, 3, 0)
    copies = Dataset.objects.filter(harvest_source=source).order_by("title")
    # The remote ids are the originals' uuids; the names are taken here, so they get a suffix.
    assert [c.harvest_guid for c in copies] == [str(o.uuid) for o in originals]
    assert [c.name for c in copies] == [f"obras-publicas-{y}-2" for y in (2016, 2017, 2018)]
    # The remote's datasets are this catalog's own (same database): the copies go to the
    # source's publisher instead of merging into the originals' one.
    assert {c.publisher.name for c in copies} == {"destino"}
    assert copies[0].resources.get().url == "https://datos.example/o.csv"

    again = harvesting.run_now(source)
    assert (again.created, again.unchanged) == (0, 3)
    assert Dataset.objects.filter(harvest_source=source).count() == 3

    # Without a filter the remote also lists the copies: they are not copied again.
    source.filter_query = ""
    source.save()
    unfiltered = harvesting.run_now(source)
    assert unfiltered.status == HarvestRun.Status.DONE, unfiltered.error
    echoes = [e for e in unfiltered.report if "misma fuente" in e["reason"]]
    assert sorted(e["guid"] for e in echoes) == sorted(str(c.uuid) for c in copies)
    assert (
        Dataset.objects.filter(
            harvest_source=source, harvest_guid__in=[str(c.uuid) for c in copies]
        ).count()
        == 0
    )

    # The remote deletes one of its datasets: the next (incremental) run withdraws the copy.
    services.dataset_delete(actor=None, dataset=originals[1])
    withdrawing = harvesting.run_now(source)
    assert withdrawing.status == HarvestRun.Status.DONE, withdrawing.error
    assert withdrawing.deleted == 1
    assert Dataset.objects.get(pk=copies[1].pk).state == Dataset.State.DELETED
    assert Dataset.objects.get(pk=copies[0].pk).state == Dataset.State.ACTIVE


# ---------------------------------------------------------------------- schedule, command


def _finished(source: HarvestSource, hours_ago: float) -> None:
    HarvestRun.objects.create(
        source=source,
        status=HarvestRun.Status.DONE,
        finished_at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


def test_due_sources_are_the_scheduled_ones_whose_last_run_is_old_enough():
    never = HarvestSourceFactory(name="nunca", frequency=HarvestSource.Frequency.DAILY)
    old_daily = HarvestSourceFactory(name="diaria-vieja", frequency=HarvestSource.Frequency.DAILY)
    _finished(old_daily, 23.5)  # a daily cron job starts a little before 24 h have passed
    fresh_daily = HarvestSourceFactory(name="diaria-nueva", frequency=HarvestSource.Frequency.DAILY)
    _finished(fresh_daily, 2)
    weekly = HarvestSourceFactory(name="semanal", frequency=HarvestSource.Frequency.WEEKLY)
    _finished(weekly, 24 * 3)
    manual = HarvestSourceFactory(name="manual", frequency=HarvestSource.Frequency.MANUAL)
    inactive = HarvestSourceFactory(
        name="inactiva", frequency=HarvestSource.Frequency.DAILY, active=False
    )

    due = harvesting.due_sources()

    assert due == [old_daily, never]
    assert not {fresh_daily, weekly, manual, inactive} & set(due)


def test_the_harvest_command_runs_due_sources_and_says_what_happened(ckan_source, capsys):
    ckan_source.frequency = HarvestSource.Frequency.DAILY
    ckan_source.save()

    call_command("harvest", "--due")

    assert "birmingham: 10 seen, 10 created" in capsys.readouterr().out
    call_command("harvest", "--due")
    assert "No source is due." in capsys.readouterr().out
    assert Dataset.objects.count() == 10


def test_the_harvest_command_fails_loudly_when_the_run_fails(settings):
    settings.HARVEST_ALLOW_PRIVATE_URLS = True
    HarvestSourceFactory(name="caida", url=f"http://127.0.0.1:{_free_port()}/")

    with pytest.raises(CommandError, match="caida"):
        call_command("harvest", "caida")
    with pytest.raises(CommandError, match="no-existe"):
        call_command("harvest", "no-existe")


# ------------------------------------------------------------------------------ staff pages


@pytest.fixture
def data_team(db):
    user = UserFactory(username="equipo-datos")
    user.user_permissions.add(Permission.objects.get(codename="change_harvestsource"))
    return user


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("citizen", 403), ("staff", 403), ("data_team", 200), ("admin", 200)],
)
def test_only_the_data_team_sees_the_harvest_pages(client, data_team, who, expected):
    source = HarvestSourceFactory(name="fuente")
    run = HarvestRun.objects.create(source=source, status=HarvestRun.Status.DONE)
    users = {
        "citizen": UserFactory(username="ciudadana"),
        "staff": UserFactory(username="personal", is_staff=True),
        "data_team": data_team,
        "admin": UserFactory(username="admin", is_staff=True, is_superuser=True),
    }
    if who in users:
        client.force_login(users[who])
    for url in (
        reverse("harvest:sources"),
        reverse("harvest:source", kwargs={"name": "fuente"}),
        reverse("harvest:run", kwargs={"pk": run.pk}),
    ):
        response = client.get(url)
        assert response.status_code == expected, url
        if expected == 302:
            assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["anonymous", "citizen", "staff"])
def test_nobody_else_can_start_a_harvest(client, who):
    source = HarvestSourceFactory(name="fuente")
    if who != "anonymous":
        client.force_login(UserFactory(username=who, is_staff=who == "staff"))

    response = client.post(reverse("harvest:start", kwargs={"name": "fuente"}))

    assert response.status_code in (302, 403)
    assert not source.runs.exists()


def test_starting_a_harvest_needs_a_post_with_csrf(data_team):
    from django.test import Client

    HarvestSourceFactory(name="fuente")
    client = Client(enforce_csrf_checks=True)
    client.force_login(data_team)
    url = reverse("harvest:start", kwargs={"name": "fuente"})

    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert not HarvestRun.objects.exists()


def test_the_data_team_previews_then_harvests_from_the_sources_page(
    client, data_team, ckan_source, settings, django_assert_max_num_queries
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    for n in range(3):
        HarvestSourceFactory(name=f"otra-{n}")
    client.force_login(data_team)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("harvest:sources"))
    assert "Datos cosechados" in page.content.decode()
    assert page.content.decode().count("Vista previa") >= 4

    response = client.post(
        reverse("harvest:start", kwargs={"name": "birmingham"}), {"preview": "1"}, follow=True
    )

    run = HarvestRun.objects.get()
    assert run.preview and run.status == HarvestRun.Status.DONE
    assert response.redirect_chain[-1][0] == reverse("harvest:run", kwargs={"pk": run.pk})
    html = response.content.decode()
    assert "Vista previa" in html and "Purchase Card Transactions" in html
    assert 'http-equiv="refresh"' not in html  # finished: no more refreshing
    assert not Dataset.objects.exists()

    response = client.post(reverse("harvest:start", kwargs={"name": "birmingham"}), follow=True)
    assert Dataset.objects.filter(harvest_source=ckan_source).count() == 10
    assert 'data-action="created"' in response.content.decode()
    failed_only = client.get(
        reverse("harvest:run", kwargs={"pk": HarvestRun.objects.latest("pk").pk}),
        {"accion": "failed"},
    )
    assert 'data-action="created"' not in failed_only.content.decode()


def test_a_running_harvest_page_refreshes_itself_and_shows_progress(client, data_team):
    source = HarvestSourceFactory(name="fuente")
    run = HarvestRun.objects.create(
        source=source, status=HarvestRun.Status.RUNNING, seen=40, created=12, unchanged=3
    )
    client.force_login(data_team)

    html = client.get(reverse("harvest:run", kwargs={"pk": run.pk})).content.decode()

    assert '<meta http-equiv="refresh" content="5">' in html
    assert "En proceso" in html or "en proceso" in html
    assert ">40<" in html and ">12<" in html
    assert "Actualizar ahora" in html


def test_a_second_start_while_a_run_is_queued_returns_that_run():
    source = HarvestSourceFactory(name="fuente")
    first = harvesting.start(source=source)

    assert harvesting.start(source=source) == first
    assert source.runs.count() == 1
