"""The Local Technical Secretariat (STL): seats, members, liaisons, sessions, agreements."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from abierto.core.models import (
    DatePrecision,
    Exercise,
    Jurisdiction,
    Organization,
    format_partial_date,
)


class Secretariat(models.Model):
    """An exercise's Secretariado Técnico Local."""

    exercise = models.OneToOneField(
        Exercise,
        on_delete=models.CASCADE,
        related_name="secretariat",
        verbose_name=_("ejercicio"),
    )
    name = models.CharField(_("nombre"), max_length=200)
    installed_on = models.DateField(_("instalación"), null=True, blank=True)
    installed_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    purpose = models.TextField(_("objeto"), blank=True)
    invited_municipalities = models.ManyToManyField(
        Jurisdiction,
        blank=True,
        related_name="invited_to_secretariats",
        verbose_name=_("ayuntamientos invitados"),
        limit_choices_to={"kind": Jurisdiction.Kind.MUNICIPALITY},
    )

    class Meta:
        verbose_name = _("Secretariado Técnico Local")
        verbose_name_plural = _("Secretariados Técnicos Locales")

    def __str__(self) -> str:
        return self.name

    @property
    def installed_display(self) -> str:
        return format_partial_date(self.installed_on, self.installed_on_precision)


class GovernanceMechanism(models.Model):
    """A version of the STL's rules (mecanismo de gobernanza)."""

    secretariat = models.ForeignKey(
        Secretariat,
        on_delete=models.CASCADE,
        related_name="governance_mechanisms",
        verbose_name=_("secretariado"),
    )
    title = models.CharField(_("título"), max_length=255)
    summary = models.TextField(_("resumen"), blank=True)
    approved_at = models.ForeignKey(
        "Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("aprobado en la sesión"),
    )
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    class Meta:
        ordering = ["secretariat", "id"]
        verbose_name = _("mecanismo de gobernanza")
        verbose_name_plural = _("mecanismos de gobernanza")

    def __str__(self) -> str:
        return self.title


