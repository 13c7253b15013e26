"""Public pages of the action plans: list, monitoring dashboard, commitment, downloads."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from abierto.core import charts
from abierto.core.exports import Column, declared_columns, export_response, requested_format
from abierto.core.pagecache import public_page
from abierto.core.templatetags.abierto import markdown
from abierto.core.views import get_exercise_or_404
from abierto.plans import rules as plan_rules
from abierto.plans.exports import (
    COMMITMENT_COLUMNS,
    MILESTONE_COLUMNS,
    PLAN_COLUMNS,
    UPDATE_COLUMNS,
)
from abierto.plans.filters import CommitmentFilter
from abierto.plans.models import (
    ActionPlan,
    Commitment,
    CommitteeMember,
    Completion,
    Meeting,
    Milestone,
    ProgressUpdate,
    Verification,
)
from abierto.plans.progress import Progress, commitments_progress, plan_percent

TIMELINE_PAGE_SIZE = 20
NARRATIVE_CACHE_SECONDS = 7 * 24 * 3600


def _get_plan(exercise: str, plan: str) -> ActionPlan:
    """The public plan named in the URL, with its exercise, or 404."""
    plans = ActionPlan.objects.public().select_related("exercise")
    return get_object_or_404(plans, exercise__slug=exercise, slug=plan)


def _commitment_path(commitment: Commitment, plan: ActionPlan) -> str:
    return reverse(
        "plans:commitment",
        kwargs={"exercise": plan.exercise.slug, "plan": plan.slug, "commitment": commitment.slug},
    )


def _names(organizations: Iterable) -> list[str]:
    return [org.name for org in organizations]


@dataclass
class CommitmentRow:
    """A commitment as the dashboard shows it: with its progress and its bar."""

    commitment: Commitment
    progress: Progress
    url: str

    @property
    def percent_text(self) -> str:
        return charts.percent_text(self.progress.percent)

    @property
    def bar(self) -> str:
        return charts.progress_bar(self.progress.percent, str(self.commitment))


# ---------------------------------------------------------------------------- plans list


@public_page
def plan_list(request: HttpRequest, exercise: str) -> HttpResponse:
    """The exercise's public action plans with their weighted progress."""
    exercise_obj = get_exercise_or_404(exercise)
    plans = list(ActionPlan.objects.public().filter(exercise=exercise_obj).order_by("-start_year"))
    commitments = list(
        Commitment.objects.filter(plan__in=plans).only("id", "plan_id", "completion")
    )
    progress = commitments_progress(commitments)
    by_plan: dict[int, list[Progress]] = {plan.pk: [] for plan in plans}
    completed: Counter[int] = Counter()
    for commitment in commitments:
        by_plan[commitment.plan_id].append(progress[commitment.pk])
        completed[commitment.plan_id] += commitment.completion == Completion.COMPLETE
    for plan in plans:
        plan.exercise = exercise_obj
        plan.percent = plan_percent(by_plan[plan.pk])
        plan.percent_text = charts.percent_text(plan.percent)
        plan.bar = charts.progress_bar(plan.percent, plan.title)
        plan.commitment_count = len(by_plan[plan.pk])
        plan.completed_count = completed[plan.pk]
    fmt = requested_format(request)
    if fmt:
        columns = declared_columns(
            PLAN_COLUMNS,
            titulo=lambda p: p.title,
            slug=lambda p: p.slug,
            ciclo=lambda p: p.cycle,
            anio_inicio=lambda p: p.start_year,
            anio_termino=lambda p: p.end_year,
            estado=lambda p: p.get_status_display(),
            presentacion=lambda p: p.presented_display,
            compromisos=lambda p: p.commitment_count,
            compromisos_completos=lambda p: p.completed_count,
            avance_porcentaje=lambda p: p.percent,
            url=lambda p: request.build_absolute_uri(
                reverse("plans:dashboard", kwargs={"exercise": exercise, "plan": p.slug})
            ),
        )
        return export_response(fmt, rows=plans, columns=columns, filename=f"planes-{exercise}")
    return render(request, "plans/plan_list.html", {"exercise": exercise_obj, "plans": plans})


