"""A remote dataset as read from a harvest source, before it is mapped onto the catalog.

Each reader (CKAN, DCAT, data.json) turns the source's metadata into `RemoteDataset`s; what it
could not understand goes into `problems`, which makes that dataset "failed" in the report
(with the reason) without stopping the run. Whatever stops the run is a `HarvestError`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from abierto.catalog.models import Dataset

# ISO 8601 durations and EU / Dublin Core frequency names, as harvested catalogs give them.
PERIODICITIES = {value.lower(): value for value in Dataset.Periodicity.values} | {
    "cont": Dataset.Periodicity.CONTINUOUS,
    "continuous": Dataset.Periodicity.CONTINUOUS,
    "update_cont": Dataset.Periodicity.CONTINUOUS,
    "daily": Dataset.Periodicity.DAILY,
    "weekly": Dataset.Periodicity.WEEKLY,
    "monthly": Dataset.Periodicity.MONTHLY,
    "quarterly": Dataset.Periodicity.QUARTERLY,
    "biannual": Dataset.Periodicity.SEMIANNUAL,
    "semiannual": Dataset.Periodicity.SEMIANNUAL,
    "annual": Dataset.Periodicity.ANNUAL,
    "irreg": Dataset.Periodicity.IRREGULAR,
    "irregular": Dataset.Periodicity.IRREGULAR,
}


class HarvestError(Exception):
    """The run cannot go on (source down, garbage, paging loop); the message says why."""


@dataclass
class RemoteResource:
    title: str
    url: str
    description: str = ""
    format: str = ""
    media_type: str = ""
    size: int | None = None
    remote_id: str = ""


@dataclass
class RemoteDataset:
    """What the source says about one dataset, in the catalog's terms."""

    guid: str
    title: str = ""
    description: str = ""
    name: str = ""
    organization: str = ""
    licence: str = ""
    tags: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    contact_name: str = ""
    contact_email: str = ""
    landing_page: str = ""
    periodicity: str = ""
    temporal_start: dt.date | None = None
    temporal_end: dt.date | None = None
    issued: dt.datetime | None = None
    modified: dt.datetime | None = None
    version: str = ""
    resources: list[RemoteResource] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("problems")
        return data


def text(value: Any) -> str:
    """A value as trimmed text; lists and mappings are not text and give ''."""
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def when(value: Any, what: str, problems: list[str]) -> dt.datetime | None:
    """An ISO 8601 date or date-time (naive ones are UTC, as CKAN writes them)."""
    raw = text(value)
    if not raw:
        return None
    raw = raw.replace("Z", "+00:00") if raw.endswith("Z") else raw
    try:
        parsed = parse_datetime(raw)
        if parsed is None:
            day = parse_date(raw)
            if day is not None:
                parsed = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    except ValueError:
        parsed = None
    if parsed is None:
        problems.append(
            _("%(what)s no es una fecha ISO 8601: «%(value)s».") % {"what": what, "value": raw}
        )
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def day(value: Any, what: str, problems: list[str]) -> dt.date | None:
    """A date, a date-time or a bare year ("2016")."""
    raw = text(value)
    if re.fullmatch(r"\d{4}", raw):
        return dt.date(int(raw), 1, 1)
    moment = when(raw, what, problems)
    return moment.date() if moment else None


def temporal(value: Any, problems: list[str]) -> tuple[dt.date | None, dt.date | None]:
    """data.json's and the guide's "start/end" coverage."""
    raw = text(value)
    if not raw:
        return None, None
    start, _sep, end = raw.partition("/")
    what = _("La cobertura temporal")
    first, last = day(start, what, problems), day(end, what, problems) if end else None
    if last is not None and re.fullmatch(r"\d{4}", text(end)):
        last = dt.date(last.year, 12, 31)
    return first, last


def periodicity(value: Any) -> str:
    raw = text(value)
    key = raw.rstrip("/").rsplit("/", 1)[-1].lower() if "://" in raw else raw.lower()
    return PERIODICITIES.get(key, Dataset.Periodicity.IRREGULAR)


def size(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def mailbox(value: Any) -> str:
    raw = text(value)
    return raw[len("mailto:") :] if raw.lower().startswith("mailto:") else raw
