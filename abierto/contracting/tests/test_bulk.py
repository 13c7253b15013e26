from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tracemalloc
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from abierto.catalog.models import Dataset
from abierto.contracting import bulk, services, standard
from abierto.contracting.models import Publisher, Record, Release
from abierto.contracting.tasks import build_bulk
from abierto.contracting.tests.conftest import JALISCO, SAMPLES, run, sample
from abierto.core.factories import JurisdictionFactory, OrganizationFactory
from abierto.core.recovery import requeue_interrupted

SITE = "https://datos.jalisco.example"
PREFIX = "ocds-xs1qbl"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def loaded(jalisco):
    for path in sorted((JALISCO / "release-packages").glob("*.json")):
        run(jalisco, path)
    return jalisco


def _get(client, url, **headers):
    response = client.get(url, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def _file(client, year, name):
    return _get(client, reverse("contracting:bulk_file", args=[PREFIX, year, name]))


def _valid(data, schema_name):
    errors = list(standard.validator(schema_name).iter_errors(data))
    assert not errors, [e.message for e in errors[:3]]


def test_each_year_gets_packages_that_validate_and_files_that_agree(client, loaded):
    built = bulk.build(loaded)
    years = [data["year"] for data in built]
    assert years == bulk.years(loaded) and years
    year = years[0]
    release_count = Release.objects.filter(publisher=loaded, date__year=year).count()
    record_count = Record.objects.filter(publisher=loaded, year=year).count()
    assert release_count and record_count

    response, body = _file(client, year, "entregas.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    package = json.loads(body)
    _valid(package, "release-package-schema.json")
    assert len(package["releases"]) == release_count
    assert package["uri"] == f"{SITE}/contrataciones/descargas/{PREFIX}/{year}/entregas.json"
    assert package["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert package["publicationPolicy"] == f"{SITE}/contrataciones/politica-de-publicacion/"

    response, body = _file(client, year, "registros.json")
    records = json.loads(body)
    _valid(records, "record-package-schema.json")
    assert len(records["records"]) == record_count
    first = records["records"][0]
    stored = Record.objects.get(ocid=first["ocid"])
    assert first["compiledRelease"] == stored.compiled_release
    assert len(first["releases"]) == stored.release_count
    # Linked releases point at the release endpoint, which serves the same release.
    linked = first["releases"][0]["url"]
    assert linked.startswith(SITE + "/contrataciones/entregas/")
    assert client.get(linked.removeprefix(SITE)).json()["releases"][0]["ocid"] == first["ocid"]

    response, body = _file(client, year, "entregas.jsonl")
    assert response["Content-Type"] == "application/x-ndjson"
    lines = body.decode().splitlines()
    assert len(lines) == release_count
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in package["releases"]]


def test_the_flattened_tables_carry_the_process_and_parent_ids(client, loaded):
    year = bulk.build(loaded)[0]["year"]
    response, body = _file(client, year, "registros-csv.zip")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = set(archive.namelist())
    assert {
        "main.csv",
        "parties.csv",
        "awards.csv",
        "awards_suppliers.csv",
        "contracts.csv",
        "tender_items.csv",
        "tender_documents.csv",
        "contracts_implementation_transactions.csv",
    } <= names

    def table(name):
        return list(csv.DictReader(io.StringIO(archive.read(name).decode())))

    main = table("main.csv")
    records = Record.objects.filter(publisher=loaded, year=year)
    assert sorted(row["ocid"] for row in main) == sorted(records.values_list("ocid", flat=True))
    row = main[0]
    compiled = records.get(ocid=row["ocid"]).compiled_release
    assert row["tender/title"] == compiled.get("tender", {}).get("title", "")
    assert row["tag"] == ";".join(compiled["tag"])
    suppliers = table("awards_suppliers.csv")
    assert suppliers, "Jalisco's awards name suppliers"
    award_ids = {(r["ocid"], r["id"]) for r in table("awards.csv")}
    assert all((s["ocid"], s["awards/id"]) in award_ids for s in suppliers)
    parties = table("parties.csv")
    assert "contactPoint/name" in parties[0]
    assert not [c for c in parties[0] if "email" in c or "telephone" in c or "fax" in c]
    expected = sum(len(r.compiled_release.get("parties", [])) for r in records)
    assert len(parties) == expected

    response, body = _file(client, year, "registros.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = zipfile.ZipFile(io.BytesIO(body)).read("xl/workbook.xml").decode()
    sheets = re.findall(r'<sheet name="([^"]+)"', workbook)
    assert sheets[:4] == ["main", "parties", "parties_additionalIdentifiers", "planning_documents"]
    assert "contracts_implementation_trans" in sheets[-10:] or any(
        s.startswith("contracts_implementation_tra") for s in sheets
    )
    assert all(len(s) <= 31 for s in sheets) and len(set(sheets)) == len(sheets)


def test_downloads_page_lists_every_file_with_size_count_date_and_checksum(
    client, loaded, django_assert_max_num_queries
):
    built = bulk.build(loaded)
    services.publisher_save(actor=None, name="Otro publicador", ocid_prefix="ocds-otro01")
    with django_assert_max_num_queries(2):
        response = client.get(reverse("contracting:bulk_downloads"))
    page = response.content.decode()
    assert response.status_code == 200
    for data in built:
        for entry in data["files"]:
            assert entry["sha256"] in page
            assert f"/contrataciones/descargas/{PREFIX}/{data['year']}/{entry['name']}" in page
            assert f"({entry['size']} bytes)" in page
    assert "Este publicador aún no tiene archivos generados." in page
    assert "<caption>" in page


def test_a_download_has_validators_and_answers_304(client, loaded):
    year = bulk.build(loaded)[0]["year"]
    response, body = _file(client, year, "entregas.json")
    assert response["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    assert response["Last-Modified"]
    url = reverse("contracting:bulk_file", args=[PREFIX, year, "entregas.json"])
    again = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    since = client.get(url, headers={"If-Modified-Since": response["Last-Modified"]})
    assert since.status_code == 304
    assert client.get(url.replace(str(year), "1999")).status_code == 404
    bogus = reverse("contracting:bulk_file", args=[PREFIX, year, "secreto.txt"])
    assert client.get(bogus).status_code == 404


def test_a_rebuild_swaps_the_files_whole_and_keeps_the_previous_build(client, loaded, cdmx):
    year = bulk.build(loaded)[0]["year"]
    first = bulk.manifest(PREFIX, year)
    old_path = next(f["path"] for f in first["files"] if f["name"] == "entregas.json")
    # A download that started on the old build keeps reading a whole, valid file.
    reading = default_storage.open(old_path, "rb")
    bulk.build(loaded, [year])
    second = bulk.manifest(PREFIX, year)
    third = bulk.build(loaded, [year])[0]
    assert third["build"] != second["build"] != first["build"]
    assert third["previous"] == second["build"]
    old = json.loads(reading.read())
    reading.close()
    _valid(old, "release-package-schema.json")
    folder = default_storage.path(f"contracting/bulk/{PREFIX}/{year}")
    builds = sorted(n for n in os.listdir(folder) if n != "manifest.json")
    # The current build and the one before it; no temporary file is ever left.
    assert builds == sorted([second["build"], third["build"]])
    assert not [n for n in os.listdir(folder) if n.startswith(".tmp-")]
    response, body = _file(client, year, "entregas.json")
    assert response["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'


def test_an_interrupted_build_leaves_nothing_visible_and_its_files_are_removed(loaded):
    year = bulk.build(loaded)[0]["year"]
    orphan = f"contracting/bulk/{PREFIX}/{year}/20000101T000000-dead0000/entregas.json"
    default_storage.save(orphan, io.BytesIO(b'{"releases": ['))
    DBTaskResult.objects.all().delete()
    build_bulk.enqueue(loaded.pk, [year])
    # The worker that had claimed the build died; on restart it puts the build back.
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, worker_ids=["maquina-1"])
    assert len(requeue_interrupted("maquina-1")) == 1
    assert not default_storage.exists(orphan)
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    # The published build is untouched and still served.
    current = bulk.manifest(PREFIX, year)
    assert all(default_storage.exists(f["path"]) for f in current["files"])


def test_an_import_that_stores_releases_queues_the_build_of_its_years(jalisco):
    import_ = run(jalisco, next(iter(sorted((JALISCO / "release-packages").glob("*.json")))))
    queued = DBTaskResult.objects.filter(task_path=build_bulk.module_path)
    assert queued.count() == 1
    args = queued.get().args_kwargs["args"]
    assert args[0] == jalisco.pk
    assert args[1] == services.bulk_years(import_=import_) and args[1]
    # The same file again stores nothing: nothing to rebuild.
    run(jalisco, next(iter(sorted((JALISCO / "release-packages").glob("*.json")))))
    assert queued.count() == 1


def test_the_build_task_registers_each_years_files_in_the_catalog(db, settings):
    state = JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco")
    organization = OrganizationFactory(jurisdiction=state)
    publisher = services.publisher_save(
        actor=None, name="Jalisco", ocid_prefix=PREFIX, organization=organization
    )
    for path in sorted((JALISCO / "release-packages").glob("*.json")):
        run(publisher, path)
    build_bulk.call(publisher.pk, None)
    dataset = Dataset.objects.get(feed__startswith="contracting:")
    resources = {r.url: r for r in dataset.resources.all()}
    for data in bulk.published(publisher):
        for entry in data["files"]:
            url = f"{SITE}/contrataciones/descargas/{PREFIX}/{data['year']}/{entry['name']}"
            assert resources[url].media_type == entry["media_type"]
            assert resources[url].format == entry["format"]
    package_url = f"{SITE}/contrataciones/descargas/{PREFIX}/{data['year']}/registros.json"
    assert resources[package_url].conforms_to.endswith("record-package-schema.json")


def test_the_command_builds_one_year_and_says_what_it_wrote(loaded):
    year = bulk.years(loaded)[0]
    out = io.StringIO()
    call_command("build_ocds_bulk", "--publisher", PREFIX, "--year", str(year), stdout=out)
    assert f"{PREFIX} {year}:" in out.getvalue()
    assert [m["year"] for m in bulk.published(loaded)] == [year]
    with pytest.raises(Exception, match="No publisher"):
        call_command("build_ocds_bulk", "--publisher", "ocds-nadie0")


def test_a_year_without_data_is_withdrawn(loaded):
    bulk.build(loaded)
    years = bulk.years(loaded)
    Record.objects.filter(publisher=loaded, year=years[0]).delete()
    Release.objects.filter(publisher=loaded, date__year=years[0]).delete()
    bulk.build(loaded)
    assert years[0] not in [m["year"] for m in bulk.published(loaded)]


def test_a_large_year_is_written_in_bounded_memory(cdmx, tmp_path, settings):
    base = sample("mexico-cdmx-release-package.json")["releases"][0]
    padding = "x" * 50_000
    path = tmp_path / "big.json"
    count = 160
    with path.open("w") as fh:
        fh.write('{"version": "1.1", "releases": [')
        for n in range(count):
            release = {
                **base,
                "id": f"r{n}",
                "ocid": f"ocds-87sd3t-big-{n}",
                "date": "2019-03-01T00:00:00Z",
            }
            release["description"] = padding
            # The record's year is the tender's when it has one: this one is the release's.
            tender = {k: v for k, v in release.get("tender", {}).items() if k != "tenderPeriod"}
            release["tender"] = {**tender, "description": padding}
            fh.write(("," if n else "") + json.dumps(release))
        fh.write("]}")
    run(cdmx, path)
    assert Record.objects.filter(year=2019).count() == count
    settings.CONTRACTING_BULK_CHUNK = 20
    # Warm the fixed costs (URLconf, schema, flat tables) on a small year, so that the peak
    # measures the streaming alone.
    run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    small = next(year for year in bulk.years(cdmx) if year != 2019)
    bulk.write_year(cdmx, small, tmp_path)
    tracemalloc.start()
    try:
        data = bulk.build_year(cdmx, 2019)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    sizes = {f["name"]: f["size"] for f in data["files"]}
    assert sizes["entregas.json"] > 12 * 1024 * 1024
    assert sizes["registros.json"] > 12 * 1024 * 1024
    assert all(f["count"] == count for f in data["files"])
    total = sum(sizes.values())
    # A chunk (20 records of ~100 KB) and its copies, whatever the size of the year's files.
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for {total / 1e6:.0f} MB of files"


def test_the_policy_page_says_what_when_licence_prefixes_and_where(
    client, loaded, settings, django_assert_max_num_queries
):
    services.publisher_save(
        actor=None,
        publisher=loaded,
        endpoint_url="https://example.org/ocds.json",
        import_frequency="weekly",
        license="https://datos.gob.mx/libreusomx",
    )
    services.publisher_save(actor=None, name="CDMX", ocid_prefix="ocds-87sd3t")
    settings.CATALOG_CONTACT_EMAIL = "contrataciones@jalisco.example"
    with django_assert_max_num_queries(1):
        response = client.get(reverse("contracting:publication_policy"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "semanal" in page and "cuando el publicador entrega datos nuevos" in page
    assert "https://datos.gob.mx/libreusomx" in page
    assert "https://creativecommons.org/licenses/by/4.0/" in page
    assert PREFIX in page and "ocds-87sd3t" in page
    assert reverse("contracting:bulk_downloads") in page
    assert f"{SITE}/contrataciones/entregas.json" in page
    assert "mailto:contrataciones@jalisco.example" in page
    # The packages declare the same licence and point at this page.
    package = client.get(reverse("contracting:releases")).json()
    assert package["publicationPolicy"] == f"{SITE}/contrataciones/politica-de-publicacion/"
    ocid = Release.objects.first().ocid
    per_ocid = client.get(reverse("contracting:ocid_releases", args=[ocid])).json()
    assert per_ocid["license"] == "https://datos.gob.mx/libreusomx"


def test_a_harvester_paging_by_since_collects_every_release_and_record_once(
    client, cdmx, settings, tmp_path
):
    """Many releases share one date, so pages split them; a stock harvester follows
    links.next from `?since=` and must see each once."""
    settings.CONTRACTING_PAGE_SIZE = 7
    base = sample("mexico-cdmx-release-package.json")["releases"][0]
    path = tmp_path / "same-date.json"
    releases = [
        {**base, "id": f"r{n}", "ocid": f"ocds-87sd3t-same-{n % 9}", "date": "2020-05-01T10:00:00Z"}
        for n in range(40)
    ]
    path.write_text(json.dumps({"version": "1.1", "releases": releases}))
    run(cdmx, path)

    def harvest(url, key, field):
        seen = []
        while url:
            data = client.get(url).json()
            seen += [field(item) for item in data[key]]
            url = data.get("links", {}).get("next")
        return seen

    got = harvest(
        reverse("contracting:releases") + "?since=2020-01-01", "releases", lambda r: r["id"]
    )
    assert sorted(got) == sorted(r["id"] for r in releases)
    got = harvest(
        reverse("contracting:records") + "?since=2020-01-01", "records", lambda r: r["ocid"]
    )
    assert sorted(got) == sorted(Record.objects.values_list("ocid", flat=True))
    assert len(got) == 9
    assert Publisher.objects.count() == 1
