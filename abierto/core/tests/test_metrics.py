"""Prometheus metrics: what a scraper holding the token sees, and what nobody else sees."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scraper-token"


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in the exposition text, or None if absent."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def _scrape(client) -> str:
    response = client.get("/metricas", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_without_a_configured_token_there_is_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metricas").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_a_scraper_without_the_right_token_is_refused(client, settings, header):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metricas", **extra)
    assert response.status_code == 401
    assert b"abierto_" not in response.content


def test_request_latency_is_counted_by_route_pattern_not_by_path(client, settings):
    settings.METRICS_TOKEN = TOKEN
    before = _sample(
        _scrape(client),
        "abierto_http_request_duration_seconds_count",
        route="/datos/conjuntos/<str:name>/",
        status="4xx",
    )
    for name in ("uno", "dos", "tres"):
        assert client.get(f"/datos/conjuntos/{name}/").status_code == 404
    text = _scrape(client)
    after = _sample(
        text,
        "abierto_http_request_duration_seconds_count",
        method="GET",
        route="/datos/conjuntos/<str:name>/",
        status="4xx",
    )
    assert after == (before or 0) + 3
    # The raw paths never become series of their own.
    assert "/datos/conjuntos/uno/" not in text


def test_the_task_queue_depth_and_age_are_read_at_scrape_time(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert _sample(_scrape(client), "abierto_task_queue_ready") == 0
    task = DBTaskResult.objects.create(
        task_path="abierto.catalog.tasks.run_harvest",
        args_kwargs={"args": [1], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - dt.timedelta(minutes=5)
    )
    text = _scrape(client)
    assert _sample(text, "abierto_task_queue_ready") == 1
    assert 299 <= _sample(text, "abierto_task_queue_oldest_seconds") <= 400


def test_imports_from_several_processes_are_summed(client, settings, tmp_path, monkeypatch):
    """Under gunicorn every worker (and db_worker) counts on its own; a scrape sums them."""
    settings.METRICS_TOKEN = TOKEN
    script = (
        "from abierto.core.metrics import count_import\n"
        "count_import('datastore', rows=1500, ok=True)\n"
        "count_import('datastore', rows=0, ok=False)\n"
    )
    for _ in range(2):
        subprocess.run(  # noqa: S603 — this interpreter, a fixed script
            [sys.executable, "-c", script],
            env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
            check=True,
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = _scrape(client)
    assert _sample(text, "abierto_import_rows_total", kind="datastore") == 3000
    assert _sample(text, "abierto_imports_total", kind="datastore", outcome="ok") == 2
    assert _sample(text, "abierto_imports_total", kind="datastore", outcome="failed") == 2
    # The queue is still reported beside the processes' sums.
    assert _sample(text, "abierto_task_queue_ready") == 0
