"""The table on a datastore resource's page: filter, search, sort, page, query and download."""

from __future__ import annotations

import csv
import io
import json
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from abierto.catalog import services as catalog_services
from abierto.catalog.factories import (
    DatasetFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
)
from abierto.core.factories import UserFactory
from abierto.datastore import schema
from abierto.datastore.schema import Field
from abierto.datastore.tests.tables import load

pytestmark = pytest.mark.django_db(databases=["default", "datastore"])


class Page(HTMLParser):
    """What a reader of the page gets: the data table's headers and cells, links, alerts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headers: list[dict] = []
        self.rows: list[list[str]] = []
        self.links: list[dict] = []
        self.alerts: list[str] = []
        self.captions: list[str] = []
        self.inputs: list[dict] = []
        self.labels: dict[str, str] = {}
        self._stack: list[tuple[str, dict]] = []
        self._text: list[str] = []
        self._in_data = False
        self._in_tbody = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and any(
            "datastore-table" in (a.get("class") or "") for _, a in self._stack
        ):
            self._in_data = True
        if tag in ("input", "br", "meta", "link", "img"):
            if tag == "input":
                self.inputs.append(attrs)
            return
        if self._in_data and tag == "tbody":
            self._in_tbody = True
        if self._in_tbody and tag == "tr":
            self.rows.append([])
        self._stack.append((tag, attrs))
        self._text.append("")

    def handle_endtag(self, tag):
        if not self._stack:
            return
        while self._stack:
            open_tag, attrs = self._stack.pop()
            text = " ".join(self._text.pop().split())
            if self._text:
                self._text[-1] += " " + text
            if open_tag == tag:
                break
        if tag == "th" and self._in_data and not self._in_tbody:
            self.headers.append({**attrs, "text": text})
        elif tag == "td" and self._in_tbody:
            self.rows[-1].append(text)
        elif tag == "a":
            self.links.append({**attrs, "text": text})
        elif tag == "caption" and self._in_data:
            self.captions.append(text)
        elif tag == "label" and attrs.get("for"):
            self.labels[attrs["for"]] = text
        elif attrs.get("role") == "alert":
            self.alerts.append(text)
        if tag == "tbody":
            self._in_tbody = False
        if tag == "table":
            self._in_data = False

    def handle_data(self, data):
        if self._text:
            self._text[-1] += data

    def link(self, text: str) -> str:
        found = [a["href"] for a in self.links if a["text"] == text]
        assert found, f"no link «{text}» in {[a['text'] for a in self.links]}"
        return unescape(found[0])

    def sort_of(self, column: str) -> str | None:
        for header in self.headers:
            if header["text"].split()[0] == column:
                return header.get("aria-sort")
        raise AssertionError(column)


def page_url(resource) -> str:
    return reverse(
        "catalog:resource", kwargs={"name": resource.dataset.name, "resource": resource.uuid}
    )


def get(client, resource, params=None) -> tuple[Page, str]:
    response = client.get(page_url(resource), params or {})
    assert response.status_code == 200
    html = response.content.decode()
    return Page(html), html


def download(client, href: str) -> list[list[str]]:
    response = client.get(href)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def obras(db):
    """The test table of public works (6 columns of every type), as the page finds it."""
    resource = ResourceFactory(title="Obras públicas", datastore_active=True)
    load(resource.uuid)
    return resource


# --- The table, its columns and its dictionary -------------------------------------------


def test_table_replaces_file_preview_with_types_labels_and_dictionary(client, obras):
    page, html = get(client, obras)
    assert "Vista previa" not in html
    assert page.captions == ["Filas de «Obras públicas»"]
    assert [h["text"].split(" ▲")[0] for h in page.headers][:4] == [
        "_id entero número de fila",
        "Municipio texto Municipio",
        "Obra texto",
        "Monto número decimal",
    ]
    assert all(h["scope"] == "col" for h in page.headers)
    assert page.rows[0] == [
        "1",
        "Zapopan",
        "Construcción de puente vehicular",
        "1500000.5",
        "2017",
        "2017-03-01",
        "sí",
    ]
    assert page.rows[1][3] == "250000"  # a whole number in a decimal column, without ".0"
    assert page.rows[4][3:] == ["", "2017", "", ""]  # empty cells stay empty
    assert "Filas 1–5 de 5" in html
    # Every filter input is labelled by its column, with the form of value it takes.
    filters = [i for i in page.inputs if (i.get("name") or "").startswith("f.")]
    assert [page.labels[i["id"]] for i in filters] == [
        "Municipio",
        "Obra",
        "Monto (1234.5)",
        "Año (2017)",
        "Fecha (AAAA-MM-DD)",
        "Concluida (sí / no)",
    ]
    # The dictionary lists the table's actual types in Spanish, label and notes apart.
    dictionary = html.split('id="diccionario"')[1]
    assert "<td>número decimal</td>" in dictionary
    assert "<td>Municipio</td><td>Nombre oficial</td>" in dictionary


def test_resource_not_in_datastore_keeps_the_file_preview(client):
    linked = ResourceFactory(datastore_active=False)
    load(linked.uuid)  # a table in the registry but the resource says it is not active
    _, html = get(client, linked)
    assert "Vista previa" in html and 'id="datos"' not in html
    stale = ResourceFactory(datastore_active=True)  # active, but no table in the registry
    _, html = get(client, stale)
    assert "Vista previa" in html and "Consultar estos datos" not in html


# --- A citizen filters, searches and downloads: on the page and through the API -----------


@pytest.fixture
def contratos(settings, django_capture_on_commit_callbacks):
    """A CSV uploaded by a publisher's member and loaded by the real loader on upload."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    publisher = PublisherFactory(name="obras", title="Secretaría de Obras")
    dataset = DatasetFactory(name="contratos", title="Contratos de obra", publisher=publisher)
    member = PublisherMemberFactory(publisher=publisher, user=UserFactory()).user
    content = (
        "clave;municipio;descripción;monto;fecha\n"
        "1;Zapopan;Construcción de la biblioteca pública;1.234,56;31/12/2017\n"
        "2;Guadalajara;Pavimentación con concreto;20.000,00;15/01/2018\n"
        "3;Zapopan;Rehabilitación de la unidad deportiva;N/A;01/02/2018\n"
        "4;Tonalá;Construcción de un puente peatonal;500,5;\n"
    ).encode("cp1252")
    with django_capture_on_commit_callbacks(execute=True):
        resource = catalog_services.resource_save(
            actor=member,
            dataset=dataset,
            title="Contratos",
            upload=SimpleUploadedFile("contratos.csv", content),
        )
    resource.refresh_from_db()
    assert resource.datastore_active
    return resource


