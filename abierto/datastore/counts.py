"""How many rows hold each frequent value of a filter column, counted ahead (PostgreSQL).

datastore_search reports a filter's exact total. On PostgreSQL even an index-only count
reads every matching index entry: 19,247 rows of `municipio = 'Ocotlán'` in a million took
about 1.7 ms of the server's time, most of what a filtered page costs it. So the load counts,
with the text index (`schema.index_table`), the rows of every value that at least
COUNTED_VALUE_ROWS rows of a filter column hold, in `<physical>_values`; a filter on one
value of one column takes its total from there, and the writes keep it exact
(`actions._fts_add`, `actions._fts_remove`). A value in fewer rows, one that became
frequent after the load, and a table loaded before the counts existed are counted as
before: the answer is the same, only slower.

SQLite counts as many index entries in under a millisecond, inside the worker's own
process: it keeps no such table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from abierto.datastore import schema
from abierto.datastore.schema import Field

# Values in fewer rows are counted per request: reading 100 index entries is quick.
COUNTED_VALUE_ROWS = 100
# The types whose `::text` is one spelling per value (a numeric's is not: 1.5 and 1.50).
COUNTED_TYPES = (schema.TEXT, schema.INT, schema.BOOL)
# A column whose values are nearly all different (a folio, an RFC) has few or no values
# frequent enough to count, and grouping it would cost the load a hash of every row.
MOSTLY_DISTINCT = 0.5


def key(f: Field, value: Any) -> str | None:
    """`value` (as query.to_db gives it for `f`) as the table spells it, or None when
    values of `f` are not counted."""
    if f.type not in COUNTED_TYPES:
        return None
    if f.type == schema.BOOL:
        return "true" if value else "false"
    return str(value)


def _column(f: Field, alias: str = "t") -> str:
    return f"{alias}.{schema.quote(f.id)}"


def _worth_counting(cursor, physical: str, fields: Sequence[Field]) -> list[Field]:
    """The columns of `fields` whose values repeat, as ANALYZE saw them (a table not yet
    analysed, as in tests, has all of them counted)."""
    cursor.execute(
        "SELECT attname, n_distinct FROM pg_stats WHERE schemaname = current_schema() "
        "AND tablename = %s",
        [physical],
    )
    distinct = dict(cursor.fetchall())
    # n_distinct below zero is minus the fraction of rows that are distinct.
    return [
        f
        for f in fields
        if f.type in COUNTED_TYPES and not (distinct.get(f.id, 0) or 0) < -MOSTLY_DISTINCT
    ]


def build(cursor, physical: str, fields: Sequence[Field]) -> None:
    """Count the frequent values of the filter columns `fields` of a table whose rows are in
    (PostgreSQL, in the caller's transaction)."""
    table = schema.quote(schema.values_name(physical))
    cursor.execute(
        f"CREATE TABLE {table} (field text NOT NULL, value text NOT NULL, "
        "n bigint NOT NULL, PRIMARY KEY (field, value))"
    )
    for f in _worth_counting(cursor, physical, fields):
        column = _column(f)
        where = f"{column} IS NOT NULL"
        if f.type == schema.TEXT:
            # What the filter index holds, and so what a filter can find in it.
            where += f" AND {schema.text_filter_sql(column)}"
        cursor.execute(
            f"INSERT INTO {table} (field, value, n) SELECT %s, {column}::text, count(*) "
            f"FROM {schema.quote(physical)} t WHERE {where} GROUP BY {column} "
            "HAVING count(*) >= %s",
            [f.id, COUNTED_VALUE_ROWS],
        )


def recount(cursor, physical: str, fields: Sequence[Field], sign: str, source: str, params):
    """Take the rows `source` (`FROM <physical> t WHERE …`) selects out of (`sign` "-") or
    into ("+") the counts, which then stay exact for search to trust."""
    table = schema.quote(schema.values_name(physical))
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    if not cursor.fetchone()[0]:
        return  # indexed before values were counted
    counted = [f for f in fields if f.type in COUNTED_TYPES]
    if not counted:
        return
    parts = [
        f"SELECT %s AS field, {_column(f)}::text AS value, count(*) AS n {source} "
        f"GROUP BY {_column(f)}"
        for f in counted
    ]
    cursor.execute(
        f"UPDATE {table} v SET n = v.n {sign} d.n FROM ({' UNION ALL '.join(parts)}) d "
        "WHERE v.field = d.field AND v.value = d.value",
        [value for f in counted for value in (f.id, *params)],
    )


def total_sql(
    physical: str, f: Field, value: str, otherwise: tuple[str, list] | None = None
) -> tuple[str, list]:
    """One statement giving the rows where `f` holds `value` (as `key` spells it), counted
    ahead: NULL when they are not, unless `otherwise` (`SELECT count(*) …` and its
    parameters) is given to count them then. It fails if the table was indexed before
    values were counted."""
    table = schema.quote(schema.values_name(physical))
    sql = f"SELECT n FROM {table} WHERE field = %s AND value = %s"
    if otherwise is None:
        return sql, [f.id, value]
    count_sql, params = otherwise
    return f"SELECT coalesce(({sql}), ({count_sql}))", [f.id, value, *params]
