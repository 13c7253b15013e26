"""Export the whole platform (database and uploaded files) to one .tar.gz archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from abierto.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = _(
        "Exporta toda la plataforma (base de datos y archivos subidos) a un archivo .tar.gz "
        "con manifiesto y sumas de verificación. Se restaura con «manage.py restore»."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help=_("Archivo a escribir (.tar.gz)."))

    def handle(self, *args, archive: Path, **options) -> None:
        try:
            summary = create_backup(archive)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Respaldo escrito en %(path)s: %(rows)s registros y %(files)s archivos.")
                    % {"path": archive, "rows": summary.rows, "files": summary.files}
                )
            )
