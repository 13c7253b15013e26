"""A worker killed in the middle of a task: the task runs again, and nothing is left half-done.

Real processes: `manage.py worker` is started against this test's database, killed with
SIGKILL while it imports Mexico City airport's 4.5 MB OCDS package, then started again under
the same id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from abierto.contracting import services
from abierto.contracting.models import Import, Release

SAMPLE = (
    Path(settings.BASE_DIR).parents[1]
    / "shared/data/ocds/samples/mexico-gacm-naicm-release-package-ocds10.json"
)
WORKER_ID = "prueba-worker-1"

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker is another process, and SQLite's test database lives in this "
        "process's memory",
    ),
    pytest.mark.django_db(transaction=True),
]


def _worker(*extra: str) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    return subprocess.Popen(  # noqa: S603 — this interpreter, our own command
        [
            sys.executable,
            "manage.py",
            "worker",
            "--worker-id",
            WORKER_ID,
            "--interval",
            "0.1",
            "--no-reload",
            "--no-startup-delay",
            *extra,
        ],
        cwd=settings.BASE_DIR.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_worker_leaves_no_half_import_and_its_task_runs_again():
    publisher = services.publisher_save(
        actor=None, name="Grupo Aeroportuario de la Ciudad de México", ocid_prefix="ocds-gacm01"
    )
    upload = SimpleUploadedFile(SAMPLE.name, SAMPLE.read_bytes(), "application/json")
    import_ = services.import_start(actor=None, publisher=publisher, source="upload", file=upload)
    expected = [release["id"] for release in json.loads(SAMPLE.read_bytes())["releases"]]

    worker = _worker()
    try:
        # Killed once the first batches are stored, before the import ends.
        _wait_for(lambda: Import.objects.get(pk=import_.pk).releases_stored > 0)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    interrupted = Import.objects.get(pk=import_.pk)
    assert interrupted.status == Import.Status.RUNNING, "the import ended before the kill"
    assert 0 < Release.objects.count() < len(expected)
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.RUNNING  # what a crash leaves

    # The same worker starts again: it queues its interrupted task and runs it to the end.
    restarted = _worker("--batch")
    _, errors = restarted.communicate(timeout=300)
    assert restarted.returncode == 0, errors
    assert f"Tarea interrumpida, de nuevo en cola: {task.task_path}" in errors

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.worker_ids == [WORKER_ID, WORKER_ID]
    done = Import.objects.get(pk=import_.pk)
    assert done.status == Import.Status.DONE
    # Every release once: nothing lost, nothing doubled.
    assert sorted(Release.objects.values_list("release_id", flat=True)) == sorted(expected)
    assert (done.releases_stored, done.releases_duplicate) == (len(expected), 0)
