"""Co-creation and outreach: labs and their sites, workshops, problems, proposals, supports,
comments, hackathon solutions, and events with their attendance.

Moderation never deletes: a proposal or a comment is hidden with a public reason and the
name of who hid it. Citizens appear only by their public name.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from abierto.core.models import (
    DatePrecision,
    Document,
    Exercise,
    Jurisdiction,
    Organization,
    User,
    format_partial_date,
)

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
COMMENT_MAX = 2000


def _precision_field() -> models.CharField:
    return models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)


class Topic(models.Model):
    """A theme on which a community raises problems (empleo, seguridad, turismo…)."""

    name = models.CharField(_("nombre"), max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tema de participación")
        verbose_name_plural = _("temas de participación")

    def __str__(self) -> str:
        return self.name


class Lab(models.Model):
    """A co-creation lab, e.g. the itinerant lab (LIIGA) that visits municipalities."""

    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="labs", verbose_name=_("ejercicio")
    )
    name = models.CharField(_("nombre"), max_length=255)
    acronym = models.CharField(_("siglas"), max_length=40, blank=True)
    slug = models.SlugField(max_length=140)
    description = models.TextField(_("descripción"), blank=True)
    organizer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="labs",
        verbose_name=_("a cargo de"),
    )
    approved_at = models.ForeignKey(
        "secretariat.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="labs",
        verbose_name=_("aprobado en la sesión"),
    )
    funding = models.CharField(_("financiamiento"), max_length=255, blank=True)
    started_on = models.DateField(_("inicio"), null=True, blank=True)
    started_on_precision = _precision_field()
    ended_on = models.DateField(_("término"), null=True, blank=True)
    ended_on_precision = _precision_field()
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    class Meta:
        ordering = ["-started_on", "name"]
        verbose_name = _("laboratorio")
        verbose_name_plural = _("laboratorios")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "slug"], name="lab_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.acronym or self.name

    @property
    def started_display(self) -> str:
        return format_partial_date(self.started_on, self.started_on_precision)

    @property
    def ended_display(self) -> str:
        return format_partial_date(self.ended_on, self.ended_on_precision)


class Site(models.Model):
    """A municipality the lab visited (sede), with the themes its community discussed."""

    lab = models.ForeignKey(
        Lab, on_delete=models.CASCADE, related_name="sites", verbose_name=_("laboratorio")
    )
    municipality = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="lab_sites",
        limit_choices_to={"kind": Jurisdiction.Kind.MUNICIPALITY},
        verbose_name=_("municipio"),
    )
    slug = models.SlugField(max_length=140)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    visited_on = models.DateField(_("fecha"), null=True, blank=True)
    visited_on_precision = _precision_field()
    # The source often gives how many workshops were held and nothing else about them.
    workshops_reported = models.PositiveIntegerField(
        _("talleres reportados"), null=True, blank=True
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="sites", verbose_name=_("temas discutidos")
    )
    main_concern = models.TextField(_("principal preocupación"), blank=True)
    summary = models.TextField(_("resumen"), blank=True)
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    class Meta:
        ordering = ["lab", "position", "slug"]
        verbose_name = _("sede")
        verbose_name_plural = _("sedes")
        constraints = [
            models.UniqueConstraint(
                fields=["lab", "municipality"], name="site_unique_municipality"
            ),
            models.UniqueConstraint(fields=["lab", "slug"], name="site_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.municipality.name

    @property
    def visited_display(self) -> str:
        return format_partial_date(self.visited_on, self.visited_on_precision)


class Workshop(models.Model):
    """A workshop held at a site: when, where, how many took part, which themes."""

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="workshops", verbose_name=_("sede")
    )
    title = models.CharField(_("título"), max_length=255, blank=True)
    held_on = models.DateField(_("fecha"), null=True, blank=True)
    held_on_precision = _precision_field()
    place = models.CharField(_("lugar"), max_length=255, blank=True)
    participants = models.PositiveIntegerField(_("participantes"), null=True, blank=True)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="workshops", verbose_name=_("temas discutidos")
    )
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    class Meta:
        ordering = ["site", "held_on", "id"]
        verbose_name = _("taller")
        verbose_name_plural = _("talleres")

    def __str__(self) -> str:
        return self.title or f"{_('Taller')} {self.site}"

    @property
    def held_display(self) -> str:
        return format_partial_date(self.held_on, self.held_on_precision)


class Problem(models.Model):
    """A problem a community raised at a site, by theme."""

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="problems", verbose_name=_("sede")
    )
    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name=_("taller"),
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="problems", verbose_name=_("tema")
    )
    description = models.TextField(_("descripción"))
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    class Meta:
        ordering = ["site", "topic__name", "id"]
        verbose_name = _("problema")
        verbose_name_plural = _("problemas")

    def __str__(self) -> str:
        return f"{self.topic}: {self.description[:60]}"


class ModeratedQuerySet(models.QuerySet):
    def visible(self) -> ModeratedQuerySet:
        """Not hidden by moderation."""
        return self.filter(hidden=False)


class ProposalQuerySet(ModeratedQuerySet):
    def with_support_count(self) -> ProposalQuerySet:
        """Each proposal with `support_count`, counted in the same query."""
        return self.annotate(support_count=Count("supports", distinct=True))


class Proposal(models.Model):
    """A proposal from a workshop or from a registered citizen, and what became of it."""

    class Origin(models.TextChoices):
        WORKSHOP = "workshop", _("taller")
        CITIZEN = "citizen", _("ciudadanía")

    class Status(models.TextChoices):
        RECEIVED = "received", _("recibida")
        UNDER_REVIEW = "under_review", _("en revisión")
        ACCEPTED = "accepted", _("aceptada")
        REJECTED = "rejected", _("rechazada")
        COMMITMENT = "commitment", _("convertida en compromiso")

    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("ejercicio")
    )
    origin = models.CharField(_("origen"), max_length=10, choices=Origin.choices)
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("sede"),
    )
    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("taller"),
    )
    author = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("autor"),
    )
    label = models.CharField(_("inciso"), max_length=10, blank=True)
    title = models.CharField(_("título"), max_length=TITLE_MAX)
    description = models.TextField(_("descripción"), max_length=DESCRIPTION_MAX, blank=True)
    problem = models.ForeignKey(
        Problem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("problema que atiende"),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("tema"),
    )
    status = models.CharField(
        _("estado"), max_length=15, choices=Status.choices, default=Status.RECEIVED
    )
    status_reason = models.TextField(_("motivo público"), blank=True)
    commitment = models.ForeignKey(
        "plans.Commitment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("compromiso"),
    )
    hidden = models.BooleanField(_("oculta"), default=False)
    hidden_reason = models.TextField(_("motivo de la moderación"), blank=True)
    hidden_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ocultada por"),
    )
    hidden_at = models.DateTimeField(_("ocultada el"), null=True, blank=True)
    source = models.CharField(_("fuente"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("propuesta")
        verbose_name_plural = _("propuestas")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(status_reason=""),
                name="proposal_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="commitment") | Q(commitment__isnull=False),
                name="proposal_commitment_has_link",
            ),
            models.CheckConstraint(
                condition=Q(hidden=False) | ~Q(hidden_reason=""),
                name="proposal_hidden_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(origin="citizen") | Q(author__isnull=False),
                name="proposal_citizen_has_author",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Support(models.Model):
    """A registered citizen's support (apoyo) of a proposal: one per citizen and proposal."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="supports", verbose_name=_("propuesta")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="supports", verbose_name=_("persona")
    )
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("apoyo")
        verbose_name_plural = _("apoyos")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="support_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user.public_name} → {self.proposal}"


