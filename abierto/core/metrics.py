"""Prometheus metrics: request latency, task queue depth, import rates (`/metricas`).

Request durations are observed by `MetricsMiddleware` per method, route pattern (never the raw
path: one series per page kind, not per commitment) and status class. Imports count their rows
and outcomes through `count_import()`, wherever they run: web process or `db_worker`. The task
queue is read from the database when Prometheus scrapes, so every app server reports the same
queue.

Under gunicorn, each worker process keeps its own counters; `bin/serve` (and docs/deploy.md)
set PROMETHEUS_MULTIPROC_DIR so prometheus_client sums them across processes at scrape time.
The endpoint answers only with `Authorization: Bearer <METRICS_TOKEN>`; without a token
configured it does not exist (404), because latency by route and queue depth are operational
details, not open data.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUEST_SECONDS = Histogram(
    "abierto_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route pattern and status class.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
)
IMPORT_ROWS = Counter(
    "abierto_import_rows",
    "Rows (datastore), releases (contracting) or datasets (harvest) written by imports.",
    ["kind"],
)
IMPORTS = Counter("abierto_imports", "Finished imports by kind and outcome.", ["kind", "outcome"])


def count_import(kind: str, *, rows: int, ok: bool) -> None:
    """Record a finished import: `kind` is datastore, contracting or harvest."""
    IMPORT_ROWS.labels(kind=kind).inc(max(rows, 0))
    IMPORTS.labels(kind=kind, outcome="ok" if ok else "failed").inc()


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + match.route if match.route else match.view_name or "unmatched"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        REQUEST_SECONDS.labels(
            method=request.method if request.method in ("GET", "HEAD", "POST") else "other",
            route=_route(request),
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


class TaskQueueCollector(Collector):
    """The task queue as health.py sees it, read at scrape time."""

    def collect(self):
        from abierto.core.health import check_tasks

        tasks = check_tasks()
        ready = GaugeMetricFamily(
            "abierto_task_queue_ready", "Background tasks ready to run and waiting for a worker."
        )
        ready.add_metric([], tasks.get("ready", 0))
        oldest = GaugeMetricFamily(
            "abierto_task_queue_oldest_seconds", "How long the oldest ready task has waited."
        )
        oldest.add_metric([], tasks.get("oldest_ready_seconds", 0.0))
        return [ready, oldest]


def _exposition() -> bytes:
    """Every process's metrics (or this process's, outside gunicorn) and the queue's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    # A registry of its own per scrape: the queue is read now, and concurrent scrapes in
    # threads never register the same collector twice.
    queue = CollectorRegistry()
    queue.register(TaskQueueCollector())
    return generate_latest(processes) + generate_latest(queue)


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _sep, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text exposition, for a scraper holding METRICS_TOKEN."""
    if not _authorised(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    return HttpResponse(_exposition(), content_type=CONTENT_TYPE_LATEST)
