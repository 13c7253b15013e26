"""Load one file of OCDS data: stream, upgrade, fix ocids, validate, store, compile.

Releases are written in batches, one transaction per batch with the import's progress: a
failure (bad JSON half-way) keeps the batches already written and nothing of the one in
progress. The processes the batches touched are compiled once the set of them grows past
`CONTRACTING_COMPILE_PENDING` and at the end of the file (failed or not), so a feed that
spreads a process's releases over many batches compiles it once rather than after each.
Running a file again is safe: releases already stored count as duplicates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from abierto.contracting import compiling, reading, validation
from abierto.contracting.models import (
    Import,
    Publisher,
    Record,
    RecordParty,
    RecordText,
    Release,
    ValidationIssue,
)
from abierto.contracting.upgrade import looks_like_1_0, upgrade_release
from abierto.core import fast_json, metrics
from abierto.core.rows import insert

PREFIX = re.compile(r"^(ocds-[a-z0-9]{6})-", re.IGNORECASE)
ISSUES_PER_RELEASE = 20
# Releases an import must store before PostgreSQL's statistics are refreshed at its end.
ANALYZE_AFTER = 1000


def canonical_sha256(data: dict[str, Any]) -> str:
    """The hash of the release's content whatever its keys' order: what tells a copy of a
    stored release from another release under the same ocid and id."""
    try:
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # An integer beyond 64 bits: the standard library writes it.
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8"
        )
    return hashlib.sha256(text).hexdigest()


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(slots=True)
class Prepared:
    """A release ready to be stored: its row's values, its JSON written once."""

    key: tuple[str, str]
    date: dt.datetime | None
    tags: list[Any]
    data: str
    sha256: str
    validity: str
    issues: list[dict[str, Any]]


# The columns of a stored release, in the order `Loader.row` gives them.
RELEASE_FIELDS = (
    "publisher",
    "source_import",
    "ocid",
    "release_id",
    "date",
    "tags",
    "data",
    "sha256",
    "validity",
    "issues",
    "created_at",
)