class Seat(models.Model):
    """A sector's seat on the STL; who holds it is its membership history."""

    secretariat = models.ForeignKey(
        Secretariat,
        on_delete=models.CASCADE,
        related_name="seats",
        verbose_name=_("secretariado"),
    )
    name = models.CharField(_("sector"), max_length=200)
    sector = models.CharField(
        _("tipo de sector"), max_length=20, choices=Organization.Sector.choices
    )
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    is_chair = models.BooleanField(_("preside el STL"), default=False)

    class Meta:
        ordering = ["secretariat", "position", "id"]
        verbose_name = _("lugar en el STL")
        verbose_name_plural = _("lugares en el STL")
        constraints = [
            models.UniqueConstraint(fields=["secretariat", "name"], name="seat_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def current(self) -> MembershipQuerySet:
        """Memberships not ended."""
        return self.filter(end_on__isnull=True, end_reason="")


class Membership(models.Model):
    """A person holding a seat as titular or suplente for a term."""

    class Role(models.TextChoices):
        TITULAR = "titular", _("titular")
        ALTERNATE = "suplente", _("suplente")

    class EndReason(models.TextChoices):
        NONE = "", _("vigente")
        RESIGNATION = "resignation", _("renuncia")
        TERM_ENDED = "term_ended", _("fin del periodo")
        REPLACED = "replaced", _("sustitución")
        OTHER = "other", _("otro")

    seat = models.ForeignKey(
        Seat, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("lugar")
    )
    role = models.CharField(_("calidad"), max_length=10, choices=Role.choices)
    person_name = models.CharField(
        _("integrante"),
        max_length=200,
        blank=True,
        help_text=_("Vacío cuando la fuente no consigna el nombre."),
    )
    post = models.CharField(_("cargo"), max_length=300, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stl_memberships",
        verbose_name=_("institución"),
    )
    start_on = models.DateField(_("inicio"), null=True, blank=True)
    end_on = models.DateField(_("término"), null=True, blank=True)
    end_reason = models.CharField(
        _("motivo del término"), max_length=20, choices=EndReason.choices, blank=True
    )
    source = models.CharField(_("fuente"), max_length=255, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["seat", "role", "-start_on", "id"]
        verbose_name = _("integrante del STL")
        verbose_name_plural = _("integrantes del STL")
        constraints = [
            models.UniqueConstraint(
                fields=["seat", "role"],
                condition=Q(end_on__isnull=True, end_reason=""),
                name="membership_one_current_per_seat_role",
                violation_error_message=_(
                    "Este lugar ya tiene un integrante vigente con esa calidad."
                ),
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True)
                | Q(start_on__isnull=True)
                | Q(end_on__gte=F("start_on")),
                name="membership_term_ordered",
                violation_error_message=_("El término no puede ser anterior al inicio."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name or _('(sin nombre)')} — {self.seat}"

    @property
    def is_current(self) -> bool:
        return self.end_on is None and not self.end_reason


class Liaison(models.Model):
    """An institution's working-level representative (enlace) on the STL."""

    secretariat = models.ForeignKey(
        Secretariat,
        on_delete=models.CASCADE,
        related_name="liaisons",
        verbose_name=_("secretariado"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="liaisons",
        verbose_name=_("institución"),
    )
    person_name = models.CharField(_("nombre"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)

    class Meta:
        ordering = ["secretariat", "position", "id"]
        verbose_name = _("enlace")
        verbose_name_plural = _("enlaces")
        constraints = [
            models.UniqueConstraint(
                fields=["secretariat", "organization"], name="liaison_unique_institution"
            ),
        ]

    def __str__(self) -> str:
        return str(self.organization)


class Session(models.Model):
    """An STL session (sesión ordinaria o extraordinaria)."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("ordinaria")
        EXTRAORDINARY = "extraordinary", _("extraordinaria")

    secretariat = models.ForeignKey(
        Secretariat,
        on_delete=models.CASCADE,
        related_name="sessions",
        verbose_name=_("secretariado"),
    )
    kind = models.CharField(_("tipo"), max_length=15, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("número"))
    held_on = models.DateField(_("fecha"), null=True, blank=True)
    held_on_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    place = models.CharField(_("lugar"), max_length=255, blank=True)
    attendance = models.PositiveIntegerField(_("asistencia"), null=True, blank=True)
    summary = models.TextField(_("resumen"), blank=True)
    source = models.CharField(_("fuente"), max_length=255, blank=True)
    documents = GenericRelation("core.Document", related_query_name="session")

    class Meta:
        ordering = ["secretariat", "-held_on", "-number"]
        verbose_name = _("sesión del STL")
        verbose_name_plural = _("sesiones del STL")
        constraints = [
            models.UniqueConstraint(
                fields=["secretariat", "kind", "number"], name="session_unique_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="session_number_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _("Sesión %(kind)s número %(number)s") % {
            "kind": self.get_kind_display(),
            "number": self.number,
        }

    @property
    def held_display(self) -> str:
        return format_partial_date(self.held_on, self.held_on_precision)


class AgreementQuerySet(models.QuerySet):
    def open(self) -> AgreementQuerySet:
        """Agreements not yet done or cancelled."""
        return self.exclude(status__in=[Agreement.Status.DONE, Agreement.Status.CANCELLED])


class Agreement(models.Model):
    """A decision taken at a session, followed up until done."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pendiente")
        IN_PROGRESS = "in_progress", _("en proceso")
        DONE = "done", _("cumplido")
        CANCELLED = "cancelled", _("cancelado")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("sesión")
    )
    number = models.PositiveSmallIntegerField(_("número"))
    text = models.TextField(_("acuerdo"))
    responsible = models.CharField(_("responsable"), max_length=255, blank=True)
    due_on = models.DateField(_("fecha compromiso"), null=True, blank=True)
    status = models.CharField(
        _("estado"), max_length=15, choices=Status.choices, default=Status.PENDING
    )
    follow_up = models.TextField(_("seguimiento"), blank=True)
    done_on = models.DateField(_("fecha de cumplimiento"), null=True, blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["session", "number"]
        verbose_name = _("acuerdo")
        verbose_name_plural = _("acuerdos")
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="agreement_unique_number"),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(status="done"),
                name="agreement_done_on_only_when_done",
                violation_error_message=_("Solo un acuerdo cumplido tiene fecha de cumplimiento."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} — {self.number}"
