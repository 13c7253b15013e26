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
