"""Load the demo data (by default the Jalisco demo under abierto/demo); safe to run again."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from abierto.core.demo import DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo data from its YAML files in one transaction. Running it again changes "
        "nothing; an error in a file changes nothing either."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path",
            type=Path,
            default=None,
            help="Folder with the demo data files (default: settings.DEMO_DATA_DIR).",
        )

    def handle(self, *args, path: Path | None, **options):
        try:
            tally = load_demo(path)
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 2:
            for line in tally.lines():
                self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded: {tally.changed} records created or updated.")
        )
