"""Load jobs: one row per attempt to load a resource's file into the datastore.

The tables themselves are not Django models: they live behind the `datastore` alias
(schema.py). A Load lives in `default`, with the catalog, and is what the load page shows
while the worker reads the file.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abierto.catalog.models import Resource


class LoadQuerySet(models.QuerySet):
    def active(self) -> LoadQuerySet:
        """Queued or running loads."""
        return self.filter(status__in=[Load.Status.QUEUED, Load.Status.RUNNING])


class Load(models.Model):
    """A load of a resource's file into a datastore table, with its progress and outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en cola")
        RUNNING = "running", _("en proceso")
        DONE = "done", _("terminada")
        FAILED = "failed", _("fallida")

    class Phase(models.TextChoices):
        READING = "reading", _("análisis de tipos")
        WRITING = "writing", _("escritura de filas")
        # The rows already serve; `q` gets fast once this ends.
        INDEXING = "indexing", _("índice de búsqueda de texto")

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="loads", verbose_name=_("recurso")
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    phase = models.CharField(_("fase"), max_length=10, choices=Phase.choices, default=Phase.READING)
    bytes_total = models.PositiveBigIntegerField(_("bytes del archivo"), default=0)
    # Bytes read in the current phase: the file is read twice (types, then rows).
    bytes_read = models.PositiveBigIntegerField(_("bytes leídos"), default=0)
    rows_loaded = models.PositiveBigIntegerField(_("filas cargadas"), default=0)
    started_at = models.DateTimeField(_("inicio"), null=True, blank=True)
    writing_started_at = models.DateTimeField(_("inicio de la escritura"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    # {"row": 48213, "column": "monto", "value": "N/D por error", "message": "..."}
    error = models.JSONField(_("error"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("solicitada por"),
    )
    # The data dictionary entries applied: [{"id", "type", "info"}] (type forced or null).
    fields = models.JSONField(_("campos aplicados"), default=list, blank=True)
    notes = models.JSONField(_("notas de lectura"), default=list, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    objects = LoadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("carga al almacén")
        verbose_name_plural = _("cargas al almacén")
        indexes = [models.Index(fields=["resource", "-created_at"], name="datastore_load_latest")]

    def __str__(self) -> str:
        return f"{self.resource} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def fraction(self) -> float:
        """How much of the work is done (0–1): each of the two passes is half of it; the
        text index, which reports no progress of its own, is shown as the last step."""
        if self.status == self.Status.DONE:
            return 1.0
        if self.phase == self.Phase.INDEXING:
            return 0.99
        if not self.bytes_total:
            return 0.0
        half = min(self.bytes_read / self.bytes_total, 1.0) / 2
        return half + (0.5 if self.phase == self.Phase.WRITING else 0.0)

    @property
    def rate(self) -> float | None:
        """Rows written per second, once writing has started."""
        if self.writing_started_at is None or not self.rows_loaded:
            return None
        end = self.finished_at or timezone.now()
        seconds = (end - self.writing_started_at).total_seconds()
        return self.rows_loaded / seconds if seconds > 0 else None

    @property
    def seconds_left(self) -> int | None:
        """An estimate from the pace so far, while running."""
        if self.status != self.Status.RUNNING or self.started_at is None:
            return None
        if self.phase == self.Phase.INDEXING:
            return None  # no pace to go by
        done = self.fraction
        if done <= 0.01:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        return round(elapsed * (1 - done) / done)
