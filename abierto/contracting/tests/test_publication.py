from __future__ import annotations

import http.server
import threading
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from abierto.contracting import packaging, services, standard
from abierto.contracting.demo import load_demo
from abierto.contracting.models import Import, Record, Release
from abierto.contracting.tests.conftest import JALISCO, SAMPLES, run

OCID = "ocds-xs1qbl-SFIN-03-0007-00-2017"


@pytest.fixture
def loaded(jalisco):
    for path in sorted((JALISCO / "release-packages").glob("*.json")):
        run(jalisco, path)
    return jalisco


def _valid(data, schema_name):
    errors = list(standard.validator(schema_name).iter_errors(data))
    assert not errors, [e.message for e in errors[:3]]


def test_per_ocid_release_package_validates(client, loaded):
    data = client.get(reverse("contracting:ocid_releases", args=[OCID])).json()
    assert len(data["releases"]) == 5
    assert data["version"] == "1.1"
    _valid(data, "release-package-schema.json")


def test_per_ocid_record_package_validates_with_and_without_versioned_release(client, loaded):
    url = reverse("contracting:ocid_record", args=[OCID])
    data = client.get(url).json()
    assert data["records"][0]["compiledRelease"]["tag"] == ["compiled"]
    assert len(data["records"][0]["releases"]) == 5
    _valid(data, "record-package-schema.json")
    versioned = client.get(url, {"versioned": "1"}).json()
    assert "versionedRelease" in versioned["records"][0]
    _valid(versioned, "record-package-schema.json")
    linked = client.get(data["records"][0]["releases"][0]["url"]).json()
    assert linked["releases"][0]["ocid"] == OCID


def test_linked_releases_carry_each_releases_own_date_and_the_list_costs_fixed_queries(
    client, loaded, settings
):
    data = client.get(reverse("contracting:ocid_record", args=[OCID])).json()
    expected = [
        (r.data["date"], r.tags) for r in Release.objects.for_ocid(OCID).only("data", "tags")
    ]
    assert [(r["date"], r["tag"]) for r in data["records"][0]["releases"]] == expected
    counts = []
    for size in (1, 3):
        settings.CONTRACTING_PAGE_SIZE = size
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("contracting:records")).json()
        assert len(page["records"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    _valid(page, "record-package-schema.json")


def test_the_record_endpoint_answers_the_package_the_models_build(client, loaded, rf):
    # The endpoint splices the stored JSON into its answer; the package must be the one
    # built from the models (packaging.record), in two statements.
    url = reverse("contracting:ocid_record", args=[OCID])
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer["Content-Type"] == "application/json"
    assert sum("contracting_" in q["sql"] for q in queries) == 2
    request = rf.get(url)
    rec = Record.objects.select_related("publisher").get(ocid=OCID)
    release_url = lambda r: request.build_absolute_uri(  # noqa: E731
        reverse("contracting:release", args=[r.pk])
    )
    expected = packaging.record_package(
        request.build_absolute_uri(), [packaging.record(rec, release_url)], rec.publisher
    )
    data = answer.json()
    assert data.pop("publishedDate") and expected.pop("publishedDate")
    assert data == expected


def test_cached_packages_change_as_soon_as_an_import_adds_a_release(
    client, jalisco, settings, tmp_path
):
    settings.PAGE_CACHE_SECONDS = 600
    paths = sorted((JALISCO / "release-packages").glob(f"{OCID}-*.json"))
    for path in paths[:-1]:
        run(jalisco, path)
    url = reverse("contracting:ocid_record", args=[OCID])
    before = client.get(url).json()["records"][0]["releases"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).json()["records"][0]["releases"] == before
    assert len(queries) == 1  # the content version: the package came from the cache
    run(jalisco, paths[-1])
    after = client.get(url).json()["records"][0]["releases"]
    assert len(after) == len(before) + 1


def test_unknown_ocid_is_404(client, db):
    assert client.get(reverse("contracting:ocid_record", args=["ocds-nada-1"])).status_code == 404


def test_since_paging_returns_every_release_once(client, settings, gacm):
    settings.CONTRACTING_PAGE_SIZE = 40
    run(gacm, SAMPLES / "mexico-gacm-naicm-release-package-ocds10.json")
    seen, url, pages = [], reverse("contracting:releases") + "?since=2016-01-01", 0
    while url:
        data = client.get(url).json()
        seen += [(r["ocid"], r["id"]) for r in data["releases"]]
        url = data.get("links", {}).get("next")
        pages += 1
    expected = set(
        Release.objects.filter(date__gte="2016-01-01T00:00:00Z").values_list("ocid", "release_id")
    )
    assert len(seen) == len(set(seen)) == len(expected) > 40
    assert set(seen) == expected
    assert pages == -(-len(expected) // 40)
    # GACM's own data has schema errors, so only the paging is checked here.
    records = client.get(reverse("contracting:records"), {"page": 1}).json()
    assert records["links"]["next"].endswith("page=2")


def test_a_bad_since_is_a_clear_400(client, db):
    response = client.get(reverse("contracting:releases"), {"since": "ayer"})
    assert response.status_code == 400
    assert "since" in response.json()["error"]


def test_process_json_shows_marks(client, inai):
    run(inai, SAMPLES / "mexico-inai-release-package.json")
    release = Release.objects.filter(validity="errors").first()
    data = client.get(reverse("contracting:ocid_process", args=[release.ocid])).json()
    assert data["releases"][0]["validity"] == "errors"
    assert data["releases"][0]["issues"]


def test_import_page_for_staff_shows_grouped_issues(client, stl_staff, inai, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(stl_staff)
    with open(SAMPLES / "mexico-inai-release-package.json", "rb") as fh:
        response = client.post(
            reverse("contracting:import_new"), {"publisher": inai.pk, "file": fh}
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'data-status="done"' in page.content
    assert b"schema_" in page.content
    assert b'http-equiv="refresh"' not in page.content


def test_anonymous_cannot_see_import_pages(client, db):
    response = client.get(reverse("contracting:import_new"))
    assert response.status_code == 302


@pytest.fixture
def http_server():
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(SAMPLES))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_import_by_url_fetches_the_configured_endpoint(cdmx, http_server, settings):
    settings.CONTRACTING_ALLOW_PRIVATE_URLS = True
    services.publisher_save(
        actor=None, publisher=cdmx, endpoint_url=http_server + "mexico-cdmx-release-package.json"
    )
    import_ = services.import_create(actor=None, publisher=cdmx, source=Import.Source.URL)
    import_ = services.import_run(import_id=import_.pk)
    assert import_.status == Import.Status.DONE, import_.error
    assert import_.releases_stored == 12


def test_a_private_url_is_refused(cdmx, http_server):
    services.publisher_save(
        actor=None, publisher=cdmx, endpoint_url=http_server + "mexico-cdmx-release-package.json"
    )
    import_ = services.import_create(actor=None, publisher=cdmx, source=Import.Source.URL)
    import_ = services.import_run(import_id=import_.pk)
    assert import_.status == Import.Status.FAILED
    assert "privada" in import_.error
    assert Release.objects.count() == 0


def test_demo_loads_jalisco_and_is_idempotent(db):
    root = JALISCO.parent
    first = load_demo(root)
    # 10 releases, plus the compiled releases of the 10 record packages (linked releases only).
    assert first["contracting.Release", "created"] == 20
    second = load_demo(root)
    assert second.changed == 0
    assert Release.objects.count() == 20
