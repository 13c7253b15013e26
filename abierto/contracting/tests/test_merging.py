"""merging.py against ocdsmerge: the same compiled release, on every sample and on releases
generated to reach every rule and every case left to ocdsmerge."""

from __future__ import annotations

import copy
import json
import warnings
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocdsmerge.exceptions import OCDSMergeError

from abierto.contracting import merging, standard, upgrade
from abierto.contracting.tests.conftest import JALISCO, SAMPLES


def _ocdsmerge(releases):
    """ocdsmerge's compiled release, its warnings, or the type of error it raises."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            compiled = standard.merger().create_compiled_release(copy.deepcopy(releases))
        except (OCDSMergeError, TypeError, AttributeError, KeyError) as error:
            return type(error), []
    return compiled, [str(w.message) for w in caught]


def _ours(releases):
    try:
        return merging.compiled_release(copy.deepcopy(releases))
    except (OCDSMergeError, TypeError, AttributeError, KeyError) as error:
        return type(error), []


def _processes(path: Path) -> dict[str, list[dict]]:
    package = json.loads(path.read_text(encoding="utf-8"))
    by_ocid = defaultdict(list)
    for release in package.get("releases", []):
        if upgrade.looks_like_1_0(release):
            release = upgrade.upgrade_release(release)
        by_ocid[release["ocid"]].append(release)
    return by_ocid


SAMPLE_FILES = [
    SAMPLES / "mexico-cdmx-release-package.json",
    SAMPLES / "mexico-gacm-naicm-release-package-ocds10.json",
    SAMPLES / "mexico-inai-release-package.json",
    SAMPLES / "mexico-apf-compiled-releases-package.json",
    *sorted((JALISCO / "release-packages").glob("*.json")),
]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_process_of_every_sample_compiles_as_with_ocdsmerge(path):
    processes = _processes(path)
    assert processes
    for ocid, releases in processes.items():
        expected = _ocdsmerge(releases)
        assert _ours(releases) == expected, ocid
        if expected[1]:
            # ocdsmerge warned (INAI lists a party twice under one id): its own merge ran.
            with pytest.raises(merging.Unusual):
                merging.merge(copy.deepcopy(releases))
        else:
            # Real publications are merged here, not handed to ocdsmerge.
            merging.merge(copy.deepcopy(releases))


RELEASE = {"ocid": "ocds-x-1", "id": "1", "date": "2018-01-01T00:00:00Z", "tag": ["tender"]}


def _release(date: str, **fields) -> dict:
    return {**RELEASE, "id": date, "date": date, **fields}


@pytest.mark.parametrize(
    ("name", "releases", "unusual"),
    [
        (
            "objects merge, literals replace, nulls remove but keep the parent",
            [
                _release("2018-01-01", tender={"id": "t", "title": "A", "value": {"amount": 1}}),
                _release("2018-02-01", tender={"title": None, "value": {"amount": None}}),
            ],
            False,
        ),
        (
            "items merge by id, keep their first position, and new ones follow",
            [
                _release("2018-01-01", awards=[{"id": "b", "x": 1}, {"id": "a"}]),
                _release("2018-02-01", awards=[{"id": "c"}, {"id": "b", "y": 2}, {"x": 3}]),
            ],
            False,
        ),
        (
            "whole-list arrays and arrays of strings replace, empty ones change nothing",
            [
                _release("2018-01-01", parties=[{"id": "p", "roles": ["buyer", "payer"]}]),
                _release("2018-02-01", parties=[{"id": "p", "roles": ["buyer"]}], awards=[]),
                _release("2018-03-01", tender={}, planning={"x": {}}, x=["a", "b"]),
                _release("2018-04-01", x=["c", {"y": 1}]),
            ],
            False,
        ),
        (
            "omitted fields and each release's tag are left out",
            [_release("2018-01-01", tag=["planning"], id="first"), _release("2018-02-01")],
            False,
        ),
        (
            "releases in date order whatever their order",
            [
                _release("2018-03-01", buyer={"name": "C"}),
                _release("2018-01-01", buyer={"id": "B"}),
            ],
            False,
        ),
        (
            "an object, then a literal",
            [_release("2018-01-01", tender={"id": "t"}), _release("2018-02-01", tender="x")],
            True,
        ),
        (
            "a null, then an object",
            [_release("2018-01-01", tender=None), _release("2018-02-01", tender={"id": "t"})],
            True,
        ),
        (
            "an array of objects, then of strings",
            [_release("2018-01-01", awards=[{"id": "a"}]), _release("2018-02-01", awards=["a"])],
            True,
        ),
        (
            "two items with one id (ocdsmerge warns)",
            [_release("2018-01-01", awards=[{"id": "a"}, {"id": "a", "x": 1}])],
            True,
        ),
        (
            "numbers and nulls as ids",
            [
                _release("2018-01-01", awards=[{"id": 1, "x": 1}], contracts=[{"id": None}]),
                _release("2018-02-01", awards=[{"id": 1, "y": 1}], contracts=[{"id": None}]),
            ],
            False,
        ),
        (
            "one id as a number, then as text",
            [
                _release("2018-01-01", awards=[{"id": 1}]),
                _release("2018-02-01", awards=[{"id": "1"}]),
            ],
            True,
        ),
        (
            "a number and a null as ids",
            [_release("2018-01-01", awards=[{"id": 1}, {"id": None}])],
            True,
        ),
        ("an object as id", [_release("2018-01-01", awards=[{"id": {"a": 1}}])], True),
        ("a missing date", [_release("2018-01-01"), {"ocid": "ocds-x-1", "id": "2"}], True),
        ("a null date", [_release("2018-01-01"), {**RELEASE, "date": None}], True),
        (
            "a release that is not an object",
            [_release("2018-01-01"), ["not", "an", "object"]],
            True,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_rule_and_each_case_left_to_ocdsmerge(name, releases, unusual):
    assert _ours(releases) == _ocdsmerge(releases), name
    if unusual:
        with pytest.raises(merging.Unusual):
            merging.merge(copy.deepcopy(releases))
    else:
        merging.merge(copy.deepcopy(releases))


def test_a_repeated_id_gives_ocdsmerges_warning_to_the_record():
    releases = [_release("2018-01-01", awards=[{"id": "a"}, {"id": "a", "x": 1}])]
    compiled, warned = merging.compiled_release(releases)
    assert compiled["awards"] == [{"id": "a", "x": 1}]
    assert warned and "id" in warned[0] and "awards" in warned[0]


# Generated releases: few keys and values, so that paths collide across releases; keys the
# schema has rules for (omitted, whole-list) among them.
KEYS = ["id", "title", "value", "amount", "items", "roles", "tender", "awards", "x", "status"]
IDS = st.one_of(
    st.sampled_from(["1", "2", "3", "None"]), st.sampled_from([1, 2, 1.0, True]), st.none()
)
LEAVES = st.one_of(st.none(), st.sampled_from(["a", "b", ""]), st.integers(0, 2), st.booleans())


def _objects(children):
    return st.dictionaries(st.sampled_from(KEYS), children, max_size=4)


VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        _objects(children),
        st.lists(st.fixed_dictionaries({"id": IDS}, optional={"x": children, "title": children})),
        st.lists(_objects(children), max_size=3),
        st.lists(LEAVES, max_size=2),
    ),
    max_leaves=12,
)
TOP = ["tender", "awards", "contracts", "parties", "buyer", "planning", "tag", "id", "x"]
RELEASES = st.lists(
    st.builds(
        lambda date, body: {"ocid": "ocds-x-1", "date": date, **body},
        st.sampled_from(["2018-01-01", "2018-02-01", "2018-03-01"]),
        st.dictionaries(st.sampled_from(TOP), VALUES, max_size=4),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RELEASES)
def test_generated_releases_compile_as_with_ocdsmerge(releases):
    assert _ours(releases) == _ocdsmerge(releases)
