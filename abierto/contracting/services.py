"""Writes of open contracting data: publishers and imports, each with its audit entry.

Releases and records are written by the import itself (importing.py): one audit entry when an
import is started and one when it ends, never one per release, which would flood the log.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from abierto.contracting import fetching, importing, redflags
from abierto.contracting.models import Import, Publisher, Record, Release
from abierto.core import audit
from abierto.core.models import User
from abierto.core.storage import local_path

PUBLISHER_FIELDS = (
    "name",
    "ocid_prefix",
    "organization",
    "endpoint_url",
    "license",
    "publication_policy",
    "import_frequency",
)


@transaction.atomic
def publisher_save(
    *, actor: User | None, publisher: Publisher | None = None, **values: Any
) -> Publisher:
    """Create a publisher, or change the given fields of one."""
    if "ocid_prefix" in values:
        values["ocid_prefix"] = str(values["ocid_prefix"]).strip()
    return audit.save_fields(
        actor=actor,
        verb="publisher_save",
        obj=publisher or Publisher(),
        values=values,
        allowed=PUBLISHER_FIELDS,
    )


@transaction.atomic
def import_create(
    *,
    actor: User | None,
    publisher: Publisher,
    source: str,
    file: UploadedFile | None = None,
) -> Import:
    """Record an import to be run: an uploaded file, or the publisher's own endpoint."""
    import_ = Import(publisher=publisher, source=source)
    if source == Import.Source.UPLOAD:
        if file is None:
            raise ValidationError({"file": "Falta el archivo."})
        import_.file = file
    else:
        if not publisher.endpoint_url:
            raise ValidationError(
                {"publisher": "El publicador no tiene una URL de publicación configurada."}
            )
        # Only the URL an administrator configured is ever fetched.
        import_.url = publisher.endpoint_url
    import_.save()
    audit.record(
        actor=actor,
        verb="import_create",
        obj=import_,
        before=None,
        after=audit.snapshot(import_),
    )
    return import_


def import_start(
    *,
    actor: User | None,
    publisher: Publisher,
    source: str,
    file: UploadedFile | None = None,
) -> Import:
    """Record an import and queue it for the background worker."""
    from abierto.contracting.tasks import run_import

    import_ = import_create(actor=actor, publisher=publisher, source=source, file=file)
    run_import.enqueue(import_.pk)
    return import_


def import_run(*, import_id: int, flags_now: bool = True) -> Import:
    """Run a recorded import now (the background task calls this).

    `flags_now=False` queues the recomputation of the publisher's red flags instead of doing
    it here: a capture runs in a web request, and the flags of every process of its publisher
    may take minutes."""
    import_ = Import.objects.select_related("publisher").get(pk=import_id)
    before = audit.snapshot(import_)
    if import_.url:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
            tmp = out.name
            try:
                fetching.download(import_.url, out)
            except fetching.FetchError as exc:
                import_.status = Import.Status.FAILED
                import_.error = str(exc)
                # A failed download is a finished run: the schedule waits for the interval.
                import_.finished_at = timezone.now()
        try:
            if import_.status != Import.Status.FAILED:
                importing.load(import_, tmp)
            else:
                import_.save()
        finally:
            os.unlink(tmp)
    else:
        with local_path(import_.file) as path:
            importing.load(import_, str(path))
    if import_.status == Import.Status.DONE:
        # Buyer and market indicators depend on every process, so all flags are recomputed.
        if flags_now:
            redflags.refresh(import_.publisher)
        else:
            from abierto.contracting.tasks import refresh_red_flags

            publisher_id = import_.publisher_id
            transaction.on_commit(lambda: refresh_red_flags.enqueue(publisher_id))
    audit.record(
        actor=None,
        verb="import_run",
        obj=import_,
        before=before,
        after=audit.snapshot(import_),
    )
    if import_.releases_stored:
        bulk_enqueue(import_=import_)
    return import_


def bulk_years(*, import_: Import) -> list[int]:
    """The years whose bulk files an import changed: of its releases, and of their records."""
    releases = Release.objects.filter(source_import=import_)
    years = {d.year for d in releases.dates("date", "year")}
    years |= set(
        Record.objects.filter(ocid__in=releases.values("ocid"), year__isnull=False)
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(years)


def bulk_enqueue(*, import_: Import) -> None:
    """Queue the rebuild of the yearly bulk files an import changed (bulk.py)."""
    from abierto.contracting.tasks import build_bulk

    years = bulk_years(import_=import_)
    if years:
        build_bulk.enqueue(import_.publisher_id, years)


def import_file(*, actor: User | None, publisher: Publisher, path: str) -> Import:
    """Import a file from the server's disk now (management command, demo)."""
    with open(path, "rb") as fh:
        name = os.path.basename(path)
        import_ = import_create(
            actor=actor,
            publisher=publisher,
            source=Import.Source.UPLOAD,
            file=UploadedFile(fh, name=name),
        )
    return import_run(import_id=import_.pk)
