"""Writes to the catalog. Each one validates, saves and appends its audit entry.

The audit log is the dataset's history: every metadata change is kept there with its state
before and after, and the dataset page shows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abierto.catalog import files, licences
from abierto.catalog.models import (
    DEFAULT_LICENCE,
    Dataset,
    Licence,
    Publisher,
    Resource,
    Tag,
    Theme,
)
from abierto.core import audit
from abierto.core.models import User
from abierto.core.storage import undo_files_on_error

DATASET_FIELDS = frozenset(
    {
        "name",
        "identifier",
        "title",
        "description",
        "publisher",
        "licence",
        "contact_name",
        "contact_email",
        "landing_page",
        "accrual_periodicity",
        "temporal_start",
        "temporal_end",
        "spatial",
        "spatial_text",
        "language",
        "data_dictionary_url",
        "quality_notes",
        "version",
        "issued",
        "modified",
        "private",
        "state",
        "origin",
        "feed",
        "harvest_source",
        "harvest_guid",
        "extras",
    }
)
RESOURCE_FIELDS = frozenset(
    {
        "title",
        "description",
        "url",
        "format",
        "media_type",
        "size",
        "sha256",
        "data_dictionary",
        "conforms_to",
        "position",
        "extras",
        "datastore_active",
    }
)


def default_licence() -> Licence:
    """Libre Uso MX, which the national guidelines apply by default."""
    licence = Licence.objects.filter(key=DEFAULT_LICENCE).first()
    if licence is None:
        licences.ensure_standard(Licence)
        licence = Licence.objects.get(key=DEFAULT_LICENCE)
    return licence


def tags_named(names: Iterable[str]) -> list[Tag]:
    """The tags with these names, created when new; blank names are ignored."""
    clean = []
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 100:
            raise ValidationError(
                {"tags": _("La palabra clave «%s…» pasa de 100 caracteres.") % name[:30]}
            )
        if name not in clean:
            clean.append(name)
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=clean)}
    missing = [Tag(name=name) for name in clean if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=clean)}
    return [existing[name] for name in clean]


@transaction.atomic
def dataset_save(
    *,
    actor: User | None,
    dataset: Dataset | None = None,
    tags: Iterable[str] | None = None,
    themes: Iterable[Theme] | None = None,
    verb: str = "dataset_save",
    **values: Any,
) -> Dataset:
    """Create a dataset, or change the given fields (and tags or themes when given).

    Blank contact fields fall back to the publisher's institutional name and mailbox, as the
    guide asks for an institutional contact point. Raises ValidationError naming each field.
    """
    audit.check_fields(values, DATASET_FIELDS, "dataset")
    creating = dataset is None
    before = None if creating else audit.snapshot(dataset)
    dataset = dataset or Dataset()
    for name, value in values.items():
        setattr(dataset, name, value)
    now = timezone.now()
    if creating:
        if dataset.licence_id is None:
            dataset.licence = default_licence()
        if not dataset.identifier:
            dataset.identifier = dataset.name
        if dataset.modified is None:
            dataset.modified = now
        if dataset.issued is None:
            dataset.issued = now
    if dataset.publisher_id is not None:
        if not dataset.contact_name:
            dataset.contact_name = dataset.publisher.title
        if not dataset.contact_email:
            dataset.contact_email = dataset.publisher.email
    dataset.metadata_modified = now
    dataset.full_clean()
    dataset.save()
    if tags is not None:
        dataset.tags.set(tags_named(tags))
    if themes is not None:
        dataset.themes.set(list(themes))
    after = audit.snapshot(dataset)
    if before is not None:
        # metadata_modified always moves; a save that changes nothing else is not a change.
        unchanged = {k: v for k, v in before.items() if k != "metadata_modified"} == {
            k: v for k, v in after.items() if k != "metadata_modified"
        }
        if unchanged:
            Dataset.objects.filter(pk=dataset.pk).update(
                metadata_modified=before["metadata_modified"]
            )
            dataset.refresh_from_db(fields=["metadata_modified"])
            return dataset
    audit.record(actor=actor, verb=verb, obj=dataset, before=before, after=after)
    return dataset


@transaction.atomic
def dataset_delete(*, actor: User | None, dataset: Dataset) -> Dataset:
    """Mark a dataset deleted (CKAN's soft delete): its files and history are kept."""
    with audit.recording_change(actor=actor, verb="dataset_delete", obj=dataset):
        dataset.state = Dataset.State.DELETED
        dataset.metadata_modified = timezone.now()
        dataset.save(update_fields=["state", "metadata_modified"])
    return dataset


def _touch(dataset: Dataset, when) -> None:
    Dataset.objects.filter(pk=dataset.pk).update(metadata_modified=when, modified=when)
    dataset.metadata_modified = dataset.modified = when


@undo_files_on_error
@transaction.atomic
def resource_save(
    *,
    actor: User | None,
    dataset: Dataset,
    resource: Resource | None = None,
    upload: UploadedFile | None = None,
    **values: Any,
) -> Resource:
    """Create or change a resource: a link (`url`) or an uploaded file (`upload`).

    An upload is checked (type, size), streamed to storage and its checksum, size and media
    type recorded; it replaces a link and vice versa. The dataset's dates move with it.
    """
    audit.check_fields(values, RESOURCE_FIELDS, "resource")
    creating = resource is None
    before = None if creating else audit.snapshot(resource)
    resource = resource or Resource(dataset=dataset)
    if creating and "position" not in values:
        resource.position = dataset.resources.count()
    for name, value in values.items():
        setattr(resource, name, value)
    stored = None
    if upload is not None:
        stored = files.check(upload, field="upload")
        resource.url = ""
        resource.size = stored.size
        resource.sha256 = stored.sha256
        resource.media_type = stored.media_type
        resource.format = resource.format or stored.format
    elif values.get("url") and resource.file:
        resource.file = ""
    if not resource.format and resource.url:
        resource.format = files.format_from_name(resource.url)
    now = timezone.now()
    resource.last_modified = now
    if upload is not None:
        # The name is only known once stored; validate the rest first so nothing is written
        # for a resource that would be refused.
        resource.full_clean(exclude=["file", "url"])
        resource.file.save(files.safe_name(upload.name), upload, save=False)
    resource.full_clean()
    resource.save()
    _touch(dataset, now)
    audit.record(
        actor=actor,
        verb="resource_save",
        obj=resource,
        before=before,
        after=audit.snapshot(resource),
    )
    if upload is not None:
        _queue_datastore_load(resource, actor)
    return resource


def _queue_datastore_load(resource: Resource, actor: User | None) -> None:
    """A tabular upload goes into the datastore by itself, once the upload is committed."""
    # The datastore builds on the catalog; imported here so that the catalog does not.
    from abierto.datastore import services as datastore

    if datastore.is_loadable(resource):
        transaction.on_commit(lambda: datastore.queue_load(resource=resource, actor=actor))


@transaction.atomic
def resource_delete(*, actor: User | None, resource: Resource) -> Resource:
    """Mark a resource deleted; its file stays so that old download links keep working."""
    with audit.recording_change(actor=actor, verb="resource_delete", obj=resource):
        resource.state = Dataset.State.DELETED
        resource.last_modified = timezone.now()
        resource.save(update_fields=["state", "last_modified"])
    _touch(resource.dataset, resource.last_modified)
    return resource


PUBLISHER_FIELDS = frozenset(
    {"name", "title", "description", "jurisdiction", "organization", "url", "email"}
)


@transaction.atomic
def publisher_save(
    *, actor: User | None, publisher: Publisher | None = None, **values: Any
) -> Publisher:
    """Create a publisher, or change the given fields of one."""
    return audit.save_fields(
        actor=actor,
        verb="publisher_save",
        obj=publisher or Publisher(),
        values=values,
        allowed=PUBLISHER_FIELDS,
    )


@transaction.atomic
def theme_save(*, actor: User | None, theme: Theme | None = None, **values: Any) -> Theme:
    """Create a theme, or change the given fields of one."""
    return audit.save_fields(
        actor=actor,
        verb="theme_save",
        obj=theme or Theme(),
        values=values,
        allowed=frozenset({"name", "title", "description"}),
    )
