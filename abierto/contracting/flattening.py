"""Compiled releases as flat tables (one per array of objects), the columns read from the schema.

Every array of objects of the OCDS release schema becomes a table named after its path
(`awards`, `awards_suppliers`, `tender_items`, `contracts_implementation_transactions`), each
row carrying the process's `ocid` and the `id` of every array item above it (`awards/id`), as
flatten-tool's sheets do. Objects are spread into columns (`value/amount`); arrays of plain
values go into one cell joined by ";". The columns come from the schema, not from the data, so
they are known before the first row and every table can be written row by row: nothing is held
but the release being flattened. Fields outside the schema (extensions) stay in the JSON files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from abierto.contracting import standard

MAIN = "main"
# A contact point may be a person: the platform's exports never carry e-mails or phones
# (the JSON files keep the releases exactly as the publisher published them).
PERSONAL = ("contactPoint/email", "contactPoint/telephone", "contactPoint/faxNumber")
# An array of values in one cell: the separator flatten-tool uses.
JOIN = ";"


@dataclass(frozen=True)
class Step:
    key: str
    is_array: bool


@dataclass
class Table:
    """One flat table: where its rows live in a release and which columns it has."""

    name: str
    steps: tuple[Step, ...]
    # The `id` columns of the array items above this table's rows ("awards/id").
    parents: tuple[str, ...]
    fields: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return ["ocid", *self.parents, *self.fields]


def _resolve(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = definitions[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def _is_object(node: dict[str, Any]) -> bool:
    return "object" in _types(node) or "properties" in node


@cache
def tables() -> tuple[Table, ...]:
    """The flat tables of the local release schema, the main table first."""
    schema = standard.schema()
    definitions = schema.get("definitions", {})
    found: list[Table] = []

    def walk(node, table: Table, prefix: str, steps: tuple[Step, ...], depth: int) -> None:
        for key, prop in node.get("properties", {}).items():
            prop = _resolve(prop, definitions)
            if prop.get("deprecated") or depth > 8:
                continue
            path = f"{prefix}{key}"
            kinds = _types(prop)
            if "array" in kinds:
                items = _resolve(prop.get("items", {}), definitions)
                if _is_object(items):
                    here = (*steps, Step(key, True))
                    name = "_".join(step.key for step in here)
                    parent_ids = table.parents + (
                        (f"{table.name.replace('_', '/')}/id",) if table.name != MAIN else ()
                    )
                    child = Table(name=name, steps=here, parents=parent_ids)
                    found.append(child)
                    walk(items, child, "", here, depth + 1)
                else:
                    table.fields.append(path)
            elif _is_object(prop) and prop.get("properties"):
                walk(prop, table, path + "/", (*steps, Step(key, False)), depth + 1)
            elif (not kinds or kinds - {"null"}) and not path.endswith(PERSONAL):
                table.fields.append(path)

    main = Table(name=MAIN, steps=(), parents=())
    found.append(main)
    walk(schema, main, "", (), 0)
    # The process key leads every table; the main table's own `ocid` would repeat it.
    main.fields = [f for f in main.fields if f != "ocid"]
    return tuple(found)


def _get(obj: Any, path: str) -> Any:
    for key in path.split("/"):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        parts = [v for v in value if isinstance(v, str | int | float) and not isinstance(v, bool)]
        return JOIN.join(str(v) for v in parts) if parts else None
    if isinstance(value, dict):
        return None  # the schema wanted a value; the data gave an object
    return value


def _items(
    obj: Any, steps: tuple[Step, ...], ids: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every object at `steps` below `obj`, with the ids of the array items passed on the way."""
    if not steps:
        if isinstance(obj, dict):
            yield ids, obj
        return
    step, rest = steps[0], steps[1:]
    if not isinstance(obj, dict):
        return
    value = obj.get(step.key)
    if not step.is_array:
        # An object between arrays: its fields belong to the table below, by path.
        yield from _items(value, rest, ids)
        return
    if not isinstance(value, list):
        return
    for item in value:
        if not isinstance(item, dict):
            continue
        # Every array above the table's own gives its item's id to the row.
        below = (*ids, item.get("id")) if any(s.is_array for s in rest) else ids
        yield from _items(item, rest, below)


def rows(release: dict[str, Any]) -> Iterator[tuple[Table, list[Any]]]:
    """(table, row) for every row this compiled release gives, table by table."""
    ocid = release.get("ocid")
    for table in tables():
        if table.name == MAIN:
            yield table, [ocid, *(_cell(_get(release, f)) for f in table.fields)]
            continue
        for ids, item in _items(release, table.steps, ()):
            yield table, [ocid, *ids, *(_cell(_get(item, f)) for f in table.fields)]
