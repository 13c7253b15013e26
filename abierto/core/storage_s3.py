"""Uploads in S3-compatible object storage (AWS S3, MinIO, Ceph…), with django-storages.

Chosen by MEDIA_STORAGE=s3 (settings.py, docs/deploy.md). Its own module so that the file
system default never imports boto3.
"""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from abierto.core.storage import remember


class S3MediaStorage(S3Storage):
    def _save(self, name: str, content: Any) -> str:
        name = super()._save(name, content)
        # A service that fails after storing this object removes it (storage.undo_files_on_error).
        remember(self, name)
        return name
