"""Standard OCDS 1.1 release and record packages for publication."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse
from django.utils import timezone

from abierto.contracting import compiling, standard
from abierto.contracting.models import Publisher, Record, Release

# Open data licence of the packages when the publisher declares none (docs/contracting.md).
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def license_url(publisher: Publisher | None) -> str:
    """The licence declared in the packages: the publisher's, else the platform's."""
    if publisher and publisher.license:
        return publisher.license
    return getattr(settings, "CONTRACTING_LICENSE", DEFAULT_LICENSE)


def policy_url(publisher: Publisher | None) -> str:
    """The publication policy: the publisher's own page, else the platform's policy page."""
    if publisher and publisher.publication_policy:
        return publisher.publication_policy
    return settings.SITE_URL.rstrip("/") + reverse("contracting:publication_policy")


def metadata(uri: str, publisher: Publisher | None) -> dict[str, Any]:
    """The package metadata (uri, version, publishedDate, publisher, license, policy)."""
    return _metadata(uri, publisher)


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
    package["license"] = license_url(publisher)
    package["publicationPolicy"] = policy_url(publisher)
    return package


def release_package(
    uri: str, releases: Iterable[Release], publisher: Publisher | None = None
) -> dict[str, Any]:
    return {**_metadata(uri, publisher), "releases": [r.data for r in releases]}


def linked_releases(ocids: list[str]) -> dict[str, list[SimpleNamespace]]:
    """The releases a record links to, for many records in one query.

    Each has its pk, its tags and a `data` holding only its "date" as published: the
    database extracts it, so no release document is read whole or parsed.
    """
    found: dict[str, list[SimpleNamespace]] = {ocid: [] for ocid in ocids}
    rows = (
        Release.objects.filter(ocid__in=ocids)
        .order_by("ocid", "date", "id")
        .annotate(raw_date=KeyTextTransform("date", "data"))
        .values_list("ocid", "pk", "tags", "raw_date")
    )
    for ocid, pk, tags, raw_date in rows:
        found[ocid].append(SimpleNamespace(pk=pk, tags=tags, data={"date": raw_date or ""}))
    return found


def record(
    rec: Record, release_url, *, versioned: bool = False, releases: Iterable[Any] | None = None
) -> dict[str, Any]:
    """One record: linked releases (url, date, tag) and the compiled release.

    `releases` (as `linked_releases` gives them) saves the query when the caller has read
    the releases of many records at once (the bulk files, the list of records).
    """
    if releases is None:
        releases = linked_releases([rec.ocid])[rec.ocid]
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
