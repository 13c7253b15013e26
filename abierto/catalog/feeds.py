"""The platform's own data as catalog datasets (plans, commitments, progress, sessions, events).

Each feed names the models whose changes make its data change; the datasets that publish a
feed link to the platform's live CSV and JSON exports, so their data is always current, and
`touch` moves their dates whenever the audit log records a change to one of those models.

A dataset's `feed` is scoped: the key first, then the exercise and, for a plan's feeds, the
plan ("commitments:jalisco:2016-2018"). `sync()` writes the datasets that the platform's data
calls for, through the catalog's services, and only when something differs, so running it
again records nothing. Resource URLs are absolute (settings.SITE_URL + the export's path).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Min, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from abierto.core.exports import Declared, data_dictionary
from abierto.core.models import AuditEntry, Exercise, Jurisdiction
from abierto.participation.exports import EVENT_COLUMNS, PROPOSAL_COLUMNS
from abierto.plans.exports import (
    COMMITMENT_COLUMNS,
    MILESTONE_COLUMNS,
    PLAN_COLUMNS,
    UPDATE_COLUMNS,
)
from abierto.secretariat.exports import AGREEMENT_COLUMNS, MEMBER_COLUMNS, SESSION_COLUMNS

# feed key -> models ("app_label.model") whose changes change the feed's data
FEED_MODELS: dict[str, frozenset[str]] = {
    "plans": frozenset({"plans.actionplan"}),
    "commitments": frozenset({"plans.commitment", "plans.milestone", "plans.progressupdate"}),
    "milestones": frozenset({"plans.milestone", "plans.progressupdate"}),
    "progress": frozenset({"plans.progressupdate", "plans.verification"}),
    "secretariat": frozenset({"secretariat.seat", "secretariat.membership"}),
    "sessions": frozenset({"secretariat.session"}),
    "agreements": frozenset({"secretariat.agreement"}),
    "events": frozenset({"participation.event"}),
    "proposals": frozenset({"participation.proposal", "participation.support"}),
    "contracting": frozenset({"contracting.import"}),
}
# feed key -> the columns its CSV and JSON exports declare (their data dictionary). The
# open contracting feed publishes OCDS packages, described by their schema (conforms_to).
FEED_COLUMNS: dict[str, tuple[Declared, ...]] = {
    "plans": PLAN_COLUMNS,
    "commitments": COMMITMENT_COLUMNS,
    "milestones": MILESTONE_COLUMNS,
    "progress": UPDATE_COLUMNS,
    "secretariat": MEMBER_COLUMNS,
    "sessions": SESSION_COLUMNS,
    "agreements": AGREEMENT_COLUMNS,
    "events": EVENT_COLUMNS,
    "proposals": PROPOSAL_COLUMNS,
}
# Feeds published once per public action plan; the others once per exercise.
PLAN_FEEDS = frozenset({"commitments", "milestones", "progress"})
# Creating or changing one of these changes which datasets an exercise publishes.
STRUCTURE_MODELS = frozenset({"core.exercise", "plans.actionplan", "secretariat.secretariat"})
THEME = ("gobierno-abierto", gettext_noop("Gobierno abierto"))
FEED_MAX_LENGTH = 40

# Where an audited object's plan or exercise is read, from its own snapshot: the snapshot's
# foreign key, the model it points to, and the path from that model to the ActionPlan
# (level "plan") or the Exercise (level "exercise"). None as the field: the object itself.
_SCOPE_PATHS: dict[str, tuple[str | None, str, str, str]] = {
    "plans.actionplan": (None, "plans.ActionPlan", "", "plan"),
    "plans.commitment": ("plan", "plans.ActionPlan", "", "plan"),
    "plans.milestone": ("commitment", "plans.Commitment", "plan__", "plan"),
    "plans.progressupdate": ("milestone", "plans.Milestone", "commitment__plan__", "plan"),
    "plans.verification": (
        "update",
        "plans.ProgressUpdate",
        "milestone__commitment__plan__",
        "plan",
    ),
    "secretariat.seat": ("secretariat", "secretariat.Secretariat", "exercise__", "exercise"),
    "secretariat.membership": ("seat", "secretariat.Seat", "secretariat__exercise__", "exercise"),
    "secretariat.session": ("secretariat", "secretariat.Secretariat", "exercise__", "exercise"),
    "secretariat.agreement": (
        "session",
        "secretariat.Session",
        "secretariat__exercise__",
        "exercise",
    ),
    "participation.event": ("exercise", "core.Exercise", "", "exercise"),
    "participation.proposal": ("exercise", "core.Exercise", "", "exercise"),
    "participation.support": ("proposal", "participation.Proposal", "exercise__", "exercise"),
}


def feeds_touched_by(label: str) -> list[str]:
    return [key for key, labels in FEED_MODELS.items() if label in labels]


def feed_id(
    key: str, exercise_slug: str, exercise_id: int, plan: tuple[str, int] | None = None
) -> str:
    """The scoped feed of a dataset: by slugs when they fit the column, else by ids."""
    parts = [key, exercise_slug] + ([plan[0]] if plan else [])
    scoped = ":".join(parts)
    if len(scoped) <= FEED_MAX_LENGTH:
        return scoped
    return ":".join([key, f"e{exercise_id}"] + ([f"p{plan[1]}"] if plan else []))


@dataclass(frozen=True)
class Scope:
    """The exercise (and plan) an audited change belongs to."""

    exercise_id: int
    exercise_slug: str
    plan_id: int | None = None
    plan_slug: str | None = None

    def feed(self, key: str) -> str | None:
        if key in PLAN_FEEDS:
            if self.plan_id is None:
                return None
            return feed_id(
                key, self.exercise_slug, self.exercise_id, (self.plan_slug, self.plan_id)
            )
        return feed_id(key, self.exercise_slug, self.exercise_id)


def _label(entry: AuditEntry) -> str:
    return f"{entry.content_type.app_label}.{entry.content_type.model}"


def scope_of(entry: AuditEntry) -> Scope | None:
    """The exercise and plan of the audited object, read in one query; None when unknown."""
    path = _SCOPE_PATHS.get(_label(entry))
    if path is None:
        return None
    fk, model_label, prefix, level = path
    if fk is None:
        pk: Any = entry.object_id
    else:
        snapshot = entry.after or entry.before or {}
        pk = snapshot.get(fk)
    if pk in (None, ""):
        return None
    model = apps.get_model(model_label)
    wanted = ("pk", "slug") + (("exercise__pk", "exercise__slug") if level == "plan" else ())
    try:
        row = (
            model._default_manager.filter(pk=pk).values_list(*(prefix + w for w in wanted)).first()
        )
    except (TypeError, ValueError):
        return None
    if row is None or row[0] is None:
        return None
    if level == "plan":
        return Scope(exercise_id=row[2], exercise_slug=row[3], plan_id=row[0], plan_slug=row[1])
    return Scope(exercise_id=row[0], exercise_slug=row[1])


def touch(entry: AuditEntry) -> int:
    """Move the dates of the datasets whose data the audited change altered; return how many.

    Only the datasets of the change's exercise (and plan) move when that can be read from the
    audited object; otherwise every dataset of the feed key does.
    """
    from abierto.catalog.models import Dataset

    label = _label(entry)
    if label in STRUCTURE_MODELS:
        _sync_structure(entry)
    keys = feeds_touched_by(label)
    if not keys:
        return 0
    scope = scope_of(entry)
    query = Q()
    for key in keys:
        scoped = scope.feed(key) if scope is not None else None
        if scoped is not None:
            query |= Q(feed=scoped)
        elif scope is None or key in PLAN_FEEDS:
            # A feed is scoped ("commitments:jalisco:2016-2018"); its key is what comes first.
            query |= Q(feed=key) | Q(feed__startswith=f"{key}:")
    if not query:
        return 0
    now = timezone.now()
    return Dataset.objects.filter(query, origin=Dataset.Origin.PLATFORM).update(
        modified=now, metadata_modified=now
    )


def _sync_structure(entry: AuditEntry) -> None:
    """An exercise, its STL or one of its plans was created or changed: publish what is new."""
    if entry.action == AuditEntry.Action.DELETE:
        return
    label = _label(entry)
    snapshot = entry.after or {}
    exercise_id = entry.object_id if label == "core.exercise" else snapshot.get("exercise")
    exercise = Exercise.objects.select_related("jurisdiction").filter(pk=exercise_id).first()
    if exercise is not None:
        sync_exercise(exercise)


# ------------------------------------------------------------------------------ what to publish


@dataclass(frozen=True)
class ResourceSpec:
    title: str
    description: str
    url: str
    format: str
    media_type: str
    conforms_to: str = ""
    # CKAN's data dictionary: [{"id", "type", "info": {"label", "notes"}}], one per column.
    data_dictionary: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class DatasetSpec:
    """One platform dataset as the platform's data calls for it."""

    feed: str
    name: str
    title: str
    description: str
    landing_page: str
    resources: tuple[ResourceSpec, ...]
    tags: tuple[str, ...]
    spatial: Jurisdiction | None
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None


