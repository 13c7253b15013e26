"""Searching the catalog: Spanish-aware, accent-free relevance that explains itself, and facets.

Why this design. Text is normalised once, in Python, the same way for the index and for the
query: lowercase, accents stripped (unicodedata), Spanish stop words dropped, then Snowball's
Spanish stemmer ("Hospitales" and "hospital" → "hospital", "Educación" and "educacion" →
"educ"). Because the database only ever sees those stems, both databases agree on what
matches, neither needs a Spanish dictionary or the `unaccent` extension installed, and the
"why it matched" explanations can be computed in Python with the very same function.

The stems go into four weighted columns of the `catalog_datasetsearch` table (migration
0003, model `DatasetSearch`): title (weight 10), keywords = tags and themes (5), publisher
and its jurisdiction (3), and body = description, slug, identifier, coverage and resources
(1). CKAN's Solr weights `name^4 title^4 tags^2 groups^2 text` and ignores publishers; here a
title match outranks a keyword match, which outranks a publisher or description match.

- SQLite: an FTS5 table keyed by the dataset's id (its rowid), ranked with `bm25()` and the
  column weights above.
- PostgreSQL: a table whose `document` column is the weighted tsvector (`'simple'`
  configuration over the pre-stemmed text: A title, B keywords, C publisher, D body) under a
  GIN index, ranked with `ts_rank_cd` (weights 1.0 / 0.5 / 0.3 / 0.1). Only the tsvector is
  stored there; the text columns stay empty, which keeps rows small and scans short.

The index is kept current by signals (a dataset, its tags, themes, resources, its publisher
or a theme changing): the ids are collected during a transaction and re-indexed once when it
commits, or before the next search in the same transaction. Bulk loads that bypass signals
call :func:`reindex` (or `manage.py reindex_catalog`).

Beside the text, each index row keeps the dataset's facet keys (migration 0006: public or
not, publisher, licence, jurisdiction, formats, theme and tag ids). One statement returns a
search's count, every facet and, in the default order of a text search, the page of results:
one pass over the matching rows, without joins to resources, tags or themes (see "Facet
keys" below), so a search costs the same few queries however many datasets match. The count
and facets of an unfiltered search (no q, fq or facet selection: the whole catalog, the
costliest and most requested) are cached under the catalog's content version (see
_cached_count_and_facets).

Facet and filter fields: organization (publisher `name`), groups (theme `name`), tags (tag
name), res_format (resource format, upper case), license_id (licence key) and jurisdiction:
the INEGI code of the publisher's jurisdiction ("14" is Jalisco, "14039" Guadalajara) — the
code rather than the slug because it is what the Mexican implementation guide and the DCAT
spatial coverage use, and it never changes when a name is respelled.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import string
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import snowballstemmer
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Expression,
    F,
    FloatField,
    Q,
    QuerySet,
)
from django.db.models.functions import Lower
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from abierto.catalog import rules, solr
from abierto.catalog.models import (
    Dataset,
    DatasetSearch,
    Licence,
    Publisher,
    Resource,
    Tag,
    Theme,
)
from abierto.catalog.solr import SearchQueryError
from abierto.core.models import Jurisdiction
from abierto.core.pagecache import content_version

__all__ = [
    "FACET_FIELDS",
    "FacetItem",
    "SearchQueryError",
    "SearchResult",
    "TextQuery",
    "index_datasets",
    "parse_sort",
    "reindex",
    "search_datasets",
    "stems",
]

TABLE = DatasetSearch._meta.db_table
# SQLite only: the facet keys beside the FTS5 table (on PostgreSQL they are columns of TABLE).
KEYS_TABLE = "catalog_datasetsearchkeys"
COLUMNS = ("title", "keywords", "publisher", "body")
# SQLite bm25 weights per column, in COLUMNS order; PostgreSQL's equivalent is PG_WEIGHTS.
BM25_WEIGHTS = (10.0, 5.0, 3.0, 1.0)
PG_WEIGHTS = "{0.1, 0.3, 0.5, 1.0}"  # D, C, B, A as ts_rank_cd expects them
PG_LABELS = {"title": "A", "keywords": "B", "publisher": "C", "body": "D"}
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id", "jurisdiction")
DEFAULT_SORT_WITH_QUERY = "score desc, metadata_modified desc"
DEFAULT_SORT = "metadata_modified desc"
MAX_ROWS = 1000
FACET_CACHE_PREFIX = "abierto:catalog:facets:v1:"
FACET_CACHE_SECONDS = 3600

# Common Spanish function words: they carry no meaning for a search and would make an
# all-words query ("camas de hospital") fail on the "de". Accent-free, like the text.
STOPWORDS = frozenset(
    """a al ante bajo con contra de del desde durante e el en entre hacia hasta la las le les
    lo los mediante o os para pero por que se segun sin sobre su sus tras u un una unas unos
    y ya es son fue como mas este esta estos estas ese esa esos esas the of and""".split()  # noqa: SIM905
)


# --- Normalisation -------------------------------------------------------------------------

_stemmers = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    # Snowball stemmers keep state while stemming: one per thread.
    if not hasattr(_stemmers, "spanish"):
        _stemmers.spanish = snowballstemmer.stemmer("spanish")
    return _stemmers.spanish


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """The lowercase, accent-free words of `text` ("Niños, 2024" → ["ninos", "2024"])."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", plain)


