from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from abierto.contracting import searching
from abierto.contracting.demo import load_demo
from abierto.contracting.models import Record, RecordParty, RecordText, RedFlag
from abierto.contracting.tests.conftest import JALISCO, run
from abierto.contracting.tests.test_parties import package, release

Role = RecordParty.Role
SEARCH = reverse("contracting:search")
SEPAF = "DEP-GOB-JAL-03-1685"
COMPUTER_FORMS = "PROV-GOB-JAL-P00315"
GENERICOS = "PROV-GOB-JAL-P13446"


@pytest.fixture
def demo(jalisco):
    load_demo(JALISCO.parent)
    return jalisco


def ocids(response):
    return {r.ocid for r in response.context["rows"]}


def facet(response, param):
    return {
        i.value: i.count for f in response.context["facets"] if f.param == param for i in f.items
    }


def test_search_lists_every_jalisco_process_with_facet_counts(client, demo):
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert response.context["total"] == Record.objects.count() == 10
    assert facet(response, "metodo") == {"open": 10}
    assert facet(response, "anio") == {2018: 10}
    buyers = facet(response, "comprador")
    assert buyers[SEPAF] == Record.objects.filter(buyer_name__startswith="SEPAF").count() == 6
    assert sum(buyers.values()) == 10
    assert "<svg" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"q": "limpieza"},
            {"ocds-xs1qbl-SFIN-03-0012-00-2017", "ocds-xs1qbl-SFIN-03-0013-00-2017"},
        ),
        # Accents and case ignored; every word must appear, in any order, across fields
        # (title, tender description, buyer, suppliers, ocid).
        (
            {"q": "ALMACENES  limpiéza"},
            {"ocds-xs1qbl-SFIN-03-0012-00-2017", "ocds-xs1qbl-SFIN-03-0013-00-2017"},
        ),
        ({"q": "limpieza xyzzy"}, set()),
        ({"q": "SFIN-03-0007"}, {"ocds-xs1qbl-SFIN-03-0007-00-2017"}),
        ({"q": "movilidad"}, {"ocds-xs1qbl-15-0010-00-2017"}),
        ({"q": "compucad"}, {"ocds-xs1qbl-SFIN-03-0007-00-2017"}),
        (
            {"proveedor": COMPUTER_FORMS},
            {"ocds-xs1qbl-15-0010-00-2017", "ocds-xs1qbl-SFIN-03-0016-00-2017"},
        ),
        (
            {"comprador": "DEP-GOB-JAL-16-2213", "monto_max": "20000"},
            {"ocds-xs1qbl-SSEG-16-0253-00-2017"},
        ),
        (
            {"monto_min": "9000000"},
            {"ocds-xs1qbl-SFIN-03-0001-00-2017", "ocds-xs1qbl-SFIN-03-0016-00-2017"},
        ),
        ({"metodo": "direct"}, set()),
        ({"anio": "2017"}, set()),
    ],
)
def test_search_filters_real_data(client, demo, params, expected):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    assert ocids(response) == expected
    assert response.context["total"] == len(expected)


def test_search_by_year_and_method_keeps_all(client, demo):
    response = client.get(SEARCH, {"anio": "2018", "metodo": "open"})
    assert response.context["total"] == 10


def test_sort_by_date_both_ways(client, demo):
    newest = client.get(SEARCH).context["rows"]
    dates = [Record.objects.get(ocid=r.ocid).compiled_release["date"] for r in newest]
    assert dates == sorted(dates, reverse=True)
    oldest = client.get(SEARCH, {"orden": "fecha"}).context["rows"]
    assert [r.ocid for r in oldest] == [r.ocid for r in reversed(newest)]


def test_sort_by_amount(client, demo):
    rows = client.get(SEARCH, {"orden": "-monto"}).context["rows"]
    amounts = [r.amount for r in rows]
    assert amounts == sorted(amounts, reverse=True)


