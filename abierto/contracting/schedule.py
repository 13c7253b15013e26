"""Scheduled imports: which publishers' endpoints are due to be read again (`import_ocds --due`).

Mirrors the catalog's harvest schedule (catalog/harvesting.py `due_sources`): a daily or weekly
publisher with an endpoint is due when its last finished URL import (done or failed) is a day
or a week old, less an hour of slack so that a cron run a little early still catches it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q
from django.utils import timezone

from abierto.contracting.models import Import, ImportFrequency, Publisher

INTERVALS = {
    ImportFrequency.DAILY: dt.timedelta(days=1),
    ImportFrequency.WEEKLY: dt.timedelta(days=7),
}
DUE_SLACK = dt.timedelta(hours=1)
# A queued or running import younger than this blocks a new one; an older one was left by a
# crashed worker and no longer counts.
ACTIVE_FOR = dt.timedelta(hours=6)
FROM_ENDPOINT = (Import.Source.URL, Import.Source.SCHEDULE)


def due_publishers(now: dt.datetime | None = None) -> list[Publisher]:
    """Publishers with an endpoint, read daily or weekly, whose last URL import is that old."""
    now = now or timezone.now()
    publishers = (
        Publisher.objects.exclude(endpoint_url="")
        .filter(import_frequency__in=list(INTERVALS))
        .annotate(
            last_finished=Max(
                "imports__finished_at",
                filter=Q(imports__source__in=FROM_ENDPOINT)
                & Q(imports__status__in=[Import.Status.DONE, Import.Status.FAILED]),
            )
        )
        .order_by("name")
    )
    return [
        publisher
        for publisher in publishers
        if publisher.last_finished is None
        or publisher.last_finished <= now - INTERVALS[publisher.import_frequency] + DUE_SLACK
    ]


def active_import(publisher: Publisher, now: dt.datetime | None = None) -> Import | None:
    """An import of the publisher queued or running now (any source), if there is one."""
    now = now or timezone.now()
    return (
        publisher.imports.filter(
            status__in=[Import.Status.QUEUED, Import.Status.RUNNING],
            created_at__gte=now - ACTIVE_FOR,
        )
        .order_by("-created_at")
        .first()
    )
