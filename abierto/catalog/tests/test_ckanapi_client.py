"""The real `ckanapi` client and a CKAN harvester's paging loop against a live Abierto."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, SearchQueryError, ValidationError
from django.db import connection
from rest_framework.authtoken.models import Token

from abierto.catalog import services
from abierto.catalog.factories import (
    DatasetFactory,
    LicenceFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
)
from abierto.catalog.models import Dataset

pytestmark = pytest.mark.django_db(transaction=True)
CKANAPI = Path(sys.executable).with_name("ckanapi")


@pytest.fixture(autouse=True)
def _server_threads_close_their_connections(monkeypatch):
    # Each live-server request thread opens its own connection; kept open (CONN_MAX_AGE),
    # they would stop PostgreSQL's test database from being dropped at the end.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)


@pytest.fixture
def salud(db):
    LicenceFactory()  # a transactional test starts without the licences of migration 0002
    return PublisherFactory(name="salud", title="Secretaría de Salud")


@pytest.fixture
def editor_key(salud):
    return Token.objects.create(user=PublisherMemberFactory(publisher=salud).user).key


def cli(*args: str) -> subprocess.CompletedProcess:
    # dump starts worker processes by the name `ckanapi`: they must find the same one.
    env = {**os.environ, "PATH": f"{CKANAPI.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(  # noqa: S603 - fixed executable, arguments from the test
        [str(CKANAPI), *args], capture_output=True, text=True, env=env, timeout=120, check=True
    )


def test_remote_ckan_reads_and_searches(live_server, salud):
    dataset = DatasetFactory(name="camas", title="Camas hospitalarias", publisher=salud)
    ResourceFactory(dataset=dataset, title="Camas 2024")
    DatasetFactory(name="escuelas", title="Escuelas de educación básica")
    for get_only in (False, True):
        site = RemoteCKAN(live_server.url, get_only=get_only)
        shown = site.action.package_show(id="camas")
        assert shown["resources"][0]["name"] == "Camas 2024"
        assert sorted(site.action.package_list()) == ["camas", "escuelas"]
        found = site.action.package_search(
            q="educacion", **{"facet.field": json.dumps(["organization"])}
        )
        assert [r["name"] for r in found["results"]] == ["escuelas"]
        assert site.action.organization_list(all_fields=True)[0]["name"]
        with pytest.raises(NotFound):
            site.action.package_show(id="no-existe")
        with pytest.raises(SearchQueryError):
            site.action.package_search(fq="color:rojo")


def test_remote_ckan_creates_a_dataset_and_uploads_a_file_that_downloads_identically(
    live_server, salud, editor_key, tmp_path
):
    content = b"municipio,camas\nGuadalajara,3120\nZapopan,1480\n"
    path = tmp_path / "camas por municipio.csv"
    path.write_bytes(content)
    with RemoteCKAN(live_server.url, apikey=editor_key) as site:
        created = site.action.package_create(
            name="camas",
            title="Camas por municipio",
            notes="Camas censables.",
            owner_org="salud",
            accrual_periodicity="R/P1Y",
            tags=[{"name": "salud"}],
        )
        assert created["organization"]["name"] == "salud"
        with path.open("rb") as upload:
            resource = site.action.resource_create(
                package_id=created["id"], name="Camas 2024", upload=upload
            )
        with pytest.raises(ValidationError) as invalid:
            site.action.package_create(name="X", owner_org="salud")
        assert "title" in invalid.value.error_dict
    assert resource["url_type"] == "upload" and resource["size"] == len(content)
    downloaded = requests.get(resource["url"], timeout=30)
    assert downloaded.status_code == 200 and downloaded.content == content
    shown = RemoteCKAN(live_server.url).action.package_show(id="camas")
    assert shown["resources"][0]["url"] == resource["url"]
    with pytest.raises(NotAuthorized):
        RemoteCKAN(live_server.url).action.package_delete(id="camas")
    outsider = Token.objects.create(user=PublisherMemberFactory().user).key
    with pytest.raises(NotAuthorized):
        RemoteCKAN(live_server.url, apikey=outsider).action.package_patch(id="camas", title="x")
    assert Dataset.objects.get(name="camas").state == "active"


def test_the_cli_dumps_every_dataset_and_pages_through_a_search(live_server, salud):
    names = {f"conjunto-{n:02d}" for n in range(12)}
    for name in names:
        DatasetFactory(name=name, publisher=salud)
    DatasetFactory(name="privado", publisher=salud, private=True)
    dumped = cli("dump", "datasets", "--all", "-q", "-r", live_server.url)
    rows = [json.loads(line) for line in dumped.stdout.splitlines() if line.strip()]
    assert {row["name"] for row in rows} == names
    assert all(row["organization"]["name"] == "salud" for row in rows)
    searched = cli("search", "datasets", "-r", live_server.url)
    found = [json.loads(line)["name"] for line in searched.stdout.splitlines() if line.strip()]
    assert sorted(found) == sorted(names)


def harvest(url: str, fq: str, *, between_pages=lambda page: None) -> list[str]:
    """ckanext-harvest's CKANHarvester._search_for_datasets, step by step."""
    ids: list[str] = []
    start, previous = 0, None
    page = 0
    while True:
        response = requests.get(
            f"{url}/api/3/action/package_search",
            params={"fq": fq, "rows": 100, "start": start, "sort": "id asc"},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        results = response.json()["result"]["results"]
        if not results:
            return ids
        if previous is not None and response.content == previous:
            raise AssertionError("paging doesn't seem to work")
        previous = response.content
        ids.extend(package["id"] for package in results)
        start += 100
        page += 1
        between_pages(page)


def test_a_harvesters_paging_returns_every_dataset_once_while_datasets_change(live_server, salud):
    before = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    other = PublisherFactory(name="educacion")
    datasets = [DatasetFactory(publisher=salud if n % 5 else other) for n in range(230)]
    DatasetFactory(publisher=PublisherFactory(name="ajena"))
    expected = sorted(str(d.uuid) for d in datasets)

    def edit_some(page: int) -> None:
        # Publishers keep editing while the harvester pages: titles and resources change,
        # and every change moves metadata_modified, the field the harvester filters on.
        for dataset in datasets[page * 60 : page * 60 + 20]:
            services.dataset_save(actor=None, dataset=dataset, title=f"{dataset.title} (rev)")
        services.resource_save(
            actor=None, dataset=datasets[-1], title="Nuevo", url="https://x.example/n.csv"
        )

    since = before.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fq = f"organization:salud OR organization:educacion metadata_modified:[{since} TO *]"
    ids = harvest(live_server.url, fq, between_pages=edit_some)
    assert len(ids) == len(set(ids)) == 230
    assert sorted(ids) == expected
    assert Dataset.objects.filter(title__endswith="(rev)").count() == 60
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    nothing = f"metadata_modified:[{later.strftime('%Y-%m-%dT%H:%M:%SZ')} TO *]"
    assert harvest(live_server.url, nothing) == []
    excluded = harvest(live_server.url, "-organization:salud -organization:educacion")
    assert len(excluded) == 1
