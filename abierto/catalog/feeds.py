"""The platform's own data as catalog datasets (plans, commitments, progress, sessions, events).

Each feed names the models whose changes make its data change; the datasets that publish a
feed link to the platform's live CSV and JSON exports, so their data is always current, and
`touch` moves their dates whenever the audit log records a change to one of those models.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from abierto.core.models import AuditEntry

# feed key -> models ("app_label.model") whose changes change the feed's data
FEED_MODELS: dict[str, frozenset[str]] = {
    "plans": frozenset({"plans.actionplan"}),
    "commitments": frozenset({"plans.commitment", "plans.milestone", "plans.progressupdate"}),
    "milestones": frozenset({"plans.milestone", "plans.progressupdate"}),
    "progress": frozenset({"plans.progressupdate", "plans.verification"}),
    "secretariat": frozenset({"secretariat.seat", "secretariat.membership"}),
    "sessions": frozenset({"secretariat.session"}),
    "agreements": frozenset({"secretariat.agreement"}),
    "events": frozenset({"participation.event"}),
    "proposals": frozenset({"participation.proposal", "participation.support"}),
    "contracting": frozenset({"contracting.import"}),
}


def feeds_touched_by(label: str) -> list[str]:
    return [key for key, labels in FEED_MODELS.items() if label in labels]


def touch(entry: AuditEntry) -> None:
    """Move the dates of the datasets whose data the audited change altered."""
    from abierto.catalog.models import Dataset

    label = f"{entry.content_type.app_label}.{entry.content_type.model}"
    keys = feeds_touched_by(label)
    if not keys:
        return
    now = timezone.now()
    query = Q()
    for key in keys:
        # A feed is scoped ("commitments:jalisco:2016-2018"); its key is what comes first.
        query |= Q(feed=key) | Q(feed__startswith=f"{key}:")
    Dataset.objects.filter(query, origin=Dataset.Origin.PLATFORM).update(
        modified=now, metadata_modified=now
    )
