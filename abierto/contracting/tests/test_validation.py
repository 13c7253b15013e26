"""The quick schema check (jsonschema_rs) never clears a release that jsonschema rejects.

`validation.schema_issues` trusts the quick check's "valid" and asks jsonschema only about
the rest, so the two must agree: on every release of the real samples, and on copies broken
in the ways publishers break them.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from abierto.contracting import reading, standard, validation
from abierto.contracting.tests.conftest import JALISCO, SAMPLES
from abierto.contracting.upgrade import looks_like_1_0, upgrade_release


def _sample_releases() -> Iterator[dict[str, Any]]:
    paths = sorted(SAMPLES.glob("*.json")) + sorted(JALISCO.rglob("*.json"))
    for path in paths:
        source = reading.sniff(str(path))
        with Path(path).open("rb") as fh:
            for item in reading.iterate(reading.CountingReader(fh), source):
                if not item.release:
                    continue
                data = item.release
                if item.version.startswith("1.0") or looks_like_1_0(data):
                    data = upgrade_release(data)
                yield data


def _set(path: tuple, value: Any) -> Callable[[dict], None]:
    def change(release: dict) -> None:
        node = release
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
        node[path[-1]] = value

    return change


BREAKS = {
    "date not a date-time": _set(("date",), "31/12/2017"),
    "date without a time zone separator": _set(("date",), "2017-12-31 10:00:00"),
    "date as a number": _set(("date",), 20171231),
    "tag not an array": _set(("tag",), "tender"),
    "tag outside its closed codelist": _set(("tag",), ["licitacion"]),
    "initiationType outside its enum": _set(("initiationType",), "otro"),
    "amount as text": _set(("tender", "value", "amount"), "1,234.56"),
    "currency outside its codelist": _set(("tender", "value", "currency"), "PESOS"),
    "numberOfTenderers not an integer": _set(("tender", "numberOfTenderers"), 2.5),
    "numberOfTenderers as text": _set(("tender", "numberOfTenderers"), "dos"),
    "procurementMethod outside its codelist": _set(("tender", "procurementMethod"), "directa"),
    "tender period with a bad start": _set(("tender", "tenderPeriod", "startDate"), "ayer"),
    "parties not an array": _set(("parties",), {"id": "1"}),
    "party roles not an array": _set(("parties",), [{"id": "1", "roles": "buyer"}]),
    "awards item not an object": _set(("awards",), ["adjudicación"]),
    "ocid as a number": _set(("ocid",), 123),
    "id null": _set(("id",), None),
    "buyer as text": _set(("buyer",), "Secretaría"),
    "contract without its required id": _set(("contracts",), [{"title": "Contrato"}]),
    "document with a bad dateModified": _set(
        ("tender", "documents"), [{"id": "1", "dateModified": "2017-13-45T00:00:00Z"}]
    ),
}


@pytest.fixture(scope="module")
def releases() -> list[dict[str, Any]]:
    found = list(_sample_releases())
    assert len(found) > 100
    return found


def _explained(release: dict[str, Any]) -> bool:
    return not any(standard.validator().iter_errors(release))


def test_the_quick_check_agrees_with_jsonschema_on_every_sample_release(releases):
    disagreements = [
        (release.get("ocid"), release.get("id"))
        for release in releases
        if standard.quick_validator().is_valid(release) != _explained(release)
    ]
    assert disagreements == []
    # The samples hold both kinds (INAI's publication has schema errors).
    verdicts = {_explained(release) for release in releases}
    assert verdicts == {True, False}


@pytest.fixture(scope="module")
def valid_releases(releases) -> list[dict[str, Any]]:
    return [release for release in releases if _explained(release)][:25]


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_the_quick_check_never_clears_a_broken_copy(valid_releases, name):
    for release in valid_releases:
        broken = copy.deepcopy(release)
        BREAKS[name](broken)
        issues = list(validation.schema_issues(broken))
        assert issues, (name, release.get("ocid"))
        assert all(issue.severity == validation.ERROR for issue in issues)
        assert standard.quick_validator().is_valid(broken) is False


def test_structure_names_unknown_fields_and_codes_outside_their_lists_where_they_are(
    valid_releases,
):
    original = valid_releases[0]
    release = copy.deepcopy(original)
    release["tender"]["title_en"] = "Cleaning services"  # a translation: allowed
    release["tender"]["clave_interna"] = "X-1"
    release["tender"]["procurementMethod"] = "directa"  # closed codelist
    release["tender"]["mainProcurementCategory"] = "obra"  # closed codelist
    release["tender"]["items"] = [
        {"id": "1", "classification": {"scheme": "CUBSO", "id": "1"}, "extra": 1}
    ]
    release["parties"] = [{"id": "p1", "name": "Proveedor", "roles": ["supplier", "aval"]}]
    before = set(validation.structure_issues(original))
    found = {
        (i.type, i.path): i.severity
        for i in validation.structure_issues(release)
        if i not in before
    }
    assert found == {
        ("additional_field", "tender/clave_interna"): validation.WARNING,
        ("codelist_closed", "tender/procurementMethod"): validation.ERROR,
        ("codelist_closed", "tender/mainProcurementCategory"): validation.ERROR,
        ("codelist_open", "tender/items/0/classification/scheme"): validation.WARNING,
        ("additional_field", "tender/items/0/extra"): validation.WARNING,
        ("codelist_open", "parties/0/roles"): validation.WARNING,
    }


def _walk_finds(release: dict[str, Any]) -> bool:
    found: list[validation.Issue] = []
    validation._structure(release, validation._prepared(), (), found)
    return bool(found)


def _spots(value: Any, node: validation._Node, spots: list) -> None:
    """Where a release can be broken for the walk: (container, key, schema node) triples."""
    if isinstance(value, dict) and node.properties is not None:
        spots.append((value, None, node))
        for key, item in value.items():
            child = node.properties.get(key)
            if child is not None:
                if child.codelist:
                    spots.append((value, key, child))
                _spots(item, child, spots)
    elif isinstance(value, list) and node.items is not None:
        for index, item in enumerate(value):
            if node.items.codelist:
                spots.append((value, index, node.items))
            _spots(item, node.items, spots)


def _clean(value: Any, node: validation._Node) -> Any:
    """A copy without what the walk reports: unknown keys dropped, codes outside their list
    replaced by one of it (every sample release has something)."""
    if node.codelist and isinstance(value, str | list):
        first = min(node.codes)
        if isinstance(value, str):
            return value if value in node.codes else first
        value = [v if not isinstance(v, str) or v in node.codes else first for v in value]
    if isinstance(value, dict) and node.properties is not None:
        return {
            key: _clean(item, node.properties[key])
            for key, item in value.items()
            if key in node.properties
        }
    if isinstance(value, list) and node.items is not None:
        return [_clean(item, node.items) for item in value]
    return value


def _break(release: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy with one to three changes: an unknown key, a translation key (allowed when the
    schema has its pattern), a code outside its codelist, a known code, a list of codes."""
    broken = copy.deepcopy(release)
    spots: list = []
    _spots(broken, validation._prepared(), spots)
    for container, key, node in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
        if key is None:
            name = rng.choice(
                ["campoPropio", "title_es", "title_es-MX", "name_123456789", "mi_title_es"]
            )
            container[name] = "x"
        elif rng.random() < 0.5:
            container[key] = "no-es-un-codigo"
        else:
            codes = sorted(node.codes)
            container[key] = rng.choice(
                [codes[0], [codes[0], "otro"], [codes[-1]], 7, {"code": "no"}, None]
            )
    return broken


