"""Local Action Plans: commitments, milestones, progress, verification, committees, meetings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abierto.core.models import DatePrecision, Exercise, Organization, format_partial_date


class Theme(models.Model):
    """An agenda theme (agenda temática): public security, education, …"""

    name = models.CharField(_("nombre"), max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tema de agenda")
        verbose_name_plural = _("temas de agenda")

    def __str__(self) -> str:
        return self.name


class Pillar(models.Model):
    """One of the four pillars of Open Government."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("nombre"), max_length=120)
    description = models.TextField(_("descripción"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pilar")
        verbose_name_plural = _("pilares")

    def __str__(self) -> str:
        return self.name


class ActionPlanQuerySet(models.QuerySet):
    def public(self) -> ActionPlanQuerySet:
        """Plans visible to everyone (all but those still in co-creation drafts)."""
        return self.exclude(status=ActionPlan.Status.DRAFT)


class ActionPlan(models.Model):
    """A Local Action Plan (Plan de Acción Local, PAL) for one cycle."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("borrador")
        CO_CREATION = "co_creation", _("en co-creación")
        PUBLISHED = "published", _("publicado")
        IMPLEMENTATION = "implementation", _("en implementación")
        CLOSED = "closed", _("concluido")

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="plans", verbose_name=_("ejercicio")
    )
    title = models.CharField(_("título"), max_length=255)
    slug = models.SlugField(max_length=100)
    cycle = models.PositiveSmallIntegerField(_("ciclo"), default=1)
    start_year = models.PositiveSmallIntegerField(_("año de inicio"))
    end_year = models.PositiveSmallIntegerField(_("año de término"))
    status = models.CharField(_("estado"), max_length=20, choices=Status.choices)
    description = models.TextField(_("descripción"), blank=True)
    presented_on = models.DateField(_("presentación"), null=True, blank=True)
    presented_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    presentation_place = models.CharField(_("lugar de la presentación"), max_length=255, blank=True)
    presentation_attendance = models.PositiveIntegerField(
        _("asistentes a la presentación"), null=True, blank=True
    )
    presentation_summary = models.TextField(_("reseña de la presentación"), blank=True)
    implementation_started_on = models.DateField(
        _("inicio de la implementación"), null=True, blank=True
    )
    implementation_started_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    source = models.CharField(_("fuente"), max_length=255, blank=True)
    documents = GenericRelation("core.Document", related_query_name="plan")

    objects = ActionPlanQuerySet.as_manager()

    class Meta:
        ordering = ["exercise", "-start_year", "id"]  # id: a stable page order
        verbose_name = _("Plan de Acción Local")
        verbose_name_plural = _("Planes de Acción Local")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "slug"], name="plan_unique_slug"),
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")),
                name="plan_years_ordered",
                violation_error_message=_("El año de término no puede ser anterior al de inicio."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def period(self) -> str:
        return f"{self.start_year}-{self.end_year}"

    @property
    def presented_display(self) -> str:
        return format_partial_date(self.presented_on, self.presented_on_precision)


class Completion(models.TextChoices):
    """Completion levels as in the Open Government Partnership's reviews."""

    NOT_STARTED = "not_started", _("sin iniciar")
    LIMITED = "limited", _("limitado")
    SUBSTANTIAL = "substantial", _("sustancial")
    COMPLETE = "complete", _("completo")
    WITHDRAWN = "withdrawn", _("retirado")


# The progress a completion level stands for when a commitment has no milestones recorded.
COMPLETION_PERCENT = {
    Completion.NOT_STARTED: Decimal(0),
    Completion.COMPLETE: Decimal(100),
}


class CommitmentQuerySet(models.QuerySet):
    def public(self) -> CommitmentQuerySet:
        """Commitments of public plans."""
        return self.exclude(plan__status=ActionPlan.Status.DRAFT)

    def implemented_by(self, organization_id: int | None) -> CommitmentQuerySet:
        """Commitments whose lead implementers include the organisation."""
        return self.filter(lead_implementers__id=organization_id)

    def behind_schedule(self, today: dt.date | None = None) -> CommitmentQuerySet:
        """Commitments with a milestone past its due date and not finished."""
        today = today or timezone.localdate()
        overdue = Milestone.objects.overdue(today).filter(commitment=OuterRef("pk"))
        return self.filter(models.Exists(overdue)).exclude(completion=Completion.WITHDRAWN)


class Commitment(models.Model):
    """A commitment (compromiso) of a plan."""

    plan = models.ForeignKey(
        ActionPlan, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("plan")
    )
    number = models.PositiveSmallIntegerField(_("número"))
    title = models.CharField(_("título"), max_length=400)
    slug = models.SlugField(max_length=120)
    problem = models.TextField(_("problema público"), blank=True)
    objective = models.TextField(_("objetivo"), blank=True)
    theme = models.ForeignKey(
        Theme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("tema"),
    )
    pillars = models.ManyToManyField(
        Pillar, blank=True, related_name="commitments", verbose_name=_("pilares")
    )
    lead_implementers = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="implemented_commitments",
        verbose_name=_("implementadores"),
    )
    partners = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="partnered_commitments",
        verbose_name=_("organizaciones de la sociedad civil"),
    )
    completion = models.CharField(
        _("nivel de cumplimiento"),
        max_length=20,
        choices=Completion.choices,
        default=Completion.NOT_STARTED,
    )
    completion_note = models.TextField(_("nota de cumplimiento"), blank=True)
    start_on = models.DateField(_("inicio"), null=True, blank=True)
    end_on = models.DateField(_("término"), null=True, blank=True)
    source = models.CharField(_("fuente"), max_length=255, blank=True)
    documents = GenericRelation("core.Document", related_query_name="commitment")

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("compromiso")
        verbose_name_plural = _("compromisos")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="commitment_unique_number"),
            models.UniqueConstraint(fields=["plan", "slug"], name="commitment_unique_slug"),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True)
                | Q(start_on__isnull=True)
                | Q(end_on__gte=F("start_on")),
                name="commitment_dates_ordered",
                violation_error_message=_(
                    "La fecha de término no puede ser anterior a la de inicio."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


def _latest_percent() -> models.Expression:
    """The percent of a milestone's latest progress update, 0 when it has none."""
    latest = (
        ProgressUpdate.objects.filter(milestone=OuterRef("pk"))
        .order_by("-reported_at", "-id")
        .values("percent")[:1]
    )
    return models.functions.Coalesce(Subquery(latest), 0)


class MilestoneQuerySet(models.QuerySet):
    def with_progress(self) -> MilestoneQuerySet:
        """Annotate `percent`: the latest progress update's percent (0 when none)."""
        return self.annotate(percent=_latest_percent())

    def overdue(self, today: dt.date | None = None) -> MilestoneQuerySet:
        """Milestones past their due date whose latest reported progress is under 100%."""
        today = today or timezone.localdate()
        return (
            self.filter(due_on__lt=today)
            .exclude(status=Milestone.Status.CANCELLED)
            .annotate(latest_percent=_latest_percent())
            .filter(latest_percent__lt=100)
        )


class Milestone(models.Model):
    """A dated, weighted deliverable (meta) of a commitment."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("programada")
        IN_PROGRESS = "in_progress", _("en proceso")
        COMPLETED = "completed", _("cumplida")
        CANCELLED = "cancelled", _("cancelada")

    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.CASCADE,
        related_name="milestones",
        verbose_name=_("compromiso"),
    )
    position = models.PositiveSmallIntegerField(_("número"), default=1)
    description = models.TextField(_("descripción"))
    weight = models.PositiveSmallIntegerField(_("peso"), default=1)
    start_on = models.DateField(_("inicio"))
    due_on = models.DateField(_("fecha límite"))
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["commitment", "position", "id"]
        verbose_name = _("meta")
        verbose_name_plural = _("metas")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0),
                name="milestone_weight_positive",
                violation_error_message=_("El peso debe ser positivo."),
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("start_on")),
                name="milestone_due_after_start",
                violation_error_message=_("La fecha límite no puede ser anterior al inicio."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.number}.{self.position} {self.description[:60]}"


class ProgressUpdateQuerySet(models.QuerySet):
    def timeline(self) -> ProgressUpdateQuerySet:
        """Newest first, with who reported and the milestone, ready for the public timeline."""
        return self.select_related("reported_by", "milestone", "corrects").order_by(
            "-reported_at", "-id"
        )


class ProgressUpdate(models.Model):
    """An implementer's progress report on a milestone. Never edited: a correction is a new one."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, related_name="updates", verbose_name=_("meta")
    )
    percent = models.PositiveSmallIntegerField(_("avance (%)"))
    narrative = models.TextField(_("descripción del avance"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_updates",
        verbose_name=_("reportado por"),
    )
    reported_at = models.DateTimeField(_("fecha del reporte"))
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrige a"),
    )
    documents = GenericRelation("core.Document", related_query_name="progress_update")

    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["milestone", "-reported_at", "-id"], name="progress_latest_idx")
        ]
        verbose_name = _("reporte de avance")
        verbose_name_plural = _("reportes de avance")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100),
                name="progress_percent_0_100",
                violation_error_message=_("El avance debe estar entre 0 y 100 %."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} — {self.percent} %"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Progress updates are immutable; record a correction instead.")
        super().save(*args, **kwargs)


