"""CKAN's Action API v3: the protocol (envelope, errors, methods, auth) and the read actions.

One view serves `/api/action/NAME` and `/api/{1,2,3}/action/NAME`, by GET (read-only actions)
or POST (JSON, form or multipart body), and never redirects: ckanapi posts with
`allow_redirects=False`. Answers are CKAN's envelope `{"help", "success", "result"|"error"}`
with CKAN's error `__type`s and HTTP statuses, because ckanapi and the harvesters read those.
Writes (ckan_write.py) authenticate with an API token (`X-CKAN-API-Key` or `Authorization`,
raw or as `Bearer`/`Token`); the view is exempt from CSRF because it never reads the session.
Anonymous GETs are served from the page cache; a request carrying a key never is.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from abierto.catalog import dictize, rules, search
from abierto.catalog.models import Dataset, Licence, Publisher, Resource, Tag, Theme
from abierto.core import fast_json
from abierto.core.pagecache import public_page

CONTENT_TYPE = "application/json;charset=utf-8"
ROWS_MAX = 1000
LIST_MAX = 1000
CKAN_COMPATIBLE_VERSION = "2.10.0"
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,99}$")


# --- Errors, as CKAN names them ------------------------------------------------------------


class ActionError(Exception):
    """An error the API reports inside its envelope."""

    status = 500
    kind = "Internal Server Error"
    prefix = "Internal Server Error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def error(self) -> dict[str, Any]:
        text = f"{self.prefix}: {self.message}" if self.message else self.prefix
        return {"__type": self.kind, "message": text}


class NotFound(ActionError):
    status, kind, prefix = 404, "Not Found Error", "Not found"


class NotAuthorized(ActionError):
    status, kind, prefix = 403, "Authorization Error", "Access denied"


class SearchQueryFailed(ActionError):
    status, kind, prefix = 400, "Search Query Error", "Search Query is invalid"


class ValidationFailed(ActionError):
    """Field -> list of messages (or, for resources, a list of such dicts)."""

    status, kind = 409, "Validation Error"

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("")
        self.errors = errors

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind, **self.errors}


# --- The call ------------------------------------------------------------------------------


@dataclass
class Call:
    """One action call: who makes it, with what data, and the site's address for links."""

    user: Any
    data: dict[str, Any]
    base: str
    files: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def require(self, key: str) -> Any:
        value = self.data.get(key)
        if value in (None, ""):
            raise ValidationFailed({key: [_("Falta este valor.")]})
        return value

    def integer(self, key: str, default: int, *, maximum: int | None = None) -> int:
        """A natural number; above `maximum` it is capped, as CKAN caps `rows`."""
        value = self.data.get(key)
        if value in (None, ""):
            return default
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationFailed({key: [_("Debe ser un número entero.")]}) from None
        if number < 0:
            raise ValidationFailed({key: [_("Debe ser un número natural (0 o más).")]})
        return min(number, maximum) if maximum is not None else number

    def boolean(self, key: str, default: bool = False) -> bool:
        return as_bool(self.data.get(key), default)

    def require_user(self) -> Any:
        if not self.user.is_authenticated:
            raise NotAuthorized(_("hace falta una clave de API (encabezado X-CKAN-API-Key)."))
        return self.user


