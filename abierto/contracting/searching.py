"""The text the process search matches: one normalised line per record (`RecordText`).

A query matches a process when its normalised words all appear, in any order, in that line:
"limpieza hospital" finds «Servicio de limpieza del Hospital Civil». Normalising both sides
the same way (lowercase, accents stripped, spaces collapsed: `parties.plain_name`) makes
«educación» and «EDUCACION» equal on both databases without extensions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from abierto.contracting.models import Record, RecordParty, RecordText
from abierto.contracting.parties import plain_name
from abierto.core.rows import insert

# Enough for any real title and description; bounds a row for an abusive publisher.
TEXT_LIMIT = 20_000


def document(record: Record, parties: list[RecordParty]) -> str:
    """The searchable line of a record (its parties as `parties.party_rows` gives them)."""
    compiled = record.compiled_release or {}
    tender = compiled.get("tender") if isinstance(compiled.get("tender"), dict) else {}
    suppliers = [p.name for p in parties if p.role == RecordParty.Role.SUPPLIER]
    parts: list[Any] = [
        record.ocid,
        record.title,
        tender.get("description"),
        record.buyer_name,
        *suppliers,
    ]
    text = " ".join(str(part) for part in parts if isinstance(part, str) and part)
    return plain_name(text)[:TEXT_LIMIT]


def save(records: list[Record], parties: dict[int, list[RecordParty]]) -> None:
    """Write the search line of each record (saved, with its id), one statement for all."""
    insert(
        RecordText,
        ("record", "text"),
        ((r.pk, document(r, parties.get(r.pk, []))) for r in records),
        unique=("record",),
        update=("text",),
    )


def matching(query: str) -> QuerySet[RecordText]:
    """The ids of the records whose line holds every word of `query`."""
    texts = RecordText.objects.all()
    for word in plain_name(query).split()[:10]:
        texts = texts.filter(text__contains=word)
    return texts.values("record_id")
