"""Downloads at permanent addresses: exact bytes, headers, ranges, and access to private files."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from abierto.catalog import services
from abierto.catalog.factories import (
    DatasetFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
)
from abierto.catalog.models import Dataset

CONTENT = "municipio,escuelas,matrícula\nZapopan,120,30500\nTonalá,80,12000\n".encode()


def add_file(dataset, name="escuelas 2018 (versión).csv", content=CONTENT, **values):
    return services.resource_save(
        actor=None,
        dataset=dataset,
        title=values.pop("title", "Escuelas por municipio"),
        upload=SimpleUploadedFile(name, content),
        **values,
    )


def download_url(resource) -> str:
    return reverse(
        "catalog:resource_download",
        kwargs={"name": resource.dataset.name, "resource": resource.uuid},
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_an_upload_downloads_with_its_exact_bytes_and_headers(client):
    resource = add_file(DatasetFactory(name="escuelas"))
    url = download_url(resource)
    assert url == f"/datos/conjuntos/escuelas/recursos/{resource.uuid}/descargar/"
    response = client.get(url)
    assert response.status_code == 200
    assert body(response) == CONTENT
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Content-Disposition"] == 'attachment; filename="escuelas-2018-version-.csv"'
    assert response["ETag"] == f'"{hashlib.sha256(CONTENT).hexdigest()}"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.django_db
def test_a_range_returns_just_those_bytes_and_a_repeat_visit_is_not_modified(client):
    resource = add_file(DatasetFactory())
    url = download_url(resource)
    size = len(CONTENT)
    response = client.get(url, headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert body(response) == CONTENT[10:20]
    assert response["Content-Range"] == f"bytes 10-19/{size}"
    assert response["Content-Length"] == "10"
    response = client.get(url, headers={"Range": "bytes=-5"})
    assert body(response) == CONTENT[-5:]
    response = client.get(url, headers={"Range": "bytes=20-"})
    assert body(response) == CONTENT[20:]
    response = client.get(url, headers={"Range": f"bytes={size + 10}-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"
    # Several ranges, or a range asked against another version of the file: the whole file.
    response = client.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert response.status_code == 200 and body(response) == CONTENT
    response = client.get(url, headers={"Range": "bytes=0-1", "If-Range": '"otra-version"'})
    assert response.status_code == 200 and body(response) == CONTENT
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""


@pytest.mark.django_db
def test_a_link_redirects_to_its_address(client):
    resource = ResourceFactory(dataset=DatasetFactory(), url="https://datos.example/a.csv")
    response = client.get(download_url(resource))
    assert response.status_code == 302
    assert response["Location"] == "https://datos.example/a.csv"


@pytest.mark.django_db
def test_the_address_survives_metadata_changes_a_new_file_and_deletion(client):
    dataset = DatasetFactory(name="escuelas", title="Escuelas")
    resource = add_file(dataset)
    url = download_url(resource)
    services.dataset_save(actor=None, dataset=dataset, title="Escuelas públicas y privadas")
    assert body(client.get(url)) == CONTENT
    newer = CONTENT + b"Tlaquepaque,60,9000\n"
    services.resource_save(
        actor=None,
        dataset=dataset,
        resource=resource,
        upload=SimpleUploadedFile("escuelas-2019.csv", newer),
    )
    assert download_url(resource) == url
    response = client.get(url)
    assert body(response) == newer
    assert response["ETag"] == f'"{hashlib.sha256(newer).hexdigest()}"'
    services.resource_delete(actor=None, resource=resource)
    assert body(client.get(url)) == newer
    services.dataset_delete(actor=None, dataset=dataset)
    assert body(client.get(url)) == newer


@pytest.mark.django_db
def test_files_of_private_datasets_are_only_for_their_publisher(client):
    publisher = PublisherFactory()
    private = DatasetFactory(publisher=publisher, private=True)
    draft = DatasetFactory(publisher=publisher, state=Dataset.State.DRAFT)
    outsider = PublisherMemberFactory(publisher=PublisherFactory()).user
    member = PublisherMemberFactory(publisher=publisher).user
    for dataset in (private, draft):
        url = download_url(add_file(dataset))
        assert client.get(url).status_code == 404
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        client.force_login(member)
        response = client.get(url)
        assert response.status_code == 200 and body(response) == CONTENT
        assert response["Cache-Control"] == "private, no-cache"
        assert "Access-Control-Allow-Origin" not in response
        client.logout()


@pytest.mark.django_db
def test_a_deleted_draft_never_becomes_downloadable(client):
    dataset = DatasetFactory(state=Dataset.State.DRAFT)
    url = download_url(add_file(dataset))
    services.dataset_delete(actor=None, dataset=dataset)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_an_unknown_resource_or_a_resource_of_another_dataset_is_not_found(client):
    resource = add_file(DatasetFactory(name="escuelas"))
    DatasetFactory(name="otro")
    other = reverse("catalog:resource_download", kwargs={"name": "otro", "resource": resource.uuid})
    assert client.get(other).status_code == 404
    assert client.get("/datos/conjuntos/escuelas/recursos/no-es-uuid/descargar/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_large_file_streams_over_real_http_and_resumes_with_a_range(live_server):
    content = bytes(range(256)) * 8192  # 2 MB: several chunks of the response
    resource = add_file(
        DatasetFactory(), name="serie.csv", content=b"a\n" + content.replace(b"\x00", b"0")
    )
    expected = b"a\n" + content.replace(b"\x00", b"0")
    url = live_server.url + download_url(resource)
    with urllib.request.urlopen(url) as response:  # noqa: S310 - our own test server
        assert response.status == 200
        assert int(response.headers["Content-Length"]) == len(expected)
        assert response.read() == expected
    request = urllib.request.Request(url, headers={"Range": "bytes=1000000-"})  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310
        assert response.status == 206
        assert response.read() == expected[1000000:]
    request = urllib.request.Request(url, headers={"Range": "bytes=99999999-"})  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)  # noqa: S310
    assert raised.value.code == 416