def absolute(path: str) -> str:
    """The public address of a path of this site (SITE_URL must be set in production)."""
    return settings.SITE_URL.rstrip("/") + path


def platform_mailbox() -> str:
    """The institutional mailbox of the platform's datasets (CATALOG_CONTACT_EMAIL)."""
    if settings.CATALOG_CONTACT_EMAIL:
        return settings.CATALOG_CONTACT_EMAIL
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"datos@{host}"
    return "datos@localhost"


def _exports(
    path: str, title: str, *, query: bool, columns: tuple[Declared, ...] = ()
) -> tuple[ResourceSpec, ...]:
    """The CSV and JSON downloads of a list: `path?format=` or `path` with its own extension.

    Both carry the export's declared columns as their data dictionary (the JSON records have
    the CSV's columns as keys).
    """
    dictionary = tuple(data_dictionary(columns))

    def url(fmt: str) -> str:
        return absolute(f"{path}?format={fmt}" if query else path.replace("{fmt}", fmt))

    return (
        ResourceSpec(
            title=_("%(title)s (CSV)") % {"title": title},
            description=_("Descarga en CSV (UTF-8), generada en el momento de la consulta."),
            url=url("csv"),
            format="CSV",
            media_type="text/csv",
            data_dictionary=dictionary,
        ),
        ResourceSpec(
            title=_("%(title)s (JSON)") % {"title": title},
            description=_("Descarga en JSON, generada en el momento de la consulta."),
            url=url("json"),
            format="JSON",
            media_type="application/json",
            data_dictionary=dictionary,
        ),
    )


