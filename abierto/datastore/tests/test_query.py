"""datastore_search's engine: filters, full text in Spanish, sort, fields, paging, totals."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from abierto.catalog.ckan import SearchQueryFailed, ValidationFailed
from abierto.datastore import counts, query, schema
from abierto.datastore.tests.tables import indexed_columns, load

pytestmark = pytest.mark.django_db(databases=["default", "datastore"])


@pytest.fixture
def obras():
    return load()


def municipios(result) -> list[str]:
    return [r["Municipio"] for r in result["records"]]


def test_first_page_has_ckan_shape_with_id_first_and_total_from_registry(obras):
    with CaptureQueriesContext(connections["datastore"]) as queries:
        result = query.search(obras, {"resource_id": obras.resource_id, "limit": 2})
    assert [f["id"] for f in result["fields"]] == [
        "_id",
        "Municipio",
        "Obra",
        "Monto",
        "Año",
        "Fecha",
        "Concluida",
    ]
    assert result["fields"][0] == {"id": "_id", "type": "int"}
    assert result["fields"][1]["info"]["label"] == "Municipio"
    assert result["records"][0] == {
        "_id": 1,
        "Municipio": "Zapopan",
        "Obra": "Construcción de puente vehicular",
        "Monto": 1500000.5,
        "Año": 2017,
        "Fecha": "2017-03-01",
        "Concluida": True,
    }
    assert result["total"] == 5 and result["total_was_estimated"] is False
    assert result["limit"] == 2 and result["offset"] == 0
    assert result["_links"]["start"].startswith("/api/3/action/datastore_search?resource_id=")
    assert "offset=2" in result["_links"]["next"]
    # One statement: the rows. The total is the registry's, never counted per request.
    # (Savepoints are the test's transaction: PostgreSQL needs them to survive a bad query.)
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(statements) == 1
    assert "count(" not in statements[0].lower()


def test_filters_with_values_and_lists_are_typed(obras):
    result = query.search(obras, {"filters": {"Municipio": "Zapopan"}})
    assert municipios(result) == ["Zapopan", "Zapopan"] and result["total"] == 2
    result = query.search(obras, {"filters": {"Año": ["2018", 2016]}, "sort": "Año desc"})
    assert municipios(result) == ["Guadalajara", "Tlaquepaque", "Zapopan"]
    result = query.search(obras, {"filters": '{"Concluida": "true", "Fecha": "2018-07-20"}'})
    assert municipios(result) == ["Tlaquepaque"]
    result = query.search(obras, {"filters": {"Monto": 250000}})
    assert municipios(result) == ["Guadalajara"]


def test_a_bad_filter_value_names_the_field(obras):
    with pytest.raises(ValidationFailed) as caught:
        query.search(obras, {"filters": {"Monto": "mucho"}})
    assert "«Monto»" in caught.value.errors["filters"][0]
    assert "mucho" in caught.value.errors["filters"][0]
    with pytest.raises(ValidationFailed) as caught:
        query.search(obras, {"filters": {"Fecha": "ayer"}})
    assert "«Fecha»" in caught.value.errors["filters"][0]
    with pytest.raises(ValidationFailed) as caught:
        query.search(obras, {"filters": {"Colonia": "Centro"}})
    assert "Colonia" in caught.value.errors["filters"][0]


def test_full_text_ignores_accents_and_case_and_ranks(obras):
    result = query.search(obras, {"q": "CONSTRUCCION"})
    assert sorted(municipios(result)) == ["Tlaquepaque", "Zapopan"]
    assert result["fields"][-1] == {"id": "rank", "type": "float"}
    ranks = [r["rank"] for r in result["records"]]
    assert ranks == sorted(ranks, reverse=True)
    assert query.search(obras, {"q": "tonala"})["records"][0]["Municipio"] == "Tonalá"
    assert query.search(obras, {"q": "puente zapopan"})["total"] == 1
    assert query.search(obras, {"q": "inexistente"})["total"] == 0


def test_q_per_field_searches_that_field_only(obras):
    result = query.search(obras, {"q": {"Obra": "construccion"}})
    assert sorted(municipios(result)) == ["Tlaquepaque", "Zapopan"]
    assert query.search(obras, {"q": '{"Municipio": "construccion"}'})["total"] == 0
    with pytest.raises(ValidationFailed):
        query.search(obras, {"q": {"Nada": "x"}})


def test_sort_fields_distinct_and_paging(obras):
    result = query.search(obras, {"sort": "Municipio asc, Monto desc", "fields": "Municipio,Monto"})
    assert [f["id"] for f in result["fields"]] == ["Municipio", "Monto"]
    assert [list(r.values()) for r in result["records"]] == [
        ["Guadalajara", 250000.0],
        ["Tlaquepaque", 980000.0],
        ["Tonalá", None],
        ["Zapopan", 1500000.5],
        ["Zapopan", 120000.0],
    ]
    result = query.search(obras, {"fields": ["Municipio"], "distinct": True, "sort": "Municipio"})
    assert municipios(result) == ["Guadalajara", "Tlaquepaque", "Tonalá", "Zapopan"]
    assert result["total"] == 4
    page = query.search(obras, {"limit": 2, "offset": 4})
    assert [r["_id"] for r in page["records"]] == [5] and page["total"] == 5
    nulls = query.search(obras, {"sort": "Monto desc nulls last", "fields": ["_id"]})
    assert [r["_id"] for r in nulls["records"]][-1] == 5
    quoted = query.search(obras, {"sort": '"Año" desc, _id', "limit": 1})
    assert quoted["records"][0]["Año"] == 2018


def test_limit_is_capped_and_zero_gives_only_the_total(obras):
    assert query.search(obras, {"limit": 100_000})["limit"] == query.ROWS_MAX
    result = query.search(obras, {"limit": 0, "filters": {"Municipio": "Zapopan"}})
    assert result["records"] == [] and result["total"] == 2


def test_records_formats(obras):
    lists = query.search(obras, {"records_format": "lists", "fields": "Municipio,Año", "limit": 2})
    assert lists["records"] == [["Zapopan", 2017], ["Guadalajara", 2018]]
    csv_text = query.search(obras, {"records_format": "csv", "fields": "Municipio,Concluida"})
    assert csv_text["records"].splitlines()[:2] == ["Zapopan,true", "Guadalajara,false"]
    tsv = query.search(obras, {"records_format": "tsv", "fields": "Municipio,Año", "limit": 1})
    assert tsv["records"] == "Zapopan\t2017\r\n"
    with pytest.raises(ValidationFailed) as caught:
        query.search(obras, {"records_format": "xml"})
    assert "records_format" in caught.value.errors


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"sort": "Municipio; DROP TABLE datastore_registry"}, "sort"),
        ({"sort": 'Municipio" DESC, (SELECT 1) --'}, "sort"),
        ({"sort": "Municipio sideways"}, "sort"),
        ({"fields": ["Municipio", "1; DELETE FROM datastore_registry"]}, "fields"),
        ({"fields": '_id, (SELECT count(*) FROM datastore_registry) AS "x"'}, "fields"),
        ({"filters": {"Municipio = Municipio OR 1=1 --": "x"}}, "filters"),
        ({"limit": "10; DROP TABLE x"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"language": "english"}, "language"),
    ],
)
def test_injection_through_names_is_refused_naming_the_parameter(obras, params, key):
    with pytest.raises(ValidationFailed) as caught:
        query.search(obras, params)
    assert key in caught.value.errors
    assert schema.get_table(obras.resource_id).row_count == 5


def test_injection_through_values_is_only_a_value(obras):
    evil = "Zapopan' OR '1'='1"
    assert query.search(obras, {"filters": {"Municipio": evil}})["total"] == 0
    assert query.search(obras, {"q": "'; DROP TABLE datastore_registry; --"})["total"] == 1
    assert query.search(obras, {"q": {"Obra": "%"}})["total"] == 0
    assert schema.get_table(obras.resource_id).row_count == 5


def test_advanced_tsquery_syntax_errors_are_search_query_errors(obras):
    text = "construc:* & !bacheo" if schema.is_postgres() else "construcci* NOT bacheo"
    assert query.search(obras, {"q": text, "plain": False})["total"] == 2
    with pytest.raises(SearchQueryFailed):
        query.search(obras, {"q": "((( & |", "plain": False})
    # The table still answers afterwards (PostgreSQL kept its transaction usable).
    assert query.search(obras, {"limit": 1})["total"] == 5


def test_total_estimation_threshold_estimates_large_filtered_counts(obras):
    result = query.search(
        obras,
        {"filters": {"Año": 2018}, "limit": 1, "total_estimation_threshold": 0},
    )
    assert result["total"] >= 1
    assert result["total_was_estimated"] is schema.is_postgres()
    exact = query.search(obras, {"filters": {"Año": 2018}, "limit": 1})
    assert exact["total"] == 2 and exact["total_was_estimated"] is False


counts_kept = pytest.mark.skipif(
    not schema.is_postgres(),
    reason="PostgreSQL only: SQLite counts a filter's index entries itself (counts.py)",
)


def _set_counted(table: schema.Table, field: str, value: str, n: int) -> None:
    with schema.connection().cursor() as cursor:
        cursor.execute(
            f"UPDATE {schema.quote(schema.values_name(table.physical))} SET n = %s "
            "WHERE field = %s AND value = %s",
            [n, field, value],
        )
        assert cursor.rowcount == 1


@counts_kept
def test_a_filter_on_one_frequent_value_reads_its_total_from_the_counts(monkeypatch):
    monkeypatch.setattr(counts, "COUNTED_VALUE_ROWS", 3)
    towns = ["Tala"] * 5 + ["Zapopan"] * 3 + ["Ameca"]
    rows = [(m, "Obra", n, 2017 + n % 2, None, n % 3 == 0) for n, m in enumerate(towns, 1)]
    table = load(rows=rows)

    def total(filters, **data):
        return query.search(table, {"filters": filters, "limit": 1, **data})["total"]

    # Exact, whether counted ahead (text, int, bool), counted now (a rare value, a numeric
    # column) or with other conditions.
    assert total({"Municipio": "Tala"}) == 5 and total({"Municipio": "Ameca"}) == 1
    assert total({"Año": "2018"}) == 5 and total({"Concluida": True}) == 3
    assert total({"Monto": 4}) == 1
    assert total({"Municipio": "Tala", "Año": 2018}) == 3
    assert total({"Municipio": ["Tala", "Ameca"]}) == 6
    # Read, not counted: a count changed behind the table's back is what search reports,
    # for a filter on one value alone, asked to estimate or not.
    _set_counted(table, "Municipio", "Tala", 50)
    _set_counted(table, "Concluida", "true", 30)
    assert total({"Municipio": "Tala"}) == 50 and total({"Concluida": "true"}) == 30
    assert total({"Municipio": "Tala"}, total_estimation_threshold=0) == 50
    assert total({"Municipio": "Tala"}, q="obra") == 5
    assert total({"Municipio": "Tala", "Año": 2018}) == 3
    # A table indexed before values were counted counts as always.
    with schema.connection().cursor() as cursor:
        cursor.execute(f"DROP TABLE {schema.quote(schema.values_name(table.physical))}")
    assert total({"Municipio": "Tala"}) == 5 and total({"Concluida": True}) == 3


def test_q_with_another_sort_matches_without_ranking(obras):
    result = query.search(obras, {"q": "construccion", "sort": "_id desc"})
    assert [r["_id"] for r in result["records"]] == [3, 1]
    assert "rank" not in result["records"][0]
    assert result["total"] == 2
    ranked = query.search(obras, {"q": "construccion", "sort": "rank desc", "limit": 1})
    assert "rank" in ranked["records"][0] and ranked["total"] == 2


def test_a_search_racing_a_reload_reads_the_new_table(obras):
    stale = obras
    load(obras.resource_id, rows=[("Tala", "Pozo de agua", 1, 2020, None, None)])
    result = query.search(stale, {"q": "pozo"})
    assert [r["Municipio"] for r in result["records"]] == ["Tala"]


def _plan(sql: str, params: list) -> str:
    """The database's plan for a statement, as one lower-case string."""
    explain = "EXPLAIN " if schema.is_postgres() else "EXPLAIN QUERY PLAN "
    with schema.connection().cursor() as cursor:
        if schema.is_postgres():
            # A table of a few rows is scanned whatever its indexes: ask for the index path.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(explain + sql, params)
        plan = " ".join(str(part) for row in cursor.fetchall() for part in row).lower()
        if schema.is_postgres():
            cursor.execute("RESET enable_seqscan")
    return plan