def as_bool(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on", "t", "y")


def as_list(value: Any, key: str) -> list:
    """A list given as a list, a JSON array string (CKAN over GET) or a single value."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValidationFailed({key: [_("No es una lista JSON válida.")]}) from None
        if isinstance(parsed, list):
            return parsed
    return [value]


# --- Registry ------------------------------------------------------------------------------

Action = Callable[[Call], Any]
ACTIONS: dict[str, Action] = {}


def action(*, read_only: bool) -> Callable[[Action], Action]:
    """Register an action; read-only ("side-effect free") ones may be called by GET."""

    def register(function: Action) -> Action:
        function.side_effect_free = read_only  # type: ignore[attr-defined]
        ACTIONS[function.__name__] = function
        return function

    return register


# --- The view ------------------------------------------------------------------------------


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _respond(
    request: HttpRequest, name: str, *, status: int, body: Any, callback: str | None = None
) -> HttpResponse:
    content = fast_json.dumps(body)
    if callback:
        return HttpResponse(
            f"{callback}({content.decode()});",
            status=status,
            content_type="application/javascript;charset=utf-8",
        )
    return HttpResponse(content, status=status, content_type=CONTENT_TYPE)


def _bad_request(request: HttpRequest, name: str, detail: str) -> HttpResponse:
    # CKAN answers these with a bare JSON string, not its envelope.
    return _respond(request, name, status=400, body=f"Bad request - {detail}")


def _request_data(request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The action's data: GET parameters, a form (with files), or a JSON object."""

    def flat(query) -> dict[str, Any]:
        # A key given once is a string; a repeated key is a list.
        return {k: (v[0] if len(v) == 1 else v) for k, v in query.lists()}

    if request.method == "GET":
        return flat(request.GET), {}
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = flat(request.POST)
        # The legacy form: one key holding the whole JSON object, with no value.
        if len(form) == 1 and not request.FILES:
            key, value = next(iter(form.items()))
            if value == "" and key.lstrip().startswith("{"):
                return _json_object(key.encode()), {}
        return form, {k: request.FILES[k] for k in request.FILES}
    return _json_object(request.body), {}


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ValueError(f"Error decoding JSON data. Error: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data


def _token_user(request: HttpRequest):
    """The user whose API token the request carries, or an anonymous user."""
    raw = request.META.get("HTTP_X_CKAN_API_KEY") or request.META.get("HTTP_AUTHORIZATION", "")
    key = raw.strip()
    scheme, _sep, rest = key.partition(" ")
    if scheme.lower() == "basic":
        return AnonymousUser()
    if scheme.lower() in ("bearer", "token") and rest:
        key = rest.strip()
    if not key:
        return AnonymousUser()
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        raise NotAuthorized(_("la clave de API no es válida."))
    return token.user


@csrf_exempt
@public_page
def action_view(
    request: HttpRequest, name: str | None = None, version: str | None = None
) -> HttpResponse:
    """Run the action `name` and answer in CKAN's envelope."""
    name = name or ""
    function = ACTIONS.get(name)
    if function is None:
        return _bad_request(request, name, f"Action name not known: {name}")
    if request.method not in ("GET", "POST"):
        return _bad_request(request, name, "JSON Error: Invalid request method")
    if request.method == "GET" and not function.side_effect_free:
        return _bad_request(
            request, name, "JSON Error: Invalid request. Please use POST method for your request"
        )
    try:
        data, files = _request_data(request)
    except ValueError as error:
        return _bad_request(request, name, f"JSON Error: {error}")
    callback = None
    if request.method == "GET":
        callback = data.pop("callback", None)
        data.pop("_", None)  # jQuery's cache buster
        if callback is not None and not (isinstance(callback, str) and _CALLBACK.match(callback)):
            return _bad_request(request, name, "Invalid callback name")
    base = _base(request)
    envelope: dict[str, Any] = {"help": f"{base}/api/3/action/help_show?name={name}"}
    try:
        # JSONP answers are readable by any site: they never act as the key's owner (as CKAN).
        user = AnonymousUser() if callback else _token_user(request)
        result = function(Call(user=user, data=data, base=base, files=files))
    except ActionError as error:
        envelope.update(success=False, error=error.error())
        return _respond(request, name, status=error.status, body=envelope)
    envelope.update(success=True, result=result)
    return _respond(request, name, status=200, body=envelope, callback=callback)


def api_version(request: HttpRequest, version: str) -> HttpResponse:
    """`/api/3`: the API version, as CKAN answers it."""
    return HttpResponse(json.dumps({"version": int(version)}), content_type=CONTENT_TYPE)


# --- Read actions --------------------------------------------------------------------------


def _search_error(error: search.SearchQueryError) -> SearchQueryFailed:
    return SearchQueryFailed(str(error))


@action(read_only=True)
def package_search(call: Call) -> dict[str, Any]:
    """Search datasets (CKAN package_search).

    Parameters: q (free text, or Solr `field:value` clauses; default `*:*`), fq, fq_list,
    sort (default "score desc, metadata_modified desc"; always ends with a stable tiebreak),
    rows (10; at most 1000), start, facet (true), facet.field (a list or JSON string of:
    organization, groups, tags, res_format, license_id, jurisdiction), facet.limit (50; -1 for
    all), facet.mincount (1), include_private (false: with a key, also the private and draft
    datasets of your publishers), fl (comma-separated keys to return).
    Returns {count, results, sort, facets, search_facets}.
    """
    fq_parts = [call.get("fq") or ""] + [str(x) for x in as_list(call.get("fq_list"), "fq_list")]
    fq = " ".join(f"({part})" for part in fq_parts if str(part).strip())
    facet_fields: list[str] = []
    if call.boolean("facet", True):
        facet_fields = [str(f) for f in as_list(call.get("facet.field"), "facet.field")]
    limit_raw = call.get("facet.limit")
    facet_limit = 50
    if limit_raw not in (None, ""):
        try:
            facet_limit = int(limit_raw)
        except ValueError:
            raise ValidationFailed({"facet.limit": [_("Debe ser un número entero.")]}) from None
    user = call.user if call.boolean("include_private") else AnonymousUser()
    sort = call.get("sort") or search.DEFAULT_SORT_WITH_QUERY
    try:
        result = search.search_datasets(
            user=user,
            q=str(call.get("q") or ""),
            fq=fq,
            sort=str(sort),
            start=call.integer("start", 0),
            rows=call.integer("rows", 10, maximum=ROWS_MAX),
            facet_fields=facet_fields,
            facet_limit=facet_limit,
            facet_mincount=call.integer("facet.mincount", 1),
        )
    except search.SearchQueryError as error:
        raise _search_error(error) from None
    results = [dictize.package_dict(d, base=call.base) for d in result.datasets]
    fl = call.get("fl")
    if fl and fl != "*":
        keys = [k.strip() for k in str(fl).replace(" ", ",").split(",") if k.strip()]
        results = [{k: r.get(k) for k in keys} for r in results]
    facets, detailed = dictize.search_facets(result.facets)
    return {
        "count": result.count,
        "sort": result.sort,
        "facets": facets,
        "results": results,
        "search_facets": detailed,
    }


def find_dataset(reference: str) -> Dataset | None:
    """A dataset by CKAN id (uuid) or name, with everything a package dict reads."""
    query = Q(name=reference)
    with contextlib.suppress(ValueError):
        query |= Q(uuid=uuid.UUID(str(reference)))
    return Dataset.objects.with_listing().filter(query).first()


def visible_dataset(call: Call, reference: str) -> Dataset:
    """The dataset, if the caller may see it: 404 when missing, 403 when private to others."""
    dataset = find_dataset(reference)
    if dataset is None:
        raise NotFound(_("no existe el conjunto de datos «%s».") % reference)
    if dataset.state == Dataset.State.DELETED:
        if rules.can_edit(call.user, dataset):
            return dataset
        raise NotFound(_("no existe el conjunto de datos «%s».") % reference)
    if not rules.can_see(call.user, dataset):
        raise NotAuthorized(_("el conjunto «%s» no es público.") % reference)
    return dataset


@action(read_only=True)
def package_show(call: Call) -> dict[str, Any]:
    """One dataset by `id` (its id or its name), as a CKAN package dict."""
    dataset = visible_dataset(call, str(call.require("id")))
    return dictize.package_dict(dataset, base=call.base)


@action(read_only=True)
def package_list(call: Call) -> list[str]:
    """The names of all public datasets, by name; `limit` and `offset` page them."""
    names = Dataset.objects.public().order_by("name").values_list("name", flat=True)
    offset = call.integer("offset", 0)
    limit = call.integer("limit", 0)
    return list(names[offset : offset + limit] if limit else names[offset:])


_LIST_SORTS = {"name": "name", "title": "title", "package_count": "package_count"}


def _list_order(call: Call) -> list[str]:
    text = str(call.get("sort") or "title asc")
    order = []
    for clause in text.split(","):
        tokens = clause.split()
        if not tokens or tokens[0] not in _LIST_SORTS or len(tokens) > 2:
            raise ValidationFailed(
                {"sort": [_("Orden no válido «%s»: use name, title o package_count.") % text]}
            )
        direction = tokens[1].lower() if len(tokens) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise ValidationFailed({"sort": [_("Dirección no válida: use asc o desc.")]})
        order.append(("-" if direction == "desc" else "") + _LIST_SORTS[tokens[0]])
    return [*order, "name"]


def _public_count(model) -> Coalesce:
    """Public datasets of each publisher or theme, as a subquery inside the list's query.

    A subquery per row reads the covering index (publisher, state, private) alone; a
    GROUP BY over a join of every dataset took ~10x longer on SQLite with 100,000 datasets.
    """
    if model is Publisher:
        rows = Dataset.objects.public().filter(publisher=OuterRef("pk")).values("publisher")
    else:
        rows = Dataset.themes.through.objects.filter(
            theme=OuterRef("pk"),
            dataset__state=Dataset.State.ACTIVE,
            dataset__private=False,
        ).values("theme")
    counted = rows.order_by().annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _group_list(call: Call, model, names_key: str, full_dict) -> list:
    """organization_list and group_list: names, or dicts with counts, in one query."""
    rows = model.objects.all()
    wanted = as_list(call.get(names_key), names_key)
    if wanted:
        rows = rows.filter(name__in=[str(name) for name in wanted])
    text = str(call.get("q") or "").strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(title__icontains=text))
    all_fields = call.boolean("all_fields")
    counted = all_fields and call.boolean("include_dataset_count", True)
    order = _list_order(call)
    if counted or any(o.lstrip("-") == "package_count" for o in order):
        rows = rows.annotate(package_count=_public_count(model))
    rows = rows.order_by(*order)
    offset = call.integer("offset", 0)
    limit = call.integer("limit", LIST_MAX, maximum=LIST_MAX)
    rows = rows[offset : offset + limit]
    if not all_fields:
        return list(rows.values_list("name", flat=True))
    if model is Publisher:
        rows = rows.select_related("jurisdiction")
    return [
        full_dict(row, package_count=getattr(row, "package_count", None) if counted else None)
        for row in rows
    ]


@action(read_only=True)
def organization_list(call: Call) -> list:
    """Publishers (CKAN organizations): names, or full dicts with `all_fields`.

    Parameters: all_fields, include_dataset_count (true), sort ("title asc"; name, title,
    package_count), limit (at most 1000), offset, organizations (only these names), q.
    Counts come from one aggregate query, however many publishers there are.
    """
    return _group_list(call, Publisher, "organizations", dictize.organization_full_dict)


@action(read_only=True)
def group_list(call: Call) -> list:
    """Themes (CKAN groups): names, or full dicts with `all_fields`; parameters as
    organization_list (with `groups` to pick names)."""
    return _group_list(call, Theme, "groups", dictize.theme_full_dict)


def _group_show(call: Call, model, label: str, full_dict, link: str) -> dict[str, Any]:
    reference = str(call.require("id"))
    query = Q(name=reference)
    with contextlib.suppress(ValueError):
        query |= Q(uuid=uuid.UUID(reference))
    found = model.objects.filter(query).first()
    if found is None:
        raise NotFound(_("no existe %(what)s «%(ref)s».") % {"what": label, "ref": reference})
    datasets = Dataset.objects.public().filter(**{link: found})
    result = full_dict(found, package_count=datasets.count())
    if call.boolean("include_datasets"):
        try:
            page = search.search_datasets(
                user=AnonymousUser(),
                filters={"organization" if model is Publisher else "groups": [found.name]},
                rows=ROWS_MAX,
            )
        except search.SearchQueryError as error:  # pragma: no cover - fixed filters
            raise _search_error(error) from None
        result["packages"] = [dictize.package_dict(d, base=call.base) for d in page.datasets]
    return result


@action(read_only=True)
def organization_show(call: Call) -> dict[str, Any]:
    """One publisher by `id` (id or name), with its public dataset count; `include_datasets`
    adds its datasets (up to 1000). Its members are never listed."""
    return _group_show(
        call, Publisher, _("la dependencia"), dictize.organization_full_dict, "publisher"
    )


@action(read_only=True)
def group_show(call: Call) -> dict[str, Any]:
    """One theme by `id` (id or name), with its public dataset count; `include_datasets`
    adds its datasets (up to 1000)."""
    return _group_show(call, Theme, _("el tema"), dictize.theme_full_dict, "themes")


@action(read_only=True)
def tag_list(call: Call) -> list:
    """The keywords of public datasets, by name; `query` keeps those containing it,
    `all_fields` gives tag dicts."""
    tags = Tag.objects.filter(
        datasets__state=Dataset.State.ACTIVE, datasets__private=False
    ).distinct()
    text = str(call.get("query") or call.get("q") or "").strip()
    if text:
        tags = tags.filter(name__icontains=text)
    tags = tags.order_by("name")
    if call.boolean("all_fields"):
        return [dictize.tag_dict(tag) for tag in tags]
    return list(tags.values_list("name", flat=True))


@action(read_only=True)
def resource_show(call: Call) -> dict[str, Any]:
    """One resource by `id`, as a CKAN resource dict."""
    reference = str(call.require("id"))
    try:
        key = uuid.UUID(reference)
    except ValueError:
        raise NotFound(_("no existe el recurso «%s».") % reference) from None
    resource = Resource.objects.select_related("dataset__publisher").filter(uuid=key).first()
    if resource is None or resource.state == Dataset.State.DELETED:
        raise NotFound(_("no existe el recurso «%s».") % reference)
    dataset = resource.dataset
    if dataset.state == Dataset.State.DELETED and not rules.can_edit(call.user, dataset):
        raise NotFound(_("no existe el recurso «%s».") % reference)
    if not rules.can_see(call.user, dataset) and not rules.can_edit(call.user, dataset):
        raise NotAuthorized(_("el recurso «%s» no es público.") % reference)
    return dictize.resource_dict(resource, dataset, base=call.base)


@action(read_only=True)
def status_show(call: Call) -> dict[str, Any]:
    """What this site is: its title, address, language and the CKAN API level it speaks."""
    return {
        "site_title": settings.SITE_NAME,
        "site_description": _("Portal de datos abiertos"),
        "site_url": call.base,
        "ckan_version": CKAN_COMPATIBLE_VERSION,
        "error_emails_to": None,
        "locale_default": settings.LANGUAGE_CODE,
        "extensions": ["abierto", "dcat", "datastore"],
    }


@action(read_only=True)
def site_read(call: Call) -> bool:
    """Whether the site may be read: always true."""
    return True


@action(read_only=True)
def help_show(call: Call) -> str:
    """The documentation of the action `name`."""
    name = str(call.require("name"))
    function = ACTIONS.get(name)
    if function is None:
        raise NotFound(_("no existe la acción «%s».") % name)
    return inspect.getdoc(function) or ""


@action(read_only=True)
def license_list(call: Call) -> list[dict[str, Any]]:
    """The licences datasets may carry (Libre Uso MX is the default)."""
    return [dictize.licence_dict(licence) for licence in Licence.objects.order_by("title")]


# The write actions register themselves on import.
from abierto.catalog import ckan_write  # noqa: E402, F401
