"""Releases written as plain rows (`core/rows.py`: COPY on PostgreSQL, executemany on SQLite)
read back through the ORM as they were given, and a failed write leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from abierto.contracting import importing
from abierto.contracting.models import Release
from abierto.core.rows import insert

# The columns the import writes, in its order (an import of its own is not needed here).
FIELDS = importing.RELEASE_FIELDS


def _row(publisher, release_id: str, data: str = '{"título": "Limpieza", "monto": 1.5}'):
    moment = dt.datetime(2017, 12, 31, 18, 30, tzinfo=dt.UTC)
    return (
        publisher.pk,
        None,
        "ocds-87sd3t-1",
        release_id,
        connection.ops.adapt_datetimefield_value(moment),
        '["tender"]',
        data,
        "0" * 64,
        "valid",
        "[]",
        connection.ops.adapt_datetimefield_value(moment),
    )


def test_plain_rows_read_back_as_the_orm_reads_them(cdmx):
    other = '{"a": null, "b": [1, "ñ"], "buyer": {"name": "Secretaría"}}'
    insert(Release, FIELDS, [_row(cdmx, "1"), _row(cdmx, "2", other)])
    first, second = Release.objects.order_by("release_id")
    assert first.data == {"título": "Limpieza", "monto": 1.5}
    assert second.data == {"a": None, "b": [1, "ñ"], "buyer": {"name": "Secretaría"}}
    assert first.tags == ["tender"]
    assert first.date == dt.datetime(2017, 12, 31, 18, 30, tzinfo=dt.UTC)
    # JSON is stored as UTF-8 text: lookups by value read it (OCDS keys are all ASCII).
    assert Release.objects.filter(date__year=2017, data__buyer__name="Secretaría").count() == 1


def test_a_row_twice_is_an_integrity_error_and_nothing_is_written(cdmx):
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(Release, FIELDS, [_row(cdmx, "1"), _row(cdmx, "2"), _row(cdmx, "1")])
    assert not Release.objects.exists()
