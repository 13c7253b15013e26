"""Loading files into datastore tables: formats, encodings, types, bad input, atomic swap."""

from __future__ import annotations

import datetime as dt
import json
import random
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

from abierto.catalog.tests.test_preview import xlsx
from abierto.datastore import actions, loader, query, readers, schema
from abierto.datastore.errors import LoadError

pytestmark = pytest.mark.django_db(databases=["default", "datastore"])


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def rows(resource_id, columns: str = "*") -> list[tuple]:
    """What a client of the datastore reads: the view named after the resource."""
    with schema.connection().cursor() as cursor:
        cursor.execute(f'SELECT {columns} FROM {schema.quote(str(resource_id))} ORDER BY "_id"')
        return [tuple(_plain(v) for v in row) for row in cursor.fetchall()]


def _plain(value):
    """One form for both databases (PostgreSQL gives Decimal, dates and booleans)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def types(table: schema.Table) -> dict[str, str]:
    return {f.id: f.type for f in table.fields}


def load(path: Path, **kwargs) -> tuple[uuid.UUID, schema.Table]:
    resource_id = kwargs.pop("resource_id", None) or uuid.uuid4()
    return resource_id, loader.load_path(path, resource_id=resource_id, **kwargs)


def test_a_windows_1252_csv_with_semicolons_and_spanish_formats(tmp_path):
    content = (
        "Municipio;Monto ejercido;Fecha de pago;¿Pagado?;Clave INEGI\n"
        "Tlaquepaque;1.234,56;31/12/2017;sí;098\n"
        "Zapopan;N/A;01/02/2018;no;120\n"
        "Ocotlán;-17,5;15/03/2018;Sí;063\n"
    )
    resource_id, table = load(write(tmp_path, "pagos.csv", content, "cp1252"))
    assert types(table) == {
        "Municipio": "text",
        "Monto ejercido": "numeric",
        "Fecha de pago": "date",
        "¿Pagado?": "bool",
        "Clave INEGI": "text",
    }
    assert table.row_count == 3
    assert rows(resource_id) == [
        (1, "Tlaquepaque", 1234.56, "2017-12-31", 1, "098"),
        (2, "Zapopan", None, "2018-02-01", 0, "120"),
        (3, "Ocotlán", -17.5, "2018-03-15", 1, "063"),
    ]


def test_utf8_with_bom_keeps_the_first_header_clean(tmp_path):
    resource_id, table = load(write(tmp_path, "estados.csv", "\ufeffclave,nombre\n14,Jalisco\n"))
    assert [f.id for f in table.fields] == ["clave", "nombre"]
    assert rows(resource_id) == [(1, 14, "Jalisco")]


def test_latin_1_bytes_that_windows_1252_lacks(tmp_path):
    content = "nombre,nota\nPeña,1\n".encode("latin-1") + b"x\x81y,2\n"
    resource_id, _table = load(write(tmp_path, "raro.csv", content))
    assert rows(resource_id, '"nombre"') == [("Peña",), ("x\x81y",)]


def test_a_utf16_tab_separated_export_from_excel(tmp_path):
    notes: list[str] = []
    path = write(tmp_path, "excel.txt", "año\tmonto\n2017\t1,5\n", "utf-16")
    resource_id, table = load(path, format="CSV", notes=notes)
    assert rows(resource_id) == [(1, 2017, 1.5)]
    assert notes == ["Codificación: UTF-16. Separador: tabulador."]


def test_a_tsv_with_commas_in_its_values(tmp_path):
    content = "concepto\tmonto\nSillas, mesas\t1,5\nLápices\t2,25\n"
    resource_id, table = load(write(tmp_path, "compras.tsv", content))
    assert types(table) == {"concepto": "text", "monto": "numeric"}
    assert rows(resource_id, '"concepto", "monto"') == [("Sillas, mesas", 1.5), ("Lápices", 2.25)]


def test_an_xlsx_with_numbers_dates_and_a_late_na(tmp_path):
    sheet = [["Escuela", "Alumnos", "Promedio"]]
    sheet += [[f"Escuela {n}", n, n / 4] for n in range(1, 300)]
    sheet += [["Escuela tardía", "N/A", "N/A"]]
    resource_id, table = load(write(tmp_path, "escuelas.xlsx", xlsx(sheet)))
    assert types(table) == {"Escuela": "text", "Alumnos": "int", "Promedio": "numeric"}
    assert table.row_count == 300
    assert rows(resource_id)[0] == (1, "Escuela 1", 1, 0.25)
    assert rows(resource_id)[-1] == (300, "Escuela tardía", None, None)


def test_json_lines_with_keys_that_appear_late(tmp_path):
    lines = [
        json.dumps({"id": n, "nombre": f"Obra {n}", "activa": n % 2 == 0}) for n in range(1, 4)
    ]
    lines.append(json.dumps({"id": 4, "nombre": "Obra 4", "monto": 10.5, "extra": {"a": 1}}))
    resource_id, table = load(write(tmp_path, "obras.jsonl", "\n".join(lines) + "\n"))
    assert types(table) == {
        "id": "int",
        "nombre": "text",
        "activa": "bool",
        "monto": "numeric",
        "extra": "text",
    }
    assert rows(resource_id)[3] == (4, 4, "Obra 4", None, 10.5, '{"a": 1}')


def test_json_lines_with_a_line_that_is_not_an_object_say_which(tmp_path):
    path = write(tmp_path, "obras.ndjson", '{"a": 1}\n{"a": 2}\n[1, 2]\n')
    with pytest.raises(LoadError, match="objeto JSON") as caught:
        load(path)
    assert caught.value.row == 3


def test_a_late_na_in_a_numeric_column_after_ten_thousand_rows_is_null(tmp_path):
    lines = ["folio,monto"] + [f"F{n},{n}.5" for n in range(12_000)] + ["F-tarde,N/A", "F-fin,3"]
    resource_id, table = load(write(tmp_path, "montos.csv", "\n".join(lines)))
    assert types(table)["monto"] == "numeric"
    assert table.row_count == 12_002
    assert rows(resource_id, '"folio", "monto"')[-2:] == [("F-tarde", None), ("F-fin", 3.0)]


def test_a_bad_late_value_fails_with_where_and_the_previous_table_keeps_serving(tmp_path):
    resource_id = uuid.uuid4()
    good = write(tmp_path, "v1.csv", "clave,monto\n1,10\n2,20\n")
    first = loader.load_path(good, resource_id=resource_id)
    lines = ["clave,monto"] + [f"{n},{n}" for n in range(1, 8000)] + ["8000,doce mil"]
    bad = write(tmp_path, "v2.csv", "\n".join(lines))
    with pytest.raises(LoadError) as caught:
        loader.load_path(bad, resource_id=resource_id, fields=[{"id": "monto", "type": "int"}])
    error = caught.value
    assert (error.row, error.column, error.value) == (8001, "monto", "doce mil")
    assert "no es un número entero" in error.message
    # Nothing half-loaded: the first version serves, and no second table was left behind.
    assert schema.get_table(resource_id).version == first.version == 1
    assert rows(resource_id) == [(1, 1, 10), (2, 2, 20)]
    with schema.connection().cursor() as cursor:
        tables = schema.connection().introspection.table_names(cursor)
    assert schema.physical_name(resource_id, 2) not in tables


def test_a_new_load_replaces_the_table_and_drops_the_old_one(tmp_path):
    resource_id = uuid.uuid4()
    loader.load_path(write(tmp_path, "a.csv", "x\nuno\n"), resource_id=resource_id)
    table = loader.load_path(write(tmp_path, "b.csv", "y,z\n1,2\n3,4\n"), resource_id=resource_id)
    assert table.version == 2 and table.row_count == 2
    assert rows(resource_id) == [(1, 1, 2), (2, 3, 4)]
    with schema.connection().cursor() as cursor:
        tables = schema.connection().introspection.table_names(cursor)
    assert schema.physical_name(resource_id, 1) not in tables


def test_dictionary_types_and_labels_apply(tmp_path):
    path = write(tmp_path, "claves.csv", "clave,monto\n1,10\n2,20\n")
    resource_id, table = load(
        path, fields=[{"id": "clave", "type": "text", "info": {"label": "Clave del municipio"}}]
    )
    assert types(table) == {"clave": "text", "monto": "int"}
    assert table.fields[0].info == {"label": "Clave del municipio"}
    assert rows(resource_id, '"clave"') == [("1",), ("2",)]


def test_an_unknown_forced_type_is_refused_with_its_column(tmp_path):
    with pytest.raises(LoadError, match="tipo desconocido") as caught:
        load(write(tmp_path, "a.csv", "x\n1\n"), fields=[{"id": "x", "type": "money"}])
    assert caught.value.column == "x"


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(LoadError, match="vacío"):
        load(write(tmp_path, "vacio.csv", b""))


def test_a_header_only_file_loads_an_empty_table(tmp_path):
    resource_id, table = load(write(tmp_path, "solo.csv", "a,b\n"))
    assert table.row_count == 0 and [f.id for f in table.fields] == ["a", "b"]


def test_a_binary_file_renamed_csv_is_refused_clearly(tmp_path):
    resource_id = uuid.uuid4()
    with pytest.raises(LoadError, match="no es texto"):
        load(write(tmp_path, "hoja.csv", xlsx([["a"], ["b"]])), resource_id=resource_id)
    assert schema.get_table(resource_id) is None


def test_short_rows_are_padded_and_long_rows_refused_with_their_number(tmp_path):
    resource_id, table = load(write(tmp_path, "corto.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,,\n"))
    assert rows(resource_id) == [(1, 1, 2, 3), (2, 4, 5, None), (3, 6, 7, 8)]
    with pytest.raises(LoadError, match="4 celdas y el encabezado 3") as caught:
        load(write(tmp_path, "largo.csv", "a,b,c\n1,2,3\n\n4,5,6,sobra\n"))
    assert (caught.value.row, caught.value.value) == (4, "sobra")


def test_ten_thousand_headers_are_refused_before_reading_the_data(tmp_path):
    header = ",".join(f"col{n}" for n in range(10_000))
    with pytest.raises(LoadError, match="10,000 columnas") as caught:
        load(write(tmp_path, "ancho.csv", header + "\n" + ",".join("1" * 10_000) + "\n"))
    assert caught.value.row == 1


def test_a_first_row_of_data_gets_numbered_column_names(tmp_path):
    resource_id, table = load(write(tmp_path, "sin.csv", "Zapopan,12.5\nTonalá,3.25\n"))
    assert [f.id for f in table.fields] == ["columna_1", "columna_2"]
    assert table.row_count == 2


def test_messy_headers_become_safe_names(tmp_path):
    resource_id, table = load(write(tmp_path, "h.csv", 'Monto,monto,,_id,"a ""b"""\n1,2,3,4,5\n'))
    assert [f.id for f in table.fields] == ["Monto", "monto_2", "columna_3", "id", 'a "b"']
    assert rows(resource_id) == [(1, 1, 2, 3, 4, 5)]


