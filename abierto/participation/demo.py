"""Load the co-creation and events demo: <exercise>/participation.yaml and events.yaml.

Written with core's loader: natural keys, only what differs is written, every change audited,
an unknown key is an error. `load_demo` runs inside the load_demo command's transaction.
"""

from __future__ import annotations

from pathlib import Path

from abierto.core.demo import DemoDataError, Loader, Node, Tally, _read
from abierto.core.models import Exercise, Jurisdiction
from abierto.participation.models import Event, Lab, Problem, Proposal, Site, Topic
from abierto.plans.models import ActionPlan
from abierto.secretariat.models import Session


def load_demo(root: Path | str) -> Tally:
    """Load participation.yaml and events.yaml of every exercise folder under `root`."""
    root = Path(root)
    loader = ParticipationLoader()
    for folder in sorted(p for p in root.iterdir() if (p / "exercise.yaml").is_file()):
        participation = folder / "participation.yaml"
        events = folder / "events.yaml"
        if not participation.is_file() and not events.is_file():
            continue
        exercise_file = _read(root, f"{folder.name}/exercise.yaml", "exercise")
        slug = exercise_file.child("exercise").text("slug", required=True)
        exercise = Exercise.objects.filter(slug=slug).first()
        if exercise is None:
            raise DemoDataError(f"{folder.name}/exercise.yaml", "exercise.slug", "not loaded")
        if participation.is_file():
            loader.load_participation(
                exercise, _read(root, f"{folder.name}/participation.yaml", "labs")
            )
        if events.is_file():
            loader.load_events(exercise, _read(root, f"{folder.name}/events.yaml", "events"))
    return loader.tally


