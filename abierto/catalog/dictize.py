"""Catalog objects as CKAN 2.x dicts, with the same keys a real CKAN answers with.

Every key of CKAN's package, resource, organization, group and tag dicts is present (checked
against a stored real `package_search` response). Our metadata beyond CKAN's core travels
twice: as top-level keys (what ckanext-scheming portals and Abierto's own harvester read)
and in `extras` under ckanext-dcat's names (what a stock CKAN harvesting us keeps):

| Abierto (model)            | top-level key              | extras key        |
|----------------------------|----------------------------|-------------------|
| identifier                 | identifier                 | identifier        |
| issued                     | issued                     | issued            |
| modified (the data's date) | modified                   | modified          |
| accrual_periodicity        | accrual_periodicity        | frequency         |
| temporal_start / _end      | temporal_start / _end      | same              |
| spatial (INEGI key)        | spatial_inegi              | spatial_inegi     |
| spatial_text               | spatial_text               | spatial_text      |
| contact_name / _email      | contact_name / _email      | same              |
| language                   | language                   | language          |
| data_dictionary_url        | data_dictionary_url        | conforms_to       |
| quality_notes              | quality_notes              | quality_notes     |
| origin                     | origin                     | –                 |
| extras (free)              | –                          | as given          |

CKAN's `maintainer`/`maintainer_email` carry the contact point, and `author`/`author_email`
the publisher and its institutional mailbox: the guide asks for institutional contacts,
public by design. No person's account, e-mail or id appears: `creator_user_id` is null.
Dates are naive UTC with microseconds, as CKAN writes them (`2014-12-01T10:29:19.414595`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import NoReverseMatch

from abierto.catalog.models import Dataset, Licence, Publisher, Resource, Tag, Theme

# (extras key, top-level key) pairs; see the table above.
EXTRA_KEYS = (
    ("identifier", "identifier"),
    ("issued", "issued"),
    ("modified", "modified"),
    ("frequency", "accrual_periodicity"),
    ("temporal_start", "temporal_start"),
    ("temporal_end", "temporal_end"),
    ("spatial_inegi", "spatial_inegi"),
    ("spatial_text", "spatial_text"),
    ("contact_name", "contact_name"),
    ("contact_email", "contact_email"),
    ("language", "language"),
    ("conforms_to", "data_dictionary_url"),
    ("quality_notes", "quality_notes"),
)


def ckan_time(value: dt.datetime | dt.date | None) -> str | None:
    """CKAN's timestamp: naive UTC ISO 8601 with microseconds."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return value.isoformat()


def tag_dict(tag: Tag) -> dict[str, Any]:
    return {
        "id": str(tag.uuid),
        "name": tag.name,
        "display_name": tag.name,
        "state": "active",
        "vocabulary_id": None,
    }


def group_dict(theme: Theme) -> dict[str, Any]:
    """A theme as it appears inside a package dict (CKAN's short group dict)."""
    return {
        "id": str(theme.uuid),
        "name": theme.name,
        "title": theme.title,
        "display_name": theme.title,
        "description": theme.description,
        "image_display_url": "",
    }


