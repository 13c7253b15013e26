"""Resource previews: tables from CSV and spreadsheets, maps from GeoJSON, JSON and text."""

from __future__ import annotations

import io
import json
import zipfile
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from abierto.catalog import preview, services
from abierto.catalog.factories import DatasetFactory, ResourceFactory
from abierto.catalog.tests.test_pages import external_assets

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list], sheet: str = "Escuelas") -> bytes:
    """A real Office Open XML workbook with one sheet, written part by part."""

    def column(index: int) -> str:
        name, index = "", index + 1
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        return name

    body = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{column(c)}{r}"
            if isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": xml
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": xml + f'<Relationships xmlns="{rels}"><Relationship Id="rId1" '
        f'Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": xml + f'<workbook xmlns="{main}" xmlns:r="{office}"><sheets>'
        f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": xml + f'<Relationships xmlns="{rels}">'
        f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": xml
        + f'<worksheet xmlns="{main}"><sheetData>{"".join(body)}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def upload(filename: str, content: bytes, **values):
    dataset = DatasetFactory(title="Escuelas")
    return services.resource_save(
        actor=None,
        dataset=dataset,
        title=values.pop("title", "Directorio"),
        upload=SimpleUploadedFile(filename, content),
        **values,
    )


def page_of(client, resource) -> str:
    url = reverse(
        "catalog:resource", kwargs={"name": resource.dataset.name, "resource": resource.uuid}
    )
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_windows_1252_csv_shows_its_accents_in_an_accessible_table(client):
    content = "municipio;niños inscritos;región\nZapopan;1200;Centro\nTlaquepaque;800;Sureste\n"
    resource = upload("escuelas.csv", content.encode("cp1252"))
    page = page_of(client, resource)
    assert "<caption" in page and "Primeras 2 filas de datos de «Directorio»" in page
    assert '<th scope="col">niños inscritos</th>' in page
    assert '<th scope="col">región</th>' in page
    assert "<td>Zapopan</td><td>1200</td><td>Centro</td>" in page
    assert "Codificación detectada: Windows-1252. Separador: punto y coma." in page


def test_a_utf8_csv_with_a_byte_order_mark_keeps_its_first_heading_clean(client):
    content = "\ufeffclave,nombre\n14,Jalisco\n".encode()
    page = page_of(client, upload("estados.csv", content))
    assert '<th scope="col">clave</th>' in page
    assert "UTF-8 (con BOM)" in page


def test_only_the_first_hundred_rows_are_shown_and_the_page_says_there_are_more(client):
    lines = ["n,cuadrado"] + [f"{n},{n * n}" for n in range(1, 5001)]
    page = page_of(client, upload("cuadrados.csv", "\n".join(lines).encode()))
    assert "<td>100</td><td>10000</td>" in page
    assert "<td>101</td>" not in page
    assert "el archivo tiene más" in page


def test_a_csv_that_is_not_valid_text_further_down_says_so_instead_of_failing(client):
    # Valid UTF-8 in the first 64 KB the encoding is guessed from; a stray byte in row 71.
    content = ("a,b\n" + ("x," + "ñ" * 500 + "\n") * 70).encode() + b"\xff\xfe,z\n"
    page = page_of(client, upload("roto.csv", content))
    assert "no se puede leer como texto UTF-8" in page
    assert "Guárdelo como CSV UTF-8" in page


def test_an_xlsx_shows_its_first_sheet_as_a_table(client):
    rows = [["Municipio", "Escuelas", "Matrícula"], ["Zapopan", 120, 30500.5], ["Tonalá", 80, 0]]
    rows += [[f"Municipio {n}", n, n] for n in range(200)]
    resource = upload("escuelas.xlsx", xlsx(rows))
    assert resource.format == "XLSX"
    page = page_of(client, resource)
    assert '<th scope="col">Matrícula</th>' in page
    assert "<td>Zapopan</td><td>120</td><td>30500.5</td>" in page
    assert "<td>Tonalá</td>" in page
    assert "Hoja mostrada: «Escuelas»." in page
    assert "Primeras 100 filas" in page and "el archivo tiene más" in page


