"""Serve the platform with gunicorn and run the background worker beside it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Abierto on 127.0.0.1:8000 (gunicorn) with its background task worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, bind: str, workers: int, **options):
        python = sys.executable
        # Web workers and the task worker write their Prometheus counters here; /metricas
        # sums them. Emptied at start: counters of an earlier run are not this run's.
        metrics_dir = settings.VAR_DIR / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        processes = [
            subprocess.Popen(  # noqa: S603
                [python, "manage.py", "worker", "--interval", "1", "--no-reload"], env=env
            ),
            subprocess.Popen(  # noqa: S603
                [
                    python,
                    "-m",
                    "gunicorn",
                    "abierto.wsgi",
                    "--config",
                    "python:abierto.gunicorn_conf",
                    "--bind",
                    bind,
                    "--workers",
                    str(workers),
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                ],
                env=env,
            ),
        ]
        self.stdout.write(f"Abierto: http://{bind}/  (Ctrl+C para detener)")

        def stop(*_):
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        finally:
            stop()
            for process in processes:
                process.wait(timeout=30)
