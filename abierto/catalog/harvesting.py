"""Harvest runs: read a remote catalog, copy its datasets here, report what happened to each.

A run first reads the whole source (CKAN, DCAT or data.json; harvest_*.py), so that a source
that is down, slow or returns garbage fails the run before anything is written. Then each
remote dataset is written in its own transaction through the catalog's services:

- it is found again by (source, remote id), so re-runs never duplicate;
- a hash of what the source said (and of the publisher and licence it maps to) is kept in the
  dataset's extras: an identical hash means "unchanged" and nothing is written;
- a remote dataset missing a required field, or one the catalog's validation refuses, is
  "failed" with the reason, and nothing of it is written;
- a new dataset whose name is taken here gets a suffixed name (name-2, name-3…).

After a complete read of the source (DCAT and data.json runs always; a CKAN run also lists the
ids the source still has, since its incremental read only gives what changed), the datasets of
this source whose remote id is gone are withdrawn: marked deleted through
`services.dataset_delete`, so their permanent addresses keep answering. A run that failed
withdraws nothing, and neither does one that read no dataset at all from a source that had
some here (an empty answer by mistake must not wipe the catalog).

A preview (HarvestRun.preview) does the same work, reports the same, and rolls every write back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from abierto.catalog import harvest_ckan, harvest_datajson, harvest_dcat, licences, services
from abierto.catalog.feeds import free_name
from abierto.catalog.harvest_fetch import FetchError
from abierto.catalog.harvest_remote import HarvestError, RemoteDataset, RemoteResource
from abierto.catalog.models import (
    Dataset,
    HarvestRun,
    HarvestSource,
    Licence,
    Publisher,
    Resource,
    Theme,
)

logger = logging.getLogger(__name__)

READERS: dict[str, Callable[..., list[RemoteDataset]]] = {
    HarvestSource.Kind.CKAN: harvest_ckan.read,
    HarvestSource.Kind.DCAT: harvest_dcat.read,
    HarvestSource.Kind.DATAJSON: harvest_datajson.read,
}
INTERVALS = {
    HarvestSource.Frequency.DAILY: dt.timedelta(days=1),
    HarvestSource.Frequency.WEEKLY: dt.timedelta(days=7),
}
# A daily cron job starts at the same minute each day, a little before the previous run
# finished 24 hours earlier: without this slack it would skip every other day.
DUE_SLACK = dt.timedelta(hours=1)
# A queued or running run younger than this blocks a new one for the same source.
ACTIVE_FOR = dt.timedelta(hours=6)
PROGRESS_EVERY = 20
NOT_SPECIFIED = "notspecified"

CREATED, UPDATED, UNCHANGED, FAILED, DELETED = (
    "created",
    "updated",
    "unchanged",
    "failed",
    "deleted",
)


class _Rollback(Exception):
    """Undoes a preview's writes."""


# ----------------------------------------------------------------------------- starting runs


def active_run(source: HarvestSource) -> HarvestRun | None:
    return (
        source.runs.filter(
            status__in=[HarvestRun.Status.QUEUED, HarvestRun.Status.RUNNING],
            created_at__gte=timezone.now() - ACTIVE_FOR,
        )
        .order_by("-created_at")
        .first()
    )


def start(*, source: HarvestSource, preview: bool = False) -> HarvestRun:
    """Queue a run (or a preview) in the background; a run already under way is returned."""
    from abierto.catalog.tasks import run_harvest

    with transaction.atomic():
        running = active_run(source)
        if running is not None:
            return running
        run = HarvestRun.objects.create(source=source, preview=preview)
        run_harvest.enqueue(run.pk)
    return run


def due_sources(now: dt.datetime | None = None) -> list[HarvestSource]:
    """Active scheduled sources whose last finished run is a day (or a week) old, or none."""
    now = now or timezone.now()
    sources = (
        HarvestSource.objects.filter(active=True)
        .exclude(frequency=HarvestSource.Frequency.MANUAL)
        .annotate(
            last_finished=Max(
                "runs__finished_at",
                filter=Q(runs__preview=False)
                & Q(runs__status__in=[HarvestRun.Status.DONE, HarvestRun.Status.FAILED]),
            )
        )
        .order_by("name")
    )
    return [
        source
        for source in sources
        if source.last_finished is None
        or source.last_finished <= now - INTERVALS[source.frequency] + DUE_SLACK
    ]


# ----------------------------------------------------------------------------- running them


