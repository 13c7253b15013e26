"""Load the demo data (by default the Jalisco demo under abierto/demo); safe to run again."""

from __future__ import annotations

import importlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

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
            # One transaction for everything: a bad file in any app leaves the database as it was.
            with transaction.atomic():
                tally = load_demo(path)
                for loader in _app_loaders():
                    tally.update(loader(path or settings.DEMO_DATA_DIR))
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 2:
            for line in tally.lines():
                self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded: {tally.changed} records created or updated.")
        )


def _app_loaders():
    """Apps above core bring their own demo (participation, contracting, …).

    Each may have a `demo` module whose `load_demo(root: Path) -> Tally` loads its files under
    the demo folder, raising DemoDataError (naming file and key) on bad data.
    """
    for app in apps.get_app_configs():
        if not app.name.startswith("abierto.") or app.label == "core":
            continue
        try:
            module = importlib.import_module(f"{app.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app.name}.demo":
                raise
            continue
        yield module.load_demo
