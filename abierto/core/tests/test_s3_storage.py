"""Uploads in S3-compatible object storage, against a real S3 server (moto, in server mode).

The platform talks to it over HTTP with boto3 exactly as it would to AWS or MinIO: uploads
land in the bucket, downloads and previews stream from it, imports read from it, and a
service that fails removes what it stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer

from abierto.catalog import services as catalog
from abierto.catalog.factories import DatasetFactory
from abierto.contracting import services as contracting
from abierto.contracting.models import Import, Release
from abierto.core.storage import local_path, undo_files_on_error

pytestmark = pytest.mark.django_db

BUCKET = "abierto-media"
CSV = "municipio,escuelas\nZapopan,120\nTonalá,80\n".encode()
SAMPLE = Path(settings.BASE_DIR).parents[1] / "shared/data/ocds/samples"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="abierto",
        aws_secret_access_key="abierto-secret",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "abierto.core.storage_s3.S3MediaStorage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "abierto",
                "secret_key": "abierto-secret",
                "location": "media",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_a_catalog_upload_lands_in_the_bucket_and_downloads_from_it(bucket, client):
    dataset = DatasetFactory(name="escuelas")
    resource = catalog.resource_save(
        actor=None,
        dataset=dataset,
        title="Escuelas por municipio",
        upload=SimpleUploadedFile("escuelas.csv", CSV),
    )
    assert _keys(bucket) == [f"media/catalog/resources/{resource.uuid}/escuelas.csv"]
    assert not (Path(settings.MEDIA_ROOT) / "catalog").exists()  # nothing on local disk

    url = reverse(
        "catalog:resource_download", kwargs={"name": "escuelas", "resource": resource.uuid}
    )
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSV
    assert response["ETag"] == f'"{hashlib.sha256(CSV).hexdigest()}"'
    # A resumed download reads a byte range of the object.
    partial = client.get(url, HTTP_RANGE="bytes=9-")
    assert partial.status_code == 206
    assert b"".join(partial.streaming_content) == CSV[9:]

    page = client.get(
        reverse("catalog:resource", kwargs={"name": "escuelas", "resource": resource.uuid})
    )
    assert "Tonalá" in page.content.decode()  # the table preview, read from the bucket


def test_an_ocds_import_reads_its_file_from_the_bucket(bucket):
    publisher = contracting.publisher_save(
        actor=None, name="Ciudad de México, Secretaría de Finanzas", ocid_prefix="ocds-87sd3t"
    )
    data = (SAMPLE / "mexico-cdmx-release-package.json").read_bytes()
    import_ = contracting.import_create(
        actor=None,
        publisher=publisher,
        source="upload",
        file=SimpleUploadedFile("cdmx.json", data, "application/json"),
    )
    assert any(key.endswith("cdmx.json") for key in _keys(bucket))
    done = contracting.import_run(import_id=import_.pk)
    assert done.status == Import.Status.DONE
    assert Release.objects.filter(source_import=done).count() == done.releases_stored > 0


def test_a_temporary_local_copy_is_removed_after_use(bucket):
    dataset = DatasetFactory(name="copias")
    resource = catalog.resource_save(
        actor=None, dataset=dataset, title="CSV", upload=SimpleUploadedFile("a.csv", CSV)
    )
    with local_path(resource.file) as path:
        assert path.read_bytes() == CSV
    assert not path.exists()


def test_a_service_that_fails_after_storing_removes_the_object(bucket):
    @undo_files_on_error
    def store_two_then_fail() -> None:
        default_storage.save("evidencia/minuta.pdf", ContentFile(b"%PDF-1.4 uno"))
        default_storage.save("evidencia/anexo.pdf", ContentFile(b"%PDF-1.4 dos"))
        assert len(_keys(bucket)) == 2
        raise ValidationError("refused after storing")

    with pytest.raises(ValidationError):
        store_two_then_fail()
    assert _keys(bucket) == []


@pytest.mark.django_db(transaction=True)  # the dump reads one snapshot: its own transaction
def test_a_backup_copies_the_objects_of_the_bucket(bucket, tmp_path):
    import tarfile

    from abierto.core.backup import create_backup

    dataset = DatasetFactory(name="respaldo")
    resource = catalog.resource_save(
        actor=None, dataset=dataset, title="CSV", upload=SimpleUploadedFile("c.csv", CSV)
    )
    summary = create_backup(tmp_path / "respaldo.tar.gz")
    assert summary.files == 1
    with tarfile.open(tmp_path / "respaldo.tar.gz") as tar:
        member = tar.extractfile(f"media/{resource.file.name}")
        assert member.read() == CSV
