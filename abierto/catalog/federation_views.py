"""Federation endpoints: DCAT (catalog pages and datasets), data.json, datapackage.json.

Only public datasets appear. Errors are short Spanish text (JSON for the JSON endpoints) that
say which parameter is wrong and why, since the reader is usually a harvester's log.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps

from django.db.models import Q
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from rdflib import Graph

from abierto.catalog import datajson, datapackage, dcat, federation
from abierto.catalog.models import Dataset, Publisher, Theme
from abierto.core.models import Jurisdiction
from abierto.core.pagecache import public_page

# Media types a dataset's URI is negotiated to (the first is what browsers get).
NEGOTIATED = {
    "text/html": None,
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
    "text/n3": "n3",
}


class SeeOther(HttpResponseRedirect):
    """303: the URI names a thing (a dataset), the redirect gives a document about it."""

    status_code = 303


def _open(response: HttpResponse) -> HttpResponse:
    # Public data: harvesters and notebooks may read it from any origin.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def public_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET or HEAD only; readable from any origin; cached for anonymous readers.

    The documents hold absolute addresses built from the request's host, and the page cache
    does not key on the host, so only requests to the configured SITE_URL use the cache.
    """
    cached = public_page(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        on_site = federation.base_url(request) == federation.base_url(None)
        response = (cached if on_site else view)(request, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        return _open(response)

    return require_safe(wrapper)


def _text_error(message: str, status: int) -> HttpResponse:
    return _open(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


def _json_error(message: str, status: int) -> HttpResponse:
    return _open(
        JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})
    )


def _rdf(graph: Graph, fmt: str) -> HttpResponse:
    content_type = dcat.SERIALIZATIONS[fmt].content_type
    return HttpResponse(dcat.serialize(graph, fmt), content_type=f"{content_type}; charset=utf-8")


def _is_uuid(ref: str) -> bool:
    try:
        uuid.UUID(ref)
    except ValueError:
        return False
    return True


def _by_ref(ref: str) -> Q:
    """Datasets named `ref`, or whose id (CKAN's `id`, our uuid) is `ref`."""
    return Q(name=ref) | Q(uuid=ref) if _is_uuid(ref) else Q(name=ref)


def _public_dataset(ref: str) -> Dataset | None:
    """A public dataset by name or id, read with everything the outputs need."""
    return Dataset.objects.public().with_listing().filter(_by_ref(ref)).first()


def _dataset_missing(ref: str) -> str:
    return _("No existe un conjunto de datos público con el nombre o id «%s».") % ref


@public_data
def catalog(request: HttpRequest, fmt: str) -> HttpResponse:
    """A page of the DCAT catalog, 100 datasets, `?page=` and `?modified_since=`."""
    try:
        number = dcat.parse_page(request.GET.get("page"))
        since = dcat.parse_modified_since(request.GET.get("modified_since"))
    except ValueError as error:
        return _text_error(str(error), 400)
    datasets = dcat.catalog_datasets(since)
    total, latest = dcat.catalog_summary(datasets)
    base = federation.base_url(request)

    def page_url(n: int) -> str:
        params = request.GET.copy()
        params["page"] = str(n)
        return f"{base}{request.path}?{params.urlencode()}"

    page = dcat.CatalogPage(number=number, total=total, url=page_url)
    if not page.exists:
        return _text_error(
            _("La página %(page)s no existe: el catálogo tiene %(last)s.")
            % {"page": number, "last": page.last},
            404,
        )
    rows = datasets.with_listing()[page.offset : page.offset + page.per_page]
    return _rdf(dcat.catalog_graph(rows, page, base, latest), fmt)


@public_data
def dataset_rdf(request: HttpRequest, ref: str, fmt: str) -> HttpResponse:
    """One dataset in DCAT: `/dataset/<id or name>.jsonld|ttl|rdf|xml|n3`."""
    dataset = _public_dataset(ref)
    if dataset is None:
        return _text_error(_dataset_missing(ref), 404)
    return _rdf(dcat.dataset_graph(dataset, federation.base_url(request)), fmt)


@public_data
def dataset_uri(request: HttpRequest, ref: str) -> HttpResponse:
    """The dataset's URI: browsers go to its page, RDF readers to the format they accept."""
    dataset = Dataset.objects.public().filter(_by_ref(ref)).first()
    if dataset is None:
        return _text_error(_dataset_missing(ref), 404)
    fmt = NEGOTIATED.get(request.get_preferred_type(list(NEGOTIATED)) or "text/html")
    if fmt is None:
        return SeeOther(dataset.get_absolute_url())
    return SeeOther(reverse("federation:dataset_rdf", kwargs={"ref": dataset.name, "fmt": fmt}))


@public_data
def resource_uri(request: HttpRequest, ref: str, resource: str) -> HttpResponse:
    """A distribution's URI: its page, or the dataset's description that holds it."""
    dataset = Dataset.objects.public().filter(uuid=ref).first() if _is_uuid(ref) else None
    found = dataset and dataset.resources.active().filter(uuid=resource).exists()
    if not found:
        return _text_error(_("No existe ese recurso en un conjunto de datos público."), 404)
    fmt = NEGOTIATED.get(request.get_preferred_type(list(NEGOTIATED)) or "text/html")
    if fmt is None:
        return SeeOther(
            reverse("catalog:resource", kwargs={"name": dataset.name, "resource": resource})
        )
    return SeeOther(reverse("federation:dataset_rdf", kwargs={"ref": dataset.name, "fmt": fmt}))


@require_safe
def data_json(request: HttpRequest) -> HttpResponse:
    """The whole public catalog as Project Open Data v1.1, streamed; `?publisher=<name>`."""
    datasets = Dataset.objects.public()
    name = request.GET.get("publisher", "").strip()
    if name:
        publisher = Publisher.objects.filter(name=name).first()
        if publisher is None:
            return _json_error(
                _("No existe la dependencia «%s» (parámetro «publisher»).") % name, 404
            )
        datasets = datasets.filter(publisher=publisher)
    chunks = datajson.catalog_chunks(
        datasets, base=federation.base_url(request), url=request.build_absolute_uri()
    )
    response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
    return _open(response)


@public_data
def dataset_datapackage(request: HttpRequest, ref: str) -> HttpResponse:
    """The dataset as a Frictionless Data Package."""
    dataset = _public_dataset(ref)
    if dataset is None:
        return _json_error(_dataset_missing(ref), 404)
    if not federation.active_resources(dataset):
        return _json_error(
            _("El conjunto «%s» aún no tiene recursos: un Data Package necesita al menos uno.")
            % dataset.name,
            404,
        )
    descriptor = datapackage.package_descriptor(dataset, federation.base_url(request))
    body = json.dumps(descriptor, ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@public_data
def place(request: HttpRequest, code: str, fmt: str | None = None) -> HttpResponse:
    """What `/id/inegi/<key>` names: an INEGI-coded state or municipality."""
    jurisdiction = Jurisdiction.objects.select_related("parent").filter(inegi_code=code).first()
    if jurisdiction is None:
        return _text_error(_("No hay un lugar con la clave INEGI «%s».") % code, 404)
    graph = dcat.place_graph(jurisdiction, federation.base_url(request))
    return _rdf(graph, fmt or _negotiated_format(request))


@public_data
def theme_scheme(request: HttpRequest, fmt: str | None = None) -> HttpResponse:
    """The catalog's themes as a SKOS concept scheme."""
    graph = dcat.theme_scheme_graph(Theme.objects.all(), federation.base_url(request))
    return _rdf(graph, fmt or _negotiated_format(request))


def _negotiated_format(request: HttpRequest) -> str:
    preferred = request.get_preferred_type([t for t, fmt in NEGOTIATED.items() if fmt])
    return NEGOTIATED.get(preferred or "") or "ttl"
