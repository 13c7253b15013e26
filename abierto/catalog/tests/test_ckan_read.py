"""The CKAN Action API's read side: the contract ckanapi and harvesters rely on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from abierto.catalog import ckan, services
from abierto.catalog.factories import (
    DatasetFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
    ThemeFactory,
)
from abierto.core import fast_json

pytestmark = pytest.mark.django_db
FIXTURE = Path(__file__).resolve().parent / "files" / "birmingham_package_search.json"


def call(client, action: str, *, method: str = "get", prefix: str = "/api/3", **params):
    if method == "get":
        return client.get(f"{prefix}/action/{action}", params)
    return client.post(
        f"{prefix}/action/{action}", json.dumps(params), content_type="application/json"
    )


def result(response):
    body = response.json()
    assert body["success"] is True, body
    return body["result"]


@pytest.fixture
def salud(db):
    return PublisherFactory(name="salud", title="Secretaría de Salud")


@pytest.fixture
def camas(salud):
    theme = ThemeFactory(name="salud-publica", title="Salud pública")
    dataset = DatasetFactory(
        name="camas",
        title="Camas hospitalarias",
        publisher=salud,
        tags=["hospitales", "camas"],
        themes=[theme],
        extras={"fuente": "Censo"},
    )
    ResourceFactory(dataset=dataset, title="Camas 2024", format="CSV")
    return dataset


def test_a_package_has_every_key_a_real_ckan_gives(client, camas):
    real = json.loads(FIXTURE.read_text())["result"]["results"]
    package = result(call(client, "package_show", id="camas"))
    assert {key for p in real for key in p} <= set(package)
    assert {k for p in real for r in p["resources"] for k in r} <= set(package["resources"][0])
    assert {k for p in real for k in p["organization"]} <= set(package["organization"])
    assert {k for p in real for t in p["tags"] for k in t} <= set(package["tags"][0])
    assert {k for p in real for g in p["groups"] for k in g} <= set(package["groups"][0])
    assert package["license_id"] == "libre-uso-mx" and package["isopen"] is True
    assert package["owner_org"] == str(camas.publisher.uuid)
    assert package["num_resources"] == 1 and package["num_tags"] == 2
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["identifier"] == "camas" and extras["fuente"] == "Censo"
    assert extras["frequency"] == "R/P1M"
    assert package["creator_user_id"] is None


def test_the_envelope_content_type_and_help_are_ckans(client, camas):
    response = call(client, "package_show", id=str(camas.uuid))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert set(body) == {"help", "success", "result"}
    assert body["help"] == "http://testserver/api/3/action/help_show?name=package_show"


@pytest.mark.parametrize("prefix", ["/api", "/api/1", "/api/2", "/api/3"])
def test_every_api_version_path_answers_without_redirecting(client, camas, prefix):
    for path in (f"{prefix}/action/package_list", f"{prefix}/action/package_list/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json()["result"] == ["camas"]
    posted = client.post(f"{prefix}/action/package_show", {"id": "camas"})
    assert result(posted)["name"] == "camas"


def test_post_bodies_may_be_json_a_form_or_the_legacy_single_key(client, camas):
    assert result(call(client, "package_show", method="post", id="camas"))["name"] == "camas"
    form = client.post("/api/action/package_show", {"id": "camas"})
    assert result(form)["name"] == "camas"
    legacy = client.post(
        "/api/action/package_show",
        json.dumps({"id": "camas"}) + "=",
        content_type="application/x-www-form-urlencoded",
    )
    assert result(legacy)["name"] == "camas"


def test_an_unknown_action_is_a_bad_request_with_a_plain_string(client):
    response = client.get("/api/3/action/package_frobnicate")
    assert response.status_code == 400
    assert response.json() == "Bad request - Action name not known: package_frobnicate"
    for path in ("/api/3/action", "/api/action/"):
        assert client.get(path).status_code == 400  # never a redirect
    assert client.get("/api/3").json() == {"version": 3}


def test_broken_json_is_a_bad_request_that_says_so(client):
    response = client.post("/api/3/action/package_show", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json().startswith("Bad request - JSON Error: Error decoding JSON data")
    listed = client.post("/api/3/action/package_show", "[1]", content_type="application/json")
    assert "needs to be a dictionary" in listed.json()


def test_a_write_action_by_get_is_refused_with_ckans_message(client, camas):
    response = client.get("/api/3/action/package_delete", {"id": "camas"})
    assert response.status_code == 400
    assert response.json() == (
        "Bad request - JSON Error: Invalid request. Please use POST method for your request"
    )
    camas.refresh_from_db()
    assert camas.state == "active"


def test_errors_carry_ckans_type_and_status(client, camas, salud):
    DatasetFactory(name="oculto", publisher=salud, private=True)
    missing = call(client, "package_show", id="no-existe")
    assert missing.status_code == 404
    assert missing.json()["success"] is False
    assert missing.json()["error"]["__type"] == "Not Found Error"
    assert missing.json()["error"]["message"].startswith("Not found: ")
    private = call(client, "package_show", id="oculto")
    assert (private.status_code, private.json()["error"]["__type"]) == (
        403,
        "Authorization Error",
    )
    bad_fq = call(client, "package_search", fq="organization:(salud")
    assert bad_fq.status_code == 400
    assert bad_fq.json()["error"]["__type"] == "Search Query Error"
    assert "Search Query is invalid: " in bad_fq.json()["error"]["message"]
    bad_rows = call(client, "package_search", rows="muchas")
    assert bad_rows.status_code == 409
    assert bad_rows.json()["error"] == {
        "__type": "Validation Error",
        "rows": ["Debe ser un número entero."],
    }
    missing_id = call(client, "package_show")
    assert (missing_id.status_code, list(missing_id.json()["error"])) == (
        409,
        ["__type", "id"],
    )


def test_jsonp_wraps_a_get_and_never_acts_as_the_keys_owner(client, salud):
    DatasetFactory(name="oculto", publisher=salud, private=True)
    editor = PublisherMemberFactory(publisher=salud).user
    key = Token.objects.create(user=editor).key
    response = client.get(
        "/api/3/action/package_show", {"id": "oculto", "callback": "cb"}, HTTP_X_CKAN_API_KEY=key
    )
    assert response["Content-Type"].startswith("application/json")  # errors are not wrapped
    assert response.status_code == 403
    listed = client.get("/api/3/action/package_list", {"callback": "miFuncion"})
    assert listed["Content-Type"] == "application/javascript;charset=utf-8"
    text = listed.content.decode()
    assert text.startswith("miFuncion(") and text.endswith(");")
    assert json.loads(text[len("miFuncion(") : -2])["result"] == []
    assert client.get("/api/3/action/package_list", {"callback": "a<b"}).status_code == 400


def test_api_json_keeps_big_integers_accents_and_the_datetime_form():
    # orjson writes the answers; what it refuses falls back to the standard library, and
    # datetimes keep the form clients have been reading.
    body = {
        "n": 2**70,
        "nombre": "Tlaquepaque, Jalisco – Año 2018",
        "cuando": dt.datetime(2018, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    }
    assert json.loads(fast_json.dumps(body)) == {
        "n": 2**70,
        "nombre": "Tlaquepaque, Jalisco – Año 2018",
        "cuando": "2018-01-02 03:04:05+00:00",
    }
    assert "Año".encode() in fast_json.dumps(body)
    assert json.loads(fast_json.dumps({1: "uno"})) == {"1": "uno"}


def test_package_search_answers_count_results_sort_and_both_facet_shapes(client, salud):
    educacion = PublisherFactory(name="educacion", title="Secretaría de Educación")
    for n in range(3):
        DatasetFactory(title=f"Hospitales {n}", publisher=salud, tags=["zeta"])
    DatasetFactory(title="Hospitales escolares", publisher=educacion, tags=["alfa"])
    found = result(
        call(
            client,
            "package_search",
            q="hospital",
            **{"facet.field": '["organization", "tags"]', "rows": "2"},
        )
    )
    assert found["count"] == 4 and len(found["results"]) == 2
    assert found["sort"] == "score desc, metadata_modified desc"
    assert found["facets"] == {
        "organization": {"salud": 3, "educacion": 1},
        "tags": {"zeta": 3, "alfa": 1},
    }
    items = found["search_facets"]["tags"]["items"]
    assert [i["name"] for i in items] == ["alfa", "zeta"]  # by display name, as CKAN
    assert found["search_facets"]["organization"]["title"] == "organization"
    unfaceted = result(call(client, "package_search"))
    assert unfaceted["facets"] == {} and unfaceted["search_facets"] == {}


def test_package_search_takes_fq_fq_list_facet_limit_and_caps_rows(client, salud, monkeypatch):
    for n in range(4):
        DatasetFactory(name=f"s{n}", publisher=salud, tags=[f"t{n}", "comun"])
    DatasetFactory(name="otro")
    found = result(
        call(
            client,
            "package_search",
            fq="organization:salud",
            fq_list=["-name:s0", "tags:comun"],
            sort="name desc",
            **{"facet.field": ["tags"], "facet.limit": "-1"},
        )
    )
    assert [r["name"] for r in found["results"]] == ["s3", "s2", "s1"]
    assert len(found["facets"]["tags"]) == 4
    monkeypatch.setattr(ckan, "ROWS_MAX", 2)
    capped = result(call(client, "package_search", rows="500"))
    assert len(capped["results"]) == 2 and capped["count"] == 5
    fields = result(call(client, "package_search", fl="name,id", rows="1"))
    assert set(fields["results"][0]) == {"name", "id"}


def test_include_private_shows_a_publishers_own_private_datasets_to_its_key(client, salud):
    DatasetFactory(name="publico", publisher=salud)
    DatasetFactory(name="privado", publisher=salud, private=True)
    key = Token.objects.create(user=PublisherMemberFactory(publisher=salud).user).key
    anonymous = result(call(client, "package_search", include_private="true"))
    assert [r["name"] for r in anonymous["results"]] == ["publico"]
    own = client.get(
        "/api/3/action/package_search", {"include_private": "true"}, HTTP_AUTHORIZATION=key
    )
    assert sorted(r["name"] for r in result(own)["results"]) == ["privado", "publico"]
    without_flag = client.get("/api/3/action/package_search", HTTP_AUTHORIZATION=key)
    assert [r["name"] for r in result(without_flag)["results"]] == ["publico"]


def test_a_keyed_request_is_never_served_from_nor_stored_in_the_page_cache(client, salud, settings):
    settings.PAGE_CACHE_SECONDS = 600
    DatasetFactory(name="publico", publisher=salud)
    DatasetFactory(name="privado", publisher=salud, private=True)
    key = Token.objects.create(user=PublisherMemberFactory(publisher=salud).user).key
    path = "/api/3/action/package_search?include_private=true"

    def names(response) -> list[str]:
        return sorted(r["name"] for r in result(response)["results"])

    assert names(client.get(path)) == ["publico"]  # stored for anonymous visitors
    assert names(client.get(path, HTTP_X_CKAN_API_KEY=key)) == ["privado", "publico"]
    other = "/api/3/action/package_search?include_private=true&rows=5"
    assert names(client.get(other, HTTP_X_CKAN_API_KEY=key)) == ["privado", "publico"]
    assert names(client.get(other)) == ["publico"]  # the keyed answer was not stored


def test_package_list_pages_public_names(client, salud):
    for name in ("c", "a", "b"):
        DatasetFactory(name=f"{name}-conjunto", publisher=salud)
    DatasetFactory(name="z-privado", private=True)
    assert result(call(client, "package_list")) == ["a-conjunto", "b-conjunto", "c-conjunto"]
    assert result(call(client, "package_list", limit=1, offset=1)) == ["b-conjunto"]


def test_organization_list_counts_only_public_datasets_in_one_query(
    client, salud, django_assert_max_num_queries
):
    educacion = PublisherFactory(name="educacion", title="Educación")
    PublisherFactory(name="vacia", title="Vacía")
    DatasetFactory(publisher=salud)
    DatasetFactory(publisher=salud)
    DatasetFactory(publisher=salud, private=True)
    DatasetFactory(publisher=educacion)
    assert result(call(client, "organization_list")) == ["educacion", "salud", "vacia"]
    with django_assert_max_num_queries(3):
        full = result(
            call(client, "organization_list", all_fields="true", sort="package_count desc")
        )
    assert [(o["name"], o["package_count"]) for o in full] == [
        ("salud", 2),
        ("educacion", 1),
        ("vacia", 0),
    ]
    assert full[0]["jurisdiction"] == "14" and full[0]["users"] == []
    assert result(call(client, "organization_list", limit=1, offset=1)) == ["salud"]
    for _ in range(20):
        DatasetFactory(publisher=PublisherFactory())
    with django_assert_max_num_queries(3):
        assert len(result(call(client, "organization_list", all_fields="true"))) == 23


def test_organization_and_group_show_count_and_list_datasets(client, camas):
    shown = result(call(client, "organization_show", id="salud", include_datasets="true"))
    assert shown["package_count"] == 1 and shown["is_organization"] is True
    assert [p["name"] for p in shown["packages"]] == ["camas"]
    by_id = result(call(client, "organization_show", id=str(camas.publisher.uuid)))
    assert by_id["name"] == "salud" and "packages" not in by_id
    group = result(call(client, "group_show", id="salud-publica"))
    assert (group["title"], group["package_count"], group["type"]) == ("Salud pública", 1, "group")
    assert result(call(client, "group_list")) == ["salud-publica"]
    assert call(client, "group_show", id="nada").status_code == 404


def test_tag_list_resource_show_and_the_site_actions(client, camas):
    DatasetFactory(private=True, tags=["secreto"])
    assert result(call(client, "tag_list")) == ["camas", "hospitales"]
    assert result(call(client, "tag_list", query="hosp")) == ["hospitales"]
    assert result(call(client, "tag_list", all_fields="true"))[0]["name"] == "camas"
    resource = camas.resources.get()
    shown = result(call(client, "resource_show", id=str(resource.uuid)))
    assert (shown["name"], shown["package_id"]) == ("Camas 2024", str(camas.uuid))
    assert call(client, "resource_show", id="x").status_code == 404
    status = result(call(client, "status_show"))
    assert status["site_url"] == "http://testserver" and status["locale_default"] == "es"
    assert result(call(client, "site_read")) is True
    assert "rows" in result(call(client, "help_show", name="package_search"))
    licences = {lic["id"]: lic for lic in result(call(client, "license_list"))}
    assert licences["libre-uso-mx"]["title"] == "Términos de Libre Uso MX"


def test_package_search_runs_the_same_queries_for_3_or_40_datasets(
    client, salud, django_assert_max_num_queries
):
    def search():
        return call(
            client,
            "package_search",
            q="indicadores",
            rows="100",
            **{"facet.field": '["organization","tags","res_format"]'},
        )

    for n in range(3):
        ResourceFactory(dataset=DatasetFactory(title=f"Indicadores {n}", tags=["a"]))
    search()
    with django_assert_max_num_queries(10):
        assert result(search())["count"] == 3
    for n in range(37):
        ResourceFactory(dataset=DatasetFactory(title=f"Indicadores {n}", tags=[f"t{n}"]))
    search()
    with django_assert_max_num_queries(10):
        assert result(search())["count"] == 40


def test_a_deleted_dataset_is_gone_for_readers_but_shown_to_its_editors(client, camas):
    services.dataset_delete(actor=None, dataset=camas)
    assert call(client, "package_show", id="camas").status_code == 404
    editor = PublisherMemberFactory(publisher=camas.publisher).user
    key = Token.objects.create(user=editor).key
    shown = client.get("/api/3/action/package_show", {"id": "camas"}, HTTP_AUTHORIZATION=key)
    assert result(shown)["state"] == "deleted"
