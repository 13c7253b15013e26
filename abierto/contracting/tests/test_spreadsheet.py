"""Spreadsheet import: a CompraNet-like table of contracts mapped to OCDS, previewed, imported."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from abierto.contracting import services, spreadsheet, standard
from abierto.contracting.models import Import, Record, Release
from abierto.core.factories import OrganizationFactory, UserFactory

HEADER = [
    "Número de procedimiento",
    "Título del expediente",
    "Dependencia",
    "Tipo de procedimiento",
    "Proveedor o contratista",
    "RFC",
    "Importe del contrato",
    "Moneda",
    "Fecha de celebración",
    "Fecha de inicio",
    "Fecha de término",
    "Código del contrato",
]
GOOD = [
    [
        "LA-014000999-E1-2025",
        "Adquisición de papelería para oficinas de Señalética",
        "Secretaría de Administración",
        "Licitación Pública",
        "Papelería Ñandú SA de CV",
        "PÑA010101AB1",
        "1.234,56",
        "MXN",
        "04/03/2025",
        "05/03/2025",
        "31/12/2025",
        "SA-001/2025",
    ],
    [
        "AA-014000999-E2-2025",
        "Servicio de limpieza",
        "Secretaría de Administración",
        "Adjudicación Directa",
        "Limpieza del Occidente SA",
        "",
        "98.765.432,10",
        "Peso mexicano",
        "10/04/2025",
        "",
        "",
        "SA-002/2025",
    ],
]
BAD = [
    # row 4: a negative amount
    ["IA-1", "Sillas", "Secretaría de Administración", "Invitación a cuando menos tres personas",
     "Muebles SA", "", "-500,00", "MXN", "01/02/2025", "", "", "SA-003/2025"],
    # row 5: no supplier
    ["IA-2", "Mesas", "Secretaría de Administración", "Licitación Pública",
     "", "", "700,00", "MXN", "01/02/2025", "", "", "SA-004/2025"],
    # row 6: a date that is not one
    ["IA-3", "Bancas", "Secretaría de Administración", "Licitación Pública",
     "Bancas SA", "", "700,00", "MXN", "32/13/2025", "", "", "SA-005/2025"],
    # row 7: a method nobody knows
    ["IA-4", "Lámparas", "Secretaría de Administración", "Subasta a la inversa",
     "Luz SA", "", "700,00", "MXN", "01/02/2025", "", "", "SA-006/2025"],
]  # fmt: skip


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def publisher(db):
    org = OrganizationFactory(name="Secretaría de Administración", slug="administracion")
    return services.publisher_save(
        actor=None, name="Jalisco", ocid_prefix="ocds-xs1qbl", organization=org
    )


@pytest.fixture
def official(publisher):
    return UserFactory(organization=publisher.organization)


def csv_bytes(rows: list[list[str]], encoding: str = "cp1252") -> bytes:
    return "\r\n".join(";".join(row) for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Contratos")
    dates = book.add_format({"num_format": "dd/mm/yyyy"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, dates)
            else:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def upload(client, publisher, name: str, content: bytes):
    return client.post(
        reverse("contracting:spreadsheet_import"),
        {"publisher": publisher.pk, "file": SimpleUploadedFile(name, content)},
    )


def confirm(client, response):
    """Post the preview's form back as shown (the proposed mapping), asking to import."""
    context = response.context
    data = {"token": context["staged"].token, "confirmar": "1"}
    for field, _sample in context["columns"]:
        data[field.html_name] = field.value() or ""
    return client.post(reverse("contracting:spreadsheet_import"), data)


