"""CKAN's write actions: what a publisher's scripts call to create and change datasets.

Every write goes through services.py (which validates, keeps the history and stores files)
inside one transaction per call, so a refused resource leaves the dataset as it was. The
caller's API token decides: members of a publisher write its datasets; the data team all.
CKAN's field names are mapped to the model's (see dictize.py for the reverse mapping);
validation errors come back under CKAN's names (`notes`, `url`, `license_id`, `owner_org`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from abierto.catalog import dictize, rules, services
from abierto.catalog.ckan import (
    Call,
    NotAuthorized,
    NotFound,
    ValidationFailed,
    action,
    as_bool,
    as_list,
    find_dataset,
)
from abierto.catalog.models import Dataset, Licence, Publisher, Resource, Theme
from abierto.core.models import Jurisdiction

# model field -> CKAN key, for error messages
DATASET_KEYS = {
    "description": "notes",
    "landing_page": "url",
    "licence": "license_id",
    "publisher": "owner_org",
    "spatial": "spatial_inegi",
    "contact_name": "contact_name",
    "contact_email": "contact_email",
}
RESOURCE_KEYS = {"title": "name", "media_type": "mimetype", "sha256": "hash", "file": "upload"}
# Keys of a CKAN resource dict that the server sets: never stored as the client's extras.
RESOURCE_SERVER_KEYS = frozenset(
    {
        "id",
        "package_id",
        "created",
        "last_modified",
        "metadata_modified",
        "position",
        "url_type",
        "state",
        "revision_id",
        "cache_url",
        "cache_last_updated",
        "mimetype_inner",
        "resource_type",
        "datastore_active",
        "hash",
        "size",
        "upload",
        "clear_upload",
        "tracking_summary",
    }
)
RESOURCE_KNOWN_KEYS = frozenset(
    {"name", "description", "url", "format", "mimetype", "conforms_to", "data_dictionary"}
)
DATE_FIELDS = ("issued", "modified")
DAY_FIELDS = ("temporal_start", "temporal_end")
TEXT_FIELDS = {
    # CKAN or our top-level key -> model field
    "title": "title",
    "notes": "description",
    "url": "landing_page",
    "version": "version",
    "spatial_text": "spatial_text",
    "language": "language",
    "data_dictionary_url": "data_dictionary_url",
    "quality_notes": "quality_notes",
    "contact_name": "contact_name",
    "contact_email": "contact_email",
}
PERIODICITY_WORDS = {
    **{choice.value: choice.value for choice in Dataset.Periodicity},
    **{str(choice.label): choice.value for choice in Dataset.Periodicity},
    "monthly": "R/P1M",
    "annual": "R/P1Y",
    "yearly": "R/P1Y",
    "daily": "R/P1D",
    "weekly": "R/P1W",
    "quarterly": "R/P3M",
    "continuous": "R/PT1S",
}


def _errors_of(error: ValidationError, keys: dict[str, str]) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {"__all__": list(error.messages)}
    return {keys.get(name, name): list(messages) for name, messages in error.message_dict.items()}


def _publisher(reference: Any) -> Publisher | None:
    if reference in (None, ""):
        return None
    query = Publisher.objects.filter(name=str(reference))
    with contextlib.suppress(ValueError):
        query = query | Publisher.objects.filter(uuid=uuid.UUID(str(reference)))
    return query.select_related("jurisdiction").first()


def _extras(data: dict[str, Any]) -> dict[str, Any]:
    """CKAN's extras list as a dict (a {key: value} dict is accepted too)."""
    raw = data.get("extras") or []
    if isinstance(raw, str):
        raw = as_list(raw, "extras")
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items()}
    extras = {}
    for item in raw:
        if isinstance(item, dict) and "key" in item and not as_bool(item.get("deleted")):
            extras[str(item["key"])] = item.get("value")
    return extras