SPENDING_FIELDS = [
    schema.Field("folio", schema.TEXT),
    schema.Field("municipio", schema.TEXT),
    schema.Field("concepto", schema.TEXT),
    schema.Field("monto", schema.NUMERIC),
]
LONG = "Adquisición de material de papelería y consumibles de cómputo para las oficinas "


def test_filter_columns_are_indexed_and_free_text_is_left_to_q():
    rows = [(f"F-{n:04}", ("Tala", "Ameca")[n % 2], LONG + str(n), n * 10.5) for n in range(40)]
    table = load(fields=SPENDING_FIELDS, rows=rows)
    with schema.connection().cursor() as cursor:
        chosen = schema.filter_columns(cursor, table.physical, table.fields)
    assert [f.id for f in chosen] == ["folio", "municipio", "monto"]
    assert indexed_columns(table.physical) == {"folio", "municipio", "monto"}

    for name, value, matches in (("municipio", "Ameca", 20), ("folio", "F-0007", 1)):
        found = query.build(table, {"filters": {name: value}})
        sql, params = found.count_sql()
        assert "index" in _plan(sql, params), name
        assert query.search(table, {"filters": {name: value}, "limit": 1})["total"] == matches
    # Descriptions are searched with q: no index was made for them.
    described = query.build(table, {"filters": {"concepto": LONG + "3"}})
    assert "index" not in _plan(*described.count_sql())


