"""The national view: every state's stage and the national totals, computed from the data.

Rules (docs/national.md):

- A state's stages come from its records (an Exercise; a Secretariat with an installation
  date; a public ActionPlan) or from a StageReport that says so. Each state counts once per
  stage, whichever way it is known, so the two never add up twice.
- Plans and commitments are counted from their rows. A reported national total (NationalFigure)
  supersedes the rows dated up to the end of its period (they are its «detalle disponible»);
  rows dated after it are added. A plan is dated by its presentation, else the start of its
  implementation, else 1 January of its first year; its commitments share its date.
- Totals with no rows (authorities, organisations) are the latest reported figure.

Everything is read in a fixed number of queries, however many states have exercises.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _

from abierto.core.models import Exercise, Jurisdiction
from abierto.plans.models import ActionPlan, Commitment
from abierto.reports.models import NationalFigure, ReportedAgenda, Stage, StageReport
from abierto.secretariat.models import Secretariat

# What the platform's own records are called when they are the source of a figure.
RECORDS_SOURCE = "registros de la plataforma"

STAGE_ORDER = [
    Stage.EXERCISE,
    Stage.STL_INSTALLED,
    Stage.PLAN_PUBLISHED,
    Stage.SECOND_CYCLE_PENDING,
]
NO_EXERCISE = "none"


def stage_label(stage: str) -> str:
    """The stage's name in the active language, including «sin ejercicio»."""
    if stage == NO_EXERCISE:
        return _("sin ejercicio local")
    return str(Stage(stage).label)


@dataclass
class StateRow:
    """One state as the national view shows it."""

    jurisdiction: Jurisdiction
    exercise: Exercise | None
    stages: set[str] = field(default_factory=set)
    recorded: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    plans: int = 0
    commitments: int = 0

    @property
    def name(self) -> str:
        return self.jurisdiction.short_name or self.jurisdiction.name

    @property
    def code(self) -> str:
        return self.jurisdiction.inegi_code

    @property
    def has_exercise(self) -> bool:
        return Stage.EXERCISE in self.stages

    @property
    def stl_installed(self) -> bool:
        return Stage.STL_INSTALLED in self.stages

    @property
    def plan_published(self) -> bool:
        return Stage.PLAN_PUBLISHED in self.stages

    @property
    def second_cycle_pending(self) -> bool:
        return Stage.SECOND_CYCLE_PENDING in self.stages

    @property
    def stage(self) -> str:
        """The furthest stage reached (`none` when the state has no exercise)."""
        reached = [stage for stage in STAGE_ORDER if stage in self.stages]
        return reached[-1] if reached else NO_EXERCISE

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)

    @property
    def source_list(self) -> list[str]:
        return sorted(self.sources)


@dataclass
class Figure:
    """A national figure: its value, how it was reached and where it comes from."""

    key: str
    label: str
    value: int
    at_least: bool = False
    sources: list[str] = field(default_factory=list)
    as_of: str = ""
    reported: int | None = None
    detailed: int = 0
    added: int = 0
    states: int | None = None

    @property
    def value_text(self) -> str:
        return _("más de %(value)s") % {"value": self.value} if self.at_least else str(self.value)


@dataclass
class ThemeCount:
    name: str
    slug: str
    count: int


@dataclass
class NationalOverview:
    """Everything the national page, its downloads and the API show."""

    states: list[StateRow]
    figures: list[Figure]
    themes: list[ThemeCount]
    agendas: list[ReportedAgenda]
    agendas_source: str = ""

    @property
    def missing(self) -> list[StateRow]:
        return [row for row in self.states if not row.has_exercise]

    @property
    def headline(self) -> list[Figure]:
        return self.figures[:4]

    @property
    def participants(self) -> list[Figure]:
        return self.figures[4:]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def _plan_date(plan: dict) -> dt.date:
    return (
        plan["presented_on"]
        or plan["implementation_started_on"]
        or dt.date(plan["start_year"], 1, 1)
    )


def _latest(figures: list[NationalFigure], metric: str) -> NationalFigure | None:
    matching = [f for f in figures if f.metric == metric]
    return max(matching, key=lambda f: f.as_of, default=None)


def _counted(
    key: str,
    label: str,
    dated_counts: list[tuple[dt.date, int]],
    reported: NationalFigure | None,
) -> Figure:
    """Rows, unless a reported total covers them: then the total plus the rows after it."""
    if reported is None:
        total = sum(n for _, n in dated_counts)
        return Figure(key, label, total, sources=[RECORDS_SOURCE] if total else [], detailed=total)
    until = reported.covers_until
    detailed = sum(n for day, n in dated_counts if day <= until)
    added = sum(n for day, n in dated_counts if day > until)
    sources = [reported.source] + ([RECORDS_SOURCE] if added else [])
    return Figure(
        key,
        label,
        reported.value + added,
        at_least=reported.at_least,
        sources=sources,
        as_of=reported.as_of_display,
        reported=reported.value,
        detailed=detailed,
        added=added,
    )