def _dataset_name(*parts: str) -> str:
    return slugify("-".join(parts))[:100].strip("-")


LIVE = gettext_noop(
    " Los datos se generan en vivo desde la plataforma Abierto: cada descarga trae la "
    "información vigente."
)


def exercise_specs(exercise: Exercise) -> list[DatasetSpec]:
    """The datasets an exercise publishes: those of its STL, its plans and its participation.

    An exercise publishes once it has an STL or a public plan (a state known only by national
    figures publishes nothing); the STL's lists need the STL, a plan's lists a public plan.
    """
    Secretariat = apps.get_model("secretariat", "Secretariat")  # noqa: N806
    ActionPlan = apps.get_model("plans", "ActionPlan")  # noqa: N806
    has_stl = Secretariat.objects.filter(exercise=exercise).exists()
    plans = list(ActionPlan.objects.public().filter(exercise=exercise).order_by("start_year", "id"))
    if not has_stl and not plans:
        return []
    slug, place = exercise.slug, exercise.jurisdiction
    stl = stl_title(exercise)
    specs = []

    def spec(key: str, name: str, title: str, description: str, page: str, **extra) -> None:
        query = "{fmt}" not in extra.get("export", "")
        export = extra.pop("export", page)
        specs.append(
            DatasetSpec(
                feed=feed_id(key, slug, exercise.pk, extra.pop("plan", None)),
                name=name,
                title=title,
                description=description + _(LIVE),
                landing_page=absolute(page),
                resources=_exports(export, title, query=query, columns=FEED_COLUMNS[key]),
                tags=extra.pop("tags"),
                spatial=place,
                **extra,
            )
        )

    started = exercise.started_on
    if has_stl:
        spec(
            "secretariat",
            _dataset_name("integrantes-stl", slug),
            _("Integrantes del %(stl)s") % {"stl": stl},
            _(
                "Lugares del %(stl)s con sus integrantes titulares y suplentes: sector, calidad, "
                "cargo, institución y fechas; los lugares vacantes y el historial de quienes "
                "dejaron el cargo."
            )
            % {"stl": stl},
            reverse("secretariat:detail", kwargs={"exercise": slug}),
            tags=("gobierno abierto", "secretariado técnico local", "integrantes"),
            temporal_start=started,
        )
        spec(
            "sessions",
            _dataset_name("sesiones-stl", slug),
            _("Sesiones del %(stl)s") % {"stl": stl},
            _(
                "Sesiones ordinarias y extraordinarias del %(stl)s: número, fecha, lugar, "
                "asistencia, resumen y número de acuerdos tomados."
            )
            % {"stl": stl},
            reverse("secretariat:sessions", kwargs={"exercise": slug}),
            tags=("gobierno abierto", "secretariado técnico local", "sesiones"),
            temporal_start=started,
        )
        spec(
            "agreements",
            _dataset_name("acuerdos-stl", slug),
            _("Acuerdos del %(stl)s") % {"stl": stl},
            _(
                "Acuerdos tomados en las sesiones del %(stl)s: texto, responsable, fecha "
                "comprometida, estado y seguimiento."
            )
            % {"stl": stl},
            reverse("secretariat:agreements", kwargs={"exercise": slug}),
            tags=("gobierno abierto", "secretariado técnico local", "acuerdos"),
            temporal_start=started,
        )
    first = dt.date(plans[0].start_year, 1, 1) if plans else started
    last = dt.date(max(p.end_year for p in plans), 12, 31) if plans else None
    spec(
        "plans",
        _dataset_name("planes-de-accion", slug),
        _("Planes de Acción Local de %(exercise)s") % {"exercise": exercise.name},
        _(
            "Planes de Acción Local de %(exercise)s: ciclo, periodo, estado, presentación, "
            "número de compromisos, compromisos cumplidos y avance ponderado."
        )
        % {"exercise": exercise.name},
        reverse("plans:list", kwargs={"exercise": slug}),
        tags=("gobierno abierto", "plan de acción local"),
        temporal_start=first,
        temporal_end=last,
    )
    spec(
        "events",
        _dataset_name("eventos", slug),
        _("Eventos de %(exercise)s") % {"exercise": exercise.name},
        _(
            "Eventos, jornadas, paneles y talleres de difusión de %(exercise)s, con su fecha, "
            "lugar, organizador y asistencia."
        )
        % {"exercise": exercise.name},
        reverse("participation:events", kwargs={"exercise": slug}),
        tags=("gobierno abierto", "participación ciudadana", "eventos"),
        temporal_start=started,
    )
    spec(
        "proposals",
        _dataset_name("propuestas", slug),
        _("Propuestas de %(exercise)s") % {"exercise": exercise.name},
        _(
            "Propuestas de talleres de co-creación y de la ciudadanía para %(exercise)s: tema, "
            "origen, estado, apoyos recibidos y el compromiso en que se convirtieron."
        )
        % {"exercise": exercise.name},
        reverse("participation:proposals", kwargs={"exercise": slug}),
        tags=("gobierno abierto", "participación ciudadana", "propuestas", "co-creación"),
        temporal_start=started,
    )
    for plan in plans:
        kwargs = {"exercise": slug, "plan": plan.slug}
        period = {
            "plan": (plan.slug, plan.pk),
            "temporal_start": dt.date(plan.start_year, 1, 1),
            "temporal_end": dt.date(plan.end_year, 12, 31),
        }
        dashboard = reverse("plans:dashboard", kwargs=kwargs)
        spec(
            "commitments",
            _dataset_name("compromisos", slug, plan.slug),
            _("Compromisos del %(plan)s") % {"plan": plan.title},
            _(
                "Compromisos del %(plan)s (%(period)s): objetivo, tema, pilares, "
                "implementadores, organizaciones de la sociedad civil, nivel de cumplimiento, "
                "avance ponderado de sus metas y metas con retraso."
            )
            % {"plan": plan.title, "period": plan.period},
            dashboard,
            tags=(
                "gobierno abierto",
                "plan de acción local",
                "compromisos",
                "rendición de cuentas",
            ),
            **period,
        )
        spec(
            "milestones",
            _dataset_name("metas", slug, plan.slug),
            _("Metas de los compromisos del %(plan)s") % {"plan": plan.title},
            _(
                "Metas de cada compromiso del %(plan)s (%(period)s): peso, fechas de inicio y "
                "límite, estado, último avance reportado y si están vencidas."
            )
            % {"plan": plan.title, "period": plan.period},
            dashboard,
            export=reverse("plans:milestones_export", kwargs={**kwargs, "fmt": "csv"}).replace(
                ".csv", ".{fmt}"
            ),
            tags=("gobierno abierto", "plan de acción local", "metas"),
            **period,
        )
        spec(
            "progress",
            _dataset_name("avances", slug, plan.slug),
            _("Reportes de avance del %(plan)s") % {"plan": plan.title},
            _(
                "Reportes de avance de los implementadores del %(plan)s (%(period)s), con su "
                "fecha, porcentaje, descripción, evidencias y las validaciones de la sociedad "
                "civil. Los reportes nunca se editan: una corrección es un reporte nuevo."
            )
            % {"plan": plan.title, "period": plan.period},
            dashboard,
            export=reverse("plans:updates_export", kwargs={**kwargs, "fmt": "csv"}).replace(
                ".csv", ".{fmt}"
            ),
            tags=("gobierno abierto", "plan de acción local", "reportes de avance"),
            **period,
        )
    return specs


