"""The catalog's public pages as a visitor sees them: search, publishers, themes, datasets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from abierto.catalog import services
from abierto.catalog.factories import (
    DatasetFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
    ThemeFactory,
)
from abierto.catalog.models import Dataset, Licence
from abierto.core.factories import JurisdictionFactory, UserFactory

pytestmark = pytest.mark.django_db


class Assets(HTMLParser):
    """Every address the browser would load by itself: scripts, styles, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def external_assets(html: str) -> list[str]:
    parser = Assets()
    parser.feed(html)
    return [
        url
        for url in parser.urls
        if url.startswith(("http://", "https://", "//"))
        and not url.startswith("http://testserver/")
    ]


def queries(client, url: str) -> int:
    client.get(url)  # warm what every request shares (content types, sessions)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(context.captured_queries)


@pytest.fixture
def health():
    return PublisherFactory(
        name="salud",
        title="Secretaría de Salud",
        email="datos@salud.jalisco.example",
        jurisdiction=JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco"),
    )


@pytest.fixture
def education():
    return PublisherFactory(name="educacion", title="Secretaría de Educación")


@pytest.fixture
def beds(health):
    theme = ThemeFactory(name="salud", title="Salud")
    dataset = DatasetFactory(
        name="camas-hospitalarias",
        identifier="mx-jal-salud-camas",
        title="Camas hospitalarias",
        description="Camas **censables** por hospital.<script>alert('x')</script>",
        publisher=health,
        tags=["hospitales", "camas"],
        themes=[theme],
        landing_page="https://salud.jalisco.example/camas",
        accrual_periodicity=Dataset.Periodicity.ANNUAL,
        temporal_start=dt.date(2010, 1, 1),
        temporal_end=dt.date(2018, 12, 31),
        spatial=health.jurisdiction,
        quality_notes="Cifras preliminares de 2018.",
        data_dictionary_url="https://salud.jalisco.example/camas-diccionario.csv",
    )
    ResourceFactory(
        dataset=dataset,
        title="Camas 2018",
        url="https://salud.jalisco.example/camas-2018.csv",
        format="CSV",
        size=1536,
        sha256="ab" * 32,
    )
    return dataset


def test_the_navigation_links_to_the_catalog(client):
    page = client.get("/").content.decode()
    assert 'href="/datos/"' in page
    assert "Datos abiertos" in page


