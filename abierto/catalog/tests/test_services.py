"""Writes to the catalog keep the guide's rules, the history and the files right."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.catalog import services
from abierto.catalog.factories import DatasetFactory, PublisherFactory
from abierto.catalog.models import Dataset, Resource
from abierto.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_new_dataset_takes_libre_uso_mx_and_the_publishers_mailbox():
    publisher = PublisherFactory(title="Secretaría de Salud", email="datos@salud.jalisco.example")
    dataset = services.dataset_save(
        actor=None,
        name="camas-hospitalarias",
        title="Camas hospitalarias",
        description="Camas censables por hospital.",
        publisher=publisher,
        accrual_periodicity=Dataset.Periodicity.ANNUAL,
        tags=["salud", "Hospitales", "salud", "  "],
    )
    assert dataset.licence.key == "libre-uso-mx"
    assert dataset.identifier == "camas-hospitalarias"
    assert (dataset.contact_name, dataset.contact_email) == (
        "Secretaría de Salud",
        "datos@salud.jalisco.example",
    )
    assert sorted(dataset.tags.values_list("name", flat=True)) == ["Hospitales", "salud"]
    entry = AuditEntry.objects.get(verb="dataset_save")
    assert entry.before is None and entry.after["title"] == "Camas hospitalarias"


def test_missing_required_metadata_names_every_field():
    with pytest.raises(ValidationError) as raised:
        services.dataset_save(
            actor=None, name="X no válido", title="", publisher=PublisherFactory()
        )
    errors = raised.value.message_dict
    assert {"name", "title", "description", "accrual_periodicity"} <= set(errors)
    assert not Dataset.objects.exists()


def test_a_change_is_kept_with_before_and_after_and_a_no_op_is_not_a_change():
    dataset = DatasetFactory(title="Escuelas")
    first = dataset.metadata_modified
    services.dataset_save(actor=None, dataset=dataset, title="Escuelas públicas")
    services.dataset_save(actor=None, dataset=dataset, title="Escuelas públicas")
    entries = AuditEntry.objects.filter(verb="dataset_save", object_id=str(dataset.pk))
    assert entries.count() == 1
    assert (entries[0].before["title"], entries[0].after["title"]) == (
        "Escuelas",
        "Escuelas públicas",
    )
    dataset.refresh_from_db()
    assert dataset.metadata_modified > first


def test_temporal_coverage_cannot_end_before_it_starts():
    dataset = DatasetFactory()
    with pytest.raises(ValidationError):
        services.dataset_save(
            actor=None, dataset=dataset, temporal_start="2018-12-31", temporal_end="2018-01-01"
        )


def test_an_upload_is_summed_and_typed_and_a_disguised_file_is_refused():
    dataset = DatasetFactory()
    content = "municipio,niños inscritos\nZapopan,1200\n".encode()
    resource = services.resource_save(
        actor=None,
        dataset=dataset,
        title="Escuelas por municipio",
        upload=SimpleUploadedFile("escuelas_2018 (versión).csv", content),
    )
    assert resource.format == "CSV" and resource.media_type == "text/csv"
    assert resource.size == len(content)
    assert resource.sha256 == hashlib.sha256(content).hexdigest()
    assert resource.file.name.endswith("/escuelas_2018-version-.csv")
    assert resource.file.read() == content
    with pytest.raises(ValidationError) as raised:
        services.resource_save(
            actor=None,
            dataset=dataset,
            title="Hoja",
            upload=SimpleUploadedFile("hoja.xlsx", b"no es un zip"),
        )
    assert "upload" in raised.value.message_dict
    assert Resource.objects.count() == 1


def test_an_upload_over_the_limit_is_refused(settings):
    settings.CATALOG_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ValidationError, match="máximo permitido"):
        services.resource_save(
            actor=None,
            dataset=DatasetFactory(),
            title="Grande",
            upload=SimpleUploadedFile("grande.csv", b"a,b\n" * 10),
        )
    assert not Resource.objects.exists()


def test_deleting_keeps_the_dataset_and_its_history():
    dataset = DatasetFactory()
    services.dataset_delete(actor=None, dataset=dataset)
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DELETED
    assert not Dataset.objects.public().filter(pk=dataset.pk).exists()
    assert AuditEntry.objects.filter(verb="dataset_delete", object_id=str(dataset.pk)).exists()
