"""Background jobs of open contracting (django-tasks; worker: `manage.py worker`)."""

from __future__ import annotations

from django_tasks import task

from abierto.contracting import services
from abierto.contracting.models import Import, Publisher, Release
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


@task()
def refresh_red_flags(publisher_id: int) -> None:
    """Recompute a publisher's red flags (after a capture; imports do it themselves)."""
    from abierto.contracting import redflags

    publisher = Publisher.objects.filter(pk=publisher_id).first()
    if publisher is not None:
        redflags.refresh(publisher)


@task()
def build_bulk(publisher_id: int, years: list[int] | None = None) -> None:
    """Rebuild a publisher's yearly bulk files, then register them in the catalog."""
    from abierto.contracting import bulk
    from abierto.contracting.models import Publisher

    publisher = Publisher.objects.filter(pk=publisher_id).first()
    if publisher is None:
        return
    bulk.build(publisher, years)
    bulk.sync_catalog()


@on_interrupted(build_bulk)
def _build_interrupted(publisher_id: int, years: list[int] | None = None) -> None:
    # The files of a killed build were never named by a manifest, so no download saw them;
    # they are only removed, and the new run writes the year again from the start.
    from abierto.contracting import bulk
    from abierto.contracting.models import Publisher

    publisher = Publisher.objects.filter(pk=publisher_id).first()
    if publisher is not None:
        bulk.remove_unpublished(publisher)
