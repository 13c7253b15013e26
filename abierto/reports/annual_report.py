"""The STL's annual activity report: what one exercise did in one calendar year, from its data.

The sections follow the report the Jalisco STL wrote by hand for 2017 (seed 004):
presentation, the STL's integration, the plan's presentation, the follow-up of each
commitment, workshops, the lab, events, STL sessions and their agreements, liaison meetings
and dissemination. Every number is read or counted from the records; a total a source gave
without its detail (a `ReportedFigure`) stands for the records it covers, and records dated
after its period are added to it, so nothing is counted twice.

The gathering runs a fixed number of queries whatever the number of rows (each list is read
once, with its related rows prefetched); `gather` raises `NoDataForYear` when the year has no
activity at all, so no empty report is ever built.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.staticfiles import finders
from django.db.models import Prefetch, Q
from django.db.models.functions import ExtractYear
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from abierto.core import charts
from abierto.core.models import Exercise, Organization, ReportedFigure
from abierto.participation.models import (
    Event,
    Lab,
    Problem,
    Proposal,
    Site,
    Solution,
    Workshop,
)
from abierto.plans.models import (
    ActionPlan,
    Commitment,
    Completion,
    Meeting,
    Milestone,
    ProgressUpdate,
)
from abierto.plans.progress import Progress, commitments_progress, plan_percent
from abierto.reports import charts as count_charts
from abierto.secretariat.models import Agreement, Liaison, Membership, Seat, Secretariat, Session


class NoDataForYear(Exception):
    """The exercise recorded no activity in the year: there is nothing to report."""

    def __init__(self, exercise: Exercise, year: int, years: list[int]) -> None:
        self.exercise, self.year, self.years = exercise, year, years
        if years:
            message = _(
                "No hay datos de actividades de %(year)s en «%(exercise)s»: no se generó ningún "
                "informe. Años con datos: %(years)s."
            ) % {
                "year": year,
                "exercise": exercise.name,
                "years": ", ".join(str(y) for y in years),
            }
        else:
            message = _(
                "No hay datos de actividades de %(year)s en «%(exercise)s»: no se generó ningún "
                "informe. El ejercicio aún no registra actividades de ningún año."
            ) % {"year": year, "exercise": exercise.name}
        super().__init__(message)
        self.message = message


# --- The report's parts -------------------------------------------------------------------


@dataclass
class SeatRow:
    """One seat of the STL in the year: who held it as titular and as suplente."""

    seat: Seat
    titular: Membership | None
    alternate: Membership | None


@dataclass
class SectorCount:
    sector: str
    label: str
    seats: int
    titulares: int
    alternates: int
    vacant: int


@dataclass
class Integration:
    secretariat: Secretariat | None
    chair: Membership | None
    seats: list[SeatRow]
    by_sector: list[SectorCount]
    liaisons: list[Organization]

    @property
    def titulares(self) -> int:
        return sum(1 for row in self.seats if row.titular)

    @property
    def alternates(self) -> int:
        return sum(1 for row in self.seats if row.alternate)

    @property
    def vacant(self) -> int:
        return sum(1 for row in self.seats if row.titular is None)


@dataclass
class PlanPresentation:
    plan: ActionPlan
    attendance: int | None
    place: str
    summary: str


@dataclass
class MilestoneRow:
    milestone: Milestone
    percent: int


@dataclass
class CommitmentRow:
    commitment: Commitment
    progress: Progress
    milestones: list[MilestoneRow]

    @property
    def fully_complied(self) -> bool:
        return self.commitment.completion == Completion.COMPLETE

    @property
    def percent_text(self) -> str:
        return charts.percent_text(self.progress.percent)


@dataclass
class PlanFollowUp:
    plan: ActionPlan
    commitments: list[CommitmentRow]
    percent: Decimal | None
    chart: str = ""
    levels_chart: str = ""
    levels: list[dict] = field(default_factory=list)

    @property
    def fully_complied(self) -> int:
        return sum(1 for row in self.commitments if row.fully_complied)

    @property
    def percent_text(self) -> str:
        return charts.percent_text(self.percent)


@dataclass
class Tally:
    """A count for the year: a reported total, records added after it, and their sources."""

    value: int
    figures: list[ReportedFigure]
    recorded: int

    @property
    def known(self) -> bool:
        return bool(self.figures) or self.recorded > 0


@dataclass
class SiteRow:
    site: Site
    workshops: list[Workshop]
    topics: list[str]
    problems: list[Problem]
    proposals: list[Proposal]

    @property
    def workshop_count(self) -> int | None:
        """Workshops recorded one by one, else the count the source reported."""
        return len(self.workshops) or self.site.workshops_reported


@dataclass
class LabPart:
    lab: Lab
    sites: list[SiteRow]
    events: list[Event]
    solutions: list[Solution]
    chart: str = ""

    @property
    def proposals(self) -> int:
        return sum(len(row.proposals) for row in self.sites)


@dataclass
class EventRow:
    event: Event
    parts: list[Event]


@dataclass
class SessionRow:
    session: Session
    agreements: list[Agreement]


@dataclass
class AnnualReportData:
    """Everything the report shows, gathered from the data of one exercise and one year."""

    exercise: Exercise
    year: int
    integration: Integration
    presentations: list[PlanPresentation]
    follow_ups: list[PlanFollowUp]
    committee_meetings: Tally
    workshops: list[EventRow]
    labs: list[LabPart]
    events: list[EventRow]
    sessions: list[SessionRow]
    stl_sessions: Tally
    liaison_meetings: Tally
    dissemination: list[EventRow]
    generated_on: dt.date

    @property
    def commitments(self) -> int:
        return sum(len(f.commitments) for f in self.follow_ups)

    @property
    def fully_complied(self) -> int:
        return sum(f.fully_complied for f in self.follow_ups)

    @property
    def outreach_participants(self) -> int:
        """People counted at the year's events, panels of a fair not counted twice."""
        rows = self.workshops + self.events + self.dissemination
        total = sum(row.event.participants or 0 for row in rows)
        total += sum(p.attendance or 0 for p in self.presentations)
        return total

    @property
    def outreach_visitors(self) -> int:
        rows = self.workshops + self.events + self.dissemination
        return sum(row.event.visitors or 0 for row in rows)


