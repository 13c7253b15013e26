"""Rebuild the catalog's full-text index (after a bulk load that bypassed the signals)."""

from django.core.management.base import BaseCommand

from abierto.catalog import search


class Command(BaseCommand):
    help = "Reconstruye el índice de búsqueda del catálogo de datos abiertos."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options) -> None:
        written = search.reindex(batch_size=batch_size)
        if options["verbosity"]:
            self.stdout.write(f"{written} conjuntos indexados.")