def test_the_structure_schema_clears_exactly_what_the_walk_clears(releases):
    """`structure_issues` skips the walk when the compiled rules pass: they must pass exactly
    the releases in which the walk finds nothing, as published and broken every way."""
    rng = random.Random(20261127)
    clean = [_clean(release, validation._prepared()) for release in releases]
    assert not any(map(_walk_finds, clean))
    checked = [*releases, *clean, *(_break(r, rng) for r in clean for _ in range(4))]
    verdicts = [
        (validation.structure_validator().is_valid(release), _walk_finds(release))
        for release in checked
    ]
    assert [i for i, (valid, finds) in enumerate(verdicts) if valid == finds] == []
    # Both kinds are there, so the agreement says something.
    assert {finds for _, finds in verdicts} == {True, False}
    assert sum(finds for _, finds in verdicts) > len(releases)


def test_coherence_names_where_the_period_and_the_amount_are():
    now = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    release = {
        "ocid": "ocds-xs1qbl-1",
        "id": "1",
        "date": "2027-01-01T00:00:00Z",
        "tender": {"value": {"amount": 10}, "tenderPeriod": {"startDate": "2020-02-01"}},
        "awards": [
            {"id": "a", "value": {"amount": 5}},
            {
                "id": "b",
                "value": {"amount": -1, "currency": "MXN"},
                "contractPeriod": {
                    "startDate": "2020-02-01T00:00:00Z",
                    "endDate": "2020-01-01T00:00:00Z",
                },
            },
        ],
    }
    found = [(i.type, i.path) for i in validation.coherence_issues(release, now=now)]
    assert found == [
        ("negative_amount", "awards/1/value/amount"),
        ("period_order", "awards/1/contractPeriod"),
        ("future_date", "date"),
    ]


def test_currencies_are_those_of_every_value_however_deep():
    compiled = {
        "tender": {"value": {"amount": 10, "currency": "MXN"}, "currency": "EUR"},
        "contracts": [
            {
                "implementation": {
                    "transactions": [{"value": {"amount": 1, "currency": "USD"}}, [{"x": 1}]]
                }
            }
        ],
        "planning": {"budget": {"amount": {"amount": 5, "currency": "CAD"}}},
    }
    assert validation.currencies(compiled) == {"MXN", "USD", "CAD"}
    assert [i.type for i in validation.process_issues(compiled)] == ["mixed_currencies"]