def _moment(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    text = str(value).strip().replace("Z", "+00:00")
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise ValueError(text)
        moment = dt.datetime.combine(day, dt.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # CKAN's naive timestamps are UTC
    return moment


def _day(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    day = parse_date(text[:10])
    if day is None:
        raise ValueError(text)
    return day


def _names(items: Any, key: str) -> list[str]:
    """Tag or group names from [{"name": …}], ["…"], or a JSON string of either."""
    names = []
    for item in as_list(items, key):
        if isinstance(item, dict):
            name = item.get("name") or item.get("id") or item.get("display_name")
        else:
            name = item
        if name not in (None, ""):
            names.append(str(name))
    return names


def dataset_values(
    data: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any], list[str], list[Theme]]:
    """Model values, tag names and themes from a CKAN package dict; a full replace.

    Raises ValidationFailed with every problem found, under CKAN's field names.
    """
    errors: dict[str, list[str]] = {}
    extras = _extras(data)
    values: dict[str, Any] = {}

    def given(key: str, extra_key: str | None = None) -> Any:
        if data.get(key) not in (None, ""):
            return data[key]
        return extras.get(extra_key or key)

    if creating or "name" in data:
        values["name"] = str(data.get("name") or "").strip()
    for key, model_field in TEXT_FIELDS.items():
        value = given(key)
        if key == "contact_name" and value in (None, ""):
            value = data.get("maintainer")
        if key == "contact_email" and value in (None, ""):
            value = data.get("maintainer_email")
        values[model_field] = "" if value is None else str(value).strip()
    values["language"] = values["language"] or "es"
    identifier = given("identifier")
    if identifier not in (None, ""):
        values["identifier"] = str(identifier).strip()
    periodicity = given("accrual_periodicity", "frequency")
    if periodicity not in (None, ""):
        code = PERIODICITY_WORDS.get(str(periodicity).strip()) or PERIODICITY_WORDS.get(
            str(periodicity).strip().lower()
        )
        if code is None:
            errors["accrual_periodicity"] = [
                _("Periodicidad desconocida «%(value)s»; use una de: %(choices)s")
                % {
                    "value": periodicity,
                    "choices": ", ".join(c.value for c in Dataset.Periodicity),
                }
            ]
        else:
            values["accrual_periodicity"] = code
    elif creating:
        values["accrual_periodicity"] = ""
    for key in DATE_FIELDS:
        try:
            moment = _moment(given(key))
        except ValueError:
            errors[key] = [
                _("Fecha no válida «%s»; use ISO 8601 (2024-01-31T12:00:00).") % given(key)
            ]
            continue
        if moment is not None:
            values[key] = moment
    for key in DAY_FIELDS:
        try:
            values[key] = _day(given(key))
        except ValueError:
            errors[key] = [_("Fecha no válida «%s»; use AAAA-MM-DD.") % given(key)]
    spatial = given("spatial_inegi")
    if spatial in (None, ""):
        values["spatial"] = None
    else:
        place = Jurisdiction.objects.filter(inegi_code=str(spatial).strip()).first()
        if place is None:
            errors["spatial_inegi"] = [_("No existe la clave INEGI «%s».") % spatial]
        else:
            values["spatial"] = place
    values["private"] = as_bool(data.get("private"), False)
    state = data.get("state")
    if state not in (None, ""):
        if state not in (Dataset.State.ACTIVE, Dataset.State.DRAFT):
            errors["state"] = [_("Estado no válido «%s»: use active o draft.") % state]
        else:
            values["state"] = state
    licence_key = data.get("license_id")
    if licence_key not in (None, ""):
        licence = Licence.objects.filter(key=str(licence_key)).first()
        if licence is None:
            known = ", ".join(Licence.objects.order_by("key").values_list("key", flat=True))
            errors["license_id"] = [
                _("Licencia desconocida «%(key)s»; use una de: %(known)s")
                % {"key": licence_key, "known": known}
            ]
        else:
            values["licence"] = licence
    elif not creating:
        values["licence"] = services.default_licence()
    taken = {extra_key for extra_key, _top in dictize.EXTRA_KEYS}
    values["extras"] = {k: v for k, v in extras.items() if k not in taken}

    tags = _names(data.get("tags"), "tags")
    if data.get("tag_string"):
        tags += [t.strip() for t in str(data["tag_string"]).split(",") if t.strip()]
    group_names = _names(data.get("groups"), "groups")
    themes = list(Theme.objects.filter(name__in=group_names)) if group_names else []
    by_uuid = [n for n in group_names if n not in {t.name for t in themes}]
    for name in by_uuid:
        try:
            theme = Theme.objects.filter(uuid=uuid.UUID(name)).first()
        except ValueError:
            theme = None
        if theme is None:
            errors.setdefault("groups", []).append(_("No existe el tema «%s».") % name)
        else:
            themes.append(theme)
    if errors:
        raise ValidationFailed(errors)
    return values, tags, themes


def _resource_values(
    data: dict[str, Any], resource: Resource | None, base: str
) -> tuple[dict[str, Any], bool]:
    """Model values of a resource dict, and whether the stored file is kept as it is."""
    values: dict[str, Any] = {
        "title": str(data.get("name") or "").strip(),
        "description": str(data.get("description") or ""),
        "format": str(data.get("format") or "").strip().upper(),
        "media_type": str(data.get("mimetype") or "").strip(),
        "conforms_to": str(data.get("conforms_to") or "").strip(),
    }
    dictionary = data.get("data_dictionary")
    if dictionary not in (None, ""):
        values["data_dictionary"] = as_list(dictionary, "data_dictionary")
    url = str(data.get("url") or "").strip()
    keep_file = bool(
        resource is not None
        and resource.file
        and (
            not url
            or data.get("url_type") == "upload"
            or url == dictize.resource_url(resource, resource.dataset, base=base)
        )
    )
    if not keep_file:
        values["url"] = url
        size = data.get("size")
        if size not in (None, "") and str(size).isdigit():
            values["size"] = int(size)
        digest = str(data.get("hash") or "")
        if re.fullmatch(r"[0-9a-f]{64}", digest):
            values["sha256"] = digest
    values["extras"] = {
        k: v
        for k, v in data.items()
        if k not in RESOURCE_SERVER_KEYS and k not in RESOURCE_KNOWN_KEYS
    }
    return values, keep_file


def _unchanged(resource: Resource, values: dict[str, Any]) -> bool:
    return all(getattr(resource, key) == value for key, value in values.items())


def save_resource(
    call: Call,
    dataset: Dataset,
    data: dict[str, Any],
    *,
    resource: Resource | None = None,
    upload=None,
    position: int | None = None,
) -> Resource:
    """Create or fully replace a resource from a CKAN resource dict (and an upload)."""
    values, keep_file = _resource_values(data, resource, call.base)
    if upload is not None:
        values.pop("url", None)
        values["title"] = values["title"] or upload.name
        # The format and media type of an upload are the server's reading of the file.
        values.pop("media_type", None)
        if not str(data.get("format") or "").strip():
            values.pop("format")
    elif not keep_file and not values.get("url"):
        raise ValidationFailed({"url": [_("Dé la URL del recurso o suba un archivo (upload).")]})
    if position is not None:
        values["position"] = position
    if resource is not None and upload is None and _unchanged(resource, values):
        return resource
    try:
        return services.resource_save(
            actor=call.user, dataset=dataset, resource=resource, upload=upload, **values
        )
    except ValidationError as error:
        raise ValidationFailed(_errors_of(error, RESOURCE_KEYS)) from None


def _replace_resources(call: Call, dataset: Dataset, given: Any) -> None:
    """Make the dataset's resources exactly the given list (by id when given)."""
    items = as_list(given, "resources")
    current = {str(r.uuid): r for r in dataset.resources.active()}
    kept = set()
    errors: list[dict] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"__all__": [_("Cada recurso debe ser un objeto.")]})
            continue
        resource = current.get(str(item.get("id") or ""))
        try:
            save_resource(call, dataset, item, resource=resource, position=position)
            errors.append({})
        except ValidationFailed as failed:
            errors.append(failed.errors)
        if resource is not None:
            kept.add(str(resource.uuid))
    if any(errors):
        raise ValidationFailed({"resources": errors})
    for key, resource in current.items():
        if key not in kept:
            services.resource_delete(actor=call.user, resource=resource)


