"""Load the national demo facts (abierto/demo/national.yaml): idempotent, by natural keys.

Runs inside load_demo's transaction, after the core loader (which loads the 32 states and
Jalisco). Writes go through core's demo Loader, so each created or changed record is audited
and a second run changes nothing. An exercise that already exists is never touched.
"""

from __future__ import annotations

from pathlib import Path

from abierto.core.demo import DemoDataError, Loader, Node, Tally, _read
from abierto.core.models import Exercise, Jurisdiction
from abierto.reports.models import NationalFigure, ReportedAgenda, Stage, StageReport

FILE = "national.yaml"
STAGE_KEYS = [
    (Stage.EXERCISE, "exercises"),
    (Stage.STL_INSTALLED, "stl_installed"),
    (Stage.PLAN_PUBLISHED, "plan_published"),
    (Stage.SECOND_CYCLE_PENDING, "second_cycle_pending"),
]


def _state(loader: Loader, node: Node) -> Jurisdiction:
    state = loader.jurisdiction(node, "state")
    name = node.text("name", required=True)
    if state.kind != Jurisdiction.Kind.STATE:
        raise node.error("state", f"{state.inegi_code!r} is not a state")
    if name not in (state.name, state.short_name):
        raise node.error("name", f"{name!r} is not the name of state {state.inegi_code!r}")
    return state


def load_demo(root: Path | str) -> Tally:
    """Load national.yaml under `root` (nothing when there is no such file)."""
    root = Path(root)
    if not (root / FILE).exists():
        return Tally()
    top = _read(root, FILE, "national")
    node = top.child("national")
    as_of, precision = node.partial_date("as_of", required=True)
    source = node.text("source", required=True)
    loader = Loader()

    lists = {key: node.nodes(key, required=True) for _stage, key in STAGE_KEYS}
    not_yet = node.nodes("not_yet", required=True)
    with_exercise = {_state(loader, item).inegi_code for item in lists["exercises"]}
    without = {_state(loader, item).inegi_code for item in not_yet}
    for item in not_yet:
        item.finish()
    states = set(
        Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE).values_list(
            "inegi_code", flat=True
        )
    )
    if with_exercise & without or with_exercise | without != states:
        raise node.error("not_yet", "with `exercises` it must name every state exactly once")

    for item in lists["exercises"]:
        state = _state(loader, item)
        if Exercise.objects.filter(jurisdiction=state).exists():
            item.finish()
            loader.tally[Exercise._meta.label, "unchanged"] += 1
            continue
        name = state.short_name or state.name
        loader.upsert(
            Exercise,
            item,
            key={"jurisdiction": state},
            values={
                "name": f"Gobierno Abierto {name}",
                "slug": state.slug,
                "description": (
                    f"Ejercicio local de Gobierno Abierto de {name}, según {source}. "
                    "Esta plataforma no tiene aún el detalle de su Secretariado ni de sus planes."
                ),
            },
        )
    for stage, key in STAGE_KEYS:
        for item in lists[key]:
            loader.upsert(
                StageReport,
                item,
                key={"jurisdiction": _state(loader, item), "stage": stage, "as_of": as_of},
                values={"as_of_precision": precision, "source": source},
            )
    for item in node.nodes("figures", required=True):
        loader.upsert(
            NationalFigure,
            item,
            key={
                "metric": item.choice("metric", NationalFigure.Metric.values),
                "as_of": as_of,
            },
            values={
                "value": item.integer("value", required=True),
                "at_least": item.boolean("at_least"),
                "note": item.text("note"),
                "as_of_precision": precision,
                "source": source,
            },
        )
    for position, (path, name) in enumerate(node.texts("agendas"), start=1):
        loader.upsert(
            ReportedAgenda,
            Node({}, FILE, path),
            key={"name": name, "as_of": as_of},
            values={"position": position, "as_of_precision": precision, "source": source},
        )
    node.finish()
    top.finish()
    return loader.tally


__all__ = ["DemoDataError", "load_demo"]
