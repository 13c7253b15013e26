from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.contracting import compiling, standard
from abierto.contracting.models import Record, RecordParty, Release
from abierto.contracting.tests.conftest import JALISCO, SAMPLES, run


def _assert_records_match_ocdsmerge():
    merger = standard.merger()
    records = list(Record.objects.all())
    assert records
    for record in records:
        releases = [r.data for r in Release.objects.for_ocid(record.ocid)]
        proper = [r for r in releases if "compiled" not in r.get("tag", [])]
        expected = merger.create_compiled_release(proper or releases)
        assert record.compiled_release == expected, record.ocid
        assert not record.compile_error


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("cdmx", "mexico-cdmx-release-package.json"),
        ("gacm", "mexico-gacm-naicm-release-package-ocds10.json"),
        ("inai", "mexico-inai-release-package.json"),
        ("apf", "mexico-apf-compiled-releases-package.json"),
    ],
)
def test_stored_records_equal_ocdsmerge_on_each_sample(request, fixture, name):
    run(request.getfixturevalue(fixture), SAMPLES / name)
    _assert_records_match_ocdsmerge()


def test_jalisco_records_equal_ocdsmerge_and_the_publishers_own_compiled_release(jalisco):
    for path in sorted((JALISCO / "release-packages").glob("*.json")):
        assert run(jalisco, path).status == "done"
    _assert_records_match_ocdsmerge()
    # The publisher's own record packages, for the processes whose releases are all here.
    checked = 0
    for record in Record.objects.all():
        theirs_path = JALISCO / "record-packages" / f"{record.ocid}.json"
        if not theirs_path.exists():
            continue
        theirs = json.loads(theirs_path.read_text())["records"][0]
        if len(theirs["releases"]) != record.release_count:
            continue
        ours, expected = record.compiled_release, theirs["compiledRelease"]
        assert ours["ocid"] == expected["ocid"]
        assert ours["tag"] == ["compiled"]
        assert ours["tender"]["id"] == expected["tender"]["id"]
        assert ours["tender"].get("value") == expected["tender"].get("value")
        assert [a["id"] for a in ours.get("awards", [])] == [
            a["id"] for a in expected.get("awards", [])
        ]
        assert [a.get("value") for a in ours.get("awards", [])] == [
            a.get("value") for a in expected.get("awards", [])
        ]
        assert [c["id"] for c in ours.get("contracts", [])] == [
            c["id"] for c in expected.get("contracts", [])
        ]
        assert record.title == (expected["tender"].get("title") or "")
        checked += 1
    assert checked >= 2


def test_compiling_a_batch_costs_the_same_queries_whatever_its_size(cdmx):
    run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    ocids = sorted(Record.objects.values_list("ocid", flat=True))
    assert len(ocids) >= 4
    before = {r.ocid: r.compiled_release for r in Record.objects.all()}
    counts = []
    for size in (1, len(ocids)):
        with CaptureQueriesContext(connection) as queries:
            compiled = compiling.compile_records(ocids[:size], publisher=cdmx)
        assert len(compiled) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # Compiling again changes nothing, and every record keeps its party index.
    assert {r.ocid: r.compiled_release for r in Record.objects.all()} == before
    assert set(RecordParty.objects.values_list("record__ocid", flat=True)) == set(ocids)