# ----------------------------------------------------------------------------- dashboard


def _commitment_columns(request: HttpRequest, plan: ActionPlan) -> list[Column]:
    return declared_columns(
        COMMITMENT_COLUMNS,
        numero=lambda r: r.commitment.number,
        compromiso=lambda r: r.commitment.title,
        slug=lambda r: r.commitment.slug,
        tema=lambda r: r.commitment.theme.name if r.commitment.theme else "",
        pilares=lambda r: [p.name for p in r.commitment.pillars.all()],
        implementadores=lambda r: _names(r.commitment.lead_implementers.all()),
        organizaciones_sociedad_civil=lambda r: _names(r.commitment.partners.all()),
        nivel_cumplimiento=lambda r: r.commitment.get_completion_display(),
        nivel_cumplimiento_clave=lambda r: r.commitment.completion,
        avance_porcentaje=lambda r: r.progress.percent,
        metas=lambda r: r.progress.milestones,
        con_retraso=lambda r: r.progress.behind_schedule,
        inicio=lambda r: r.commitment.start_on,
        termino=lambda r: r.commitment.end_on,
        url=lambda r: request.build_absolute_uri(r.url),
    )


@public_page
def dashboard(request: HttpRequest, exercise: str, plan: str) -> HttpResponse:
    """The plan's monitoring dashboard (tablero de monitoreo): every commitment and its progress."""
    plan_obj = _get_plan(exercise, plan)
    fmt = requested_format(request)
    base = Commitment.objects.filter(plan=plan_obj).order_by("number")
    related = ["pillars", "lead_implementers"] + (["partners"] if fmt else [])
    commitments = list(base.select_related("theme").prefetch_related(*related))
    today = timezone.localdate()
    progress = commitments_progress(commitments, today)

    filterset = CommitmentFilter(request.GET or None, queryset=base)
    filterset.limit_choices_to(base)
    filtering = False
    if filterset.is_bound:
        filterset.is_valid()
        cleaned = getattr(filterset.form, "cleaned_data", {})
        filtering = any(value not in (None, "") for value in cleaned.values())
    shown_ids = set(filterset.qs.values_list("pk", flat=True)) if filtering else None

    rows = [
        CommitmentRow(c, progress[c.pk], _commitment_path(c, plan_obj))
        for c in commitments
        if shown_ids is None or c.pk in shown_ids
    ]
    if fmt:
        return export_response(
            fmt,
            rows=rows,
            columns=_commitment_columns(request, plan_obj),
            filename=f"compromisos-{plan_obj.exercise.slug}-{plan_obj.slug}",
        )

    all_progress = list(progress.values())
    shown_progress = [row.progress for row in rows]
    levels = Counter(row.commitment.completion for row in rows)
    slices = [charts.Slice(key, label, levels[key]) for key, label in Completion.choices]
    summary_title = _("Compromisos por nivel de cumplimiento")
    percent = plan_percent(all_progress)
    context = {
        "exercise": plan_obj.exercise,
        "plan": plan_obj,
        "rows": rows,
        "filterset": filterset,
        "filtering": filtering,
        "total": len(commitments),
        "plan_percent": percent,
        "plan_percent_text": charts.percent_text(percent),
        "plan_bar": charts.progress_bar(percent, plan_obj.title),
        "shown_percent_text": charts.percent_text(plan_percent(shown_progress)),
        "completed": sum(1 for c in commitments if c.completion == Completion.COMPLETE),
        "behind": sum(1 for p in all_progress if p.behind_schedule),
        "slices": [{"slice": s, "swatch": charts.legend_swatch(s.key)} for s in slices if s.count],
        "donut": charts.donut(
            slices, title=summary_title, description=charts.description_of(slices)
        ),
        "bar_chart": charts.bar_chart(
            [
                charts.Bar(
                    label=str(row.commitment.number),
                    name=str(row.commitment),
                    percent=row.progress.percent,
                    flagged=row.progress.behind_schedule,
                )
                for row in rows
            ],
            title=_("Avance por compromiso"),
            description=_(
                "Porcentaje de avance ponderado de cada compromiso mostrado, de 0 a 100; "
                "las cifras también aparecen en la tabla."
            ),
        ),
        "today": today,
    }
    return render(request, "plans/dashboard.html", context)


