"""Per-dataset facet keys beside the full-text index, and an index for the default sort.

A search counts its facets from these keys in one pass over the matching rows, without
joining resources, tags or themes (see abierto/catalog/search.py, "Facet keys"):

- `public` (active and not private), `publisher_id`, `licence_id`, `jurisdiction_id` (the
  publisher's), `formats` (the distinct upper-case formats of its active resources),
  `themes` and `tags` (ids).
- SQLite: an ordinary table `catalog_datasetsearchkeys` keyed by the dataset id (an FTS5
  table takes no ordinary columns); lists as JSON arrays, read with json_each().
- PostgreSQL: columns of `catalog_datasetsearch` itself, beside the tsvector, so a text
  match reads one row per dataset; lists as arrays, read with unnest().

The keys of the datasets already indexed are filled in here, in SQL; search.py writes them
from then on, with the text. Django's state does not change: only search.py reads them.

The index on (metadata_modified DESC, id) serves the unfiltered catalog's default sort (the
most recently modified first, ties by id) without sorting every dataset.
"""

from django.db import migrations

SQLITE = [
    """
    CREATE TABLE catalog_datasetsearchkeys (
        dataset_id integer NOT NULL PRIMARY KEY,
        public bool NOT NULL,
        publisher_id integer NULL,
        licence_id integer NULL,
        jurisdiction_id integer NULL,
        formats text NOT NULL DEFAULT '[]',
        themes text NOT NULL DEFAULT '[]',
        tags text NOT NULL DEFAULT '[]'
    )
    """,
    """
    INSERT INTO catalog_datasetsearchkeys
    SELECT d.id, d.state = 'active' AND NOT d.private, d.publisher_id, d.licence_id,
        p.jurisdiction_id,
        COALESCE((SELECT json_group_array(x.f) FROM (
            SELECT DISTINCT UPPER(r.format) AS f FROM catalog_resource r
            WHERE r.dataset_id = d.id AND r.state = 'active' AND r.format > '' ORDER BY 1
        ) x), '[]'),
        COALESCE((SELECT json_group_array(x.theme_id) FROM catalog_dataset_themes x
            WHERE x.dataset_id = d.id), '[]'),
        COALESCE((SELECT json_group_array(x.tag_id) FROM catalog_dataset_tags x
            WHERE x.dataset_id = d.id), '[]')
    FROM catalog_datasetsearch s
    JOIN catalog_dataset d ON d.id = s.rowid
    LEFT JOIN catalog_publisher p ON p.id = d.publisher_id
    """,
]
SQLITE_DROP = ["DROP TABLE catalog_datasetsearchkeys"]

POSTGRESQL = [
    """
    ALTER TABLE catalog_datasetsearch
        ADD COLUMN public boolean NOT NULL DEFAULT false,
        ADD COLUMN publisher_id bigint NULL,
        ADD COLUMN licence_id bigint NULL,
        ADD COLUMN jurisdiction_id bigint NULL,
        ADD COLUMN formats text[] NOT NULL DEFAULT '{}',
        ADD COLUMN themes bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN tags bigint[] NOT NULL DEFAULT '{}'
    """,
    """
    UPDATE catalog_datasetsearch s
    SET public = d.state = 'active' AND NOT d.private,
        publisher_id = d.publisher_id,
        licence_id = d.licence_id,
        jurisdiction_id = p.jurisdiction_id,
        formats = ARRAY(
            SELECT DISTINCT UPPER(r.format) FROM catalog_resource r
            WHERE r.dataset_id = d.id AND r.state = 'active' AND r.format > '' ORDER BY 1
        ),
        themes = ARRAY(SELECT x.theme_id FROM catalog_dataset_themes x WHERE x.dataset_id = d.id),
        tags = ARRAY(SELECT x.tag_id FROM catalog_dataset_tags x WHERE x.dataset_id = d.id)
    FROM catalog_dataset d
    LEFT JOIN catalog_publisher p ON p.id = d.publisher_id
    WHERE d.id = s.rowid
    """,
]
POSTGRESQL_DROP = [
    "ALTER TABLE catalog_datasetsearch DROP COLUMN public, DROP COLUMN publisher_id,"
    " DROP COLUMN licence_id, DROP COLUMN jurisdiction_id, DROP COLUMN formats,"
    " DROP COLUMN themes, DROP COLUMN tags"
]

SORT_INDEX = "CREATE INDEX catalog_ds_modified_id ON catalog_dataset (metadata_modified DESC, id)"
SORT_INDEX_DROP = "DROP INDEX catalog_ds_modified_id"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError("The catalog's search index needs SQLite or PostgreSQL.")
    for statement in SQLITE if vendor == "sqlite" else POSTGRESQL:
        schema_editor.execute(statement)
    schema_editor.execute(SORT_INDEX)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(SORT_INDEX_DROP)
    for statement in SQLITE_DROP if vendor == "sqlite" else POSTGRESQL_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_harvest_deleted"),
    ]

    operations = [migrations.RunPython(create, drop)]