def _may_publish(call: Call, publisher: Publisher) -> None:
    if not rules.can_publish(call.user, publisher):
        raise NotAuthorized(_("el usuario no publica en «%s».") % publisher.name)


def _editable(call: Call, reference: Any, key: str = "id") -> Dataset:
    if reference in (None, ""):
        raise ValidationFailed({key: [_("Falta este valor.")]})
    dataset = find_dataset(str(reference))
    if dataset is None:
        raise NotFound(_("no existe el conjunto de datos «%s».") % reference)
    if not rules.can_edit(call.user, dataset):
        raise NotAuthorized(_("el usuario no puede cambiar «%s».") % dataset.name)
    return dataset


def _shown(call: Call, dataset: Dataset) -> dict[str, Any]:
    fresh = Dataset.objects.with_listing().get(pk=dataset.pk)
    return dictize.package_dict(fresh, base=call.base)


def _save_package(call: Call, data: dict[str, Any], dataset: Dataset | None) -> dict[str, Any]:
    call.require_user()
    creating = dataset is None
    owner = data.get("owner_org")
    if owner in (None, "") and isinstance(data.get("organization"), dict):
        owner = data["organization"].get("id") or data["organization"].get("name")
    publisher = _publisher(owner) if owner not in (None, "") else None
    if owner not in (None, "") and publisher is None:
        raise ValidationFailed({"owner_org": [_("No existe la dependencia «%s».") % owner]})
    if publisher is None:
        if creating:
            raise ValidationFailed(
                {"owner_org": [_("Indique la dependencia que publica (owner_org).")]}
            )
        publisher = dataset.publisher
    _may_publish(call, publisher)
    values, tags, themes = dataset_values(data, creating=creating)
    values["publisher"] = publisher
    with transaction.atomic():
        try:
            saved = services.dataset_save(
                actor=call.user,
                dataset=dataset,
                tags=tags,
                themes=themes,
                verb="ckan_package_create" if creating else "ckan_package_update",
                **values,
            )
        except ValidationError as error:
            raise ValidationFailed(_errors_of(error, DATASET_KEYS)) from None
        if "resources" in data:
            _replace_resources(call, saved, data["resources"])
    return _shown(call, saved)