class Loader:
    """One import's run; keeps only counters, the grouped report and the current batch."""

    def __init__(self, import_: Import) -> None:
        self.import_ = import_
        self.publisher = import_.publisher
        self.others = {
            prefix.lower(): name
            for prefix, name in Publisher.objects.exclude(pk=self.publisher.pk).values_list(
                "ocid_prefix", "name"
            )
        }
        self.report = validation.Report()
        self.batch: list[Prepared] = []
        self.batch_size = getattr(settings, "CONTRACTING_IMPORT_BATCH", 200)
        self.pending_limit = getattr(settings, "CONTRACTING_COMPILE_PENDING", 5000)
        # Processes with new releases not compiled yet.
        self.pending: set[str] = set()
        self.now = timezone.now()
        self.linked = 0
        self.upgraded = 0
        self.reader: reading.CountingReader | None = None

    # --- one release ---------------------------------------------------------------------

    def _fix_ocid(self, ocid: str) -> tuple[str, validation.Issue | None]:
        """Apply the publisher's prefix when the ocid has none; say what was wrong."""
        own = self.publisher.ocid_prefix
        match = PREFIX.match(ocid)
        if match is None:
            return f"{own}-{ocid}", validation.Issue(
                "ocid_prefix_added",
                validation.INFO,
                "ocid",
                f"ocid sin prefijo: se antepuso {own}-",
            )
        prefix = match.group(1)
        if prefix == own:
            return ocid, None
        if prefix.lower() == own.lower():
            return ocid, validation.Issue(
                "ocid_prefix_case", validation.WARNING, "ocid", "el prefijo no va en minúsculas"
            )
        if prefix.lower() in self.others:
            return ocid, validation.Issue(
                "ocid_other_publisher",
                validation.ERROR,
                "ocid",
                f"el prefijo {prefix} pertenece a otro publicador "
                f"({self.others[prefix.lower()]}); la entrega no se guarda",
            )
        return ocid, validation.Issue(
            "ocid_prefix_mismatch",
            validation.WARNING,
            "ocid",
            f"el prefijo {prefix} no es el del publicador ({own})",
        )

    def take(self, item: reading.Item) -> None:
        self.linked += item.linked
        if not item.release:
            return
        self.import_.releases_seen += 1
        data = item.release
        if item.version.startswith("1.0") or (not item.version and looks_like_1_0(data)):
            data = upgrade_release(data)
            self.upgraded += 1
        raw_ocid, release_id = data.get("ocid"), data.get("id")
        example = {"ocid": str(raw_ocid or ""), "id": str(release_id or "")}
        if not isinstance(raw_ocid, str) or not raw_ocid or release_id in (None, ""):
            self.import_.releases_rejected += 1
            self.report.add(
                validation.Issue(
                    "missing_ocid_or_id",
                    validation.ERROR,
                    "ocid" if not raw_ocid else "id",
                    "entrega sin ocid o sin id: no se puede guardar",
                ),
                **example,
            )
            return
        ocid, prefix_issue = self._fix_ocid(raw_ocid)
        if prefix_issue is not None:
            self.report.add(prefix_issue, **example)
            if prefix_issue.severity == validation.ERROR:
                self.import_.releases_rejected += 1
                return
        if ocid != raw_ocid:
            data = {**data, "ocid": ocid}
        issues = validation.release_issues(data, now=self.now)
        example = {"ocid": ocid, "id": str(release_id)}
        for issue in issues:
            self.report.add(issue, **example)
        severities = {issue.severity for issue in issues}
        if prefix_issue is not None:
            severities.add(prefix_issue.severity)
            issues.insert(0, prefix_issue)
        validity = (
            Release.Validity.ERRORS
            if validation.ERROR in severities
            else Release.Validity.WARNINGS
            if validation.WARNING in severities
            else Release.Validity.VALID
        ).value
        tags = data.get("tag") if isinstance(data.get("tag"), list) else []
        self.batch.append(
            Prepared(
                key=(ocid, str(release_id)),
                date=validation._date(data.get("date")),
                tags=tags,
                data=fast_json.text(data),
                sha256=canonical_sha256(data),
                validity=validity,
                issues=[issue.as_dict() for issue in issues[:ISSUES_PER_RELEASE]],
            )
        )
        if len(self.batch) >= self.batch_size:
            self.flush()

    # --- one batch -------------------------------------------------------------------------

    def row(self, prepared: Prepared, stored_at: Any) -> tuple:
        """The values of a release's row, in `RELEASE_FIELDS`' order."""
        return (
            self.publisher.pk,
            self.import_.pk,
            *prepared.key,
            connection.ops.adapt_datetimefield_value(prepared.date),
            fast_json.text(prepared.tags),
            prepared.data,
            prepared.sha256,
            prepared.validity,
            fast_json.text(prepared.issues),
            stored_at,
        )

    def _same_as_stored(self, stored: list[Prepared]) -> set[tuple[str, str]]:
        """The keys of those releases whose content equals the stored one's.

        Their hashes differed, but a release stored by an earlier version of Abierto was
        hashed as the standard library writes JSON, which writes some numbers otherwise
        (1.5e-05, not 0.000015): the documents themselves decide, read back for these few."""
        if not stored:
            return set()
        keys = {p.key for p in stored}
        found = Release.objects.filter(ocid__in={ocid for ocid, _ in keys}).values_list(
            "ocid", "release_id", "data"
        )
        documents = {(ocid, rid): data for ocid, rid, data in found if (ocid, rid) in keys}
        return {p.key for p in stored if documents.get(p.key) == orjson.loads(p.data)}

    def flush(self) -> None:
        """Store the batch's new releases; count copies and report conflicts."""
        batch, self.batch = self.batch, []
        with transaction.atomic():
            ocids = {p.key[0] for p in batch}
            known = {
                (ocid, release_id): sha
                for ocid, release_id, sha in Release.objects.filter(ocid__in=ocids).values_list(
                    "ocid", "release_id", "sha256"
                )
            }
            stored = set(known)
            same = self._same_as_stored(
                [p for p in batch if p.key in stored and known[p.key] != p.sha256]
            )
            new = []
            for prepared in batch:
                stored_sha = known.get(prepared.key)
                if stored_sha is None:
                    known[prepared.key] = prepared.sha256
                    new.append(prepared)
                    self.import_.releases_invalid += prepared.validity == Release.Validity.ERRORS
                elif stored_sha == prepared.sha256 or prepared.key in same:
                    self.import_.releases_duplicate += 1
                else:
                    self.import_.releases_conflicting += 1
                    self.report.add(
                        validation.Issue(
                            "conflicting_release",
                            validation.ERROR,
                            "id",
                            "ya hay una entrega con el mismo ocid e id y otro contenido; "
                            "se conserva la primera",
                        ),
                        ocid=prepared.key[0],
                        id=prepared.key[1],
                    )
            # Plain rows: `bulk_create` built a model object per release and prepared each
            # value through its field, a fifth of the import's CPU.
            stored_at = connection.ops.adapt_datetimefield_value(timezone.now())
            insert(Release, RELEASE_FIELDS, (self.row(p, stored_at) for p in new))
            self.import_.releases_stored += len(new)
            self.pending.update(prepared.key[0] for prepared in new)
            if self.reader is not None:
                self.import_.bytes_read = self.reader.count
            self.import_.save(update_fields=[*COUNTERS, "bytes_read"])
        if len(self.pending) >= self.pending_limit:
            self.compile_pending()

    def compile_pending(self) -> None:
        """Compile the processes with new releases, a batch per transaction."""
        ocids, self.pending = sorted(self.pending), set()
        for start in range(0, len(ocids), self.batch_size):
            with transaction.atomic():
                chunk = ocids[start : start + self.batch_size]
                for record in compiling.compile_records(chunk, publisher=self.publisher):
                    self.import_.records_compiled += 1
                    for issue in record.issues:
                        self.report.add(validation.Issue(**issue), ocid=record.ocid)
                self.import_.save(update_fields=["records_compiled"])

    def finish(self) -> None:
        ValidationIssue.objects.filter(source_import=self.import_).delete()
        ValidationIssue.objects.bulk_create(
            ValidationIssue(
                source_import=self.import_,
                type=group.type,
                severity=group.severity,
                path=group.path[:500],
                message=group.message,
                count=group.count,
                examples=group.examples,
            )
            for group in self.report.groups.values()
        )

    def summary(self) -> dict[str, Any]:
        return {
            "issues": self.report.summary(),
            "linked_releases_not_fetched": self.linked,
            "upgraded_from_1_0": self.upgraded,
            "issue_groups_dropped": self.report.dropped,
        }


