"""The catalog's public pages: search, publishers, themes, datasets, resources and downloads.

Lists read through `Dataset.objects.with_listing()`, so each page runs the same few queries
however many datasets it shows; counts come from one aggregate query per list. Anonymous
visitors get pages from the page cache (core/pagecache.py), kept exact by the audit log that
every catalog write appends to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from abierto.catalog import downloads, federation, history, rules
from abierto.catalog.forms import SORTS
from abierto.catalog.models import Dataset, Publisher, Resource, Theme
from abierto.catalog.preview import preview_resource
from abierto.catalog.search import SearchQueryError, search_datasets
from abierto.core.exports import Column, export_response, requested_format
from abierto.core.pagecache import public_page

PAGE_SIZE = 20
PUBLISHERS_PAGE_SIZE = 100
HISTORY_PAGE_SIZE = 50
# The search engine's facet fields (CKAN's names) and how the page titles them.
FACETS = {
    "organization": gettext_lazy("Dependencia"),
    "groups": pgettext_lazy("catálogo de datos", "Tema"),
    "tags": gettext_lazy("Palabra clave"),
    "res_format": gettext_lazy("Formato"),
    "license_id": pgettext_lazy("catálogo de datos", "Licencia"),
    "jurisdiction": gettext_lazy("Entidad o municipio"),
}
EXPORT_BATCH = 1000
PUBLIC = Q(datasets__state=Dataset.State.ACTIVE, datasets__private=False)


# ------------------------------------------------------------------------------ helpers


def paginate(request: HttpRequest, items: Any, size: int) -> tuple[Page, str]:
    """The page asked by `?pagina=`, and a message when that number made no sense."""
    paginator = Paginator(items, size)
    raw = request.GET.get("pagina", "1").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        return paginator.page(1), _(
            "«%(page)s» no es un número de página válido; se muestra la primera."
        ) % {"page": raw[:20]}
    number = int(raw)
    if number > paginator.num_pages:
        last = paginator.num_pages
        return paginator.page(last), _(
            "No existe la página %(page)s: hay %(last)s; se muestra la última."
        ) % {"page": number, "last": last}
    return paginator.page(number), ""


def dataset_columns(request: HttpRequest) -> list[Column]:
    """The columns of every downloadable list of datasets."""
    return [
        Column("nombre", lambda d: d.name),
        Column("titulo", lambda d: d.title),
        Column("dependencia", lambda d: d.publisher.title),
        Column("dependencia_clave", lambda d: d.publisher.name),
        Column("descripcion", lambda d: d.description),
        Column("temas", lambda d: [t.title for t in d.themes.all()]),
        Column("palabras_clave", lambda d: [t.name for t in d.tags.all()]),
        Column("formatos", lambda d: formats_of(d)),
        Column("licencia", lambda d: d.licence.key),
        Column("periodicidad", lambda d: d.get_accrual_periodicity_display()),
        Column("modificado", lambda d: d.modified),
        Column("url", lambda d: request.build_absolute_uri(d.get_absolute_url())),
        Column(
            "api",
            lambda d: request.build_absolute_uri(package_show_url(d)),
        ),
    ]


def formats_of(dataset: Dataset) -> list[str]:
    """The distinct formats of the dataset's active resources (prefetched by with_listing)."""
    seen: list[str] = []
    for resource in dataset.resources.all():
        if resource.format and resource.format not in seen:
            seen.append(resource.format)
    return seen


def package_show_url(dataset: Dataset) -> str:
    return f"/api/3/action/package_show?id={dataset.name}"


def _with_formats(datasets: list[Dataset]) -> list[Dataset]:
    for dataset in datasets:
        dataset.format_list = formats_of(dataset)
    return datasets


def _gone(request: HttpRequest, dataset: Dataset, resource: Resource | None = None) -> HttpResponse:
    return render(
        request,
        "catalog/gone.html",
        {"dataset": dataset, "resource": resource},
        status=410,
    )


def _dataset_for_page(
    request: HttpRequest, name: str, datasets: QuerySet[Dataset] | None = None
) -> tuple[Dataset, HttpResponse | None]:
    """The dataset named in the URL as its pages read it; 404 for who may not see it, 410 if
    it was deleted (its history stays reachable)."""
    if datasets is None:
        datasets = Dataset.objects.select_related("publisher__jurisdiction", "licence")
    dataset = get_object_or_404(datasets, name=name)
    if dataset.state == Dataset.State.DELETED:
        if rules.can_download(request.user, dataset):
            return dataset, _gone(request, dataset)
        raise Http404(_("No existe ese conjunto de datos."))
    if not rules.can_see(request.user, dataset):
        raise Http404(_("No existe ese conjunto de datos."))
    return dataset, None


