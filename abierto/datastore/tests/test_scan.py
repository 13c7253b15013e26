"""The first pass over a delimited file: its fast reading of plain lines as columns must
find exactly what csv.reader finds, row by row (the types, the row count, whether the file
can go to COPY as it is, and the error a broken file gets)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from abierto.datastore import infer, readers
from abierto.datastore.errors import LoadError

# Cells a public-spending export holds, the awkward ones included: separators and quotes
# inside quoted values, a line end inside one, null markers, Spanish numbers, dates.
CELLS = [
    "Zapopan",
    "Tonalá",
    "",
    "N/D",
    "12",
    "-7",
    "007",
    "1234.5",
    "1.234,56",
    "31/12/2017",
    "2018-01-05",
    "today",
    "sí",
    '"Bacheo, calle Juárez"',
    '"dijo ""basta"""',
    '"dos\nlíneas"',
    'pulgadas 5"',
    "   ",
]


def _csv(generator: random.Random, width: int, rows: int) -> str:
    """A file of mostly regular rows with, now and then, what breaks a simple reading."""
    end = generator.choice(["\n", "\r\n"])
    separator = generator.choice([",", ",", ";", "\t", "|"])
    columns = [
        generator.choice([["12", "-7", "", "31"], ["1234.5", "0.25", ""], ["31/12/2017", ""]])
        if generator.random() < 0.5
        else CELLS
        for _ in range(width)
    ]
    lines = [separator.join(f"col{n}" for n in range(width))]
    for _ in range(rows):
        roll = generator.random()
        if roll < 0.02:
            lines.append("")  # a blank line
        elif roll < 0.03:
            lines.append(separator * (width - 1))  # a row of empty cells
        elif roll < 0.04:
            lines.append(separator.join(["1"] * max(width - 1, 1)))  # a short row
        elif roll < 0.05:
            lines.append(generator.choice(CELLS))  # something else altogether
        else:
            cells = [generator.choice(column) for column in columns]
            lines.append(separator.join(cells))
    text = end.join(lines)
    if generator.random() < 0.1:
        text = text.replace("\r\n", "\n", 1)  # line ends that change
    return text + (end if generator.random() < 0.9 else "")


def _read(path: Path, *, fast: bool) -> tuple:
    """What pass 1 learns of a file: types, row count, COPY-readiness, or the error."""
    reader = readers.open_reader(path, "CSV")
    inference = infer.Inference(len(reader.headers))
    count = 0
    batches = reader.scan(3) if fast else reader.batches(3, first_pass=True)
    try:
        for batch in batches:
            if len(batch):
                inference.feed_columns(batch.column)
                count += len(batch)
    except LoadError as error:
        return ("error", error.message, error.row)
    return inference.fields(), inference.copyable(), count, reader.regular


@pytest.mark.parametrize("seed", range(300))
def test_plain_blocks_read_as_columns_find_what_csv_reader_finds(tmp_path, monkeypatch, seed):
    generator = random.Random(seed)
    path = tmp_path / "gasto.csv"
    content = _csv(generator, generator.randint(1, 5), generator.randint(1, 60))
    path.write_bytes(content.encode(generator.choice(["utf-8", "utf-8-sig", "cp1252"])))
    classic = _read(path, fast=False)
    # Blocks of a few characters: cuts fall inside lines, quotes and line ends.
    monkeypatch.setattr(readers, "SCAN_CHARS", generator.choice([7, 16, 64, 1 << 18]))
    assert _read(path, fast=True) == classic


def test_a_plain_file_is_read_as_columns_with_its_quoted_lines(tmp_path):
    path = tmp_path / "plano.csv"
    content = 'folio;monto;concepto\r\nA-1;12.5;"Bacheo; calle ""Juárez"""\r\nA-2;3;Luminarias\r\n'
    path.write_bytes(content.encode("cp1252"))
    batches = list(readers.open_reader(path, "CSV").scan(100))
    assert [type(batch) for batch in batches] == [readers.Columns]
    assert [list(batches[0].column(index)) for index in range(3)] == [
        ["A-2", "A-1"],
        ["3", "12.5"],
        ["Luminarias", 'Bacheo; calle "Juárez"'],
    ]


def test_a_quoted_line_end_hands_the_rest_of_the_file_to_csv_reader(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('obra,monto\nPuente,1\n"Calle\nnueva",2\nParque,3\n', encoding="utf-8")
    reader = readers.open_reader(path, "CSV")
    inference = infer.Inference(2)
    count = 0
    for batch in reader.scan(100):
        inference.feed_columns(batch.column)
        count += len(batch)
    assert count == 3 and inference.fields() == [("text", None), ("int", None)]


@pytest.mark.parametrize("fast", [True, False])
def test_a_byte_of_another_encoding_is_a_load_error_on_either_reading(tmp_path, fast):
    path = tmp_path / "mixto.csv"
    path.write_text("municipio,monto\nAmeca,1\nTonalá,2\n", encoding="utf-8")
    reader = readers.open_reader(path, "CSV")
    reader.encoding = "ascii"  # as if the file had changed after it was sniffed
    with pytest.raises(LoadError, match="bytes que no son") as caught:
        list(reader.scan(2) if fast else reader.batches(2, first_pass=True))
    assert caught.value.row is not None