# ---------------------------------------------------------------------------- commitment


@dataclass
class MilestoneRow:
    milestone: Milestone
    overdue: bool

    @property
    def percent_text(self) -> str:
        return charts.percent_text(self.milestone.percent)

    @property
    def bar(self) -> str:
        return charts.progress_bar(self.milestone.percent, self.milestone.description[:80])


def _timeline(commitment: Commitment) -> Paginator:
    updates = (
        ProgressUpdate.objects.filter(milestone__commitment=commitment)
        .timeline()
        .prefetch_related(
            "documents",
            Prefetch(
                "verifications",
                queryset=Verification.objects.select_related("verifier").order_by(
                    "created_at", "id"
                ),
            ),
            Prefetch(
                "corrections",
                queryset=ProgressUpdate.objects.only(
                    "id", "corrects_id", "reported_at", "percent"
                ).order_by("reported_at", "id"),
            ),
        )
    )
    return Paginator(updates, TIMELINE_PAGE_SIZE)


def _narratives_html(updates: list[ProgressUpdate]) -> dict[int, str]:
    """Each update's narrative as sanitised HTML, cached by the text's digest."""
    keys = {
        update.pk: "abierto:markdown:v1:" + hashlib.sha256(update.narrative.encode()).hexdigest()
        for update in updates
    }
    html = cache.get_many(set(keys.values()))
    missing = {
        keys[update.pk]: markdown(update.narrative)
        for update in updates
        if keys[update.pk] not in html
    }
    if missing:
        cache.set_many(missing, timeout=NARRATIVE_CACHE_SECONDS)
        html.update(missing)
    # The cache holds only what the `markdown` filter (nh3) produced from that very text.
    return {pk: mark_safe(html[key]) for pk, key in keys.items()}  # noqa: S308


@public_page
def commitment_detail(
    request: HttpRequest, exercise: str, plan: str, commitment: str
) -> HttpResponse:
    """A commitment: what it is, who does it, its milestones and its public progress timeline."""
    commitment_obj = get_object_or_404(
        Commitment.objects.public()
        .select_related("plan__exercise", "theme", "committee")
        .prefetch_related("pillars", "lead_implementers", "partners", "documents"),
        plan__exercise__slug=exercise,
        plan__slug=plan,
        slug=commitment,
    )
    plan_obj = commitment_obj.plan
    today = timezone.localdate()
    progress = commitments_progress([commitment_obj], today)[commitment_obj.pk]
    milestones = [
        MilestoneRow(
            m,
            overdue=m.due_on < today and m.percent < 100 and m.status != Milestone.Status.CANCELLED,
        )
        for m in Milestone.objects.filter(commitment=commitment_obj)
        .with_progress()
        .order_by("position", "id")
    ]
    page = _timeline(commitment_obj).get_page(request.GET.get("pagina"))
    user = request.user
    can_report = user.is_authenticated and plan_rules.can_report(user, commitment_obj)
    updates = list(page.object_list)
    narratives = _narratives_html(updates)
    for update in updates:
        update.narrative_html = narratives[update.pk]
        # Bounded by the page size; anonymous visitors (the many) cost no query here.
        update.can_verify = user.is_authenticated and plan_rules.can_verify(user, update)
        update.verification_counts = Counter(v.verdict for v in update.verifications.all())
    committee = getattr(commitment_obj, "committee", None)
    members, meetings = [], []
    if committee is not None:
        members = list(
            CommitteeMember.objects.filter(committee=committee)
            .select_related("user", "organization")
            .order_by("role", "id")
        )
        meetings = list(
            Meeting.objects.filter(committee=committee)
            .prefetch_related("documents")
            .order_by("-held_on", "-id")
        )
    context = {
        "exercise": plan_obj.exercise,
        "plan": plan_obj,
        "commitment": commitment_obj,
        "progress": progress,
        "percent_text": charts.percent_text(progress.percent),
        "bar": charts.progress_bar(progress.percent, str(commitment_obj)),
        "milestones": milestones,
        "page": page,
        "updates": updates,
        "can_report": can_report,
        "committee": committee,
        "members": members,
        "meetings": meetings,
        "Verdict": Verification.Verdict,
    }
    return render(request, "plans/commitment.html", context)


