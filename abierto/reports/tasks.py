"""Background jobs of the reports (django-tasks; worker: `manage.py worker`)."""

from __future__ import annotations

from django_tasks import task

from abierto.core.recovery import on_interrupted
from abierto.reports import services
from abierto.reports.models import AnnualReport


@task()
def build_annual_report(report_id: int) -> None:
    """Build a queued annual report; its progress page shows each step."""
    services.annual_report_build(report_id)


@on_interrupted(build_annual_report)
def _build_interrupted(report_id: int) -> None:
    # The killed build stored nothing in the report's place (files are swapped in one
    # transaction at the end); files it may have written are orphans of no report. It starts
    # over from the first step.
    AnnualReport.objects.filter(pk=report_id, status=AnnualReport.Status.RUNNING).update(
        status=AnnualReport.Status.QUEUED, steps_done=0, step_label="", started_at=None
    )