def test_search_without_accents_filter_and_sort_then_same_rows_by_api_and_download(
    client, contratos
):
    page, html = get(
        client, contratos, {"q": "construccion", "f.municipio": "Zapopan", "sort": "monto desc"}
    )
    assert page.rows == [
        ["1", "1", "Zapopan", "Construcción de la biblioteca pública", "1234.56", "2017-12-31"]
    ]
    assert "Filas 1–1 de 1" in html
    assert page.captions[0].startswith("Filas de «Contratos» que coinciden con la consulta")
    assert page.sort_of("monto") == "descending"
    assert page.sort_of("clave") is None
    # The box gives the API call that answers the same rows, as a link and as code.
    api = next(unescape(a["href"]) for a in page.links if "datastore_search" in a["text"])
    assert f'<code class="api-url">{api.replace("&", "&amp;")}</code>' in html
    parts = urlsplit(api)
    assert parts.path == "/api/3/action/datastore_search"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "resource_id": str(contratos.uuid),
        "q": "construccion",
        "filters": '{"municipio": "Zapopan"}',
        "sort": "monto desc",
        "limit": "50",
        "offset": "0",
    }
    result = client.get(api).json()["result"]
    assert [[r["_id"], r["municipio"], r["monto"]] for r in result["records"]] == [
        [1, "Zapopan", 1234.56]
    ]
    assert result["total"] == 1
    # Downloads of this view: the same rows; and the whole table.
    rows = download(client, page.link("CSV (filas de la consulta)"))
    assert rows == [
        ["_id", "clave", "municipio", "descripción", "monto", "fecha"],
        ["1", "1", "Zapopan", "Construcción de la biblioteca pública", "1234.56", "2017-12-31"],
    ]
    assert len(download(client, page.link("CSV (tabla completa)"))) == 5
    data = client.get(page.link("JSON (filas de la consulta)"))
    assert [r[2] for r in json.loads(b"".join(data.streaming_content))["records"]] == ["Zapopan"]
    sheet = client.get(page.link("XLSX (filas de la consulta)"))
    assert b"".join(sheet.streaming_content).startswith(b"PK")  # a zip: an .xlsx workbook