# --- Which years have data ----------------------------------------------------------------


def _year_sources(exercise: Exercise) -> list:
    """Querysets of the years in which the exercise recorded an activity."""
    year = ExtractYear

    def years(queryset, field_name: str):
        return (
            queryset.exclude(**{f"{field_name}__isnull": True})
            .annotate(y=year(field_name))
            .values_list("y", flat=True)
            .distinct()
        )

    return [
        years(Session.objects.filter(secretariat__exercise=exercise), "held_on"),
        years(Event.objects.filter(exercise=exercise), "held_on"),
        years(Workshop.objects.filter(site__lab__exercise=exercise), "held_on"),
        years(Meeting.objects.filter(exercise=exercise), "held_on"),
        years(ReportedFigure.objects.filter(exercise=exercise), "period_start"),
        years(ActionPlan.objects.public().filter(exercise=exercise), "presented_on"),
        years(Lab.objects.filter(exercise=exercise), "started_on"),
        years(
            ProgressUpdate.objects.filter(milestone__commitment__plan__exercise=exercise).exclude(
                milestone__commitment__plan__status=ActionPlan.Status.DRAFT
            ),
            "reported_at",
        ),
    ]


def years_with_data(exercise: Exercise) -> list[int]:
    """The calendar years in which the exercise recorded an activity, newest first."""
    found: set[int] = set()
    for queryset in _year_sources(exercise):
        found.update(y for y in queryset if y)
    return sorted(found, reverse=True)


# --- Gathering ----------------------------------------------------------------------------


def _in_force(membership: Membership, start: dt.date, end: dt.date) -> bool:
    """The membership held its seat at some point of the year."""
    if membership.end_reason and membership.end_on is None:
        return False  # ended on a date the source does not give: not known to be in force
    if membership.start_on and membership.start_on > end:
        return False
    return not (membership.end_on and membership.end_on < start)


