"""Restore a backup made by `manage.py backup` into an empty, migrated instance."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from abierto.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = _(
        "Restaura un respaldo de «manage.py backup» en una instalación vacía y migrada. "
        "Verifica el archivo antes de escribir nada; si algo falla, no deja nada escrito."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help=_("Respaldo a restaurar (.tar.gz)."))

    def handle(self, *args, archive: Path, **options) -> None:
        try:
            summary = restore_backup(archive)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Respaldo restaurado: %(rows)s registros y %(files)s archivos.")
                    % {"rows": summary.rows, "files": summary.files}
                )
            )
