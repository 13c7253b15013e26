from __future__ import annotations

import hashlib
import io
import json
import tracemalloc

import ijson
import pytest
from django.db import connection

from abierto.contracting import importing, reading
from abierto.contracting.models import Import, Record, RecordParty, Release, ValidationIssue
from abierto.contracting.tests.conftest import JALISCO, SAMPLES, run, sample
from abierto.core.models import AuditEntry


def test_a_release_package_imports_and_compiles_its_records(cdmx):
    import_ = run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    assert import_.status == Import.Status.DONE, import_.error
    assert import_.format == "release_package"
    assert (import_.releases_seen, import_.releases_stored) == (12, 12)
    assert Record.objects.filter(publisher=cdmx).count() == 4
    assert import_.percent == 100
    # One audit entry when created and one when run, none per release.
    assert AuditEntry.objects.filter(verb__startswith="import_").count() == 2


def test_a_record_package_imports_its_compiled_release_and_notes_linked_ones(jalisco):
    import_ = run(jalisco, JALISCO / "record-packages" / "ocds-xs1qbl-02-0070-00-2017.json")
    assert import_.status == Import.Status.DONE, import_.error
    assert import_.format == "record_package"
    assert import_.releases_stored == 1
    assert import_.report["linked_releases_not_fetched"] == 5
    assert import_.report["upgraded_from_1_0"] == 0
    assert "compiled" in Release.objects.get().tags


def test_json_lines_edca_wrapper_and_bare_arrays_import(cdmx, tmp_path):
    releases = sample("mexico-cdmx-release-package.json")["releases"]
    package = {"version": "1.1", "releases": releases[:6]}
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in releases[:4]) + "\n")
    edca = tmp_path / "edca.json"
    edca.write_text(json.dumps({"arrayReleasePackage": [package, {"releases": releases[6:9]}]}))
    array = tmp_path / "array.json"
    array.write_text(json.dumps(releases[9:]))
    results = [run(cdmx, p) for p in (jsonl, edca, array)]
    assert [i.format for i in results] == ["jsonl", "edca", "array"]
    assert [i.status for i in results] == ["done"] * 3
    assert [i.releases_stored for i in results] == [4, 2 + 3, 3]
    assert results[1].releases_duplicate == 4
    assert Release.objects.count() == 12


def test_a_second_copy_is_a_duplicate_counted_not_stored(cdmx):
    run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    again = run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    assert (again.releases_stored, again.releases_duplicate) == (0, 12)
    assert Release.objects.count() == 12


def test_different_content_under_the_same_ocid_and_id_is_a_reported_conflict(cdmx, tmp_path):
    package = sample("mexico-cdmx-release-package.json")
    run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    package["releases"][0]["tender"]["title"] = "Otro título"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(package))
    import_ = run(cdmx, changed)
    assert (import_.releases_conflicting, import_.releases_duplicate) == (1, 11)
    issue = import_.issues.get(type="conflicting_release")
    assert issue.examples[0]["id"] == package["releases"][0]["id"]
    kept = Release.objects.get(release_id=package["releases"][0]["id"], ocid__iendswith="001-2016")
    assert kept.data["tender"]["title"] != "Otro título"


