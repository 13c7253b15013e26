"""Import OCDS data for a publisher: a file, or the publisher's configured endpoint."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from abierto.contracting import schedule, services
from abierto.contracting.models import Import, Publisher


class Command(BaseCommand):
    help = (
        "Import a release package, record package, JSON Lines or arrayReleasePackage file, or "
        "(--url) the publisher's configured endpoint. Queued for the worker unless --now. "
        "With --due (cron), read now the endpoint of every daily or weekly publisher whose "
        "last URL import is a day or a week old."
    )

    def add_arguments(self, parser):
        parser.add_argument("--publisher", help="The publisher's ocid prefix.")
        parser.add_argument("file", nargs="?", help="Path of the file to import.")
        parser.add_argument(
            "--url", action="store_true", help="Download the publisher's endpoint URL."
        )
        parser.add_argument("--now", action="store_true", help="Run here, not in the worker.")
        parser.add_argument(
            "--due", action="store_true", help="Import every publisher whose schedule is due."
        )

    def handle(
        self, *args, publisher: str | None, file: str | None, url: bool, now: bool, **options
    ):
        if options["due"]:
            if publisher or file or url:
                raise CommandError("--due takes no publisher, file or --url.")
            return self.handle_due()
        if not publisher:
            raise CommandError("Give --publisher PREFIX (or --due).")
        found = Publisher.objects.filter(ocid_prefix=publisher).first()
        if found is None:
            raise CommandError(f"No publisher with ocid prefix {publisher!r}.")
        if bool(file) == url:
            raise CommandError("Give either a FILE or --url.")
        try:
            if file and now:
                import_ = services.import_file(actor=None, publisher=found, path=file)
            elif file:
                with open(file, "rb") as fh:
                    from django.core.files import File

                    import_ = services.import_start(
                        actor=None, publisher=found, source=Import.Source.UPLOAD, file=File(fh)
                    )
            else:
                import_ = services.import_create(
                    actor=None, publisher=found, source=Import.Source.URL
                )
                if now:
                    import_ = services.import_run(import_id=import_.pk)
                else:
                    from abierto.contracting.tasks import run_import

                    run_import.enqueue(import_.pk)
        except (OSError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Import #{import_.pk}: {import_.get_status_display()}; "
            f"{import_.releases_stored} stored, {import_.releases_duplicate} duplicates, "
            f"{import_.releases_invalid} with errors."
        )
        if import_.status == Import.Status.FAILED:
            raise CommandError(import_.error)

    def handle_due(self) -> None:
        due = schedule.due_publishers()
        failed = []
        for publisher in due:
            running = schedule.active_import(publisher)
            if running is not None:
                self.stdout.write(
                    f"{publisher.ocid_prefix}: import #{running.pk} is already under way; skipped."
                )
                continue
            try:
                import_ = services.import_create(
                    actor=None, publisher=publisher, source=Import.Source.SCHEDULE
                )
            except ValidationError as exc:
                failed.append(publisher.ocid_prefix)
                self.stderr.write(f"{publisher.ocid_prefix}: {exc.messages[0]}")
                continue
            import_ = services.import_run(import_id=import_.pk)
            if import_.status == Import.Status.FAILED:
                failed.append(publisher.ocid_prefix)
                self.stderr.write(f"{publisher.ocid_prefix}: FAILED: {import_.error}")
                continue
            self.stdout.write(
                f"{publisher.ocid_prefix}: import #{import_.pk}: {import_.releases_stored} stored, "
                f"{import_.releases_duplicate} duplicates, {import_.releases_invalid} with errors."
            )
        if not due:
            self.stdout.write("No publisher is due.")
        if failed:
            raise CommandError(f"Failed: {', '.join(failed)}")
