"""A dataset as a Frictionless Data Package (`datapackage.json`).

Each resource points at its permanent download address; a resource with a data dictionary
carries it as a Table Schema, so tools such as `frictionless validate` check the data itself.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify

from abierto.catalog import federation, files
from abierto.catalog.models import Dataset, Resource

# Data dictionary types (CKAN's datastore and the guide's dictionaries) -> Table Schema types.
FIELD_TYPES = {
    "text": "string",
    "string": "string",
    "varchar": "string",
    "char": "string",
    "int": "integer",
    "int4": "integer",
    "int8": "integer",
    "integer": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "numeric": "number",
    "number": "number",
    "float": "number",
    "float4": "number",
    "float8": "number",
    "double": "number",
    "decimal": "number",
    "real": "number",
    "date": "date",
    "timestamp": "datetime",
    "timestamptz": "datetime",
    "datetime": "datetime",
    "time": "time",
    "year": "year",
    "bool": "boolean",
    "boolean": "boolean",
}
# Formats whose files are text, so an encoding applies to them.
TEXT_FORMATS = frozenset({"CSV", "TSV", "TXT", "JSON", "JSONL", "GEOJSON", "XML", "KML", "TTL"})


def field_type(raw: str) -> str:
    """The Table Schema type of a dictionary type; `any` when it is not one we know."""
    return FIELD_TYPES.get(str(raw or "").strip().lower(), "any")


def table_schema(data_dictionary: list) -> dict[str, Any] | None:
    """The Table Schema of a resource's data dictionary, or None when it describes no column."""
    fields = []
    seen = set()
    for column in data_dictionary or []:
        if not isinstance(column, dict):
            continue
        name = str(column.get("id") or "").strip()
        if not name or name in seen:
            continue
        seen.add(name)
        info = column.get("info") if isinstance(column.get("info"), dict) else {}
        field: dict[str, Any] = {"name": name, "type": field_type(column.get("type", ""))}
        if info.get("label"):
            field["title"] = str(info["label"])
        if info.get("notes"):
            field["description"] = str(info["notes"])
        fields.append(field)
    return {"fields": fields} if fields else None


def _resource_name(resource: Resource, taken: set[str]) -> str:
    # Data Package names are lowercase ASCII, digits and "-._/"; unique in the package.
    stem = slugify(resource.title)[:90] or "recurso"
    name, counter = stem, 2
    while name in taken:
        name, counter = f"{stem}-{counter}", counter + 1
    taken.add(name)
    return name


def resource_descriptor(resource: Resource, name: str, base: str) -> dict[str, Any]:
    fmt = federation.resource_format(resource)
    descriptor: dict[str, Any] = {
        "name": name,
        "path": federation.download_url(resource, base),
        "title": resource.title,
    }
    if resource.description:
        descriptor["description"] = resource.description
    if fmt:
        descriptor["format"] = fmt.lower()
    media_type = federation.media_type(resource)
    if media_type:
        descriptor["mediatype"] = media_type
    if resource.size is not None:
        descriptor["bytes"] = resource.size
    if resource.sha256:
        descriptor["hash"] = f"sha256:{resource.sha256}"
    if fmt in TEXT_FORMATS:
        # The guide asks for UTF-8; a loader that detected otherwise records it in extras.
        descriptor["encoding"] = str(resource.extras.get("encoding") or "utf-8").lower()
    schema = table_schema(resource.data_dictionary)
    if schema is not None:
        descriptor["schema"] = schema
        if fmt in files.TABULAR:
            descriptor["profile"] = "tabular-data-resource"
    return descriptor


def package_descriptor(dataset: Dataset, base: str) -> dict[str, Any]:
    """The `datapackage.json` of `dataset` (read with `with_listing()`)."""
    licence = dataset.licence
    licence_entry = {"name": licence.key, "title": licence.title}
    if licence.url:
        licence_entry["path"] = licence.url
    publisher = dataset.publisher
    publisher_entry = {
        "title": publisher.title,
        "role": "publisher",
        "path": federation.absolute(base, publisher.get_absolute_url()),
    }
    if publisher.email:
        publisher_entry["email"] = publisher.email
    contributors = [
        publisher_entry,
        # The dataset's contact point: an institutional mailbox, public by design.
        {"title": dataset.contact_name, "role": "maintainer", "email": dataset.contact_email},
    ]
    descriptor: dict[str, Any] = {
        "name": dataset.name,
        "id": str(dataset.uuid),
        "title": dataset.title,
        "description": dataset.description,
        "homepage": federation.landing_page(dataset, base),
        "created": federation.local_iso(federation.issued(dataset)),
        "keywords": federation.keywords(dataset),
        "licenses": [licence_entry],
        "contributors": contributors,
    }
    if dataset.version:
        descriptor["version"] = dataset.version
    taken: set[str] = set()
    descriptor["resources"] = [
        resource_descriptor(resource, _resource_name(resource, taken), base)
        for resource in federation.active_resources(dataset)
    ]
    return descriptor
