"""A disk that fills up during an upload: a clear error, and no partial or orphan file.

The limit is real, not a mock: RLIMIT_FSIZE makes the kernel refuse this process's writes past
a size (EFBIG, as a full disk refuses them with ENOSPC), only for the duration of the upload.
The test database is either in memory (SQLite) or in another process (PostgreSQL), so only the
uploaded files meet the limit.
"""

from __future__ import annotations

import contextlib
import resource
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from abierto.core.models import Document
from abierto.plans.models import ProgressUpdate

pytestmark = pytest.mark.django_db

LIMIT = 64 * 1024
PDF_HEADER = b"%PDF-1.4\n"


@contextlib.contextmanager
def disk_space(limit: int):
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def _pdf(name: str, size: int) -> SimpleUploadedFile:
    body = PDF_HEADER + b"0" * (size - len(PDF_HEADER) - 6) + b"%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _media_files() -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_a_full_disk_during_an_evidence_upload_keeps_nothing(client, implementer, milestone):
    commitment = milestone.commitment
    url = reverse(
        "reporting:report",
        kwargs={
            "exercise": commitment.plan.exercise.slug,
            "plan": commitment.plan.slug,
            "commitment": commitment.slug,
        },
    )
    client.force_login(implementer)
    data = {
        "milestone": milestone.pk,
        "percent": 40,
        "narrative": "Avance con dos evidencias.",
        # The first file fits; the second does not: the first must not stay behind either.
        "evidence": [_pdf("minuta.pdf", 8 * 1024), _pdf("anexo.pdf", 200 * 1024)],
    }

    with disk_space(LIMIT):
        response = client.post(url, data)

    assert response.status_code == 200  # the form again, with the reason
    page = response.content.decode()
    assert "El servidor no pudo guardar el archivo «anexo.pdf»" in page
    assert "No se guardó nada" in page
    assert ProgressUpdate.objects.count() == 0
    assert Document.objects.count() == 0
    assert _media_files() == []

    # With room again, the same report goes through.
    data["evidence"] = [_pdf("minuta.pdf", 8 * 1024), _pdf("anexo.pdf", 200 * 1024)]
    assert client.post(url, data).status_code == 302
    assert sorted(p.name for p in _media_files()) == ["anexo.pdf", "minuta.pdf"]