def _may_edit(request: HttpRequest, dataset: Dataset) -> bool:
    # Anonymous visitors, the many, cost no query here.
    return request.user.is_authenticated and rules.can_edit(request.user, dataset)


def _federation_links(request: HttpRequest, dataset: Dataset) -> list[dict[str, str]]:
    """The dataset's DCAT and Data Package descriptions, listed on the page for people."""
    return [
        {"href": href, "type": content_type, "title": title}
        for href, content_type, title in federation.alternate_links(dataset, request)
    ]


# ------------------------------------------------------------------------------- search


def _search_filters(request: HttpRequest) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for field in FACETS:
        values = [v.strip() for v in request.GET.getlist(field) if v.strip()]
        if values:
            filters[field] = list(dict.fromkeys(v[:200] for v in values))[:20]
    return filters


def _search_export(request: HttpRequest, search, q: str, filters: dict, sort: str) -> Iterator:
    """Every matching dataset, fetched from the engine a batch at a time while streaming."""
    start = 0
    while True:
        batch = search(
            user=request.user, q=q, filters=filters, sort=sort, start=start, rows=EXPORT_BATCH
        )
        yield from batch.datasets
        start += len(batch.datasets)
        if not batch.datasets or start >= batch.count:
            return


@public_page
def index(request: HttpRequest) -> HttpResponse:
    """The catalog's search page: words, facets, sort and pages, all in a plain GET form."""
    q = request.GET.get("q", "").strip()[:500]
    filters = _search_filters(request)
    problems: list[str] = []
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        problems.append(
            _("El orden «%(sort)s» no existe; se ordena por relevancia.") % {"sort": sort[:60]}
        )
        sort = ""
    fmt = requested_format(request)
    if fmt:
        try:
            search_datasets(user=request.user, q=q, filters=filters, sort=sort, rows=0)
        except SearchQueryError as error:
            return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
        return export_response(
            fmt,
            rows=_search_export(request, search_datasets, q, filters, sort),
            columns=dataset_columns(request),
            filename="conjuntos-de-datos",
        )
    raw_page = request.GET.get("pagina", "1").strip() or "1"
    number = 1
    if raw_page.isdigit() and int(raw_page) >= 1:
        number = min(int(raw_page), 10_000)
    else:
        problems.append(
            _("«%(page)s» no es un número de página válido; se muestra la primera.")
            % {"page": raw_page[:20]}
        )

    def run(page_number: int):
        return search_datasets(
            user=request.user,
            q=q,
            filters=filters,
            sort=sort,
            start=(page_number - 1) * PAGE_SIZE,
            rows=PAGE_SIZE,
            facet_fields=tuple(FACETS),
            facet_limit=50,
        )

    result = None
    try:
        result = run(number)
        last = max((result.count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if number > last:
            problems.append(
                _("No existe la página %(page)s: hay %(last)s; se muestra la última.")
                % {"page": number, "last": last}
            )
            number = last
            result = run(number)
    except SearchQueryError as error:
        problems.append(_("No se pudo buscar: %(error)s") % {"error": error})
    datasets = _with_formats(list(result.datasets)) if result else []
    for dataset in datasets:
        dataset.why = result.explanations.get(dataset.pk, [])
    count = result.count if result else 0
    last = max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    facets = []
    if result:
        for field, title in FACETS.items():
            chosen = set(filters.get(field, []))
            items = [
                {
                    "name": item.name,
                    "display_name": item.display_name,
                    "count": item.count,
                    "checked": item.name in chosen,
                }
                for item in result.facets.get(field, [])
            ]
            # A chosen value stays visible (and can be unticked) even when it matched nothing.
            shown = {item["name"] for item in items}
            items += [
                {"name": v, "display_name": v, "count": 0, "checked": True}
                for v in filters.get(field, [])
                if v not in shown
            ]
            if items:
                facets.append({"field": field, "title": title, "items": items})
    shown_names = {
        (facet["field"], item["name"]): item["display_name"]
        for facet in facets
        for item in facet["items"]
    }
    active = [
        {
            "field": field,
            "title": FACETS[field],
            "value": shown_names.get((field, value), value),
            "remove": _without(request, field, value),
        }
        for field, values in filters.items()
        for value in values
    ]
    context = {
        "q": q,
        "sort": sort,
        "sorts": SORTS.items(),
        "datasets": datasets,
        "count": count,
        "facets": facets,
        "active_filters": active,
        "problems": problems,
        "page_number": number,
        "last_page": last,
        "previous_url": _with_page(request, number - 1) if number > 1 else "",
        "next_url": _with_page(request, number + 1) if number < last else "",
        "first_shown": (number - 1) * PAGE_SIZE + 1 if datasets else 0,
        "last_shown": (number - 1) * PAGE_SIZE + len(datasets),
    }
    return render(request, "catalog/index.html", context)


def _without(request: HttpRequest, field: str, value: str) -> str:
    query = request.GET.copy()
    query.setlist(field, [v for v in query.getlist(field) if v.strip() != value])
    query.pop("pagina", None)
    return "?" + query.urlencode()


def _with_page(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["pagina"] = str(number)
    return "?" + query.urlencode()


# --------------------------------------------------------------------- publishers, themes


@public_page
def publishers(request: HttpRequest) -> HttpResponse:
    """Every publisher with its count of public datasets, from one aggregate query."""
    rows = (
        Publisher.objects.select_related("jurisdiction")
        .annotate(dataset_count=Count("datasets", filter=PUBLIC))
        .order_by("title", "pk")
    )
    fmt = requested_format(request)
    if fmt:
        columns = [
            Column("clave", lambda p: p.name),
            Column("nombre", lambda p: p.title),
            Column("entidad_o_municipio", lambda p: p.jurisdiction.name),
            Column("clave_inegi", lambda p: p.jurisdiction.inegi_code),
            Column("conjuntos_de_datos", lambda p: p.dataset_count),
            Column("sitio_web", lambda p: p.url),
            Column("correo_institucional", lambda p: p.email),
            Column("url", lambda p: request.build_absolute_uri(p.get_absolute_url())),
        ]
        return export_response(
            fmt, rows=rows.iterator(chunk_size=1000), columns=columns, filename="dependencias"
        )
    page, problem = paginate(request, rows, PUBLISHERS_PAGE_SIZE)
    return render(
        request,
        "catalog/publishers.html",
        {"page": page, "publishers": list(page.object_list), "problem": problem},
    )


def _search_url(**filters: str) -> str:
    return reverse("catalog:index") + "?" + urlencode(filters)


def _counts_by_theme(datasets: QuerySet[Dataset]) -> list[dict[str, Any]]:
    rows = (
        datasets.filter(themes__isnull=False)
        .values("themes__name", "themes__title")
        .annotate(count=Count("pk", distinct=True))
        .order_by("-count", "themes__title")
    )
    return [
        {
            "label": row["themes__title"],
            "url": reverse("catalog:theme", kwargs={"name": row["themes__name"]}),
            "count": row["count"],
        }
        for row in rows
    ]


def _counts_by_format(datasets: QuerySet[Dataset], **scope: str) -> list[dict[str, Any]]:
    rows = (
        Resource.objects.active()
        .filter(dataset__in=datasets)
        .exclude(format="")
        .values("format")
        .annotate(count=Count("dataset", distinct=True))
        .order_by("-count", "format")
    )
    return [
        {
            "label": row["format"],
            "url": _search_url(**scope, res_format=row["format"]),
            "count": row["count"],
        }
        for row in rows
    ]


def _counts_by_publisher(datasets: QuerySet[Dataset]) -> list[dict[str, Any]]:
    rows = (
        datasets.values("publisher__name", "publisher__title")
        .annotate(count=Count("pk", distinct=True))
        .order_by("-count", "publisher__title")
    )
    return [
        {
            "label": row["publisher__title"],
            "url": reverse("catalog:publisher", kwargs={"name": row["publisher__name"]}),
            "count": row["count"],
        }
        for row in rows
    ]


def _dataset_list_page(
    request: HttpRequest,
    datasets: QuerySet[Dataset],
    template: str,
    context: dict[str, Any],
    filename: str,
) -> HttpResponse:
    ordered = datasets.with_listing().order_by("title", "pk")
    fmt = requested_format(request)
    if fmt:
        return export_response(
            fmt,
            rows=ordered.iterator(chunk_size=500),
            columns=dataset_columns(request),
            filename=filename,
        )
    page, problem = paginate(request, ordered, PAGE_SIZE)
    context.update(
        {"page": page, "datasets": _with_formats(list(page.object_list)), "problem": problem}
    )
    return render(request, template, context)


@public_page
def publisher(request: HttpRequest, name: str) -> HttpResponse:
    """A publisher: its datasets, and how many there are by theme and by format."""
    publisher_obj = get_object_or_404(Publisher.objects.select_related("jurisdiction"), name=name)
    datasets = rules.visible_datasets(request.user).filter(publisher=publisher_obj)
    context = {
        "publisher": publisher_obj,
        "by_theme": _counts_by_theme(datasets),
        "by_format": _counts_by_format(datasets, organization=publisher_obj.name),
        "can_publish": request.user.is_authenticated
        and rules.can_publish(request.user, publisher_obj),
    }
    return _dataset_list_page(
        request, datasets, "catalog/publisher.html", context, f"conjuntos-{publisher_obj.name}"
    )


@public_page
def themes(request: HttpRequest) -> HttpResponse:
    """Every theme with its count of public datasets, from one aggregate query."""
    rows = Theme.objects.annotate(dataset_count=Count("datasets", filter=PUBLIC)).order_by(
        "title", "pk"
    )
    fmt = requested_format(request)
    if fmt:
        columns = [
            Column("clave", lambda t: t.name),
            Column("titulo", lambda t: t.title),
            Column("descripcion", lambda t: t.description),
            Column("conjuntos_de_datos", lambda t: t.dataset_count),
            Column("url", lambda t: request.build_absolute_uri(t.get_absolute_url())),
        ]
        return export_response(fmt, rows=rows, columns=columns, filename="temas")
    return render(request, "catalog/themes.html", {"themes": list(rows)})


@public_page
def theme(request: HttpRequest, name: str) -> HttpResponse:
    """A theme: its datasets, and how many each publisher has in it."""
    theme_obj = get_object_or_404(Theme, name=name)
    datasets = rules.visible_datasets(request.user).filter(themes=theme_obj)
    context = {
        "theme": theme_obj,
        "by_publisher": _counts_by_publisher(datasets),
        "by_format": _counts_by_format(datasets, groups=theme_obj.name),
    }
    return _dataset_list_page(
        request, datasets, "catalog/theme.html", context, f"conjuntos-tema-{theme_obj.name}"
    )


# ------------------------------------------------------------------------------ dataset


@public_page
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    """A dataset with all its metadata, its resources and the addresses of its API outputs."""
    dataset_obj, gone = _dataset_for_page(
        request, name, Dataset.objects.with_listing().select_related("spatial__parent")
    )
    if gone:
        return gone
    context = {
        "dataset": dataset_obj,
        "tags": list(dataset_obj.tags.all()),
        "themes": list(dataset_obj.themes.all()),
        # Active ones only, in their order (with_listing's prefetch).
        "resources": list(dataset_obj.resources.all()),
        "can_edit": _may_edit(request, dataset_obj),
        "package_show_url": package_show_url(dataset_obj),
        "alternate_links": _federation_links(request, dataset_obj),
    }
    return render(request, "catalog/dataset.html", context)


@public_page
def dataset_history(request: HttpRequest, name: str) -> HttpResponse:
    """Every change to the dataset and its resources, newest first, with before and after."""
    dataset_obj = get_object_or_404(Dataset.objects.select_related("publisher"), name=name)
    allowed = (
        rules.can_download(request.user, dataset_obj)
        if dataset_obj.state == Dataset.State.DELETED
        else rules.can_see(request.user, dataset_obj)
    )
    if not allowed:
        raise Http404(_("No existe ese conjunto de datos."))
    page, problem = paginate(request, history.entries_for(dataset_obj), HISTORY_PAGE_SIZE)
    return render(
        request,
        "catalog/history.html",
        {
            "dataset": dataset_obj,
            "page": page,
            "events": history.events(list(page.object_list)),
            "problem": problem,
        },
    )


# ----------------------------------------------------------------------------- resource


@public_page
def resource(request: HttpRequest, name: str, resource: str) -> HttpResponse:
    """A resource: its facts, its data dictionary and a preview of its data."""
    dataset_obj, gone = _dataset_for_page(request, name)
    resource_obj = get_object_or_404(Resource, dataset=dataset_obj, uuid=resource)
    if gone or resource_obj.state == Dataset.State.DELETED:
        return _gone(request, dataset_obj, resource_obj)
    resource_obj.dataset = dataset_obj
    # A table in the datastore is shown from there (filtered, sorted, paged), not from the file.
    # The datastore builds on the catalog; imported here so that the catalog does not.
    from abierto.datastore import table_page

    table = table_page.for_resource(request, resource_obj)
    context = {
        "dataset": dataset_obj,
        "resource": resource_obj,
        "table": table,
        "preview": None if table else preview_resource(resource_obj),
        "can_edit": _may_edit(request, dataset_obj),
        "dictionary": table_page.dictionary(resource_obj, table.table if table else None),
    }
    return render(request, "catalog/resource.html", context)


def resource_download(request: HttpRequest, name: str, resource: str) -> HttpResponse:
    """The resource's data at its permanent address: the stored file, or a redirect to the link.

    It keeps answering after the resource or its dataset is deleted (the guide's permanence),
    except for files of private or draft datasets, which only their editors may fetch.
    """
    resource_obj = get_object_or_404(
        Resource.objects.select_related("dataset"), dataset__name=name, uuid=resource
    )
    dataset_obj = resource_obj.dataset
    if not rules.can_download(request.user, dataset_obj):
        raise Http404(_("No existe ese recurso."))
    if not resource_obj.is_upload:
        return HttpResponseRedirect(resource_obj.url)
    public = rules.was_public(dataset_obj)
    return downloads.file_response(request, resource_obj, public=public)
