"""Every write of the datastore's loads: queueing, running, and the data dictionary.

A load changes what the public sees (the table behind the API, the resource's dictionary and
`datastore_active`), so a finished load appends an audit entry: the anonymous page cache is
keyed on the newest one, and cached API answers refresh. A failed load changes nothing public
and records only its error on the Load.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from abierto.catalog.models import Dataset, Resource
from abierto.core import audit
from abierto.core.models import User
from abierto.core.storage import local_path
from abierto.datastore import loader, schema
from abierto.datastore.errors import LoadError
from abierto.datastore.models import Load

logger = logging.getLogger(__name__)

# Catalog formats (Resource.format, upper case) that load into a table.
LOADABLE_FORMATS = frozenset({"CSV", "TSV", "XLSX", "XLS", "ODS", "JSONL", "NDJSON"})
# The load page is written at most this often while a load runs.
PROGRESS_SECONDS = 0.5
# A load queued or running for longer than this is taken as dead (a worker killed mid-way)
# and no longer blocks a new one.
ACTIVE_FOR = timedelta(hours=6)


def is_loadable(resource: Resource) -> bool:
    return resource.is_upload and (resource.format or "").upper() in LOADABLE_FORMATS


def why_not_loadable(resource: Resource) -> str:
    """Why the resource cannot be loaded, in the user's words ("" when it can)."""
    if not resource.is_upload:
        return _(
            "Este recurso es un enlace a otro sitio: por ahora solo se cargan al almacén los "
            "archivos subidos a este portal. Descargue el archivo y súbalo como recurso."
        )
    if (resource.format or "").upper() not in LOADABLE_FORMATS:
        return _("Los archivos %(format)s no se cargan al almacén; se cargan %(formats)s.") % {
            "format": resource.format or _("sin formato"),
            "formats": ", ".join(sorted(LOADABLE_FORMATS)),
        }
    return ""


def dictionary_overrides(resource: Resource) -> list[dict[str, Any]]:
    """The dictionary as a load applies it: every column's info, and the type its editors
    chose (CKAN's `info.type_override`) where they chose one."""
    result = []
    for entry in resource.data_dictionary or []:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        info = entry.get("info") if isinstance(entry.get("info"), dict) else {}
        override = info.get("type_override") or None
        result.append({"id": str(entry["id"]), "type": override, "info": info})
    return result


def active_load(resource: Resource) -> Load | None:
    return (
        resource.loads.active()
        .filter(created_at__gte=timezone.now() - ACTIVE_FOR)
        .order_by("-created_at")
        .first()
    )


def latest_load(resource: Resource) -> Load | None:
    return resource.loads.order_by("-created_at", "-id").first()


def create_load(*, resource: Resource, actor: User | None) -> tuple[Load, bool]:
    """A queued Load for the resource (not started), and True; or the one already under
    way, and False."""
    reason = why_not_loadable(resource)
    if reason:
        raise ValidationError({"resource": reason})
    running = active_load(resource)
    if running is not None:
        return running, False
    load = Load.objects.create(
        resource=resource,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
        fields=dictionary_overrides(resource),
        bytes_total=resource.size or 0,
    )
    return load, True


def queue_load(*, resource: Resource, actor: User | None) -> Load:
    """Queue a load of the resource's file in the background (the worker runs it)."""
    from abierto.datastore.tasks import run_load as run_load_task

    with transaction.atomic():
        Resource.objects.select_for_update().filter(pk=resource.pk).first()
        load, created = create_load(resource=resource, actor=actor)
        if created:
            run_load_task.enqueue(load.pk)
    return load


def _save(load: Load, **values: Any) -> None:
    # Each update commits on its own (outside a request there is no transaction), so the
    # load page shows the progress while the worker works.
    for name, value in values.items():
        setattr(load, name, value)
    Load.objects.filter(pk=load.pk).update(**values)


class _Tracker:
    """Turns the loader's progress calls into at most two Load updates a second."""

    def __init__(self, load: Load, size: int, echo: Callable[[Load], Any] | None) -> None:
        self.load, self.size, self.echo = load, size, echo
        self.last = 0.0

    def __call__(self, rows_loaded: int, bytes_read: int) -> None:
        writing = rows_loaded > 0 or bytes_read > self.size
        values: dict[str, Any] = {
            "rows_loaded": rows_loaded,
            "bytes_read": bytes_read - self.size if writing else bytes_read,
        }
        now = time.monotonic()
        if writing and self.load.phase != Load.Phase.WRITING:
            values.update(phase=Load.Phase.WRITING, writing_started_at=timezone.now())
        elif now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        _save(self.load, **values)
        if self.echo is not None:
            self.echo(self.load)