def _save(run: HarvestRun, **fields: Any) -> None:
    # Each update commits on its own, so the run's page shows progress while it works.
    for name, value in fields.items():
        setattr(run, name, value)
    HarvestRun.objects.filter(pk=run.pk).update(**fields)


def execute(run_id: int) -> HarvestRun:
    """Carry out a queued run: read the source, write (or preview) each dataset, report."""
    run = HarvestRun.objects.select_related("source__publisher").get(pk=run_id)
    if run.status != HarvestRun.Status.QUEUED:
        return run
    source = run.source
    since = None
    if source.kind == HarvestSource.Kind.CKAN:
        last = (
            source.runs.filter(status=HarvestRun.Status.DONE, preview=False)
            .exclude(pk=run.pk)
            .order_by("-started_at")
            .first()
        )
        since = last.started_at if last is not None else None
    _save(run, status=HarvestRun.Status.RUNNING, started_at=timezone.now(), since=since)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            remotes = READERS[source.kind](
                source, since=since, progress=lambda n: _save(run, seen=n)
            )
            present = {remote.guid for remote in remotes}
            if since is not None:
                # An incremental read only gives what changed: ask what still exists.
                present |= harvest_ckan.ids(source)
            _apply_all(run, remotes, present)
        except (HarvestError, FetchError) as exc:
            _save(run, status=HarvestRun.Status.FAILED, error=str(exc), finished_at=timezone.now())
        except Exception as exc:
            logger.exception("Harvest run %s failed", run.pk)
            _save(
                run,
                status=HarvestRun.Status.FAILED,
                error=_("Error interno de la cosecha: %(error)s") % {"error": exc},
                finished_at=timezone.now(),
            )
            raise
    return run


def _apply_all(run: HarvestRun, remotes: list[RemoteDataset], present: set[str]) -> None:
    lookups = Lookups(run.source)
    counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, FAILED: 0, DELETED: 0}
    report = []
    _save(run, seen=len(remotes))
    for number, remote in enumerate(remotes, start=1):
        entry = apply(run.source, remote, preview=run.preview, lookups=lookups)
        counts[entry["action"]] += 1
        report.append(entry)
        if number % PROGRESS_EVERY == 0:
            _save(run, **counts)
    withdrawn, warning = withdraw_missing(run.source, present, preview=run.preview)
    counts[DELETED] = len(withdrawn)
    report.extend(withdrawn)
    _save(
        run,
        **counts,
        report=report,
        warning=warning,
        status=HarvestRun.Status.DONE,
        finished_at=timezone.now(),
    )


def withdraw_missing(
    source: HarvestSource, present: set[str], *, preview: bool
) -> tuple[list[dict[str, str]], str]:
    """Mark deleted this source's datasets whose remote id the source no longer gives.

    `present` must be every remote id of a complete read. Returns the report entries (in a
    preview: what would be withdrawn, with nothing written) and a warning when the safety
    rule held the withdrawal back.
    """
    harvested = list(
        Dataset.objects.filter(harvest_source=source, origin=Dataset.Origin.HARVESTED)
        .exclude(state=Dataset.State.DELETED)
        .order_by("title", "pk")
    )
    missing = [dataset for dataset in harvested if dataset.harvest_guid not in present]
    if not missing:
        return [], ""
    if not present:
        return [], _(
            "La fuente no dio ningún conjunto y aquí hay %(n)s cosechados de ella: por "
            "precaución no se retiró ninguno. Si la fuente de verdad quedó vacía, retírelos a "
            "mano."
        ) % {"n": len(harvested)}
    entries = []
    for dataset in missing:
        if not preview:
            services.dataset_delete(actor=None, dataset=dataset)
        entries.append(
            {
                "guid": dataset.harvest_guid,
                "title": dataset.title[:300],
                "action": DELETED,
                "reason": _("Ya no está en la fuente: se marcó como eliminado aquí.")
                if not preview
                else _("Ya no está en la fuente: la cosecha lo marcaría como eliminado."),
                "dataset": dataset.name,
            }
        )
    return entries, ""


