"""Background jobs of the catalog (django-tasks; worker: `manage.py worker`)."""

from __future__ import annotations

from django_tasks import task

from abierto.catalog import harvesting
from abierto.catalog.models import HarvestRun
from abierto.core.recovery import on_interrupted


@task()
def run_harvest(run_id: int) -> None:
    """Carry out a queued harvest run (or preview); its page shows the progress."""
    harvesting.execute(run_id)


@on_interrupted(run_harvest)
def _harvest_interrupted(run_id: int) -> None:
    # Datasets already written stay (each was written whole); the new run updates them.
    HarvestRun.objects.filter(pk=run_id, status=HarvestRun.Status.RUNNING).update(
        status=HarvestRun.Status.QUEUED, started_at=None
    )