def stl_title(exercise: Exercise) -> str:
    return _("Secretariado Técnico Local de Gobierno Abierto de %(place)s") % {
        "place": exercise.jurisdiction.name
    }


OCDS_RELEASE_SCHEMA = (
    "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
)
OCDS_RECORD_SCHEMA = (
    "https://standard.open-contracting.org/schema/1__1__5/record-package-schema.json"
)


def _contracting_bulk_resources(ocds_publisher: models.Model) -> list[ResourceSpec]:
    """The publisher's yearly bulk files (contracting/bulk.py), newest year first."""
    from abierto.contracting import bulk

    return [
        ResourceSpec(
            title=_("%(year)s: %(name)s (%(format)s)")
            % {"year": year["year"], "name": entry["name"], "format": entry["format"]},
            description=_("Archivo anual de %(year)s; SHA-256 %(sha256)s.")
            % {"year": year["year"], "sha256": entry["sha256"]},
            url=bulk.file_url(ocds_publisher.ocid_prefix, year["year"], entry["name"]),
            format=entry["format"],
            media_type=entry["media_type"],
            conforms_to=entry["conforms_to"],
        )
        for year in bulk.published(ocds_publisher)
        for entry in year["files"]
    ]


def contracting_spec(ocds_publisher: models.Model, spatial: Jurisdiction | None) -> DatasetSpec:
    """The open contracting dataset of an OCDS publisher: its releases and records."""
    Release = apps.get_model("contracting", "Release")  # noqa: N806
    span = Release.objects.filter(publisher=ocds_publisher).aggregate(
        first=Min("date"), last=Max("date")
    )
    title = _("Contrataciones abiertas de %(publisher)s") % {"publisher": ocds_publisher.name}
    return DatasetSpec(
        feed=feed_id("contracting", slugify(ocds_publisher.ocid_prefix), ocds_publisher.pk),
        name=_dataset_name("contrataciones-abiertas", ocds_publisher.ocid_prefix),
        title=title,
        description=_(
            "Procedimientos de contratación de %(publisher)s en el Estándar de Datos de "
            "Contrataciones Abiertas (OCDS 1.1, prefijo %(prefix)s): planeación, licitación, "
            "adjudicación, contrato e implementación, como entregas (releases) y registros "
            "compilados (records)."
        )
        % {"publisher": ocds_publisher.name, "prefix": ocds_publisher.ocid_prefix}
        + _(LIVE),
        landing_page=absolute(reverse("contracting:records")),
        resources=(
            ResourceSpec(
                title=_("Entregas OCDS (paquete de entregas, JSON)"),
                description=_("Todas las entregas, de la más antigua a la más reciente; paginado."),
                url=absolute(reverse("contracting:releases")),
                format="JSON",
                media_type="application/json",
                conforms_to=OCDS_RELEASE_SCHEMA,
            ),
            ResourceSpec(
                title=_("Registros OCDS (paquete de registros, JSON)"),
                description=_("Un registro compilado por proceso de contratación; paginado."),
                url=absolute(reverse("contracting:records")),
                format="JSON",
                media_type="application/json",
                conforms_to=OCDS_RECORD_SCHEMA,
            ),
            *_contracting_bulk_resources(ocds_publisher),
        ),
        tags=("contrataciones abiertas", "OCDS", "compras públicas", "transparencia"),
        spatial=spatial,
        temporal_start=timezone.localdate(span["first"]) if span["first"] else None,
        temporal_end=timezone.localdate(span["last"]) if span["last"] else None,
    )


