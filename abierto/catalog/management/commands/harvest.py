"""Harvest remote catalogs now: one source by its key, or every source that is due (cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from abierto.catalog import harvesting
from abierto.catalog.models import HarvestRun, HarvestSource


class Command(BaseCommand):
    help = (
        "Run a harvest source now (by its key), or with --due every active daily or weekly "
        "source whose last finished run is a day or a week old. Runs in this process; exits "
        "with an error when a run failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", help="The source's key (HarvestSource.name).")
        parser.add_argument("--due", action="store_true", help="Run every source that is due.")
        parser.add_argument(
            "--preview", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, source: str | None, due: bool, preview: bool, **options):
        if bool(source) == due:
            raise CommandError("Give a source's key or --due (one of them).")
        if due:
            sources = harvesting.due_sources()
        else:
            found = HarvestSource.objects.filter(name=source).first()
            if found is None:
                raise CommandError(f"No harvest source with the key {source!r}.")
            sources = [found]
        failed = []
        for each in sources:
            if harvesting.active_run(each) is not None:
                self.stdout.write(f"{each.name}: a run is already under way; skipped.")
                continue
            run = harvesting.run_now(each, preview=preview)
            if run.status == HarvestRun.Status.FAILED:
                failed.append(each.name)
                self.stderr.write(f"{each.name}: FAILED: {run.error}")
                continue
            self.stdout.write(
                f"{each.name}{' (preview)' if preview else ''}: {run.seen} seen, "
                f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
                f"{run.failed} failed, {run.deleted} deleted."
            )
            if run.warning:
                self.stdout.write(f"  {run.warning}")
            if options["verbosity"] >= 2:
                for entry in run.report:
                    if entry["action"] in ("failed", "deleted"):
                        self.stdout.write(f"  {entry['guid']}: {entry['reason']}")
        if not sources:
            self.stdout.write("No source is due.")
        if failed:
            raise CommandError(f"Failed: {', '.join(failed)}")