def test_csv_download_has_the_result_rows(client, demo):
    response = client.get(SEARCH, {"comprador": SEPAF, "format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 6
    assert {r["comprador"][:5] for r in rows} == {"SEPAF"}
    assert "COMPUCAD, S.A. DE C.V." in {r["proveedores"] for r in rows}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"monto_min": "abc"}, "Monto mínimo"),
        ({"anio": "zzz"}, "Año"),
        ({"pagina": "-1"}, "Página"),
        ({"monto_min": "10", "monto_max": "5"}, "mayor que el monto máximo"),
        ({"metodo": "trampa"}, "Método de contratación"),
    ],
)
def test_bad_parameters_say_what_is_wrong(client, demo, params, message):
    response = client.get(SEARCH, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_page_past_the_last_says_so(client, demo):
    response = client.get(SEARCH, {"pagina": "9"})
    assert "no existe" in response.content.decode()


def test_search_queries_do_not_grow_with_rows(client, jalisco, tmp_path, settings):
    def load(n, series):
        releases = [
            release(
                f"ocds-xs1qbl-{series}-{i}",
                "r1",
                buyer={"name": f"Dependencia {i % 3}"},
                tender={"id": "t", "title": f"Compra {i}", "procurementMethod": "open"},
                awards=[
                    {
                        "id": "a",
                        "value": {"amount": 10 + i, "currency": "MXN"},
                        "suppliers": [{"name": f"Empresa {i}"}],
                    }
                ],
            )
            for i in range(n)
        ]
        run(jalisco, package(tmp_path, releases, f"{series}.json"))

    load(2, "A")
    with CaptureQueriesContext(connection) as few:
        assert client.get(SEARCH).status_code == 200
    load(20, "B")
    with CaptureQueriesContext(connection) as many:
        response = client.get(SEARCH)
    assert len(response.context["rows"]) == 22
    assert len(many) == len(few)
    for url in (reverse("contracting:suppliers"), reverse("contracting:buyers")):
        with CaptureQueriesContext(connection) as listing:
            assert client.get(url).status_code == 200
        assert len(listing) <= len(few)


def test_a_text_search_counts_its_facets_in_few_readings_of_the_matches(client, jalisco, tmp_path):
    releases = [
        release(
            f"ocds-xs1qbl-F-{i}",
            "r1",
            date=f"{2023 + i % 2}-03-01T00:00:00Z",
            buyer={"name": f"Dependencia {i % 3}"},
            tender={
                "id": "t",
                "title": f"{'Servicio de limpieza' if i % 4 else 'Papelería'} {i}",
                "procurementMethod": "open" if i % 3 else "direct",
            },
            awards=[
                {
                    "id": "a",
                    "value": {"amount": 100 + i, "currency": "USD" if i % 5 == 0 else "MXN"},
                    "suppliers": [{"name": f"Empresa {i}"}],
                }
            ],
        )
        for i in range(24)
    ]
    run(jalisco, package(tmp_path, releases, "facetas.json"))
    matching = [i for i in range(24) if i % 4]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SEARCH, {"q": "limpieza"})
    # The text match is the costly part: the facets read it once, the buyers and the page
    # once each (read now: the next request empties the connection's query log).
    readings = [q["sql"] for q in queries if "LIKE" in q["sql"]]
    assert len(readings) == 3
    assert response.context["total"] == len(matching) == 18
    # Each facet counts what its own filter then finds.
    assert facet(response, "metodo") == {
        "open": sum(1 for i in matching if i % 3),
        "direct": sum(1 for i in matching if not i % 3),
    }
    assert facet(response, "anio") == {
        2023: sum(1 for i in matching if i % 2 == 0),
        2024: sum(1 for i in matching if i % 2),
    }
    for param, counts in (("metodo", facet(response, "metodo")), ("anio", facet(response, "anio"))):
        for value, count in counts.items():
            narrowed = client.get(SEARCH, {"q": "limpieza", param: value})
            assert narrowed.context["total"] == count
    assert sum(facet(response, "comprador").values()) == 18
    totals = {m.currency: m.amount for m in response.context["totals"]}
    assert totals == {
        "MXN": sum(100 + i for i in matching if i % 5),
        "USD": sum(100 + i for i in matching if i % 5 == 0),
    }