def test_a_copy_of_a_release_hashed_the_older_way_is_still_a_duplicate(cdmx, tmp_path):
    """Releases stored before the hash was written by orjson carry the standard library's
    hash, which differs wherever the two write a number differently (1.5e-05, 0.000015)."""
    package = sample("mexico-cdmx-release-package.json")
    package["releases"][0]["tender"]["value"] = {"amount": 1.5e-05, "currency": "MXN"}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(package))
    run(cdmx, path)
    first = Release.objects.get(
        ocid__iexact=package["releases"][0]["ocid"], release_id=package["releases"][0]["id"]
    )
    older = json.dumps(first.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    older_sha = hashlib.sha256(older.encode()).hexdigest()
    assert older_sha != first.sha256
    Release.objects.filter(pk=first.pk).update(sha256=older_sha)
    again = run(cdmx, path)
    assert (again.releases_duplicate, again.releases_conflicting) == (12, 0)
    # A real change under that release is still a conflict.
    package["releases"][0]["tender"]["value"]["amount"] = 2.5e-05
    path.write_text(json.dumps(package))
    changed = run(cdmx, path)
    assert (changed.releases_duplicate, changed.releases_conflicting) == (11, 1)


def test_ocds_1_0_is_upgraded_to_parties_with_roles_and_prefixed_ocids(gacm):
    import_ = run(gacm, SAMPLES / "mexico-gacm-naicm-release-package-ocds10.json")
    assert import_.status == Import.Status.DONE, import_.error
    assert import_.releases_stored == 302
    assert import_.report["upgraded_from_1_0"] == 302
    assert import_.issues.get(type="ocid_prefix_added").count == 302
    assert Record.objects.count() == 292
    release = Release.objects.get(ocid="ocds-gacm01-10", release_id__contains="2017-03-06")
    roles = {role for party in release.data["parties"] for role in party["roles"]}
    assert {"buyer", "supplier"} <= roles
    assert set(release.data["buyer"]) <= {"id", "name"}
    supplier = release.data["awards"][0]["suppliers"][0]
    assert supplier["id"] in {p["id"] for p in release.data["parties"]}


def test_schema_errors_are_grouped_with_counts_and_releases_still_stored(inai):
    import_ = run(inai, SAMPLES / "mexico-inai-release-package.json")
    assert import_.status == Import.Status.DONE
    assert import_.releases_stored == 10
    assert import_.releases_invalid > 0
    schema = ValidationIssue.objects.filter(source_import=import_, type__startswith="schema_")
    assert schema.exists()
    assert all(1 <= len(issue.examples) <= 5 for issue in schema)
    assert sum(issue.count for issue in schema) >= schema.count()
    assert any(i.count > 1 for i in schema)  # grouped, not one row per occurrence
    assert import_.issues.filter(type="additional_field", path="clave_procedimiento").exists()
    marked = Release.objects.filter(validity=Release.Validity.ERRORS)
    assert marked.count() == import_.releases_invalid
    assert marked.first().issues


def test_invalid_json_fails_clearly_and_keeps_only_whole_batches(cdmx, tmp_path, settings):
    settings.CONTRACTING_IMPORT_BATCH = 5
    text = (SAMPLES / "mexico-cdmx-release-package.json").read_text()
    broken = tmp_path / "broken.json"
    broken.write_text(text[: int(len(text) * 0.7)] + "{{{ not json")
    import_ = run(cdmx, broken)
    assert import_.status == Import.Status.FAILED
    assert "JSON no válido cerca del byte" in import_.error
    # Whole batches of 5 are kept; the releases read of the batch in progress are not.
    assert import_.releases_stored in (5, 10)
    assert import_.releases_seen > import_.releases_stored
    assert Release.objects.count() == import_.releases_stored


def test_not_json_at_all_fails_with_a_message(cdmx, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("esto no es JSON")
    import_ = run(cdmx, bad)
    assert import_.status == Import.Status.FAILED
    assert import_.error


def test_jsonl_with_a_bad_line_names_the_line(cdmx, tmp_path):
    releases = sample("mexico-cdmx-release-package.json")["releases"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(releases[0]) + "\n" + json.dumps(releases[1]) + "\n{oops\n")
    import_ = run(cdmx, bad)
    assert import_.status == Import.Status.FAILED
    assert "línea 3" in import_.error


def test_an_ocid_with_another_publishers_prefix_is_refused_and_reported(cdmx, jalisco, tmp_path):
    release = sample("mexico-cdmx-release-package.json")["releases"][0]
    release["ocid"] = "ocds-xs1qbl-ajeno"
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"version": "1.1", "releases": [release]}))
    import_ = run(cdmx, path)
    assert (import_.releases_rejected, import_.releases_stored) == (1, 0)
    assert import_.issues.get(type="ocid_other_publisher").examples[0]["ocid"] == release["ocid"]


