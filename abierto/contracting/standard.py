"""The OCDS 1.1.5 schema, codelists and merge rules, read from local files (never the network)."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft4Validator, FormatChecker
from ocdsmerge import Merger
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
BASE_URL = "https://standard.open-contracting.org/schema/1__1__5/"
SCHEMA_FILES = (
    "release-schema.json",
    "release-package-schema.json",
    "record-package-schema.json",
    "versioned-release-validation-schema.json",
)
VERSION = "1.1"


@cache
def schema(name: str = "release-schema.json") -> dict[str, Any]:
    """One of the local schema files, parsed."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def registry() -> Registry:
    """Maps the standard's schema URLs to the local files, so no `$ref` reaches the network."""
    return Registry().with_resources(
        (BASE_URL + name, Resource(contents=schema(name), specification=DRAFT4))
        for name in SCHEMA_FILES
    )


@cache
def validator(name: str = "release-schema.json") -> Draft4Validator:
    """A Draft 4 validator (with format checks) for one of the local schema files."""
    return Draft4Validator(schema(name), registry=registry(), format_checker=FormatChecker())


@cache
def quick_validator(name: str = "release-schema.json") -> jsonschema_rs.Draft4Validator:
    """The same schema compiled by jsonschema_rs: about a hundred times faster, but its
    messages are not jsonschema's, so it only answers "valid or not" and jsonschema explains
    the releases it rejects (tests check both agree on every sample and on broken copies)."""
    return jsonschema_rs.Draft4Validator(schema(name), validate_formats=True)


@cache
def merger() -> Merger:
    """An ocdsmerge Merger whose rules come from the local release schema."""
    return Merger(schema=schema())


@cache
def codelist(filename: str) -> frozenset[str]:
    """The codes of one codelist CSV (e.g. "method.csv")."""
    with (SCHEMA_DIR / "codelists" / filename).open(encoding="utf-8", newline="") as fh:
        return frozenset(row["Code"] for row in csv.DictReader(fh))
