"""Checks in the manner of the Data Review Tool, offline, grouped so a report stays small.

Per release: JSON Schema (1.1.5, local registry), codelists (closed: error, open: warning),
additional fields (not in the schema), dates (future: warning; a period ending before it starts:
error) and values (negative amount: error). Per process: mixed currencies (warning). The ocid
prefix checks live in importing, which knows the publishers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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
    for error in standard.validator().iter_errors(release):
        # A oneOf/anyOf failure would list every branch (cove's 50 MB pages): keep one line.
        yield Issue(
            f"schema_{error.validator}",
            ERROR,
            _path(error.absolute_path),
            _short(error.message),
        )


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return standard.schema()["definitions"][ref.rsplit("/", 1)[1]]
    return node


def _patterns(node: dict[str, Any]) -> list[re.Pattern]:
    return [re.compile(p) for p in node.get("patternProperties", {})]


def structure_issues(
    value: Any, node: dict[str, Any] | None = None, path: tuple = ()
) -> Iterator[Issue]:
    """Additional fields and codelist values, walking the data along the schema."""
    node = _resolve(node if node is not None else standard.schema())
    if "codelist" in node:
        yield from _codelist(value, node, path)
    if isinstance(value, dict):
        properties = node.get("properties")
        if properties is None:
            return
        patterns = _patterns(node)
        for key, item in value.items():
            if key in properties:
                yield from structure_issues(item, properties[key], (*path, key))
            elif not any(p.match(key) for p in patterns):
                yield Issue(
                    "additional_field",
                    WARNING,
                    _path((*path, key)),
                    "campo no definido en el esquema OCDS 1.1",
                )
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, item in enumerate(value):
            yield from structure_issues(item, node["items"], (*path, index))


def _codelist(value: Any, node: dict[str, Any], path: tuple) -> Iterator[Issue]:
    codes = standard.codelist(node["codelist"])
    values = value if isinstance(value, list) else [value]
    for each in values:
        if isinstance(each, str) and each not in codes:
            closed = not node.get("openCodelist", False)
            yield Issue(
                "codelist_closed" if closed else "codelist_open",
                ERROR if closed else WARNING,
                _path(path),
                f"«{_short(each)}» no está en la lista de códigos {node['codelist']}",
            )


def _walk(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


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
    for path, value in _walk(release):
        if not isinstance(value, dict):
            continue
        if path and path[-1] in PERIODS:
            start, end = _date(value.get("startDate")), _date(value.get("endDate"))
            if start and end and end < start:
                yield Issue(
                    "period_order",
                    ERROR,
                    _path(path),
                    "el periodo termina antes de empezar",
                )
        amount = value.get("amount")
        if isinstance(amount, int | float) and not isinstance(amount, bool) and amount < 0:
            yield Issue("negative_amount", ERROR, _path((*path, "amount")), "monto negativo")
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
    """Every currency used by a value in a compiled release."""
    found = set()
    for _, value in _walk(compiled):
        if isinstance(value, dict) and "amount" in value and isinstance(value.get("currency"), str):
            found.add(value["currency"])
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