# ---------------------------------------------------------------------------------- writing


@dataclass
class SyncResult:
    """What a sync did, per model and outcome ("catalog.Dataset", "created")."""

    counts: Counter = field(default_factory=Counter)

    def add(self, label: str, outcome: str, n: int = 1) -> None:
        self.counts[label, outcome] += n

    @property
    def changed(self) -> int:
        return sum(n for (_, outcome), n in self.counts.items() if outcome != "unchanged")

    def lines(self) -> list[str]:
        labels = sorted({label for label, _ in self.counts})
        outcomes = ("created", "updated", "deleted", "unchanged")
        return [
            f"{label}: " + ", ".join(f"{self.counts[label, o]} {o}" for o in outcomes)
            for label in labels
        ]


def _theme(result: SyncResult):
    from abierto.catalog import services
    from abierto.catalog.models import Theme

    theme = Theme.objects.filter(name=THEME[0]).first()
    if theme is None:
        theme = services.theme_save(actor=None, name=THEME[0], title=_(THEME[1]))
        result.add("catalog.Theme", "created")
    return theme


def _publisher(
    result: SyncResult, *, name: str, title: str, description: str, jurisdiction, organization=None
):
    from abierto.catalog import services
    from abierto.catalog.models import Publisher

    existing = Publisher.objects.filter(name=name).first()
    values = {"title": title, "jurisdiction": jurisdiction}
    if existing is None:
        values |= {
            "name": name,
            "description": description,
            "email": platform_mailbox(),
            "organization": organization,
        }
        result.add("catalog.Publisher", "created")
        return services.publisher_save(actor=None, **values)
    if existing.title == title and existing.jurisdiction_id == jurisdiction.pk:
        result.add("catalog.Publisher", "unchanged")
        return existing
    result.add("catalog.Publisher", "updated")
    return services.publisher_save(actor=None, publisher=existing, **values)