def test_filter_indexes_are_capped_per_table():
    fields = [schema.Field(f"c{n}", schema.INT) for n in range(schema.MAX_FILTER_INDEXES + 8)]
    table = load(fields=fields, rows=[tuple(range(len(fields)))])
    with schema.connection().cursor() as cursor:
        chosen = schema.filter_columns(cursor, table.physical, table.fields)
    assert len(chosen) == schema.MAX_FILTER_INDEXES
    assert indexed_columns(table.physical) == {f.id for f in chosen}
    # The columns past the cap still filter, by reading the table.
    last = fields[-1].id
    assert query.search(table, {"filters": {last: len(fields) - 1}})["total"] == 1


def test_an_indexed_text_column_takes_a_value_longer_than_an_index_key(obras):
    # A b-tree on PostgreSQL refuses keys over 2,704 bytes; an upsert must not fail for it.
    long_name = "Zapopan " * 1000
    with schema.connection().cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {schema.quote(obras.physical)} ("Municipio", "Obra") VALUES (%s, %s)',
            [long_name, "Pozo"],
        )
    result = query.search(obras, {"filters": {"Municipio": long_name}})
    assert [r["Obra"] for r in result["records"]] == ["Pozo"]


def test_rank_follows_how_often_the_words_occur_not_the_rows_length():
    # As CKAN's ts_rank: a long description that names the word twice comes first, and one
    # mention ranks the same in a short row as in a long one (both databases alike).
    rows = [
        ("Tala", "Pozo", 1, 2018, None, None),
        (
            "Tala",
            "Pozo de agua potable para la cabecera municipal y sus colonias",
            2,
            2018,
            None,
            None,
        ),
        ("Tala", "Pozo profundo y equipamiento del pozo con bomba sumergible", 3, 2018, None, None),
        ("Tala", "Bacheo", 4, 2018, None, None),
    ]
    table = load(rows=rows)
    result = query.search(table, {"q": "pozo"})
    assert [r["Monto"] for r in result["records"]] == [3, 1, 2]
    ranks = [r["rank"] for r in result["records"]]
    assert ranks[0] > ranks[1] and ranks[1] == pytest.approx(ranks[2])