class Comment(models.Model):
    """A citizen's comment on a proposal: shown at once, hidden (never deleted) by moderation."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="comments", verbose_name=_("propuesta")
    )
    author = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="comments", verbose_name=_("autor")
    )
    body = models.TextField(_("comentario"), max_length=COMMENT_MAX)
    hidden = models.BooleanField(_("oculto"), default=False)
    hidden_reason = models.TextField(_("motivo de la moderación"), blank=True)
    hidden_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ocultado por"),
    )
    hidden_at = models.DateTimeField(_("ocultado el"), null=True, blank=True)
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    objects = ModeratedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comentario")
        verbose_name_plural = _("comentarios")
        constraints = [
            models.CheckConstraint(
                condition=Q(hidden=False) | ~Q(hidden_reason=""),
                name="comment_hidden_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author.public_name}: {self.body[:60]}"


class Solution(models.Model):
    """A solution built at the lab's hackathon, to be delivered to a municipality."""

    class Delivery(models.TextChoices):
        PENDING = "pending", _("por entregar")
        DELIVERED = "delivered", _("entregada")

    lab = models.ForeignKey(
        Lab, on_delete=models.CASCADE, related_name="solutions", verbose_name=_("laboratorio")
    )
    title = models.CharField(_("título"), max_length=255)
    team = models.CharField(_("equipo"), max_length=255, blank=True)
    description = models.TextField(_("descripción"), blank=True)
    url = models.URLField(_("repositorio o enlace"), blank=True, max_length=500)
    municipality = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab_solutions",
        limit_choices_to={"kind": Jurisdiction.Kind.MUNICIPALITY},
        verbose_name=_("municipio que la recibe"),
    )
    delivery_status = models.CharField(
        _("entrega"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    delivered_on = models.DateField(_("fecha de entrega"), null=True, blank=True)
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    class Meta:
        ordering = ["lab", "title"]
        verbose_name = _("solución")
        verbose_name_plural = _("soluciones")

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    """An outreach event (workshop, panel, fair, information day…) with its attendance."""

    class Kind(models.TextChoices):
        WORKSHOP = "workshop", _("taller")
        PANEL = "panel", _("panel")
        FAIR = "fair", _("feria")
        INFORMATION_DAY = "information_day", _("jornada informativa")
        FORUM = "forum", _("foro")
        HACKATHON = "hackathon", _("hackathon")
        PRESENTATION = "presentation", _("presentación")
        MEETING = "meeting", _("encuentro")

    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="events", verbose_name=_("ejercicio")
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("título"), max_length=255)
    slug = models.SlugField(max_length=140)
    held_on = models.DateField(_("fecha"), null=True, blank=True)
    held_on_precision = _precision_field()
    place = models.CharField(_("lugar"), max_length=255, blank=True)
    organizer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("organiza"),
    )
    organizer_name = models.CharField(_("organiza (texto)"), max_length=255, blank=True)
    speakers = models.CharField(_("ponentes"), max_length=500, blank=True)
    participants = models.PositiveIntegerField(_("participantes"), null=True, blank=True)
    # «más de 30 asistentes»: stored as 30 with at_least, shown as «más de 30».
    participants_at_least = models.BooleanField(_("cifra mínima"), default=False)
    visitors = models.PositiveIntegerField(_("visitantes"), null=True, blank=True)
    description = models.TextField(_("descripción"), blank=True)
    part_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="parts",
        verbose_name=_("parte de"),
    )
    plan = models.ForeignKey(
        "plans.ActionPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("plan"),
    )
    lab = models.ForeignKey(
        Lab,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("laboratorio"),
    )
    commitment = models.ForeignKey(
        "plans.Commitment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("compromiso"),
    )
    documents = GenericRelation(Document)
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    class Meta:
        ordering = ["-held_on", "title"]
        verbose_name = _("evento")
        verbose_name_plural = _("eventos")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "slug"], name="event_unique_slug"),
            models.CheckConstraint(
                condition=Q(participants_at_least=False) | Q(participants__isnull=False),
                name="event_at_least_has_figure",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def held_display(self) -> str:
        return format_partial_date(self.held_on, self.held_on_precision)

    @property
    def organizer_display(self) -> str:
        if self.organizer is not None:
            return self.organizer.name
        return self.organizer_name

    @property
    def participants_display(self) -> str:
        """«76», «más de 30», or "" when the source gives no figure."""
        if self.participants is None:
            return ""
        if self.participants_at_least:
            return _("más de %(n)s") % {"n": f"{self.participants:,}"}
        return f"{self.participants:,}"

    @property
    def visitors_display(self) -> str:
        return "" if self.visitors is None else f"{self.visitors:,}"
