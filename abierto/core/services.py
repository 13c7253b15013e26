"""Writes of shared content (documents), each with its audit entry."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from abierto.core import audit
from abierto.core.models import Document, User
from abierto.core.storage import undo_files_on_error
from abierto.core.uploads import check_upload


@undo_files_on_error
@transaction.atomic
def document_attach(
    *,
    obj: models.Model,
    kind: str,
    title: str,
    uploaded_by: User | None,
    file: UploadedFile | None = None,
    url: str = "",
    description: str = "",
    published_on: dt.date | None = None,
    field: str = "file",
) -> Document:
    """Attach a checked file or a link to a commitment, meeting, session or progress update."""
    document = Document(
        kind=kind,
        title=title,
        description=description,
        url=url,
        published_on=published_on,
        attached_to=obj,
        uploaded_by=uploaded_by,
    )
    if file is not None:
        checked = check_upload(file, field=field)
        document.media_type = checked.media_type
        document.size = checked.size
        document.sha256 = checked.sha256
        document.file = file
    document.full_clean(exclude=["content_type", "object_id"])
    document.save()
    audit.record_creation(actor=uploaded_by, verb="document_attach", obj=document)
    return document