def stems(text: str) -> list[str]:
    """The search stems of `text`: words without stop words, Spanish-stemmed."""
    return [_stem(word) for word in words(text) if word not in STOPWORDS]


def _joined(texts: Iterable[str]) -> str:
    return " ".join(" ".join(stems(text)) for text in texts if text)


def document(dataset: Dataset) -> tuple[str, str, str, str]:
    """The four indexed columns of a dataset (its tags, themes, resources prefetched)."""
    publisher = dataset.publisher
    resources = [r for r in dataset.resources.all() if r.state == Dataset.State.ACTIVE]
    return (
        _joined([dataset.title]),
        _joined([tag.name for tag in dataset.tags.all()] + [t.title for t in dataset.themes.all()]),
        _joined([publisher.title, publisher.name.replace("-", " "), publisher.jurisdiction.name]),
        _joined(
            [
                dataset.description,
                dataset.name.replace("-", " "),
                dataset.identifier,
                dataset.spatial_text,
                dataset.spatial.name if dataset.spatial else "",
                *(f"{r.title} {r.description}" for r in resources),
            ]
        ),
    )


# --- Index maintenance ---------------------------------------------------------------------


# Bumped whenever this process writes index rows, i.e. after any catalog change seen by the
# signals below: part of the cached-facets key, so that writes which leave no audit entry
# (fixtures, a shell) still invalidate this process's cached facets at once.
_generation = itertools.count(1)
_current_generation = 0


def _bump_generation() -> None:
    global _current_generation
    _current_generation = next(_generation)


