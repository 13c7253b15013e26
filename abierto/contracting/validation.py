"""Checks in the manner of the Data Review Tool, offline, grouped so a report stays small.

Per release: JSON Schema (1.1.5, local registry), codelists (closed: error, open: warning),
additional fields (not in the schema), dates (future: warning; a period ending before it starts:
error) and values (negative amount: error). Per process: mixed currencies (warning). The ocid
prefix checks live in importing, which knows the publishers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema_rs
from django.utils.dateparse import parse_datetime

from abierto.contracting import standard

ERROR = "error"
WARNING = "warning"
INFO = "info"

MESSAGE_LIMIT = 300
EXAMPLES_PER_GROUP = 5
GROUP_LIMIT = 500
PERIODS = ("tenderPeriod", "enquiryPeriod", "awardPeriod", "contractPeriod", "period")


@dataclass(frozen=True)
class Issue:
    type: str
    severity: str
    path: str
    message: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        data = {"type": self.type, "severity": self.severity, "path": self.path}
        data["message"] = self.message
        return data


def _path(parts: Any) -> str:
    return "/".join(str(part) for part in parts)


def _group_path(path: str) -> str:
    """`awards/0/value` and `awards/3/value` group together as `awards/*/value`."""
    return re.sub(r"(^|/)\d+(?=/|$)", r"\1*", path)


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def schema_issues(release: dict[str, Any]) -> Iterator[Issue]:
    # Most releases are valid: the compiled check clears them at a hundredth of the cost.
    if standard.quick_validator().is_valid(release):
        return
    for error in standard.validator().iter_errors(release):
        # A oneOf/anyOf failure would list every branch (cove's 50 MB pages): keep one line.
        yield Issue(
            f"schema_{error.validator}",
            ERROR,
            _path(error.absolute_path),
            _short(error.message),
        )


@dataclass(slots=True)
class _Node:
    """One schema node, prepared once: what the walk needs at every value it checks."""

    properties: dict[str, _Node] | None
    patterns: tuple[re.Pattern, ...]
    items: _Node | None
    codelist: str
    codes: frozenset[str]
    closed: bool


@cache
def _prepared() -> _Node:
    """The release schema as a tree of `_Node`s (`$ref`s followed, recursion shared)."""
    definitions = standard.schema()["definitions"]
    done: dict[int, _Node] = {}

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            return definitions[ref.rsplit("/", 1)[1]]
        return node

    def prepare(raw: dict[str, Any]) -> _Node:
        raw = resolve(raw)
        if id(raw) in done:
            return done[id(raw)]
        properties = raw.get("properties")
        items = raw.get("items")
        name = raw.get("codelist") or ""
        node = _Node(
            properties={} if properties is not None else None,
            patterns=tuple(re.compile(p) for p in raw.get("patternProperties", {})),
            items=None,
            codelist=name,
            codes=standard.codelist(name) if name else frozenset(),
            closed=not raw.get("openCodelist", False),
        )
        done[id(raw)] = node
        # Filled after registering the node, so a definition that contains itself terminates.
        for key, child in (properties or {}).items():
            node.properties[key] = prepare(child)
        if isinstance(items, dict):
            node.items = prepare(items)
        return node

    return prepare(standard.schema())


def structure_issues(value: Any) -> list[Issue]:
    """Additional fields and codelist values, walking the data along the schema."""
    # Most releases have neither: the walk's rules compiled as a JSON Schema clear them at a
    # tenth of the walk's cost (a quarter of an import's validation).
    if structure_validator().is_valid(value):
        return []
    found: list[Issue] = []
    _structure(value, _prepared(), (), found)
    return found


# Every JSON type but the two a codelist constrains.
_NOT_CODED = ["object", "number", "boolean", "null"]


@cache
def structure_validator() -> jsonschema_rs.Draft4Validator:
    """What `_structure` checks, as a JSON Schema: valid exactly when the walk finds nothing.

    Each prepared node becomes a definition: an object whose keys are its properties or
    match its patterns (`re.match`, so anchored at the start), the items of a list, and for a
    codelist a string (or each string of a list) among its codes, open or closed alike."""
    root = _prepared()
    names: dict[int, str] = {}
    definitions: dict[str, dict[str, Any]] = {}

    def ref(node: _Node) -> dict[str, str]:
        if id(node) not in names:
            names[id(node)] = name = f"n{len(names)}"
            # Registered before it is filled, so a node that contains itself terminates.
            definitions[name] = rules = {}
            rules.update(_rules(node, ref))
        return {"$ref": f"#/definitions/{names[id(node)]}"}

    top = ref(root)
    return jsonschema_rs.Draft4Validator({**top, "definitions": definitions})


def _rules(node: _Node, ref: Callable[[_Node], dict[str, str]]) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    if node.properties is not None:
        rules["properties"] = {key: ref(child) for key, child in node.properties.items()}
        rules["patternProperties"] = {f"^(?:{p.pattern})": {} for p in node.patterns}
        rules["additionalProperties"] = False
    if node.items is not None:
        rules["items"] = ref(node.items)
    if node.codelist:
        codes = sorted(node.codes)
        rules["anyOf"] = [
            {"type": _NOT_CODED},
            {"enum": codes},
            {"type": "array", "items": {"anyOf": [{"not": {"type": "string"}}, {"enum": codes}]}},
        ]
    return rules


def _structure(value: Any, node: _Node, path: tuple, found: list[Issue]) -> None:
    if node.codelist:
        _codelist(value, node, path, found)
    if isinstance(value, dict):
        properties = node.properties
        if properties is None:
            return
        for key, item in value.items():
            child = properties.get(key)
            if child is not None:
                # Scalars are only looked at for their codelist: no call for the others.
                if child.codelist or isinstance(item, dict | list):
                    _structure(item, child, (*path, key), found)
            elif not any(p.match(key) for p in node.patterns):
                found.append(
                    Issue(
                        "additional_field",
                        WARNING,
                        _path((*path, key)),
                        "campo no definido en el esquema OCDS 1.1",
                    )
                )
    elif isinstance(value, list) and node.items is not None:
        items = node.items
        for index, item in enumerate(value):
            if items.codelist or isinstance(item, dict | list):
                _structure(item, items, (*path, index), found)


def _codelist(value: Any, node: _Node, path: tuple, found: list[Issue]) -> None:
    values = value if isinstance(value, list) else [value]
    for each in values:
        if isinstance(each, str) and each not in node.codes:
            found.append(
                Issue(
                    "codelist_closed" if node.closed else "codelist_open",
                    ERROR if node.closed else WARNING,
                    _path(path),
                    f"«{_short(each)}» no está en la lista de códigos {node.codelist}",
                )
            )


# Where an object sits: (the trail of its container, its key or index), None at the top.
# Built as the walk descends (a pair per object) and spelled out only for an issue: a path
# tuple per object was most of the coherence check's cost.
Trail = tuple[Any, str | int] | None


def _keys(trail: Trail) -> tuple:
    keys = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    return tuple(reversed(keys))


def _objects(value: Any) -> Iterator[tuple[Trail, dict[str, Any]]]:
    """Every object in the data with its trail, in document order (lists and scalars
    skipped)."""
    stack: list[tuple[Trail, Any]] = [(None, value)]
    while stack:
        trail, node = stack.pop()
        if isinstance(node, dict):
            yield trail, node
            pairs = node.items()
        else:
            pairs = enumerate(node)
        children = [((trail, key), item) for key, item in pairs if isinstance(item, dict | list)]
        stack.extend(reversed(children))


def _date(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def coherence_issues(release: dict[str, Any], *, now: dt.datetime) -> Iterator[Issue]:
    """Dates in the future, periods ending before they start, negative amounts."""
    horizon = now + dt.timedelta(days=1)
    for trail, value in _objects(release):
        if trail is not None and trail[1] in PERIODS:
            start, end = _date(value.get("startDate")), _date(value.get("endDate"))
            if start and end and end < start:
                yield Issue(
                    "period_order",
                    ERROR,
                    _path(_keys(trail)),
                    "el periodo termina antes de empezar",
                )
        amount = value.get("amount")
        if isinstance(amount, int | float) and not isinstance(amount, bool) and amount < 0:
            yield Issue(
                "negative_amount", ERROR, _path((*_keys(trail), "amount")), "monto negativo"
            )
    date = _date(release.get("date"))
    if date and date > horizon:
        yield Issue("future_date", WARNING, "date", "la fecha de la entrega está en el futuro")


def release_issues(release: dict[str, Any], *, now: dt.datetime) -> list[Issue]:
    """Every check on one release."""
    return [
        *schema_issues(release),
        *structure_issues(release),
        *coherence_issues(release, now=now),
    ]


def currencies(compiled: dict[str, Any]) -> set[str]:
    """Every currency used by a value (an object with an amount) in a compiled release."""
    found = set()
    # A stack, not recursion: the depth is the publisher's.
    stack: list[Any] = [compiled]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "amount" in node and isinstance(node.get("currency"), str):
                found.add(node["currency"])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        else:
            stack.extend(v for v in node if isinstance(v, dict | list))
    return found


def process_issues(compiled: dict[str, Any]) -> list[Issue]:
    """Checks on a whole process (its compiled release)."""
    used = currencies(compiled)
    if len(used) > 1:
        return [
            Issue(
                "mixed_currencies",
                WARNING,
                "",
                f"el proceso usa varias monedas: {', '.join(sorted(used))}",
            )
        ]
    return []


@dataclass
class Group:
    type: str
    severity: str
    path: str
    message: str
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


class Report:
    """Issues grouped by type and path with counts and the first examples, bounded in size."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], Group] = {}
        self.dropped = 0

    def add(self, issue: Issue, **example: Any) -> None:
        key = (issue.type, _group_path(issue.path))
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= GROUP_LIMIT:
                self.dropped += 1
                return
            group = self.groups[key] = Group(issue.type, issue.severity, key[1], issue.message)
        group.count += 1
        if len(group.examples) < EXAMPLES_PER_GROUP:
            group.examples.append({**example, "path": issue.path, "message": issue.message})

    def summary(self) -> dict[str, int]:
        """Issue counts by type."""
        totals: dict[str, int] = {}
        for group in self.groups.values():
            totals[group.type] = totals.get(group.type, 0) + group.count
        return dict(sorted(totals.items()))