# ------------------------------------------------------------------- plan-wide downloads


def milestones_export(request: HttpRequest, exercise: str, plan: str, fmt: str) -> HttpResponse:
    """Every milestone of the plan with its latest reported percent."""
    plan_obj = _get_plan(exercise, plan)
    today = timezone.localdate()
    milestones = (
        Milestone.objects.filter(commitment__plan=plan_obj)
        .select_related("commitment")
        .with_progress()
        .order_by("commitment__number", "position", "id")
    )

    def overdue(m: Milestone) -> bool:
        return m.due_on < today and m.percent < 100 and m.status != Milestone.Status.CANCELLED

    columns = declared_columns(
        MILESTONE_COLUMNS,
        compromiso_numero=lambda m: m.commitment.number,
        compromiso=lambda m: m.commitment.title,
        meta_numero=lambda m: m.position,
        meta=lambda m: m.description,
        peso=lambda m: m.weight,
        inicio=lambda m: m.start_on,
        fecha_limite=lambda m: m.due_on,
        estado=lambda m: m.get_status_display(),
        avance_porcentaje=lambda m: m.percent,
        vencida=overdue,
    )
    return export_response(
        fmt,
        rows=milestones.iterator(chunk_size=1000),
        columns=columns,
        filename=f"metas-{plan_obj.exercise.slug}-{plan_obj.slug}",
    )


def updates_export(request: HttpRequest, exercise: str, plan: str, fmt: str) -> HttpResponse:
    """Every progress update of the plan, newest first, with its verification tally."""
    plan_obj = _get_plan(exercise, plan)
    updates = (
        ProgressUpdate.objects.filter(milestone__commitment__plan=plan_obj)
        .select_related("milestone__commitment", "reported_by")
        .annotate(
            confirmed=Count(
                "verifications", filter=Q(verifications__verdict=Verification.Verdict.CONFIRMED)
            ),
            disputed=Count(
                "verifications", filter=Q(verifications__verdict=Verification.Verdict.DISPUTED)
            ),
        )
        .prefetch_related("documents")
        .order_by("-reported_at", "-id")
    )
    columns = declared_columns(
        UPDATE_COLUMNS,
        id=lambda u: u.pk,
        compromiso_numero=lambda u: u.milestone.commitment.number,
        compromiso=lambda u: u.milestone.commitment.title,
        meta_numero=lambda u: u.milestone.position,
        meta=lambda u: u.milestone.description,
        avance_porcentaje=lambda u: u.percent,
        fecha_reporte=lambda u: timezone.localtime(u.reported_at),
        reportado_por=lambda u: u.reported_by.public_name,
        descripcion=lambda u: u.narrative,
        corrige_a=lambda u: u.corrects_id,
        validaciones_confirmadas=lambda u: u.confirmed,
        validaciones_objetadas=lambda u: u.disputed,
        evidencias=lambda u: [request.build_absolute_uri(d.href) for d in u.documents.all()],
    )
    return export_response(
        fmt,
        rows=updates.iterator(chunk_size=500),
        columns=columns,
        filename=f"avances-{plan_obj.exercise.slug}-{plan_obj.slug}",
    )
