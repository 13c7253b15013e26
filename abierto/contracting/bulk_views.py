"""Public pages of the yearly bulk files and the publication policy, and the file downloads."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from abierto.contracting import bulk, packaging
from abierto.contracting.models import Publisher

BLOCK_SIZE = 64 * 1024


def _years(publishers: list[Publisher]) -> list[tuple[Publisher, list[dict]]]:
    rows = []
    for publisher in publishers:
        years = bulk.published(publisher)
        for year in years:
            year["generated_at"] = dt.datetime.fromisoformat(year["generated"])
            for entry in year["files"]:
                args = [publisher.ocid_prefix, year["year"], entry["name"]]
                entry["url"] = reverse("contracting:bulk_file", args=args)
        rows.append((publisher, years))
    return rows


@require_GET
def downloads(request: HttpRequest) -> HttpResponse:
    """Every publisher's yearly files, with size, count, date and SHA-256."""
    publishers = list(Publisher.objects.order_by("name"))
    return render(request, "contracting/bulk_downloads.html", {"publishers": _years(publishers)})


def _not_modified(request: HttpRequest, etag: str, modified: float) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in match.split(",")]
        return match.strip() == "*" or etag in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(modified) <= since


@require_GET
def bulk_file(request: HttpRequest, prefix: str, year: int, name: str) -> HttpResponse:
    """One bulk file, streamed from storage, with its SHA-256 as ETag."""
    kind = bulk.KIND_BY_NAME.get(name)
    data = bulk.manifest(prefix, year) if kind else None
    entry = next((f for f in (data or {}).get("files", []) if f["name"] == name), None)
    if entry is None:
        raise Http404(
            _("No hay archivo %(name)s de %(year)s para %(prefix)s.")
            % {"name": name, "year": year, "prefix": prefix}
        )
    etag = f'"{entry["sha256"]}"'
    modified = dt.datetime.fromisoformat(data["generated"]).timestamp()
    caching = "public, max-age=3600"
    if _not_modified(request, etag, modified):
        response = HttpResponse(status=304)
    else:
        try:
            stream = default_storage.open(entry["path"], "rb")
        except (FileNotFoundError, OSError):
            raise Http404(_("El archivo se está regenerando; inténtalo en un momento.")) from None
        response = FileResponse(stream, content_type=kind.media_type)
        response.block_size = BLOCK_SIZE
        response["Content-Length"] = str(entry["size"])
        response["Content-Disposition"] = f'attachment; filename="{prefix}-{year}-{name}"'
        response["Access-Control-Allow-Origin"] = "*"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = caching
    return response


@require_GET
def publication_policy(request: HttpRequest) -> HttpResponse:
    """What is published, when, under which licence, where, and how to report an error."""
    publishers = list(Publisher.objects.order_by("name"))
    rows = [
        {
            "publisher": publisher,
            "license": packaging.license_url(publisher),
            "own_policy": publisher.publication_policy,
        }
        for publisher in publishers
    ]
    site = settings.SITE_URL.rstrip("/")
    endpoints = [
        (
            site + reverse("contracting:releases"),
            _(
                "Todas las entregas (paquete de entregas), de la más antigua a la más "
                "reciente; filtros ?since= (fecha ISO 8601) y links.next."
            ),
        ),
        (
            site + reverse("contracting:records"),
            _(
                "Todos los registros (paquete de registros), "
                "por fecha de actualización; ?since= y links.next."
            ),
        ),
        (
            site + reverse("contracting:ocid_releases", args=["OCID"]),
            _("Las entregas de un proceso de contratación."),
        ),
        (
            site + reverse("contracting:ocid_record", args=["OCID"]),
            _(
                "El registro de un proceso: entregas enlazadas y entrega compilada; "
                "?versioned=1 añade la versión con historial."
            ),
        ),
    ]
    return render(
        request,
        "contracting/publication_policy.html",
        {
            "rows": rows,
            "endpoints": endpoints,
            "default_license": packaging.license_url(None),
            "contact": _contact(),
            "downloads_url": reverse("contracting:bulk_downloads"),
        },
    )


def _contact() -> str:
    from django.apps import apps

    if apps.is_installed("abierto.catalog"):
        from abierto.catalog.feeds import platform_mailbox

        return platform_mailbox()
    return getattr(settings, "CATALOG_CONTACT_EMAIL", "")
