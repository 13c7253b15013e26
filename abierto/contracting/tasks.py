"""Background jobs of open contracting (django-tasks; worker: `manage.py worker`)."""

from __future__ import annotations

from django_tasks import task

from abierto.contracting import services
from abierto.contracting.models import Import, Release
from abierto.core.recovery import on_interrupted


@task()
def run_import(import_id: int) -> None:
    services.import_run(import_id=import_id)


@on_interrupted(run_import)
def _import_interrupted(import_id: int) -> None:
    # The batches the killed run had stored go, so that the new run's report counts them as
    # stored rather than as duplicates of themselves; it recompiles their records.
    Release.objects.filter(source_import_id=import_id).delete()
    Import.objects.filter(pk=import_id, status=Import.Status.RUNNING).update(
        status=Import.Status.QUEUED
    )
