"""Stream releases out of any OCDS wrapper with ijson, in bounded memory.

Accepted: release packages (`releases`), record packages (`records`: embedded releases, or the
compiled release when a record only links its releases), EDCA's `arrayReleasePackage` wrapper or
a top-level array of packages or releases, and JSON Lines (one release or package per line).
Nothing here follows a URL found in the data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

import ijson
import orjson

# A JSON Lines line longer than this is not sniffed (the file is then read as one document).
SNIFF_LIMIT = 1024 * 1024


class ReadError(Exception):
    """The file is not JSON, or not a wrapper of OCDS releases; says where."""


class CountingReader:
    """A binary file wrapper that counts the bytes read, for progress reports."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.count += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        line = self.raw.readline(size)
        self.count += len(line)
        return line


def _number(value: Any) -> Any:
    """ijson's Decimal as int (whole) or float, so the data fits a JSONField."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            # JSON has no infinity (nor does jsonb): a number too large for a float is null.
            return None
        if value == value.to_integral_value() and abs(value) < 2**53:
            return int(value)
        number = float(value)
        return number if math.isfinite(number) else None
    raise TypeError(type(value).__name__)


def plain(value: Any) -> Any:
    """The data as ijson parsed it, with its Decimals as `_number` makes them.

    Written out and read back by orjson, in C: a third of the time of walking the tree in
    Python, for what is a tenth of an import. What orjson refuses (an integer beyond 64 bits)
    takes the walk."""
    try:
        return orjson.loads(orjson.dumps(value, default=_number))
    except orjson.JSONEncodeError:
        return _walk(value)


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item) for item in value]
    if isinstance(value, Decimal):
        return _number(value)
    return value


@dataclass
class Item:
    """One release as read, with the OCDS version its package declared ("" when unknown)."""

    release: dict[str, Any]
    version: str
    linked: int = 0
    compiled_only: bool = False


@dataclass
class Source:
    """What the sniffing found: the format and the package's metadata."""

    format: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _version(package: dict[str, Any]) -> str:
    # "" when the package does not say (or says it after its releases, beyond the sniffing).
    return str(package.get("version") or "")


def _from_package(package: Any, default_version: str = "") -> Iterator[Item]:
    """Releases inside a package (or a bare release) already parsed in memory."""
    if not isinstance(package, dict):
        raise ReadError(f"se esperaba un objeto JSON, se encontró {type(package).__name__}")
    version = default_version or _version(package)
    if "releases" in package and "ocid" not in package:
        for release in package.get("releases") or []:
            yield Item(plain(release), str(release.get("version") or version))
    elif "records" in package:
        for record in package.get("records") or []:
            yield from _from_record(plain(record), version)
    else:
        yield Item(plain(package), str(package.get("version") or version))


def _from_record(record: dict[str, Any], version: str) -> Iterator[Item]:
    releases = record.get("releases") or []
    embedded = [r for r in releases if isinstance(r, dict) and "ocid" in r and "id" in r]
    linked = len(releases) - len(embedded)
    for release in embedded:
        yield Item(release, str(release.get("version") or version), linked=0)
    if not embedded and isinstance(record.get("compiledRelease"), dict):
        yield Item(record["compiledRelease"], version, linked=linked, compiled_only=True)
    elif linked:
        yield Item({}, version, linked=linked)


def sniff(path: str) -> Source:
    """Find the wrapper by reading as little as possible of the file."""
    with open(path, "rb") as fh:
        first = fh.readline(SNIFF_LIMIT)
        rest = fh.read(4096)
        stripped = first.strip()
        # Only a whole first line can be a JSON Lines record (a long minified package is not).
        if first.endswith(b"\n") and stripped.startswith(b"{") and rest.strip():
            try:
                json.loads(stripped)
            except ValueError:
                pass
            else:
                return Source("jsonl")
        fh.seek(0)
        metadata: dict[str, Any] = {}
        try:
            for prefix, event, value in ijson.parse(fh, use_float=False):
                if prefix == "" and event == "start_array":
                    return Source("array")
                if prefix == "" and event == "map_key":
                    if value == "releases":
                        return Source("release_package", metadata)
                    if value == "records":
                        return Source("record_package", metadata)
                    if value == "arrayReleasePackage":
                        return Source("edca", metadata)
                elif "." not in prefix and prefix and event in ("string", "number"):
                    metadata[prefix] = value
        except ijson.JSONError as exc:
            raise ReadError(f"JSON no válido cerca del byte {fh.tell()}: {exc}") from None
    raise ReadError(
        "no se reconoce el formato: se esperaba un paquete de entregas (releases), un paquete "
        "de registros (records), arrayReleasePackage, un arreglo o JSON Lines"
    )


def iterate(reader: CountingReader, source: Source) -> Iterator[Item]:
    """Yield every release of the file, one at a time."""
    try:
        if source.format == "jsonl":
            yield from _jsonl(reader)
            return
        version = _version(source.metadata)
        if source.format == "release_package":
            for release in ijson.items(reader, "releases.item", use_float=False):
                if not isinstance(release, dict):
                    raise ReadError("un elemento de releases no es un objeto")
                yield Item(plain(release), str(release.get("version") or version))
        elif source.format == "record_package":
            for record in ijson.items(reader, "records.item", use_float=False):
                yield from _from_record(plain(record), version)
        else:
            prefix = "item" if source.format == "array" else "arrayReleasePackage.item"
            for package in ijson.items(reader, prefix, use_float=False):
                yield from _from_package(package)
    except ijson.JSONError as exc:
        raise ReadError(f"JSON no válido cerca del byte {reader.count}: {exc}") from None


def _jsonl(reader: CountingReader) -> Iterator[Item]:
    number = 0
    while line := reader.readline():
        number += 1
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_float=Decimal)
        except ValueError as exc:
            raise ReadError(f"JSON no válido en la línea {number}: {exc}") from None
        try:
            yield from _from_package(data)
        except ReadError as exc:
            raise ReadError(f"línea {number}: {exc}") from None
