"""Compile every process again from its stored releases and rebuild the party index.

For data imported before a change to the compiler (new denormalised columns such as stage and
status, or the party index behind the supplier and buyer pages): releases are immutable, so
the records can always be rebuilt from them. Safe to run at any time and more than once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from abierto.contracting import compiling
from abierto.contracting.models import Publisher, Release


class Command(BaseCommand):
    help = "Recompile the records (and their party index) of every process, or of one publisher."

    def add_arguments(self, parser):
        parser.add_argument("--publisher", help="Only this publisher's ocid prefix.")

    def handle(self, *args, publisher: str | None, **options):
        publishers = Publisher.objects.order_by("ocid_prefix")
        if publisher:
            publishers = publishers.filter(ocid_prefix=publisher)
            if not publishers.exists():
                raise CommandError(f"No publisher with ocid prefix {publisher!r}.")
        size = getattr(settings, "CONTRACTING_IMPORT_BATCH", 200)
        total = 0
        for found in publishers:
            ocids = list(
                Release.objects.filter(publisher=found)
                .order_by("ocid")
                .values_list("ocid", flat=True)
                .distinct()
            )
            for start in range(0, len(ocids), size):
                with transaction.atomic():
                    compiling.compile_records(ocids[start : start + size], publisher=found)
                total += len(ocids[start : start + size])
            self.stdout.write(f"{found.ocid_prefix}: {len(ocids)} records compiled")
        self.stdout.write(self.style.SUCCESS(f"{total} records compiled"))