class ParticipationLoader(Loader):
    """Core's loader, taught labs, sites, problems, proposals and events."""

    def topic(self, node: Node, key: str) -> Topic:
        slug = node.text(key, required=True)
        found = self._resolve(self.topics, Topic, "slug", slug)
        if found is None:
            raise node.error(key, f"unknown topic {slug!r} (not in topics)")
        return found

    def topics_listed(self, node: Node, key: str) -> list[Topic]:
        found = []
        for path, slug in node.texts(key):
            topic = self._resolve(self.topics, Topic, "slug", slug)
            if topic is None:
                raise DemoDataError(node.file, path, f"unknown topic {slug!r} (not in topics)")
            found.append(topic)
        return found

    def municipality(self, node: Node, key: str) -> Jurisdiction:
        code = node.text(key, required=True)
        found = Jurisdiction.objects.filter(
            inegi_code=code, kind=Jurisdiction.Kind.MUNICIPALITY
        ).first()
        if found is None:
            raise node.error(key, f"unknown municipality {code!r} (not in jurisdictions.yaml)")
        return found

    def load_participation(self, exercise: Exercise, root: Node) -> None:
        self.topics: dict[str, Topic] = {}
        for node in root.nodes("topics"):
            slug = node.text("slug", required=True)
            self.topics[slug] = self.upsert(
                Topic, node, key={"slug": slug}, values={"name": node.text("name", required=True)}
            )
        for node in root.nodes("labs", required=True):
            self._lab(exercise, node)
        root.finish()

    def _session(self, exercise: Exercise, node: Node, key: str) -> Session | None:
        ref = node.child(key, required=False)
        if ref is None:
            return None
        kind = ref.choice("kind", Session.Kind.values)
        number = ref.integer("number", required=True)
        ref.finish()
        session = Session.objects.filter(
            secretariat__exercise=exercise, kind=kind, number=number
        ).first()
        if session is None:
            raise node.error(key, f"unknown session {kind} {number}")
        return session

    def _lab(self, exercise: Exercise, node: Node) -> None:
        sites = node.nodes("sites")
        started_on, started_precision = node.partial_date("started_on")
        ended_on, ended_precision = node.partial_date("ended_on")
        lab = self.upsert(
            Lab,
            node,
            key={"exercise": exercise, "slug": node.text("slug", required=True)},
            values={
                "name": node.text("name", required=True),
                "acronym": node.text("acronym"),
                "description": node.text("description"),
                "organizer": self.organization(node, "organizer"),
                "approved_at": self._session(exercise, node, "approved_at"),
                "funding": node.text("funding"),
                "started_on": started_on,
                "started_on_precision": started_precision,
                "ended_on": ended_on,
                "ended_on_precision": ended_precision,
                "source": node.text("source"),
            },
        )
        for position, site_node in enumerate(sites, start=1):
            self._site(exercise, lab, site_node, position)

    def _site(self, exercise: Exercise, lab: Lab, node: Node, position: int) -> None:
        problems, proposals = node.nodes("problems"), node.nodes("proposals")
        municipality = self.municipality(node, "municipality")
        visited_on, visited_precision = node.partial_date("visited_on")
        site = self.upsert(
            Site,
            node,
            key={"lab": lab, "municipality": municipality},
            values={
                "slug": municipality.slug,
                "position": position,
                "visited_on": visited_on,
                "visited_on_precision": visited_precision,
                "workshops_reported": node.integer("workshops_reported"),
                "main_concern": node.text("main_concern"),
                "summary": node.text("summary"),
                "source": node.text("source") or lab.source,
            },
            m2m={"topics": self.topics_listed(node, "topics")},
        )
        for item in problems:
            self.upsert(
                Problem,
                item,
                key={
                    "site": site,
                    "topic": self.topic(item, "topic"),
                    "description": item.text("description", required=True),
                },
                values={"source": item.text("source") or lab.source},
            )
        for item in proposals:
            topic = self.topic(item, "topic") if item.has("topic") else None
            self.upsert(
                Proposal,
                item,
                key={
                    "exercise": exercise,
                    "site": site,
                    "label": item.text("label", required=True),
                },
                values={
                    "origin": Proposal.Origin.WORKSHOP,
                    "title": item.text("title", required=True),
                    "description": item.text("description"),
                    "topic": topic,
                    "status": item.choice("status", Proposal.Status.values, default="received"),
                    "status_reason": item.text("status_reason"),
                    "source": item.text("source") or lab.source,
                },
            )

    def load_events(self, exercise: Exercise, root: Node) -> None:
        default_source = root.text("source")
        events: dict[str, Event] = {}
        for node in root.nodes("events", required=True):
            held_on, precision = node.partial_date("held_on")
            part_of = None
            if node.has("part_of"):
                ref = node.text("part_of")
                part_of = (
                    events.get(ref) or Event.objects.filter(exercise=exercise, slug=ref).first()
                )
                if part_of is None:
                    raise node.error("part_of", f"unknown event {ref!r} (list it first)")
            plan = lab = None
            if node.has("plan"):
                plan = ActionPlan.objects.filter(exercise=exercise, slug=node.text("plan")).first()
                if plan is None:
                    raise node.error("plan", "unknown plan")
            if node.has("lab"):
                lab = Lab.objects.filter(exercise=exercise, slug=node.text("lab")).first()
                if lab is None:
                    raise node.error("lab", "unknown lab")
            slug = node.text("slug", required=True)
            events[slug] = self.upsert(
                Event,
                node,
                key={"exercise": exercise, "slug": slug},
                values={
                    "kind": node.choice("kind", Event.Kind.values),
                    "title": node.text("title", required=True),
                    "held_on": held_on,
                    "held_on_precision": precision,
                    "place": node.text("place"),
                    "organizer": self.organization(node, "organizer"),
                    "organizer_name": node.text("organizer_name"),
                    "speakers": node.text("speakers"),
                    "participants": node.integer("participants"),
                    "participants_at_least": node.boolean("participants_at_least"),
                    "visitors": node.integer("visitors"),
                    "description": node.text("description"),
                    "part_of": part_of,
                    "plan": plan,
                    "lab": lab,
                    "source": node.text("source") or default_source,
                },
            )
        root.finish()
