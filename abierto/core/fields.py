"""Model fields shared by the apps."""

from __future__ import annotations

from django.db import models


class BulkJSONField(models.JSONField):
    """A JSONField that Django's PostgreSQL bulk insert binds row by row.

    Django 5.2 inserts a batch on PostgreSQL through UNNEST of one array per column. psycopg
    writes a jsonb[] array as text and escapes every quote of every document with a regular
    expression substitution: for large documents (OCDS releases) that was a quarter of an
    import's CPU (a million substitutions for 3,000 releases). A field
    with its own placeholder makes Django fall back to rows of VALUES, bound one value each.
    """

    def get_placeholder(self, value, compiler, connection) -> str:
        return "%s"

    def deconstruct(self):
        # Only how rows are inserted differs: migrations see a plain JSONField, so adopting
        # this field changes no table (on SQLite an AlterField would rebuild it).
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
