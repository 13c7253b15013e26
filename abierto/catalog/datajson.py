"""The catalog as a Project Open Data `data.json` (v1.1), streamed.

The whole public catalog is one JSON document, so it is written dataset by dataset from a
chunked iterator: a catalog of 100,000 datasets never sits whole in memory. The `@context`
is the URL the schema names; it is a value for readers, never fetched here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from abierto.catalog import federation, files
from abierto.catalog.models import Dataset, Resource

POD_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
POD_CATALOG_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
# Datasets read per database round trip (each chunk prefetches its tags, themes, resources).
CHUNK_SIZE = 500
# Datasets written per piece of the streamed response.
DATASETS_PER_PIECE = 50


def _described_by(url: str) -> dict[str, str]:
    described = {"describedBy": url}
    media_type = files.media_type_of(files.format_from_name(url)) if url else ""
    if media_type:
        described["describedByType"] = media_type
    return described


def distribution_entry(resource: Resource, dataset: Dataset, base: str) -> dict[str, Any]:
    """One `distribution[]` item."""
    entry: dict[str, Any] = {"@type": "dcat:Distribution", "title": resource.title}
    if resource.description:
        entry["description"] = resource.description
    address = federation.download_url(resource, base)
    if federation.is_download(resource):
        entry["downloadURL"] = address
    else:
        entry["accessURL"] = address
    media_type = federation.media_type(resource)
    if media_type:
        entry["mediaType"] = media_type
    fmt = federation.resource_format(resource)
    if fmt:
        entry["format"] = fmt
    if resource.conforms_to:
        entry["conformsTo"] = resource.conforms_to
    if dataset.data_dictionary_url:
        entry.update(_described_by(dataset.data_dictionary_url))
    elif resource.data_dictionary:
        # The column list lives in the dataset's datapackage.json (a Table Schema per file).
        entry["describedBy"] = federation.datapackage_url(dataset, base)
        entry["describedByType"] = "application/json"
    return entry


def dataset_entry(dataset: Dataset, base: str) -> dict[str, Any]:
    """One `dataset[]` item; `dataset` is read with `with_listing()`."""
    entry: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "identifier": dataset.identifier,
        "title": dataset.title,
        "description": dataset.description,
        "keyword": federation.keywords(dataset),
        "issued": federation.local_iso(federation.issued(dataset)),
        "modified": federation.local_iso(dataset.modified),
        "publisher": {"@type": "org:Organization", "name": dataset.publisher.title},
        "contactPoint": {
            "@type": "vcard:Contact",
            "fn": dataset.contact_name,
            "hasEmail": f"mailto:{dataset.contact_email}",
        },
        "accessLevel": "public",
        "accrualPeriodicity": dataset.accrual_periodicity,
        "landingPage": federation.landing_page(dataset, base),
        "language": [federation.pod_language(dataset)],
    }
    if dataset.licence.url:
        entry["license"] = dataset.licence.url
    if dataset.spatial is not None:
        entry["spatial"] = federation.place_uri(dataset.spatial, base)
    elif dataset.spatial_text.strip():
        entry["spatial"] = dataset.spatial_text.strip()
    if dataset.temporal_start and dataset.temporal_end:
        entry["temporal"] = (
            f"{dataset.temporal_start.isoformat()}/{dataset.temporal_end.isoformat()}"
        )
    themes = [theme.title for theme in dataset.themes.all()]
    if themes:
        entry["theme"] = themes
    if dataset.data_dictionary_url:
        entry.update(_described_by(dataset.data_dictionary_url))
    if dataset.version:
        entry["version"] = dataset.version
    entry["distribution"] = [
        distribution_entry(resource, dataset, base)
        for resource in federation.active_resources(dataset)
    ]
    return entry


def catalog_head(url: str) -> dict[str, Any]:
    return {
        "@context": POD_CONTEXT,
        "@id": url,
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": POD_CATALOG_SCHEMA,
    }


def catalog_chunks(datasets: QuerySet[Dataset], *, base: str, url: str) -> Iterator[bytes]:
    """The data.json document in pieces: the catalog's head, then its datasets, in id order."""
    head = json.dumps(catalog_head(url), ensure_ascii=False)
    yield (head[:-1] + ', "dataset": [').encode()
    separator = "\n"
    piece: list[str] = []
    rows = datasets.with_listing().order_by("id").iterator(chunk_size=CHUNK_SIZE)
    for dataset in rows:
        piece.append(separator + json.dumps(dataset_entry(dataset, base), ensure_ascii=False))
        separator = ",\n"
        if len(piece) >= DATASETS_PER_PIECE:
            yield "".join(piece).encode()
            piece = []
    yield ("".join(piece) + "\n]}\n").encode()
