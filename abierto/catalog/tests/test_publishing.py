"""Publishing on the web: who may, the forms' checks, uploads, edits and deletions.

Only a publisher's members (and the portal's data team) write its datasets; a refused
request changes nothing, and neither does a form with errors or a disguised file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from abierto.catalog.factories import (
    DatasetFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
    ThemeFactory,
)
from abierto.catalog.models import Dataset, Resource
from abierto.core.factories import UserFactory
from abierto.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def health():
    return PublisherFactory(name="salud", title="Secretaría de Salud")


@pytest.fixture
def dataset(health):
    return DatasetFactory(name="camas", title="Camas hospitalarias", publisher=health)


@pytest.fixture
def resource(dataset):
    return ResourceFactory(dataset=dataset, url="https://salud.example/camas.csv")


@pytest.fixture
def member(health):
    return PublisherMemberFactory(publisher=health, user=UserFactory(username="editora")).user


def people(health) -> dict:
    team = UserFactory(username="equipo-datos")
    team.user_permissions.add(Permission.objects.get(codename="change_dataset"))
    return {
        "anonymous": None,
        "citizen": UserFactory(username="ciudadana"),
        "other_publisher": PublisherMemberFactory(publisher=PublisherFactory()).user,
        "member": PublisherMemberFactory(publisher=health).user,
        "data_team": team,
    }


def state() -> tuple:
    """Everything a refused or invalid request must leave as it was."""
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return (
        list(Dataset.objects.values_list("name", "title", "state").order_by("pk")),
        list(Resource.objects.values_list("title", "url", "file", "state").order_by("pk")),
        AuditEntry.objects.count(),
        files,
    )


EXPECTED = {
    "anonymous": 302,
    "citizen": 403,
    "other_publisher": 403,
    "member": 200,
    "data_team": 200,
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_the_publishing_permission_matrix(client, health, dataset, resource, who):
    user = people(health)[who]
    if user is not None:
        client.force_login(user)
    pages = [
        reverse("catalog:dataset_create", kwargs={"name": "salud"}),
        reverse("catalog:dataset_edit", kwargs={"name": "camas"}),
        reverse("catalog:dataset_delete", kwargs={"name": "camas"}),
        reverse("catalog:resource_create", kwargs={"name": "camas"}),
        reverse("catalog:resource_edit", kwargs={"name": "camas", "resource": resource.uuid}),
        reverse("catalog:resource_delete", kwargs={"name": "camas", "resource": resource.uuid}),
    ]
    before = state()
    for url in pages:
        response = client.get(url)
        assert response.status_code == EXPECTED[who], url
        if who == "anonymous":
            assert response["Location"].startswith(reverse("login") + "?next=")
        if EXPECTED[who] != 200:
            # A refused POST is refused the same way and changes nothing.
            assert client.post(url, {"title": "Cambiado"}).status_code == EXPECTED[who]
    assert state() == before


def test_a_member_creates_a_dataset_with_tags_themes_and_the_default_licence(
    client, health, member
):
    theme = ThemeFactory(name="salud", title="Salud")
    client.force_login(member)
    form = client.get(reverse("catalog:dataset_create", kwargs={"name": "salud"})).content.decode()
    assert 'type="checkbox" name="themes"' in form
    assert '<option value="libre-uso-mx" selected>' in form
    response = client.post(
        reverse("catalog:dataset_create", kwargs={"name": "salud"}),
        {
            "name": "vacunas-2018",
            "title": "Vacunas aplicadas 2018",
            "description": "Dosis aplicadas por municipio.",
            "tags": "vacunas, salud pública , vacunas,",
            "themes": [theme.pk],
            "licence": "libre-uso-mx",
            "accrual_periodicity": "R/P1M",
            "temporal_start": "2018-01-01",
            "temporal_end": "2018-12-31",
            "state": "active",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "catalog:resource_create", kwargs={"name": "vacunas-2018"}
    )
    dataset = Dataset.objects.get(name="vacunas-2018")
    assert dataset.publisher == health and dataset.licence.key == "libre-uso-mx"
    assert sorted(dataset.tags.values_list("name", flat=True)) == ["salud pública", "vacunas"]
    assert list(dataset.themes.all()) == [theme]
    assert dataset.contact_name == "Secretaría de Salud"
    entry = AuditEntry.objects.get(verb="dataset_save")
    assert entry.actor == member and entry.before is None


def test_form_errors_are_shown_per_field_in_spanish_and_nothing_is_saved(client, health, member):
    DatasetFactory(name="ya-existe", publisher=health)
    client.force_login(member)
    before = state()
    response = client.post(
        reverse("catalog:dataset_create", kwargs={"name": "salud"}),
        {
            "name": "Con Acentos ñ",
            "title": "",
            "description": "Algo.",
            "licence": "libre-uso-mx",
            "accrual_periodicity": "",
            "temporal_start": "2018-12-31",
            "temporal_end": "2018-01-01",
            "contact_email": "no-es-correo",
            "state": "active",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Revise los datos del formulario" in page
    assert "minúsculas sin acentos" in page
    assert "Título: Este campo es requerido." in page
    assert "La cobertura temporal no puede terminar antes de empezar." in page
    assert "Introduzca una dirección de correo electrónico válida." in page
    assert 'id="id_temporal_end_error"' in page
    response = client.post(
        reverse("catalog:dataset_create", kwargs={"name": "salud"}),
        {
            "name": "ya-existe",
            "title": "Duplicado",
            "description": "Algo.",
            "licence": "libre-uso-mx",
            "accrual_periodicity": "R/P1M",
            "state": "active",
        },
    )
    assert "Ya existe" in response.content.decode()
    assert state() == before


def test_an_uploaded_file_becomes_a_resource_with_its_checksum(client, dataset, member):
    client.force_login(member)
    content = b"municipio,camas\nZapopan,1200\n"
    response = client.post(
        reverse("catalog:resource_create", kwargs={"name": "camas"}),
        {
            "title": "Camas 2018",
            "upload": SimpleUploadedFile("camas 2018.csv", content),
            "data_dictionary": "municipio: nombre del municipio\ncamas: camas censables",
        },
    )
    resource = Resource.objects.get(title="Camas 2018")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "catalog:resource", kwargs={"name": "camas", "resource": resource.uuid}
    )
    assert resource.format == "CSV" and resource.size == len(content)
    assert resource.file.read() == content
    assert resource.data_dictionary[1] == {"id": "camas", "info": {"notes": "camas censables"}}
    page = client.get(response["Location"]).content.decode()
    assert "<td>Zapopan</td><td>1200</td>" in page and "camas censables" in page


def test_a_disguised_upload_is_refused_with_a_message_and_nothing_is_saved(client, dataset, member):
    client.force_login(member)
    before = state()
    response = client.post(
        reverse("catalog:resource_create", kwargs={"name": "camas"}),
        {"title": "Hoja", "upload": SimpleUploadedFile("hoja.xlsx", b"MZ\x90\x00 un programa")},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "El contenido de «hoja.xlsx» no corresponde a un archivo XLSX." in page
    assert state() == before


def test_a_resource_needs_a_file_or_a_link_but_not_both(client, dataset, member):
    client.force_login(member)
    url = reverse("catalog:resource_create", kwargs={"name": "camas"})
    page = client.post(url, {"title": "Nada"}).content.decode()
    assert "Cargue un archivo o indique un enlace." in page
    page = client.post(
        url,
        {
            "title": "Ambos",
            "url": "https://salud.example/a.csv",
            "upload": SimpleUploadedFile("a.csv", b"a\n1\n"),
        },
    ).content.decode()
    assert "no ambos" in page
    assert not Resource.objects.filter(title__in=["Nada", "Ambos"]).exists()
    response = client.post(url, {"title": "Enlace", "url": "https://salud.example/a.xlsx"})
    assert response.status_code == 302
    link = Resource.objects.get(title="Enlace")
    assert link.format == "XLSX" and not link.is_upload


def test_editing_keeps_the_name_and_records_the_change_in_the_history(client, dataset, member):
    client.force_login(member)
    url = reverse("catalog:dataset_edit", kwargs={"name": "camas"})
    form = client.get(url).content.decode()
    assert 'name="name"' not in form  # the address never changes
    assert 'value="Camas hospitalarias"' in form
    response = client.post(
        url,
        {
            "title": "Camas censables",
            "description": dataset.description,
            "licence": "cc-by-4.0",
            "accrual_periodicity": dataset.accrual_periodicity,
            "tags": "camas",
            "state": "active",
            "private": "on",
        },
    )
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert (dataset.title, dataset.licence.key, dataset.private) == (
        "Camas censables",
        "cc-by-4.0",
        True,
    )
    history = client.get(reverse("catalog:dataset_history", kwargs={"name": "camas"})).content
    assert "<del>Camas hospitalarias</del>" in history.decode()


def test_replacing_a_file_keeps_its_download_address(client, dataset, member):
    client.force_login(member)
    client.post(
        reverse("catalog:resource_create", kwargs={"name": "camas"}),
        {"title": "Camas", "upload": SimpleUploadedFile("camas.csv", b"a,b\n1,2\n")},
    )
    resource = Resource.objects.get(title="Camas")
    download = reverse(
        "catalog:resource_download", kwargs={"name": "camas", "resource": resource.uuid}
    )
    response = client.post(
        reverse("catalog:resource_edit", kwargs={"name": "camas", "resource": resource.uuid}),
        {"title": "Camas", "upload": SimpleUploadedFile("camas.xlsx", b"PK\x03\x04 libro")},
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.format == "XLSX"
    assert b"".join(client.get(download).streaming_content) == b"PK\x03\x04 libro"


def test_deleting_a_dataset_and_a_resource_asks_first_then_keeps_their_history(
    client, dataset, resource, member
):
    client.force_login(member)
    resource_delete = reverse(
        "catalog:resource_delete", kwargs={"name": "camas", "resource": resource.uuid}
    )
    assert "¿Eliminar el recurso" in client.get(resource_delete).content.decode()
    assert client.post(resource_delete).status_code == 302
    resource.refresh_from_db()
    assert resource.state == Dataset.State.DELETED
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert "Este conjunto aún no tiene recursos." in page
    dataset_delete = reverse("catalog:dataset_delete", kwargs={"name": "camas"})
    assert "¿Eliminar el conjunto" in client.get(dataset_delete).content.decode()
    response = client.post(dataset_delete)
    assert response["Location"] == reverse("catalog:my_datasets")
    client.logout()
    assert client.get(dataset.get_absolute_url()).status_code == 410
    assert AuditEntry.objects.filter(verb__in=["dataset_delete", "resource_delete"]).count() == 2


def test_my_datasets_lists_the_private_ones_and_drafts_of_my_publishers(client, health, member):
    DatasetFactory(publisher=health, title="Publicado")
    DatasetFactory(publisher=health, title="Privado", private=True)
    DatasetFactory(publisher=health, title="En borrador", state=Dataset.State.DRAFT)
    DatasetFactory(publisher=health, title="Eliminado", state=Dataset.State.DELETED)
    DatasetFactory(title="De otra dependencia")
    client.force_login(member)
    page = client.get(reverse("catalog:my_datasets")).content.decode()
    for title in ("Publicado", "Privado", "En borrador"):
        assert title in page
    assert "Eliminado" not in page and "De otra dependencia" not in page
    assert "Nuevo conjunto de Secretaría de Salud" in page
    client.force_login(UserFactory())
    page = client.get(reverse("catalog:my_datasets")).content.decode()
    assert "no pertenece a ninguna dependencia publicadora" in page


def test_a_post_without_the_csrf_token_is_refused(health, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(
        reverse("catalog:dataset_create", kwargs={"name": "salud"}),
        {"name": "x", "title": "X", "description": "X", "accrual_periodicity": "R/P1M"},
    )
    assert response.status_code == 403
    assert not Dataset.objects.filter(name="x").exists()


def test_my_datasets_runs_the_same_queries_for_few_or_many(client, health, member):
    client.force_login(member)
    url = reverse("catalog:my_datasets")
    for _ in range(2):
        ResourceFactory(dataset=DatasetFactory(publisher=health, private=True))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(15):
        ResourceFactory(dataset=DatasetFactory(publisher=health, tags=[f"t{n}"]))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries) <= 15


def test_a_publisher_member_gets_an_api_key_that_the_ckan_api_accepts_until_replaced(
    client, health, member
):
    client.force_login(member)
    assert "Aún no tiene una clave de API" in client.get(reverse("catalog:my_datasets")).text
    client.post(reverse("catalog:api_token"))
    first = Token.objects.get(user=member).key
    page = client.get(reverse("catalog:my_datasets")).text
    assert first in page
    create = {"name": "con-clave", "title": "Con clave", "notes": "Creado por un script."}
    create |= {"owner_org": health.name, "accrual_periodicity": "R/P1M"}
    api = Client()
    answer = api.post(
        "/api/3/action/package_create",
        create,
        content_type="application/json",
        **{"HTTP_AUTHORIZATION": first},
    )
    assert answer.json()["success"], answer.json()
    client.post(reverse("catalog:api_token"))
    second = Token.objects.get(user=member).key
    assert second != first
    refused = api.post(
        "/api/3/action/package_patch",
        {"id": "con-clave", "title": "Otra"},
        content_type="application/json",
        HTTP_AUTHORIZATION=first,
    )
    assert refused.status_code == 403
    assert Dataset.objects.get(name="con-clave").title == "Con clave"


def test_only_people_who_publish_can_get_an_api_key(client):
    client.force_login(UserFactory())
    assert client.post(reverse("catalog:api_token")).status_code == 403
    assert not Token.objects.exists()
    client.logout()
    assert client.post(reverse("catalog:api_token")).status_code == 302
    assert not Token.objects.exists()
