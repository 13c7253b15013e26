"""A trigram index on the process search's text, on PostgreSQL.

`q` matches every word anywhere in `RecordText.text` (`LIKE '%word%'`), which without an index
reads the whole table: fine at a state's scale, slow past a few hundred thousand processes.
pg_trgm's GIN index answers such LIKEs from the index (pg_trgm is a trusted extension: the
database's owner may create it). SQLite has no equivalent; there the short table is read.
"""

from django.db import migrations

INDEX = "contracting_recordtext_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON contracting_recordtext "
        "USING gin (text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("contracting", "0004_record_date_search_text_and_covering_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
