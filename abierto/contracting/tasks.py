"""Background jobs of open contracting (django-tasks; worker: `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from abierto.contracting import services


@task()
def run_import(import_id: int) -> None:
    services.import_run(import_id=import_id)
