from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.contracting.demo import load_demo
from abierto.contracting.models import Record, RecordParty, Stage
from abierto.contracting.parties import party_key, plain_name
from abierto.contracting.tests.conftest import JALISCO, run

Role = RecordParty.Role


def package(tmp_path, releases, name="paquete.json"):
    path = tmp_path / name
    data = {
        "uri": "https://example.org/paquete.json",
        "version": "1.1",
        "publishedDate": "2024-01-01T00:00:00Z",
        "publisher": {"name": "Prueba"},
        "releases": releases,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def release(ocid, rid, **fields):
    return {
        "ocid": ocid,
        "id": rid,
        "date": "2024-03-01T00:00:00Z",
        "tag": ["tender"],
        "initiationType": "tender",
        **fields,
    }


@pytest.fixture
def demo(jalisco):
    load_demo(JALISCO.parent)
    return jalisco


def test_the_key_of_a_party_with_an_identifier_is_scheme_and_id():
    assert party_key(scheme="PROV-GOB-JAL", identifier="P00315", name="X") == "PROV-GOB-JAL-P00315"
    assert party_key(scheme="MX-RFC", identifier="ABC 010101/9X9") == "MX-RFC-ABC-010101-9X9"


def test_the_key_of_a_party_without_identifier_is_its_plain_name():
    assert plain_name("  Secretaría   de  MOVILIDAD ") == "secretaria de movilidad"
    assert party_key(name="  Papelería   ÑANDÚ, S.A. de C.V. ") == "papeleria-nandu-s-a-de-c-v"
    assert party_key(name="../..") == ""
    assert party_key() == ""


def test_jalisco_records_get_stage_status_and_parties(demo):
    record = Record.objects.get(ocid="ocds-xs1qbl-SFIN-03-0007-00-2017")
    assert record.stage == Stage.IMPLEMENTATION
    assert record.status == "complete"
    rows = {(p.role, p.key): p for p in record.party_roles.all()}
    buyer = rows[Role.BUYER, "DEP-GOB-JAL-03-1685"]
    assert buyer.name.startswith("SEPAF | SECRETAR")
    assert (Role.PROCURING_ENTITY, "DEP-GOB-JAL-03.4-1653") in rows
    supplier = rows[Role.SUPPLIER, "PROV-GOB-JAL-P00716"]
    assert supplier.name == "COMPUCAD, S.A. DE C.V."
    assert (supplier.amount, supplier.currency) == (Decimal("179568.00"), "MXN")
    assert {k for r, k in rows if r == Role.TENDERER} == {
        "PROV-GOB-JAL-P13574",
        "PROV-GOB-JAL-P00201",
        "PROV-GOB-JAL-P00716",
    }


def test_a_supplier_amount_is_the_sum_of_its_awards_in_the_process(demo):
    record = Record.objects.get(ocid="ocds-xs1qbl-SFIN-03-0013-00-2017")
    suppliers = record.party_roles.filter(role=Role.SUPPLIER)
    awards = record.compiled_release["awards"]
    expected = sum(Decimal(str(a["value"]["amount"])).quantize(Decimal("0.01")) for a in awards)
    assert suppliers.count() == 4
    assert sum(s.amount for s in suppliers) == expected


def test_mixed_currencies_never_add_up_and_void_awards_do_not_count(jalisco, tmp_path):
    parties = [
        {"id": "p1", "name": "Proveedora Única", "roles": ["supplier"]},
        {"id": "p2", "name": "Otra, S.A.", "roles": ["supplier"]},
    ]
    awards = [
        {
            "id": "a1",
            "status": "active",
            "value": {"amount": 100, "currency": "MXN"},
            "suppliers": [{"id": "p1", "name": "Proveedora Única"}],
        },
        {
            "id": "a2",
            "status": "active",
            "value": {"amount": 5, "currency": "USD"},
            "suppliers": [{"id": "p1", "name": "Proveedora Única"}],
        },
        {
            "id": "a3",
            "status": "active",
            "value": {"amount": 30, "currency": "MXN"},
            "suppliers": [{"id": "p2", "name": "Otra, S.A."}],
        },
        {
            "id": "a4",
            "status": "cancelled",
            "value": {"amount": 999, "currency": "MXN"},
            "suppliers": [{"id": "p2", "name": "Otra, S.A."}],
        },
    ]
    path = package(
        tmp_path,
        [release("ocds-xs1qbl-T-1", "r1", tag=["award"], parties=parties, awards=awards)],
    )
    assert run(jalisco, path).status == "done"
    rows = {p.key: p for p in RecordParty.objects.filter(role=Role.SUPPLIER)}
    assert (rows["proveedora-unica"].amount, rows["proveedora-unica"].currency) == (None, "")
    assert (rows["otra-s-a"].amount, rows["otra-s-a"].currency) == (Decimal("30.00"), "MXN")
    assert Record.objects.get().stage == Stage.AWARD


def test_a_later_release_replaces_the_party_rows_of_its_process(jalisco, tmp_path):
    first = release(
        "ocds-xs1qbl-T-2",
        "r1",
        buyer={"name": "Secretaría de Salud"},
        tender={"id": "t", "status": "active", "title": "Medicinas"},
    )
    run(jalisco, package(tmp_path, [first], "uno.json"))
    record = Record.objects.get()
    assert (record.stage, record.status) == (Stage.TENDER, "active")
    second = release(
        "ocds-xs1qbl-T-2",
        "r2",
        date="2024-04-01T00:00:00Z",
        buyer={"name": "SECRETARIA DE SALUD JALISCO"},
        tender={"id": "t", "status": "complete"},
    )
    run(jalisco, package(tmp_path, [second], "dos.json"))
    record.refresh_from_db()
    assert record.status == "complete"
    assert list(record.party_roles.values_list("role", "key")) == [
        (Role.BUYER, "secretaria-de-salud-jalisco")
    ]


def test_import_queries_do_not_grow_with_parties(jalisco, tmp_path):
    def releases(n, series):
        return [
            release(
                f"ocds-xs1qbl-{series}-{i}",
                "r1",
                parties=[
                    {"id": f"s{j}", "name": f"Empresa {j}", "roles": ["supplier"]} for j in range(n)
                ],
            )
            for i in range(3)
        ]

    small = package(tmp_path, releases(1, "A"), "chico.json")
    large = package(tmp_path, releases(20, "B"), "grande.json")
    # Both start with the content types' cache empty, whichever test ran before.
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as few:
        run(jalisco, small)
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as many:
        run(jalisco, large)
    assert RecordParty.objects.count() == 3 + 60
    assert len(many) == len(few)


def test_recompile_records_rebuilds_the_index_of_existing_data(demo):
    RecordParty.objects.all().delete()
    Record.objects.update(stage="", status="")
    call_command("recompile_records", "--publisher", "ocds-xs1qbl")
    assert not Record.objects.filter(stage="").exists()
    assert RecordParty.objects.filter(role=Role.BUYER).count() == Record.objects.count()