def test_a_cp1252_file_with_spanish_amounts_maps_previews_and_imports(client, publisher, official):
    client.force_login(official)
    response = upload(client, publisher, "contratos.csv", csv_bytes([HEADER, *GOOD]))
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    # The proposed mapping, guessed from the Spanish column names.
    mapping = {f.label: f.value() for f, _s in response.context["columns"]}
    assert mapping["Número de procedimiento"] == "ocid"
    assert mapping["RFC"] == "supplier_rfc"
    assert mapping["Importe del contrato"] == "amount"
    assert mapping["Fecha de celebración"] == "date_signed"
    assert "Windows-1252" in page or "cp1252" in page.lower()
    assert "Papelería Ñandú SA de CV" in page
    assert re.search(r"98\D765\D432,10 MXN", page)  # grouped as the locale does
    assert "adjudicación directa" in page or "directo" in page

    imported = confirm(client, response)
    assert imported.status_code == 302
    import_ = Import.objects.get(source=Import.Source.SPREADSHEET)
    assert imported["Location"] == reverse("contracting:capture_import", args=[import_.pk])
    assert import_.status == Import.Status.DONE
    assert import_.releases_stored == 2
    record = Record.objects.get(ocid="ocds-xs1qbl-LA-014000999-E1-2025")
    compiled = record.compiled_release
    assert compiled["contracts"][0]["value"] == {"amount": 1234.56, "currency": "MXN"}
    assert compiled["contracts"][0]["dateSigned"].startswith("2025-03-04T00:00:00-06:00")
    assert compiled["tender"]["procurementMethod"] == "open"
    assert compiled["awards"][0]["suppliers"][0]["id"] == "MX-RFC-PÑA010101AB1"
    errors = list(standard.validator().iter_errors(compiled))
    assert not errors, [e.message for e in errors[:3]]
    direct = Record.objects.get(ocid="ocds-xs1qbl-AA-014000999-E2-2025")
    assert direct.amount == Decimal("98765432.10")
    assert direct.procurement_method == "direct"
    report = client.get(imported["Location"]).content.decode()
    assert "hoja de cálculo" in report


def test_importing_the_same_file_twice_only_counts_duplicates(client, publisher, official):
    client.force_login(official)
    for _n in range(2):
        confirm(client, upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD])))
    second = Import.objects.filter(source=Import.Source.SPREADSHEET).order_by("pk").last()
    assert second.releases_duplicate == 2 and second.releases_stored == 0
    assert Release.objects.count() == 2


def test_bad_rows_are_reported_with_row_column_and_reason(client, publisher, official):
    client.force_login(official)
    response = upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD, *BAD]))
    refused = {(r.row, r.column): r.reason for r in response.context["result"].refused}
    assert set(refused) == {
        (4, "Importe del contrato"),
        (5, "Proveedor o contratista"),
        (6, "Fecha de celebración"),
        (7, "Tipo de procedimiento"),
    }
    assert "negativo" in refused[(4, "Importe del contrato")]
    assert "no es una fecha" in refused[(6, "Fecha de celebración")]
    page = response.content.decode()
    assert "Subasta a la inversa" in page
    confirm(client, response)
    # Only the good rows are imported.
    assert Release.objects.count() == 2


def test_an_xlsx_works(client, publisher, official):
    client.force_login(official)
    rows = [
        ["Procedure number", "Title", "Buyer", "Method", "Supplier", "Amount", "Currency",
         "Date signed"],
        ["LA-1", "Computadoras", "Secretaría de Administración", "open", "Cómputo SA",
         250000.5, "MXN", dt.datetime(2025, 5, 2)],  # noqa: DTZ001 (a spreadsheet date has no zone)
    ]  # fmt: skip
    response = upload(client, publisher, "contratos.xlsx", xlsx_bytes(rows))
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response.context["result"].refused == []
    assert confirm(client, response).status_code == 302
    record = Record.objects.get(ocid="ocds-xs1qbl-LA-1")
    assert record.amount == Decimal("250000.50")
    assert record.compiled_release["contracts"][0]["dateSigned"].startswith("2025-05-02")


def test_a_file_renamed_xlsx_that_is_not_one_is_refused_clearly(client, publisher, official):
    client.force_login(official)
    response = upload(client, publisher, "contratos.xlsx", csv_bytes([HEADER, *GOOD]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "se llama .xlsx pero no es un libro de Excel" in page
    assert 'href="#id_file"' in page
    assert not Import.objects.exists()


def test_other_types_and_oversized_files_are_refused(client, publisher, official, settings):
    client.force_login(official)
    page = upload(client, publisher, "contratos.pdf", b"%PDF-1.4").content.decode()
    assert "no es CSV ni XLSX" in page
    settings.CONTRACTING_SPREADSHEET_MAX_BYTES = 100
    page = upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD])).content.decode()
    assert "el límite es 100" in page