def test_the_search_page_lists_results_with_publisher_excerpt_formats_and_why(client, beds):
    DatasetFactory(name="escuelas", title="Escuelas", description="Directorio de escuelas.")
    response = client.get("/datos/", {"q": "hospital"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "1 conjunto de datos" in page
    assert "Camas hospitalarias" in page and "Escuelas" not in page
    assert "Secretaría de Salud" in page
    assert "Camas censables por hospital." in page
    assert "<script>alert" not in page
    assert '<span class="format">CSV</span>' in page
    assert "Por qué aparece:" in page and "en las palabras clave" in page
    assert "Actualizado el" in page


def test_facets_narrow_the_results_and_can_be_removed(client, beds, health, education):
    DatasetFactory(name="escuelas", title="Escuelas", publisher=education)
    DatasetFactory(name="vacunas", title="Vacunas aplicadas", publisher=health)
    page = client.get("/datos/").content.decode()
    assert "3 conjuntos de datos" in page
    assert 'name="organization" value="salud"' in page
    assert 'Secretaría de Salud <span class="count">(2)</span>' in page

    page = client.get("/datos/", {"organization": "salud"}).content.decode()
    assert "2 conjuntos de datos" in page
    assert "Escuelas" not in page.split('id="resultados"')[1]
    assert 'value="salud" id="f-organization-' in page and "checked" in page
    assert "Dependencia: <strong>Secretaría de Salud</strong>" in page and "quitar" in page

    page = client.get("/datos/", {"organization": "salud", "res_format": "CSV"}).content.decode()
    assert "1 conjunto de datos" in page and "Camas hospitalarias" in page


def test_an_invalid_page_or_sort_says_so_and_still_shows_results(client, beds):
    response = client.get("/datos/", {"pagina": "dos", "sort": "precio desc"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "«dos» no es un número de página válido" in page
    assert "El orden «precio desc» no existe" in page
    assert "Camas hospitalarias" in page
    page = client.get("/datos/", {"pagina": "99"}).content.decode()
    assert "No existe la página 99: hay 1" in page
    assert "Camas hospitalarias" in page


def test_a_malformed_query_gives_a_message_not_an_error(client, beds):
    response = client.get("/datos/", {"q": "organization:(salud"})
    assert response.status_code == 200
    assert "No se pudo buscar" in response.content.decode()


def test_the_search_page_runs_the_same_queries_for_few_or_many_results(client, health):
    def add(count, start):
        for n in range(start, start + count):
            dataset = DatasetFactory(
                name=f"d-{n}", title=f"Datos {n}", publisher=health, tags=[f"t{n}"]
            )
            ResourceFactory(dataset=dataset, format="CSV")

    add(3, 0)
    few = queries(client, "/datos/?q=datos")
    add(20, 3)
    many = queries(client, "/datos/?q=datos")
    assert few == many
    assert many <= 20


def test_the_results_download_as_csv_and_json_with_every_match(client, health):
    for n in range(25):
        DatasetFactory(name=f"d-{n:02d}", title=f"Datos {n}", publisher=health)
    DatasetFactory(name="otro", title="Otro", publisher=PublisherFactory())
    response = client.get("/datos/", {"organization": "salud", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert len(rows) == 25
    assert {row["dependencia"] for row in rows} == {"Secretaría de Salud"}
    response = client.get("/datos/", {"organization": "salud", "format": "json"})
    data = json.loads(b"".join(response.streaming_content))
    assert len(data) == 25 and data[0]["api"].endswith(f"package_show?id={data[0]['nombre']}")


def test_publishers_list_counts_only_public_datasets_in_constant_queries(client, health):
    DatasetFactory(publisher=health)
    DatasetFactory(publisher=health, private=True)
    DatasetFactory(publisher=health, state=Dataset.State.DRAFT)
    DatasetFactory(publisher=health, state=Dataset.State.DELETED)
    few = queries(client, "/datos/dependencias/")
    for _ in range(15):
        DatasetFactory(publisher=PublisherFactory())
    many = queries(client, "/datos/dependencias/")
    assert few == many <= 4
    page = client.get("/datos/dependencias/").content.decode()
    row = page.split("Secretaría de Salud</a></th>")[1].split("</tr>")[0]
    assert '<td data-label="Conjuntos de datos" class="number">1</td>' in row
    assert "<caption" in page


def test_a_publishers_page_counts_its_datasets_by_theme_and_format(client, health, beds):
    other = DatasetFactory(publisher=health, title="Vacunas", themes=[ThemeFactory(name="x")])
    ResourceFactory(dataset=other, format="XLSX")
    response = client.get(reverse("catalog:publisher", kwargs={"name": "salud"}))
    page = response.content.decode()
    assert "Secretaría de Salud" in page and "clave INEGI" in page
    assert "Conjuntos por tema" in page and "Conjuntos por formato" in page
    assert '>CSV</a></th><td class="number">1</td>' in page
    assert '>XLSX</a></th><td class="number">1</td>' in page
    assert "Camas hospitalarias" in page and "Vacunas" in page


def test_a_publishers_page_runs_the_same_queries_for_few_or_many_datasets(client, health):
    theme = ThemeFactory()
    for _ in range(2):
        ResourceFactory(dataset=DatasetFactory(publisher=health, themes=[theme]))
    few = queries(client, "/datos/dependencias/salud/")
    for n in range(20):
        ResourceFactory(dataset=DatasetFactory(publisher=health, themes=[theme], tags=[f"t{n}"]))
    many = queries(client, "/datos/dependencias/salud/")
    assert few == many <= 12


def test_themes_show_their_counts_and_their_datasets(client, beds, health):
    DatasetFactory(themes=[beds.themes.get()], private=True)
    page = client.get("/datos/temas/").content.decode()
    assert "Salud" in page and "1 conjunto de datos" in page
    few = queries(client, "/datos/temas/")
    for _ in range(10):
        ThemeFactory()
    assert queries(client, "/datos/temas/") == few
    page = client.get("/datos/temas/salud/").content.decode()
    assert "Camas hospitalarias" in page
    assert "Conjuntos por dependencia" in page and "Secretaría de Salud" in page


def test_the_dataset_page_shows_every_field_of_the_guide(client, beds):
    response = client.get(reverse("catalog:dataset", kwargs={"name": "camas-hospitalarias"}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Camas hospitalarias" in page
    assert "<strong>censables</strong>" in page and "<script>alert" not in page
    for text in (
        "mx-jal-salud-camas",
        "hospitales",
        'href="/datos/temas/salud/"',
        "Secretaría de Salud",
        "mailto:datos@salud.jalisco.example",
        "https://salud.jalisco.example/camas",
        "Anual",
        "1 de enero de 2010",
        "31 de diciembre de 2018",
        "Jalisco",
        "clave INEGI",
        "<code>14</code>",
        'href="https://datos.gob.mx/libreusomx" rel="license"',
        "Términos de Libre Uso MX",
        "Cifras preliminares de 2018.",
        "camas-diccionario.csv",
        "Fecha de publicación",
        "Ver el historial de cambios",
    ):
        assert text in page, text
    # The resources table: format, size in words, checksum, permanent download address.
    assert "<caption" in page and "Camas 2018" in page
    assert "1.5\xa0KB" in page or "1,5\xa0KB" in page
    assert "ab" * 32 in page
    resource = beds.resources.get()
    assert f"/datos/conjuntos/camas-hospitalarias/recursos/{resource.uuid}/descargar/" in page
    # For programs: the CKAN API and the federation formats, also advertised in the head.
    assert "/api/3/action/package_show?id=camas-hospitalarias" in page
    head = page.split("</head>")[0]
    assert 'rel="alternate"' in head and "application/ld+json" in head


def test_private_and_draft_datasets_are_hidden_from_outsiders_and_shown_to_members(client, health):
    private = DatasetFactory(name="privado", publisher=health, private=True)
    draft = DatasetFactory(name="borrador", publisher=health, state=Dataset.State.DRAFT)
    outsider = PublisherMemberFactory(publisher=PublisherFactory()).user
    member = PublisherMemberFactory(publisher=health).user
    for dataset in (private, draft):
        url = dataset.get_absolute_url()
        assert client.get(url).status_code == 404
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        client.force_login(member)
        assert client.get(url).status_code == 200
        client.logout()
    assert "privado" not in client.get("/datos/").content.decode()


def test_a_deleted_dataset_answers_gone_with_its_history_still_linked(client, beds):
    services.dataset_delete(actor=None, dataset=beds)
    response = client.get(beds.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 410
    assert "Este conjunto de datos fue eliminado" in page
    history_url = reverse("catalog:dataset_history", kwargs={"name": beds.name})
    assert history_url in page
    assert client.get(history_url).status_code == 200
    assert client.get("/datos/no-existe/").status_code == 404


def test_the_history_shows_each_change_with_before_after_and_the_public_name(client, health):
    editor = UserFactory(first_name="Ana", last_name="Robles", email="ana@correo.example")
    dataset = services.dataset_save(
        actor=editor,
        name="escuelas",
        title="Escuelas",
        description="Directorio.",
        publisher=health,
        accrual_periodicity=Dataset.Periodicity.ANNUAL,
        tags=["educación"],
    )
    services.dataset_save(
        actor=editor,
        dataset=dataset,
        title="Escuelas públicas",
        licence=Licence.objects.get(key="cc-by-4.0"),
    )
    services.resource_save(
        actor=None, dataset=dataset, title="Directorio 2018", url="https://x.example/e.csv"
    )
    page = client.get(reverse("catalog:dataset_history", kwargs={"name": "escuelas"})).content
    page = page.decode().partition('class="timeline history"')[2]
    assert page.index("Directorio 2018") < page.index("Escuelas públicas")  # newest first
    assert "<del>Escuelas</del>" in page and "<ins>Escuelas públicas</ins>" in page
    assert "<del>Términos de Libre Uso MX</del>" in page
    assert "<ins>Creative Commons Atribución 4.0</ins>" in page
    assert "por Ana Robles" in page
    assert "ana@correo.example" not in page
    assert "educación" in page  # tags by name, not by id


def test_the_history_of_a_private_dataset_is_for_its_publisher_only(client, health):
    dataset = DatasetFactory(publisher=health, private=True)
    url = reverse("catalog:dataset_history", kwargs={"name": dataset.name})
    assert client.get(url).status_code == 404
    client.force_login(PublisherMemberFactory(publisher=health).user)
    assert client.get(url).status_code == 200


def test_the_data_team_sees_private_datasets_of_every_publisher(client, health):
    dataset = DatasetFactory(publisher=health, private=True)
    team = UserFactory()
    team.user_permissions.add(Permission.objects.get(codename="change_dataset"))
    client.force_login(team)
    assert client.get(dataset.get_absolute_url()).status_code == 200


def test_no_page_loads_anything_from_another_site(client, beds):
    resource = beds.resources.get()
    urls = [
        "/datos/",
        "/datos/?q=camas",
        "/datos/dependencias/",
        "/datos/dependencias/salud/",
        "/datos/temas/",
        "/datos/temas/salud/",
        beds.get_absolute_url(),
        reverse("catalog:dataset_history", kwargs={"name": beds.name}),
        reverse("catalog:resource", kwargs={"name": beds.name, "resource": resource.uuid}),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert external_assets(html) == [], url
        assert 'lang="es"' in html


def test_the_history_page_runs_the_same_queries_however_long_the_history(client, health):
    dataset = DatasetFactory(name="escuelas", publisher=health, tags=["a"])
    url = reverse("catalog:dataset_history", kwargs={"name": "escuelas"})

    def edit(count, start):
        for n in range(start, start + count):
            services.dataset_save(actor=UserFactory(), dataset=dataset, title=f"Escuelas {n}")
            services.resource_save(
                actor=None, dataset=dataset, title=f"R{n}", url=f"https://x.example/{n}.csv"
            )

    edit(2, 0)
    few = queries(client, url)
    edit(12, 2)
    assert queries(client, url) == few <= 12
