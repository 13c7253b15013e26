"""Background jobs of the catalog (django-tasks; worker: `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from abierto.catalog import harvesting


@task()
def run_harvest(run_id: int) -> None:
    """Carry out a queued harvest run (or preview); its page shows the progress."""
    harvesting.execute(run_id)
