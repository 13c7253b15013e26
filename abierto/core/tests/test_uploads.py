"""Uploaded evidence: allowed types only, checked against the file's real first bytes, sized."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.core.uploads import check_upload

PDF = b"%PDF-1.7\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("acta.pdf", PDF, "application/pdf"),
        ("foto.PNG", PNG, "image/png"),
        ("foto.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        ("datos.csv", "año,valor\n2017,3\n".encode(), "text/csv"),
        ("video.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (
            "hoja.xlsx",
            b"PK\x03\x04rest",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_allowed_files_are_accepted_with_type_size_and_checksum(name, content, media_type):
    checked = check_upload(SimpleUploadedFile(name, content))

    assert checked.media_type == media_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def test_a_file_over_the_limit_is_refused(settings):
    settings.DOCUMENT_MAX_BYTES = 10

    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("acta.pdf", PDF), field="evidence")

    assert "el máximo permitido es" in error.value.message_dict["evidence"][0]


@pytest.mark.parametrize("name", ["programa.exe", "pagina.html", "script.js", "sin-extension"])
def test_a_type_not_allowed_is_refused(name):
    with pytest.raises(ValidationError, match="no está permitido"):
        check_upload(SimpleUploadedFile(name, PDF))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("informe.pdf", b"<html><script>alert(1)</script></html>"),
        ("foto.png", PDF),
        ("foto.webp", b"RIFF\x00\x00\x00\x00AVI "),
        ("datos.csv", b"\x00\x01\x02binario"),
        ("video.mp4", b"MZ\x90\x00" * 4),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name, content):
    with pytest.raises(ValidationError, match="no corresponde"):
        check_upload(SimpleUploadedFile(name, content))