@contextlib.contextmanager
def _local_path(resource: Resource) -> Iterator[Path]:
    """The stored file as a path on this machine (a temporary copy from remote storage)."""
    if not resource.file.storage.exists(resource.file.name):
        raise LoadError(_("El archivo de este recurso no está en el almacenamiento."))
    with local_path(resource.file) as path:
        yield path


def is_public(dataset: Dataset) -> bool:
    return dataset.state == Dataset.State.ACTIVE and not dataset.private


def run_load(load_id: int, *, echo: Callable[[Load], Any] | None = None) -> Load:
    """Carry out a queued load: read the file twice, swap the table in, record it.

    `echo(load)` is called with each progress update (the management command prints it).
    """
    load = Load.objects.select_related("resource__dataset", "requested_by").get(pk=load_id)
    if load.status != Load.Status.QUEUED:
        return load
    resource = load.resource
    _save(load, status=Load.Status.RUNNING, started_at=timezone.now())
    with translation.override(settings.LANGUAGE_CODE):
        try:
            with _local_path(resource) as path:
                size = path.stat().st_size
                _save(load, bytes_total=size)
                notes: list[str] = []
                loader.load_path(
                    path,
                    resource_id=resource.uuid,
                    public=is_public(resource.dataset),
                    fields=load.fields,
                    progress=_Tracker(load, size, echo),
                    format=resource.format,
                    notes=notes,
                    on_served=lambda table: _served(load, table),
                    indexes=resource.extras.get(schema.INDEXES_EXTRA) or (),
                )
        except LoadError as error:
            _save(
                load,
                status=Load.Status.FAILED,
                error=error.as_dict(),
                notes=notes,
                finished_at=timezone.now(),
            )
            return load
        except Exception as error:
            logger.exception("Datastore load %s failed", load.pk)
            _save(
                load,
                status=Load.Status.FAILED,
                error={"message": _("Error interno de la carga: %(error)s") % {"error": error}},
                finished_at=timezone.now(),
            )
            raise
        _save(load, notes=notes, status=Load.Status.DONE, finished_at=timezone.now())
    return load


@transaction.atomic
def _served(load: Load, table: schema.Table) -> None:
    """The new rows serve: say so to the public (dictionary, datastore_active, the audit entry
    that refreshes cached pages) while the full-text index is built."""
    resource = Resource.objects.select_for_update().get(pk=load.resource_id)
    with audit.recording_change(actor=load.requested_by, verb="datastore_load", obj=resource):
        resource.data_dictionary = [
            {"id": f.id, "type": f.type, "info": f.info} for f in table.fields
        ]
        resource.datastore_active = True
        resource.save(update_fields=["data_dictionary", "datastore_active"])
    _save(
        load,
        phase=Load.Phase.INDEXING,
        rows_loaded=table.row_count,
        bytes_read=load.bytes_total,
        writing_started_at=load.writing_started_at or load.started_at,
    )


DICTIONARY_INFO_KEYS = ("label", "notes", "type_override")


@transaction.atomic
def dictionary_save(
    *,
    actor: User | None,
    resource: Resource,
    entries: list[dict[str, str]],
    reload: bool = False,
) -> Load | None:
    """Change the data dictionary's labels, notes and chosen types; with `reload`, load the
    file again so the chosen types apply. `entries`: [{"id", "label", "notes",
    "type_override"}] (an empty type_override lets the load infer the type)."""
    by_id = {e["id"]: e for e in entries}
    with audit.recording_change(actor=actor, verb="datastore_dictionary", obj=resource):
        dictionary = []
        for entry in resource.data_dictionary or []:
            if not isinstance(entry, dict):
                continue
            entry = {**entry, "info": dict(entry.get("info") or {})}
            change = by_id.get(entry.get("id"))
            if change is not None:
                for key in DICTIONARY_INFO_KEYS:
                    value = (change.get(key) or "").strip()
                    if value:
                        entry["info"][key] = value
                    else:
                        entry["info"].pop(key, None)
            dictionary.append(entry)
        resource.data_dictionary = dictionary
        resource.save(update_fields=["data_dictionary"])
    table = schema.get_table(resource.uuid)
    if table is not None:
        info = {e["id"]: e["info"] for e in dictionary}
        for f in table.fields:
            f.info = info.get(f.id, f.info)
        schema.update_registry(resource.uuid, fields=table.fields)
    if reload:
        return queue_load(resource=resource, actor=actor)
    return None
