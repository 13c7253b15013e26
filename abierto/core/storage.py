"""Where uploads are stored (the file system or S3-compatible object storage), never leaving a
partial file or an orphan.

`MediaStorage` is the local file system storage of Django with two guarantees. A write that
fails (a full disk, a quota, a permission) removes what it had written and becomes a
ValidationError that says so, which forms and APIs show like any other refusal. And a service
decorated with `undo_files_on_error` removes the files it stored when it fails afterwards (a
second evidence file refused, a database error): its transaction rolls back the rows, this
rolls back the files. `storage_s3.S3MediaStorage` (django-storages) keeps the second; S3 writes
are whole or nothing by themselves. Code that needs a file on disk (a parser that takes a path)
asks `local_path()`, which gives the stored path or a temporary copy of a remote object.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.translation import gettext as _

logger = logging.getLogger("abierto.storage")

_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("abierto_stored", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def remember(storage: Storage, name: str) -> None:
    """Note a file stored inside an `undo_files_on_error` service (any storage may call it)."""
    stored = _stored.get()
    if stored is not None:
        stored.append((storage, name))


def undo_files_on_error(function: F) -> F:
    """Delete the files the service stored if it raises; nested services undo with the outer."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _stored.get() is not None:
            return function(*args, **kwargs)
        stored: list[tuple[Storage, str]] = []
        token = _stored.set(stored)
        try:
            return function(*args, **kwargs)
        except BaseException:
            for storage, name in stored:
                try:
                    storage.delete(name)
                except OSError:
                    logger.exception("Could not remove %s after a failed save", name)
            raise
        finally:
            _stored.reset(token)

    return wrapper  # type: ignore[return-value]


class MediaStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        try:
            name = super()._save(name, content)
        except OSError as error:
            # The parent creates the file exclusively (O_EXCL): what is there is ours, partial.
            with contextlib.suppress(OSError):
                os.remove(self.path(name))
            logger.error("Could not store %s: %s", name, error)
            raise ValidationError(
                _(
                    "El servidor no pudo guardar el archivo «%(name)s» (sin espacio en disco o "
                    "sin permiso de escritura). No se guardó nada; inténtalo más tarde o avisa a "
                    "quien administra la plataforma."
                )
                % {"name": os.path.basename(name)},
                code="storage",
            ) from error
        remember(self, name)
        return name


@contextlib.contextmanager
def local_path(stored: File) -> Iterator[Path]:
    """A path on disk holding the stored file: its own on the file system, else a temporary
    copy (streamed, removed afterwards) for parsers that only read paths."""
    try:
        yield Path(stored.path)
        return
    except NotImplementedError:
        pass  # a storage without local paths (S3)
    suffix = PurePosixPath(stored.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as copy:
        try:
            with stored.storage.open(stored.name, "rb") as source:
                shutil.copyfileobj(source, copy, 1024 * 1024)
        except BaseException:
            os.unlink(copy.name)
            raise
    try:
        yield Path(copy.name)
    finally:
        os.unlink(copy.name)