COUNTERS = (
    "releases_seen",
    "releases_stored",
    "releases_duplicate",
    "releases_conflicting",
    "releases_invalid",
    "releases_rejected",
    "records_compiled",
)


def refresh_statistics() -> None:
    """Give PostgreSQL's planner the contracting tables' new statistics.

    After a large import its estimates are stale until autovacuum's next analyse (minutes
    away, or never where it is turned off): it then took the 23,397 buyers of a search facet
    for 47 and chose nested loops over them (95 ms; 54 ms once analysed). ANALYZE reads a
    sample, so it costs well under a second at any size. SQLite plans without statistics."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = ", ".join(quote(m._meta.db_table) for m in (Release, Record, RecordParty, RecordText))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def load(import_: Import, path: str) -> Import:
    """Run the import of the file at `path`; the import ends done or failed, never half-way."""
    import_.status = Import.Status.RUNNING
    import_.started_at = timezone.now()
    import_.finished_at = None
    import_.error = ""
    import_.bytes_read = 0
    for name in COUNTERS:
        setattr(import_, name, 0)
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        import_.bytes_total = fh.tell()
    import_.sha256 = import_.sha256 or file_sha256(path)
    import_.save()
    loader = Loader(import_)
    try:
        source = reading.sniff(path)
        import_.format = source.format
        with open(path, "rb") as raw:
            loader.reader = reading.CountingReader(raw)
            for item in reading.iterate(loader.reader, source):
                loader.take(item)
            loader.flush()
    except reading.ReadError as exc:
        import_.status = Import.Status.FAILED
        import_.error = str(exc)
    finally:
        # What was stored is compiled even when the file broke off half-way.
        loader.compile_pending()
    if import_.releases_stored >= ANALYZE_AFTER:
        refresh_statistics()
    if import_.status != Import.Status.FAILED:
        import_.status = Import.Status.DONE
        import_.bytes_read = import_.bytes_total
    import_.finished_at = timezone.now()
    import_.report = {"format": import_.format, **loader.summary()}
    loader.finish()
    import_.save()
    metrics.count_import(
        "contracting",
        rows=import_.releases_stored,
        ok=import_.status == Import.Status.DONE,
    )
    return import_


def elapsed(import_: Import) -> dt.timedelta | None:
    if import_.started_at and import_.finished_at:
        return import_.finished_at - import_.started_at
    return None
