"""The background worker: django-tasks' db_worker, after re-queuing what it left unfinished."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from abierto.core import recovery


class Command(DBWorkerCommand):
    help = (
        "Run the background worker. Tasks this worker id was running when its process died "
        "are queued again first (see abierto/core/recovery.py)."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        # A stable id (not db_worker's random one): it is how a restarted worker recognises
        # the tasks it had claimed.
        parser.set_defaults(worker_id=recovery.default_worker_id())

    def handle(self, *args, worker_id: str, **options) -> None:
        for result in recovery.requeue_interrupted(worker_id):
            self.stderr.write(
                f"Tarea interrumpida, de nuevo en cola: {result.task_path} ({result.pk})"
            )
        super().handle(*args, worker_id=worker_id, **options)