def _integration(exercise: Exercise, start: dt.date, end: dt.date) -> Integration:
    secretariat = Secretariat.objects.filter(exercise=exercise).first()
    if secretariat is None:
        return Integration(None, None, [], [], [])
    seats = list(
        Seat.objects.filter(secretariat=secretariat)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organization").order_by(
                    "-start_on", "-id"
                ),
            )
        )
    )
    rows = []
    for seat in seats:
        held = [m for m in seat.memberships.all() if _in_force(m, start, end)]
        titular = next((m for m in held if m.role == Membership.Role.TITULAR), None)
        alternate = next((m for m in held if m.role == Membership.Role.ALTERNATE), None)
        rows.append(SeatRow(seat, titular, alternate))
    sectors: dict[str, SectorCount] = {}
    labels = dict(Organization.Sector.choices)
    for row in rows:
        count = sectors.setdefault(
            row.seat.sector,
            SectorCount(row.seat.sector, str(labels.get(row.seat.sector, "")), 0, 0, 0, 0),
        )
        count.seats += 1
        count.titulares += row.titular is not None
        count.alternates += row.alternate is not None
        count.vacant += row.titular is None
    liaisons = [
        liaison.organization
        for liaison in Liaison.objects.filter(secretariat=secretariat)
        .select_related("organization")
        .order_by("position", "id")
    ]
    chair = next((row.titular for row in rows if row.seat.is_chair and row.titular), None)
    return Integration(secretariat, chair, rows, list(sectors.values()), liaisons)


def _tally(figures: list[ReportedFigure], metric: str, recorded_dates: Iterable[dt.date]) -> Tally:
    """A reported total stands for the records of its period; later records are added."""
    mine = [f for f in figures if f.metric == metric]
    covered_until = max((f.period_end for f in mine), default=None)
    later = [d for d in recorded_dates if covered_until is None or d > covered_until]
    return Tally(sum(f.value for f in mine) + len(later), mine, len(later))


def _follow_ups(exercise: Exercise, year: int) -> list[PlanFollowUp]:
    plans = list(
        ActionPlan.objects.public()
        .filter(exercise=exercise, start_year__lte=year, end_year__gte=year)
        .order_by("start_year", "id")
    )
    commitments = list(
        Commitment.objects.filter(plan__in=plans)
        .select_related("theme")
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.exclude(status=Milestone.Status.CANCELLED)
                .with_progress()
                .order_by("position", "id"),
            )
        )
        .order_by("plan_id", "number")
    )
    progress = commitments_progress(commitments)
    by_plan: dict[int, list[CommitmentRow]] = defaultdict(list)
    for commitment in commitments:
        by_plan[commitment.plan_id].append(
            CommitmentRow(
                commitment,
                progress[commitment.pk],
                [MilestoneRow(m, m.percent) for m in commitment.milestones.all()],
            )
        )
    result = []
    levels = dict(Completion.choices)
    for plan in plans:
        rows = by_plan.get(plan.pk, [])
        follow = PlanFollowUp(plan, rows, plan_percent(row.progress for row in rows))
        if rows:
            follow.chart = charts.bar_chart(
                [
                    charts.Bar(
                        label=str(row.commitment.number),
                        name=row.commitment.title,
                        percent=row.progress.percent,
                    )
                    for row in rows
                ],
                title=_("Cumplimiento de cada compromiso de «%(plan)s»") % {"plan": plan.title},
                description="; ".join(
                    f"{row.commitment.number}: {row.percent_text}" for row in rows
                ),
            )
            counted = Counter(row.commitment.completion for row in rows)
            slices = [
                charts.Slice(key, str(label), counted[key])
                for key, label in levels.items()
                if counted[key]
            ]
            follow.levels = [
                {"swatch": charts.legend_swatch(s.key), "label": s.label, "count": s.count}
                for s in slices
            ]
            follow.levels_chart = charts.donut(
                slices,
                title=_("Compromisos por nivel de cumplimiento"),
                description=charts.description_of(slices),
            )
        result.append(follow)
    return result


