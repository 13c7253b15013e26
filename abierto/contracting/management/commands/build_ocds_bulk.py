"""Write the yearly bulk files (packages, JSON Lines, CSV, XLSX) and register them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from abierto.contracting import bulk
from abierto.contracting.models import Publisher


class Command(BaseCommand):
    help = (
        "Build the yearly OCDS bulk files of every publisher (or one, or one year) in this "
        "process, publish them atomically and register them in the catalog."
    )

    def add_arguments(self, parser):
        parser.add_argument("--publisher", help="Only this publisher (its ocid prefix).")
        parser.add_argument("--year", type=int, help="Only this year.")

    def handle(self, *args, publisher: str | None, year: int | None, **options):
        publishers = Publisher.objects.order_by("name")
        if publisher:
            publishers = publishers.filter(ocid_prefix=publisher)
            if not publishers.exists():
                raise CommandError(f"No publisher with ocid prefix {publisher!r}.")
        for each in publishers:
            built = bulk.build(each, [year] if year else None)
            for data in built:
                counts = {f["name"]: f["count"] for f in data["files"]}
                self.stdout.write(
                    f"{each.ocid_prefix} {data['year']}: {counts['entregas.json']} releases, "
                    f"{counts['registros.json']} records."
                )
            if not built:
                self.stdout.write(f"{each.ocid_prefix}: no data{f' in {year}' if year else ''}.")
        bulk.sync_catalog()