def free_name(base: str) -> str:
    """`base`, or `base-2`, `base-3`… when a dataset already holds the name or identifier."""
    from abierto.catalog.models import Dataset

    candidate, n = base, 1
    while Dataset.objects.filter(Q(name=candidate) | Q(identifier=candidate)).exists():
        n += 1
        suffix = f"-{n}"
        candidate = base[: 100 - len(suffix)] + suffix
    return candidate


def _write(spec: DatasetSpec, publisher, theme, existing, result: SyncResult) -> None:
    from abierto.catalog import services
    from abierto.catalog.models import Dataset

    values: dict[str, Any] = {
        "title": spec.title[:300],
        "description": spec.description,
        "publisher": publisher,
        "contact_name": publisher.title,
        "contact_email": publisher.email or platform_mailbox(),
        "landing_page": spec.landing_page,
        "accrual_periodicity": Dataset.Periodicity.CONTINUOUS,
        "temporal_start": spec.temporal_start,
        "temporal_end": spec.temporal_end,
        "spatial": spec.spatial,
        "spatial_text": spec.spatial.name if spec.spatial else "",
        "origin": Dataset.Origin.PLATFORM,
        "feed": spec.feed,
        "state": Dataset.State.ACTIVE,
        "private": False,
    }
    if existing is None:
        name = free_name(spec.name)
        dataset = services.dataset_save(
            actor=None,
            name=name,
            identifier=name,
            tags=spec.tags,
            themes=[theme],
            **values,
        )
        result.add("catalog.Dataset", "created")
        current: list = []
    else:
        dataset = existing
        tags_differ = {t.name for t in existing.tags.all()} != set(spec.tags)
        themes_differ = theme.pk not in {t.pk for t in existing.themes.all()}
        if tags_differ or themes_differ or _differs(existing, values):
            themes = list(existing.themes.all()) + ([theme] if themes_differ else [])
            dataset = services.dataset_save(
                actor=None, dataset=existing, tags=spec.tags, themes=themes, **values
            )
            result.add("catalog.Dataset", "updated")
        else:
            result.add("catalog.Dataset", "unchanged")
        current = [r for r in existing.resources.all() if r.state == Dataset.State.ACTIVE]
    _write_resources(dataset, spec.resources, current, result)