def _drop_word_counts(table: schema.Table) -> None:
    """Make `table` as one indexed before words were counted ahead."""
    name = schema.words_name if schema.is_postgres() else schema.vocabulary_name
    with schema.connection().cursor() as cursor:
        cursor.execute(f"DROP TABLE {schema.quote(name(table.physical))}")


def test_words_no_row_holds_twice_page_in_id_order_as_ranking_every_match_would(monkeypatch):
    monkeypatch.setattr(schema, "COUNTED_WORD_ROWS", 1)
    rows = [
        (
            "Tala",
            f"Papelería y {'tóner' if n % 2 else 'papel'} lote {n}" if n % 3 == 0 else "Bacheo",
            n,
            2018,
            None,
            None,
        )
        for n in range(1, 31)
    ]
    table = load(rows=rows)

    def pages(data):
        return [query.search(table, {**data, "limit": 4, "offset": offset}) for offset in (0, 4, 8)]

    with CaptureQueriesContext(connections["datastore"]) as queries:
        one_word = pages({"q": "papeleria"})
    # One word no row holds twice: its matches were counted ahead, not by a count(*).
    assert not any("count(" in q["sql"].lower() for q in queries)
    assert [r["Monto"] for p in one_word for r in p["records"]] == list(range(3, 31, 3))
    assert {p["total"] for p in one_word} == {10}
    assert len({r["rank"] for p in one_word for r in p["records"]}) == 1
    two_words = pages({"q": "papeleria toner"})
    assert [r["Monto"] for p in two_words for r in p["records"]] == [3, 9, 15, 21, 27]
    assert {p["total"] for p in two_words} == {5}

    # The same answers as ranking all the matches (a table indexed without the counts).
    _drop_word_counts(table)
    assert pages({"q": "papeleria"}) == one_word
    assert pages({"q": "papeleria toner"}) == two_words


