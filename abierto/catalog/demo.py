"""Demo catalog: the real publishers and themes of Jalisco's open data (abierto/demo/catalog/).

Only facts from the seeds are loaded (publishers.yaml, themes.yaml); the demo's datasets are the
platform's own (feeds.sync) once the other apps' demo data is in — catalog loads after plans,
participation and contracting. Both files are parsed before anything is written; records are
matched on their `name`, so loading again changes nothing. A bad file raises DemoDataError
naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from abierto.catalog import feeds, services
from abierto.catalog.models import Publisher, Theme
from abierto.core.demo import DemoDataError, Node, Tally, _read
from abierto.core.models import Jurisdiction, Organization

FOLDER = "catalog"


def _optional(root: Path, name: str, top: str) -> Node | None:
    relative = f"{FOLDER}/{name}"
    return _read(root, relative, top) if (root / relative).is_file() else None


def _error(node: Node, exc: ValidationError) -> DemoDataError:
    errors = getattr(exc, "message_dict", {"": exc.messages})
    key, messages = next(iter(errors.items()))
    return node.error(None if key in ("", "__all__") else key, " ".join(map(str, messages)))


def _unchanged(obj: models.Model, values: dict[str, Any]) -> bool:
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        current = getattr(obj, model_field.attname)
        if current != (value.pk if isinstance(value, models.Model) else value):
            return False
    return True


def _parse_themes(root: Node | None) -> list[tuple[Node, dict[str, Any]]]:
    if root is None:
        return []
    parsed, seen = [], set()
    for node in root.nodes("themes", required=True):
        values = {
            "name": node.text("name", required=True),
            "title": node.text("title", required=True),
            "description": node.text("description"),
        }
        if values["name"] in seen:
            raise node.error("name", f"the theme {values['name']!r} is given twice")
        seen.add(values["name"])
        node.finish()
        parsed.append((node, values))
    root.finish()
    return parsed


def _parse_publishers(root: Node | None) -> list[tuple[Node, dict[str, Any]]]:
    if root is None:
        return []
    parsed, seen = [], set()
    for node in root.nodes("publishers", required=True):
        code = node.text("jurisdiction", required=True)
        jurisdiction = Jurisdiction.objects.filter(inegi_code=code).first()
        if jurisdiction is None:
            raise node.error("jurisdiction", f"unknown jurisdiction {code!r}")
        organization = None
        if node.has("organization"):
            slug = node.text("organization")
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise node.error("organization", f"unknown organization {slug!r}")
        values = {
            "name": node.text("name", required=True),
            "title": node.text("title", required=True),
            "description": node.text("description"),
            "jurisdiction": jurisdiction,
            "organization": organization,
            "url": node.text("url"),
            "email": node.text("email"),
        }
        if values["name"] in seen:
            raise node.error("name", f"the publisher {values['name']!r} is given twice")
        seen.add(values["name"])
        node.finish()
        parsed.append((node, values))
    root.finish()
    return parsed


@transaction.atomic
def load_demo(root: Path | str) -> Tally:
    """Write the demo publishers and themes, then publish the platform's own datasets."""
    root = Path(root)
    tally = Tally()
    themes = _parse_themes(_optional(root, "themes.yaml", "themes"))
    publishers = _parse_publishers(_optional(root, "publishers.yaml", "publishers"))
    for node, values in themes:
        theme = Theme.objects.filter(name=values["name"]).first()
        if theme is not None and _unchanged(theme, values):
            tally["catalog.Theme", "unchanged"] += 1
            continue
        try:
            services.theme_save(actor=None, theme=theme, **values)
        except ValidationError as exc:
            raise _error(node, exc) from None
        tally["catalog.Theme", "updated" if theme else "created"] += 1
    for node, values in publishers:
        publisher = Publisher.objects.filter(name=values["name"]).first()
        if publisher is not None and _unchanged(publisher, values):
            tally["catalog.Publisher", "unchanged"] += 1
            continue
        try:
            services.publisher_save(actor=None, publisher=publisher, **values)
        except ValidationError as exc:
            raise _error(node, exc) from None
        tally["catalog.Publisher", "updated" if publisher else "created"] += 1
    tally.update(feeds.sync().counts)
    return tally
