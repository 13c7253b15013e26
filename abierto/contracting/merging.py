"""Compiled releases, merged as ocdsmerge merges them, in one walk of the releases.

ocdsmerge flattens every release into a dict keyed by JSON paths, updates it, and unflattens
the result: about two thirds of what compiling a record costs. Here each release is merged
straight into the compiled tree, with the same rules (ocdsmerge's own, read from the local
1.1.5 schema): literal values replace, objects merge key by key, arrays of objects merge item
by item on their `id` (an item without one is always new), `wholeListMerge` arrays and arrays
of non-objects replace whole, `omitWhenMerged` fields are left out, empty objects and arrays
change nothing, and a null removes a field while its parent object stays.

What ocdsmerge does in its own particular way is left to ocdsmerge itself: a path that holds
an object or array in one release and a literal (null included) in another, an array with
two items of the same `id` (ocdsmerge merges them and warns) or with ids of several types
(1 and "1"; or ids that are not text, integers or null), releases that are not objects or
whose dates are not strings. Compilation then calls ocdsmerge, so the result, warnings and
errors included, is always ocdsmerge's; the tests compare both on every sample and on
generated releases.
"""

from __future__ import annotations

import warnings
from functools import cache
from operator import itemgetter
from typing import Any

from abierto.contracting import standard

OMIT = "omitWhenMerged"
WHOLE = "wholeListMerge"
_NO_RULES: dict[str, tuple[str | None, dict]] = {}
_ID_TYPES = (str, int, type(None))


class Unusual(Exception):
    """Releases that ocdsmerge merges in a way of its own: it must merge them itself."""


@cache
def rules() -> dict[str, tuple[str | None, dict]]:
    """The schema's merge rules as a tree: key → (rule, the rules below it)."""
    tree: dict[str, Any] = {}
    for path, rule in standard.merger().merge_rules.items():
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, [None, {}])[1]
        node.setdefault(path[-1], [None, {}])[0] = rule
    return _freeze(tree)


def _freeze(tree: dict[str, Any]) -> dict[str, tuple[str | None, dict]]:
    return {key: (rule, _freeze(below)) for key, (rule, below) in tree.items()}


def compiled_release(releases: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The compiled release of a process and ocdsmerge's warnings (only ocdsmerge gives any:
    what would make it warn is left to it)."""
    try:
        return merge(releases), []
    except Unusual:
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = standard.merger().create_compiled_release(releases)
    return compiled, [str(w.message) for w in caught]


def merge(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release, or Unusual where ocdsmerge must decide."""
    if not isinstance(releases, list) or not all(type(r) is dict for r in releases):
        raise Unusual
    if len(releases) > 1:
        if not all(type(r.get("date")) is str for r in releases):
            raise Unusual  # ocdsmerge names the missing, null or non-string date
        releases = sorted(releases, key=itemgetter("date"))
    return _Merge().releases(releases)


class _Merge:
    """One compiled release being built, of plain dicts and lists.

    `made` holds the ids of the objects and arrays built here (a dict or list given as a
    literal value is not one of them), `arrays` the index by `id` of each merged array, and
    `nulled` the objects a null was written to (ocdsmerge leaves nulls out at the end)."""

    __slots__ = ("arrays", "made", "nulled")

    def __init__(self) -> None:
        self.made: set[int] = set()
        self.arrays: dict[int, list] = {}
        self.nulled: list[dict] = []

    def releases(self, releases: list[dict[str, Any]]) -> dict[str, Any]:
        tree = rules()
        root: dict[str, Any] = {}
        for release in releases:
            ocid, date = release.get("ocid"), release.get("date")
            # As ocdsmerge: these three before each release's fields (which may replace them).
            for key, value in (("id", f"{ocid}-{date}"), ("date", date), ("ocid", ocid)):
                if id(root.get(key)) in self.made:
                    raise Unusual
                root[key] = value
                if value is None:
                    self.nulled.append(root)
            # ocdsmerge drops each release's tag and sets ["compiled"].
            self.object(root, {k: v for k, v in release.items() if k != "tag"}, tree)
        root["tag"] = ["compiled"]
        for node in self.nulled:
            for key in [k for k, v in node.items() if v is None]:
                del node[key]
        return root

    def object(self, node: dict, obj: dict[str, Any], tree: dict) -> bool:
        """Merge `obj` into `node`; whether anything was written (ocdsmerge makes no node for
        an object whose every value is empty)."""
        wrote = False
        made = self.made
        for key, value in obj.items():
            entry = tree.get(key)
            rule, below = (None, _NO_RULES) if entry is None else entry
            if rule == OMIT:
                continue
            kind = type(value)
            if kind is list and not all(type(item) is dict for item in value):
                kind = None  # an array of literals is a literal
            if rule != WHOLE and (kind is dict or kind is list):
                if not value:
                    continue  # an empty object or array changes nothing
                old = node.get(key)
                if old is None:
                    if key in node:
                        raise Unusual  # null before, an object or array now
                elif id(old) not in made or type(old) is not kind:
                    raise Unusual  # a literal before, or an object then an array
                if kind is dict:
                    child = {} if old is None else old
                    if not self.object(child, value, below):
                        continue
                else:
                    child = [] if old is None else old
                    if not self.items(child, value, below):
                        if old is None:
                            del self.arrays[id(child)]  # its id may be another's later
                        continue
                if old is None:
                    made.add(id(child))
                    node[key] = child
                wrote = True
            elif kind is not None and isinstance(value, dict | list) and rule != WHOLE:
                raise Unusual  # a subclass of dict or list: not what JSON gives
            else:
                if id(node.get(key)) in made:
                    raise Unusual  # an object or array before, a literal now
                node[key] = value
                if value is None:
                    self.nulled.append(node)
                wrote = True
        return wrote

    def items(self, array: list, values: list[dict[str, Any]], tree: dict) -> bool:
        """Merge an array of objects into `array`, item by item on their `id`."""
        wrote = False
        index = self.arrays.get(id(array))
        if index is None:
            index = self.arrays[id(array)] = [None, {}]  # the ids' type, and id → item
        by_id = index[1]
        seen: set[Any] = set()
        for value in values:
            if "id" in value:
                identifier = value["id"]
                # ocdsmerge keys items by their id's text but rebuilds them by its value (1,
                # 1.0 and True are one item there, "1" and 1 two): one type of id is one rule.
                if type(identifier) is not index[0]:
                    if index[0] is not None or type(identifier) not in _ID_TYPES:
                        raise Unusual
                    index[0] = type(identifier)
                if identifier in seen:
                    raise Unusual  # two items of one id in one array: ocdsmerge warns
                seen.add(identifier)
                target = by_id.get(identifier)
                if target is not None:
                    wrote = self.object(target, value, tree) or wrote
                    continue
                target = {}
                if self.object(target, value, tree):
                    self.made.add(id(target))
                    array.append(target)
                    by_id[identifier] = target
                    wrote = True
            elif value:
                target = {}
                if self.object(target, value, tree):
                    self.made.add(id(target))
                    array.append(target)
                    wrote = True
        return wrote
