"""Yearly bulk files of each publisher: release and record packages, JSON Lines, CSV and XLSX.

A year's files are written to a local temporary folder, streamed from the database in keyset
chunks (never the whole year in memory), then stored under a folder of their own build in the
default storage (`contracting/bulk/<prefix>/<year>/<build>/…`). Only then is the year's
`manifest.json` replaced, atomically (a temporary name renamed over it on the file system; a
single PUT on object storage), so a download sees the previous build or the new one, never half
a file. The manifest holds what the download page shows and the view serves: size, count,
SHA-256 (the ETag) and the date of the build. The build before the current one is kept, so a
download that read the old manifest a moment ago still finds its file.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from abierto.contracting import flattening, packaging
from abierto.contracting.importing import file_sha256
from abierto.contracting.models import Publisher, Record, Release
from abierto.core.exports import FORMULA_PREFIXES

logger = logging.getLogger("abierto.contracting")

ROOT = "contracting/bulk"
MANIFEST = "manifest.json"
# Releases or records read (and held) at a time: CONTRACTING_BULK_CHUNK.
CHUNK = 100
XLSX_MAX_ROWS = 1_048_576
# Excel's limit per cell; longer texts are cut in the XLSX (the CSV and JSON keep them whole).
XLSX_MAX_CHARS = 32_767
RELEASE_SCHEMA = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
RELEASE_PACKAGE_SCHEMA = (
    "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
)
RECORD_PACKAGE_SCHEMA = (
    "https://standard.open-contracting.org/schema/1__1__5/record-package-schema.json"
)


@dataclass(frozen=True)
class Kind:
    """One of the files each year gets."""

    name: str
    format: str
    media_type: str
    conforms_to: str
    # "releases" or "records": what its count counts
    counts: str


KINDS = (
    Kind("entregas.json", "JSON", "application/json", RELEASE_PACKAGE_SCHEMA, "releases"),
    Kind("entregas.jsonl", "JSONL", "application/x-ndjson", RELEASE_SCHEMA, "releases"),
    Kind("registros.json", "JSON", "application/json", RECORD_PACKAGE_SCHEMA, "records"),
    Kind("registros-csv.zip", "CSV", "application/zip", "", "records"),
    Kind(
        "registros.xlsx",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "",
        "records",
    ),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def file_url(prefix: str, year: int, name: str) -> str:
    """The stable public address of one bulk file."""
    return _absolute(reverse("contracting:bulk_file", args=[prefix, year, name]))


def _year_dir(prefix: str, year: int) -> str:
    return f"{ROOT}/{prefix}/{year}"


# ------------------------------------------------------------------------------ what exists


def years(publisher: Publisher) -> list[int]:
    """The years with data: of the releases' dates, and of the records' `year`."""
    found = {d.year for d in Release.objects.filter(publisher=publisher).dates("date", "year")}
    found |= set(
        Record.objects.filter(publisher=publisher, year__isnull=False)
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(found)


def manifest(prefix: str, year: int, storage: Storage | None = None) -> dict[str, Any] | None:
    """The published files of one year, or None when the year has none."""
    storage = storage or default_storage
    name = f"{_year_dir(prefix, year)}/{MANIFEST}"
    try:
        with storage.open(name, "rb") as fh:
            return json.load(fh)
    except (FileNotFoundError, OSError, ValueError):
        return None


def published(publisher: Publisher, storage: Storage | None = None) -> list[dict[str, Any]]:
    """The manifests of every year the publisher has files for, newest year first."""
    storage = storage or default_storage
    try:
        folders, _ = storage.listdir(f"{ROOT}/{publisher.ocid_prefix}")
    except (FileNotFoundError, OSError):
        return []
    found = []
    for folder in folders:
        if folder.isdigit() and (data := manifest(publisher.ocid_prefix, int(folder), storage)):
            found.append(data)
    return sorted(found, key=lambda m: m["year"], reverse=True)


# --------------------------------------------------------------------------- reading chunks


def _chunk() -> int:
    return getattr(settings, "CONTRACTING_BULK_CHUNK", CHUNK)


def _year_releases(publisher: Publisher, year: int) -> Iterator[Release]:
    """The year's releases by (date, pk), read a chunk at a time by keyset."""
    size = _chunk()
    base = Release.objects.filter(publisher=publisher, date__year=year).order_by("date", "pk")
    after: tuple[dt.datetime, int] | None = None
    while True:
        qs = (
            base
            if after is None
            else base.filter(Q(date__gt=after[0]) | Q(date=after[0], pk__gt=after[1]))
        )
        chunk = list(qs.only("pk", "date", "data")[:size])
        yield from chunk
        if len(chunk) < size:
            return
        after = (chunk[-1].date, chunk[-1].pk)