def test_ranked_pages_of_q_alone_follow_each_other_without_gaps_or_repeats():
    # Equal descriptions rank equally: ties are broken by _id on every page alike.
    rows = [
        ("Tala", "Construcción de puente" + (" puente" * (n % 3)), n, 2018, None, None)
        for n in range(1, 31)
    ]
    table = load(rows=rows)
    whole = query.search(table, {"q": "puente", "limit": 30})
    assert whole["total"] == 30
    ranks = [r["rank"] for r in whole["records"]]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == 3
    paged = []
    for offset in range(0, 30, 7):
        page = query.search(table, {"q": "puente", "limit": 7, "offset": offset})
        assert page["total"] == 30
        paged += page["records"]
    assert [r["_id"] for r in paged] == [r["_id"] for r in whole["records"]]


def test_q_alone_is_counted_and_paged_in_the_text_index(obras):
    found = query.build(obras, {"q": "construccion"})
    sql, params = found.select(limit=1, offset=0)
    # The page's ids come from the index's ranked matches; the table is read for them only.
    ranked_in_index = sql[sql.index("JOIN (") : sql.index(") m ON")]
    assert schema.fts_name(obras.physical) in ranked_in_index and "LIMIT" in ranked_in_index
    count_sql, _params = found.count_sql()
    assert f'"{obras.physical}"' not in count_sql
    result = query.search(obras, {"q": "construccion", "limit": 1})
    assert result["total"] == 2 and len(result["records"]) == 1
