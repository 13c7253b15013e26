"""Writes of the national facts and the annual reports: each one audited, like every change to
public content."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from abierto.core import audit
from abierto.core.models import DatePrecision, Document, Exercise, Jurisdiction, User
from abierto.core.storage import undo_files_on_error
from abierto.reports import annual_report
from abierto.reports.models import (
    AnnualReport,
    NationalFigure,
    StageReport,
    annual_report_upload_to,
)

logger = logging.getLogger("abierto.reports")


def stage_report_record(
    *,
    jurisdiction: Jurisdiction,
    stage: str,
    as_of: dt.date,
    source: str,
    as_of_precision: str = DatePrecision.DAY,
    by: User | None = None,
) -> StageReport:
    """Record that a source says `jurisdiction` had reached `stage` by `as_of`."""
    report = StageReport(
        jurisdiction=jurisdiction,
        stage=stage,
        as_of=as_of,
        as_of_precision=as_of_precision,
        source=source,
    )
    report.full_clean()
    report.save()
    audit.record(
        actor=by, verb="stage_report_record", obj=report, before=None, after=audit.snapshot(report)
    )
    return report


def national_figure_record(
    *,
    metric: str,
    value: int,
    as_of: dt.date,
    source: str,
    at_least: bool = False,
    as_of_precision: str = DatePrecision.DAY,
    note: str = "",
    by: User | None = None,
) -> NationalFigure:
    """Record a national total as a source reported it (e.g. «más de 120» with at_least)."""
    figure = NationalFigure(
        metric=metric,
        value=value,
        at_least=at_least,
        as_of=as_of,
        as_of_precision=as_of_precision,
        source=source,
        note=note,
    )
    figure.full_clean()
    figure.save()
    audit.record(
        actor=by,
        verb="national_figure_record",
        obj=figure,
        before=None,
        after=audit.snapshot(figure),
    )
    return figure


# --- The annual report -----------------------------------------------------------------------

# A queued or running build older than this is taken for dead (its worker was killed without
# the recovery of core/recovery.py) and may be requested again.
ANNUAL_REPORT_STALE = dt.timedelta(hours=1)
# The build's own steps after the gathering's sections: HTML, PDF, archive.
ANNUAL_REPORT_STEPS = annual_report.GATHER_STEPS + 3


def annual_report_request(
    *, exercise: Exercise, year: int, by: User | None, enqueue: bool = True
) -> AnnualReport:
    """Queue a build of the exercise's annual report for `year` (the worker runs it; with
    `enqueue=False` the caller runs `annual_report_build` itself).

    Raises ValidationError when the year has no data (nothing would be reported); a build
    already queued or running is returned as it is, not queued twice.
    """
    from abierto.reports.tasks import build_annual_report

    years = annual_report.years_with_data(exercise)
    if year not in years:
        raise ValidationError(
            {"year": annual_report.NoDataForYear(exercise, year, years).message},
            code="no_data",
        )
    with transaction.atomic():
        report, created = AnnualReport.objects.select_for_update().get_or_create(
            exercise=exercise, year=year
        )
        fresh = report.requested_at and timezone.now() - report.requested_at < ANNUAL_REPORT_STALE
        if not created and report.in_progress and fresh:
            return report
        before = None if created else audit.snapshot(report)
        report.status = AnnualReport.Status.QUEUED
        report.steps_done, report.steps_total = 0, ANNUAL_REPORT_STEPS
        report.step_label = _("En cola")
        report.error = ""
        report.requested_by = by if by is not None and by.is_authenticated else None
        report.requested_at = timezone.now()
        report.started_at = report.finished_at = None
        report.save()
        audit.record(
            actor=by,
            verb="annual_report_request",
            obj=report,
            before=before,
            after=audit.snapshot(report),
        )
        if enqueue:
            build_annual_report.enqueue(report.pk)
    return report


def _progress(report: AnnualReport, **values) -> None:
    # Each update commits on its own (a task runs outside any transaction), so the progress
    # page sees every step while the worker works.
    for name, value in values.items():
        setattr(report, name, value)
    AnnualReport.objects.filter(pk=report.pk).update(**values)


def annual_report_build(
    report_id: int, *, echo: Callable[[AnnualReport], None] | None = None
) -> AnnualReport:
    """Build a queued annual report: gather, render HTML and PDF, store and archive them.

    The new files get new names and are swapped in with one transaction; the previous files
    are removed only after it commits. A failure keeps the previous report published and
    records the error on the report.
    """
    report = AnnualReport.objects.select_related("exercise", "requested_by").get(pk=report_id)
    if report.status != AnnualReport.Status.QUEUED:
        return report
    done = 0

    def step(label: str) -> None:
        nonlocal done
        _progress(report, steps_done=done, step_label=str(label))
        done += 1
        if echo is not None:
            echo(report)

    _progress(
        report,
        status=AnnualReport.Status.RUNNING,
        started_at=timezone.now(),
        steps_total=ANNUAL_REPORT_STEPS,
        error="",
    )
    with translation.override(settings.LANGUAGE_CODE):
        try:
            data = annual_report.gather(report.exercise, report.year, step=step)
            step(_("Generando el HTML"))
            document = annual_report.render_document(data)
            step(_("Generando el PDF"))
            pdf, pages = annual_report.render_pdf(document)
            step(_("Archivando el informe"))
            _publish(report, document.encode("utf-8"), pdf, pages)
        except annual_report.NoDataForYear as error:
            _fail(report, error.message)
        except Exception as error:
            logger.exception("Annual report %s failed", report.pk)
            _fail(report, _("Error interno al generar el informe: %(error)s") % {"error": error})
            raise
    if echo is not None:
        echo(report)
    return report


def _fail(report: AnnualReport, message: str) -> None:
    _progress(report, status=AnnualReport.Status.FAILED, error=message, finished_at=timezone.now())


def _file_name(report: AnnualReport, extension: str) -> str:
    return f"informe-anual-{report.exercise.slug}-{report.year}.{extension}"


@undo_files_on_error
def _publish(report: AnnualReport, html: bytes, pdf: bytes, pages: int) -> None:
    """Store the new files, point the report and its archived document at them, atomically."""
    storage = report._meta.get_field("pdf").storage
    upload_to = annual_report_upload_to
    html_name = storage.save(upload_to(report, _file_name(report, "html")), ContentFile(html))
    pdf_name = storage.save(upload_to(report, _file_name(report, "pdf")), ContentFile(pdf))
    with transaction.atomic():
        locked = AnnualReport.objects.select_for_update().get(pk=report.pk)
        old = [name for name in (locked.html.name, locked.pdf.name) if name]
        before = audit.snapshot(locked)
        title = _("Informe anual de actividades %(year)s — %(exercise)s") % {
            "year": report.year,
            "exercise": report.exercise.name,
        }
        document = locked.document or Document(
            kind=Document.Kind.REPORT, attached_to=report.exercise
        )
        doc_before = audit.snapshot(document) if document.pk else None
        document.title = title
        document.description = _(
            "Informe anual de actividades del Secretariado Técnico Local, generado por la "
            "plataforma con los datos de %(year)s."
        ) % {"year": report.year}
        document.file.name = pdf_name
        document.media_type = "application/pdf"
        document.size = len(pdf)
        document.sha256 = hashlib.sha256(pdf).hexdigest()
        document.published_on = timezone.localdate()
        document.uploaded_by = report.requested_by
        document.save()
        audit.record(
            actor=report.requested_by,
            verb="annual_report_archive",
            obj=document,
            before=doc_before,
            after=audit.snapshot(document),
        )
        now = timezone.now()
        values = {
            "html": html_name,
            "html_sha256": hashlib.sha256(html).hexdigest(),
            "html_size": len(html),
            "pdf": pdf_name,
            "pdf_sha256": document.sha256,
            "pdf_size": len(pdf),
            "pdf_pages": pages,
            "document": document,
            "status": AnnualReport.Status.DONE,
            "steps_done": ANNUAL_REPORT_STEPS,
            "step_label": _("Terminado"),
            "error": "",
            "finished_at": now,
            "built_at": now,
        }
        for name, value in values.items():
            setattr(locked, name, value)
            setattr(report, name, value)
        locked.save()
        audit.record(
            actor=report.requested_by,
            verb="annual_report_build",
            obj=locked,
            before=before,
            after=audit.snapshot(locked),
        )
        # The replaced files go only once the new ones are committed in their place.
        transaction.on_commit(lambda: _delete_files(storage, old))


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Could not remove the replaced report file %s", name)
