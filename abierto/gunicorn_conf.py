"""gunicorn settings for `manage.py serve` and production (docs/deploy.md).

Use: `gunicorn abierto.wsgi --config python:abierto.gunicorn_conf`.
"""

from __future__ import annotations

import os


def child_exit(server, worker) -> None:
    # A dead worker's gauges must leave the Prometheus sums (its counters stay counted).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
