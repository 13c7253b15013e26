"""Load the demo data: YAML files transcribed from the source documents, written idempotently.

The data lives only in the YAML files (``settings.DEMO_DATA_DIR``, ``docs/demo-data.md``):

    jurisdictions.yaml, pillars.yaml, themes.yaml      shared reference data
    <exercise>/exercise.yaml                           one folder per exercise (e.g. jalisco/)
    <exercise>/organizations.yaml
    <exercise>/secretariat.yaml                        seats, memberships, liaisons, mechanisms
    <exercise>/sessions.yaml                           sessions and their agreements
    <exercise>/figures.yaml                            totals given without detail
    <exercise>/plans/*.yaml                            one action plan per file

Every file is parsed before anything is written; then everything is written in one transaction
keyed on natural keys, so loading twice changes nothing and an error leaves the database as it
was. Each record actually created or changed gets its audit entry (actor: none, verb
``load_demo``); unchanged records are not touched.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

from abierto.core import audit
from abierto.core.models import (
    DatePrecision,
    Exercise,
    Jurisdiction,
    Organization,
    ReportedFigure,
)

AUDIT_VERB = "load_demo"

# Keys that document a record for its readers; the loader never stores them.
EDITORIAL_KEY = re.compile(r"^editorial(_\w+)?$")

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _model(label: str) -> type[models.Model]:
    # By label, not import: core sits below the other apps and imports none of them.
    return apps.get_model(label)


class DemoDataError(Exception):
    """A problem in a demo data file: which file, where in it, and what is wrong."""

    def __init__(self, file: str, where: str, message: str) -> None:
        self.file = file
        self.where = where
        self.message = message
        super().__init__(f"{file}: {where}: {message}" if where else f"{file}: {message}")


@dataclass
class Node:
    """A YAML mapping with the file and key path it came from, for precise error messages."""

    data: dict[str, Any]
    file: str
    path: str
    read: set[str] = field(default_factory=set)

    def at(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, message: str) -> DemoDataError:
        return DemoDataError(self.file, self.at(key) if key is not None else self.path, message)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, *, required: bool) -> Any:
        self.read.add(key)
        value = self.data.get(key)
        if value is None and required:
            raise self.error(key, "required key is missing or empty")
        return value

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.raw(key, required=required)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.error(key, f"expected text, got {type(value).__name__} {value!r}")
        return value.strip()

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.raw(key, required=required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {value!r}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.raw(key, required=False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def choice(self, key: str, values: Iterable[str], *, default: str | None = None) -> str:
        """One of `values`; `default` when the key is absent (required when there is none)."""
        value = self.text(key, required=default is None)
        if not value and default is not None:
            return default
        allowed = [v for v in values if v]
        if value not in allowed:
            raise self.error(key, f"{value!r} is not one of {', '.join(map(repr, allowed))}")
        return value

    def date(self, key: str, *, required: bool = False) -> dt.date | None:
        """A whole date: YYYY-MM-DD."""
        day, precision = self.partial_date(key, required=required)
        if day is not None and precision != DatePrecision.DAY:
            raise self.error(key, f"expected a whole date YYYY-MM-DD, got {self.data[key]!r}")
        return day

    def partial_date(self, key: str, *, required: bool = False) -> tuple[dt.date | None, str]:
        """A date as precise as its source: "YYYY", "YYYY-MM" or YYYY-MM-DD, with its precision."""
        value = self.raw(key, required=required)
        if value is None:
            return None, DatePrecision.DAY
        if isinstance(value, dt.datetime):
            raise self.error(key, f"expected a date without a time, got {value!r}")
        if isinstance(value, dt.date):
            return value, DatePrecision.DAY
        match = PARTIAL_DATE.match(str(value)) if isinstance(value, str | int) else None
        if match is None:
            raise self.error(key, f'expected "YYYY", "YYYY-MM" or YYYY-MM-DD, got {value!r}')
        year, month, day = (int(part) if part else None for part in match.groups())
        try:
            date = dt.date(year, month or 1, day or 1)
        except ValueError as exc:
            raise self.error(key, f"{value!r} is not a date ({exc})") from None
        precision = (
            DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
        )
        return date, precision

    def child(self, key: str, *, required: bool = True) -> Node | None:
        value = self.raw(key, required=required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"expected a mapping, got {type(value).__name__}")
        return Node(value, self.file, self.at(key))

    def items(self, key: str, *, required: bool = False) -> list[tuple[str, Any]]:
        """The entries of a list with each one's key path."""
        value = self.raw(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {type(value).__name__}")
        return [(f"{self.at(key)}[{i}]", item) for i, item in enumerate(value)]

    def nodes(self, key: str, *, required: bool = False) -> list[Node]:
        result = []
        for path, item in self.items(key, required=required):
            if not isinstance(item, dict):
                raise DemoDataError(self.file, path, f"expected a mapping, got {item!r}")
            result.append(Node(item, self.file, path))
        return result

    def texts(self, key: str) -> list[tuple[str, str]]:
        """A list of short texts (references), each with its key path."""
        result = []
        for path, item in self.items(key):
            if not isinstance(item, str) or not item.strip():
                raise DemoDataError(self.file, path, f"expected text, got {item!r}")
            result.append((path, item.strip()))
        return result

    def finish(self) -> None:
        """Reject keys the loader did not read: most likely a typo."""
        unknown = sorted(
            str(key)
            for key in self.data
            if key not in self.read and not EDITORIAL_KEY.match(str(key))
        )
        if unknown:
            raise self.error(unknown[0], "unknown key")


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """yaml.safe_load's loader, but a key given twice in one mapping is an error, not a loss."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read(root: Path, relative: str, top: str) -> Node:
    """Parse one YAML file whose content is a mapping with the key `top`."""
    path = root / relative
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DemoDataError(relative, "", f"cannot read the file ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DemoDataError(relative, where, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise DemoDataError(relative, "", f"invalid YAML: {exc}") from None
    if not isinstance(data, dict) or top not in data:
        raise DemoDataError(relative, "", f"expected a mapping with the key {top!r}")
    return Node(data, relative, "")


@dataclass
class ExerciseFiles:
    folder: str
    exercise: Node
    organizations: Node | None
    secretariat: Node | None
    sessions: Node | None
    figures: Node | None
    plans: list[Node]


@dataclass
class DemoFiles:
    jurisdictions: Node | None
    pillars: Node | None
    themes: Node | None
    exercises: list[ExerciseFiles]


def read_demo_files(root: Path) -> DemoFiles:
    """Parse every demo file under `root`; nothing is written."""
    if not root.is_dir():
        raise DemoDataError(str(root), "", "no such folder")

    def optional(relative: str, top: str) -> Node | None:
        return _read(root, relative, top) if (root / relative).is_file() else None

    exercises = []
    for folder in sorted(p for p in root.iterdir() if (p / "exercise.yaml").is_file()):
        name = folder.name
        exercises.append(
            ExerciseFiles(
                folder=name,
                exercise=_read(root, f"{name}/exercise.yaml", "exercise"),
                organizations=optional(f"{name}/organizations.yaml", "organizations"),
                secretariat=optional(f"{name}/secretariat.yaml", "secretariat"),
                sessions=optional(f"{name}/sessions.yaml", "sessions"),
                figures=optional(f"{name}/figures.yaml", "reported_figures"),
                plans=[
                    _read(root, plan.relative_to(root).as_posix(), "plan")
                    for plan in sorted((folder / "plans").glob("*.yaml"))
                ],
            )
        )
    return DemoFiles(
        jurisdictions=optional("jurisdictions.yaml", "states"),
        pillars=optional("pillars.yaml", "pillars"),
        themes=optional("themes.yaml", "themes"),
        exercises=exercises,
    )


class Tally(Counter):
    """How many records of each model were created, updated or left unchanged."""

    def lines(self) -> list[str]:
        labels = sorted({label for label, _ in self})
        return [
            f"{label}: {self[label, 'created']} created, {self[label, 'updated']} updated, "
            f"{self[label, 'unchanged']} unchanged"
            for label in labels
        ]

    @property
    def changed(self) -> int:
        return sum(n for (_, outcome), n in self.items() if outcome != "unchanged")


def _differs(obj: models.Model, name: str, value: Any) -> bool:
    model_field = obj._meta.get_field(name)
    if model_field.is_relation:
        return getattr(obj, model_field.attname) != (value.pk if value is not None else None)
    return getattr(obj, name) != value


class Loader:
    """Writes parsed demo files; references resolve against the files, then the database."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.written: dict[tuple, str] = {}
        self.jurisdictions: dict[str, Jurisdiction] = {}
        self.organizations: dict[str, Organization] = {}
        self.pillars: dict[str, models.Model] = {}
        self.themes: dict[str, models.Model] = {}

    # --- writing -------------------------------------------------------------------------

    def upsert(
        self,
        model: type[models.Model],
        node: Node,
        *,
        key: dict[str, Any],
        values: dict[str, Any],
        m2m: dict[str, Iterable[models.Model]] | None = None,
    ) -> models.Model:
        """Create or update the record with natural key `key`; write only what differs."""
        node.finish()
        label = model._meta.label
        natural_key = (label, *sorted((k, getattr(v, "pk", v)) for k, v in key.items()))
        if natural_key in self.written:
            raise node.error(None, f"the same record as {self.written[natural_key]}")
        self.written[natural_key] = f"{node.file}: {node.path}"
        targets = {name: list(objs) for name, objs in (m2m or {}).items()}
        obj = model._default_manager.filter(**key).first()
        if obj is None:
            obj = model(**key, **values)
            self._validate(obj, node)
            obj.save()
            for name, objs in targets.items():
                getattr(obj, name).set(objs)
            audit.record(
                actor=None, verb=AUDIT_VERB, obj=obj, before=None, after=audit.snapshot(obj)
            )
            self.tally[label, "created"] += 1
            return obj
        changed = [name for name, value in values.items() if _differs(obj, name, value)]
        changed_m2m = {
            name: objs
            for name, objs in targets.items()
            if set(getattr(obj, name).values_list("pk", flat=True)) != {o.pk for o in objs}
        }
        if not changed and not changed_m2m:
            self.tally[label, "unchanged"] += 1
            return obj
        before = audit.snapshot(obj)
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            self._validate(obj, node)
            obj.save(update_fields=changed)
        for name, objs in changed_m2m.items():
            getattr(obj, name).set(objs)
        audit.record(actor=None, verb=AUDIT_VERB, obj=obj, before=before, after=audit.snapshot(obj))
        self.tally[label, "updated"] += 1
        return obj

    @staticmethod
    def _validate(obj: models.Model, node: Node) -> None:
        try:
            obj.full_clean()
        except ValidationError as exc:
            errors = getattr(exc, "message_dict", {"": exc.messages})
            name, messages = next(iter(errors.items()))
            key = None if name in ("", "__all__") else name
            raise node.error(key, " ".join(str(m) for m in messages)) from None

    # --- references ----------------------------------------------------------------------

    @staticmethod
    def _resolve(
        known: dict[str, models.Model], model: type[models.Model], lookup: str, ref: str
    ) -> models.Model | None:
        return known.get(ref) or model._default_manager.filter(**{lookup: ref}).first()

    def jurisdiction(self, node: Node, key: str) -> Jurisdiction:
        code = node.text(key, required=True)
        found = self._resolve(self.jurisdictions, Jurisdiction, "inegi_code", code)
        if found is None:
            raise node.error(key, f"unknown jurisdiction {code!r} (not in jurisdictions.yaml)")
        return found

    def organization(self, node: Node, key: str) -> Organization | None:
        if not node.has(key):
            return None
        slug = node.text(key)
        found = self._resolve(self.organizations, Organization, "slug", slug)
        if found is None:
            raise node.error(key, f"unknown organization {slug!r} (not in organizations.yaml)")
        return found

    def organizations_listed(self, node: Node, key: str) -> list[Organization]:
        found = []
        for path, slug in node.texts(key):
            organization = self._resolve(self.organizations, Organization, "slug", slug)
            if organization is None:
                message = f"unknown organization {slug!r} (not in organizations.yaml)"
                raise DemoDataError(node.file, path, message)
            found.append(organization)
        return found

    def pillars_listed(self, node: Node, key: str) -> list[models.Model]:
        found = []
        for path, code in node.texts(key):
            pillar = self._resolve(self.pillars, _model("plans.Pillar"), "code", code)
            if pillar is None:
                raise DemoDataError(
                    node.file, path, f"unknown pillar {code!r} (not in pillars.yaml)"
                )
            found.append(pillar)
        return found

    # --- shared reference data -----------------------------------------------------------

    def load_jurisdictions(self, root: Node) -> None:
        for node in root.nodes("states", required=True):
            code = node.text("inegi_code", required=True)
            if not re.fullmatch(r"\d{2}", code):
                raise node.error("inegi_code", f"a state's INEGI key has 2 digits, got {code!r}")
            self.jurisdictions[code] = self._jurisdiction(node, code, Jurisdiction.Kind.STATE)
        for node in root.nodes("municipalities"):
            code = node.text("inegi_code", required=True)
            if not re.fullmatch(r"\d{5}", code):
                raise node.error("inegi_code", f"a municipality's key has 5 digits, got {code!r}")
            state = self.jurisdiction(node, "state")
            if state.kind != Jurisdiction.Kind.STATE or not code.startswith(state.inegi_code):
                raise node.error("state", f"{code!r} is not a municipality of {state.inegi_code!r}")
            self.jurisdictions[code] = self._jurisdiction(
                node, code, Jurisdiction.Kind.MUNICIPALITY, parent=state
            )
        root.finish()

    def _jurisdiction(
        self, node: Node, code: str, kind: str, parent: Jurisdiction | None = None
    ) -> Jurisdiction:
        return self.upsert(
            Jurisdiction,
            node,
            key={"inegi_code": code},
            values={
                "name": node.text("name", required=True),
                "short_name": node.text("short_name"),
                "slug": node.text("slug", required=True),
                "kind": kind,
                "parent": parent,
            },
        )

    def load_pillars(self, root: Node) -> None:
        for node in root.nodes("pillars", required=True):
            code = node.text("code", required=True)
            self.pillars[code] = self.upsert(
                _model("plans.Pillar"),
                node,
                key={"code": code},
                values={
                    "name": node.text("name", required=True),
                    "description": node.text("description"),
                    "position": node.integer("position") or 0,
                },
            )
        root.finish()

    def load_themes(self, root: Node) -> None:
        for node in root.nodes("themes", required=True):
            slug = node.text("slug", required=True)
            self.themes[slug] = self.upsert(
                _model("plans.Theme"),
                node,
                key={"slug": slug},
                values={"name": node.text("name", required=True)},
            )
        root.finish()

    # --- one exercise --------------------------------------------------------------------

    def load_exercise(self, files: ExerciseFiles) -> Exercise:
        root = files.exercise
        node = root.child("exercise")
        started_on, started_precision = node.partial_date("started_on")
        exercise = self.upsert(
            Exercise,
            node,
            key={"slug": node.text("slug", required=True)},
            values={
                "jurisdiction": self.jurisdiction(node, "jurisdiction"),
                "name": node.text("name", required=True),
                "description": node.text("description"),
                "started_on": started_on,
                "started_on_precision": started_precision,
                "website": node.text("website"),
            },
        )
        root.finish()
        return exercise

    def load_organizations(self, root: Node) -> None:
        for node in root.nodes("organizations", required=True):
            slug = node.text("slug", required=True)
            self.organizations[slug] = self.upsert(
                Organization,
                node,
                key={"slug": slug},
                values={
                    "name": node.text("name", required=True),
                    "acronym": node.text("acronym"),
                    "sector": node.choice("sector", Organization.Sector.values),
                    "jurisdiction": (
                        self.jurisdiction(node, "jurisdiction")
                        if node.has("jurisdiction")
                        else None
                    ),
                    "website": node.text("website"),
                },
            )
        root.finish()

    def load_secretariat(self, exercise: Exercise, root: Node) -> tuple[models.Model, list[Node]]:
        """The secretariat with its seats and liaisons, and its mechanisms still to write."""
        Secretariat = _model("secretariat.Secretariat")  # noqa: N806
        node = root.child("secretariat")
        installed_on, installed_precision = node.partial_date("installed_on")
        municipalities = []
        for path, code in node.texts("invited_municipalities"):
            place = self.jurisdictions.get(code)
            if place is None or place.kind != Jurisdiction.Kind.MUNICIPALITY:
                raise DemoDataError(node.file, path, f"unknown municipality {code!r}")
            municipalities.append(place)
        seats, liaisons = node.nodes("seats"), node.texts("liaisons")
        mechanisms = node.nodes("governance_mechanisms")
        secretariat = self.upsert(
            Secretariat,
            node,
            key={"exercise": exercise},
            values={
                "name": node.text("name", required=True),
                "installed_on": installed_on,
                "installed_on_precision": installed_precision,
                "purpose": node.text("purpose"),
            },
            m2m={"invited_municipalities": municipalities},
        )
        for seat_node in seats:
            self._seat(secretariat, seat_node)
        for position, (path, slug) in enumerate(liaisons, start=1):
            item = Node({"organization": slug}, node.file, path)
            self.upsert(
                _model("secretariat.Liaison"),
                item,
                key={
                    "secretariat": secretariat,
                    "organization": self.organization(item, "organization"),
                },
                values={"position": position},
            )
        root.finish()
        # Mechanisms may cite the session that approved them: they are written after sessions.
        return secretariat, mechanisms

    def _seat(self, secretariat: models.Model, node: Node) -> None:
        Membership = _model("secretariat.Membership")  # noqa: N806
        memberships = node.nodes("memberships")
        seat = self.upsert(
            _model("secretariat.Seat"),
            node,
            key={"secretariat": secretariat, "name": node.text("name", required=True)},
            values={
                "sector": node.choice("sector", Organization.Sector.values),
                "position": node.integer("position") or 0,
                "is_chair": node.boolean("is_chair"),
            },
        )
        for member in memberships:
            self.upsert(
                Membership,
                member,
                key={
                    "seat": seat,
                    "role": member.choice("role", Membership.Role.values),
                    "person_name": member.text("person_name"),
                },
                values={
                    "post": member.text("post"),
                    "organization": self.organization(member, "organization"),
                    "start_on": member.date("start_on"),
                    "end_on": member.date("end_on"),
                    "end_reason": member.choice(
                        "end_reason", Membership.EndReason.values, default=""
                    ),
                    "source": member.text("source"),
                },
            )

    def load_sessions(self, secretariat: models.Model, root: Node) -> dict[tuple, models.Model]:
        Session = _model("secretariat.Session")  # noqa: N806
        Agreement = _model("secretariat.Agreement")  # noqa: N806
        sessions = {}
        for node in root.nodes("sessions", required=True):
            kind = node.choice("kind", Session.Kind.values)
            number = node.integer("number", required=True)
            held_on, held_precision = node.partial_date("held_on")
            agreements = node.nodes("agreements")
            session = self.upsert(
                Session,
                node,
                key={"secretariat": secretariat, "kind": kind, "number": number},
                values={
                    "held_on": held_on,
                    "held_on_precision": held_precision,
                    "place": node.text("place"),
                    "attendance": node.integer("attendance"),
                    "summary": node.text("summary"),
                    "source": node.text("source"),
                },
            )
            sessions[kind, number] = session
            for agreement in agreements:
                self.upsert(
                    Agreement,
                    agreement,
                    key={"session": session, "number": agreement.integer("number", required=True)},
                    values={
                        "text": agreement.text("text", required=True),
                        "responsible": agreement.text("responsible"),
                        "due_on": agreement.date("due_on"),
                        "status": agreement.choice("status", Agreement.Status.values),
                        "follow_up": agreement.text("follow_up"),
                        "done_on": agreement.date("done_on"),
                    },
                )
        root.finish()
        return sessions

    def load_mechanisms(
        self, secretariat: models.Model, nodes: list[Node], sessions: dict[tuple, models.Model]
    ) -> None:
        Session = _model("secretariat.Session")  # noqa: N806
        for node in nodes:
            approved_at = None
            ref = node.child("approved_at", required=False)
            if ref is not None:
                wanted = (
                    ref.choice("kind", Session.Kind.values),
                    ref.integer("number", required=True),
                )
                ref.finish()
                approved_at = (
                    sessions.get(wanted)
                    or Session.objects.filter(
                        secretariat=secretariat, kind=wanted[0], number=wanted[1]
                    ).first()
                )
                if approved_at is None:
                    raise node.error("approved_at", f"unknown session {wanted[0]} {wanted[1]}")
            self.upsert(
                _model("secretariat.GovernanceMechanism"),
                node,
                key={"secretariat": secretariat, "title": node.text("title", required=True)},
                values={
                    "summary": node.text("summary"),
                    "approved_at": approved_at,
                    "source": node.text("source"),
                },
            )

    def load_figures(self, exercise: Exercise, root: Node) -> None:
        for node in root.nodes("reported_figures", required=True):
            self.upsert(
                ReportedFigure,
                node,
                key={
                    "exercise": exercise,
                    "metric": node.choice("metric", ReportedFigure.Metric.values),
                    "period_start": node.date("period_start", required=True),
                    "period_end": node.date("period_end", required=True),
                },
                values={
                    "value": node.integer("value", required=True),
                    "source": node.text("source", required=True),
                    "note": node.text("note"),
                },
            )
        root.finish()

    def load_plan(self, exercise: Exercise, root: Node) -> None:
        ActionPlan = _model("plans.ActionPlan")  # noqa: N806
        node = root.child("plan")
        presented_on, presented_precision = node.partial_date("presented_on")
        started_on, started_precision = node.partial_date("implementation_started_on")
        plan = self.upsert(
            ActionPlan,
            node,
            key={"exercise": exercise, "slug": node.text("slug", required=True)},
            values={
                "title": node.text("title", required=True),
                "cycle": node.integer("cycle") or 1,
                "start_year": node.integer("start_year", required=True),
                "end_year": node.integer("end_year", required=True),
                "status": node.choice("status", ActionPlan.Status.values),
                "description": node.text("description"),
                "presented_on": presented_on,
                "presented_on_precision": presented_precision,
                "presentation_place": node.text("presentation_place"),
                "presentation_attendance": node.integer("presentation_attendance"),
                "presentation_summary": node.text("presentation_summary"),
                "implementation_started_on": started_on,
                "implementation_started_on_precision": started_precision,
                "source": node.text("source"),
            },
        )
        defaults = root.child("defaults", required=False)
        shared = dict(defaults.data) if defaults else {}
        for item in root.nodes("commitments"):
            # A commitment's own keys win over the file's defaults.
            self._commitment(plan, Node({**shared, **item.data}, item.file, item.path))
        root.finish()

    def _commitment(self, plan: models.Model, node: Node) -> None:
        Commitment = _model("plans.Commitment")  # noqa: N806
        completions = [value for value, _ in Commitment._meta.get_field("completion").choices]
        theme = None
        if node.has("theme"):
            slug = node.text("theme")
            theme = self._resolve(self.themes, _model("plans.Theme"), "slug", slug)
            if theme is None:
                raise node.error("theme", f"unknown theme {slug!r} (not in themes.yaml)")
        committee = node.child("committee", required=False)
        commitment = self.upsert(
            Commitment,
            node,
            key={"plan": plan, "number": node.integer("number", required=True)},
            values={
                "title": node.text("title", required=True),
                "slug": node.text("slug", required=True),
                "problem": node.text("problem"),
                "objective": node.text("objective"),
                "theme": theme,
                "completion": node.choice("completion", completions, default="not_started"),
                "completion_note": node.text("completion_note"),
                "start_on": node.date("start_on"),
                "end_on": node.date("end_on"),
                "source": node.text("source"),
            },
            m2m={
                "pillars": self.pillars_listed(node, "pillars"),
                "lead_implementers": self.organizations_listed(node, "lead_implementers"),
                "partners": self.organizations_listed(node, "partners"),
            },
        )
        if committee is not None:
            self.upsert(
                _model("plans.Committee"),
                committee,
                key={"commitment": commitment},
                values={"name": committee.text("name")},
            )


def load_demo(path: Path | str | None = None) -> Tally:
    """Load the demo data under `path` (default: settings.DEMO_DATA_DIR); return the tally."""
    files = read_demo_files(Path(path) if path is not None else Path(settings.DEMO_DATA_DIR))
    loader = Loader()
    with transaction.atomic():
        for shared, load in (
            (files.jurisdictions, loader.load_jurisdictions),
            (files.pillars, loader.load_pillars),
            (files.themes, loader.load_themes),
        ):
            if shared is not None:
                load(shared)
        # Organisations are shared by every exercise: all of them first.
        exercises = []
        for each in files.exercises:
            exercises.append(loader.load_exercise(each))
            if each.organizations is not None:
                loader.load_organizations(each.organizations)
        for each, exercise in zip(files.exercises, exercises, strict=True):
            if each.secretariat is not None:
                secretariat, mechanisms = loader.load_secretariat(exercise, each.secretariat)
                sessions = loader.load_sessions(secretariat, each.sessions) if each.sessions else {}
                loader.load_mechanisms(secretariat, mechanisms, sessions)
            elif each.sessions is not None:
                raise DemoDataError(each.sessions.file, "", "sessions need a secretariat.yaml")
            if each.figures is not None:
                loader.load_figures(exercise, each.figures)
            for plan in each.plans:
                loader.load_plan(exercise, plan)
    return loader.tally
