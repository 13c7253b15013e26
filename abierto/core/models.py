"""Shared pieces: places, organisations, exercises, people, documents, audit, reported totals."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    DAY = "day", _("día")
    MONTH = "month", _("mes")
    YEAR = "year", _("año")


def format_partial_date(value: dt.date | None, precision: str) -> str:
    """Render a date only as precisely as the source gave it (e.g. «agosto de 2017»)."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


class Jurisdiction(models.Model):
    """A place with its INEGI key: a state (entidad federativa) or a municipality."""

    class Kind(models.TextChoices):
        STATE = "state", _("entidad federativa")
        MUNICIPALITY = "municipality", _("municipio")

    inegi_code = models.CharField(_("clave INEGI"), max_length=5, unique=True)
    name = models.CharField(_("nombre"), max_length=120)
    short_name = models.CharField(_("nombre corto"), max_length=60, blank=True)
    slug = models.SlugField(max_length=140, unique=True)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("entidad"),
    )

    class Meta:
        ordering = ["inegi_code"]
        verbose_name = _("jurisdicción")
        verbose_name_plural = _("jurisdicciones")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="state") & Q(parent__isnull=True))
                | (Q(kind="municipality") & Q(parent__isnull=False)),
                name="jurisdiction_municipality_has_state",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    """An institution, company, university or civil-society organisation."""

    class Sector(models.TextChoices):
        GUARANTOR = "guarantor", _("Órgano garante")
        EXECUTIVE = "executive", _("Poder Ejecutivo")
        LEGISLATIVE = "legislative", _("Poder Legislativo")
        JUDICIAL = "judicial", _("Poder Judicial")
        MUNICIPAL = "municipal", _("Ayuntamiento")
        ACADEMIA = "academia", _("Academia")
        BUSINESS = "business", _("Sector empresarial")
        CIVIL_SOCIETY = "civil_society", _("Sociedad civil")
        TECH_COMMUNITY = "tech_community", _("Comunidad tecnológica")
        FEDERAL = "federal", _("Instancia federal")
        OTHER = "other", _("Otro")

    name = models.CharField(_("nombre"), max_length=255, unique=True)
    acronym = models.CharField(_("siglas"), max_length=40, blank=True)
    slug = models.SlugField(max_length=255, unique=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("jurisdicción"),
    )
    website = models.URLField(_("sitio web"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")

    def __str__(self) -> str:
        return self.acronym or self.name


class User(AbstractUser):
    """A person with an account. E-mail and phone are personal data: never published."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("institución"),
    )
    phone = models.CharField(_("teléfono"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")

    @property
    def public_name(self) -> str:
        """The name shown publicly: full name, never the e-mail."""
        return self.get_full_name() or self.username


class Exercise(models.Model):
    """One jurisdiction's Open Government exercise (ejercicio local de Gobierno Abierto)."""

    jurisdiction = models.OneToOneField(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="exercise",
        verbose_name=_("entidad federativa"),
    )
    name = models.CharField(_("nombre"), max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(_("descripción"), blank=True)
    started_on = models.DateField(_("inicio"), null=True, blank=True)
    started_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    website = models.URLField(_("sitio web"), blank=True)

    class Meta:
        ordering = ["jurisdiction__inegi_code"]
        verbose_name = _("ejercicio local")
        verbose_name_plural = _("ejercicios locales")

    def __str__(self) -> str:
        return self.name


class ReportedFigure(models.Model):
    """A total given by a source without its detail (e.g. «30 reuniones de comités»)."""

    class Metric(models.TextChoices):
        STL_SESSIONS = "stl_sessions", _("sesiones del STL")
        COMMITTEE_MEETINGS = "committee_meetings", _("reuniones de comités de acompañamiento")
        LIAISON_MEETINGS = "liaison_meetings", _("reuniones de enlaces")

    exercise = models.ForeignKey(
        Exercise,
        on_delete=models.CASCADE,
        related_name="reported_figures",
        verbose_name=_("ejercicio"),
    )
    metric = models.CharField(_("indicador"), max_length=40, choices=Metric.choices)
    period_start = models.DateField(_("desde"))
    period_end = models.DateField(_("hasta"))
    value = models.PositiveIntegerField(_("valor"))
    source = models.CharField(_("fuente"), max_length=255)
    note = models.TextField(_("nota"), blank=True)

    class Meta:
        ordering = ["exercise", "metric", "period_start"]
        verbose_name = _("cifra reportada")
        verbose_name_plural = _("cifras reportadas")
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "metric", "period_start", "period_end"],
                name="reported_figure_unique_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="reported_figure_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()}: {self.value}"


def document_upload_to(instance: Document, filename: str) -> str:
    return f"documents/{timezone.now():%Y/%m}/{PurePosixPath(filename).name}"


class DocumentQuerySet(models.QuerySet):
    def for_object(self, obj: models.Model) -> DocumentQuerySet:
        """Documents attached to one object."""
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class Document(models.Model):
    """Minutes, a press note, a photo, a video, a report: an uploaded file or a link."""

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("minuta")
        PRESS_NOTE = "press_note", _("nota periodística")
        PHOTO = "photo", _("fotografía")
        VIDEO = "video", _("video")
        REPORT = "report", _("informe")
        EVIDENCE = "evidence", _("evidencia")
        OTHER = "other", _("otro")

    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("título"), max_length=255)
    description = models.TextField(_("descripción"), blank=True)
    file = models.FileField(_("archivo"), upload_to=document_upload_to, blank=True, max_length=255)
    url = models.URLField(_("enlace"), blank=True, max_length=500)
    media_type = models.CharField(_("tipo de medio"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("tamaño en bytes"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    published_on = models.DateField(_("fecha"), null=True, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    attached_to = GenericForeignKey("content_type", "object_id")
    uploaded_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subido por"),
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("documento")
        verbose_name_plural = _("documentos")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(file="") & Q(url="")), name="document_has_file_or_link"
            ),
            models.CheckConstraint(condition=Q(file="") | Q(url=""), name="document_file_xor_link"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def href(self) -> str:
        return self.file.url if self.file else self.url


class AuditEntry(models.Model):
    """Append-only record of a change to public content: who, when, before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("creación")
        UPDATE = "update", _("modificación")
        DELETE = "delete", _("eliminación")

    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("autor"),
    )
    action = models.CharField(_("acción"), max_length=10, choices=Action.choices)
    verb = models.CharField(_("operación"), max_length=80)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("objeto"), max_length=255)
    before = models.JSONField(_("antes"), null=True, blank=True)
    after = models.JSONField(_("después"), null=True, blank=True)
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("registro de auditoría")
        verbose_name_plural = _("registros de auditoría")

    def __str__(self) -> str:
        return f"{self.verb} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only.")
