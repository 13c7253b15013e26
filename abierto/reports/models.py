"""National facts known only from a source: a state's stage, a national total, an agenda.

The national view computes everything it can from the exercises' own records (exercises,
secretariats, plans, commitments). These models hold what a source such as an INAI press
release reports without its detail: they never invent a date, a plan or a commitment.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from abierto.core.models import DatePrecision, Jurisdiction, format_partial_date


def period_end(value: dt.date, precision: str) -> dt.date:
    """The last day a partial date covers: «diciembre de 2018» ends on 31 December 2018."""
    if precision == DatePrecision.YEAR:
        return dt.date(value.year, 12, 31)
    if precision == DatePrecision.MONTH:
        return dt.date(value.year, value.month, calendar.monthrange(value.year, value.month)[1])
    return value


class Stage(models.TextChoices):
    """How far a state's exercise has gone, in order."""

    EXERCISE = "exercise", _("ejercicio local")
    STL_INSTALLED = "stl_installed", _("STL instalado")
    PLAN_PUBLISHED = "plan_published", _("plan de acción publicado")
    SECOND_CYCLE_PENDING = "second_cycle_pending", _("por iniciar su segundo ciclo")


class SourcedFact(models.Model):
    """A fact as a source gave it: as of when (as precisely as the source says) and where from."""

    as_of = models.DateField(_("a la fecha"))
    as_of_precision = models.CharField(
        _("precisión de la fecha"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    source = models.CharField(_("fuente"), max_length=255)

    class Meta:
        abstract = True

    @property
    def as_of_display(self) -> str:
        return format_partial_date(self.as_of, self.as_of_precision)

    @property
    def covers_until(self) -> dt.date:
        return period_end(self.as_of, self.as_of_precision)


class StageReport(SourcedFact):
    """A source says a state had reached a stage by a date (e.g. «18 STL instalados»)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.CASCADE,
        related_name="stage_reports",
        verbose_name=_("entidad federativa"),
        limit_choices_to={"kind": Jurisdiction.Kind.STATE},
    )
    stage = models.CharField(_("etapa"), max_length=30, choices=Stage.choices)

    class Meta:
        ordering = ["jurisdiction__inegi_code", "stage", "as_of"]
        verbose_name = _("etapa reportada")
        verbose_name_plural = _("etapas reportadas")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "stage", "as_of"], name="stage_report_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction}: {self.get_stage_display()} ({self.as_of_display})"


class NationalFigure(SourcedFact):
    """A national total reported by a source (e.g. «12 Planes de Acción Local»)."""

    class Metric(models.TextChoices):
        PLANS_PUBLISHED = "plans_published", _("planes de acción local publicados")
        COMMITMENTS = "commitments", _("compromisos")
        AUTHORITIES = "authorities", _("autoridades participantes")
        CIVIL_SOCIETY_ORGANIZATIONS = (
            "civil_society_organizations",
            _("organizaciones de la sociedad civil participantes"),
        )

    metric = models.CharField(_("indicador"), max_length=40, choices=Metric.choices)
    value = models.PositiveIntegerField(_("valor"))
    at_least = models.BooleanField(
        _("al menos"), default=False, help_text=_("La fuente dice «más de» este valor.")
    )
    note = models.TextField(_("nota"), blank=True)

    class Meta:
        ordering = ["metric", "-as_of"]
        verbose_name = _("cifra nacional reportada")
        verbose_name_plural = _("cifras nacionales reportadas")
        constraints = [
            models.UniqueConstraint(fields=["metric", "as_of"], name="national_figure_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()}: {self.value} ({self.as_of_display})"


class ReportedAgenda(SourcedFact):
    """An agenda a source says the local commitments cover (e.g. «hacienda pública»)."""

    name = models.CharField(_("agenda"), max_length=120)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)

    class Meta:
        ordering = ["-as_of", "position", "name"]
        verbose_name = _("agenda reportada")
        verbose_name_plural = _("agendas reportadas")
        constraints = [
            models.UniqueConstraint(fields=["name", "as_of"], name="reported_agenda_unique"),
        ]

    def __str__(self) -> str:
        return self.name


def annual_report_upload_to(instance: AnnualReport, filename: str) -> str:
    # A fresh name per build (the storage adds a suffix if taken): a rebuild writes new files
    # and swaps them in, so the report being served is never half-written.
    return f"informes-anuales/{instance.exercise.slug}/{instance.year}/{filename}"


class AnnualReport(models.Model):
    """The STL's annual activity report of one exercise and year: its build and its files.

    One row per exercise and year. The files are the last successful build; `status` and
    `error` describe the latest attempt, so a failed rebuild leaves the previous files served.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("en cola")
        RUNNING = "running", _("en proceso")
        DONE = "done", _("terminado")
        FAILED = "failed", _("fallido")

    exercise = models.ForeignKey(
        "core.Exercise",
        on_delete=models.CASCADE,
        related_name="annual_reports",
        verbose_name=_("ejercicio"),
    )
    year = models.PositiveSmallIntegerField(_("año"))
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    steps_done = models.PositiveSmallIntegerField(_("pasos terminados"), default=0)
    steps_total = models.PositiveSmallIntegerField(_("pasos"), default=0)
    step_label = models.CharField(_("paso en curso"), max_length=200, blank=True)
    html = models.FileField(
        _("HTML"), upload_to=annual_report_upload_to, blank=True, max_length=255
    )
    html_sha256 = models.CharField(max_length=64, blank=True)
    html_size = models.PositiveBigIntegerField(_("tamaño del HTML"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=annual_report_upload_to, blank=True, max_length=255)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveBigIntegerField(_("tamaño del PDF"), null=True, blank=True)
    pdf_pages = models.PositiveIntegerField(_("páginas del PDF"), null=True, blank=True)
    document = models.ForeignKey(
        "core.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("documento archivado"),
    )
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        "core.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("solicitado por"),
    )
    requested_at = models.DateTimeField(_("solicitado"), null=True, blank=True)
    started_at = models.DateTimeField(_("inicio"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    built_at = models.DateTimeField(_("publicado"), null=True, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        ordering = ["exercise", "-year"]
        verbose_name = _("informe anual")
        verbose_name_plural = _("informes anuales")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "year"], name="annual_report_unique_year"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} {self.year}"

    @property
    def is_built(self) -> bool:
        """A version of the report is published (whatever the latest attempt did)."""
        return bool(self.pdf) and bool(self.html)

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.steps_total:
            return 0
        return round(100 * self.steps_done / self.steps_total)
