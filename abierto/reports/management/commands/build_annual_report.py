"""Build an exercise's annual report for a year: queued for the worker, or now (--now)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from abierto.core.models import Exercise
from abierto.reports import services
from abierto.reports.models import AnnualReport


class Command(BaseCommand):
    help = "Genera el informe anual de actividades de un ejercicio (HTML y PDF) para un año."

    def add_arguments(self, parser) -> None:
        parser.add_argument("exercise", help="slug del ejercicio, p. ej. jalisco")
        parser.add_argument("year", type=int, help="año del informe, p. ej. 2017")
        parser.add_argument(
            "--now",
            action="store_true",
            help="Generarlo en este proceso, mostrando el avance, en vez de dejarlo al worker.",
        )

    def handle(self, *args, exercise: str, year: int, now: bool, **options) -> None:
        self.verbosity = options["verbosity"]
        exercise_obj = Exercise.objects.filter(slug=exercise).first()
        if exercise_obj is None:
            raise CommandError(f"No existe el ejercicio «{exercise}».")
        try:
            report = services.annual_report_request(
                exercise=exercise_obj, year=year, by=None, enqueue=not now
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if not now:
            self.stdout.write(f"Informe {exercise} {year} en cola (#{report.pk}).")
            return
        if report.status != AnnualReport.Status.QUEUED:
            raise CommandError(f"El informe {exercise} {year} ya se está generando.")
        report = services.annual_report_build(report.pk, echo=self._echo)
        if report.status == AnnualReport.Status.FAILED:
            raise CommandError(report.error)
        self.stdout.write(
            self.style.SUCCESS(
                f"Informe {exercise} {year}: PDF de {report.pdf_pages} páginas "
                f"({report.pdf_size:,} bytes), HTML de {report.html_size:,} bytes: "
                f"{report.pdf.name}"
            )
        )

    def _echo(self, report: AnnualReport) -> None:
        if self.verbosity >= 1:
            self.stdout.write(f"[{report.percent:3d} %] {report.step_label}")
