"""Whole-platform backups: the database and every uploaded file in one .tar.gz archive.

Archive layout:

- `database.json`: Django's JSON serialisation (`dumpdata --natural-foreign --all`, with times
  to the microsecond: core/exact_json.py). Every row
  keeps its primary key, because the audit log's history and generic relations (documents
  attached to a progress update) refer to objects by id. Content types and permissions are
  left out: `migrate` recreates them in the new instance, under other ids, and the rows that
  point at them do so by natural key (app label and model name), which survives that.
- `media/<name>`: every file in the default storage, under its storage name.
- `manifest.json` (last): format version, date, the schema's migrations, the number of rows
  per model and the SHA-256 and size of every other member.

Left out on purpose, because they are transient or derived: sessions (everyone signs in
again), login-throttling counters (axes.AccessAttempt), the task queue's results
(django_tasks_db: a queued task would run twice against restored data), and the catalog's
full-text index (catalog.DatasetSearch, an FTS5 virtual table on SQLite), rebuilt by
`reindex_catalog` after a restore.

A restore checks everything before writing anything: the manifest, each member's checksum,
that the schema matches, and that the instance is empty. Then it writes the files, loads the
rows in one transaction and checks the counts; if loading fails, the files it wrote are
removed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import ijson
from django.apps import apps
from django.core import serializers
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command, get_commands
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model, signals
from django.utils import timezone
from django.utils.translation import gettext as _

from abierto.core import exact_json

FORMAT = "abierto-backup"
VERSION = 1
DATABASE_MEMBER = "database.json"
MANIFEST_MEMBER = "manifest.json"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024

EXCLUDED = (
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes.accessattempt",
    "django_tasks_database",
    "catalog.datasetsearch",
)
# Rows that `migrate` itself writes into a new instance (data migrations): their presence does
# not make an instance "not empty", and the backup's copies replace them (ids may differ).
SEEDED_BY_MIGRATIONS = frozenset({"auth.group", "catalog.licence"})


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in Spanish."""


@dataclass
class Summary:
    rows: int = 0
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)


# --- Writing --------------------------------------------------------------------------------


def create_backup(archive: Path, *, storage: Storage | None = None) -> Summary:
    """Write the whole platform to `archive` (.tar.gz); a failure leaves no partial archive."""
    storage = storage or default_storage
    archive = Path(archive)
    archive.parent.mkdir(parents=True, exist_ok=True)
    members: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="abierto-backup-") as workdir:
        dump = Path(workdir) / DATABASE_MEMBER
        _dump_database(dump)
        counts = _count_models(dump)
        partial = archive.with_name(archive.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                with dump.open("rb") as source:
                    members[DATABASE_MEMBER] = _add(
                        tar, DATABASE_MEMBER, source, dump.stat().st_size
                    )
                for name in sorted(media_names(storage)):
                    with storage.open(name, "rb") as source:
                        members[MEDIA_PREFIX + name] = _add(
                            tar, MEDIA_PREFIX + name, source, storage.size(name)
                        )
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": timezone.now().isoformat(),
                    "database_vendor": connection.vendor,
                    "migrations": sorted(f"{app}.{name}" for app, name in _applied_migrations()),
                    "excluded": list(EXCLUDED),
                    "counts": counts,
                    "members": members,
                }
                body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST_MEMBER)
                info.size = len(body)
                info.mtime = int(timezone.now().timestamp())
                tar.addfile(info, io.BytesIO(body))
            partial.replace(archive)
        finally:
            partial.unlink(missing_ok=True)
    return Summary(rows=sum(counts.values()), files=len(members) - 1, counts=counts)


def _dump_database(path: Path) -> None:
    # On PostgreSQL the whole dump reads one snapshot, so rows written meanwhile by the site or
    # the workers cannot leave a progress update without its milestone. (SQLite would take the
    # write lock for the duration instead: there the dump runs without one; see docs/deploy.md.)
    snapshot = connection.vendor == "postgresql"
    with transaction.atomic() if snapshot else contextlib.nullcontext():
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        call_command(
            "dumpdata",
            format=_exact_json_format(),
            natural_foreign=True,
            # Base managers: a default manager that hides rows (soft deletes) must not lose them.
            use_base_manager=True,
            exclude=list(EXCLUDED),
            output=str(path),
            verbosity=0,
        )