def test_a_mapping_without_the_amount_column_is_an_error_not_an_import(client, publisher, official):
    client.force_login(official)
    response = upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD]))
    data = {"token": response.context["staged"].token, "confirmar": "1"}
    for field, _sample in response.context["columns"]:
        data[field.html_name] = "" if field.value() == "amount" else field.value() or ""
    again = client.post(reverse("contracting:spreadsheet_import"), data)
    assert again.status_code == 200
    assert "Falta indicar qué columna tiene: Monto del contrato" in again.content.decode()
    assert not Import.objects.exists()


def test_the_same_field_twice_is_a_column_error(client, publisher, official):
    client.force_login(official)
    response = upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD]))
    data = {"token": response.context["staged"].token, "actualizar": "1"}
    for field, _sample in response.context["columns"]:
        data[field.html_name] = field.value() or ""
    data["col_11"] = "ocid"  # «Código del contrato» as the ocid too
    page = client.post(reverse("contracting:spreadsheet_import"), data).content.decode()
    assert "ya es la columna «Número de procedimiento»" in page


@pytest.mark.parametrize(
    ("who", "page", "imports"),
    [
        ("anonymous", 302, False),
        ("citizen", 403, False),
        # Has a publisher of their own, so the page opens; this publisher is not offered.
        ("other_official", 200, False),
        ("official", 200, True),
        ("staff", 200, True),
    ],
)
def test_permission_matrix_of_the_spreadsheet_import(
    client, publisher, official, who, page, imports
):
    other = OrganizationFactory(name="Zapopan", slug="zapopan")
    services.publisher_save(
        actor=None, name="Zapopan", ocid_prefix="ocds-zap001", organization=other
    )
    users = {
        "citizen": UserFactory(),
        "other_official": UserFactory(organization=other),
        "official": official,
        "staff": UserFactory(is_staff=True),
    }
    if who in users:
        client.force_login(users[who])
    url = reverse("contracting:spreadsheet_import")
    assert client.get(url).status_code == page
    response = upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD]))
    if imports:
        assert confirm(client, response).status_code == 302
    elif who == "other_official":
        assert "Escoja una opción válida" in response.content.decode()
    assert Release.objects.count() == (2 if imports else 0)


def test_a_preview_token_is_only_good_for_who_uploaded_it(client, publisher, official):
    client.force_login(official)
    response = upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD]))
    client.force_login(UserFactory(is_staff=True))
    again = confirm(client, response)
    assert again.status_code == 302
    assert again["Location"] == reverse("contracting:spreadsheet_import")
    assert not Import.objects.exists()


def test_amounts_decide_their_decimal_separator_on_the_whole_column():
    assert spreadsheet.decimal_comma(["1.234", "5,50"])
    assert not spreadsheet.decimal_comma(["1,234", "5.50"])
    assert spreadsheet.parse_amount("$ 1.234.567,89", comma=True) == Decimal("1234567.89")
    assert spreadsheet.parse_amount("1,234,567.89", comma=False) == Decimal("1234567.89")


def test_abandoned_previews_are_swept_after_a_day(client, publisher, official, settings):
    client.force_login(official)
    upload(client, publisher, "c.csv", csv_bytes([HEADER, *GOOD]))
    staged = list((settings.MEDIA_ROOT / spreadsheet.STAGING).iterdir())
    assert len(staged) == 1
    old = (dt.datetime.now() - dt.timedelta(days=2)).timestamp()  # noqa: DTZ005
    os.utime(staged[0], (old, old))
    upload(client, publisher, "d.csv", csv_bytes([HEADER, *GOOD]))
    remaining = list((settings.MEDIA_ROOT / spreadsheet.STAGING).iterdir())
    assert len(remaining) == 1 and remaining[0] != staged[0]
