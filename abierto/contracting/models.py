"""Open contracting (OCDS 1.1): publishers, imports, immutable releases, compiled records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from abierto.core.fields import BulkJSONField
from abierto.core.models import Organization


class ImportFrequency(models.TextChoices):
    MANUAL = "manual", _("solo a petición")
    DAILY = "daily", _("diaria")
    WEEKLY = "weekly", _("semanal")


class Stage(models.TextChoices):
    """The furthest stage of a contracting process, in OCDS order."""

    PLANNING = "planning", _("planeación")
    TENDER = "tender", _("licitación")
    AWARD = "award", _("adjudicación")
    CONTRACT = "contract", _("contrato")
    IMPLEMENTATION = "implementation", _("implementación")


class Publisher(models.Model):
    """Who publishes OCDS data, with the ocid prefix OCP assigned to them."""

    name = models.CharField(_("nombre"), max_length=255)
    ocid_prefix = models.CharField(
        _("prefijo de ocid"),
        max_length=40,
        unique=True,
        help_text=_("Por ejemplo ocds-xs1qbl, asignado por Open Contracting Partnership."),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ocds_publishers",
        verbose_name=_("institución"),
    )
    # The only URL the platform ever fetches; URLs found inside the data never are.
    endpoint_url = models.URLField(_("URL de publicación"), blank=True, max_length=500)
    license = models.URLField(_("licencia"), blank=True, max_length=500)
    publication_policy = models.URLField(_("política de publicación"), blank=True, max_length=500)
    import_frequency = models.CharField(
        _("importación programada"),
        max_length=10,
        choices=ImportFrequency.choices,
        default=ImportFrequency.MANUAL,
        help_text=_("Con qué frecuencia se lee la URL de publicación (import_ocds --due)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("publicador OCDS")
        verbose_name_plural = _("publicadores OCDS")

    def __str__(self) -> str:
        return f"{self.name} ({self.ocid_prefix})"


def import_upload_to(instance: Import, filename: str) -> str:
    return f"contracting/imports/{filename}"


class Import(models.Model):
    """One load of a file (upload, URL or schedule) with its progress and a small report."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("archivo subido")
        URL = "url", _("URL del publicador")
        SCHEDULE = "schedule", _("programada")
        CAPTURE = "capture", _("captura en formularios")
        SPREADSHEET = "spreadsheet", _("hoja de cálculo")

    class Status(models.TextChoices):
        QUEUED = "queued", _("en cola")
        RUNNING = "running", _("en proceso")
        DONE = "done", _("terminada")
        FAILED = "failed", _("fallida")

    publisher = models.ForeignKey(
        Publisher, on_delete=models.PROTECT, related_name="imports", verbose_name=_("publicador")
    )
    source = models.CharField(_("origen"), max_length=20, choices=Source.choices)
    file = models.FileField(_("archivo"), upload_to=import_upload_to, blank=True, max_length=255)
    url = models.URLField(_("URL"), blank=True, max_length=500)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    format = models.CharField(_("formato"), max_length=40, blank=True)
    bytes_total = models.PositiveBigIntegerField(_("bytes totales"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("bytes leídos"), default=0)
    releases_seen = models.PositiveIntegerField(_("entregas leídas"), default=0)
    releases_stored = models.PositiveIntegerField(_("entregas guardadas"), default=0)
    releases_duplicate = models.PositiveIntegerField(_("entregas duplicadas"), default=0)
    releases_conflicting = models.PositiveIntegerField(_("entregas en conflicto"), default=0)
    releases_invalid = models.PositiveIntegerField(_("entregas con errores"), default=0)
    releases_rejected = models.PositiveIntegerField(_("entregas rechazadas"), default=0)
    records_compiled = models.PositiveIntegerField(_("registros compilados"), default=0)
    error = models.TextField(_("error"), blank=True)
    report = models.JSONField(_("informe"), default=dict, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    started_at = models.DateTimeField(_("inicio"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("importación OCDS")
        verbose_name_plural = _("importaciones OCDS")

    def __str__(self) -> str:
        return f"#{self.pk} {self.publisher.ocid_prefix} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(100, int(100 * self.bytes_read / self.bytes_total))

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ReleaseQuerySet(models.QuerySet):
    def for_ocid(self, ocid: str) -> ReleaseQuerySet:
        return self.filter(ocid=ocid).order_by("date", "id")


class Release(models.Model):
    """One OCDS release exactly as imported (after 1.0→1.1 upgrade and ocid prefix fix).

    Immutable: a release is never updated, only superseded by a later release of its ocid.
    """

    class Validity(models.TextChoices):
        VALID = "valid", _("válida")
        WARNINGS = "warnings", _("con advertencias")
        ERRORS = "errors", _("con errores")

    publisher = models.ForeignKey(
        Publisher, on_delete=models.PROTECT, related_name="releases", verbose_name=_("publicador")
    )
    source_import = models.ForeignKey(
        Import,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="releases",
        verbose_name=_("importación"),
    )
    ocid = models.CharField(max_length=255, db_index=True)
    release_id = models.CharField(_("id de entrega"), max_length=255)
    date = models.DateTimeField(_("fecha"), null=True, blank=True, db_index=True)
    tags = models.JSONField(_("etiquetas"), default=list)
    data = BulkJSONField()
    sha256 = models.CharField(max_length=64)
    validity = models.CharField(
        _("validez"), max_length=10, choices=Validity.choices, default=Validity.VALID
    )
    # A few examples of this release's own issues; the import keeps the grouped counts.
    issues = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("entrega OCDS")
        verbose_name_plural = _("entregas OCDS")
        constraints = [
            models.UniqueConstraint(fields=["ocid", "release_id"], name="release_unique_ocid_id")
        ]

    def __str__(self) -> str:
        return f"{self.ocid} / {self.release_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("OCDS releases are immutable")
        super().save(*args, **kwargs)


class Record(models.Model):
    """All releases of one contracting process (ocid), compiled with the OCDS merge rules."""

    ocid = models.CharField(max_length=255, unique=True)
    publisher = models.ForeignKey(
        Publisher, on_delete=models.PROTECT, related_name="records", verbose_name=_("publicador")
    )
    compiled_release = BulkJSONField(default=dict)
    release_count = models.PositiveIntegerField(default=0)
    compile_error = models.TextField(blank=True)
    issues = models.JSONField(default=list, blank=True)
    # Denormalised from the compiled release, for search pages of later slices.
    buyer_name = models.CharField(_("comprador"), max_length=500, blank=True)
    title = models.TextField(_("título"), blank=True)
    procurement_method = models.CharField(_("método"), max_length=40, blank=True)
    amount = models.DecimalField(_("monto"), max_digits=20, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("moneda"), max_length=3, blank=True)
    year = models.PositiveSmallIntegerField(_("año"), null=True, blank=True)
    stage = models.CharField(_("etapa"), max_length=20, choices=Stage.choices, blank=True)
    # tender.status (codelist tenderStatus): planning, active, complete, cancelled...
    status = models.CharField(_("estado"), max_length=40, blank=True)
    # The compiled release's date as published (ISO 8601 text sorts in time order): lists
    # sort by it without reading the compiled release.
    date = models.CharField(_("fecha"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("actualizado"), db_index=True)

    class Meta:
        ordering = ["updated_at", "ocid"]
        verbose_name = _("registro OCDS")
        verbose_name_plural = _("registros OCDS")
        indexes = [
            # Every column the search's order, filters and facets read: on SQLite they are
            # answered from this index alone, never from rows whose compiled release (tens of
            # kilobytes of overflow pages before these columns) would have to be walked.
            models.Index(
                fields=[
                    "date",
                    "ocid",
                    "procurement_method",
                    "year",
                    "stage",
                    "status",
                    "currency",
                    "amount",
                ],
                name="record_search_columns",
            ),
            # A publisher's year, for its yearly bulk files.
            models.Index(fields=["publisher", "year", "ocid"], name="record_publisher_year"),
        ]

    def __str__(self) -> str:
        return self.ocid


class RecordText(models.Model):
    """What the process search's text box matches, one row per record, apart from it.

    Lowercase and without accents (see `searching.py`): the ocid, title, tender description,
    buyer and suppliers. A table of its own so that matching reads these few hundred bytes
    per process and never the record's compiled release.
    """

    record = models.OneToOneField(
        Record, on_delete=models.CASCADE, primary_key=True, related_name="text"
    )
    text = models.TextField()

    class Meta:
        verbose_name = _("texto de búsqueda de un proceso")
        verbose_name_plural = _("textos de búsqueda de procesos")

    def __str__(self) -> str:
        return str(self.record_id)


class RecordParty(models.Model):
    """A party of a process in one role: the index that supplier and buyer pages and the
    search facets read instead of every compiled release."""

    class Role(models.TextChoices):
        BUYER = "buyer", _("comprador")
        PROCURING_ENTITY = "procuringEntity", _("entidad contratante")
        SUPPLIER = "supplier", _("proveedor")
        TENDERER = "tenderer", _("licitante")

    record = models.ForeignKey(
        Record, on_delete=models.CASCADE, related_name="party_roles", verbose_name=_("registro")
    )
    role = models.CharField(_("papel"), max_length=20, choices=Role.choices)
    # The page key: the party's identifier ("MX-RFC-ABC0101019X9") or, without one, its name
    # normalised; the same organisation across processes shares it.
    key = models.CharField(_("clave"), max_length=255)
    name = models.CharField(_("nombre"), max_length=500)
    identifier = models.CharField(_("identificador"), max_length=255, blank=True)
    # Supplier: the sum of the values of its awards in this process.
    amount = models.DecimalField(_("monto"), max_digits=20, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("moneda"), max_length=3, blank=True)

    class Meta:
        ordering = ["record", "role", "name"]
        verbose_name = _("parte de un proceso")
        verbose_name_plural = _("partes de procesos")
        constraints = [
            models.UniqueConstraint(fields=["record", "role", "key"], name="record_party_unique")
        ]
        indexes = [
            # Covers the supplier and buyer pages' lookups and the search's buyer facet
            # (a count and a name per key) without reading the rows.
            models.Index(
                fields=["role", "key", "name", "record"], name="record_party_role_key_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class RedFlag(models.Model):
    """A risk signal (an indicator of the OCP red-flags guide) raised by one process."""

    record = models.ForeignKey(
        Record, on_delete=models.CASCADE, related_name="red_flags", verbose_name=_("registro")
    )
    code = models.CharField(_("indicador"), max_length=8)  # "R018"
    # The values that raised it, so the page can say why (days, amounts, shares, threshold).
    details = models.JSONField(_("detalles"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("calculada"), auto_now=True)

    class Meta:
        ordering = ["record", "code"]
        verbose_name = _("señal de riesgo")
        verbose_name_plural = _("señales de riesgo")
        constraints = [models.UniqueConstraint(fields=["record", "code"], name="red_flag_unique")]
        indexes = [models.Index(fields=["code"], name="red_flag_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.record_id}"


class ValidationIssue(models.Model):
    """Issues of one import grouped by type and path, with a count and a few examples."""

    class Severity(models.TextChoices):
        ERROR = "error", _("error")
        WARNING = "warning", _("advertencia")
        INFO = "info", _("aviso")

    source_import = models.ForeignKey(
        Import, on_delete=models.CASCADE, related_name="issues", verbose_name=_("importación")
    )
    type = models.CharField(_("tipo"), max_length=60)
    severity = models.CharField(_("gravedad"), max_length=10, choices=Severity.choices)
    path = models.CharField(_("ruta"), max_length=500, blank=True)
    message = models.TextField(_("mensaje"))
    count = models.PositiveIntegerField(_("número"), default=0)
    examples = models.JSONField(_("ejemplos"), default=list)

    class Meta:
        ordering = ["severity", "-count", "type", "path"]
        verbose_name = _("problema de validación")
        verbose_name_plural = _("problemas de validación")

    def __str__(self) -> str:
        return f"{self.type} {self.path} ×{self.count}"