@action(read_only=False)
def package_create(call: Call) -> dict[str, Any]:
    """Create a dataset. Required: name, title, notes, owner_org (publisher id or name),
    accrual_periodicity (ISO 8601 such as R/P1M, or «mensual»). Optional: license_id
    (libre-uso-mx by default), tags, groups, url, version, private, extras, resources, and the
    guide's metadata (identifier, contact_name, contact_email, issued, modified,
    temporal_start, temporal_end, spatial_inegi, spatial_text, language,
    data_dictionary_url, quality_notes). Returns the package dict."""
    return _save_package(call, call.data, None)


@action(read_only=False)
def package_update(call: Call) -> dict[str, Any]:
    """Replace a dataset (by `id` or `name`) with the dict given: fields left out are
    cleared; `resources`, when given, become exactly the dataset's resources."""
    call.require_user()
    dataset = _editable(call, call.get("id") or call.get("name"))
    return _save_package(call, call.data, dataset)


@action(read_only=False)
def package_patch(call: Call) -> dict[str, Any]:
    """Change only the fields given of a dataset (by `id` or `name`)."""
    call.require_user()
    dataset = _editable(call, call.get("id") or call.get("name"))
    current = dictize.package_dict(dataset, base=call.base)
    # Resources are replaced only when given; top-level keys win over the same extras.
    current.pop("resources")
    merged = {**current, **call.data}
    return _save_package(call, merged, dataset)


@action(read_only=False)
def package_delete(call: Call) -> None:
    """Delete a dataset (by `id` or name): it stops being listed; its files stay."""
    call.require_user()
    dataset = _editable(call, call.get("id"))
    services.dataset_delete(actor=call.user, dataset=dataset)
    return None


def _resource(call: Call) -> Resource:
    reference = call.get("id")
    if reference in (None, ""):
        raise ValidationFailed({"id": [_("Falta este valor.")]})
    try:
        key = uuid.UUID(str(reference))
    except ValueError:
        raise NotFound(_("no existe el recurso «%s».") % reference) from None
    resource = Resource.objects.select_related("dataset__publisher").filter(uuid=key).first()
    if resource is None or resource.state == Dataset.State.DELETED:
        raise NotFound(_("no existe el recurso «%s».") % reference)
    if not rules.can_edit(call.user, resource.dataset):
        raise NotAuthorized(_("el usuario no puede cambiar «%s».") % resource.dataset.name)
    return resource


def _upload(call: Call):
    upload = call.files.get("upload")
    return upload if upload is not None and getattr(upload, "name", "") else None


@action(read_only=False)
def resource_create(call: Call) -> dict[str, Any]:
    """Add a resource to the dataset `package_id`: a link (`url`) or a file sent as the
    multipart field `upload`. Also: name, description, format, mimetype, conforms_to."""
    call.require_user()
    dataset = _editable(call, call.get("package_id"), key="package_id")
    with transaction.atomic():
        resource = save_resource(call, dataset, call.data, upload=_upload(call))
    return dictize.resource_dict(resource, resource.dataset, base=call.base)


@action(read_only=False)
def resource_update(call: Call) -> dict[str, Any]:
    """Replace a resource (by `id`): fields left out are cleared; a new `upload` replaces
    the file, a new `url` turns it into a link."""
    call.require_user()
    resource = _resource(call)
    with transaction.atomic():
        saved = save_resource(
            call, resource.dataset, call.data, resource=resource, upload=_upload(call)
        )
    return dictize.resource_dict(saved, saved.dataset, base=call.base)


@action(read_only=False)
def resource_patch(call: Call) -> dict[str, Any]:
    """Change only the fields given of a resource (by `id`)."""
    call.require_user()
    resource = _resource(call)
    current = dictize.resource_dict(resource, resource.dataset, base=call.base)
    merged = {**current, **call.data}
    with transaction.atomic():
        saved = save_resource(
            call, resource.dataset, merged, resource=resource, upload=_upload(call)
        )
    return dictize.resource_dict(saved, saved.dataset, base=call.base)


@action(read_only=False)
def resource_delete(call: Call) -> None:
    """Delete a resource (by `id`); its file stays so old download links keep working."""
    call.require_user()
    resource = _resource(call)
    services.resource_delete(actor=call.user, resource=resource)
    return None
