"""Read a Project Open Data (data.json v1.1) catalog, or a national profile close to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from abierto.catalog.harvest_fetch import fetch
from abierto.catalog.harvest_remote import (
    HarvestError,
    RemoteDataset,
    RemoteResource,
    mailbox,
    periodicity,
    size,
    temporal,
    text,
    when,
)
from abierto.catalog.models import HarvestSource


def read(
    source: HarvestSource, *, since=None, progress: Callable[[int], None]
) -> list[RemoteDataset]:
    """Every dataset of the catalog at the source's URL (data.json has no paging)."""
    fetched = fetch(source.url, base=source.url, accept="application/json")
    try:
        catalog = json.loads(fetched.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarvestError(
            _("La respuesta de %(url)s no es JSON válido (%(error)s).")
            % {"url": source.url, "error": exc}
        ) from None
    if not isinstance(catalog, dict) or not isinstance(catalog.get("dataset"), list):
        raise HarvestError(
            _("%(url)s no es un catálogo data.json: falta la lista «dataset».")
            % {"url": source.url}
        )
    default_publisher = (
        catalog.get("publisher") if isinstance(catalog.get("publisher"), dict) else {}
    )
    found: dict[str, RemoteDataset] = {}
    for position, item in enumerate(catalog["dataset"]):
        remote = dataset(item, position, default_publisher)
        found.setdefault(remote.guid, remote)
    progress(len(found))
    return list(found.values())


def dataset(item: Any, position: int, default_publisher: dict) -> RemoteDataset:
    if not isinstance(item, dict):
        remote = RemoteDataset(guid=f"#{position}")
        remote.problems.append(_("El conjunto %(n)s no es un objeto JSON.") % {"n": position})
        return remote
    problems: list[str] = []
    guid = text(item.get("identifier"))
    if not guid:
        guid = f"#{position}"
        problems.append(_("Falta «identifier»."))
    publisher = (
        item.get("publisher") if isinstance(item.get("publisher"), dict) else default_publisher
    )
    contact = item.get("contactPoint") if isinstance(item.get("contactPoint"), dict) else {}
    start, end = temporal(item.get("temporal"), problems)
    licence = item.get("license")
    return RemoteDataset(
        guid=guid,
        title=text(item.get("title")),
        description=text(item.get("description")),
        organization=text(publisher.get("name")),
        licence=text(licence),
        tags=[text(k) for k in _list(item.get("keyword"))],
        themes=[text(t) for t in _list(item.get("theme"))],
        contact_name=text(contact.get("fn")),
        contact_email=mailbox(contact.get("hasEmail")) or mailbox(publisher.get("mbox")),
        landing_page=text(item.get("landingPage")),
        periodicity=periodicity(item.get("accrualPeriodicity")),
        temporal_start=start,
        temporal_end=end,
        issued=when(item.get("issued"), _("issued"), problems),
        modified=when(item.get("modified"), _("modified"), problems),
        resources=[
            RemoteResource(
                title=text(dist.get("title")) or text(dist.get("format")) or _("Recurso"),
                url=text(dist.get("downloadURL")) or text(dist.get("accessURL")),
                description=text(dist.get("description")),
                format=text(dist.get("format")),
                media_type=text(dist.get("mediaType")),
                size=size(dist.get("byteSize")),
                remote_id=text(dist.get("identifier")),
            )
            for dist in _list(item.get("distribution"))
            if isinstance(dist, dict) and (dist.get("downloadURL") or dist.get("accessURL"))
        ],
        problems=problems,
    )


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
