"""A dataset's history, read from the audit log: what changed in it and its resources, and when.

services.py appends an entry with the state before and after to every write, so the history
is a diff of those two snapshots. Ids of related rows (publisher, licence, place, tags,
themes) are shown by name, resolved in one query per kind for the whole page. Who made a
change is shown by public name only, as everywhere else on the site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from abierto.catalog.models import Dataset, Licence, Publisher, Resource, Tag, Theme
from abierto.core.models import AuditEntry, Jurisdiction

# Bookkeeping that moves with every write and says nothing to a reader.
HIDDEN_FIELDS = frozenset({"metadata_modified", "last_modified", "uuid", "dataset", "created_at"})
MAX_VALUE_CHARS = 400
RELATED = {
    "publisher": Publisher,
    "licence": Licence,
    "spatial": Jurisdiction,
    "tags": Tag,
    "themes": Theme,
}


@dataclass
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass
class Event:
    entry: AuditEntry
    subject: str  # "dataset" or "resource"
    title: str
    changes: list[Change]

    @property
    def actor_name(self) -> str:
        actor = self.entry.actor
        return actor.public_name if actor is not None else _("el sistema o un proceso automático")


def entries_for(dataset: Dataset) -> QuerySet[AuditEntry]:
    """Audit entries of the dataset and of every resource it has had, newest first."""
    types = ContentType.objects.get_for_models(Dataset, Resource)
    resource_ids = [
        str(pk) for pk in Resource.objects.filter(dataset=dataset).values_list("pk", flat=True)
    ]
    return (
        AuditEntry.objects.filter(
            Q(content_type=types[Dataset], object_id=str(dataset.pk))
            | Q(content_type=types[Resource], object_id__in=resource_ids)
        )
        .select_related("actor", "content_type")
        .order_by("-created_at", "-id")
    )


def _fields(model) -> dict[str, Any]:
    """The model's editable fields by name, in the order the model declares them."""
    return {f.name: f for f in model._meta.get_fields() if hasattr(f, "verbose_name")}


def _names(entries: list[AuditEntry]) -> dict[str, dict[str, str]]:
    """Names of every related id the page's entries mention, one query per kind."""
    wanted: dict[str, set[Any]] = {key: set() for key in RELATED}
    for entry in entries:
        for snapshot in (entry.before or {}, entry.after or {}):
            for key in RELATED:
                value = snapshot.get(key)
                if isinstance(value, list):
                    wanted[key].update(v for v in value if v is not None)
                elif value is not None:
                    wanted[key].add(value)
    names: dict[str, dict[str, str]] = {}
    for key, model in RELATED.items():
        ids = {v for v in wanted[key] if isinstance(v, int)}
        names[key] = (
            {str(obj.pk): str(obj) for obj in model.objects.filter(pk__in=ids)} if ids else {}
        )
    return names


def _shown(field: Any, key: str, value: Any, names: dict[str, dict[str, str]]) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if key in RELATED:
        lookup = names[key]
        if isinstance(value, list):
            return ", ".join(sorted(lookup.get(str(v), f"#{v}") for v in value))
        return lookup.get(str(value), f"#{value}")
    if isinstance(value, bool):
        return _("sí") if value else _("no")
    choices = dict(getattr(field, "flatchoices", None) or ())
    if value in choices:
        return str(choices[value])
    if isinstance(field, models.DateTimeField) and (when := parse_datetime(str(value))):
        return formats.date_format(timezone.localtime(when), "DATETIME_FORMAT")
    if isinstance(field, models.DateField) and (day := parse_date(str(value))):
        return formats.date_format(day, "DATE_FORMAT")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def events(entries: list[AuditEntry]) -> list[Event]:
    """Each entry as the fields it changed, with their values before and after."""
    names = _names(entries)
    fields = {"catalog.dataset": _fields(Dataset), "catalog.resource": _fields(Resource)}
    result = []
    for entry in entries:
        model_key = f"{entry.content_type.app_label}.{entry.content_type.model}"
        model_fields = fields.get(model_key, {})
        subject = "resource" if model_key == "catalog.resource" else "dataset"
        before, after = entry.before or {}, entry.after or {}
        keys = [k for k in model_fields if k in before or k in after]
        keys += sorted((set(before) | set(after)) - set(keys))
        changes = []
        for key in keys:
            if key in HIDDEN_FIELDS or before.get(key) == after.get(key):
                continue
            if entry.before is None and after.get(key) in (None, "", [], {}):
                continue  # a creation lists what was filled in, not every empty field
            field = model_fields.get(key)
            changes.append(
                Change(
                    field=key,
                    label=str(field.verbose_name) if field is not None else key,
                    before=(
                        _shown(field, key, before.get(key), names)
                        if entry.before is not None
                        else ""
                    ),
                    after=_shown(field, key, after.get(key), names),
                )
            )
        result.append(Event(entry=entry, subject=subject, title=entry.object_repr, changes=changes))
    return result
