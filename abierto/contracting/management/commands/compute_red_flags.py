"""Recompute the red flags of every process, or of one publisher's processes."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from abierto.contracting import redflags
from abierto.contracting.models import Publisher


class Command(BaseCommand):
    help = "Recompute and store the red flags (risk signals) of the OCDS records."

    def add_arguments(self, parser):
        parser.add_argument("--publisher", help="Only this publisher's ocid prefix.")

    def handle(self, *args, publisher: str | None = None, **options):
        try:
            counts = redflags.refresh(publisher)
        except Publisher.DoesNotExist as exc:
            raise CommandError(str(exc)) from exc
        total = sum(counts.values())
        self.stdout.write(f"{total} red flags stored.")
        for code, count in sorted(counts.items()):
            self.stdout.write(f"  {code}: {count}")
