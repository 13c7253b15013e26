"""Writes of the national facts: each one audited, like every change to public content."""

from __future__ import annotations

import datetime as dt

from abierto.core import audit
from abierto.core.models import DatePrecision, Jurisdiction, User
from abierto.reports.models import NationalFigure, StageReport


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
