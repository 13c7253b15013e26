"""What every federation output (DCAT, data.json, schema.org, datapackage) reads the same way.

Absolute addresses are built from the request that asked (so a harvester sees the host it
called), or from settings.SITE_URL when there is no request (commands, tasks). Datasets are
read with `Dataset.objects.public().with_listing()`, so nothing here runs a query of its own.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from abierto.catalog import files
from abierto.catalog.models import Dataset, Resource
from abierto.core.models import Jurisdiction

# Languages the catalog's datasets are written in, as data.json (BCP 47) names them.
POD_LANGUAGES = {"es": "es-MX", "en": "en-US"}


def base_url(request: HttpRequest | None) -> str:
    """The site's address without the trailing slash: the request's host, else SITE_URL."""
    if request is None:
        return settings.SITE_URL.rstrip("/")
    return request.build_absolute_uri("/").rstrip("/")


def absolute(base: str, path_or_url: str) -> str:
    """`path_or_url` made absolute on `base` (links to other sites are kept as they are)."""
    if not path_or_url or "://" in path_or_url:
        return path_or_url
    return base + path_or_url


def dataset_page(dataset: Dataset, base: str) -> str:
    return absolute(base, dataset.get_absolute_url())


def landing_page(dataset: Dataset, base: str) -> str:
    """The publisher's own page for the dataset when it has one, else ours."""
    return dataset.landing_page or dataset_page(dataset, base)


def place_uri(jurisdiction: Jurisdiction, base: str) -> str:
    """This site's URI for an INEGI-coded place (see docs/federation.md)."""
    return absolute(base, reverse("federation:place", kwargs={"code": jurisdiction.inegi_code}))


def themes_scheme_uri(base: str) -> str:
    return absolute(base, reverse("federation:theme_scheme"))


def datapackage_url(dataset: Dataset, base: str) -> str:
    return absolute(base, reverse("federation:dataset_datapackage", kwargs={"ref": dataset.name}))


def download_url(resource: Resource, base: str) -> str:
    """The absolute, permanent address of the resource's data."""
    return absolute(base, resource.download_url())


def resource_format(resource: Resource) -> str:
    """The resource's format in upper case (`CSV`), guessed from its address when blank."""
    fmt = resource.format or files.format_from_name(resource.url or resource.file.name or "")
    return fmt.upper()


def is_download(resource: Resource) -> bool:
    """Is the address the data itself (a file), rather than a page or an API that offers it?"""
    return resource.is_upload or resource_format(resource) in files.FORMATS


def media_type(resource: Resource) -> str:
    return resource.media_type or files.media_type_of(resource_format(resource))


def keywords(dataset: Dataset) -> list[str]:
    """The dataset's keywords; its themes' titles when it has none (data.json needs one)."""
    names = [tag.name for tag in dataset.tags.all()]
    if not names:
        names = [theme.title for theme in dataset.themes.all()]
    return names or [dataset.publisher.title]


def local_iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601 in the site's time zone with its offset (`2014-05-27T01:42:05-05:00`)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(microsecond=0).isoformat()
    return value.isoformat()


def issued(dataset: Dataset) -> dt.datetime:
    return dataset.issued or dataset.created_at


def pod_language(dataset: Dataset) -> str:
    return POD_LANGUAGES.get(dataset.language, dataset.language)


def active_resources(dataset: Dataset) -> list[Resource]:
    """The prefetched active resources, in their order (with_listing prefetched them)."""
    return list(dataset.resources.all())


def alternate_links(dataset: Dataset, request: HttpRequest | None) -> list[tuple[str, str, str]]:
    """`(href, type, title)` of the dataset's machine-readable descriptions, for the page's
    `<link rel="alternate">` (how harvesters discover them, as with ckanext-dcat)."""
    base = base_url(request)
    links = []
    for fmt, content_type, title in (
        ("jsonld", "application/ld+json", _("DCAT en JSON-LD")),
        ("ttl", "text/turtle", _("DCAT en Turtle")),
        ("rdf", "application/rdf+xml", _("DCAT en RDF/XML")),
    ):
        path = reverse("federation:dataset_rdf", kwargs={"ref": dataset.name, "fmt": fmt})
        links.append((absolute(base, path), content_type, title))
    if active_resources(dataset):
        links.append(
            (datapackage_url(dataset, base), "application/json", _("Data Package (Frictionless)"))
        )
    return links