def test_progress_is_reported_for_both_passes(tmp_path, monkeypatch):
    # Batch by batch, on the two-pass row path (PostgreSQL's raw COPY reports per megabyte
    # read; SQLite's single pass, rows written as read, reports at its end).
    monkeypatch.setattr(loader, "_raw_options", lambda reader: None)
    monkeypatch.setattr(loader, "_guess_sqlite", lambda reader, overrides: None)
    lines = ["n"] + [str(n) for n in range(12_000)]
    path = write(tmp_path, "n.csv", "\n".join(lines))
    calls = []
    load(path, progress=lambda rows_loaded, bytes_read: calls.append((rows_loaded, bytes_read)))
    size = path.stat().st_size
    assert calls[0][0] == 0 and calls[-1] == (12_000, 2 * size)
    assert [r for r, _b in calls if r] == [5000, 10_000, 12_000]


def test_full_text_finds_the_loaded_rows(tmp_path):
    resource_id, table = load(write(tmp_path, "t.csv", "obra,monto\nPavimentación Zapopan,1\n"))
    assert table.text_index and schema.get_table(resource_id).text_index
    with schema.connection().cursor() as cursor:
        fts = schema.quote(schema.fts_name(table.physical))
        if schema.is_postgres():
            cursor.execute(
                f"SELECT count(*) FROM {fts} "
                "WHERE doc @@ plainto_tsquery('abierto_es', 'pavimentacion')"
            )
        else:
            cursor.execute(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH 'pavimentacion'")
        assert cursor.fetchone()[0] == 1


def test_a_50_mb_file_loads_in_memory_far_below_its_size(tmp_path):
    path = tmp_path / "grande.csv"
    generator = random.Random(4)
    with path.open("w", encoding="utf-8") as out:
        out.write("folio,fecha,municipio,concepto,monto\n")
        n = 0
        while out.tell() < 50 * 1024 * 1024:
            n += 1
            out.write(
                f"F{n:08d},{generator.randint(1, 28):02d}/{generator.randint(1, 12):02d}/2024,"
                f"Municipio {generator.randint(1, 125)},"
                f'"Concepto de gasto número {n}, con acentos: áéíóú",'
                f"{generator.randint(1, 10**7) / 100}\n"
            )
    size = path.stat().st_size
    tracemalloc.start()
    try:
        resource_id, table = load(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table.row_count == n
    assert types(table) == {
        "folio": "text",
        "fecha": "date",
        "municipio": "text",
        "concepto": "text",
        "monto": "numeric",
    }
    # Constant memory: a few batches of rows, not the file (on PostgreSQL about 10 MB, most
    # of it the blocks Arrow reads ahead: `columnar.BLOCK_BYTES`).
    assert peak < size / 4, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def _obras_matching(resource_id, text: str, **params) -> list[str]:
    table = schema.get_table(resource_id)
    result = query.search(table, {"resource_id": str(resource_id), "q": text, **params})
    return sorted(r["obra"] for r in result["records"])


OBRAS = (
    "obra,municipio,monto\n"
    "Construcción de puente,Zapopan,10\n"
    "Bacheo de calles,Tonalá,5\n"
    "Puente peatonal,Ocotlán,7\n"
)


def test_rows_serve_before_their_text_index_and_words_find_them_meanwhile(tmp_path):
    resource_id = uuid.uuid4()
    meanwhile = {}

    def served(table):
        meanwhile["registry"] = schema.get_table(resource_id).text_index
        meanwhile["puente"] = _obras_matching(resource_id, "PUENTE")
        meanwhile["construccion"] = _obras_matching(resource_id, "construccion")
        meanwhile["filtered"] = _obras_matching(
            resource_id, "puente", filters={"municipio": "Zapopan"}
        )

    table = loader.load_path(
        write(tmp_path, "obras.csv", OBRAS), resource_id=resource_id, on_served=served
    )

    assert meanwhile["registry"] is False
    assert meanwhile["puente"] == ["Construcción de puente", "Puente peatonal"]
    assert meanwhile["construccion"] == ["Construcción de puente"]
    assert meanwhile["filtered"] == ["Construcción de puente"]
    assert table.text_index and schema.get_table(resource_id).text_index
    assert _obras_matching(resource_id, "PUENTE") == meanwhile["puente"]
    assert _obras_matching(resource_id, "construccion") == meanwhile["construccion"]


def test_rows_written_before_the_index_is_built_are_in_it(tmp_path):
    resource_id = uuid.uuid4()

    def served(table):
        # A publisher's datastore_upsert lands between the swap and the index build.
        with transaction.atomic(using="datastore"), schema.connection().cursor() as cursor:
            actions._lock_for_write(cursor, table.physical)
            cursor.execute(
                f"INSERT INTO {schema.quote(table.physical)} (obra, municipio, monto) "
                "VALUES ('Puente vehicular', 'Tlaquepaque', 3)"
            )
            actions._fts_add(cursor, table.physical, table.fields, "_id > %s", [3])

    loader.load_path(write(tmp_path, "obras.csv", OBRAS), resource_id=resource_id, on_served=served)

    assert _obras_matching(resource_id, "puente") == [
        "Construcción de puente",
        "Puente peatonal",
        "Puente vehicular",
    ]


def test_an_index_build_for_a_replaced_table_does_nothing(tmp_path):
    resource_id, first = load(write(tmp_path, "a.csv", OBRAS))
    _again, second = load(write(tmp_path, "b.csv", "obra\nPuente nuevo\n"), resource_id=resource_id)
    assert schema.build_text_index(resource_id, first.physical, first.fields) is False
    assert _obras_matching(resource_id, "puente") == ["Puente nuevo"]


PLAIN = (
    "folio;fecha;monto;piezas;concepto\r\n"
    "A-1;31/12/2017;1234.5;3;Pavimentación «Centro»\r\n"
    'A-2;2018-01-05;-7;;"Bacheo; calle ""Juárez""\r\nsegunda etapa"\r\n'
    'A-3;1/2/2018;0.25;12;""\r\n'
)
PLAIN_ROWS = [
    (1, "A-1", "2017-12-31", 1234.5, 3, "Pavimentación «Centro»"),
    (2, "A-2", "2018-01-05", -7.0, None, 'Bacheo; calle "Juárez"\r\nsegunda etapa'),
    (3, "A-3", "2018-02-01", 0.25, 12, None),
]
postgres_only = pytest.mark.skipif(
    not schema.is_postgres(), reason="PostgreSQL only: SQLite has no COPY"
)


def _spy_rows(monkeypatch, name: str) -> list[int | str]:
    """The rows each call of the loader's function `name` stored, or "refused"."""
    stored: list[int | str] = []
    original = getattr(loader, name)

    def spy(*args, **kwargs):
        try:
            stored.append(original(*args, **kwargs))
        except loader._Misread:
            stored.append("refused")
            raise
        return stored[-1]

    monkeypatch.setattr(loader, name, spy)
    return stored


def _spy_raw_copies(monkeypatch) -> list[int | str]:
    """The rows each raw COPY (the file handed to PostgreSQL as it is) stored, or
    "refused"."""
    return _spy_rows(monkeypatch, "_copy_raw")


@postgres_only
def test_a_plain_file_goes_to_copy_as_it_is_and_reads_as_row_by_row(tmp_path, monkeypatch):
    path = write(tmp_path, "plano.csv", PLAIN, encoding="cp1252")
    used = _spy_raw_copies(monkeypatch)
    calls = []
    resource_id, table = load(path, progress=lambda n, read: calls.append((n, read)))
    # One COPY, during pass 1 (the types of the first rows held for the whole file).
    assert used == [3] and rows(resource_id) == PLAIN_ROWS
    assert calls[-1] == (3, 2 * path.stat().st_size)
    assert types(table) == {
        "folio": "text",
        "fecha": "date",
        "monto": "numeric",
        "piezas": "int",
        "concepto": "text",
    }
    monkeypatch.setattr(loader, "_raw_options", lambda reader: None)
    again, _table = load(path)
    assert rows(again) == PLAIN_ROWS


@postgres_only
def test_what_copy_would_read_otherwise_goes_row_by_row(tmp_path):
    # A line `\.` alone ends COPY's data: the loader notices the short count and starts over.
    resource_id, table = load(write(tmp_path, "fin.csv", "nota\nuno\n\\.\ntres\n"))
    assert rows(resource_id) == [(1, "uno"), (2, "\\."), (3, "tres")]
    assert table.row_count == 3


@postgres_only
def test_null_markers_and_ragged_rows_keep_the_row_path(tmp_path, monkeypatch):
    used = _spy_raw_copies(monkeypatch)
    resource_id, _table = load(write(tmp_path, "nd.csv", "clave,monto\n1,5\n2,N/D\n"))
    assert rows(resource_id) == [(1, 1, 5), (2, 2, None)]
    resource_id, _table = load(write(tmp_path, "corto.csv", "clave,monto\n1,5\n2\n\n3,4\n"))
    assert rows(resource_id) == [(1, 1, 5), (2, 2, None), (3, 3, 4)]
    assert used == []


# Files whose first two rows suggest types that a later row contradicts, and how every
# loader must read them (the rows after `_id`, then the types of the typed columns).
LATE_SURPRISES = {
    "null marker": (
        "clave,monto\n1,5\n2,6\n3,N/D\n4,7.5\n",
        [(1, 1, 5.0), (2, 2, 6.0), (3, 3, None), (4, 4, 7.5)],
        {"clave": "int", "monto": "numeric"},
    ),
    # PostgreSQL reads `today` as a date; the loader does not, so the column is text.
    "a word PostgreSQL takes for a date": (
        "clave,fecha\n1,2018-01-05\n2,31/12/2017\n3,today\n",
        [(1, 1, "2018-01-05"), (2, 2, "31/12/2017"), (3, 3, "today")],
        {"clave": "int", "fecha": "text"},
    ),
    "a code with leading zeros": (
        "clave,n\n1,5\n2,6\n3,007\n",
        [(1, 1, "5"), (2, 2, "6"), (3, 3, "007")],
        {"clave": "int", "n": "text"},
    ),
    "a blank line": (
        "clave,n\n1,5\n2,6\n\n3,7\n",
        [(1, 1, 5), (2, 2, 6), (3, 3, 7)],
        {"clave": "int", "n": "int"},
    ),
    # csv reads the rows; COPY refuses line endings that change within the file.
    "line endings that change": (
        "clave,n\r\n1,5\r\n2,6\n3,7\n",
        [(1, 1, 5), (2, 2, 6), (3, 3, 7)],
        {"clave": "int", "n": "int"},
    ),
    # A line `\.` ends COPY's data.
    "an end-of-data line": (
        "nota,n\nuno,1\ndos,2\n\\.,3\ncuatro,4\n",
        [(1, "uno", 1), (2, "dos", 2), (3, "\\.", 3), (4, "cuatro", 4)],
        {"n": "int"},
    ),
}


@postgres_only
@pytest.mark.parametrize("case", LATE_SURPRISES)
def test_a_file_copied_while_read_is_written_again_when_a_late_row_disagrees(
    tmp_path, monkeypatch, case
):
    copies = _spy_raw_copies(monkeypatch)
    expected = _loads_late_surprise_exactly(tmp_path, monkeypatch, case)
    assert copies[:1] in (["refused"], [len(expected)]), "no COPY ran while pass 1 read"


def _loads_late_surprise_exactly(tmp_path, monkeypatch, case: str) -> list[tuple]:
    """Load LATE_SURPRISES[case] with the types guessed from its first 2 rows, check its rows,
    types and progress bar (neither the bytes nor the rows it shows ever go back), and return
    the rows expected."""
    content, expected, typed = LATE_SURPRISES[case]
    monkeypatch.setattr(loader, "GUESS_ROWS", 2)
    path = write(tmp_path, "tarde.csv", content)
    calls = []
    resource_id, table = load(path, progress=lambda n, read: calls.append((n, read)))
    assert rows(resource_id) == expected
    assert table.row_count == len(expected)
    assert {k: v for k, v in types(table).items() if v != "text" or k in typed} == typed
    # The bar ends full and never goes back.
    assert calls[-1] == (len(expected), 2 * path.stat().st_size)
    assert [read for _n, read in calls] == sorted(read for _n, read in calls)
    assert [n for n, _read in calls] == sorted(n for n, _read in calls)
    return expected


# The surprises that change a column's type: the others only trouble PostgreSQL's COPY.
SURPRISING_TYPES = (
    "null marker",
    "a word PostgreSQL takes for a date",
    "a code with leading zeros",
)


@pytest.mark.parametrize("case", LATE_SURPRISES)
def test_late_surprises_read_the_same_on_every_database(tmp_path, case):
    content, expected, typed = LATE_SURPRISES[case]
    resource_id, table = load(write(tmp_path, "tarde.csv", content))
    assert rows(resource_id) == expected


sqlite_only = pytest.mark.skipif(
    schema.is_postgres(), reason="SQLite only: PostgreSQL copies while pass 1 reads instead"
)


def _spy_second_passes(monkeypatch) -> list[int | str]:
    """The rows each pass 2 (`_insert`, SQLite) wrote."""
    return _spy_rows(monkeypatch, "_insert")


@sqlite_only
def test_sqlite_writes_the_rows_as_pass_1_reads_them(tmp_path, monkeypatch):
    # Parsed once: no second pass when the whole file confirms what the first rows said.
    path = write(tmp_path, "plano.csv", PLAIN, encoding="cp1252")
    second = _spy_second_passes(monkeypatch)
    calls = []
    resource_id, table = load(path, progress=lambda n, read: calls.append((n, read)))
    assert second == [] and rows(resource_id) == PLAIN_ROWS
    assert calls[-1] == (3, 2 * path.stat().st_size)
    # The same rows and types as the two passes give.
    monkeypatch.setattr(loader, "_guess_sqlite", lambda reader, overrides: None)
    again, again_table = load(path)
    assert second == [3] and rows(again) == PLAIN_ROWS
    assert types(again_table) == types(table)


@sqlite_only
@pytest.mark.parametrize("case", LATE_SURPRISES)
def test_sqlite_rows_written_while_read_are_written_again_when_a_late_row_disagrees(
    tmp_path, monkeypatch, case
):
    second = _spy_second_passes(monkeypatch)
    expected = _loads_late_surprise_exactly(tmp_path, monkeypatch, case)
    # A second pass only where the first rows were wrong about the file.
    assert second == ([len(expected)] if case in SURPRISING_TYPES else [])


@sqlite_only
def test_sqlite_a_value_the_dictionary_type_refuses_late_names_its_row(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "GUESS_ROWS", 2)
    resource_id, _table = load(write(tmp_path, "a.csv", "clave,n\n1,5\n"))
    content = "clave,n\n1,6\n2,7\n3,8\n4,N/D por error\n5,9\n"
    with pytest.raises(LoadError) as caught:
        load(
            write(tmp_path, "b.csv", content),
            resource_id=resource_id,
            fields=[{"id": "n", "type": "int"}],
        )
    assert caught.value.row == 5 and caught.value.column == "n"
    assert rows(resource_id) == [(1, 1, 5)]
    with schema.connection().cursor() as cursor:
        tables = schema.connection().introspection.table_names(cursor)
    assert schema.physical_name(resource_id, 2) not in tables


@postgres_only
def test_a_copy_refused_early_in_a_large_file_still_loads_it(tmp_path, monkeypatch):
    # PostgreSQL refuses row 3 while megabytes are still to be sent: it drops them, pass 1
    # reads on to the end, and pass 2 writes the file with the types pass 1 found.
    monkeypatch.setattr(loader, "GUESS_ROWS", 2)
    lines = ["clave,monto", "1,5", "2,6", "3,N/D"] + [f"{n},{n}.5" for n in range(4, 200_000)]
    path = write(tmp_path, "grande.csv", "\n".join(lines) + "\n")
    assert path.stat().st_size > 2_000_000
    copies = _spy_raw_copies(monkeypatch)
    resource_id, table = load(path)
    assert copies[0] == "refused"
    assert table.row_count == 199_999
    assert types(table) == {"clave": "int", "monto": "numeric"}
    assert rows(resource_id)[1:4] == [(2, 2, 6.0), (3, 3, None), (4, 4, 4.5)]


@postgres_only
def test_a_refused_copy_while_reading_leaves_the_previous_table_serving(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "GUESS_ROWS", 2)
    resource_id, _table = load(write(tmp_path, "a.csv", "clave,n\n1,5\n"))
    # Pass 1 refuses row 4 (too many cells) while COPY is under way.
    with pytest.raises(LoadError, match="3 celdas") as caught:
        load(write(tmp_path, "b.csv", "clave,n\n1,6\n2,7\n3,8,9\n"), resource_id=resource_id)
    assert caught.value.row == 4
    assert rows(resource_id) == [(1, 1, 5)]
    with schema.connection().cursor() as cursor:
        tables = schema.connection().introspection.table_names(cursor)
    assert schema.physical_name(resource_id, 2) not in tables


@postgres_only
@pytest.mark.django_db(transaction=True, databases=["default", "datastore"])
def test_a_loaded_table_counts_a_filter_in_its_index_alone(tmp_path):
    # The load vacuums the new table: a filter's total is then read from the index on
    # (column, _id), without a visit to the rows (262 -> 1.7 ms over 19,000 of a million).
    lines = ["municipio,monto"] + [f"{('Tala', 'Ameca')[n % 2]},{n}" for n in range(400)]
    resource_id, table = load(write(tmp_path, "gasto.csv", "\n".join(lines) + "\n"))
    found = query.build(table, {"filters": {"municipio": "Ameca"}})
    sql, params = found.count_sql()
    with schema.connection().cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "Index Only Scan" in plan and "Heap Fetches: 0" in plan, plan
    assert query.search(table, {"filters": {"municipio": "Ameca"}, "limit": 1})["total"] == 200


def test_a_windows_1252_byte_past_the_first_megabyte_makes_the_file_windows_1252(tmp_path):
    # The load starts from the first megabyte's encoding (UTF-8 here) and must not keep it.
    path = tmp_path / "tarde.csv"
    path.write_bytes(
        ("municipio,monto\n" + "Zapopan,1\n" * 120_000).encode() + "Ocotlán,2\n".encode("cp1252")
    )
    notes: list[str] = []
    resource_id, table = load(path, notes=notes)
    assert table.row_count == 120_001
    assert rows(resource_id)[-1] == (120_001, "Ocotlán", 2)
    assert "Windows-1252" in notes[0]


def test_a_windows_1252_byte_within_the_first_rows_past_the_first_megabyte(tmp_path):
    # The first rows, which choose how the file is written, reach past the first megabyte.
    line = "Zapopan," + "x" * 240 + "\n"
    path = tmp_path / "anchas.csv"
    path.write_bytes(
        ("municipio,nota\n" + line * 4_500).encode()
        + ("Ocotlán," + "y" * 240 + "\n").encode("cp1252")
    )
    notes: list[str] = []
    resource_id, table = load(path, notes=notes)
    assert table.row_count == 4_501
    assert rows(resource_id)[-1][1] == "Ocotlán"
    assert "Windows-1252" in notes[0]


@postgres_only
def test_postgres_reads_a_regular_file_once_with_arrow_and_keys_the_table(tmp_path, monkeypatch):
    path = write(tmp_path, "plano.csv", PLAIN, encoding="cp1252")
    python_passes = []
    original = readers.CsvReader.scan
    monkeypatch.setattr(
        readers.CsvReader, "scan", lambda *a, **k: python_passes.append(1) or original(*a, **k)
    )
    used = _spy_raw_copies(monkeypatch)
    resource_id, table = load(path)
    assert used == [3] and python_passes == [] and rows(resource_id) == PLAIN_ROWS
    with schema.connection().cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = %s::regclass AND i.indisprimary",
            [table.physical],
        )
        assert cursor.fetchall() == [("_id",)]


@postgres_only
@pytest.mark.parametrize("copied", [True, False], ids=["copy", "row-by-row"])
def test_rows_written_after_a_load_are_numbered_on_from_its_last_row(tmp_path, copied):
    # The load takes its `_id` numbers from the sequence many at a time; a publisher's
    # later rows, from any connection, must carry on from the last loaded row.
    text = PLAIN if copied else "clave,n\n1,5\n2,N/D\n3,7\n"
    resource_id, table = load(write(tmp_path, "plano.csv", text))
    with schema.connection().cursor() as cursor:
        cursor.execute(
            "SELECT s.cache_size, s.last_value FROM pg_sequences s "
            "WHERE s.sequencename = pg_get_serial_sequence(%s, '_id')::regclass::text",
            [schema.quote(table.physical)],
        )
        assert cursor.fetchone() == (1, None)  # restarted: the next value is not yet taken
        column = schema.quote(table.fields[0].id)
        cursor.execute(
            f"INSERT INTO {schema.quote(table.physical)} ({column}) VALUES (NULL) RETURNING _id"
        )
        assert cursor.fetchone() == (4,)
