"""Publish the platform's own data (STL, plans, participation, contracting) as catalog datasets."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from abierto.catalog import feeds


class Command(BaseCommand):
    help = (
        "Create or update the catalog datasets that publish the platform's own data (one STL "
        "publisher per exercise; datasets for its members, sessions, agreements, plans, events, "
        "proposals and each plan's commitments, milestones and progress; one open contracting "
        "dataset per OCDS publisher). Safe to run again: only what differs is written."
    )

    def handle(self, *args, **options):
        try:
            result = feeds.sync()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if options["verbosity"] >= 2:
            for line in result.lines():
                self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Platform datasets in sync: {result.changed} records written.")
        )
