"""Tasks interrupted by a killed worker are queued again, and their records reset.

A worker claims a task by writing its id into the task's row and marking it running. If the
process dies without a chance to say so (out of memory, `kill -9`, a machine reboot), the row
says "running" for ever and the import or harvest it was doing looks stuck. `manage.py worker`
runs django-tasks' `db_worker` under a stable id (`--worker-id`, the host name by default) and,
before taking new work, puts back in the queue every task its own id had claimed: it is only
now starting, so none of them is really running.

Each app declares with `@on_interrupted(task)` how to bring its own record (a harvest run, a
load) back to "queued"; the task then runs from the start. Every task of the platform is
written to be run again: imports de-duplicate, loads write a new table and swap it at the end,
harvests update what they already created.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from django.db import transaction
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("abierto.tasks")

Reset = Callable[..., None]
RESETTERS: dict[str, Reset] = {}


def on_interrupted(task) -> Callable[[Reset], Reset]:
    """Register how to reset a task's own records when it is run again after a crash."""

    def register(reset: Reset) -> Reset:
        RESETTERS[task.module_path] = reset
        return reset

    return register


def default_worker_id() -> str:
    # Stable across restarts of the one worker of a machine; a second worker on the same
    # machine must be given its own id (docs/deploy.md).
    return socket.gethostname()[:64]


def requeue_interrupted(worker_id: str) -> list[DBTaskResult]:
    """Queue again the tasks `worker_id` was running when it died; return them."""
    autodiscover_modules("tasks")  # each app's tasks.py registers its resets
    requeued = []
    for result in DBTaskResult.objects.running():
        if not result.worker_ids or result.worker_ids[-1] != worker_id:
            continue
        arguments = result.args_kwargs or {}
        with transaction.atomic():
            reset = RESETTERS.get(result.task_path)
            if reset is not None:
                reset(*arguments.get("args", []), **arguments.get("kwargs", {}))
            DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None
            )
        logger.warning(
            "Task %s (%s) was interrupted on worker %s: queued again",
            result.pk,
            result.task_path,
            worker_id,
        )
        requeued.append(result)
    return requeued