def test_process_page_shows_the_stages_in_the_data(client, demo):
    ocid = "ocds-xs1qbl-SFIN-03-0007-00-2017"
    response = client.get(reverse("contracting:process", args=[ocid]))
    html = response.content.decode()
    assert response.status_code == 200
    assert [s["stage"] for s in response.context["timeline"]] == [
        "planning",
        "tender",
        "award",
        "contract",
    ]
    assert 'data-stage="implementation"' in html  # the contract's payments
    assert "COMPUCAD, S.A. DE C.V." in html
    assert "ISD SOLUCIONES DE TIC" in html  # a tenderer
    assert reverse("contracting:ocid_record", args=[ocid]) in html
    assert reverse("contracting:supplier", args=["PROV-GOB-JAL-P00716"]) in html
    assert "Señales de riesgo" in html


def test_process_page_shows_its_red_flags(client, demo):
    record = Record.objects.get(ocid="ocds-xs1qbl-SFIN-03-0007-00-2017")
    RedFlag.objects.create(record=record, code="R018", details={})
    html = client.get(reverse("contracting:process", args=[record.ocid])).content.decode()
    assert "R018" in html


def test_unknown_process_supplier_and_buyer_are_404(client, db):
    assert client.get(reverse("contracting:process", args=["ocds-nada-1"])).status_code == 404
    assert client.get(reverse("contracting:supplier", args=["nadie"])).status_code == 404
    assert client.get(reverse("contracting:buyer", args=["nadie"])).status_code == 404


def test_supplier_totals_equal_the_sum_of_its_awards(client, demo):
    response = client.get(reverse("contracting:supplier", args=[GENERICOS]))
    assert response.status_code == 200
    expected = Decimal(0)
    for record in Record.objects.all():
        for award in record.compiled_release.get("awards", []):
            if any(s["name"].startswith("GENERICOS DE LIMPIEZA") for s in award["suppliers"]):
                expected += Decimal(str(award["value"]["amount"])).quantize(Decimal("0.01"))
    [total] = response.context["totals"]
    assert (total.amount, total.currency) == (expected, "MXN")
    assert response.context["total"] == 2
    [sepaf] = response.context["by_buyer"]
    assert sepaf["key"] == SEPAF
    buyer_total = sum(
        p.amount
        for p in RecordParty.objects.filter(
            role=Role.SUPPLIER, record__buyer_name__startswith="SEPAF", amount__isnull=False
        )
    )
    assert sepaf["buyer_total"].amount == buyer_total
    assert sepaf["share"] == (100 * expected / buyer_total).quantize(Decimal("0.1"))


def test_buyer_page_has_amounts_by_method_year_and_top_suppliers(client, demo):
    response = client.get(reverse("contracting:buyer", args=[SEPAF]))
    assert response.status_code == 200
    assert response.context["total"] == 6
    top = response.context["top"]
    assert top[0]["name"].startswith("IMPRESORES EN OFFSET")
    shares = sum(row["share"] for row in top)
    assert Decimal("99") < shares <= Decimal("100.5")
    html = response.content.decode()
    assert "<svg" in html and "Monto por año (MXN)" in html


def test_mixed_currencies_are_never_added_up(client, jalisco, tmp_path):
    def proc(n, currency, amount):
        return release(
            f"ocds-xs1qbl-M-{n}",
            "r1",
            buyer={"name": "Secretaría de Turismo"},
            tender={"id": "t", "title": f"Servicio {n}"},
            awards=[
                {
                    "id": "a",
                    "value": {"amount": amount, "currency": currency},
                    "suppliers": [{"name": "Viajes Pacífico"}],
                }
            ],
        )

    run(jalisco, package(tmp_path, [proc(1, "MXN", 1000), proc(2, "USD", 50), proc(3, "MXN", 500)]))
    response = client.get(reverse("contracting:supplier", args=["viajes-pacifico"]))
    totals = {m.currency: m.amount for m in response.context["totals"]}
    assert totals == {"MXN": Decimal("1500.00"), "USD": Decimal("50.00")}
    search = client.get(SEARCH)
    assert {m.currency: m.amount for m in search.context["totals"]} == totals
    buyer = client.get(reverse("contracting:buyer", args=["secretaria-de-turismo"]))
    assert {m.currency for m in buyer.context["totals"]} == {"MXN", "USD"}
    assert {c["currency"] for c in buyer.context["year_charts"]} == {"MXN", "USD"}


