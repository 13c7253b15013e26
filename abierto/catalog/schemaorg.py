"""A dataset in schema.org JSON-LD, for search engines (Google Dataset Search reads it).

It goes inside `<script type="application/ld+json">` in the dataset page's head, so the
text is escaped to never close that element nor open an HTML comment.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from abierto.catalog import federation
from abierto.catalog.models import Dataset

# JSON allows \uXXXX everywhere a string does: these three can then never end the script.
SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def _organization(name: str, url: str, email: str = "") -> dict[str, Any]:
    organization = {"@type": "Organization", "name": name, "url": url}
    if email:
        organization["email"] = email
    return organization


def dataset_data(dataset: Dataset, base: str) -> dict[str, Any]:
    """The schema:Dataset of `dataset` (read with `with_listing()`) as a dict."""
    page = federation.dataset_page(dataset, base)
    publisher = dataset.publisher
    organization = _organization(
        publisher.title,
        federation.absolute(base, publisher.get_absolute_url()),
        publisher.email,  # institutional, public by design
    )
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": page,
        "name": dataset.title,
        "description": dataset.description,
        "url": page,
        "identifier": dataset.identifier,
        "keywords": federation.keywords(dataset),
        "creator": organization,
        "publisher": organization,
        "isAccessibleForFree": True,
        "inLanguage": dataset.language,
        "datePublished": federation.local_iso(federation.issued(dataset)),
        "dateModified": federation.local_iso(dataset.modified),
    }
    if dataset.licence.url:
        data["license"] = dataset.licence.url
    if dataset.landing_page:
        data["sameAs"] = dataset.landing_page
    if dataset.version:
        data["version"] = dataset.version
    if dataset.temporal_start or dataset.temporal_end:
        start = dataset.temporal_start.isoformat() if dataset.temporal_start else ".."
        end = dataset.temporal_end.isoformat() if dataset.temporal_end else ".."
        data["temporalCoverage"] = f"{start}/{end}"
    places = []
    if dataset.spatial is not None:
        places.append(
            {
                "@type": "Place",
                "@id": federation.place_uri(dataset.spatial, base),
                "name": dataset.spatial.name,
                "identifier": dataset.spatial.inegi_code,
            }
        )
    if dataset.spatial_text.strip():
        places.append({"@type": "Place", "name": dataset.spatial_text.strip()})
    if places:
        data["spatialCoverage"] = places if len(places) > 1 else places[0]
    distributions = []
    for resource in federation.active_resources(dataset):
        download: dict[str, Any] = {
            "@type": "DataDownload",
            "name": resource.title,
            "contentUrl": federation.download_url(resource, base),
        }
        media_type = federation.media_type(resource)
        if media_type:
            download["encodingFormat"] = media_type
        if resource.description:
            download["description"] = resource.description
        if resource.size is not None:
            download["contentSize"] = f"{resource.size} B"
        distributions.append(download)
    if distributions:
        data["distribution"] = distributions
    return data


def dataset_jsonld(dataset: Dataset, request: HttpRequest | None) -> str:
    """The JSON-LD text, safe to put as is inside `<script type="application/ld+json">`."""
    data = dataset_data(dataset, federation.base_url(request))
    return json.dumps(data, ensure_ascii=False).translate(SCRIPT_SAFE)
