"""Downloads of datastore tables: whole or filtered, CSV/TSV/JSON/XLSX, streamed."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc

import pytest
from python_calamine import CalamineWorkbook

from abierto.catalog.factories import DatasetFactory, ResourceFactory
from abierto.datastore import schema
from abierto.datastore.schema import Field
from abierto.datastore.tests.tables import load

pytestmark = pytest.mark.django_db(databases=["default", "datastore"])


@pytest.fixture
def obras(db):
    resource = ResourceFactory()
    load(resource.uuid)
    return resource


def url(resource, fmt: str) -> str:
    return f"/datos/almacen/{resource.uuid}/descargar.{fmt}"


def body(response) -> bytes:
    assert response.streaming or response.status_code != 200
    return b"".join(response.streaming_content)


def test_whole_table_as_csv_with_header_in_utf8(client, obras):
    response = client.get(url(obras, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{obras.uuid}.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8"))))
    assert rows[0] == ["_id", "Municipio", "Obra", "Monto", "Año", "Fecha", "Concluida"]
    assert rows[1] == [
        "1",
        "Zapopan",
        "Construcción de puente vehicular",
        "1500000.5",
        "2017",
        "2017-03-01",
        "true",
    ]
    assert rows[5][1:4] == ["Tonalá", "Reparación'; DROP TABLE datastore_registry; --", ""]
    assert len(rows) == 6


def test_filtered_searched_and_sorted_download_with_bom(client, obras):
    response = client.get(
        url(obras, "csv"),
        {
            "filters": json.dumps({"Año": [2017, 2018]}),
            "q": "construccion",
            "sort": "Monto asc",
            "fields": "Municipio,Monto",
            "bom": "true",
        },
    )
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeffMunicipio,Monto\r\n")
    assert text.splitlines()[1:] == ["Tlaquepaque,980000.0", "Zapopan,1500000.5"]


def test_tsv_and_json(client, obras):
    tsv = body(client.get(url(obras, "tsv"), {"fields": "Municipio,Año", "limit": 2}))
    assert tsv.decode().splitlines() == ["Municipio\tAño", "Zapopan\t2017", "Guadalajara\t2018"]
    data = json.loads(body(client.get(url(obras, "json"), {"filters": '{"Municipio": "Zapopan"}'})))
    assert data["fields"][0] == {"id": "_id", "type": "int"}
    assert [r[1] for r in data["records"]] == ["Zapopan", "Zapopan"]
    assert data["records"][0][6] is True


def test_xlsx_opens_with_typed_cells(client, obras):
    response = client.get(url(obras, "xlsx"), {"sort": "_id"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert sheet[0][:3] == ["_id", "Municipio", "Obra"]
    assert sheet[1][1] == "Zapopan" and sheet[1][3] == 1500000.5 and sheet[1][6] is True
    assert len(sheet) == 6


def test_ckan_dump_path_and_formats(client, obras):
    response = client.get(f"/datastore/dump/{obras.uuid}", {"format": "tsv", "bom": "1"})
    assert response.status_code == 200
    assert body(response).startswith("\ufeff_id\tMunicipio".encode())
    csv_default = body(client.get(f"/datastore/dump/{obras.uuid}"))
    assert csv_default.startswith(b"_id,Municipio")
    unknown = client.get(f"/datastore/dump/{obras.uuid}", {"format": "xml"})
    assert unknown.status_code == 400
    assert "use csv, tsv, json o xlsx" in unknown.content.decode()


def test_bad_parameters_are_a_clear_400_naming_the_field(client, obras):
    response = client.get(url(obras, "csv"), {"filters": '{"Monto": "mucho"}'})
    assert response.status_code == 400
    assert "«Monto»" in response.content.decode()
    response = client.get(url(obras, "csv"), {"sort": "Monto; DROP TABLE x"})
    assert response.status_code == 400 and "sort" in response.content.decode()


def test_private_and_missing_tables_are_not_found(client):
    private = ResourceFactory(dataset=DatasetFactory(private=True))
    load(private.uuid, public=False)
    assert client.get(url(private, "csv")).status_code == 404
    assert client.get(f"/datastore/dump/{private.uuid}").status_code == 404
    assert client.get(url(ResourceFactory(), "csv")).status_code == 404


# Transactional: the download runs outside any transaction, as in production.
@pytest.mark.django_db(transaction=True, databases=["default", "datastore"])
def test_a_large_table_streams_in_chunks_with_flat_memory(client):
    resource = ResourceFactory()
    fields = [Field("n", schema.INT), Field("texto", schema.TEXT)]
    rows = [(i, f"fila número {i} " + "x" * 200) for i in range(80_000)]
    load(resource.uuid, fields, rows)
    del rows
    response = client.get(url(resource, "csv"))
    tracemalloc.start()
    chunks = 0
    size = 0
    for chunk in response.streaming_content:
        chunks += 1
        size += len(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert chunks > 10
    assert size > 18_000_000
    # The file is over 18 MB; making it never held more than a few batches of rows.
    assert peak < size / 3