def test_typed_filter_is_sent_to_the_api_with_its_type(client, contratos):
    page, html = get(client, contratos, {"f.fecha": "2018-01-15", "f.monto": "20000"})
    assert [row[2] for row in page.rows] == ["Guadalajara"]
    api = next(a["href"] for a in page.links if "datastore_search" in a["text"])
    filters = json.loads(parse_qs(urlsplit(unescape(api)).query)["filters"][0])
    assert filters == {"monto": 20000.0, "fecha": "2018-01-15"}
    # The filter form stays open and filled with what was asked.
    assert "<details open>" in html
    assert {"f.fecha": "2018-01-15", "f.monto": "20000"}.items() <= {
        i["name"]: i.get("value") for i in page.inputs if i.get("name")
    }.items()


def test_no_match_says_so(client, obras):
    page, html = get(client, obras, {"q": "inexistentísimo"})
    assert page.rows == []
    assert "Ninguna fila coincide con la consulta." in html
    assert not page.alerts


# --- Sorting and paging --------------------------------------------------------------------


@pytest.fixture
def big(db):
    resource = ResourceFactory(title="Folios", datastore_active=True)
    fields = [Field("Folio", schema.INT), Field("Nombre, completo", schema.TEXT)]
    load(resource.uuid, fields, [(n, f"Persona {n:03}") for n in range(1, 121)])
    return resource


def test_pages_of_fifty_with_previous_and_next(client, big):
    page, html = get(client, big)
    assert len(page.rows) == 50 and "Filas 1–50 de 120" in html
    assert page.captions == ["Filas de «Folios», página 1 de 3"]
    page, html = get(client, big, parse_qs(urlsplit(page.link("Siguiente")).query))
    assert page.rows[0][1] == "51" and "Filas 51–100 de 120" in html
    last, html = get(client, big, parse_qs(urlsplit(page.link("Siguiente")).query))
    assert "Filas 101–120 de 120" in html and len(last.rows) == 20
    assert "Siguiente" not in [a["text"] for a in last.links]
    back = parse_qs(urlsplit(last.link("Anterior")).query)
    assert back == {"page": ["2"]}


def test_sort_links_toggle_and_keep_the_filters(client, big):
    page, _ = get(client, big, {"q": "persona", "f.Folio": ""})
    descending = page.link("▼ Ordenar por Folio, descendente")
    params = parse_qs(urlsplit(descending).query)
    assert params == {"q": ["persona"], "sort": ["Folio desc"]}
    page, _ = get(client, big, params)
    assert page.rows[0][1] == "120" and page.sort_of("Folio") == "descending"
    # A column whose name has a comma is quoted in the sort, as the API expects.
    by_name = parse_qs(urlsplit(page.link("▲ Ordenar por Nombre, completo, ascendente")).query)
    assert by_name["sort"] == ['"Nombre, completo"']
    page, _ = get(client, big, by_name)
    assert page.sort_of("Nombre,") == "ascending" and page.rows[0][2] == "Persona 001"
    # Sorting keeps the search; the hidden field keeps the sort when the form is sent again.
    assert '<input type="hidden" name="sort" value="&quot;Nombre, completo&quot;">' in (
        client.get(page_url(big), by_name).content.decode()
    )


# --- Bad parameters: a message on the page, never a 500 ------------------------------------


def test_bad_parameters_are_explained_on_the_page(client, big, obras):
    page, _ = get(client, big, {"sort": "Apellido desc"})
    assert len(page.alerts) == 1
    assert "Orden: El campo «Apellido» no existe en la tabla." in page.alerts[0]
    assert page.rows[0][1] == "1"  # the default order instead

    page, html = get(client, obras, {"f.Año": "dos mil", "f.Municipio": "Zapopan"})
    assert (
        "Filtro de la columna «Año»: «dos mil» no es un número entero. No se aplicó."
        in page.alerts[0]
    )
    wrong = next(i for i in page.inputs if i.get("name") == "f.Año")
    assert wrong["aria-invalid"] == "true"
    assert [row[1] for row in page.rows] == ["Zapopan", "Zapopan"]  # the other filter holds

    page, _ = get(client, obras, {"f.Fecha": "31 de marzo"})
    assert "«31 de marzo» no es una fecha AAAA-MM-DD" in page.alerts[0]

    page, html = get(client, big, {"page": "9"})
    assert "La página 9 no existe: hay 3. Se muestra la última." in page.alerts[0]
    assert "Filas 101–120 de 120" in html

    page, html = get(client, big, {"page": "9" * 30})
    assert f"La página {'9' * 30} no existe: hay 3." in page.alerts[0]

    page, html = get(client, big, {"page": "-1"})
    assert "Página «-1» no válida" in page.alerts[0]
    assert "Filas 1–50 de 120" in html

    page, html = get(client, big, {"q": "persona", "f.Folio": "7", "page": "2"})
    assert "La página 2 no existe: hay 1." in page.alerts[0]
    assert page.rows == [["7", "7", "Persona 007"]]


