"""The append-only audit log: every change to public content says who, when, before, after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from abierto.core.models import AuditEntry, User

# Fields that hold personal data never go into the audit log, which is public.
PRIVATE_FIELDS = frozenset({"password", "email", "phone", "last_login"})


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's field values as JSON-ready data (many-to-many included)."""
    data = serializers.serialize("python", [obj])[0]["fields"]
    clean = {key: value for key, value in data.items() if key not in PRIVATE_FIELDS}
    return json.loads(json.dumps(clean, cls=DjangoJSONEncoder))


def record(
    *,
    actor: User | None,
    verb: str,
    obj: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Append an audit entry; `before` is None for a creation, `after` None for a deletion."""
    if before is None:
        action = AuditEntry.Action.CREATE
    elif after is None:
        action = AuditEntry.Action.DELETE
    else:
        action = AuditEntry.Action.UPDATE
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=before,
        after=after,
    )


def record_creation(*, actor: User | None, verb: str, obj: models.Model) -> AuditEntry:
    """Audit a newly created object."""
    return record(actor=actor, verb=verb, obj=obj, before=None, after=snapshot(obj))


@contextmanager
def recording_change(*, actor: User | None, verb: str, obj: models.Model) -> Iterator[None]:
    """Audit the change made to `obj` inside the block, with its state before and after."""
    before = snapshot(obj)
    yield
    record(actor=actor, verb=verb, obj=obj, before=before, after=snapshot(obj))


def check_fields(values: dict[str, Any], allowed, kind: str) -> None:
    """A service given a field it does not write is a programming error, not a user's."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unknown {kind} fields: {sorted(unknown)}")


def save_fields(
    *,
    actor: User | None,
    verb: str,
    obj: models.Model,
    values: dict[str, Any],
    allowed: frozenset[str] | set[str] | tuple[str, ...],
) -> models.Model:
    """Set `values` on `obj` (new or stored), validate, save and audit — unless nothing changed.

    The common shape of a service that creates an object or changes some of its fields;
    a field outside `allowed` is a programming error (TypeError), not a user's.
    """
    check_fields(values, allowed, type(obj).__name__)
    before = snapshot(obj) if obj.pk is not None else None
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    if before is not None and before == snapshot(obj):
        return obj
    obj.save()
    record(actor=actor, verb=verb, obj=obj, before=before, after=snapshot(obj))
    return obj
