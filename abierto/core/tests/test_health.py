"""The health endpoint: what a load balancer and the monitoring see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

pytestmark = pytest.mark.django_db

BROKEN_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: every connection is refused at once.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def _ready_task(waiting: dt.timedelta) -> DBTaskResult:
    task = DBTaskResult.objects.create(
        task_path="abierto.catalog.tasks.harvest",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
    )
    # enqueued_at is set on insert; a task that has waited is one enqueued long ago.
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - waiting)
    return task


@pytest.mark.parametrize("url", ["/salud/", "/healthz"])
def test_a_working_system_is_healthy_and_never_cached(client, url):
    _ready_task(dt.timedelta(seconds=30))

    response = client.get(url)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "tasks": "ok",
    }
    assert body["checks"]["tasks"]["ready"] == 1
    assert 30 <= body["checks"]["tasks"]["oldest_ready_seconds"] < 60
    assert "no-store" in response["Cache-Control"]


def test_a_broken_cache_gives_503_naming_the_cache(client, settings):
    settings.CACHES = BROKEN_REDIS

    response = client.get("/salud/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["cache"]["error"] == "La caché no responde."
    assert body["checks"]["database"]["status"] == "ok"
    # No host, port or exception text in a public answer.
    assert "127.0.0.1" not in response.content.decode()


def test_a_task_waiting_too_long_gives_503_naming_the_queue(client, settings):
    settings.HEALTH_MAX_TASK_AGE_SECONDS = 900
    _ready_task(dt.timedelta(seconds=30))
    _ready_task(dt.timedelta(hours=2))

    response = client.get("/healthz")

    assert response.status_code == 503
    tasks = response.json()["checks"]["tasks"]
    assert tasks["status"] == "error"
    assert tasks["ready"] == 2
    assert tasks["oldest_ready_seconds"] >= 7200
    assert "db_worker" in tasks["error"]
    assert response.json()["checks"]["cache"]["status"] == "ok"


def test_tasks_scheduled_for_later_are_not_late_yet(client):
    task = _ready_task(dt.timedelta(hours=2))
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now() + dt.timedelta(hours=1))

    response = client.get("/salud/")

    assert response.status_code == 200
    assert response.json()["checks"]["tasks"]["ready"] == 0


def test_the_page_cache_never_answers_a_probe(client, settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.HEALTH_MAX_TASK_AGE_SECONDS = 60
    assert client.get("/salud/").status_code == 200

    _ready_task(dt.timedelta(minutes=5))

    assert client.get("/salud/").status_code == 503