def _labs(exercise: Exercise, year: int, lab_events: dict[int, list[Event]]) -> list[LabPart]:
    labs = list(
        Lab.objects.filter(exercise=exercise)
        .filter(
            Q(started_on__year=year)
            | Q(ended_on__year=year)
            | Q(pk__in=list(lab_events))
            | Q(sites__workshops__held_on__year=year)
            | Q(sites__visited_on__year=year)
        )
        .select_related("organizer", "approved_at")
        .prefetch_related(
            Prefetch(
                "sites",
                queryset=Site.objects.select_related("municipality")
                .prefetch_related(
                    "topics",
                    Prefetch(
                        "workshops",
                        queryset=Workshop.objects.filter(
                            Q(held_on__year=year) | Q(held_on__isnull=True)
                        ),
                    ),
                    Prefetch("problems", queryset=Problem.objects.select_related("topic")),
                    Prefetch(
                        "proposals",
                        queryset=Proposal.objects.visible().order_by("label", "created_at", "id"),
                    ),
                )
                .order_by("position", "slug"),
            ),
            Prefetch(
                "solutions",
                queryset=Solution.objects.select_related("municipality").order_by("title"),
            ),
        )
        .distinct()
        .order_by("started_on", "name")
    )
    parts = []
    for lab in labs:
        sites = [
            SiteRow(
                site,
                list(site.workshops.all()),
                [topic.name for topic in site.topics.all()],
                list(site.problems.all()),
                list(site.proposals.all()),
            )
            for site in lab.sites.all()
        ]
        part = LabPart(lab, sites, lab_events.get(lab.pk, []), list(lab.solutions.all()))
        if sites:
            part.chart = count_charts.count_bars(
                [(row.site.municipality.name, len(row.topics)) for row in sites],
                title=_("Temas discutidos en cada sede de %(lab)s") % {"lab": lab},
                description="; ".join(
                    f"{row.site.municipality.name}: {len(row.topics)}" for row in sites
                ),
            )
        parts.append(part)
    return parts


def _event_rows(events: list[Event]) -> list[EventRow]:
    """Events with the parts of each (a fair's panels) under it, in date order."""
    ids = {event.pk for event in events}
    parts: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        if event.part_of_id in ids:
            parts[event.part_of_id].append(event)
    return [EventRow(e, parts.get(e.pk, [])) for e in events if e.part_of_id not in ids]


def gather(
    exercise: Exercise,
    year: int,
    *,
    step: Callable[[str], None] | None = None,
    today: dt.date | None = None,
) -> AnnualReportData:
    """The report's data for the year; `step(label)` is told as each section starts."""
    step = step or (lambda label: None)
    if year not in years_with_data(exercise):
        raise NoDataForYear(exercise, year, years_with_data(exercise))
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)

    step(_("Integración del Secretariado Técnico Local"))
    integration = _integration(exercise, start, end)

    step(_("Presentación del Plan de Acción Local"))
    events = list(
        Event.objects.filter(exercise=exercise, held_on__year=year)
        .select_related("organizer", "plan", "lab")
        .order_by("held_on", "title", "id")
    )
    presented = list(
        ActionPlan.objects.public()
        .filter(exercise=exercise, presented_on__year=year)
        .order_by("presented_on", "id")
    )
    presentations = []
    shown: set[int] = set()
    for plan in presented:
        event = next(
            (e for e in events if e.kind == Event.Kind.PRESENTATION and e.plan_id == plan.pk),
            None,
        )
        if event is not None:
            shown.add(event.pk)
        attendance = plan.presentation_attendance
        if attendance is None and event is not None:
            attendance = event.participants
        presentations.append(
            PlanPresentation(
                plan,
                attendance,
                plan.presentation_place or (event.place if event else ""),
                plan.presentation_summary or (event.description if event else ""),
            )
        )

    step(_("Seguimiento y cumplimiento de los compromisos"))
    follow_ups = _follow_ups(exercise, year)
    figures = list(
        ReportedFigure.objects.filter(exercise=exercise, period_start__year=year).order_by(
            "metric", "period_start"
        )
    )
    meetings = list(
        Meeting.objects.filter(exercise=exercise, held_on__year=year).values_list("kind", "held_on")
    )
    committee_meetings = _tally(
        figures,
        ReportedFigure.Metric.COMMITTEE_MEETINGS,
        [d for kind, d in meetings if kind == Meeting.Kind.COMMITTEE],
    )

    step(_("Talleres y Laboratorio"))
    lab_events: dict[int, list[Event]] = defaultdict(list)
    workshops, others, dissemination = [], [], []
    for event in events:
        if event.pk in shown:
            continue
        if event.lab_id and event.kind in (Event.Kind.WORKSHOP, Event.Kind.HACKATHON):
            lab_events[event.lab_id].append(event)
        elif event.kind == Event.Kind.WORKSHOP:
            workshops.append(event)
        elif event.kind == Event.Kind.INFORMATION_DAY:
            dissemination.append(event)
        else:
            others.append(event)
    labs = _labs(exercise, year, lab_events)

    step(_("Sesiones del STL y reuniones de los enlaces"))
    sessions = list(
        Session.objects.filter(secretariat__exercise=exercise, held_on__year=year)
        .prefetch_related(Prefetch("agreements", queryset=Agreement.objects.order_by("number")))
        .order_by("held_on", "number")
    )
    stl_sessions = _tally(
        figures, ReportedFigure.Metric.STL_SESSIONS, [s.held_on for s in sessions]
    )
    liaison_meetings = _tally(
        figures,
        ReportedFigure.Metric.LIAISON_MEETINGS,
        [d for kind, d in meetings if kind == Meeting.Kind.LIAISON],
    )
    return AnnualReportData(
        exercise=exercise,
        year=year,
        integration=integration,
        presentations=presentations,
        follow_ups=follow_ups,
        committee_meetings=committee_meetings,
        workshops=_event_rows(workshops),
        labs=labs,
        events=_event_rows(others),
        sessions=[SessionRow(s, list(s.agreements.all())) for s in sessions],
        stl_sessions=stl_sessions,
        liaison_meetings=liaison_meetings,
        dissemination=_event_rows(dissemination),
        generated_on=today or timezone.localdate(),
    )