def index_datasets(ids: Iterable[int]) -> None:
    """Write (or drop, for deleted or missing datasets) the index rows of these datasets."""
    _bump_generation()
    ids = sorted(set(ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        datasets = (
            Dataset.objects.filter(pk__in=chunk)
            .exclude(state=Dataset.State.DELETED)
            .select_related("publisher__jurisdiction", "spatial")
            .prefetch_related("tags", "themes", "resources")
        )
        datasets = list(datasets)
        with transaction.atomic(), connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({marks})", chunk)  # noqa: S608
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"DELETE FROM {KEYS_TABLE} WHERE dataset_id IN ({marks})",  # noqa: S608
                    chunk,
                )
            _insert(cursor, datasets)


_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def facet_keys(dataset: Dataset) -> tuple:
    """A dataset's facet keys (its tags, themes, resources prefetched): see "Facet keys".

    Formats are upper-cased as the database's UPPER() does it, as the facet always showed
    them: here for SQLite (ASCII letters only), in the INSERT for PostgreSQL (its locale's).
    """
    formats = {
        r.format if connection.vendor == "postgresql" else r.format.translate(_ASCII_UPPER)
        for r in dataset.resources.all()
        if r.state == Dataset.State.ACTIVE
    }
    return (
        # Dataset.objects.public(): active and not private.
        dataset.state == Dataset.State.ACTIVE and not dataset.private,
        dataset.publisher_id,
        dataset.licence_id,
        dataset.publisher.jurisdiction_id if dataset.publisher_id else None,
        sorted(f for f in formats if f),
        sorted(theme.pk for theme in dataset.themes.all()),
        sorted(tag.pk for tag in dataset.tags.all()),
    )


def _insert(cursor, datasets: list[Dataset]) -> None:
    """Write the index rows (text and facet keys) of these datasets, prefetched as above."""
    if not datasets:
        return
    if connection.vendor == "postgresql":
        # Only the weighted tsvector is stored (see migration 0003): small rows, short scans;
        # the facet keys sit beside it (migration 0006).
        weighted = " || ".join(
            f"setweight(to_tsvector('simple', %s), '{label}')" for label in PG_LABELS.values()
        )
        sql = (
            f"INSERT INTO {TABLE} (rowid, document, public, publisher_id, licence_id,"  # noqa: S608
            f" jurisdiction_id, formats, themes, tags) VALUES (%s, {weighted},"
            " %s, %s, %s, %s, ARRAY(SELECT DISTINCT UPPER(f) FROM unnest(%s::text[]) f ORDER BY 1),"
            " %s::bigint[], %s::bigint[])"
        )
        cursor.executemany(sql, [(d.pk, *document(d), *facet_keys(d)) for d in datasets])
        return
    sql = f"INSERT INTO {TABLE} (rowid, title, keywords, publisher, body)"  # noqa: S608
    sql += " VALUES (%s, %s, %s, %s, %s)"
    cursor.executemany(sql, [(d.pk, *document(d)) for d in datasets])
    keys = []
    for dataset in datasets:
        public, publisher, licence, jurisdiction, formats, themes, tags = facet_keys(dataset)
        keys.append(
            (
                dataset.pk,
                public,
                publisher,
                licence,
                jurisdiction,
                json.dumps(formats),
                json.dumps(themes),
                json.dumps(tags),
            )
        )
    cursor.executemany(
        f"INSERT INTO {KEYS_TABLE} (dataset_id, public, publisher_id, licence_id,"  # noqa: S608
        " jurisdiction_id, formats, themes, tags) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        keys,
    )


def reindex(batch_size: int = 1000) -> int:
    """Rebuild the whole index (after bulk loads that bypass signals); returns rows written."""
    written = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
            if connection.vendor == "sqlite":
                cursor.execute(f"DELETE FROM {KEYS_TABLE}")  # noqa: S608
        ids = list(
            Dataset.objects.exclude(state=Dataset.State.DELETED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            datasets = (
                Dataset.objects.filter(pk__in=chunk)
                .select_related("publisher__jurisdiction", "spatial")
                .prefetch_related("tags", "themes", "resources")
            )
            datasets = list(datasets)
            with connection.cursor() as cursor:
                _insert(cursor, datasets)
            written += len(datasets)
    _pending().clear()
    _bump_generation()
    return written


_local = threading.local()


def _pending() -> set[int]:
    if not hasattr(_local, "ids"):
        _local.ids = set()
    return _local.ids


def mark_for_reindex(ids: Iterable[int]) -> None:
    """Re-index these datasets when the current transaction commits (now, outside one)."""
    pending = _pending()
    pending.update(pk for pk in ids if pk is not None)
    if not pending:
        return
    if connection.in_atomic_block:
        # robust: a failure to index must not fail a write that has committed; the next
        # search (or reindex_catalog) catches up.
        transaction.on_commit(flush_pending, robust=True)
    else:
        flush_pending()


def flush_pending() -> None:
    """Re-index what changed in this thread and is not yet in the index."""
    pending = _pending()
    if pending:
        ids = list(pending)
        pending.clear()
        index_datasets(ids)


@receiver(post_save, sender=Dataset, dispatch_uid="catalog_search_dataset")
def _dataset_saved(sender, instance: Dataset, raw: bool = False, **kwargs) -> None:
    if not raw:
        mark_for_reindex([instance.pk])


@receiver(m2m_changed, sender=Dataset.tags.through, dispatch_uid="catalog_search_tags")
@receiver(m2m_changed, sender=Dataset.themes.through, dispatch_uid="catalog_search_themes")
def _labels_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        mark_for_reindex([instance.pk])
    elif pk_set:
        mark_for_reindex(pk_set)


@receiver(post_save, sender=Resource, dispatch_uid="catalog_search_resource_saved")
@receiver(post_delete, sender=Resource, dispatch_uid="catalog_search_resource_deleted")
def _resource_changed(sender, instance: Resource, raw: bool = False, **kwargs) -> None:
    if not raw:
        mark_for_reindex([instance.dataset_id])


@receiver(post_save, sender=Publisher, dispatch_uid="catalog_search_publisher")
def _publisher_saved(sender, instance: Publisher, created: bool, raw: bool = False, **kw) -> None:
    if not created and not raw:
        mark_for_reindex(instance.datasets.values_list("pk", flat=True))


@receiver(post_save, sender=Theme, dispatch_uid="catalog_search_theme")
@receiver(post_save, sender=Tag, dispatch_uid="catalog_search_tag")
def _label_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created and not raw:
        mark_for_reindex(instance.datasets.values_list("pk", flat=True))


# --- Free-text queries ---------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """A word or a phrase as typed (`label`) and its stems, which must appear side by side."""

    label: str
    stems: tuple[str, ...]


@dataclass(frozen=True)
class TextQuery:
    """All groups must match; within a group any alternative; no excluded one may match."""

    groups: tuple[tuple[Alternative, ...], ...] = ()
    excluded: tuple[Alternative, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TextQuery:
        """Words and "quoted phrases"; `OR` between two of them; `-word` or `NOT word` out."""
        groups: list[list[Alternative]] = []
        excluded: list[Alternative] = []
        join_next = negate_next = False
        for match in re.finditer(r'(-?)"([^"]*)"?|(\S+)', text or ""):
            minus, phrase, word = match.groups()
            if word in ("OR", "||"):
                join_next = bool(groups)
                continue
            if word in ("AND", "&&", "+"):
                continue
            if word in ("NOT", "!"):
                negate_next = True
                continue
            raw = phrase if phrase is not None else word
            if word is not None and word.startswith("-") and len(word) > 1:
                minus, raw = "-", word[1:]
            elif word is not None and word.startswith("+"):
                raw = word[1:]
            found = tuple(stems(raw))
            negate, negate_next = bool(minus) or negate_next, False
            if not found:
                join_next = False
                continue
            alternative = Alternative(label=raw.strip(), stems=found)
            if negate:
                excluded.append(alternative)
            elif join_next:
                groups[-1].append(alternative)
            else:
                groups.append([alternative])
            join_next = False
        return cls(tuple(tuple(g) for g in groups), tuple(excluded))

    def __bool__(self) -> bool:
        return bool(self.groups or self.excluded)

    @property
    def positives(self) -> list[Alternative]:
        return [alternative for group in self.groups for alternative in group]

    def fts5(self, column: str | None = None, *, positive: bool = True) -> str:
        """The FTS5 MATCH expression (stems are [a-z0-9] only, so quoting them is safe)."""

        def phrase(alternative: Alternative) -> str:
            text = '"' + " ".join(alternative.stems) + '"'
            return f"{column} : {text}" if column else text

        if not positive:
            return " OR ".join(phrase(a) for a in self.excluded)
        expression = " AND ".join(
            "(" + " OR ".join(phrase(a) for a in group) + ")" for group in self.groups
        )
        if self.excluded:
            expression = f"({expression}) NOT ({self.fts5(column, positive=False)})"
        return expression

    def tsquery(self, column: str | None = None, *, positive: bool = True) -> str:
        """The PostgreSQL to_tsquery expression; a column restricts by its weight label."""
        suffix = f":{PG_LABELS[column]}" if column else ""

        def phrase(alternative: Alternative) -> str:
            return "(" + " <-> ".join(stem + suffix for stem in alternative.stems) + ")"

        if not positive:
            return " | ".join(phrase(a) for a in self.excluded)
        expression = " & ".join(
            "(" + " | ".join(phrase(a) for a in group) + ")" for group in self.groups
        )
        if self.excluded:
            expression = f"({expression}) & !({self.tsquery(column, positive=False)})"
        return expression


class _IndexExpression(Expression):
    """Base of the full-text expressions: `ref` is any column of the search table, joined."""

    def __init__(self, ref, query: TextQuery, column: str | None = None, positive: bool = True):
        super().__init__()
        self.ref, self.query, self.column, self.positive = ref, query, column, positive

    def get_source_expressions(self) -> list:
        return [self.ref]

    def set_source_expressions(self, exprs) -> None:
        (self.ref,) = exprs

    def _alias(self, compiler) -> str:
        return compiler.quote_name_unless_alias(self.ref.alias)

    def _match_sql(self, compiler, connection) -> tuple[str, list]:
        if connection.vendor == "sqlite":
            # FTS5's hidden column named like the table is what MATCH and bm25() take.
            hidden = f"{self._alias(compiler)}.{connection.ops.quote_name(TABLE)}"
            return hidden, [self.query.fts5(self.column, positive=self.positive)]
        if connection.vendor == "postgresql":
            return (
                f"{self._alias(compiler)}.document",
                [self.query.tsquery(self.column, positive=self.positive)],
            )
        raise NotImplementedError("Catalog search needs SQLite (FTS5) or PostgreSQL.")


class Matches(_IndexExpression):
    """True for index rows whose text matches the query."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler, connection):
        target, params = self._match_sql(compiler, connection)
        if connection.vendor == "sqlite":
            return f"{target} MATCH %s", params
        return f"{target} @@ to_tsquery('simple', %s)", params


class Rank(_IndexExpression):
    """How well an index row matches (higher is better); only valid alongside Matches."""

    output_field = FloatField()

    def as_sql(self, compiler, connection):
        target, params = self._match_sql(compiler, connection)
        if connection.vendor == "sqlite":
            weights = ", ".join(str(w) for w in BM25_WEIGHTS)
            # bm25 is lower-is-better; negate it so both databases sort "score desc".
            return f"(-bm25({target}, {weights}))", []
        return f"ts_rank_cd('{PG_WEIGHTS}', {target}, to_tsquery('simple', %s))", params


def text_filter(value: str, column: str | None = None) -> Q:
    """A Q for datasets whose indexed text (or one column of it) matches `value`."""
    query = TextQuery.parse(value)
    if not query.groups:
        return Q() if not query.excluded else ~Q(pk__in=_matching_ids(query, column, False))
    return Q(pk__in=_matching_ids(query, column, True))


def _matching_ids(query: TextQuery, column: str | None, positive: bool) -> QuerySet:
    return DatasetSearch.objects.filter(Matches(F("title"), query, column, positive)).values(
        "dataset_id"
    )


# --- Sorting -------------------------------------------------------------------------------

SORT_FIELDS = {
    "score": None,
    "metadata_modified": F("metadata_modified"),
    "metadata_created": F("created_at"),
    "name": F("name"),
    "title_string": Lower("title"),
    "id": F("uuid"),
}


def parse_sort(sort: str, *, ranked: bool) -> tuple[str, list]:
    """The normalised sort string and its order_by() expressions, ending with the id.

    Accepts Solr's `field dir, field dir`; direction defaults to asc. Without a text query
    `score` orders nothing (every score is equal), as in Solr.
    """
    text = (sort or "").strip() or (DEFAULT_SORT_WITH_QUERY if ranked else DEFAULT_SORT)
    order: list = []
    parts = []
    for clause in text.split(","):
        tokens = clause.split()
        if not tokens:
            raise SearchQueryError(_("Orden vacío en «%s»") % text)
        if len(tokens) > 2 or tokens[0] not in SORT_FIELDS:
            raise SearchQueryError(
                _("No se puede ordenar por «%(clause)s»; campos: %(fields)s (asc o desc)")
                % {"clause": clause.strip(), "fields": ", ".join(SORT_FIELDS)}
            )
        name = tokens[0]
        direction = tokens[1].lower() if len(tokens) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise SearchQueryError(
                _("Dirección de orden «%s» no válida: use asc o desc") % tokens[1]
            )
        parts.append(f"{name} {direction}")
        if name == "score":
            if ranked:
                order.append(F("score").desc() if direction == "desc" else F("score").asc())
            continue
        expression = SORT_FIELDS[name]
        order.append(expression.desc() if direction == "desc" else expression.asc())
    # The final, stable tiebreak: pages never repeat or skip a dataset among equals.
    order.append(F("pk").asc())
    return ", ".join(parts), order


# --- Search --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetItem:
    name: str
    display_name: str
    count: int


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[FacetItem]] = field(default_factory=dict)
    # dataset pk -> why it matched, in Spanish («"salud" en el título»)
    explanations: dict[int, list[str]] = field(default_factory=dict)
    sort: str = ""


def _values(values: str | Sequence[str]) -> list[str]:
    return [v for v in ([values] if isinstance(values, str) else values) if v != ""]


def filter_q(filters: dict[str, list[str]] | None) -> Q:
    """Facet selections: every field must match (AND), any of a field's values (OR)."""
    q = Q()
    for name, values in (filters or {}).items():
        if name not in FACET_FIELDS:
            raise SearchQueryError(
                _("No se puede filtrar por «%(field)s»; campos: %(fields)s")
                % {"field": name, "fields": ", ".join(FACET_FIELDS)}
            )
        values = _values(values)
        if not values:
            continue
        either = Q(pk__in=[])
        for value in values:
            either |= solr.exact_q(name, value)
        q &= either
    return q


def search_datasets(
    *,
    user,
    q: str = "",
    fq: str = "",
    filters: dict[str, list[str]] | None = None,
    sort: str = "",
    start: int = 0,
    rows: int = 10,
    facet_fields: Sequence[str] = (),
    facet_limit: int = 50,
    facet_mincount: int = 1,
) -> SearchResult:
    """The datasets `user` may see that match the query, one page of them, with facets.

    `q` is free text (words, "phrases", OR, -word) or, when it holds `field:value` clauses,
    Solr syntax like `fq`. Raises SearchQueryError for a malformed query, filter or sort.
    """
    flush_pending()
    unknown = [name for name in facet_fields if name not in FACET_FIELDS]
    if unknown:
        raise SearchQueryError(
            _("No hay facetas para «%(fields)s»; se admiten: %(all)s")
            % {"fields": ", ".join(unknown), "all": ", ".join(FACET_FIELDS)}
        )
    start, rows = max(int(start), 0), min(max(int(rows), 0), MAX_ROWS)
    matched = rules.visible_datasets(user)
    text_query = TextQuery()
    q = (q or "").strip()
    if q in ("*:*", "*"):
        q = ""
    if q and solr.has_field_clause(q):
        matched = matched.filter(solr.parse(q, text_filter=text_filter))
    elif q:
        text_query = TextQuery.parse(q)
    if fq and fq.strip():
        matched = matched.filter(solr.parse(fq, text_filter=text_filter))
    matched = matched.filter(filter_q(filters))
    ranked = bool(text_query.groups)
    solr_syntax = bool(q and solr.has_field_clause(q)) or bool(fq and fq.strip())
    filtered = solr_syntax or any(_values(v) for v in (filters or {}).values())
    if ranked:
        ref = F("search_entry__title")
        matched = matched.filter(search_entry__isnull=False).filter(Matches(ref, text_query))
    elif text_query.excluded:
        matched = matched.filter(text_filter(q))
    sort_text, order = parse_sort(sort, ranked=ranked)
    # The default order of a text search is computed with the count and facets, from the
    # score they need anyway; any other order is one more indexed query below.
    page_in_statement = ranked and sort_text == DEFAULT_SORT_WITH_QUERY and rows > 0

    if not q and not filtered:
        # The whole visible catalog: the most requested and the costliest count (every
        # dataset, every resource), and the same answer until the catalog changes.
        count, facets = _cached_count_and_facets(
            user, matched, facet_fields, limit=facet_limit, mincount=facet_mincount
        )
        ids = None
    else:
        selected = _key_filters(filters) if ranked and not solr_syntax else None
        if selected is not None and _sees_only_public(user):
            source = _text_source(text_query, scored=page_in_statement, selected=selected)
        else:
            source = _queryset_source(matched, text_query if page_in_statement else None)
        count, facets, ids = _count_and_facets(
            source,
            facet_fields,
            limit=facet_limit,
            mincount=facet_mincount,
            page=(start, rows) if page_in_statement else None,
        )
    datasets: list[Dataset] = []
    if ids is None and rows and start < count:
        page = matched
        if ranked:
            page = page.alias(score=Rank(F("search_entry__title"), text_query))
        ids = list(page.order_by(*order).values_list("pk", flat=True)[start : start + rows])
    if ids:
        loaded = Dataset.objects.with_listing().in_bulk(ids)
        datasets = [loaded[pk] for pk in ids if pk in loaded]
    explanations = {d.pk: explain(d, text_query) for d in datasets} if ranked else {}
    return SearchResult(
        count=count, datasets=datasets, facets=facets, explanations=explanations, sort=sort_text
    )


def _sees_only_public(user) -> bool:
    """Whether `user` sees exactly the public datasets (rules.visible_datasets): anonymous
    visitors and people who may write no publisher's datasets."""
    if not user.is_authenticated or not user.is_active:
        return True
    return not rules.publishers_of(user).exists()


def _cached_count_and_facets(
    user, matched: QuerySet, fields: Sequence[str], *, limit: int, mincount: int
) -> tuple[int, dict[str, list[FacetItem]]]:
    """`_count_and_facets` of an unfiltered search, from the cache while the catalog stands.

    Exact, not merely fresh: every catalog write goes through services.py (the web forms,
    the API, harvests, the platform feeds), which appends an audit entry in the same
    transaction, so the newest entry's id (the version the page cache also trusts) moves
    when the catalog does. The index generation adds this process's own writes that leave no
    entry (fixtures, a shell); such writes in another process are not seen until the next
    audited change or the timeout. What the user may see is part of the key: anonymous
    visitors share one entry, people with publishers one per set of publishers.
    """
    scope = "public"
    if user.is_authenticated and user.is_active:
        if rules.is_data_team(user):
            scope = "team"
        else:
            ids = sorted(rules.publishers_of(user).values_list("pk", flat=True))
            scope = "p:" + ",".join(map(str, ids))
    raw = "|".join(
        [
            str(content_version()),
            str(_current_generation),
            scope,
            ",".join(fields),
            str(limit),
            str(mincount),
        ]
    )
    key = FACET_CACHE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        count, facets, _ids = _count_and_facets(
            _queryset_source(matched, None), fields, limit=limit, mincount=mincount
        )
        cached = (count, facets)
        cache.set(key, cached, FACET_CACHE_SECONDS)
    return cached


# --- Facet keys ----------------------------------------------------------------------------
#
# Beside each dataset's indexed text the index keeps its facet keys (migration 0006, written
# by _insert with the text): whether it is public, its publisher, licence and jurisdiction
# ids, its resources' formats and its theme and tag ids. A search evaluates the matching set
# once, as the common table expression `m` of (i dataset, p publisher, l licence,
# j jurisdiction, fo formats, th themes, tg tags, s score), and one statement returns the
# count, every facet (one UNION ALL branch each: a GROUP BY over `m`, the lists unnested with
# json_each on SQLite and unnest on PostgreSQL, no join but to name the top groups) and, for
# the default order of a text search, the page of results. So a search is the same few
# queries however many datasets match, and its cost is one pass over the matching rows.
#
# Where `m` comes from (the "source"):
# - a text search by someone who sees only public datasets, without fq or Solr syntax (the
#   common case): the index alone, text match, `public` key and the facet selections as
#   conditions on the keys (_key_filters); no read of the datasets table;
# - otherwise: the visible, filtered Dataset queryset (visibility, fq, facet selections as
#   Django builds them), its facet keys joined from the index by dataset id.
#
# A dataset left out of the index by a bulk load that bypassed the signals (until
# `reindex_catalog`) is counted by the second kind but adds nothing to its facets.


@dataclass(frozen=True)
class _Source:
    sql: str
    params: list


def _keys_table() -> tuple[str, str]:
    """The table holding the facet keys and its dataset id column, on this database."""
    if connection.vendor == "sqlite":
        return KEYS_TABLE, "dataset_id"
    return TABLE, "rowid"


def _key_filters(filters: dict[str, list[str]] | None) -> tuple[str, list] | None:
    """The facet selections (filter_q's) as conditions on the facet keys `k`, ANDed: "" for
    none; None when one cannot be put so exactly (a format that is not ASCII: the database's
    case-insensitive match and its UPPER() need not agree beyond ASCII)."""
    quote = connection.ops.quote_name
    conditions: list[str] = []
    params: list = []
    for name, raw in (filters or {}).items():
        values = _values(raw)
        if not values:
            continue
        column, table, field_name = _KEY_LOOKUPS[name]
        marks = ", ".join(["%s"] * len(values))
        if table is None:  # res_format: the keys hold the formats upper-cased
            if not all(value.isascii() for value in values):
                return None
            values = [value.translate(_ASCII_UPPER) for value in values]
            found = marks
        else:
            found = (
                f"SELECT x.id FROM {quote(table._meta.db_table)} x"  # noqa: S608
                f" WHERE x.{quote(field_name)} IN ({marks})"
            )
        if column not in ("formats", "themes", "tags"):
            conditions.append(f"k.{column} IN ({found})")
        elif connection.vendor == "sqlite":
            conditions.append(
                f"EXISTS (SELECT 1 FROM json_each(k.{column}) e WHERE e.value IN ({found}))"  # noqa: S608
            )
        elif table is None:
            conditions.append(f"k.{column} && ARRAY[{found}]::text[]")
        else:
            conditions.append(f"k.{column} && ARRAY({found})::bigint[]")
        params += values
    return "".join(f" AND {condition}" for condition in conditions), params


# Facet field -> (its key column, the table naming the key, the name's column); None for
# res_format, whose keys are the formats themselves.
_KEY_LOOKUPS = {
    "organization": ("publisher_id", Publisher, "name"),
    "license_id": ("licence_id", Licence, "key"),
    "jurisdiction": ("jurisdiction_id", Jurisdiction, "inegi_code"),
    "groups": ("themes", Theme, "name"),
    "tags": ("tags", Tag, "name"),
    "res_format": ("formats", None, None),
}


def _text_source(query: TextQuery, *, scored: bool, selected: tuple[str, list]) -> _Source:
    """`m` straight from the index: public datasets whose text matches `query`, and whose
    facet keys meet `selected` (conditions and their parameters, from _key_filters)."""
    match = query.fts5() if connection.vendor == "sqlite" else query.tsquery()
    keys = "k.publisher_id AS p, k.licence_id AS l, k.jurisdiction_id AS j,"
    keys += " k.formats AS fo, k.themes AS th, k.tags AS tg"
    if connection.vendor == "sqlite":
        hidden = f"t.{connection.ops.quote_name(TABLE)}"
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        score = f"(-bm25({hidden}, {weights}))" if scored else "NULL"
        sql = (
            f"SELECT k.dataset_id AS i, {keys}, {score} AS s"  # noqa: S608
            f" FROM {TABLE} t JOIN {KEYS_TABLE} k ON k.dataset_id = t.rowid"
            f" WHERE {hidden} MATCH %s AND k.public{selected[0]}"
        )
        return _Source(sql, [match, *selected[1]])
    score = "NULL"
    params = []
    if scored:
        score = f"ts_rank_cd('{PG_WEIGHTS}', k.document, to_tsquery('simple', %s))"
        params.append(match)
    sql = (
        f"SELECT k.rowid AS i, {keys}, {score} AS s FROM {TABLE} k"  # noqa: S608
        f" WHERE k.document @@ to_tsquery('simple', %s) AND k.public{selected[0]}"
    )
    return _Source(sql, [*params, match, *selected[1]])


def _queryset_source(matched: QuerySet, scored: TextQuery | None) -> _Source | None:
    """`m` from a Dataset queryset (None when it can match nothing), with its facet keys."""
    values = {"i": F("pk"), "p": F("publisher_id"), "l": F("licence_id")}
    if scored is not None:
        values["s"] = Rank(F("search_entry__title"), scored)
    try:
        inner, params = matched.order_by().values(**values).query.sql_with_params()
    except EmptyResultSet:  # e.g. `id:` with something that is no id: nothing can match
        return None
    table, column = _keys_table()
    sql = (
        "SELECT q.i AS i, q.p AS p, q.l AS l, k.jurisdiction_id AS j,"  # noqa: S608
        " k.formats AS fo, k.themes AS th, k.tags AS tg,"
        f" {'q.s' if scored is not None else 'NULL'} AS s"
        f" FROM ({inner}) q LEFT JOIN {table} k ON k.{column} = q.i"
    )
    return _Source(sql, list(params))


def _count_and_facets(
    source: _Source | None,
    fields: Sequence[str],
    *,
    limit: int,
    mincount: int,
    page: tuple[int, int] | None = None,
) -> tuple[int, dict[str, list[FacetItem]], list[int] | None]:
    """The number of matches, every facet and (`page`: start, rows) the ids of that page in
    the default order of a text search (score, then the most recently modified, then id),
    in one statement (see "Facet keys")."""
    quote = connection.ops.quote_name
    facets: dict[str, list[FacetItem]] = {name: [] for name in fields}
    if source is None:
        return 0, facets, [] if page else None
    params = list(source.params)
    branches = [
        "SELECT 'count' AS f, NULL AS v, NULL AS d, COUNT(*) AS n, CAST(NULL AS bigint) AS o FROM m"
    ]
    limited = limit is not None and int(limit) >= 0
    for name in fields:
        sql = _FACET_SQL[name](quote)
        sql += " ORDER BY n DESC, d, v" + (" LIMIT %s" if limited else "")
        branches.append(f"SELECT * FROM ({sql}) {quote('facet_' + name)}")  # noqa: S608
        params += [max(int(mincount), 1)] + ([int(limit)] if limited else [])
    if page is not None:
        start, rows = page
        branches.append(_page_sql(quote))
        params += [start + rows - 1, rows, start]
    statement = f"WITH m AS MATERIALIZED ({source.sql}) " + " UNION ALL ".join(branches)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows_found = cursor.fetchall()
    count = 0
    ids: list[tuple[int, int]] = []
    for field_name, value, display, n, position in rows_found:
        if field_name == "count":
            count = n
        elif field_name == "page":
            ids.append((position, n))
        else:
            facets[field_name].append(FacetItem(name=value, display_name=display or value, count=n))
    for items in facets.values():
        items.sort(key=lambda item: (-item.count, item.display_name, item.name))
        if limited:
            del items[int(limit) :]
    return count, facets, [pk for _position, pk in sorted(ids)] if page else None


def _page_sql(quote) -> str:
    """The page branch. Only the matches scoring at least as well as the page's last row can
    be on it, and only they read their modification date (the tiebreak) from the datasets."""
    modified = (
        f"(SELECT d.metadata_modified FROM {quote(Dataset._meta.db_table)} d"  # noqa: S608
        " WHERE d.id = c.i)"
    )
    candidates = (
        f"SELECT c.i AS i, c.s AS s, {modified} AS mm FROM m c"  # noqa: S608
        " WHERE c.s >= COALESCE((SELECT x.s FROM m x ORDER BY x.s DESC LIMIT 1 OFFSET %s), c.s)"
    )
    ranked = (
        "SELECT 'page' AS f, NULL AS v, NULL AS d, c.i AS n,"  # noqa: S608
        f" ROW_NUMBER() OVER (ORDER BY c.s DESC, c.mm DESC, c.i) AS o FROM ({candidates}) c"
        " ORDER BY o LIMIT %s OFFSET %s"
    )
    return f"SELECT * FROM ({ranked}) {quote('page')}"  # noqa: S608


def _named(field_name: str, keys, table, value: str, display: str):
    """A facet branch: `keys()` counts the matches (n) per integer key (k) over `m`; `table`
    gives each key its value and display name. Identifiers are Django's own table names."""

    def build(quote) -> str:
        return (
            f"SELECT '{field_name}' AS f, t.{quote(value)} AS v, t.{quote(display)} AS d,"  # noqa: S608
            f" c.n AS n, CAST(NULL AS bigint) AS o FROM ({keys()}) c"
            f" JOIN {quote(table._meta.db_table)} t ON t.id = c.k WHERE c.n >= %s"
        )

    return build


def _grouped(column: str):
    return lambda: f"SELECT m.{column} AS k, COUNT(*) AS n FROM m GROUP BY m.{column}"  # noqa: S608


def _elements(column: str):
    """Matches per element (k) of one of the list keys of `m` (formats, themes, tags)."""

    def sql() -> str:
        if connection.vendor == "sqlite":
            source = f"m, json_each(m.{column}) j"
        else:
            source = f"m CROSS JOIN LATERAL unnest(m.{column}) AS j(value)"
        return f"SELECT j.value AS k, COUNT(*) AS n FROM {source} GROUP BY j.value"  # noqa: S608

    return sql


def _by_format(quote) -> str:
    # A dataset with two CSV files counts once for CSV: its keys hold each format once.
    return (
        "SELECT 'res_format' AS f, c.k AS v, c.k AS d, c.n AS n, CAST(NULL AS bigint) AS o"  # noqa: S608
        f" FROM ({_elements('fo')()}) c WHERE c.n >= %s"
    )


_FACET_SQL = {
    "organization": _named("organization", _grouped("p"), Publisher, "name", "title"),
    "license_id": _named("license_id", _grouped("l"), Licence, "key", "title"),
    "jurisdiction": _named("jurisdiction", _grouped("j"), Jurisdiction, "inegi_code", "name"),
    "tags": _named("tags", _elements("tg"), Tag, "name", "name"),
    "groups": _named("groups", _elements("th"), Theme, "name", "title"),
    "res_format": _by_format,
}


# --- Explanations --------------------------------------------------------------------------


def _contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(tuple(haystack[i : i + size]) == needle for i in range(len(haystack) - size + 1))


def explain(dataset: Dataset, query: TextQuery) -> list[str]:
    """Why `dataset` matched `query`, in Spanish: «"hospital" en las palabras clave»."""
    publisher = dataset.publisher
    places = [
        (_("el título"), stems(dataset.title)),
        (_("las palabras clave"), stems(" ".join(tag.name for tag in dataset.tags.all()))),
        (_("los temas"), stems(" ".join(theme.title for theme in dataset.themes.all()))),
        (
            _("la dependencia"),
            stems(f"{publisher.title} {publisher.name} {publisher.jurisdiction.name}"),
        ),
        (_("la descripción"), stems(dataset.description)),
        (
            _("los recursos"),
            stems(" ".join(f"{r.title} {r.description}" for r in dataset.resources.all())),
        ),
    ]
    reasons = []
    for alternative in query.positives:
        found = [label for label, text in places if _contains(text, alternative.stems)]
        if not found and alternative.stems:
            found = [_("otros datos del conjunto")]
        reasons.extend(
            _('"%(term)s" en %(place)s') % {"term": alternative.label, "place": place}
            for place in found
        )
    return reasons
