"""Read a remote CKAN through its Action API, the way ckanext-harvest's CKAN harvester does.

`package_search` is paged with rows=100, start += what came back, sort "id asc" (stable while
the remote changes), until an empty page; two identical consecutive pages mean the remote
ignores `start`, and the run stops instead of looping. Incremental runs add
`metadata_modified:[<since - 1 h>Z TO *]` to the source's own filter (fq), so they cannot tell
a deletion from no change: `ids` then lists what the source still has (`fl=id`, the source's
own filter only), so that the run can withdraw what disappeared.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

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

ROWS = 100
# CKAN caps `rows` at 1000; asking only for ids keeps those pages small.
ID_ROWS = 1000
MAX_PAGES = 10_000
# ckanext-harvest asks for what changed since its last run minus an hour (clock skew, slow
# commits on the remote).
OVERLAP = dt.timedelta(hours=1)


def endpoint(url: str) -> str:
    """The package_search address of a CKAN site given by its root (or any /api/… URL)."""
    parts = urlsplit(url)
    path = parts.path.split("/api/", 1)[0].rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, f"{path}/api/3/action/package_search", "", ""))


def filter_query(source: HarvestSource, since: dt.datetime | None) -> str:
    terms = []
    own = source.filter_query.strip()
    if own:
        terms.append(f"({own})" if " OR " in own.upper() else own)
    if since is not None:
        moment = (since - OVERLAP).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
        terms.append(f"metadata_modified:[{moment.isoformat()}Z TO *]")
    return " AND ".join(terms)


def read(
    source: HarvestSource, *, since: dt.datetime | None, progress: Callable[[int], None]
) -> list[RemoteDataset]:
    """Every dataset the remote CKAN gives for this source, each once."""
    url = endpoint(source.url)
    fq = filter_query(source, since)
    found: dict[str, RemoteDataset] = {}
    start, previous = 0, None
    for _page in range(MAX_PAGES):
        params: dict[str, Any] = {"rows": ROWS, "start": start, "sort": "id asc"}
        if fq:
            params["fq"] = fq
        page_url = f"{url}?{urlencode(params)}"
        results = _results(page_url, source.url)
        if not results:
            return list(found.values())
        ids = [item.get("id") if isinstance(item, dict) else repr(item) for item in results]
        if ids == previous:
            raise HarvestError(
                _(
                    "La paginación de la fuente no avanza: %(url)s devolvió la misma página que "
                    "la anterior; se detuvo la cosecha para no repetir conjuntos."
                )
                % {"url": page_url}
            )
        previous = ids
        for position, item in enumerate(results):
            remote = package(item, start + position)
            found.setdefault(remote.guid, remote)
        start += len(results)
        progress(len(found))
    raise HarvestError(
        _("La fuente dio más de %(n)s páginas; se detuvo la cosecha.") % {"n": MAX_PAGES}
    )


def ids(source: HarvestSource) -> set[str]:
    """The id of every dataset the remote CKAN still gives for this source (no `since`)."""
    url = endpoint(source.url)
    fq = filter_query(source, None)
    found: set[str] = set()
    start, previous = 0, None
    for _page in range(MAX_PAGES):
        params: dict[str, Any] = {"rows": ID_ROWS, "start": start, "sort": "id asc", "fl": "id"}
        if fq:
            params["fq"] = fq
        page_url = f"{url}?{urlencode(params)}"
        results = _results(page_url, source.url)
        if not results:
            return found
        page = [
            text(item.get("id")) or text(item.get("name")) if isinstance(item, dict) else ""
            for item in results
        ]
        if page == previous:
            raise HarvestError(
                _(
                    "La paginación de la fuente no avanza: %(url)s devolvió la misma página que "
                    "la anterior; se detuvo la cosecha para no repetir conjuntos."
                )
                % {"url": page_url}
            )
        previous = page
        found.update(guid for guid in page if guid)
        start += len(results)
    raise HarvestError(
        _("La fuente dio más de %(n)s páginas; se detuvo la cosecha.") % {"n": MAX_PAGES}
    )


def _results(page_url: str, base: str) -> list:
    fetched = fetch(page_url, base=base, accept="application/json")
    try:
        data = json.loads(fetched.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarvestError(
            _("La respuesta de %(url)s no es JSON válido (%(error)s).")
            % {"url": page_url, "error": exc}
        ) from None
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("results"), list):
        raise HarvestError(
            _(
                "La respuesta de %(url)s no es la de package_search de la API de CKAN "
                "(falta result.results)."
            )
            % {"url": page_url}
        )
    if data.get("success") is not True:
        error = data.get("error")
        raise HarvestError(
            _("La API de CKAN respondió con un error: %(error)s")
            % {"error": json.dumps(error)[:500]}
        )
    return result["results"]


def package(item: Any, position: int) -> RemoteDataset:
    """A CKAN package dict as a remote dataset (problems noted, never raised)."""
    if not isinstance(item, dict):
        remote = RemoteDataset(guid=f"#{position}")
        remote.problems.append(_("El resultado %(n)s no es un objeto JSON.") % {"n": position})
        return remote
    problems: list[str] = []
    guid = text(item.get("id")) or text(item.get("name"))
    if not guid:
        guid = f"#{position}"
        problems.append(_("El conjunto no tiene «id» ni «name»."))
    extras = {
        text(extra.get("key")): extra.get("value")
        for extra in item.get("extras") or []
        if isinstance(extra, dict)
    }
    organization = item.get("organization") if isinstance(item.get("organization"), dict) else {}
    start, end = temporal(
        extras.get("temporal") or _span(extras.get("temporal_start"), extras.get("temporal_end")),
        problems,
    )
    return RemoteDataset(
        guid=guid,
        name=text(item.get("name")),
        title=text(item.get("title")) or text(item.get("name")),
        description=text(item.get("notes")),
        organization=text(organization.get("name")),
        licence=text(item.get("license_id")) or text(item.get("license_url")),
        tags=[
            text(tag.get("name")) if isinstance(tag, dict) else text(tag)
            for tag in item.get("tags") or []
        ],
        themes=[
            text(group.get("name")) for group in item.get("groups") or [] if isinstance(group, dict)
        ],
        contact_name=text(item.get("maintainer")) or text(item.get("author")),
        contact_email=mailbox(item.get("maintainer_email")) or mailbox(item.get("author_email")),
        landing_page=text(item.get("url")),
        periodicity=periodicity(extras.get("frequency") or extras.get("accrualPeriodicity")),
        temporal_start=start,
        temporal_end=end,
        issued=when(item.get("metadata_created"), _("metadata_created"), problems),
        modified=when(item.get("metadata_modified"), _("metadata_modified"), problems),
        version=text(item.get("version")),
        resources=[
            RemoteResource(
                title=text(res.get("name")) or text(res.get("url")).rsplit("/", 1)[-1],
                url=text(res.get("url")),
                description=text(res.get("description")),
                format=text(res.get("format")),
                media_type=text(res.get("mimetype")),
                size=size(res.get("size")),
                remote_id=text(res.get("id")),
            )
            for res in item.get("resources") or []
            if isinstance(res, dict) and text(res.get("url"))
        ],
        problems=problems,
    )


def _span(start: Any, end: Any) -> str:
    return f"{text(start)}/{text(end)}" if text(start) else ""
