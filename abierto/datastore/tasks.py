"""Background jobs of the datastore (django-tasks; worker: `manage.py worker`)."""

from __future__ import annotations

from django_tasks import task

from abierto.core.recovery import on_interrupted
from abierto.datastore import services
from abierto.datastore.models import Load


@task()
def run_load(load_id: int) -> None:
    """Carry out a queued load; its page shows the progress."""
    services.run_load(load_id)


@on_interrupted(run_load)
def _load_interrupted(load_id: int) -> None:
    # The killed load's table was never swapped in (its transaction died with the worker);
    # the new run writes the same version again, dropping any leftover first.
    Load.objects.filter(pk=load_id, status=Load.Status.RUNNING).update(
        status=Load.Status.QUEUED,
        phase=Load.Phase.READING,
        bytes_read=0,
        rows_loaded=0,
        started_at=None,
        writing_started_at=None,
    )
