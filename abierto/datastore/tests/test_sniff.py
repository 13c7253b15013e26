"""Encoding, delimiter and header detection over whole files."""

from __future__ import annotations

import io

import pytest

from abierto.datastore import sniff
from abierto.datastore.errors import LoadError


def encoding(data: bytes) -> str:
    return sniff.detect_encoding(io.BytesIO(data))


def test_utf8_with_and_without_bom():
    assert encoding("año,niños\n1,2\n".encode()) == "utf-8"
    assert encoding("\ufeffaño\n1\n".encode()) == "utf-8-sig"


def test_windows_1252_and_latin_1():
    assert encoding("año;“comillas”\n".encode("cp1252")) == "cp1252"
    # 0x81 is undefined in Windows-1252: only Latin-1 reads every byte.
    assert encoding(b"a\x81o\n") == "latin-1"


def test_a_single_cp1252_accent_after_megabytes_of_ascii_is_found():
    data = b"nombre,monto\n" + b"Zapopan,1\n" * 300_000 + "Tonalá,2\n".encode("cp1252")
    assert len(data) > 2 * sniff.CHUNK_BYTES
    assert encoding(data) == "cp1252"


def test_a_late_cp1252_accent_after_utf8_that_cp1252_cannot_read_is_latin_1():
    # «Á» in UTF-8 holds 0x81, which Windows-1252 leaves undefined; the é is Windows-1252.
    data = "Álamo,1\n".encode() * 200_000 + "café,2\n".encode("cp1252")
    assert len(data) > sniff.CHUNK_BYTES
    assert encoding(data) == "latin-1"
    assert encoding("Álamo,1\n".encode() * 200_000) == "utf-8"
    # UTF-8 up to a last character cut in two: not UTF-8, and 0x81 rules out Windows-1252.
    assert encoding("Álamo,1\n".encode() * 10 + "Á".encode()[:1]) == "latin-1"
    assert encoding(b"Zapopan,1\n" * 10 + "Á".encode()[:1]) == "cp1252"


def test_utf16_with_bom_is_read_as_utf16():
    assert encoding("a\tb\n1\t2\n".encode("utf-16")) == "utf-16"


def test_an_empty_file_is_refused():
    with pytest.raises(LoadError, match="vacío"):
        encoding(b"")
    with pytest.raises(LoadError, match="vacío"):
        encoding(b"\n\n  \n")


def test_a_binary_file_is_refused_with_where_it_is_binary():
    with pytest.raises(LoadError, match="no es texto") as caught:
        encoding(b"PK\x03\x04\x14\x00\x00\x00 zip data")
    assert "byte 6" in str(caught.value)  # 1-based, as a hex editor counts


def test_a_line_of_many_megabytes_is_refused():
    with pytest.raises(LoadError, match="no parece una tabla") as caught:
        encoding(b"a,b\n" + b"x" * (sniff.MAX_LINE_BYTES + 10))
    assert caught.value.row == 2


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("municipio;monto\nZapopan;1.234,56\nTonalá;2,5\n", ";"),
        ("a\tb\n1,5\t2,5\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('nombre,nota\n"Pérez; Juan",10\n"López; Ana",9\n', ","),
        ("solo\nuna\ncolumna\n", ","),
    ],
)
def test_the_delimiter_is_the_one_that_splits_rows_evenly(sample, delimiter):
    assert sniff.detect_delimiter(sample) == delimiter


def test_the_header_is_a_row_of_names_and_years_may_be_names():
    assert sniff.is_header(["municipio", "monto"])
    assert sniff.is_header(["municipio", "2016", "2017"])
    assert not sniff.is_header(["Zapopan", "1234.5", "31/12/2017"])