def _states_figure(key: str, label: str, rows: list[StateRow], stage: str, reports) -> Figure:
    """How many states reached `stage`, from records or reports, each state once."""
    sources = sorted({r.source for r in reports if r.stage == stage})
    dates = sorted({r.as_of_display for r in reports if r.stage == stage})
    recorded = any(stage in row.recorded for row in rows)
    return Figure(
        key,
        label,
        sum(stage in row.stages for row in rows),
        sources=sources + ([RECORDS_SOURCE] if recorded else []),
        as_of=", ".join(dates),
    )


def national_overview() -> NationalOverview:
    """Compute the national view (a fixed number of queries)."""
    states = Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE).select_related(
        "exercise__secretariat"
    )
    rows: dict[int, StateRow] = {}
    for state in states:
        exercise = getattr(state, "exercise", None) if _has_exercise(state) else None
        row = StateRow(state, exercise)
        if exercise is not None:
            row.recorded.add(Stage.EXERCISE)
            secretariat = getattr(exercise, "secretariat", None) if _has_stl(exercise) else None
            if secretariat is not None and secretariat.installed_on is not None:
                row.recorded.add(Stage.STL_INSTALLED)
        rows[state.pk] = row

    plans = list(
        ActionPlan.objects.public()
        .values(
            "id",
            "exercise__jurisdiction_id",
            "presented_on",
            "implementation_started_on",
            "start_year",
        )
        .annotate(commitment_count=Count("commitments"))
        .order_by()
    )
    plan_counts: list[tuple[dt.date, int]] = []
    commitment_counts: list[tuple[dt.date, int]] = []
    for plan in plans:
        row = rows.get(plan["exercise__jurisdiction_id"])
        if row is None:
            continue
        row.recorded.add(Stage.PLAN_PUBLISHED)
        row.plans += 1
        row.commitments += plan["commitment_count"]
        plan_counts.append((_plan_date(plan), 1))
        commitment_counts.append((_plan_date(plan), plan["commitment_count"]))

    reports = list(StageReport.objects.order_by("as_of"))
    for report in reports:
        row = rows.get(report.jurisdiction_id)
        if row is None:
            continue
        row.stages.add(report.stage)
        row.sources.add(report.source)
    for row in rows.values():
        row.stages |= row.recorded
        if row.recorded:
            row.sources.add(RECORDS_SOURCE)
        # Any stage means there is an exercise; no other stage is inferred from another.
        if row.stages:
            row.stages.add(Stage.EXERCISE)

    state_rows = list(rows.values())
    figures_reported = list(NationalFigure.objects.all())
    metric = NationalFigure.Metric
    figures = [
        _states_figure(
            "exercises",
            _("entidades federativas con ejercicio local de Gobierno Abierto"),
            state_rows,
            Stage.EXERCISE,
            reports,
        ),
        _states_figure(
            "stl_installed",
            _("Secretariados Técnicos Locales instalados"),
            state_rows,
            Stage.STL_INSTALLED,
            reports,
        ),
        _counted(
            "plans_published",
            _("Planes de Acción Local publicados"),
            plan_counts,
            _latest(figures_reported, metric.PLANS_PUBLISHED),
        ),
        _counted(
            "commitments",
            _("compromisos en los planes publicados"),
            commitment_counts,
            _latest(figures_reported, metric.COMMITMENTS),
        ),
    ]
    figures[2].states = sum(row.plan_published for row in state_rows)
    for key in (metric.AUTHORITIES, metric.CIVIL_SOCIETY_ORGANIZATIONS):
        reported = _latest(figures_reported, key)
        if reported is not None:
            figures.append(
                Figure(
                    str(key),
                    str(metric(key).label),
                    reported.value,
                    at_least=reported.at_least,
                    sources=[reported.source],
                    as_of=reported.as_of_display,
                    reported=reported.value,
                )
            )

    themes = [
        ThemeCount(item["theme__name"], item["theme__slug"], item["count"])
        for item in Commitment.objects.public()
        .filter(theme__isnull=False)
        .values("theme__name", "theme__slug")
        .annotate(count=Count("id"))
        .order_by("-count", "theme__name")
    ]
    agendas = list(ReportedAgenda.objects.all())
    if agendas:
        newest = agendas[0].as_of
        agendas = [a for a in agendas if a.as_of == newest]
    return NationalOverview(
        states=state_rows,
        figures=figures,
        themes=themes,
        agendas=agendas,
        agendas_source=agendas[0].source if agendas else "",
    )


def _has_exercise(state: Jurisdiction) -> bool:
    try:
        state.exercise  # noqa: B018 - the reverse one-to-one raises when there is none
    except Exercise.DoesNotExist:
        return False
    return True


def _has_stl(exercise: Exercise) -> bool:
    try:
        exercise.secretariat  # noqa: B018
    except Secretariat.DoesNotExist:
        return False
    return True