def _year_records(publisher: Publisher, year: int) -> Iterator[list[Record]]:
    """The year's records by ocid, a chunk at a time."""
    size = _chunk()
    base = Record.objects.filter(publisher=publisher, year=year).order_by("ocid")
    last = None
    while True:
        qs = base if last is None else base.filter(ocid__gt=last)
        chunk = list(qs.only("pk", "ocid", "compiled_release")[:size])
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        last = chunk[-1].ocid


# ---------------------------------------------------------------------------------- writing


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _package_head(uri: str, publisher: Publisher, key: str) -> str:
    return _dumps(packaging.metadata(uri, publisher))[:-1] + f',"{key}":['


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


class _Tables:
    """The flat tables of a year, written row by row to one CSV each and to one XLSX."""

    def __init__(self, folder: Path, xlsx_path: Path) -> None:
        self.folder = folder
        self.tables = flattening.tables()
        self.handles = {}
        self.writers = {}
        self.workbook = xlsxwriter.Workbook(
            str(xlsx_path), {"constant_memory": True, "strings_to_formulas": False}
        )
        bold = self.workbook.add_format({"bold": True})
        self.sheets = {}
        self.rows: dict[str, int] = {}
        self.truncated: set[str] = set()
        used: set[str] = set()
        for table in self.tables:
            fh = (folder / f"{table.name}.csv").open("w", encoding="utf-8", newline="")
            self.handles[table.name] = fh
            self.writers[table.name] = csv.writer(fh)
            self.writers[table.name].writerow(table.columns)
            # Sheet names are at most 31 characters in Excel.
            sheet_name, n = table.name[:31], 2
            while sheet_name in used:
                sheet_name, n = f"{table.name[:28]}~{n}", n + 1
            used.add(sheet_name)
            sheet = self.workbook.add_worksheet(sheet_name)
            sheet.write_row(0, 0, table.columns, bold)
            self.sheets[table.name] = sheet
            self.rows[table.name] = 1

    def add(self, release: dict[str, Any]) -> None:
        for table, row in flattening.rows(release):
            self.writers[table.name].writerow([_csv_cell(v) for v in row])
            n = self.rows[table.name]
            if n >= XLSX_MAX_ROWS:
                self.truncated.add(table.name)
                continue
            sheet = self.sheets[table.name]
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(n, col, value)
                elif isinstance(value, int | float):
                    sheet.write_number(n, col, value)
                else:
                    sheet.write_string(n, col, str(value)[:XLSX_MAX_CHARS])
            self.rows[table.name] = n + 1

    def close(self, zip_path: Path) -> None:
        for fh in self.handles.values():
            fh.close()
        self.workbook.close()
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in self.tables:
                archive.write(self.folder / f"{table.name}.csv", arcname=f"{table.name}.csv")


def write_year(publisher: Publisher, year: int, folder: Path) -> dict[str, dict[str, Any]]:
    """Write the year's five files into `folder`; return each one's count and notes."""
    prefix = publisher.ocid_prefix
    counts: dict[str, int] = {"releases": 0, "records": 0}
    with (
        (folder / "entregas.json").open("w", encoding="utf-8") as package,
        (folder / "entregas.jsonl").open("w", encoding="utf-8") as lines,
    ):
        package.write(_package_head(file_url(prefix, year, "entregas.json"), publisher, "releases"))
        for release in _year_releases(publisher, year):
            text = _dumps(release.data)
            package.write(("," if counts["releases"] else "") + text)
            lines.write(text + "\n")
            counts["releases"] += 1
        package.write("]}")

    flat_dir = folder / "csv"
    flat_dir.mkdir()
    tables = _Tables(flat_dir, folder / "registros.xlsx")
    with (folder / "registros.json").open("w", encoding="utf-8") as package:
        uri = file_url(prefix, year, "registros.json")
        package.write(_package_head(uri, publisher, "records"))

        def release_url(release) -> str:
            return _absolute(reverse("contracting:release", args=[release.pk]))

        for chunk in _year_records(publisher, year):
            linked = packaging.linked_releases([rec.ocid for rec in chunk])
            for rec in chunk:
                data = packaging.record(rec, release_url, releases=linked[rec.ocid])
                package.write(("," if counts["records"] else "") + _dumps(data))
                tables.add(rec.compiled_release)
                counts["records"] += 1
        package.write("]}")
    tables.close(folder / "registros-csv.zip")
    shutil.rmtree(flat_dir)
    notes = {
        "registros.xlsx": sorted(tables.truncated),
    }
    return {
        kind.name: {"count": counts[kind.counts], "truncated": notes.get(kind.name, [])}
        for kind in KINDS
    }


# ------------------------------------------------------------------------------- publishing


