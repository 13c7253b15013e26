"""The open data catalog: publishers, datasets, resources, tags, themes and licences.

Names follow CKAN where its clients read them (a dataset's `name` is its URL slug, `uuid` is
CKAN's `id`) and the Mexican implementation guide / DCAT where the metadata comes from.
Every write goes through services.py, which keeps the dataset's history in the audit log.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abierto.core.models import Jurisdiction, Organization

# CKAN's rule for names: lowercase ASCII, digits, - and _, 2 to 100 characters.
NAME_VALIDATOR = RegexValidator(
    r"^[a-z0-9_-]{2,100}$",
    _("Use de 2 a 100 caracteres: minúsculas sin acentos, números, «-» o «_»."),
)
DEFAULT_LICENCE = "libre-uso-mx"


class Licence(models.Model):
    """A licence datasets are published under (CKAN's license_id is `key`)."""

    key = models.CharField(_("clave"), max_length=100, unique=True)
    title = models.CharField(_("título"), max_length=200)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    is_open = models.BooleanField(_("abierta"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = pgettext_lazy("catálogo de datos", "licencia")
        verbose_name_plural = pgettext_lazy("catálogo de datos", "licencias")

    def __str__(self) -> str:
        return self.title


class Theme(models.Model):
    """A theme (CKAN group, DCAT theme) that datasets are classified under."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("clave"), max_length=100, unique=True, validators=[NAME_VALIDATOR])
    title = models.CharField(_("título"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = pgettext_lazy("catálogo de datos", "tema")
        verbose_name_plural = pgettext_lazy("catálogo de datos", "temas")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:theme", kwargs={"name": self.name})


class Tag(models.Model):
    """A free keyword (DCAT keyword)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nombre"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("etiqueta")
        verbose_name_plural = _("etiquetas")

    def __str__(self) -> str:
        return self.name


class Publisher(models.Model):
    """An agency that publishes datasets (CKAN organization); its members may edit them."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("clave"), max_length=100, unique=True, validators=[NAME_VALIDATOR])
    title = models.CharField(_("nombre"), max_length=255)
    description = models.TextField(_("descripción"), blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="data_publishers",
        verbose_name=_("entidad o municipio"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="data_publishers",
        verbose_name=_("institución"),
    )
    url = models.URLField(_("sitio web"), max_length=500, blank=True)
    # An institutional mailbox, public by design (DCAT contact point); never a person's own.
    email = models.EmailField(_("correo institucional"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="PublisherMember",
        related_name="data_publishers",
        blank=True,
        verbose_name=_("integrantes"),
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("dependencia publicadora")
        verbose_name_plural = _("dependencias publicadoras")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:publisher", kwargs={"name": self.name})


class PublisherMember(models.Model):
    """A person who may publish for a publisher (editor) or also manage its members (admin)."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("editor")
        ADMIN = "admin", _("administrador")

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="publisher_memberships"
    )
    role = models.CharField(_("rol"), max_length=10, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        verbose_name = _("integrante de dependencia")
        verbose_name_plural = _("integrantes de dependencia")
        constraints = [
            models.UniqueConstraint(fields=["publisher", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.publisher}"


class DatasetQuerySet(models.QuerySet):
    def active(self) -> DatasetQuerySet:
        return self.filter(state=Dataset.State.ACTIVE)

    def public(self) -> DatasetQuerySet:
        """What anyone may see: active and not private."""
        return self.active().filter(private=False)

    def with_listing(self) -> DatasetQuerySet:
        """Everything a list or an API dict reads, in a constant number of queries."""
        return self.select_related(
            "publisher__jurisdiction", "licence", "spatial"
        ).prefetch_related(
            "tags", "themes", models.Prefetch("resources", Resource.objects.active())
        )


class Dataset(models.Model):
    """A dataset (CKAN package, DCAT dataset) with the Mexican guide's metadata."""

    class State(models.TextChoices):
        ACTIVE = "active", _("activo")
        DRAFT = "draft", _("borrador")
        DELETED = "deleted", _("eliminado")

    class Periodicity(models.TextChoices):
        # ISO 8601 repeating durations, as data.json and DCAT-AP expect them.
        CONTINUOUS = "R/PT1S", _("continua")
        DAILY = "R/P1D", _("diaria")
        WEEKLY = "R/P1W", _("semanal")
        MONTHLY = "R/P1M", _("mensual")
        QUARTERLY = "R/P3M", _("trimestral")
        SEMIANNUAL = "R/P6M", _("semestral")
        ANNUAL = "R/P1Y", _("anual")
        IRREGULAR = "irregular", _("irregular")

    class Origin(models.TextChoices):
        LOCAL = "local", _("publicado aquí")
        HARVESTED = "harvested", _("cosechado")
        PLATFORM = "platform", _("datos de la plataforma")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("clave"), max_length=100, unique=True, validators=[NAME_VALIDATOR])
    identifier = models.CharField(
        _("identificador"),
        max_length=200,
        unique=True,
        help_text=_("Clave ASCII permanente del conjunto (Guía de Implementación)."),
    )
    title = models.CharField(_("título"), max_length=300)
    description = models.TextField(_("descripción"))
    publisher = models.ForeignKey(
        Publisher,
        on_delete=models.PROTECT,
        related_name="datasets",
        verbose_name=_("dependencia publicadora"),
    )
    themes = models.ManyToManyField(
        Theme,
        related_name="datasets",
        blank=True,
        verbose_name=pgettext_lazy("catálogo de datos", "temas"),
    )
    tags = models.ManyToManyField(
        Tag, related_name="datasets", blank=True, verbose_name=_("palabras clave")
    )
    licence = models.ForeignKey(
        Licence,
        on_delete=models.PROTECT,
        related_name="datasets",
        verbose_name=pgettext_lazy("catálogo de datos", "licencia"),
    )
    contact_name = models.CharField(_("punto de contacto"), max_length=200)
    contact_email = models.EmailField(_("buzón de contacto"))
    landing_page = models.URLField(_("página de inicio"), max_length=500, blank=True)
    accrual_periodicity = models.CharField(
        _("periodicidad de actualización"), max_length=20, choices=Periodicity.choices
    )
    temporal_start = models.DateField(_("cobertura temporal: desde"), null=True, blank=True)
    temporal_end = models.DateField(_("cobertura temporal: hasta"), null=True, blank=True)
    spatial = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="datasets",
        verbose_name=_("cobertura geográfica"),
        help_text=_("Entidad o municipio con su clave del Marco Geoestadístico del INEGI."),
    )
    spatial_text = models.CharField(_("cobertura geográfica (texto)"), max_length=300, blank=True)
    language = models.CharField(_("idioma"), max_length=10, default="es")
    data_dictionary_url = models.URLField(_("diccionario de datos"), max_length=500, blank=True)
    quality_notes = models.TextField(_("notas de calidad"), blank=True)
    version = models.CharField(_("versión"), max_length=100, blank=True)
    issued = models.DateTimeField(_("fecha de publicación"), null=True, blank=True)
    modified = models.DateTimeField(_("fecha de actualización de los datos"), default=timezone.now)
    private = models.BooleanField(_("privado"), default=False)
    state = models.CharField(
        _("estado"), max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True
    )
    origin = models.CharField(
        _("origen"), max_length=10, choices=Origin.choices, default=Origin.LOCAL
    )
    # For Origin.PLATFORM: which of the platform's own tables this dataset publishes
    # (see feeds.py); kept current by signals.py whenever that data changes.
    feed = models.CharField(_("fuente de la plataforma"), max_length=40, blank=True)
    harvest_source = models.ForeignKey(
        "HarvestSource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="datasets",
        verbose_name=_("fuente de cosecha"),
    )
    # The dataset's id at the source: re-runs update it instead of creating a duplicate.
    harvest_guid = models.CharField(_("identificador en la fuente"), max_length=300, blank=True)
    extras = models.JSONField(_("campos adicionales"), default=dict, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True, db_index=True)
    metadata_modified = models.DateTimeField(
        _("metadatos modificados"), default=timezone.now, db_index=True
    )

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("conjunto de datos")
        verbose_name_plural = _("conjuntos de datos")
        constraints = [
            models.CheckConstraint(
                condition=Q(temporal_end__isnull=True)
                | Q(temporal_start__isnull=True)
                | Q(temporal_end__gte=F("temporal_start")),
                name="dataset_temporal_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["harvest_source", "harvest_guid"],
                condition=Q(harvest_source__isnull=False),
                name="one_dataset_per_harvested_guid",
            ),
        ]
        indexes = [
            models.Index(fields=["publisher", "state"]),
            # Covers "public datasets per publisher": organization_list counts and the
            # organization facet read the index alone (search.py, ckan.py).
            models.Index(fields=["publisher", "state", "private"], name="catalog_ds_visible_pub"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:dataset", kwargs={"name": self.name})


class ResourceQuerySet(models.QuerySet):
    def active(self) -> ResourceQuerySet:
        return self.filter(state=Dataset.State.ACTIVE)


def resource_upload_to(instance: Resource, filename: str) -> str:
    # The resource's own uuid keeps the stored name unique and the download URL permanent.
    return f"catalog/resources/{instance.uuid}/{filename}"


class Resource(models.Model):
    """A distribution of a dataset: an uploaded file or a link."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="resources", verbose_name=_("conjunto")
    )
    position = models.PositiveIntegerField(_("posición"), default=0)
    title = models.CharField(_("título"), max_length=300)
    description = models.TextField(_("descripción"), blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    file = models.FileField(_("archivo"), upload_to=resource_upload_to, max_length=400, blank=True)
    format = models.CharField(_("formato"), max_length=40, blank=True, db_index=True)
    media_type = models.CharField(_("tipo de medio"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("tamaño en bytes"), null=True, blank=True)
    sha256 = models.CharField(_("suma SHA-256"), max_length=64, blank=True)
    # Per column: [{"id": "col", "type": "text", "info": {"label": ..., "notes": ...}}],
    # the shape of CKAN's data dictionary and the datastore's `fields`.
    data_dictionary = models.JSONField(_("diccionario de datos"), default=list, blank=True)
    conforms_to = models.URLField(_("norma o esquema"), max_length=500, blank=True)
    datastore_active = models.BooleanField(_("en el almacén de datos"), default=False)
    state = models.CharField(
        _("estado"), max_length=10, choices=Dataset.State.choices, default=Dataset.State.ACTIVE
    )
    extras = models.JSONField(_("campos adicionales"), default=dict, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    last_modified = models.DateTimeField(_("modificado"), default=timezone.now)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["dataset", "position", "id"]
        verbose_name = _("recurso")
        verbose_name_plural = _("recursos")
        constraints = [
            # A resource is a file or a link, never both and never neither.
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="resource_file_or_url",
            ),
        ]
        # Covers the res_format facet: formats of active resources per dataset (search.py).
        indexes = [models.Index(fields=["dataset", "state", "format"], name="catalog_res_facets")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_upload(self) -> bool:
        return bool(self.file)

    def download_url(self) -> str:
        """The permanent address to fetch the data: ours for uploads, the link otherwise."""
        if self.file:
            return reverse(
                "catalog:resource_download",
                kwargs={"name": self.dataset.name, "resource": self.uuid},
            )
        return self.url


class HarvestSource(models.Model):
    """A remote catalog whose datasets are copied here, on demand or on a schedule."""

    class Kind(models.TextChoices):
        CKAN = "ckan", _("CKAN (Action API)")
        DCAT = "dcat", _("catálogo DCAT (RDF)")
        DATAJSON = "datajson", _("data.json")

    class Frequency(models.TextChoices):
        MANUAL = "manual", _("solo a petición")
        DAILY = "daily", _("diaria")
        WEEKLY = "weekly", _("semanal")

    name = models.CharField(_("clave"), max_length=100, unique=True, validators=[NAME_VALIDATOR])
    title = models.CharField(_("nombre"), max_length=255)
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    url = models.URLField(_("URL"), max_length=500)
    publisher = models.ForeignKey(
        Publisher,
        on_delete=models.PROTECT,
        related_name="harvest_sources",
        verbose_name=_("dependencia publicadora"),
        help_text=_("Recibe los conjuntos cosechados cuya dependencia no existe aquí."),
    )
    frequency = models.CharField(
        _("frecuencia"), max_length=10, choices=Frequency.choices, default=Frequency.MANUAL
    )
    # Extra query the remote CKAN is asked with (e.g. "organization:salud").
    filter_query = models.CharField(_("filtro (fq)"), max_length=500, blank=True)
    active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("fuente de cosecha")
        verbose_name_plural = _("fuentes de cosecha")

    def __str__(self) -> str:
        return self.title


class HarvestRun(models.Model):
    """One harvest (or its preview) with its progress and its per-dataset report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en cola")
        RUNNING = "running", _("en proceso")
        DONE = "done", _("terminada")
        FAILED = "failed", _("fallida")

    source = models.ForeignKey(
        HarvestSource, on_delete=models.CASCADE, related_name="runs", verbose_name=_("fuente")
    )
    preview = models.BooleanField(
        _("vista previa"), default=False, help_text=_("Solo informa qué cambiaría.")
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # Incremental runs ask the source only for what changed since this moment.
    since = models.DateTimeField(_("cambios desde"), null=True, blank=True)
    seen = models.PositiveIntegerField(_("leídos"), default=0)
    created = models.PositiveIntegerField(_("creados"), default=0)
    updated = models.PositiveIntegerField(_("actualizados"), default=0)
    unchanged = models.PositiveIntegerField(_("sin cambios"), default=0)
    failed = models.PositiveIntegerField(_("con error"), default=0)
    # Harvested datasets withdrawn (soft-deleted) because the source no longer has them.
    deleted = models.PositiveIntegerField(_("retirados"), default=0)
    # [{"guid": ..., "title": ..., "action": "created|updated|unchanged|failed|deleted",
    #   "reason": ..., "dataset": ...}]
    report = models.JSONField(_("informe"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Why a run that ended well withdrew nothing although it could have (the safety rule).
    warning = models.TextField(_("aviso"), blank=True)
    started_at = models.DateTimeField(_("inicio"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("cosecha")
        verbose_name_plural = _("cosechas")

    def __str__(self) -> str:
        return f"{self.source} #{self.pk}"


class DatasetSearch(models.Model):
    """A dataset's text as the full-text index reads it (written only by catalog/search.py).

    Accent-free, lowercase, Spanish-stemmed words in four weighted columns. The table is
    built per database by migration 0003: an FTS5 table on SQLite (keyed by its rowid), and
    on PostgreSQL a table with a weighted tsvector column under a GIN index (there the four
    text columns stay empty: only the tsvector is kept).
    """

    dataset = models.OneToOneField(
        Dataset,
        on_delete=models.CASCADE,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_entry",
    )
    title = models.TextField(blank=True)
    keywords = models.TextField(blank=True)
    publisher = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        db_table = "catalog_datasetsearch"
        verbose_name = _("índice de búsqueda")

    def __str__(self) -> str:
        return str(self.dataset_id)