def _exact_json_format() -> str:
    if exact_json.FORMAT not in serializers.get_serializer_formats():
        serializers.register_serializer(exact_json.FORMAT, exact_json.__name__)
    return exact_json.FORMAT


def _count_models(dump: Path) -> dict[str, int]:
    # Counted from the dump itself (streamed), so the manifest says what the archive holds.
    with dump.open("rb") as source:
        counts = Counter(ijson.items(source, "item.model"))
    return dict(sorted(counts.items()))


def media_names(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in the storage, recursively, as the storage names it."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return  # no upload yet: the media folder does not exist
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from media_names(storage, f"{folder}/{sub}" if folder else sub)


class _HashingReader:
    """Hands a file to tarfile while summing it, so every byte is read once."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.digest.update(chunk)
        return chunk


def _add(tar: tarfile.TarFile, name: str, source: IO[bytes], size: int) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(timezone.now().timestamp())
    reader = _HashingReader(source)
    tar.addfile(info, reader)
    return {"sha256": reader.digest.hexdigest(), "size": size}


def _applied_migrations() -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())


# --- Restoring ------------------------------------------------------------------------------


def restore_backup(archive: Path, *, storage: Storage | None = None) -> Summary:
    """Restore `archive` into this empty, migrated instance; on any error nothing stays written."""
    storage = storage or default_storage
    with tempfile.TemporaryDirectory(prefix="abierto-restore-") as workdir:
        staged = Path(workdir)
        manifest = _unpack_and_verify(Path(archive), staged)
        _check_schema(manifest)
        _check_empty()
        media = [name for name in manifest["members"] if name.startswith(MEDIA_PREFIX)]
        existing = [name for name in media if storage.exists(name[len(MEDIA_PREFIX) :])]
        if existing:
            raise BackupError(
                _("Ya existen archivos con los nombres del respaldo, p. ej. «%(name)s».")
                % {"name": existing[0][len(MEDIA_PREFIX) :]}
            )
        written: list[str] = []
        try:
            for member in media:
                name = member[len(MEDIA_PREFIX) :]
                with (staged / member).open("rb") as source:
                    stored = storage.save(name, File(source))
                written.append(stored)
                if stored != name:
                    raise BackupError(
                        _("El almacenamiento guardó «%(name)s» con otro nombre.") % {"name": name}
                    )
            _load(staged / DATABASE_MEMBER, manifest["counts"])
        except BaseException:
            for name in written:
                storage.delete(name)
            raise
    # Derived data, rebuilt rather than restored; called by name, as core imports no other app.
    if "reindex_catalog" in get_commands():
        call_command("reindex_catalog", verbosity=0)
    # Cached pages were rendered from what this instance held before.
    cache.clear()
    return Summary(
        rows=sum(manifest["counts"].values()), files=len(media), counts=manifest["counts"]
    )


def _unpack_and_verify(archive: Path, staged: Path) -> dict[str, Any]:
    """Unpack into `staged`, summing each member; raise BackupError unless all is as listed."""
    sums: dict[str, str] = {}
    try:
        # Stream mode: members are read once, in order, and a truncated file fails loudly.
        with tarfile.open(archive, "r|gz") as tar:
            for info in tar:
                name = _safe_member_name(info)
                target = staged / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                source = tar.extractfile(info)
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                sums[name] = digest.hexdigest()
    except FileNotFoundError as error:
        raise BackupError(_("No existe el archivo «%(path)s».") % {"path": archive}) from error
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(
            _("El respaldo está dañado o incompleto (%(error)s); no se escribió nada.")
            % {"error": error}
        ) from error
    if MANIFEST_MEMBER not in sums:
        raise BackupError(_("El respaldo no tiene manifest.json; no se escribió nada."))
    try:
        manifest = json.loads((staged / MANIFEST_MEMBER).read_text())
    except ValueError as error:
        raise BackupError(_("El manifest.json del respaldo no es JSON válido.")) from error
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            _("Este archivo no es un respaldo de Abierto en un formato conocido (versión %(v)s).")
            % {"v": manifest.get("version")}
        )
    listed = manifest.get("members", {})
    found = {name: value for name, value in sums.items() if name != MANIFEST_MEMBER}
    if set(listed) != set(found) or DATABASE_MEMBER not in found:
        raise BackupError(
            _("El contenido del respaldo no coincide con su manifiesto; no se escribió nada.")
        )
    for name, digest in found.items():
        if listed[name].get("sha256") != digest:
            raise BackupError(
                _(
                    "La suma de verificación de «%(name)s» no coincide: el respaldo fue alterado "
                    "o está dañado; no se escribió nada."
                )
                % {"name": name}
            )
    return manifest


def _safe_member_name(info: tarfile.TarInfo) -> str:
    path = PurePosixPath(info.name)
    allowed = info.name in (DATABASE_MEMBER, MANIFEST_MEMBER) or info.name.startswith(MEDIA_PREFIX)
    if (
        not info.isfile()
        or not allowed
        or path.is_absolute()
        or ".." in path.parts
        or "\\" in info.name
    ):
        raise BackupError(
            _("El respaldo contiene una entrada no permitida: «%(name)s».") % {"name": info.name}
        )
    return info.name


def _check_schema(manifest: dict[str, Any]) -> None:
    applied = {f"{app}.{name}" for app, name in _applied_migrations()}
    missing = sorted(set(manifest.get("migrations", [])) - applied)
    if missing:
        raise BackupError(
            _(
                "El respaldo viene de una versión más nueva de la plataforma (falta aplicar "
                "%(migration)s y otras %(more)s migraciones). Actualice el código y ejecute "
                "«manage.py migrate» antes de restaurar."
            )
            % {"migration": missing[0], "more": len(missing) - 1}
        )


def content_models() -> list[type[Model]]:
    """The models a backup holds: concrete, managed, not excluded."""
    excluded_apps = {label for label in EXCLUDED if "." not in label}
    excluded_models = {label for label in EXCLUDED if "." in label}
    return [
        model
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.app_label not in excluded_apps
        and model._meta.label_lower not in excluded_models
    ]


def _check_empty() -> None:
    holding = [
        model._meta.label_lower
        for model in content_models()
        if model._meta.label_lower not in SEEDED_BY_MIGRATIONS and model._base_manager.exists()
    ]
    if holding:
        raise BackupError(
            _(
                "La base de datos ya tiene contenido (%(models)s). Un respaldo solo se restaura "
                "en una instalación vacía: cree una base de datos nueva y ejecute «manage.py "
                "migrate»."
            )
            % {"models": ", ".join(holding[:5]) + ("…" if len(holding) > 5 else "")}
        )


def _load(dump: Path, counts: dict[str, int]) -> None:
    with transaction.atomic(), _model_signals_muted():
        # The rows migrations seeded here (groups, licences) may carry other ids than the
        # backup's copies of the same rows: the backup's replace them.
        for label in SEEDED_BY_MIGRATIONS:
            apps.get_model(label)._base_manager.all().delete()
        call_command("loaddata", str(dump), verbosity=0)
        for label, expected in counts.items():
            model = apps.get_model(label)
            found = model._base_manager.count()
            if found != expected:
                raise BackupError(
                    _("Tras cargar, %(model)s tiene %(found)s filas y el respaldo %(expected)s.")
                    % {"model": label, "found": found, "expected": expected}
                )


@contextlib.contextmanager
def _model_signals_muted() -> Iterator[None]:
    """Silence model signals while restoring.

    A restore replays stored rows; nothing must react to them as if they were new changes.
    loaddata marks saves as raw, but not every receiver honours that (the catalog's
    platform-dataset feeds react to each audit entry saved, and m2m_changed carries no raw
    flag), and a receiver that writes rows during the load would clash with the rows still to
    come. Derived data (the search index) is rebuilt after the load instead.
    """
    model_signals = (
        signals.pre_save,
        signals.post_save,
        signals.pre_delete,
        signals.post_delete,
        signals.m2m_changed,
    )
    saved = []
    for signal in model_signals:
        with signal.lock:
            saved.append((signal, signal.receivers))
            signal.receivers = []
            signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in saved:
            with signal.lock:
                signal.receivers = receivers
                signal.sender_receivers_cache.clear()