class Verification(models.Model):
    """Civil society confirms or disputes a progress update (validación)."""

    class Verdict(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmado")
        DISPUTED = "disputed", _("objetado")

    update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.CASCADE,
        related_name="verifications",
        verbose_name=_("reporte de avance"),
    )
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="verifications",
        verbose_name=_("validado por"),
    )
    verdict = models.CharField(_("dictamen"), max_length=10, choices=Verdict.choices)
    comment = models.TextField(_("comentario"), blank=True)
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("validación")
        verbose_name_plural = _("validaciones")
        constraints = [
            models.UniqueConstraint(
                fields=["update", "verifier"],
                name="verification_once_per_member",
                violation_error_message=_("Ya registró su validación de este reporte."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} — {self.update}"


class Committee(models.Model):
    """The accompaniment committee (comité de acompañamiento) of one commitment."""

    commitment = models.OneToOneField(
        Commitment, on_delete=models.CASCADE, related_name="committee", verbose_name=_("compromiso")
    )
    name = models.CharField(_("nombre"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("comité de acompañamiento")
        verbose_name_plural = _("comités de acompañamiento")

    def __str__(self) -> str:
        return self.name or _("Comité del compromiso %(number)s") % {
            "number": self.commitment.number
        }


class CommitteeMember(models.Model):
    """A member of a committee: civil society, implementer or liaison."""

    class Role(models.TextChoices):
        CIVIL_SOCIETY = "civil_society", _("sociedad civil")
        IMPLEMENTER = "implementer", _("implementador")
        LIAISON = "liaison", _("enlace")

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="members", verbose_name=_("comité")
    )
    role = models.CharField(_("papel"), max_length=20, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="committee_memberships",
        verbose_name=_("cuenta"),
    )
    person_name = models.CharField(_("nombre"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organización"),
    )

    class Meta:
        ordering = ["committee", "role", "id"]
        verbose_name = _("integrante del comité")
        verbose_name_plural = _("integrantes del comité")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "user"],
                condition=Q(user__isnull=False),
                name="committee_member_once",
            ),
        ]

    def __str__(self) -> str:
        return self.person_name or str(self.organization or "")


class Meeting(models.Model):
    """A committee or liaison meeting with its minutes."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("comité de acompañamiento")
        LIAISON = "liaison", _("enlaces")

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("ejercicio")
    )
    kind = models.CharField(_("tipo"), max_length=15, choices=Kind.choices)
    committee = models.ForeignKey(
        Committee,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("comité"),
    )
    held_on = models.DateField(_("fecha"))
    held_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    place = models.CharField(_("lugar"), max_length=255, blank=True)
    attendees = models.TextField(_("asistentes"), blank=True)
    attendee_count = models.PositiveIntegerField(_("número de asistentes"), null=True, blank=True)
    minutes = models.TextField(_("minuta"), blank=True)
    documents = GenericRelation("core.Document", related_query_name="meeting")

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("reunión")
        verbose_name_plural = _("reuniones")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="committee") & Q(committee__isnull=False))
                | (Q(kind="liaison") & Q(committee__isnull=True)),
                name="meeting_committee_matches_kind",
                violation_error_message=_(
                    "Una reunión de comité indica su comité; una de enlaces, no."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.held_display}"

    @property
    def held_display(self) -> str:
        return format_partial_date(self.held_on, self.held_on_precision)
