"""The full-text index of datasets (see abierto/catalog/search.py for the design).

SQLite gets an FTS5 table keyed by rowid; PostgreSQL a table with a weighted
tsvector under a GIN index. Django's state sees one ordinary model, DatasetSearch.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE = """
CREATE VIRTUAL TABLE catalog_datasetsearch USING fts5(
    title, keywords, publisher, body, tokenize = 'unicode61 remove_diacritics 2'
)
"""
POSTGRESQL = [
    # Only the weighted tsvector is kept on PostgreSQL (search.py writes it from the stems);
    # the text columns stay empty, which keeps rows small and bitmap scans short.
    """
    CREATE TABLE catalog_datasetsearch (
        rowid bigint PRIMARY KEY,
        title text NOT NULL DEFAULT '',
        keywords text NOT NULL DEFAULT '',
        publisher text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        document tsvector NOT NULL
    )
    """,
    "CREATE INDEX catalog_datasetsearch_document ON catalog_datasetsearch USING gin (document)",
]
PG_INSERT = (
    "INSERT INTO catalog_datasetsearch (rowid, document) VALUES (%s,"
    " setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
    " || setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'D'))"
)
SQLITE_INSERT = (
    "INSERT INTO catalog_datasetsearch (rowid, title, keywords, publisher, body)"
    " VALUES (%s, %s, %s, %s, %s)"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError("The catalog's search index needs SQLite or PostgreSQL.")
    # Index what is already there (a database migrated from before the index existed), with
    # the historical models; later changes to what is indexed come with `reindex_catalog`.
    from abierto.catalog.search import stems

    def joined(texts):
        return " ".join(" ".join(stems(text)) for text in texts if text)

    Dataset = apps.get_model("catalog", "Dataset")
    datasets = (
        Dataset.objects.exclude(state="deleted")
        .select_related("publisher__jurisdiction", "spatial")
        .prefetch_related("tags", "themes", "resources")
    )
    rows = []
    for d in datasets.iterator(chunk_size=1000):
        resources = [r for r in d.resources.all() if r.state == "active"]
        rows.append(
            (
                d.pk,
                joined([d.title]),
                joined([t.name for t in d.tags.all()] + [t.title for t in d.themes.all()]),
                joined(
                    [
                        d.publisher.title,
                        d.publisher.name.replace("-", " "),
                        d.publisher.jurisdiction.name,
                    ]
                ),
                joined(
                    [
                        d.description,
                        d.name.replace("-", " "),
                        d.identifier,
                        d.spatial_text,
                        d.spatial.name if d.spatial else "",
                        *(f"{r.title} {r.description}" for r in resources),
                    ]
                ),
            )
        )
    if rows:
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(PG_INSERT if vendor == "postgresql" else SQLITE_INSERT, rows)


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE catalog_datasetsearch")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_licences"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create, drop)],
            state_operations=[
                migrations.CreateModel(
                    name="DatasetSearch",
                    fields=[
                        (
                            "dataset",
                            models.OneToOneField(
                                db_column="rowid",
                                db_constraint=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="search_entry",
                                serialize=False,
                                to="catalog.dataset",
                            ),
                        ),
                        ("title", models.TextField(blank=True)),
                        ("keywords", models.TextField(blank=True)),
                        ("publisher", models.TextField(blank=True)),
                        ("body", models.TextField(blank=True)),
                    ],
                    options={
                        "verbose_name": "índice de búsqueda",
                        "db_table": "catalog_datasetsearch",
                    },
                ),
            ],
        ),
    ]
