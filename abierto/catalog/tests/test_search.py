"""Catalog search: Spanish-aware relevance that explains itself, facets, fq, sorts, access."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from abierto.catalog import services
from abierto.catalog.factories import (
    DatasetFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
    ThemeFactory,
)
from abierto.catalog.models import Dataset, DatasetSearch
from abierto.catalog.search import SearchQueryError, search_datasets
from abierto.core.factories import JurisdictionFactory, UserFactory

pytestmark = pytest.mark.django_db
ANON = AnonymousUser()


def names(result) -> list[str]:
    return [d.name for d in result.datasets]


def find(q: str = "", **kwargs) -> list[str]:
    return names(search_datasets(user=ANON, q=q, **kwargs))


def test_a_search_without_accents_finds_the_accented_title_and_vice_versa():
    DatasetFactory(name="matricula", title="Matrícula de educación básica")
    DatasetFactory(name="otro", title="Presupuesto estatal")
    assert find("educacion") == ["matricula"]
    assert find("EDUCACIÓN") == ["matricula"]
    assert find("matricula basica") == ["matricula"]


def test_plural_and_singular_find_each_other():
    DatasetFactory(name="camas", title="Camas por hospital")
    DatasetFactory(name="escuelas", title="Escuelas", description="Directorio de escuelas.")
    assert find("hospitales") == ["camas"]
    assert find("escuela") == ["escuelas"]


def test_a_title_match_outranks_a_keyword_match_which_outranks_a_description_match():
    DatasetFactory(name="en-descripcion", title="Padrón", description="Datos de salud pública.")
    DatasetFactory(name="en-etiquetas", title="Registros", tags=["Salud"])
    DatasetFactory(name="en-titulo", title="Salud materna")
    assert find("salud") == ["en-titulo", "en-etiquetas", "en-descripcion"]


def test_every_word_must_match_and_stop_words_do_not_count():
    DatasetFactory(name="camas", title="Camas de hospital")
    DatasetFactory(name="hospitales", title="Hospitales")
    assert find("camas de hospital") == ["camas"]
    assert sorted(find("camas OR hospitales")) == ["camas", "hospitales"]
    assert find("hospital -camas") == ["hospitales"]
    assert find('"camas hospital"') == ["camas"]


def test_the_explanation_says_where_each_word_matched():
    theme = ThemeFactory(name="salud", title="Salud")
    dataset = DatasetFactory(
        title="Camas hospitalarias",
        description="Camas censables por hospital.",
        tags=["hospital"],
        themes=[theme],
        publisher=PublisherFactory(title="Secretaría de Salud"),
    )
    result = search_datasets(user=ANON, q="hospital salud")
    assert result.explanations[dataset.pk] == [
        '"hospital" en las palabras clave',
        '"hospital" en la descripción',
        '"salud" en los temas',
        '"salud" en la dependencia',
    ]


def test_facets_count_the_matching_datasets_most_common_first():
    salud = PublisherFactory(name="salud", title="Secretaría de Salud")
    educacion = PublisherFactory(name="educacion", title="Secretaría de Educación")
    for n in range(3):
        d = DatasetFactory(title=f"Indicadores {n}", publisher=salud, tags=["indicadores"])
        ResourceFactory(dataset=d, format="CSV")
        ResourceFactory(dataset=d, format="CSV")
    d = DatasetFactory(title="Indicadores escolares", publisher=educacion, tags=["escuelas"])
    ResourceFactory(dataset=d, format="xlsx")
    DatasetFactory(title="Otra cosa", publisher=educacion)
    result = search_datasets(
        user=ANON,
        q="indicadores",
        facet_fields=["organization", "tags", "res_format", "license_id", "jurisdiction"],
    )
    assert result.count == 4
    as_tuples = {
        name: [(i.name, i.display_name, i.count) for i in items]
        for name, items in result.facets.items()
    }
    assert as_tuples["organization"] == [
        ("salud", "Secretaría de Salud", 3),
        ("educacion", "Secretaría de Educación", 1),
    ]
    assert as_tuples["tags"] == [("indicadores", "indicadores", 3), ("escuelas", "escuelas", 1)]
    assert as_tuples["res_format"] == [("CSV", "CSV", 3), ("XLSX", "XLSX", 1)]
    assert as_tuples["license_id"] == [("libre-uso-mx", "Términos de Libre Uso MX", 4)]
    assert as_tuples["jurisdiction"] == [("14", "Jalisco", 4)]
    limited = search_datasets(user=ANON, facet_fields=["tags"], facet_limit=1, facet_mincount=2)
    assert [(i.name, i.count) for i in limited.facets["tags"]] == [("indicadores", 3)]


def test_filters_and_between_fields_or_within_one():
    guadalajara = JurisdictionFactory(
        inegi_code="14039",
        name="Guadalajara",
        kind="municipality",
        parent=JurisdictionFactory(inegi_code="14", name="Jalisco"),
    )
    municipal = PublisherFactory(name="gdl", jurisdiction=guadalajara)
    DatasetFactory(name="a", publisher=municipal, tags=["agua"])
    DatasetFactory(name="b", publisher=municipal, tags=["aire"])
    DatasetFactory(name="c", tags=["agua"])
    assert sorted(find(filters={"tags": ["agua"]})) == ["a", "c"]
    assert find(filters={"tags": ["agua"], "jurisdiction": ["14039"]}) == ["a"]
    assert sorted(find(filters={"tags": ["agua", "aire"], "organization": ["gdl"]})) == ["a", "b"]
    with pytest.raises(SearchQueryError, match="color"):
        find(filters={"color": ["rojo"]})


def test_fq_filters_by_the_fields_harvesters_send():
    salud = PublisherFactory(name="salud")
    theme = ThemeFactory(name="economia")
    old = DatasetFactory(name="viejo", publisher=salud, tags=["camas"])
    Dataset.objects.filter(pk=old.pk).update(metadata_modified=timezone.now() - dt.timedelta(10))
    DatasetFactory(name="nuevo", publisher=salud, themes=[theme])
    DatasetFactory(name="ajeno")
    assert sorted(find(fq="organization:salud")) == ["nuevo", "viejo"]
    assert find(fq="organization:salud -tags:camas") == ["nuevo"]
    assert find(fq="metadata_modified:[NOW-1DAY TO *] organization:salud") == ["nuevo"]
    assert sorted(find(fq="groups:economia OR name:ajeno")) == ["ajeno", "nuevo"]
    assert find(q="name:ajeno") == ["ajeno"]
    assert find(q="tags:camas") == ["viejo"]
    assert find(q="tags:camas conjunto") == ["viejo"]  # a bare word in Solr syntax is text
    assert find(q="conjunto: datos") == find(q="conjunto datos")  # not a field: plain words


def test_a_malformed_fq_or_sort_says_what_is_wrong():
    with pytest.raises(SearchQueryError, match="color"):
        find(fq="color:rojo")
    with pytest.raises(SearchQueryError, match="Rango"):
        find(fq="metadata_modified:[2020-01-01")
    with pytest.raises(SearchQueryError, match="popularidad"):
        find(sort="popularidad desc")


def test_pages_are_stable_when_every_sort_key_ties():
    moment = timezone.now()
    created = [DatasetFactory(title="Mismo título") for _ in range(7)]
    Dataset.objects.update(metadata_modified=moment)
    seen = []
    for start in range(0, 7, 3):
        seen += find(sort="metadata_modified desc", start=start, rows=3)
    assert seen == [d.name for d in created]
    assert len(find("mismo", rows=1000)) == 7


def test_sort_by_title_and_by_id_as_harvesters_ask():
    DatasetFactory(name="b", title="beta")
    DatasetFactory(name="a", title="Alfa")
    assert find(sort="title_string asc") == ["a", "b"]
    result = search_datasets(user=ANON, sort="id asc")
    assert [str(d.uuid) for d in result.datasets] == sorted(str(d.uuid) for d in result.datasets)
    assert result.sort == "id asc"


def test_private_and_deleted_datasets_are_found_only_by_who_may_see_them():
    publisher = PublisherFactory()
    editor = PublisherMemberFactory(publisher=publisher).user
    DatasetFactory(name="privado", title="Nómina", publisher=publisher, private=True)
    gone = DatasetFactory(name="borrado", title="Nómina vieja", publisher=publisher)
    services.dataset_delete(actor=None, dataset=gone)
    assert find("nomina") == []
    assert names(search_datasets(user=editor, q="nomina")) == ["privado"]
    assert names(search_datasets(user=UserFactory(), q="nomina")) == []


def test_the_index_follows_changes_of_titles_tags_resources_and_publishers():
    publisher = PublisherFactory(title="Secretaría de Movilidad")
    dataset = DatasetFactory(title="Rutas", publisher=publisher)
    assert find("transporte") == []
    services.dataset_save(actor=None, dataset=dataset, tags=["transporte"])
    assert find("transporte") == [dataset.name]
    services.resource_save(
        actor=None, dataset=dataset, title="Paradas de camión", url="https://x.example/p.csv"
    )
    assert find("camiones") == [dataset.name]
    services.publisher_save(actor=None, publisher=publisher, title="Secretaría de Vialidad")
    assert find("vialidad") == [dataset.name]
    assert find("movilidad") == []


def test_reindex_rebuilds_what_a_bulk_load_left_out():
    publisher = PublisherFactory()
    licence = DatasetFactory().licence
    Dataset.objects.bulk_create(
        [
            Dataset(
                name=f"bulk-{n}",
                identifier=f"bulk-{n}",
                title=f"Censo agrícola {n}",
                description="x",
                publisher=publisher,
                licence=licence,
                contact_name="c",
                contact_email="c@x.example",
                accrual_periodicity="R/P1Y",
            )
            for n in range(3)
        ]
    )
    assert find("agricola") == []
    call_command("reindex_catalog", verbosity=0)
    assert len(find("agricola")) == 3
    assert DatasetSearch.objects.count() == 4


def test_a_search_runs_a_constant_number_of_queries(django_assert_max_num_queries):
    def run():
        return search_datasets(
            user=ANON, q="datos", facet_fields=["organization", "tags", "res_format"], rows=50
        )

    for n in range(3):
        ResourceFactory(dataset=DatasetFactory(title=f"Datos {n}", tags=["a", "b"]))
    run()
    with django_assert_max_num_queries(9):
        few = run()
    for n in range(30):
        ResourceFactory(dataset=DatasetFactory(title=f"Datos más {n}", tags=[f"t{n}"]))
    run()
    with django_assert_max_num_queries(9):
        many = run()
    assert (few.count, many.count) == (3, 33)


def test_the_index_lives_in_the_right_engine():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'catalog_datasetsearch'")
            assert "fts5" in cursor.fetchone()[0].lower()
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'catalog_datasetsearch'"
            )
            assert any("gin" in row[0] for row in cursor.fetchall())


@pytest.fixture
def fq_catalog():
    salud = PublisherFactory(name="salud", title="Secretaría de Salud")
    theme = ThemeFactory(name="economia")
    now = timezone.now()
    made = {
        "camas": DatasetFactory(name="camas", publisher=salud, tags=["hospitales", "camas"]),
        "padron": DatasetFactory(name="padron", publisher=salud, themes=[theme], private=False),
        "viejo": DatasetFactory(name="viejo", tags=["hospitales viejos"]),
        "carreteras": DatasetFactory(name="carreteras", themes=[theme]),
    }
    ResourceFactory(dataset=made["camas"], format="CSV")
    ResourceFactory(dataset=made["carreteras"], format="geojson")
    Dataset.objects.filter(name="viejo").update(
        metadata_modified=now - dt.timedelta(days=40), created_at=now - dt.timedelta(days=400)
    )
    Dataset.objects.filter(name="padron").update(metadata_modified=now - dt.timedelta(days=2))
    return made


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ('tags:"hospitales viejos"', ["viejo"]),
        ("tags:hospitales*", ["camas", "viejo"]),
        ("organization:salud AND tags:camas", ["camas"]),
        ("organization:salud && NOT tags:camas", ["padron"]),
        ("+organization:salud -name:padron", ["camas"]),
        ("!organization:salud", ["carreteras", "viejo"]),
        ("(organization:salud OR groups:economia) -name:camas", ["carreteras", "padron"]),
        ("organization:salud || name:viejo", ["camas", "padron", "viejo"]),
        ("name:(camas OR viejo)", ["camas", "viejo"]),
        ("res_format:csv", ["camas"]),
        ("res_format:GeoJSON", ["carreteras"]),
        ("license_id:libre-uso-mx name:camas", ["camas"]),
        ("*:*", ["camas", "carreteras", "padron", "viejo"]),
        ("type:dataset capacity:public dataset_type:dataset name:camas", ["camas"]),
        ("capacity:private", []),
        ("metadata_modified:[NOW-7DAYS TO NOW]", ["camas", "carreteras", "padron"]),
        ("metadata_modified:{NOW-2DAYS/DAY TO *}", ["camas", "carreteras", "padron"]),
        ("metadata_modified:[* TO NOW-1MONTH]", ["viejo"]),
        ("metadata_created:[* TO NOW-1YEAR]", ["viejo"]),
        ("metadata_modified:[2000-01-01T00:00:00Z TO 2000-12-31T23:59:59.999Z]", []),
        ("metadata_modified:[2000-01-01 TO *] AND name:viejo", ["viejo"]),
        ("name:[c TO d}", ["camas", "carreteras"]),
        ("id:no-es-un-uuid", []),
        ("text:hospitales", ["camas", "viejo"]),
        ("jurisdiction:14 name:camas", ["camas"]),
    ],
)
def test_fq_subset_of_solr(fq_catalog, fq, expected):
    assert sorted(find(fq=fq, rows=100)) == expected


def test_fq_by_id_and_owner_org_take_ckan_ids(fq_catalog):
    camas = fq_catalog["camas"]
    assert find(fq=f'id:"{camas.uuid}"') == ["camas"]
    assert sorted(find(fq=f"owner_org:{camas.publisher.uuid}")) == ["camas", "padron"]


@pytest.mark.parametrize(
    ("fq", "message"),
    [
        ("color:rojo", "Campo desconocido «color»"),
        ('tags:"sin cerrar', "Comillas sin cerrar"),
        ("(organization:salud", "Falta «)»"),
        ("organization:salud)", "Paréntesis «)» sin abrir"),
        ("organization:salud OR", "Falta una condición"),
        ("AND tags:x", "Operador «AND» sin condición"),
        ("metadata_modified:[2020-01-01 TO", "Rango mal formado"),
        ("metadata_modified:[ayer TO *]", "Fecha no válida «ayer»"),
        ("metadata_modified:[NOW-1FORTNIGHT TO *]", "Unidad de tiempo desconocida"),
        ("capacity:secreto", "«capacity» admite"),
        ("tags:", "Falta el valor"),
    ],
)
def test_a_malformed_fq_says_what_and_where(fq_catalog, fq, message):
    with pytest.raises(SearchQueryError) as raised:
        find(fq=fq)
    assert message in str(raised.value)
    assert "posición" in str(raised.value) or "Campo" in str(raised.value)


def _facet_statements(queries) -> int:
    return sum("WITH m AS" in query["sql"] for query in queries)


def facet_counts(result, field: str) -> dict[str, int]:
    return {item.name: item.count for item in result.facets[field]}


def test_unfiltered_facets_are_cached_until_the_catalog_changes():
    fields = ["organization", "res_format"]
    publisher = PublisherFactory(name="salud")
    dataset = DatasetFactory(publisher=publisher)
    ResourceFactory(dataset=dataset, format="CSV")

    def everything():
        return search_datasets(user=ANON, facet_fields=fields)

    with CaptureQueriesContext(connection) as first:
        assert everything().count == 1
    with CaptureQueriesContext(connection) as again:
        result = everything()
    assert (_facet_statements(first), _facet_statements(again)) == (1, 0)
    assert (result.count, facet_counts(result, "res_format")) == (1, {"CSV": 1})
    # Changes through the services (audited, as every write of the application) show at once.
    services.resource_save(actor=None, dataset=dataset, title="Mapa", url="https://x.example/m")
    services.resource_save(
        actor=None, dataset=dataset, title="Mapa 2", url="https://x.example/m2", format="PDF"
    )
    assert facet_counts(everything(), "res_format") == {"CSV": 1, "PDF": 1}
    # So do writes that leave no audit entry, like a fixture's.
    DatasetFactory(publisher=publisher)
    result = everything()
    assert (result.count, facet_counts(result, "organization")) == (2, {"salud": 2})
    services.dataset_delete(actor=None, dataset=dataset)
    result = everything()
    assert (result.count, facet_counts(result, "res_format")) == (1, {})
    # A filtered or text search is never served from the cache.
    with CaptureQueriesContext(connection) as filtered:
        search_datasets(user=ANON, facet_fields=fields, filters={"organization": ["salud"]})
        search_datasets(user=ANON, q="datos", facet_fields=fields)
    assert _facet_statements(filtered) == 2


def test_cached_facets_are_kept_apart_for_who_may_see_what():
    publisher = PublisherFactory(name="hacienda")
    editor = PublisherMemberFactory(publisher=publisher).user
    DatasetFactory(publisher=publisher)
    DatasetFactory(publisher=publisher, private=True)
    fields = ["organization"]
    for _ in range(2):  # the second round comes from the cache
        anonymous = search_datasets(user=ANON, facet_fields=fields)
        member = search_datasets(user=editor, facet_fields=fields)
        stranger = search_datasets(user=UserFactory(), facet_fields=fields)
        assert facet_counts(anonymous, "organization") == {"hacienda": 1}
        assert facet_counts(member, "organization") == {"hacienda": 2}
        assert facet_counts(stranger, "organization") == {"hacienda": 1}
        assert (anonymous.count, member.count, stranger.count) == (1, 2, 1)


# --- Facet keys, one statement per search ------------------------------------------------


def _search_and_api_queries(client) -> tuple[int, int]:
    page, api = "/datos/?q=datos", "/api/3/action/package_search"
    params = {"q": "datos", "facet.field": '["organization","groups","tags","res_format"]'}
    counts = []
    for send in (lambda: client.get(page), lambda: client.get(api, params)):
        send()  # warm what every request shares (content types, sessions)
        with CaptureQueriesContext(connection) as captured:
            response = send()
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    return counts[0], counts[1]


def test_search_page_and_package_search_run_the_same_queries_for_5_or_50_matches(client):
    theme = ThemeFactory(name="salud", title="Salud")

    def add(start: int, count: int) -> None:
        for n in range(start, start + count):
            dataset = DatasetFactory(
                name=f"datos-{n}", title=f"Datos {n}", tags=[f"t{n}", "comun"], themes=[theme]
            )
            ResourceFactory(dataset=dataset, format="CSV" if n % 2 else "json")
            ResourceFactory(dataset=dataset, format="XLSX")

    add(0, 5)
    few = _search_and_api_queries(client)
    add(5, 45)
    many = _search_and_api_queries(client)
    assert few == many
    assert (
        client.get("/api/3/action/package_search", {"q": "datos"}).json()["result"]["count"] == 50
    )
    # The count, the facets and the page of a text search are one statement.
    with CaptureQueriesContext(connection) as captured:
        search_datasets(user=ANON, q="datos", facet_fields=["tags", "res_format"])
    assert _facet_statements(captured) == 1


def test_the_default_order_breaks_score_ties_by_latest_change_then_id_on_every_page():
    now = timezone.now()
    made = [DatasetFactory(name=f"igual-{n}", title="Censo de población") for n in range(9)]
    # Equal text, equal score: the most recently modified first, then by id.
    for n, dataset in enumerate(made):
        when = now - dt.timedelta(days=n % 3)
        Dataset.objects.filter(pk=dataset.pk).update(metadata_modified=when)
    DatasetFactory(name="mejor", title="Censo de población y censo de vivienda")
    DatasetFactory(name="en-descripcion", title="Otro", description="Un censo.")
    expected = ["mejor"] + [d.name for d in sorted(made, key=lambda d: (made.index(d) % 3, d.pk))]
    expected.append("en-descripcion")
    assert find("censo", rows=100) == expected
    paged = []
    for start in range(0, 11, 4):
        paged += find("censo", start=start, rows=4)
    assert paged == expected
    assert find("censo", start=10, rows=4) == ["en-descripcion"]
    assert find("censo", start=11, rows=4) == []
    # The same order from the general path (a filter, or someone with publishers).
    assert find("censo", fq="state:active", rows=100) == expected
    editor = PublisherMemberFactory(publisher=made[0].publisher).user
    assert names(search_datasets(user=editor, q="censo", rows=100)) == expected


def test_facets_follow_tags_formats_privacy_and_a_publishers_jurisdiction():
    jalisco = JurisdictionFactory(inegi_code="14", name="Jalisco")
    colima = JurisdictionFactory(inegi_code="06", name="Colima")
    publisher = PublisherFactory(name="agua", jurisdiction=jalisco)
    dataset = DatasetFactory(title="Calidad del agua", publisher=publisher, tags=["agua"])
    resource = ResourceFactory(dataset=dataset, format="csv")
    DatasetFactory(title="Agua potable", publisher=publisher, tags=["agua", "potable"])
    fields = ["tags", "res_format", "jurisdiction", "organization"]

    def facets():
        result = search_datasets(user=ANON, q="agua", facet_fields=fields)
        return result.count, {name: facet_counts(result, name) for name in fields}

    assert facets() == (
        2,
        {
            "tags": {"agua": 2, "potable": 1},
            "res_format": {"CSV": 1},
            "jurisdiction": {"14": 2},
            "organization": {"agua": 2},
        },
    )
    services.dataset_save(actor=None, dataset=dataset, tags=["rios"])
    services.resource_save(actor=None, dataset=dataset, resource=resource, format="GeoJSON")
    services.publisher_save(actor=None, publisher=publisher, jurisdiction=colima)
    assert facets() == (
        2,
        {
            "tags": {"agua": 1, "potable": 1, "rios": 1},
            "res_format": {"GEOJSON": 1},
            "jurisdiction": {"06": 2},
            "organization": {"agua": 2},
        },
    )
    services.dataset_save(actor=None, dataset=dataset, private=True)
    assert facets()[0] == 1
    assert facets()[1]["tags"] == {"agua": 1, "potable": 1}


def test_the_fast_and_the_general_path_agree_on_count_facets_and_page():
    publishers = [PublisherFactory(name=f"p{n}") for n in range(3)]
    themes = [ThemeFactory(name=f"tema-{n}") for n in range(2)]
    for n in range(12):
        dataset = DatasetFactory(
            name=f"c-{n:02d}",
            title=f"Indicadores {'de salud ' * (n % 3)}{n}",
            publisher=publishers[n % 3],
            tags=[f"e{n % 4}", "todos"],
            themes=themes[: n % 3],
            private=n == 11,
        )
        for fmt in ("CSV", "csv", "PDF")[: 1 + n % 3]:
            ResourceFactory(dataset=dataset, format=fmt)
    fields = ["organization", "groups", "tags", "res_format", "license_id", "jurisdiction"]
    license = Dataset.objects.get(name="c-01").licence.key

    def summary(**kwargs):
        result = search_datasets(user=ANON, facet_fields=fields, rows=5, start=2, **kwargs)
        return result.count, names(result), {f: facet_counts(result, f) for f in fields}

    fast = summary(q="indicadores salud")
    assert fast == summary(q="indicadores salud", fq="state:active")
    assert fast[0] == 7 and fast[2]["res_format"] == {"CSV": 7, "PDF": 3}
    assert fast[2]["groups"] == {"tema-0": 7, "tema-1": 3}
    # Facet selections: conditions on the keys, or (with fq) Django's own filters.
    for filters, expected in [
        ({"res_format": ["pdf"]}, 3),
        ({"res_format": ["csv", "PDF"], "organization": ["p1", "p2"]}, 7),
        ({"groups": ["tema-1"], "tags": ["e1", "e2"]}, 2),
        ({"tags": ["todos"], "license_id": [license], "jurisdiction": ["14"]}, 7),
        ({"organization": ["p0"]}, 0),
        ({"tags": ["no-existe"]}, 0),
        ({"res_format": ["ÇSV"]}, 0),
    ]:
        selected = summary(q="indicadores salud", filters=filters)
        assert selected[0] == expected, filters
        assert selected == summary(q="indicadores salud", filters=filters, fq="state:active")


def _keys(cursor) -> list[tuple]:
    if connection.vendor == "sqlite":
        cursor.execute(
            "SELECT dataset_id, public, publisher_id, licence_id, jurisdiction_id, formats,"
            " themes, tags FROM catalog_datasetsearchkeys ORDER BY 1"
        )
        return [(*row[:5], *(sorted(json.loads(v)) for v in row[5:])) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT rowid, public, publisher_id, licence_id, jurisdiction_id, formats, themes, tags"
        " FROM catalog_datasetsearch ORDER BY 1"
    )
    return [(*row[:5], *(sorted(v) for v in row[5:])) for row in cursor.fetchall()]


def test_the_migration_fills_the_same_facet_keys_as_the_index_writes():
    module = importlib.import_module("abierto.catalog.migrations.0006_search_facet_keys")
    theme = ThemeFactory()
    for n in range(3):
        dataset = DatasetFactory(tags=[f"x{n}", "y"], themes=[theme] if n else [], private=n == 2)
        ResourceFactory(dataset=dataset, format="csv")
        ResourceFactory(dataset=dataset, format="CSV")
        # Upper-cased as the database's UPPER() does it (SQLite: ASCII letters only).
        ResourceFactory(dataset=dataset, format="géoJSON")
    DatasetFactory(state=Dataset.State.DRAFT)
    search_datasets(user=ANON, q="x")  # writes what is pending
    with connection.cursor() as cursor:
        written = _keys(cursor)
        assert len(written) == 4 and [row[1] for row in written] == [True, True, False, False]
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM catalog_datasetsearchkeys")
            cursor.execute(module.SQLITE[1])
        else:
            cursor.execute(
                "UPDATE catalog_datasetsearch SET public = false, publisher_id = NULL,"
                " formats = '{}', themes = '{}', tags = '{}'"
            )
            cursor.execute(module.POSTGRESQL[1])
        assert _keys(cursor) == written