# How many sections `gather` announces through `step` (the build adds its own steps).
GATHER_STEPS = 5


# --- Output: one HTML body, the archived HTML document, and the PDF made from it ----------

BODY_START, BODY_END = "<!-- informe:inicio -->", "<!-- informe:fin -->"
STYLESHEET = "reports/annual-report.css"
# WeasyPrint reads the fonts installed on the machine (DejaVu on Debian): nothing is fetched.
PDF_STYLESHEET = 'body { font-family: "DejaVu Sans", sans-serif; margin: 0; }'


def render_body(data: AnnualReportData) -> str:
    """The report's HTML (an <article>), as the public page shows it."""
    return render_to_string("reports/_annual_report_body.html", {"report": data})


def render_document(data: AnnualReportData, body: str | None = None) -> str:
    """A complete, self-contained HTML document of the report (its stylesheet inside)."""
    stylesheet = Path(finders.find(STYLESHEET)).read_text(encoding="utf-8")
    return render_to_string(
        "reports/annual_report_document.html",
        {
            "report": data,
            "body": mark_safe(body if body is not None else render_body(data)),  # noqa: S308 - rendered by the template engine
            "stylesheet": mark_safe(stylesheet),  # noqa: S308 - our own static file
        },
    )


def body_of(document: str) -> str:
    """The report's article inside a stored HTML document (what the public page shows)."""
    start, end = document.find(BODY_START), document.find(BODY_END)
    if start < 0 or end < start:
        return ""
    return document[start + len(BODY_START) : end]


def pdf_document(document: str):
    """WeasyPrint's laid-out pages of the HTML document; resources only from this machine."""
    import weasyprint  # imported here: loading Pango is only needed when a PDF is made

    static_root = Path(finders.find(STYLESHEET)).parent
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"file", "data"})
    html = weasyprint.HTML(
        string=document, base_url=static_root.as_uri() + "/", url_fetcher=fetcher
    )
    return html.render(stylesheets=[weasyprint.CSS(string=PDF_STYLESHEET)])


def render_pdf(document: str) -> tuple[bytes, int]:
    """The PDF of the HTML document and its number of pages."""
    rendered = pdf_document(document)
    return rendered.write_pdf(), len(rendered.pages)