class Lookups:
    """What every remote dataset of a run is matched against, read once per run."""

    def __init__(self, source: HarvestSource) -> None:
        self.source = source
        self.publishers: dict[str, Publisher] = {}
        licences.ensure_standard(Licence)
        self.licences = list(Licence.objects.all())
        self.themes = {theme.name: theme for theme in Theme.objects.all()}

    def publisher(self, organization: str) -> Publisher:
        """The local publisher named like the remote organization, else the source's."""
        if not organization:
            return self.source.publisher
        if organization not in self.publishers:
            found = Publisher.objects.filter(
                Q(name=organization)
                | Q(name=slugify(organization)[:100])
                | Q(title__iexact=organization)
            ).first()
            self.publishers[organization] = found or self.source.publisher
        return self.publishers[organization]

    def licence(self, remote: str) -> Licence:
        """By key, by URL or by title; «notspecified» when it is none of ours."""
        wanted = remote.strip().lower()

        def url(value: str) -> str:
            return value.lower().split("://", 1)[-1].rstrip("/")

        for licence in self.licences:
            if wanted and wanted in (licence.key.lower(), licence.title.lower()):
                return licence
            if wanted and licence.url and url(wanted) == url(licence.url):
                return licence
        return next(
            (licence for licence in self.licences if licence.key == NOT_SPECIFIED),
            self.licences[0],
        )