# --- Who sees it, how fast, and the page cache --------------------------------------------


def test_private_table_only_for_the_publishers_members(client, obras):
    obras.dataset.private = True
    obras.dataset.save()
    assert client.get(page_url(obras)).status_code == 404
    member = PublisherMemberFactory(publisher=obras.dataset.publisher, user=UserFactory()).user
    client.force_login(member)
    page, _ = get(client, obras)
    assert len(page.rows) == 5


def statements(captured) -> list[str]:
    """The SQL a request ran, without the savepoints a test's transaction adds around it."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if "SAVEPOINT" not in q["sql"] and not q["sql"].startswith("RELEASE")
    ]


@pytest.mark.parametrize("size", [5, 3000])
def test_constant_number_of_queries_whatever_the_size(client, django_assert_max_num_queries, size):
    resource = ResourceFactory(datastore_active=True)
    fields = [Field("Municipio", schema.TEXT), Field("Monto", schema.INT)]
    towns = ["Zapopan", "Tonalá", "Guadalajara"]
    load(resource.uuid, fields, [(towns[n % 3], n) for n in range(size)])
    get(client, resource)  # warm the connections
    datastore = connections["datastore"]
    page_number = 2 if size > 50 else 1
    first = (page_number - 1) * 50 + 1
    # Unfiltered: the registry read and one SELECT; the total is the registry's row count.
    # (The limits allow the savepoint pair that a test's transaction puts around each statement
    # on PostgreSQL; `statements` leaves them out.)
    with (
        django_assert_max_num_queries(3),
        django_assert_max_num_queries(6, connection=datastore) as captured,
    ):
        page, html = get(client, resource, {"sort": "Monto desc", "page": str(page_number)})
    sql = statements(captured)
    assert len(sql) == 2 and not any("count(" in q for q in sql)
    assert f"Filas {first}–{min(first + 49, size)} de {size}" in html
    # Searched and filtered: one count more at most, never a row-by-row read.
    with (
        django_assert_max_num_queries(3),
        django_assert_max_num_queries(9, connection=datastore) as captured,
    ):
        page, html = get(client, resource, {"q": "zapopan", "f.Municipio": "Zapopan"})
    assert len(statements(captured)) <= 3
    assert f"Filas 1–{min(50, -(-size // 3))} de {-(-size // 3)}" in html


def test_anonymous_pages_are_cached_per_query_string(client, settings, obras):
    settings.PAGE_CACHE_SECONDS = 600
    zapopan, _ = get(client, obras, {"f.Municipio": "Zapopan"})
    with CaptureQueriesContext(connections["datastore"]) as seen:
        again, _ = get(client, obras, {"f.Municipio": "Zapopan"})
    assert len(seen) == 0 and again.rows == zapopan.rows
    other, _ = get(client, obras, {"f.Municipio": "Guadalajara"})
    assert [row[1] for row in zapopan.rows] == ["Zapopan", "Zapopan"]
    assert [row[1] for row in other.rows] == ["Guadalajara"]
    # A write through the API (which appends an audit entry) is on the next anonymous view.
    editor = PublisherMemberFactory(publisher=obras.dataset.publisher).user
    response = Client().post(
        "/api/3/action/datastore_upsert",
        json.dumps(
            {
                "resource_id": str(obras.uuid),
                "method": "insert",
                "records": [{"Municipio": "Zapopan", "Obra": "Parque lineal", "Año": 2019}],
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=Token.objects.create(user=editor).key,
    )
    assert response.status_code == 200, response.content
    fresh, html = get(client, obras, {"f.Municipio": "Zapopan"})
    assert [row[2] for row in fresh.rows][-1] == "Parque lineal"
    assert "Filas 1–3 de 3" in html
