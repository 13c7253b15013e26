"""Health endpoint for load balancers and monitoring: database, cache and task queue.

`/salud/` (and `/healthz`, the name most probes expect) answers 200 when every check passes
and 503 otherwise, so a load balancer takes an app server out of rotation by the status alone;
the JSON body says which part failed. It holds no personal data and no exception text (which
can name hosts and ports): the details go to the log, under the request's id.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Min, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("abierto.health")

Check = dict[str, Any]


def _timed(check: Callable[[], Check], failure: str) -> Check:
    started = time.perf_counter()
    try:
        result = check()
    except Exception:
        # Anything a dependency can raise means "not healthy"; the traceback goes to the log.
        logger.exception("Health check failed: %s", check.__name__)
        result = {"status": "error", "error": failure}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> Check:
    """A real round trip to the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def check_cache() -> Check:
    """Write, read back and delete a key on the default cache (Redis in production)."""
    key = f"abierto:health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=30)
    value = cache.get(key)
    cache.delete(key)
    if value != "ok":
        return {"status": "error", "error": _("La caché no devolvió el valor escrito.")}
    return {"status": "ok"}


def check_tasks() -> Check:
    """The database task queue: how many tasks wait to run, and for how long the oldest has."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend):
        # Another backend (immediate, dummy) has no queue of its own to watch.
        return {"status": "ok", "backend": type(backend).__name__}
    ready = DBTaskResult.objects.ready().filter(backend_name=backend.alias)
    # A task is waiting since it was enqueued, or since its run_after when one was given.
    unscheduled = Q(run_after=get_date_max())
    oldest = ready.aggregate(
        enqueued=Min("enqueued_at", filter=unscheduled),
        scheduled=Min("run_after", filter=~unscheduled),
    )
    waiting_since = min((value for value in oldest.values() if value is not None), default=None)
    age = (timezone.now() - waiting_since).total_seconds() if waiting_since else 0.0
    limit = settings.HEALTH_MAX_TASK_AGE_SECONDS
    result: Check = {
        "status": "ok" if age <= limit else "error",
        "ready": ready.count(),
        "oldest_ready_seconds": round(max(age, 0.0), 1),
        "max_age_seconds": limit,
    }
    if result["status"] == "error":
        result["error"] = _(
            "La cola de tareas tiene tareas esperando más de %(seconds)s s: "
            "¿están corriendo los procesos db_worker?"
        ) % {"seconds": limit}
    return result


def run_checks() -> dict[str, Check]:
    """Every check, each isolated: one failing never hides the others' results."""
    return {
        "database": _timed(check_database, _("La base de datos no responde.")),
        "cache": _timed(check_cache, _("La caché no responde.")),
        "tasks": _timed(check_tasks, _("No se pudo leer la cola de tareas.")),
    }


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 with every check ok, 503 naming what failed. Never cached, not even by proxies."""
    checks = run_checks()
    healthy = all(check["status"] == "ok" for check in checks.values())
    # never_cache sends "no-store" (with no-cache, private): no proxy or CDN in front of the
    # app servers may answer a probe from a copy. The page cache is never applied here either.
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
        json_dumps_params={"ensure_ascii": False},
    )