def organization_dict(publisher: Publisher) -> dict[str, Any]:
    """A publisher as it appears inside a package dict."""
    return {
        "id": str(publisher.uuid),
        "name": publisher.name,
        "title": publisher.title,
        "type": "organization",
        "description": publisher.description,
        "image_url": "",
        "created": ckan_time(publisher.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        "revision_id": None,
    }


def _publisher_extras(publisher: Publisher) -> list[dict[str, str]]:
    pairs = [
        ("jurisdiction", publisher.jurisdiction.inegi_code),
        ("jurisdiction_name", publisher.jurisdiction.name),
        ("url", publisher.url),
        ("email", publisher.email),
    ]
    return [{"key": key, "value": value} for key, value in pairs if value]


def organization_full_dict(
    publisher: Publisher, *, package_count: int | None = None
) -> dict[str, Any]:
    """organization_show / organization_list?all_fields: CKAN's group dict of a publisher.

    Members are never listed (`users` is empty): they are people, not public data.
    """
    result = {
        **organization_dict(publisher),
        "display_name": publisher.title,
        "image_display_url": "",
        "num_followers": 0,
        "package_count": package_count or 0,
        "jurisdiction": publisher.jurisdiction.inegi_code,
        "url": publisher.url,
        "email": publisher.email,
        "extras": _publisher_extras(publisher),
        "groups": [],
        "tags": [],
        "users": [],
    }
    return result


def theme_full_dict(theme: Theme, *, package_count: int | None = None) -> dict[str, Any]:
    """group_show / group_list?all_fields: CKAN's group dict of a theme."""
    return {
        **group_dict(theme),
        "type": "group",
        "image_url": "",
        "created": ckan_time(theme.created_at),
        "is_organization": False,
        "approval_status": "approved",
        "state": "active",
        "num_followers": 0,
        "package_count": package_count or 0,
        "extras": [],
        "groups": [],
        "tags": [],
        "users": [],
    }


def licence_dict(licence: Licence) -> dict[str, Any]:
    """license_list: the keys CKAN's licence register gives."""
    return {
        "id": licence.key,
        "title": licence.title,
        "url": licence.url,
        "status": "active",
        "maintainer": "",
        "family": "",
        "is_generic": licence.key in ("other-open", "notspecified"),
        "is_okd_compliant": licence.is_open,
        "is_osi_compliant": False,
        "od_conformance": "approved" if licence.is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "domain_content": True,
        "domain_data": True,
        "domain_software": False,
    }


def resource_url(resource: Resource, dataset: Dataset, *, base: str) -> str:
    """The resource's address: our permanent download URL for uploads, the link otherwise."""
    if not resource.file:
        return resource.url
    resource.dataset = dataset  # download_url() reads the dataset's name
    try:
        return base + resource.download_url()
    except NoReverseMatch:  # the public pages are not mounted (a stripped-down deployment)
        return base + resource.file.url


def resource_dict(resource: Resource, dataset: Dataset, *, base: str) -> dict[str, Any]:
    result = {
        "id": str(resource.uuid),
        "package_id": str(dataset.uuid),
        "url": resource_url(resource, dataset, base=base),
        "name": resource.title,
        "description": resource.description,
        "format": resource.format,
        "mimetype": resource.media_type or None,
        "mimetype_inner": None,
        "hash": resource.sha256,
        "size": resource.size,
        "created": ckan_time(resource.created_at),
        "last_modified": ckan_time(resource.last_modified),
        "metadata_modified": ckan_time(resource.last_modified),
        "position": resource.position,
        "url_type": "upload" if resource.file else None,
        "datastore_active": resource.datastore_active,
        "state": resource.state,
        "resource_type": None,
        "cache_url": None,
        "cache_last_updated": None,
        "revision_id": None,
        "conforms_to": resource.conforms_to,
        "data_dictionary": resource.data_dictionary,
    }
    for key, value in (resource.extras or {}).items():
        result.setdefault(key, value)
    return result


def package_dict(dataset: Dataset, *, base: str) -> dict[str, Any]:
    """The CKAN package dict of a dataset loaded with `Dataset.objects.with_listing()`.

    `base` is the site's address ("https://datos.example"), for absolute download URLs.
    """
    publisher = dataset.publisher
    licence = dataset.licence
    tags = [tag_dict(tag) for tag in dataset.tags.all()]
    resources = sorted(dataset.resources.all(), key=lambda r: (r.position, r.pk))
    ours = {
        "identifier": dataset.identifier,
        "issued": ckan_time(dataset.issued),
        "modified": ckan_time(dataset.modified),
        "accrual_periodicity": dataset.accrual_periodicity,
        "temporal_start": ckan_time(dataset.temporal_start),
        "temporal_end": ckan_time(dataset.temporal_end),
        "spatial_inegi": dataset.spatial.inegi_code if dataset.spatial else None,
        "spatial_text": dataset.spatial_text,
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "language": dataset.language,
        "data_dictionary_url": dataset.data_dictionary_url,
        "quality_notes": dataset.quality_notes,
        "origin": dataset.origin,
    }
    extras = [
        {"key": key, "value": str(ours[top])}
        for key, top in EXTRA_KEYS
        if ours[top] not in ("", None)
    ]
    taken = {extra["key"] for extra in extras}
    extras += [
        {"key": str(key), "value": value if isinstance(value, str) else _json(value)}
        for key, value in sorted((dataset.extras or {}).items())
        if key not in taken
    ]
    return {
        "id": str(dataset.uuid),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.description,
        "type": "dataset",
        "state": dataset.state,
        "private": dataset.private,
        "url": dataset.landing_page,
        "version": dataset.version,
        "author": publisher.title,
        "author_email": publisher.email,
        "maintainer": dataset.contact_name,
        "maintainer_email": dataset.contact_email,
        "creator_user_id": None,
        "license_id": licence.key,
        "license_title": licence.title,
        "license_url": licence.url,
        "isopen": licence.is_open,
        "metadata_created": ckan_time(dataset.created_at),
        "metadata_modified": ckan_time(dataset.metadata_modified),
        "owner_org": str(publisher.uuid),
        "organization": organization_dict(publisher),
        "groups": [group_dict(theme) for theme in dataset.themes.all()],
        "tags": tags,
        "num_tags": len(tags),
        "resources": [resource_dict(r, dataset, base=base) for r in resources],
        "num_resources": len(resources),
        "extras": extras,
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "revision_id": None,
        **ours,
    }


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def search_facets(facets: dict[str, list]) -> tuple[dict, dict]:
    """CKAN's `facets` ({field: {value: count}}) and `search_facets` (items by display name)."""
    plain = {name: {item.name: item.count for item in items} for name, items in facets.items()}
    detailed = {
        name: {
            "title": name,
            "items": [
                {"name": item.name, "display_name": item.display_name, "count": item.count}
                for item in sorted(items, key=lambda i: (i.display_name.lower(), i.name))
            ],
        }
        for name, items in facets.items()
    }
    return plain, detailed
