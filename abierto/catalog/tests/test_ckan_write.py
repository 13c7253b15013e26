"""The CKAN Action API's write side: who may write, what is validated, nothing half-done."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
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


def post(client, action: str, key: str | None = None, header: str = "HTTP_X_CKAN_API_KEY", **data):
    extra = {header: key} if key else {}
    return client.post(
        f"/api/3/action/{action}", json.dumps(data), content_type="application/json", **extra
    )


def ok(response):
    body = response.json()
    assert response.status_code == 200 and body["success"] is True, body
    return body["result"]


def failed(response, status: int, kind: str) -> dict:
    body = response.json()
    assert (response.status_code, body["success"], body["error"]["__type"]) == (
        status,
        False,
        kind,
    ), body
    return body["error"]


def key_of(user) -> str:
    return Token.objects.create(user=user).key


@pytest.fixture
def salud(db):
    return PublisherFactory(name="salud", title="Secretaría de Salud")


@pytest.fixture
def editor_key(salud):
    return key_of(PublisherMemberFactory(publisher=salud).user)


def new_package(**overrides) -> dict:
    return {
        "name": "camas",
        "title": "Camas hospitalarias",
        "notes": "Camas censables por hospital.",
        "owner_org": "salud",
        "accrual_periodicity": "R/P1Y",
        **overrides,
    }


@pytest.fixture
def team_key(db):
    user = UserFactory(username="equipo-datos")
    user.user_permissions.add(Permission.objects.get(codename="change_dataset"))
    return key_of(user)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("other_publisher", False), ("member", True), ("data_team", True)],
)
def test_only_the_publishers_members_and_the_data_team_may_create(
    client, salud, editor_key, team_key, who, allowed
):
    keys = {
        "anonymous": None,
        "other_publisher": key_of(PublisherMemberFactory().user),
        "member": editor_key,
        "data_team": team_key,
    }
    response = post(client, "package_create", keys[who], **new_package())
    if allowed:
        assert ok(response)["organization"]["name"] == "salud"
        assert Dataset.objects.filter(name="camas").exists()
    else:
        error = failed(response, 403, "Authorization Error")
        assert error["message"].startswith("Access denied: ")
        assert not Dataset.objects.exists()


@pytest.mark.parametrize("action", ["package_update", "package_patch", "package_delete"])
def test_another_publishers_member_may_not_change_or_delete(client, salud, action):
    DatasetFactory(name="camas", publisher=salud, title="Camas")
    outsider = key_of(PublisherMemberFactory().user)
    failed(post(client, action, outsider, **new_package(id="camas")), 403, "Authorization Error")
    dataset = Dataset.objects.get(name="camas")
    assert (dataset.title, dataset.state) == ("Camas", "active")


def test_the_key_is_read_from_either_header_raw_or_with_a_scheme(client, salud, editor_key):
    for n, (header, value) in enumerate(
        [
            ("HTTP_AUTHORIZATION", editor_key),
            ("HTTP_AUTHORIZATION", f"Bearer {editor_key}"),
            ("HTTP_AUTHORIZATION", f"Token {editor_key}"),
            ("HTTP_X_CKAN_API_KEY", editor_key),
        ]
    ):
        ok(post(client, "package_create", value, header, **new_package(name=f"c-{n}")))
    error = failed(post(client, "package_create", "no-es-una-clave"), 403, "Authorization Error")
    assert "clave de API" in error["message"]


def test_create_stores_the_guides_metadata_tags_groups_extras_and_resources(
    client, salud, editor_key
):
    ThemeFactory(name="salud-publica", title="Salud pública")
    created = ok(
        post(
            client,
            "package_create",
            editor_key,
            **new_package(
                tags=[{"name": "hospitales"}, {"name": "camas"}],
                groups=[{"name": "salud-publica"}],
                license_id="cc-by-4.0",
                url="https://salud.jalisco.example/camas",
                temporal_start="2020-01-01",
                temporal_end="2023-12-31",
                spatial_inegi="14",
                extras=[{"key": "fuente", "value": "Censo"}],
                resources=[
                    {"name": "Camas 2023", "url": "https://salud.example/camas-2023.csv"},
                    {"name": "Diccionario", "url": "https://salud.example/dic.json"},
                ],
            ),
        )
    )
    dataset = Dataset.objects.get(name="camas")
    assert sorted(dataset.tags.values_list("name", flat=True)) == ["camas", "hospitales"]
    assert dataset.themes.get().name == "salud-publica"
    assert (dataset.licence.key, dataset.landing_page) == (
        "cc-by-4.0",
        "https://salud.jalisco.example/camas",
    )
    assert str(dataset.temporal_start) == "2020-01-01" and dataset.spatial.inegi_code == "14"
    assert dataset.extras == {"fuente": "Censo"}
    assert dataset.contact_email == salud.email  # the institutional mailbox by default
    assert [r["format"] for r in created["resources"]] == ["CSV", "JSON"]
    assert created["spatial_inegi"] == "14"
    assert AuditEntry.objects.filter(verb="ckan_package_create").count() == 1


def test_validation_errors_name_every_field_in_ckans_terms_and_write_nothing(
    client, salud, editor_key
):
    error = failed(
        post(
            client,
            "package_create",
            editor_key,
            name="Mal Nombre",
            owner_org="salud",
            license_id="propietaria",
            issued="ayer",
        ),
        409,
        "Validation Error",
    )
    assert {"license_id", "issued"} <= set(error)
    assert "propietaria" in error["license_id"][0]
    fields = failed(
        post(client, "package_create", editor_key, name="Mal Nombre", owner_org="salud"),
        409,
        "Validation Error",
    )
    assert {"name", "title", "notes", "accrual_periodicity"} <= set(fields)
    unknown_org = failed(
        post(client, "package_create", editor_key, **new_package(owner_org="nadie")),
        409,
        "Validation Error",
    )
    assert "nadie" in unknown_org["owner_org"][0]
    assert not Dataset.objects.exists()
    assert not AuditEntry.objects.filter(verb__startswith="ckan").exists()


def test_a_refused_resource_leaves_no_dataset_behind(client, salud, editor_key):
    error = failed(
        post(
            client,
            "package_create",
            editor_key,
            **new_package(resources=[{"name": "Bien", "url": "https://x.example/a.csv"}, {}]),
        ),
        409,
        "Validation Error",
    )
    assert error["resources"][0] == {}
    assert "url" in error["resources"][1]
    assert not Dataset.objects.exists() and not Resource.objects.exists()


def test_a_duplicate_name_is_a_validation_error(client, salud, editor_key):
    DatasetFactory(name="camas", publisher=salud)
    error = failed(
        post(client, "package_create", editor_key, **new_package()), 409, "Validation Error"
    )
    assert "name" in error


def test_update_replaces_the_whole_dataset_and_its_resource_list(client, salud, editor_key):
    dataset = DatasetFactory(name="camas", publisher=salud, tags=["viejo"], version="1")
    kept = ResourceFactory(dataset=dataset, title="Se queda")
    ResourceFactory(dataset=dataset, title="Se va")
    updated = ok(
        post(
            client,
            "package_update",
            editor_key,
            **new_package(
                id=str(dataset.uuid),
                title="Camas censables",
                tags=[{"name": "nuevo"}],
                resources=[
                    {"id": str(kept.uuid), "name": "Se queda", "url": kept.url},
                    {"name": "Nuevo", "url": "https://x.example/n.csv"},
                ],
            ),
        )
    )
    assert updated["title"] == "Camas censables"
    assert [t["name"] for t in updated["tags"]] == ["nuevo"]
    assert updated["version"] == ""  # left out: cleared, as CKAN's update does
    assert [r["name"] for r in updated["resources"]] == ["Se queda", "Nuevo"]
    assert updated["resources"][0]["id"] == str(kept.uuid)
    assert Resource.objects.filter(title="Se va", state="deleted").exists()


def test_update_without_resources_keeps_them(client, salud, editor_key):
    dataset = DatasetFactory(name="camas", publisher=salud)
    ResourceFactory(dataset=dataset)
    updated = ok(post(client, "package_update", editor_key, **new_package(id="camas")))
    assert updated["num_resources"] == 1


def test_patch_changes_only_what_is_given(client, salud, editor_key):
    dataset = DatasetFactory(
        name="camas", publisher=salud, tags=["salud"], version="2", title="Camas"
    )
    ResourceFactory(dataset=dataset)
    patched = ok(post(client, "package_patch", editor_key, id="camas", title="Camas por hospital"))
    assert patched["title"] == "Camas por hospital"
    assert (patched["version"], patched["num_resources"]) == ("2", 1)
    assert [t["name"] for t in patched["tags"]] == ["salud"]
    entry = AuditEntry.objects.filter(verb="ckan_package_update").get()
    assert (entry.before["title"], entry.after["title"]) == ("Camas", "Camas por hospital")


def test_delete_hides_the_dataset_but_keeps_it(client, salud, editor_key):
    DatasetFactory(name="camas", publisher=salud)
    response = post(client, "package_delete", editor_key, id="camas")
    assert ok(response) is None
    assert Dataset.objects.get(name="camas").state == "deleted"
    assert client.get("/api/3/action/package_show", {"id": "camas"}).status_code == 404
    failed(post(client, "package_delete", editor_key, id="nada"), 404, "Not Found Error")


def test_resource_create_with_a_multipart_upload_stores_and_sums_the_file(
    client, salud, editor_key
):
    dataset = DatasetFactory(name="camas", publisher=salud)
    content = b"hospital,camas\nCivil,120\n"
    response = client.post(
        "/api/3/action/resource_create",
        {
            "package_id": "camas",
            "name": "Camas 2024",
            "upload": SimpleUploadedFile("camas 2024.csv", content, "text/csv"),
        },
        HTTP_AUTHORIZATION=editor_key,
    )
    created = ok(response)
    resource = dataset.resources.get()
    assert created["id"] == str(resource.uuid)
    assert created["url_type"] == "upload" and created["format"] == "CSV"
    assert created["hash"] == hashlib.sha256(content).hexdigest()
    assert created["size"] == len(content)
    assert created["url"].startswith("http://testserver/datos/conjuntos/camas/recursos/")
    with resource.file.open("rb") as stored:
        assert stored.read() == content


def test_a_disguised_upload_is_refused_under_upload(client, salud, editor_key):
    DatasetFactory(name="camas", publisher=salud)
    response = client.post(
        "/api/3/action/resource_create",
        {"package_id": "camas", "name": "x", "upload": SimpleUploadedFile("x.pdf", b"hola")},
        HTTP_AUTHORIZATION=editor_key,
    )
    assert "upload" in failed(response, 409, "Validation Error")
    assert not Resource.objects.exists()


def test_resource_update_patch_and_delete(client, salud, editor_key):
    dataset = DatasetFactory(name="camas", publisher=salud)
    resource = ResourceFactory(dataset=dataset, title="Viejo", description="d")
    patched = ok(
        post(client, "resource_patch", editor_key, id=str(resource.uuid), name="Nuevo título")
    )
    assert (patched["name"], patched["description"]) == ("Nuevo título", "d")
    updated = ok(
        post(
            client,
            "resource_update",
            editor_key,
            id=str(resource.uuid),
            name="Reemplazo",
            url="https://x.example/r.json",
        )
    )
    assert (updated["description"], updated["format"]) == ("", "JSON")
    assert ok(post(client, "resource_delete", editor_key, id=str(resource.uuid))) is None
    resource.refresh_from_db()
    assert resource.state == "deleted"
    outsider = key_of(PublisherMemberFactory().user)
    other = ResourceFactory(dataset=dataset)
    failed(
        post(client, "resource_delete", outsider, id=str(other.uuid)), 403, "Authorization Error"
    )
    failed(post(client, "resource_show", id="x"), 404, "Not Found Error")


def test_moving_a_dataset_needs_rights_on_both_publishers(client, salud, editor_key):
    DatasetFactory(name="camas", publisher=salud)
    PublisherFactory(name="educacion")
    failed(
        post(client, "package_patch", editor_key, id="camas", owner_org="educacion"),
        403,
        "Authorization Error",
    )
    assert Dataset.objects.get(name="camas").publisher == salud
