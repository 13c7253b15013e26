"""The national view (/nacional/): every state's stage and the national totals."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from abierto.core.exports import Column, export_response, requested_format
from abierto.core.pagecache import public_page
from abierto.reports import charts, mexico_map
from abierto.reports.national import StateRow, national_overview, stage_label


def exercise_url(row: StateRow) -> str:
    """The exercise home of a state, or "" when it has no exercise on this platform."""
    return reverse("home:exercise", kwargs={"exercise": row.exercise.slug}) if row.exercise else ""


STATE_COLUMNS = [
    Column("clave_inegi", lambda r: r.code),
    Column("entidad", lambda r: r.jurisdiction.name),
    Column("etapa", lambda r: r.stage),
    Column("etapa_nombre", lambda r: stage_label(r.stage)),
    Column("ejercicio_local", lambda r: r.has_exercise),
    Column("stl_instalado", lambda r: r.stl_installed),
    Column("plan_publicado", lambda r: r.plan_published),
    Column("segundo_ciclo_por_iniciar", lambda r: r.second_cycle_pending),
    Column("planes_con_detalle", lambda r: r.plans),
    Column("compromisos_con_detalle", lambda r: r.commitments),
    Column("ejercicio_url", lambda r: exercise_url(r)),
    Column("fuentes", lambda r: r.source_list),
]


@public_page
def national(request: HttpRequest) -> HttpResponse:
    """The national page, or its states table as CSV or JSON (`?format=`)."""
    overview = national_overview()
    fmt = requested_format(request)
    if fmt:
        return export_response(
            fmt, rows=overview.states, columns=STATE_COLUMNS, filename="entidades-gobierno-abierto"
        )
    for row in overview.states:
        row.url = exercise_url(row)
        row.mark = mexico_map.stage_mark(row.stage)
    the_map = mexico_map.tile_map(
        overview.states,
        title=_("Mapa de México por etapa del ejercicio local de Gobierno Abierto"),
        description=mexico_map.map_description(overview.states),
    )
    legend = [
        {
            "swatch": mexico_map.legend_swatch(stage),
            "mark": mexico_map.stage_mark(stage),
            "label": stage_label(stage),
            "count": sum(row.stage == stage for row in overview.states),
        }
        for stage in mexico_map.LEGEND_ORDER
    ]
    theme_chart = (
        charts.count_bars(
            [(theme.name, theme.count) for theme in overview.themes],
            title=_("Compromisos por tema de agenda"),
            description="; ".join(f"{t.name}: {t.count}" for t in overview.themes),
        )
        if overview.themes
        else ""
    )
    context = {
        "overview": overview,
        "map": the_map,
        "legend": legend,
        "theme_chart": theme_chart,
        "themed_total": sum(theme.count for theme in overview.themes),
    }
    return render(request, "reports/national.html", context)