def _differs(obj: models.Model, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        if model_field.is_relation:
            if getattr(obj, model_field.attname) != (value.pk if value is not None else None):
                return True
        elif getattr(obj, name) != value:
            return True
    return False


def _write_resources(dataset, wanted: Iterable[ResourceSpec], current: list, result) -> None:
    from abierto.catalog import services

    current = sorted(current, key=lambda r: (r.position, r.pk))
    for position, spec in enumerate(wanted):
        values = {
            "title": spec.title[:300],
            "description": spec.description,
            "url": spec.url,
            "format": spec.format,
            "media_type": spec.media_type,
            "conforms_to": spec.conforms_to,
            "data_dictionary": list(spec.data_dictionary),
            "position": position,
        }
        resource = current[position] if position < len(current) else None
        if resource is None:
            services.resource_save(actor=None, dataset=dataset, **values)
            result.add("catalog.Resource", "created")
        elif resource.file or _differs(resource, values):
            services.resource_save(actor=None, dataset=dataset, resource=resource, **values)
            result.add("catalog.Resource", "updated")
        else:
            result.add("catalog.Resource", "unchanged")
    for extra in current[len(tuple(wanted)) :]:
        services.resource_delete(actor=None, resource=extra)
        result.add("catalog.Resource", "deleted")


def _existing(feeds: Iterable[str]) -> dict[str, Any]:
    from abierto.catalog.models import Dataset, Resource

    found = (
        Dataset.objects.filter(origin=Dataset.Origin.PLATFORM, feed__in=list(feeds))
        .prefetch_related(
            "tags", "themes", models.Prefetch("resources", Resource.objects.order_by("position"))
        )
        .order_by("pk")
    )
    # An active dataset wins over a deleted one with the same feed.
    result: dict[str, Any] = {}
    for dataset in found:
        kept = result.get(dataset.feed)
        if kept is None or (
            kept.state != Dataset.State.ACTIVE and dataset.state == Dataset.State.ACTIVE
        ):
            result[dataset.feed] = dataset
    return result


def _retire(datasets, result: SyncResult) -> None:
    from abierto.catalog import services

    for dataset in datasets:
        services.dataset_delete(actor=None, dataset=dataset)
        result.add("catalog.Dataset", "deleted")


def _write_all(specs: list[DatasetSpec], publisher, result: SyncResult) -> set[str]:
    theme = _theme(result)
    existing = _existing(spec.feed for spec in specs)
    for spec in specs:
        _write(spec, publisher, theme, existing.get(spec.feed), result)
    return {spec.feed for spec in specs}


def sync_exercise(exercise: Exercise, result: SyncResult | None = None) -> SyncResult:
    """Publish (or update) the datasets of one exercise; retire those it no longer calls for."""
    from abierto.catalog.models import Dataset, Publisher

    result = result if result is not None else SyncResult()
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        specs = exercise_specs(exercise)
        name = f"stl-{exercise.slug}".lower()[:100]
        publisher = Publisher.objects.filter(name=name).first()
        if specs:
            publisher = _publisher(
                result,
                name=name,
                title=stl_title(exercise),
                description=_(
                    "Publica los datos de %(exercise)s que la plataforma mantiene al día: su "
                    "Secretariado Técnico Local, sus Planes de Acción Local, sus compromisos, "
                    "metas y avances, y su participación ciudadana."
                )
                % {"exercise": exercise.name},
                jurisdiction=exercise.jurisdiction,
            )
            wanted = _write_all(specs, publisher, result)
        else:
            wanted = set()
        if publisher is not None:
            _retire(
                Dataset.objects.filter(origin=Dataset.Origin.PLATFORM, publisher=publisher)
                .exclude(state=Dataset.State.DELETED)
                .exclude(feed__in=wanted),
                result,
            )
    return result


def _contracting_publisher(ocds_publisher, existing, result: SyncResult):
    """The catalog publisher for an OCDS publisher: its institution's, else one named after it."""
    from abierto.catalog.models import Publisher

    if existing is not None:
        return existing.publisher
    if ocds_publisher.organization_id is not None:
        found = Publisher.objects.filter(organization_id=ocds_publisher.organization_id).first()
        if found is not None:
            return found
    organization = ocds_publisher.organization
    jurisdiction = organization.jurisdiction if organization is not None else None
    if jurisdiction is None:
        default = Exercise.objects.filter(slug=settings.DEFAULT_EXERCISE).first()
        jurisdiction = default.jurisdiction if default is not None else None
    if jurisdiction is None:
        return None
    return _publisher(
        result,
        name=(slugify(ocds_publisher.name) or slugify(ocds_publisher.ocid_prefix))[:100],
        title=ocds_publisher.name,
        description=_(
            "Publica sus contrataciones en el Estándar de Datos de Contrataciones Abiertas."
        ),
        jurisdiction=jurisdiction,
        organization=organization,
    )


def sync_contracting(result: SyncResult | None = None) -> SyncResult:
    """One open contracting dataset per OCDS publisher (contracting.Publisher)."""
    from abierto.catalog.models import Dataset

    result = result if result is not None else SyncResult()
    if not apps.is_installed("abierto.contracting"):
        return result
    OcdsPublisher = apps.get_model("contracting", "Publisher")  # noqa: N806
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        wanted = set()
        for ocds_publisher in OcdsPublisher.objects.select_related("organization__jurisdiction"):
            feed = feed_id("contracting", slugify(ocds_publisher.ocid_prefix), ocds_publisher.pk)
            existing = _existing([feed]).get(feed)
            publisher = _contracting_publisher(ocds_publisher, existing, result)
            if publisher is None:
                continue
            spec = contracting_spec(ocds_publisher, publisher.jurisdiction)
            wanted |= _write_all([spec], publisher, result)
        _retire(
            Dataset.objects.filter(origin=Dataset.Origin.PLATFORM, feed__startswith="contracting:")
            .exclude(state=Dataset.State.DELETED)
            .exclude(feed__in=wanted),
            result,
        )
    return result


def sync() -> SyncResult:
    """Publish every exercise's and every OCDS publisher's datasets; idempotent."""
    result = SyncResult()
    with transaction.atomic():
        for exercise in Exercise.objects.select_related("jurisdiction"):
            sync_exercise(exercise, result)
        sync_contracting(result)
    return result
