"""Admin of the national facts known only from a source; every change is audited."""

from __future__ import annotations

from django.contrib import admin

from abierto.core.admin import AuditedModelAdmin
from abierto.reports.models import NationalFigure, ReportedAgenda, StageReport


@admin.register(StageReport)
class StageReportAdmin(AuditedModelAdmin):
    list_display = ["jurisdiction", "stage", "as_of", "source"]
    list_filter = ["stage", "as_of"]
    search_fields = ["jurisdiction__name", "source"]
    autocomplete_fields = ["jurisdiction"]


@admin.register(NationalFigure)
class NationalFigureAdmin(AuditedModelAdmin):
    list_display = ["metric", "value", "at_least", "as_of", "source"]
    list_filter = ["metric"]


@admin.register(ReportedAgenda)
class ReportedAgendaAdmin(AuditedModelAdmin):
    list_display = ["name", "position", "as_of", "source"]
