"""Read a DCAT catalog (Turtle, RDF/XML, JSON-LD, N-Triples) with rdflib, following Hydra paging.

Only the configured URL and the `hydra:next` / `hydra:nextPage` links it gives (on the same
host) are fetched. A JSON-LD document whose `@context` is a URL is refused: fetching contexts
over the network is how DCAT harvests break (data.gouv.fr#1151), and rdflib would do it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.utils.text import slugify
from django.utils.translation import gettext as _
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from abierto.catalog.harvest_fetch import fetch
from abierto.catalog.harvest_remote import (
    HarvestError,
    RemoteDataset,
    RemoteResource,
    day,
    mailbox,
    periodicity,
    size,
    text,
    when,
)
from abierto.catalog.models import HarvestSource

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")
MAX_PAGES = 1000
PREFERRED_LANGUAGES = ("es", None, "en")

FORMATS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/n-triples": "nt",
    "text/n3": "n3",
}
EXTENSIONS = {
    ".ttl": "turtle",
    ".rdf": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".nt": "nt",
    ".n3": "n3",
}
ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8"


def read(
    source: HarvestSource, *, since=None, progress: Callable[[int], None]
) -> list[RemoteDataset]:
    """Every dcat:Dataset of the catalog and of the pages that follow it."""
    found: dict[str, RemoteDataset] = {}
    url: str | None = source.url
    visited: set[str] = set()
    for _page in range(MAX_PAGES):
        if url is None:
            return list(found.values())
        if url in visited:
            raise HarvestError(
                _("La paginación Hydra de la fuente vuelve a %(url)s; se detuvo la cosecha.")
                % {"url": url}
            )
        visited.add(url)
        graph = _parse(url, source.url)
        for remote in datasets(graph):
            found.setdefault(remote.guid, remote)
        progress(len(found))
        following = list(graph.objects(None, HYDRA.next)) + list(
            graph.objects(None, HYDRA.nextPage)
        )
        url = str(following[0]) if following else None
    raise HarvestError(
        _("La fuente dio más de %(n)s páginas; se detuvo la cosecha.") % {"n": MAX_PAGES}
    )


def _format(url: str, content_type: str) -> str | None:
    declared = content_type.split(";", 1)[0].strip().lower()
    if declared in FORMATS:
        return FORMATS[declared]
    path = urlsplit(url).path.lower()
    for extension, fmt in EXTENSIONS.items():
        if path.endswith(extension):
            return fmt
    return None


def _remote_contexts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                contexts = item if isinstance(item, list) else [item]
                yield from (c for c in contexts if isinstance(c, str))
            yield from _remote_contexts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _remote_contexts(item)


def _parse(url: str, base: str) -> Graph:
    fetched = fetch(url, base=base, accept=ACCEPT)
    fmt = _format(url, fetched.content_type)
    if fmt == "json-ld":
        try:
            document = json.loads(fetched.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HarvestError(
                _("La respuesta de %(url)s no es JSON-LD válido (%(error)s).")
                % {"url": url, "error": exc}
            ) from None
        remote = next(_remote_contexts(document), None)
        if remote is not None:
            raise HarvestError(
                _(
                    "El JSON-LD de %(url)s usa un @context remoto (%(context)s); Abierto no "
                    "descarga contextos. Use la versión Turtle o RDF/XML del catálogo."
                )
                % {"url": url, "context": remote}
            )
    graph = Graph()
    candidates = [fmt] if fmt else ["turtle", "xml"]
    errors = []
    for candidate in candidates:
        try:
            return graph.parse(data=fetched.body, format=candidate, publicID=url)
        except Exception as exc:  # rdflib raises many exception types for bad input
            errors.append(f"{candidate}: {str(exc)[:200]}")
            graph = Graph()
    raise HarvestError(
        _("La respuesta de %(url)s no se pudo leer como RDF (%(errors)s).")
        % {"url": url, "errors": "; ".join(errors)}
    )


def _literal(graph: Graph, subject, predicate) -> str:
    """The value in the preferred language (Spanish, then untagged, then English, then any)."""
    values = list(graph.objects(subject, predicate))
    for language in PREFERRED_LANGUAGES:
        for value in values:
            if isinstance(value, Literal) and value.language == language:
                return text(str(value))
    return text(str(values[0])) if values else ""


def _uri_or_text(value) -> str:
    return text(str(value)) if value is not None else ""


def _last_segment(value) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def datasets(graph: Graph) -> Iterator[RemoteDataset]:
    for subject in graph.subjects(RDF.type, DCAT.Dataset):
        yield dataset(graph, subject)


def dataset(graph: Graph, subject) -> RemoteDataset:
    problems: list[str] = []
    guid = _literal(graph, subject, DCTERMS.identifier) or (
        str(subject) if isinstance(subject, URIRef) else ""
    )
    if not guid:
        guid = f"_:{subject}"
        problems.append(_("El conjunto no tiene dct:identifier ni URI."))
    publisher = graph.value(subject, DCTERMS.publisher)
    contact = graph.value(subject, DCAT.contactPoint)
    coverage = graph.value(subject, DCTERMS.temporal)
    start = end = None
    if coverage is not None:
        start = day(
            graph.value(coverage, DCAT.startDate) or graph.value(coverage, SCHEMA.startDate),
            _("La cobertura temporal"),
            problems,
        )
        end = day(
            graph.value(coverage, DCAT.endDate) or graph.value(coverage, SCHEMA.endDate),
            _("La cobertura temporal"),
            problems,
        )
    distributions = list(graph.objects(subject, DCAT.distribution))
    licence = graph.value(subject, DCTERMS.license)
    if licence is None:
        licence = next(
            (
                graph.value(d, DCTERMS.license)
                for d in distributions
                if graph.value(d, DCTERMS.license)
            ),
            None,
        )
    keywords = [
        value
        for value in graph.objects(subject, DCAT.keyword)
        if not isinstance(value, Literal) or value.language in PREFERRED_LANGUAGES[:2]
    ] or list(graph.objects(subject, DCAT.keyword))
    name = _last_segment(subject) if isinstance(subject, URIRef) else ""
    return RemoteDataset(
        guid=guid,
        name=slugify(name),
        title=_literal(graph, subject, DCTERMS.title),
        description=_literal(graph, subject, DCTERMS.description),
        organization=_literal(graph, publisher, FOAF.name) if publisher is not None else "",
        licence=_uri_or_text(licence),
        tags=sorted({text(str(k)) for k in keywords}),
        themes=sorted({_last_segment(t) for t in graph.objects(subject, DCAT.theme)}),
        contact_name=_literal(graph, contact, VCARD.fn) if contact is not None else "",
        contact_email=mailbox(graph.value(contact, VCARD.hasEmail)) if contact is not None else "",
        landing_page=_uri_or_text(graph.value(subject, DCAT.landingPage)),
        periodicity=periodicity(graph.value(subject, DCTERMS.accrualPeriodicity)),
        temporal_start=start,
        temporal_end=end,
        issued=when(graph.value(subject, DCTERMS.issued), _("dct:issued"), problems),
        modified=when(graph.value(subject, DCTERMS.modified), _("dct:modified"), problems),
        # Triples have no order: sorted, so that an unchanged remote reads the same each run.
        resources=sorted(
            (r for r in (_distribution(graph, d) for d in distributions) if r.url),
            key=lambda r: (r.url, r.title),
        ),
        problems=problems,
    )


def _distribution(graph: Graph, node) -> RemoteResource:
    url = graph.value(node, DCAT.downloadURL) or graph.value(node, DCAT.accessURL)
    media = graph.value(node, DCAT.mediaType)
    media_type = str(media) if media is not None else ""
    if "/media-types/" in media_type:
        media_type = media_type.split("/media-types/", 1)[1]
    fmt = graph.value(node, DCTERMS["format"])
    return RemoteResource(
        title=_literal(graph, node, DCTERMS.title) or _last_segment(url or node),
        url=_uri_or_text(url),
        description=_literal(graph, node, DCTERMS.description),
        format=_last_segment(fmt) if isinstance(fmt, URIRef) else _uri_or_text(fmt),
        media_type=media_type,
        size=size(graph.value(node, DCAT.byteSize)),
        remote_id=str(node) if isinstance(node, URIRef) else "",
    )
