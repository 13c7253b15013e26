"""Arrow's pass 1 (`columnar.scan`) against the Python pass it stands in for: the same types
for the same file, and a refusal wherever the two readers could read a file apart."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from abierto.datastore import columnar, loader, readers
from abierto.datastore.tests.test_loader import write


def _reader(tmp_path: Path, text: str) -> readers.Reader:
    return readers.open_reader(write(tmp_path, "datos.csv", text), "")


def _both(path: Path) -> tuple[tuple, tuple]:
    """What each pass learns of the file: types, canonical and copyable columns, rows."""
    arrow = columnar.scan(readers.open_reader(path, ""))
    python = loader._read(readers.open_reader(path, ""), None, arrow=False)
    return tuple(
        (inference.fields(), inference.canonical(), inference.copyable(), count)
        for inference, count in (arrow, python)
    )


FILES = {
    "plain numbers and ISO dates": "folio,fecha,monto,piezas\n"
    + "".join(f"F{n},2017-12-{n % 28 + 1:02d},{n}.5,{n}\n" for n in range(12_000)),
    "Spanish numbers and day-first dates": "clave;fecha;monto;total\n"
    + "".join(f"{n:03d};{n % 28 + 1}/12/2017;1.234,{n % 100};{n}.{n:03d}\n" for n in range(600)),
    "a late decimal in a column of integers": "n,m\n"
    + "".join(f"{n},{n}\n" for n in range(11_000))
    + "1.5,-\n",
    "a late word in a column of dates": "f,g\n"
    + "".join(f"31/12/2017,{n}\n" for n in range(11_000))
    + "mañana,1\n",
    "booleans, null markers and timestamps": "activo,nota,cuando\n"
    "sí,N/D,2017-12-31 10:30:00\nno,,2017-12-31T11:00:00+06:00\n"
    "verdadero,—,31/12/2017 10:30\n",
    "quoted values with delimiters and line ends": "a,b,c\n"
    '"uno, dos","3",4\n"línea\nnueva",5,"6"\n',
    "a digit that is not ASCII": "a,b\n1,2\n٣,4\n",
    "thousands that decide late": 'a,b\n1.234,x\n2.345,y\n"0,5",z\n',
    "columns null until late": "a,b,c\n" + ",x,\n" * 6_000 + "7,x,2017-01-01\n",
}


@pytest.mark.parametrize("text", FILES.values(), ids=FILES.keys())
def test_arrow_learns_what_the_python_pass_learns(tmp_path, text):
    arrow, python = _both(write(tmp_path, "datos.csv", text))
    assert arrow == python


def test_a_windows_1252_file_is_read_alike(tmp_path):
    text = "municipio;monto\n" + "Tlaquepaque;1,5\nOcotlán;2\nZapotlán el Grande;3\n" * 2000
    arrow, python = _both(write(tmp_path, "datos.csv", text, "cp1252"))
    assert arrow == python
    assert arrow[0] == [("text", None), ("numeric", ",")]


def test_a_file_with_a_byte_order_mark_and_no_header_is_read_alike(tmp_path):
    arrow, python = _both(write(tmp_path, "datos.csv", "1,2017-01-31\n2,2017-02-28\n", "utf-8-sig"))
    assert arrow == python
    assert arrow[0] == [("int", None), ("date", None)] and arrow[3] == 2


REFUSED = {
    "a blank line": "a,b\n1,2\n\n3,4\n",
    "a short row": "a,b\n1,2\n3\n",
    "a long row": "a,b\n1,2\n3,4,5\n",
    "a row of empty cells": "a,b\n1,2\n,\n3,4\n",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_what_csv_reader_reads_otherwise_is_refused(tmp_path, text):
    with pytest.raises(columnar.Unreadable):
        columnar.scan(_reader(tmp_path, text))


def test_a_value_past_csvs_field_limit_is_refused(tmp_path):
    limit = csv.field_size_limit(1000)  # a library may have raised it in this process
    try:
        path = write(tmp_path, "datos.csv", "a,b\n1," + "x" * 1001 + "\n")
        with pytest.raises(columnar.Unreadable):
            columnar.scan(readers.open_reader(path, ""))
    finally:
        csv.field_size_limit(limit)


def test_a_byte_that_is_not_utf8_past_the_first_megabyte_is_refused(tmp_path):
    first = "municipio,monto\n" + "Zapopan,1\n" * 120_000  # 1.2 MB of ASCII
    path = tmp_path / "tarde.csv"
    path.write_bytes(first.encode() + "Ocotlán,2\n".encode("cp1252"))
    reader = readers.open_reader(path, "", whole_encoding=False)
    assert reader.encoding == "utf-8" and not reader.encoding_checked
    with pytest.raises(columnar.Unreadable):
        columnar.scan(reader)
    assert reader.check_encoding() is True
    assert reader.encoding == "cp1252" and "Windows-1252" in reader.notes[0]


def test_a_file_of_one_column_is_left_to_the_python_pass(tmp_path):
    # There a blank line is a blank row to csv.reader and an empty value to Arrow.
    assert not columnar.readable(_reader(tmp_path, "a\n1\n\n2\n"))
    assert columnar.readable(_reader(tmp_path, "a,b\n1,2\n"))


def test_every_byte_is_handed_to_the_tap_in_order(tmp_path):
    text = "a,b\n" + "".join(f"{n},texto {n}\n" for n in range(100_000))
    path = write(tmp_path, "datos.csv", text)
    seen: list[bytes] = []
    _inference, count = columnar.scan(readers.open_reader(path, ""), tap=seen.append)
    assert count == 100_000
    assert b"".join(seen) == path.read_bytes()
