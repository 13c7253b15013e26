"""Keeps the platform's own datasets current.

A change to their data bumps their dates; a new or changed exercise, STL or action plan
publishes (or updates) that exercise's datasets at once (feeds.touch).
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from abierto.catalog import feeds
from abierto.core.models import AuditEntry


@receiver(post_save, sender=AuditEntry, dispatch_uid="catalog_platform_feeds")
def touch_platform_datasets(
    sender, instance: AuditEntry, created: bool, raw: bool = False, **kwargs
) -> None:
    # A raw save is a fixture or a backup being loaded: the datasets come with it, as they were.
    if created and not raw:
        feeds.touch(instance)