def replace(storage: Storage, name: str, data: bytes) -> None:
    """Write `name` whole or not at all: readers see the old content or the new."""
    try:
        final = storage.path(name)
    except NotImplementedError:
        # Object storage: one PUT replaces the object whole. `_save` keeps the exact name
        # (save() would pick another one next to the existing object).
        storage._save(name, ContentFile(data))
        return
    os.makedirs(os.path.dirname(final), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(final), prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _builds(storage: Storage, prefix: str, year: int) -> list[str]:
    try:
        folders, _ = storage.listdir(_year_dir(prefix, year))
    except (FileNotFoundError, OSError):
        return []
    return sorted(folders)


def _delete_build(storage: Storage, prefix: str, year: int, build: str) -> None:
    folder = f"{_year_dir(prefix, year)}/{build}"
    try:
        _, names = storage.listdir(folder)
    except (FileNotFoundError, OSError):
        return
    for name in names:
        storage.delete(f"{folder}/{name}")
    # Object storage has no folders to remove.
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(storage.path(folder))


def remove_unpublished(publisher: Publisher, storage: Storage | None = None) -> int:
    """Delete the builds no manifest names (current or previous): what an interrupted build
    left. Returns how many were removed."""
    storage = storage or default_storage
    removed = 0
    prefix = publisher.ocid_prefix
    try:
        folders, _ = storage.listdir(f"{ROOT}/{prefix}")
    except (FileNotFoundError, OSError):
        return 0
    for folder in filter(str.isdigit, folders):
        year = int(folder)
        current = manifest(prefix, year, storage) or {}
        keep = {current.get("build"), current.get("previous")}
        for build in _builds(storage, prefix, year):
            if build not in keep:
                _delete_build(storage, prefix, year, build)
                removed += 1
    return removed


def build_year(
    publisher: Publisher, year: int, storage: Storage | None = None
) -> dict[str, Any] | None:
    """Write and publish one year's files; None (and the year withdrawn) when it has no data."""
    storage = storage or default_storage
    prefix = publisher.ocid_prefix
    with tempfile.TemporaryDirectory(prefix="ocds-bulk-") as tmp:
        written = write_year(publisher, year, Path(tmp))
        if not any(info["count"] for info in written.values()):
            withdraw(publisher, year, storage)
            return None
        generated = timezone.now()
        build = f"{generated:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
        files = []
        for kind in KINDS:
            path = Path(tmp) / kind.name
            with path.open("rb") as fh:
                stored = storage.save(f"{_year_dir(prefix, year)}/{build}/{kind.name}", File(fh))
            files.append(
                {
                    "name": kind.name,
                    "path": stored,
                    "format": kind.format,
                    "media_type": kind.media_type,
                    "conforms_to": kind.conforms_to,
                    "size": path.stat().st_size,
                    "sha256": file_sha256(str(path)),
                    **written[kind.name],
                }
            )
    previous = manifest(prefix, year, storage) or {}
    data = {
        "publisher": prefix,
        "publisher_name": publisher.name,
        "year": year,
        "generated": generated.isoformat(),
        "build": build,
        "previous": previous.get("build"),
        "files": files,
    }
    replace(
        storage,
        f"{_year_dir(prefix, year)}/{MANIFEST}",
        json.dumps(data, ensure_ascii=False, indent=1).encode(),
    )
    # Older builds go; the previous one stays for downloads that started on it.
    for old in _builds(storage, prefix, year):
        if old not in (build, previous.get("build")) and old < build:
            _delete_build(storage, prefix, year, old)
    return data


def withdraw(publisher: Publisher, year: int, storage: Storage | None = None) -> None:
    """Remove a year that has no data any more: its manifest first, then its builds."""
    storage = storage or default_storage
    prefix = publisher.ocid_prefix
    storage.delete(f"{_year_dir(prefix, year)}/{MANIFEST}")
    for build in _builds(storage, prefix, year):
        _delete_build(storage, prefix, year, build)


def build(
    publisher: Publisher, only_years: list[int] | None = None, storage: Storage | None = None
) -> list[dict[str, Any]]:
    """Build the given years (all the publisher's years, and withdraw the others, if None)."""
    storage = storage or default_storage
    wanted = sorted(set(only_years)) if only_years is not None else years(publisher)
    done = []
    for year in wanted:
        data = build_year(publisher, year, storage)
        if data is not None:
            done.append(data)
        logger.info("OCDS bulk files of %s %s: %s", publisher.ocid_prefix, year, bool(data))
    if only_years is None:
        for stale in published(publisher, storage):
            if stale["year"] not in wanted:
                withdraw(publisher, stale["year"], storage)
    return done


def sync_catalog() -> None:
    """Register the files in the catalog (the publisher's open contracting dataset)."""
    from django.apps import apps

    if apps.is_installed("abierto.catalog"):
        from abierto.catalog import feeds

        feeds.sync_contracting()