def test_a_corrupt_xlsx_gives_a_clear_message_not_an_error(client):
    # It starts like a ZIP (so the upload check lets it in) but is not a workbook.
    page = page_of(client, upload("roto.xlsx", b"PK\x03\x04" + b"no es un libro" * 50))
    assert "No fue posible leer la hoja de cálculo; el archivo parece dañado" in page


def test_a_spreadsheet_over_the_size_limit_is_not_previewed(client, monkeypatch):
    resource = upload("escuelas.xlsx", xlsx([["a"], ["b"]]))
    monkeypatch.setattr(preview, "MAX_SPREADSHEET_BYTES", 100)
    page = page_of(client, resource)
    assert "la vista previa de hojas de cálculo se ofrece hasta 100" in page


GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-103.39, 20.72]},
            "properties": {"nombre": "Zapopan", "clave": "14120"},
        },
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-103.4, 20.6], [-103.3, 20.6], [-103.3, 20.7], [-103.4, 20.6]]],
            },
            "properties": {"nombre": "Tlaquepaque", "clave": "14098"},
        },
    ],
}


def test_a_geojson_page_draws_a_local_leaflet_map_with_a_table_fallback(client):
    resource = upload("municipios.geojson", json.dumps(GEOJSON).encode())
    assert resource.format == "GEOJSON"
    page = page_of(client, resource)
    assert '<script src="/static/leaflet/leaflet.js">' in page
    assert '<script src="/static/catalog/map.js">' in page
    assert 'href="/static/leaflet/leaflet.css"' in page
    assert '<script id="mapa-datos" type="application/json">' in page
    assert 'id="mapa" class="map" hidden' in page
    # Without JavaScript the table of properties is the preview.
    assert '<th scope="col">nombre</th>' in page
    assert "<td>Point</td><td>Zapopan</td><td>14120</td>" in page
    assert "<td>Polygon</td><td>Tlaquepaque</td><td>14098</td>" in page
    assert "El archivo tiene 2 elementos geográficos." in page
    assert external_assets(page) == []
    assert client.get("/static/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/catalog/map.js").status_code == 200


def test_a_geojson_that_is_not_geojson_says_why(client):
    page = page_of(client, upload("mal.geojson", b'{"tipo": "nada"}'))
    assert "El archivo no es GeoJSON" in page or "«type» desconocido" in page
    assert 'id="mapa"' not in page


def test_json_is_pretty_printed_and_a_large_one_shows_its_beginning(client):
    page = page_of(client, upload("datos.json", b'{"municipio":"Zapopan","escuelas":[1,2]}'))
    assert "{\n  &quot;municipio&quot;: &quot;Zapopan&quot;," in page
    big = json.dumps([{"n": n, "texto": "ñ" * 50} for n in range(5000)]).encode()
    page = page_of(client, upload("grande.json", big, title="Grande"))
    assert "El archivo pasa de 200 KB: se muestra su comienzo tal como está." in page


def test_text_shows_its_first_200_kb(client):
    page = page_of(client, upload("notas.txt", ("línea\n" * 50000).encode()))
    assert "<pre" in page and "línea" in page
    assert "Se muestran los primeros 200 KB del archivo." in page


def test_a_linked_resource_is_not_fetched_to_preview_it(client):
    resource = ResourceFactory(
        dataset=DatasetFactory(), url="http://127.0.0.1:9/datos.csv", format="CSV"
    )
    page = page_of(client, resource)
    assert "La vista previa solo está disponible para archivos cargados en este portal" in page


def test_a_format_without_preview_says_so(client):
    page = page_of(client, upload("informe.pdf", b"%PDF-1.4\n%%EOF\n"))
    assert "No hay vista previa para archivos PDF; puede descargarlo." in page


def test_encoding_detection_prefers_utf8_and_falls_back_to_windows_1252_then_latin1():
    assert preview.detect_encoding("Tonalá".encode()) == "utf-8"
    assert preview.detect_encoding(b"\xef\xbb\xbfTonal\xc3\xa1") == "utf-8-sig"
    assert preview.detect_encoding("Tonalá".encode("cp1252")) == "cp1252"
    assert preview.detect_encoding(b"Tonal\xe1 \x81") == "latin-1"
    # A sample cut in the middle of a two-byte character is still UTF-8.
    assert preview.detect_encoding("Tonalá".encode()[:-1], complete=False) == "utf-8"