def test_future_dates_negative_amounts_and_mixed_currencies_are_marked(cdmx, tmp_path):
    everything = sample("mexico-cdmx-release-package.json")["releases"]
    releases = [r for r in everything if r["ocid"] == everything[0]["ocid"]]
    releases[0]["date"] = "2999-01-01T00:00:00Z"
    for release in releases:
        release["tender"]["value"] = {"amount": -5, "currency": "USD"}
    releases[2]["tender"]["tenderPeriod"] = {
        "startDate": "2016-05-01T00:00:00Z",
        "endDate": "2016-04-01T00:00:00Z",
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"version": "1.1", "releases": releases}))
    import_ = run(cdmx, path)
    types = set(import_.issues.values_list("type", flat=True))
    assert {"future_date", "negative_amount", "period_order", "mixed_currencies"} <= types
    record = Record.objects.get(ocid__iexact=releases[0]["ocid"])
    assert any(i["type"] == "mixed_currencies" for i in record.issues)


def test_a_large_package_imports_in_bounded_memory(cdmx, tmp_path, settings):
    settings.CONTRACTING_IMPORT_BATCH = 20
    base = sample("mexico-cdmx-release-package.json")["releases"][0]
    padding = "x" * 50_000
    path = tmp_path / "big.json"
    count = 250
    with path.open("w") as fh:
        fh.write('{"version": "1.1", "releases": [')
        for n in range(count):
            release = {**base, "id": f"r{n}", "ocid": f"ocds-87sd3t-big-{n % 50}"}
            release["description"] = padding
            fh.write(("," if n else "") + json.dumps(release))
        fh.write("]}")
    size = path.stat().st_size
    assert size > 12 * 1024 * 1024
    # Warm the fixed costs (schemas, merge rules) so the peak measures the streaming alone.
    run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    tracemalloc.start()
    try:
        import_ = run(cdmx, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert import_.status == Import.Status.DONE, import_.error
    assert import_.releases_stored == count
    # A batch (20 × 50 KB) and its copies, whatever the file's size.
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: on SQLite the platform keeps no planner statistics",
)
def test_a_large_import_leaves_postgresql_the_new_row_counts(cdmx, monkeypatch, tmp_path):
    def rows_known(model) -> float:
        with connection.cursor() as cursor:
            table = model._meta.db_table
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    package = sample("mexico-cdmx-release-package.json")
    half = tmp_path / "half.json"
    half.write_text(json.dumps({**package, "releases": package["releases"][:6]}))
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 6)
    run(cdmx, half)
    assert rows_known(Release) == 6
    # An import below the bar leaves the planner's counts as they were (6, not 12)...
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 7)
    assert run(cdmx, SAMPLES / "mexico-cdmx-release-package.json").releases_stored == 6
    assert Release.objects.count() == 12 and rows_known(Release) == 6
    # ...one at the bar refreshes them, for every table a search reads.
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 12)
    Release.objects.all().delete()
    run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    assert rows_known(Release) == 12
    assert rows_known(RecordParty) == RecordParty.objects.count() > 0


def test_numbers_are_read_the_same_through_orjson_as_by_the_walk(tmp_path):
    """`reading.plain` turns ijson's Decimals into numbers by an orjson round trip: whole
    numbers become int, others float, as the Python walk it replaced (still the fallback
    for integers beyond 64 bits) does, on every sample and on awkward numbers."""
    awkward = b'{"a": [1.0, -0.0, 1.5e-05, 1E2, 12345678901234567.0, 3.14, 9007199254740993.0]}'
    documents = [*(p.read_bytes() for p in sorted(SAMPLES.glob("*.json"))), awkward]
    for document in documents:
        parsed = next(ijson.items(io.BytesIO(document), "", use_float=False))
        fast, walked = reading.plain(parsed), reading._walk(parsed)
        assert json.dumps(fast) == json.dumps(walked)
    huge = next(ijson.items(io.BytesIO(b'{"id": 123456789012345678901234, "v": 2.50}'), ""))
    assert reading.plain(huge) == {"id": 123456789012345678901234, "v": 2.5}


def test_stored_releases_say_when_they_were_stored(cdmx):
    import_ = run(cdmx, SAMPLES / "mexico-cdmx-release-package.json")
    moments = set(Release.objects.values_list("created_at", flat=True))
    assert moments and all(import_.started_at <= m <= import_.finished_at for m in moments)