def test_hostile_titles_are_escaped(client, jalisco, tmp_path):
    hostile = '<script>alert("x")</script>'
    run(
        jalisco,
        package(
            tmp_path,
            [
                release(
                    "ocds-xs1qbl-X-1",
                    "r1",
                    buyer={"name": hostile},
                    tender={
                        "id": "t",
                        "title": hostile,
                        "documents": [{"id": "d", "title": hostile, "url": "javascript:alert(1)"}],
                    },
                )
            ],
        ),
    )
    for url in (
        SEARCH,
        reverse("contracting:process", args=["ocds-xs1qbl-X-1"]),
        reverse("contracting:buyers"),
        reverse("contracting:buyer", args=["script-alert-x-script"]),
    ):
        html = client.get(url).content.decode()
        assert hostile not in html, url
        assert "&lt;script&gt;" in html, url
        assert 'href="javascript:' not in html


def test_party_lists_download_as_csv(client, demo):
    response = client.get(reverse("contracting:suppliers"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {r["clave"]: r for r in csv.DictReader(io.StringIO(body))}
    assert rows[COMPUTER_FORMS]["procesos"] == "2"
    assert "MXN" in rows[COMPUTER_FORMS]["montos"]


def test_nav_links_the_section(client, db):
    html = client.get(reverse("contracting:buyers")).content.decode()
    assert f'href="{SEARCH}"' in html


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: pg_trgm (SQLite's index below)"
)
def test_search_words_are_matched_through_the_trigram_index_on_postgresql(client, demo):
    sql, params = searching.matching("limpieza edificios").query.sql_with_params()
    with connection.cursor() as cursor:
        # A demo's few rows are read whatever the indexes: ask for the index path.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "contracting_recordtext_trgm" in plan
    response = client.get(SEARCH, {"q": "limpieza"})
    assert response.status_code == 200 and ocids(response)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite only: FTS5 trigram (PostgreSQL's index above)"
)
def test_rare_search_words_are_matched_through_the_trigram_table_on_sqlite(
    client, demo, monkeypatch
):
    def plan(query: str) -> str:
        sql, params = searching.matching(query).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return " ".join(str(row[-1]) for row in cursor.fetchall())

    indexed = f"{searching.TRIGRAM_TABLE} VIRTUAL TABLE"
    expected = {"ocds-xs1qbl-SFIN-03-0012-00-2017", "ocds-xs1qbl-SFIN-03-0013-00-2017"}
    # "limpieza" is in 2 of the demo's 10 lines: rare below a share of 50 %, common below 10 %.
    monkeypatch.setattr(searching, "RARE_SHARE", 0.5)
    assert indexed in plan("limpieza de")  # "de", too short for trigrams, is read on the line
    assert ocids(client.get(SEARCH, {"q": "limpieza de"})) == expected
    monkeypatch.setattr(searching, "RARE_SHARE", 0.1)
    assert indexed not in plan("limpieza de")
    assert ocids(client.get(SEARCH, {"q": "limpieza de"})) == expected
    # A word with a trigram in no line at all: the index answers at once, with nothing.
    assert indexed in plan("zqxjw")
    assert not ocids(client.get(SEARCH, {"q": "zqxjw"}))


def test_the_trigram_table_follows_each_change_of_a_process_line(client, demo):
    # The index is kept by the database (triggers on SQLite): a recompiled title is found by
    # its new words, never by its old ones; a deleted process is found no more.
    ocid = "ocds-xs1qbl-SFIN-03-0007-00-2017"
    text = RecordText.objects.get(record__ocid=ocid)
    text.text = "adquisicion de zanahorias moradas"
    text.save()
    assert set(searching.matching("zanahorias moradas").values_list("record_id", flat=True)) == {
        text.record_id
    }
    assert ocid not in ocids(client.get(SEARCH, {"q": "compucad"}))
    Record.objects.filter(ocid=ocid).delete()
    assert not searching.matching("zanahorias").exists()
