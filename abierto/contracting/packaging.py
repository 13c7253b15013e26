"""Standard OCDS 1.1 release and record packages for publication."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone

from abierto.contracting import compiling, standard
from abierto.contracting.models import Publisher, Record, Release


def _metadata(uri: str, publisher: Publisher | None) -> dict[str, Any]:
    package: dict[str, Any] = {
        "uri": uri,
        "version": standard.VERSION,
        "publishedDate": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "publisher": {
            "name": publisher.name
            if publisher
            else getattr(settings, "CONTRACTING_PUBLISHER_NAME", "Abierto")
        },
    }
    if publisher and publisher.license:
        package["license"] = publisher.license
    if publisher and publisher.publication_policy:
        package["publicationPolicy"] = publisher.publication_policy
    return package


def release_package(
    uri: str, releases: Iterable[Release], publisher: Publisher | None = None
) -> dict[str, Any]:
    return {**_metadata(uri, publisher), "releases": [r.data for r in releases]}


def record(rec: Record, release_url, *, versioned: bool = False) -> dict[str, Any]:
    """One record: linked releases (url, date, tag) and the compiled release."""
    releases = Release.objects.for_ocid(rec.ocid).only("pk", "date", "tags", "data")
    data: dict[str, Any] = {
        "ocid": rec.ocid,
        "releases": [
            {
                "url": release_url(release),
                "date": release.data.get("date") or "",
                "tag": release.tags or [],
            }
            for release in releases
        ],
        "compiledRelease": rec.compiled_release,
    }
    if versioned:
        data["versionedRelease"] = compiling.versioned_release(rec.ocid)
    return data


def record_package(
    uri: str, records: list[dict[str, Any]], publisher: Publisher | None = None
) -> dict[str, Any]:
    return {**_metadata(uri, publisher), "records": records}
