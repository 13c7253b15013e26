"""Backups: the whole platform out to one archive and back into an empty instance."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import ForeignKey

from abierto.catalog import services as catalog_services
from abierto.catalog.models import Dataset, Publisher, Resource
from abierto.core.backup import SEEDED_BY_MIGRATIONS, content_models
from abierto.core.factories import UserFactory
from abierto.core.models import Document, Exercise
from abierto.plans import services as plan_services
from abierto.plans.factories import MilestoneFactory
from abierto.plans.models import Commitment, ProgressUpdate

PDF = b"%PDF-1.4\n% acta de la mesa de trabajo\n%%EOF\n"
CSV = b"municipio,escuelas de tiempo completo\nZapopan,118\nTlaquepaque,64\n"


def _platform_with_uploads() -> tuple[ProgressUpdate, Resource]:
    call_command("load_demo", verbosity=0)
    commitment = Commitment.objects.filter(lead_implementers__isnull=False).first()
    implementer = UserFactory(
        username="enlace-planeacion", organization=commitment.lead_implementers.first()
    )
    update = plan_services.progress_update_report(
        milestone=MilestoneFactory(commitment=commitment),
        reported_by=implementer,
        percent=35,
        narrative="Se instaló la mesa de trabajo con sociedad civil.",
        evidence_files=[SimpleUploadedFile("acta-mesa.pdf", PDF)],
        evidence_links=["https://example.org/nota-de-prensa"],
    )
    dataset = catalog_services.dataset_save(
        actor=implementer,
        publisher=Publisher.objects.order_by("pk").first(),
        name="escuelas-tiempo-completo",
        title="Escuelas de tiempo completo por municipio",
        description="Número de escuelas de tiempo completo en cada municipio de Jalisco.",
        accrual_periodicity=Dataset.Periodicity.ANNUAL,
        tags=["educación"],
    )
    resource = catalog_services.resource_save(
        actor=implementer,
        dataset=dataset,
        title="Escuelas por municipio",
        upload=SimpleUploadedFile("escuelas.csv", CSV),
    )
    return update, resource


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of every backed-up table, content types by natural key.

    Many-to-many links are compared as sets of pairs: their own row ids mean nothing and
    Django's serialisation does not keep them.
    """
    tables = {}
    models = content_models() + [
        field.remote_field.through
        for model in content_models()
        for field in model._meta.local_many_to_many
        if field.remote_field.through._meta.auto_created
    ]
    for model in models:
        columns = []
        for field in model._meta.concrete_fields:
            if isinstance(field, ForeignKey) and field.related_model is ContentType:
                columns += [f"{field.name}__app_label", f"{field.name}__model"]
            elif isinstance(field, ForeignKey) and field.related_model is Permission:
                columns += [f"{field.name}__codename", f"{field.name}__content_type__app_label"]
            elif not (model._meta.auto_created and field.primary_key):
                columns.append(field.attname)
        rows = model._base_manager.order_by("pk").values_list(*columns)
        tables[model._meta.label_lower] = sorted(rows) if model._meta.auto_created else list(rows)
    return tables


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_instance_gives_back_everything(tmp_path, settings, client):
    update, resource = _platform_with_uploads()
    before = _snapshot()
    archive = tmp_path / "respaldo.tar.gz"

    call_command("backup", str(archive), verbosity=0)

    # A new instance: empty database (migrated), no uploaded files.
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert not Commitment.objects.exists() and not Dataset.objects.exists()

    call_command("restore", str(archive), verbosity=0)

    assert _snapshot() == before
    assert Exercise.objects.filter(slug="jalisco").exists()
    assert Commitment.objects.count() == 7
    restored = ProgressUpdate.objects.get(pk=update.pk)
    evidence = Document.objects.for_object(restored).exclude(file="").get()
    assert evidence.file.read() == PDF
    assert Document.objects.for_object(restored).filter(url__contains="nota-de-prensa").exists()
    assert Resource.objects.get(pk=resource.pk).file.read() == CSV
    page = client.get("/datos/", {"q": "escuelas tiempo completo"})
    assert "Escuelas de tiempo completo por municipio" in page.content.decode()
    # New writes after a restore get fresh ids (PostgreSQL's sequences were moved on).
    again = plan_services.progress_update_report(
        milestone=restored.milestone,
        reported_by=restored.reported_by,
        percent=50,
        narrative="Avance después de restaurar.",
    )
    assert again.pk > update.pk


@pytest.mark.django_db(transaction=True)
def test_restoring_into_an_instance_with_content_is_refused(tmp_path, settings):
    _platform_with_uploads()
    archive = tmp_path / "respaldo.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    files_before = sorted(Path(settings.MEDIA_ROOT).rglob("*"))

    with pytest.raises(CommandError, match="ya tiene contenido"):
        call_command("restore", str(archive), verbosity=0)

    assert sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files_before


def _tampered(archive: Path, target: Path) -> None:
    """The same archive with one byte of the database changed, manifest untouched."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for info in source.getmembers():
            body = source.extractfile(info).read()
            if info.name == "database.json":
                body = body.replace(b"Escuelas de tiempo", b"Escuelas de tiemp0", 1)
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("damage", ["tampered", "truncated", "not an archive"])
def test_a_damaged_archive_is_refused_and_nothing_is_written(tmp_path, settings, damage):
    _platform_with_uploads()
    archive = tmp_path / "respaldo.tar.gz"
    call_command("backup", str(archive), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    damaged = tmp_path / "danado.tar.gz"
    if damage == "tampered":
        _tampered(archive, damaged)
    elif damage == "truncated":
        data = archive.read_bytes()
        damaged.write_bytes(data[: len(data) * 2 // 3])
    else:
        damaged.write_bytes(gzip.compress(b"esto no es un respaldo"))

    with pytest.raises(CommandError) as raised:
        call_command("restore", str(damaged), verbosity=0)

    message = str(raised.value)
    assert "no se escribió nada" in message or "no es un respaldo" in message, message
    # Nothing but what `migrate` itself seeds (flush puts those back too).
    assert not any(
        model._base_manager.exists()
        for model in content_models()
        if model._meta.label_lower not in SEEDED_BY_MIGRATIONS
    )
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.*"))
    assert apps.get_model("catalog", "Dataset").objects.count() == 0