def _fingerprint(remote: RemoteDataset, publisher: Publisher, licence: Licence) -> str:
    data = {"remote": remote.as_dict(), "publisher": publisher.name, "licence": licence.key}
    encoded = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _label(field: str) -> str:
    """A field's name as the interface says it («buzón de contacto», not contact_email)."""
    for model in (Dataset, Resource):
        try:
            return str(model._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:
            continue
    return field


def _reason(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            (f"{_label(field)}: " if field != NON_FIELD_ERRORS else "")
            + " ".join(str(m) for m in messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(str(m) for m in exc.messages)


def apply(
    source: HarvestSource, remote: RemoteDataset, *, preview: bool, lookups: Lookups | None = None
) -> dict[str, str]:
    """Write one remote dataset (or, in a preview, find what writing it would do)."""
    lookups = lookups or Lookups(source)
    entry = {"guid": remote.guid, "title": remote.title[:300], "action": FAILED, "reason": ""}
    problems = list(remote.problems)
    if len(remote.guid) > 300:
        problems.append(_("El identificador en la fuente pasa de 300 caracteres."))
    if not remote.title:
        problems.append(_("Falta el título."))
    if not remote.description:
        problems.append(_("Falta la descripción."))
    if problems:
        entry["reason"] = " ".join(problems)
        return entry
    mirrored = _local_twin(remote.guid)
    if mirrored is not None and mirrored["harvest_source_id"] == source.pk:
        # The source lists our own copy of one of its datasets (it harvests us back, or
        # mirrors us): copying the copy would grow the catalog on every run.
        entry.update(
            action=UNCHANGED,
            reason=_("Es una copia que esta misma fuente ya trajo aquí; no se copia otra vez."),
        )
        return entry
    # A remote dataset that is one of ours stays apart from the original's publisher.
    publisher = source.publisher if mirrored is not None else lookups.publisher(remote.organization)
    licence = lookups.licence(remote.licence)
    fingerprint = _fingerprint(remote, publisher, licence)
    existing = Dataset.objects.filter(harvest_source=source, harvest_guid=remote.guid).first()
    if (
        existing is not None
        and existing.state != Dataset.State.DELETED
        and existing.extras.get("harvest", {}).get("hash") == fingerprint
    ):
        entry.update(action=UNCHANGED, dataset=existing.name)
        return entry
    restoring = existing is not None and existing.state == Dataset.State.DELETED
    try:
        with transaction.atomic():
            dataset = _write(source, remote, existing, publisher, licence, fingerprint, lookups)
            entry.update(action=UPDATED if existing else CREATED, dataset=dataset.name)
            if restoring:
                entry["reason"] = _("Estaba eliminado aquí y la fuente lo tiene: se restauró.")
            if preview:
                raise _Rollback
    except _Rollback:
        pass
    except ValidationError as exc:
        entry.update(action=FAILED, reason=_reason(exc))
    except (IntegrityError, DatabaseError) as exc:
        entry.update(action=FAILED, reason=_("La base de datos rechazó el conjunto: %s") % exc)
    return entry


def _local_twin(guid: str) -> dict | None:
    """The dataset here whose uuid is the remote id (a source that mirrors this catalog)."""
    try:
        key = uuid.UUID(guid)
    except ValueError:
        return None
    return Dataset.objects.filter(uuid=key).values("pk", "harvest_source_id").first()


def _valid(value: str, validator) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _local_name(remote: RemoteDataset) -> str:
    base = slugify(remote.name)[:100] or slugify(remote.title)[:100]
    if len(base) < 2:
        base = "conjunto-" + hashlib.sha256(remote.guid.encode()).hexdigest()[:8]
    return free_name(base.strip("-") or "conjunto")


def _write(
    source: HarvestSource,
    remote: RemoteDataset,
    existing: Dataset | None,
    publisher: Publisher,
    licence: Licence,
    fingerprint: str,
    lookups: Lookups,
) -> Dataset:
    modified = remote.modified or timezone.now()
    email = remote.contact_email if _valid(remote.contact_email, EmailValidator()) else ""
    landing = remote.landing_page if _valid(remote.landing_page, URLValidator()) else ""
    extras = dict(existing.extras) if existing is not None else {}
    extras["harvest"] = {
        "hash": fingerprint,
        "source": source.name,
        "remote_name": remote.name,
        "organization": remote.organization,
        "licence": remote.licence,
    }
    values: dict[str, Any] = {
        "title": remote.title,
        "description": remote.description,
        "publisher": publisher,
        "licence": licence,
        "contact_name": remote.contact_name[:200] or publisher.title,
        "contact_email": email or publisher.email,
        "landing_page": landing,
        "accrual_periodicity": remote.periodicity or Dataset.Periodicity.IRREGULAR,
        "temporal_start": remote.temporal_start,
        "temporal_end": remote.temporal_end,
        "version": remote.version[:100],
        "issued": remote.issued or modified,
        "modified": modified,
        "origin": Dataset.Origin.HARVESTED,
        "harvest_source": source,
        "harvest_guid": remote.guid,
        "state": Dataset.State.ACTIVE,
        "private": False,
        "extras": extras,
    }
    themes = [lookups.themes[n] for n in (slugify(t) for t in remote.themes) if n in lookups.themes]
    if existing is None:
        name = _local_name(remote)
        identifier = remote.guid
        if (
            not identifier.isascii()
            or len(identifier) > 200
            or Dataset.objects.filter(identifier=identifier).exists()
        ):
            identifier = name
        dataset = services.dataset_save(
            actor=None,
            verb="harvest",
            name=name,
            identifier=identifier,
            tags=remote.tags,
            themes=themes,
            **values,
        )
    else:
        dataset = services.dataset_save(
            actor=None, verb="harvest", dataset=existing, tags=remote.tags, themes=themes, **values
        )
    if _write_resources(dataset, remote.resources):
        # Writing a resource dates the dataset now; the data's date is the source's.
        dataset = services.dataset_save(
            actor=None, verb="harvest", dataset=dataset, modified=modified
        )
    return dataset


def _write_resources(dataset: Dataset, wanted: list[RemoteResource]) -> bool:
    """Bring the dataset's links in line with the source's; True when anything was written."""
    current = list(dataset.resources.active().order_by("position", "id"))
    by_remote = {r.extras.get("harvest_id"): r for r in current if r.extras.get("harvest_id")}
    used: set[int] = set()
    written = False
    for position, remote in enumerate(wanted):
        values = {
            "title": (remote.title or remote.url)[:300],
            "description": remote.description,
            "url": remote.url,
            "format": remote.format[:40],
            "media_type": remote.media_type[:120],
            "size": remote.size,
            "position": position,
            "extras": {"harvest_id": remote.remote_id} if remote.remote_id else {},
        }
        match = by_remote.get(remote.remote_id) if remote.remote_id else None
        if match is None or match.pk in used:
            match = next((r for r in current if r.pk not in used and r.url == remote.url), None)
        try:
            if match is None:
                services.resource_save(actor=None, dataset=dataset, **values)
                written = True
                continue
            used.add(match.pk)
            # A link without a format gets one from its URL: not a change of the source's.
            compared = {k: v for k, v in values.items() if k != "format" or v}
            if any(getattr(match, k) != v for k, v in compared.items()) or match.file:
                services.resource_save(actor=None, dataset=dataset, resource=match, **values)
                written = True
        except ValidationError as exc:
            raise ValidationError(
                _("Recurso %(n)s («%(title)s»): %(reason)s")
                % {"n": position + 1, "title": values["title"], "reason": _reason(exc)}
            ) from None
    for resource in current:
        if resource.pk not in used:
            services.resource_delete(actor=None, resource=resource)
            written = True
    return written


def run_now(source: HarvestSource, *, preview: bool = False) -> HarvestRun:
    """Run a harvest in this process (the `harvest` command), not in the background."""
    run = HarvestRun.objects.create(source=source, preview=preview)
    return execute(run.pk)
