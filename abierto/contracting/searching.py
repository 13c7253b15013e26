"""The text the process search matches: one normalised line per record (`RecordText`).

A query matches a process when its normalised words all appear, in any order, in that line:
"limpieza hospital" finds «Servicio de limpieza del Hospital Civil». Normalising both sides
the same way (lowercase, accents stripped, spaces collapsed: `parties.plain_name`) makes
«educación» and «EDUCACION» equal on both databases without extensions.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from abierto.contracting.models import Record, RecordParty, RecordText
from abierto.contracting.parties import PartyRow, plain_name
from abierto.core.rows import insert

# Enough for any real title and description; bounds a row for an abusive publisher.
TEXT_LIMIT = 20_000
# SQLite only (migration 0006): FTS5 with the trigram tokenizer over RecordText.text, and
# its vocabulary (how many lines hold each trigram).
TRIGRAM_TABLE = "contracting_recordtext_trigram"
TRIGRAM_VOCABULARY = "contracting_recordtext_trigram_vocabulary"
WILDCARDS = frozenset("%_\\")
# The index pays when the words' rarest trigram is in at most this share of the lines: on
# 23,397 lines a page for a word in 4 % of them took 71 ms through it against 87 reading every
# line, a word in none 13-23 against 37-59; one in 18 % took 118 against 90, one in 30 % 188
# against 134 (bench/README.md).
RARE_SHARE = 0.10


def document(record: Record, parties: list[PartyRow]) -> str:
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


def save(records: list[Record], parties: dict[int, list[PartyRow]]) -> None:
    """Write the search line of each record (saved, with its id), one statement for all."""
    insert(
        RecordText,
        ("record", "text"),
        ((r.pk, document(r, parties.get(r.pk, []))) for r in records),
        unique=("record",),
        update=("text",),
    )


def _rare(words: list[str]) -> bool:
    """Whether every line holding all `words` is among few: the rarest of their trigrams is
    in at most RARE_SHARE of the lines (a trigram in none: nothing can match)."""
    trigrams = sorted({w[i : i + 3] for w in words for i in range(len(w) - 2)})
    marks = ", ".join(["%s"] * len(trigrams))
    lines = RecordText._meta.db_table
    sql = (
        f"SELECT count(*), min(doc), (SELECT count(*) FROM {lines}) "  # noqa: S608
        f"FROM {TRIGRAM_VOCABULARY} WHERE term IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, trigrams)
        known, fewest, total = cursor.fetchone()
    return known < len(trigrams) or fewest <= RARE_SHARE * total


def matching(query: str) -> QuerySet[RecordText]:
    """The ids of the records whose line holds every word of `query`.

    Each word is a `LIKE '%word%'`; PostgreSQL answers it from a pg_trgm index (migration
    0005). On SQLite the words of three letters or more ask the FTS5 trigram table of
    migration 0006 (the index needs three letters, and `%`, `_` would be wildcards there)."""
    words = plain_name(query).split()[:10]
    texts = RecordText.objects.all()
    indexed = []
    if connection.vendor == "sqlite":
        indexed = [w for w in words if len(w) >= 3 and not WILDCARDS.intersection(w)]
        if indexed and not _rare(indexed):
            indexed = []  # reading every line once is cheaper than checking most of them
    if indexed:
        # A constant table name and one placeholder per word: the words are parameters.
        conditions = " AND ".join(["text LIKE %s"] * len(indexed))
        ids = RawSQL(  # noqa: S611
            f"SELECT rowid FROM {TRIGRAM_TABLE} WHERE {conditions}",  # noqa: S608
            [f"%{word}%" for word in indexed],
        )
        texts = texts.filter(record_id__in=ids)
    for word in words:
        if word not in indexed:
            texts = texts.filter(text__contains=word)
    return texts.values("record_id")
