"""Releases written in bulk read back exactly, on both databases."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.contracting.models import Release


def test_bulk_written_releases_read_back_exactly_and_without_unnest_arrays(cdmx):
    tricky = {
        "ocid": "ocds-87sd3t-1",
        "id": "1",
        "date": "2017-01-01T00:00:00Z",
        "tag": ["tender"],
        "tender": {
            "title": 'Adquisición de "papelería" \\ tóner {a,b} ñ \u2028',
            "items": [{"id": "1", "quantity": 2.5, "description": None}],
        },
    }
    rows = [
        Release(
            publisher=cdmx,
            ocid=tricky["ocid"],
            release_id=str(n),
            data={**tricky, "id": str(n)},
            sha256="x",
        )
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        Release.objects.bulk_create(rows)
    stored = list(Release.objects.order_by("release_id").values_list("data", flat=True))
    assert stored == [{**tricky, "id": str(n)} for n in range(3)]
    # Django's UNNEST path would send the documents as a jsonb[] text array, escaping each
    # quote with a regular expression: the import's biggest cost on PostgreSQL.
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert inserts and not any("UNNEST" in sql for sql in inserts)
