"""Releases → records, with the local 1.1.5 schema's merge rules (merging.py, ocdsmerge's
results) and the summary columns pages filter on."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from abierto.contracting import merging, parties, searching, standard, validation
from abierto.contracting.models import Publisher, Record, Release
from abierto.core import fast_json
from abierto.core.rows import insert


def _to_merge(rows: list[tuple[dict[str, Any], list[str] | None]]) -> list[dict[str, Any]]:
    """The releases a record is compiled from, out of all its stored (data, tags).

    A publisher that only sends compiled releases (e.g. the APF) gives us those; as soon as
    real releases of the process exist, they alone are merged.
    """
    proper = [data for data, tags in rows if "compiled" not in (tags or [])]
    return proper or [data for data, _ in rows]


def releases_to_merge(ocid: str) -> list[dict[str, Any]]:
    """The releases a record is compiled from, in date order."""
    return _to_merge(list(Release.objects.for_ocid(ocid).values_list("data", "tags")))


def _releases_by_ocid(ocids: list[str]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each process's releases to merge, for many processes in one query.

    Streamed in ocid order, so only one process's releases (and a fetch of 25 rows) are in
    memory at a time: releases can be large, and a batch's all at once would not be bounded.
    The documents come as text and orjson reads them (the JSON field's standard library took
    a tenth of a compilation).
    """
    rows = (
        Release.objects.filter(ocid__in=ocids)
        .order_by("ocid", "date", "id")
        .values_list("ocid", Cast("data", TextField()), Cast("tags", TextField()))
        .iterator(chunk_size=25)
    )
    loads = orjson.loads
    for ocid, group in groupby(rows, key=itemgetter(0)):
        yield ocid, _to_merge([(loads(data), loads(tags)) for _, data, tags in group])


def versioned_release(ocid: str) -> dict[str, Any]:
    """The versioned release of a process, built on demand (never stored: 20× the size)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return standard.merger().create_versioned_release(releases_to_merge(ocid))


def _summary(compiled: dict[str, Any]) -> dict[str, Any]:
    tender = compiled.get("tender") if isinstance(compiled.get("tender"), dict) else {}
    buyer = compiled.get("buyer") if isinstance(compiled.get("buyer"), dict) else {}
    buyer_name = buyer.get("name") or ""
    if not buyer_name:
        for party in compiled.get("parties") or []:
            if isinstance(party, dict) and "buyer" in (party.get("roles") or []):
                buyer_name = party.get("name") or ""
                break
    # The money of a process: its contracts, else its awards, else the tender estimate.
    amount, currency = None, ""
    for stage in ("contracts", "awards"):
        values = [
            item.get("value")
            for item in compiled.get(stage) or []
            if isinstance(item, dict) and isinstance(item.get("value"), dict)
        ]
        amounts = [parties.money(v.get("amount")) for v in values]
        currencies = {v.get("currency") for v in values}
        if values and None not in amounts and len(currencies) == 1:
            amount, currency = sum(amounts), str(next(iter(currencies)) or "")
            break
    if amount is None and isinstance(tender.get("value"), dict):
        amount = parties.money(tender["value"].get("amount"))
        currency = str(tender["value"].get("currency") or "") if amount is not None else ""
    year = None
    for candidate in (
        (tender.get("tenderPeriod") or {}).get("startDate")
        if isinstance(tender.get("tenderPeriod"), dict)
        else None,
        compiled.get("date"),
    ):
        if isinstance(candidate, str) and candidate[:4].isdigit():
            year = int(candidate[:4])
            break
    return {
        "buyer_name": str(buyer_name)[:500],
        "title": str(tender.get("title") or ""),
        "procurement_method": str(tender.get("procurementMethod") or "")[:40],
        "amount": amount,
        "currency": currency[:3],
        "year": year,
        "stage": parties.stage_of(compiled),
        "status": str(tender.get("status") or "")[:40],
        "date": str(compiled.get("date") or "")[:40],
    }


def _record(ocid: str, releases: list[dict[str, Any]], publisher: Publisher, now) -> Record:
    """The record of one process compiled from its releases (not saved)."""
    error = ""
    try:
        compiled, merge_warnings = merging.compiled_release(releases)
    except Exception as exc:  # noqa: BLE001 (bad publisher data must not stop an import)
        compiled, merge_warnings, error = {}, [], f"{type(exc).__name__}: {exc}"
    issues = [issue.as_dict() for issue in validation.process_issues(compiled)]
    issues += [
        {"type": "merge_warning", "severity": validation.WARNING, "path": "", "message": m}
        for m in merge_warnings[:10]
    ]
    return Record(
        ocid=ocid,
        publisher=publisher,
        compiled_release=compiled,
        release_count=len(releases),
        compile_error=error,
        issues=issues,
        updated_at=now,
        **_summary(compiled),
    )


# Everything a compilation writes: a record compiled again gets all of them anew.
COMPILED_FIELDS = (
    "publisher",
    "compiled_release",
    "release_count",
    "compile_error",
    "issues",
    "updated_at",
    "buyer_name",
    "title",
    "procurement_method",
    "amount",
    "currency",
    "year",
    "stage",
    "status",
    "date",
)


def compile_records(ocids: list[str], *, publisher: Publisher) -> list[Record]:
    """Compile a batch of processes and save their records and party index.

    One query reads the releases of all of them, one statement inserts or updates every
    record, two rebuild the party index and one the search text, whatever the batch's size.
    """
    now = timezone.now()
    records = [
        _record(ocid, releases, publisher, now) for ocid, releases in _releases_by_ocid(ocids)
    ]
    _upsert(records)
    searching.save(records, parties.rebuild(records))
    return records


def _upsert(records: list[Record]) -> None:
    """Insert or update the records in one statement, then read their ids.

    Plain rows with their JSON written by orjson: `bulk_create` prepared every value
    through its field and wrote the compiled releases with the standard library."""
    adapt = connection.ops.adapt_datetimefield_value

    def row(record: Record) -> tuple:
        # ocid, then COMPILED_FIELDS in their order.
        return (
            record.ocid,
            record.publisher_id,
            fast_json.text(record.compiled_release),
            record.release_count,
            record.compile_error,
            fast_json.text(record.issues),
            adapt(record.updated_at),
            record.buyer_name,
            record.title,
            record.procurement_method,
            record.amount,
            record.currency,
            record.year,
            record.stage,
            record.status,
            record.date,
        )

    insert(
        Record,
        ("ocid", *COMPILED_FIELDS),
        map(row, records),
        unique=("ocid",),
        update=COMPILED_FIELDS,
    )
    ids = dict(
        Record.objects.filter(ocid__in=[record.ocid for record in records]).values_list(
            "ocid", "pk"
        )
    )
    for record in records:
        record.pk = ids[record.ocid]
