"""Public OCDS endpoints (anonymous JSON) and the staff pages of imports."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from abierto.contracting import packaging, redflags, services
from abierto.contracting.models import Import, Publisher, Record, Release
from abierto.core import fast_json
from abierto.core.pagecache import public_page


def _json(data: dict[str, Any], status: int = 200) -> HttpResponse:
    return fast_json.response(data, status=status)


def _release_url(request: HttpRequest):
    def url(release: Release) -> str:
        return request.build_absolute_uri(reverse("contracting:release", args=[release.pk]))

    return url


def _page_size() -> int:
    return getattr(settings, "CONTRACTING_PAGE_SIZE", 100)


def _since(request: HttpRequest):
    raw = request.GET.get("since", "")
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None and parse_date(raw) is not None:
        value = parse_datetime(raw + "T00:00:00+00:00")
    if value is None:
        raise ValidationError(f"since: fecha ISO 8601 no válida: {raw!r}")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def _page(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _next_link(request: HttpRequest, page: int) -> str:
    params = {k: v for k, v in request.GET.items() if k != "page"}
    params["page"] = str(page + 1)
    return request.build_absolute_uri(request.path + "?" + urlencode(params))


@require_GET
@public_page
def release(request: HttpRequest, pk: int) -> HttpResponse:
    """A release package holding one release."""
    obj = get_object_or_404(Release.objects.select_related("publisher"), pk=pk)
    return _json(packaging.release_package(request.build_absolute_uri(), [obj], obj.publisher))


@require_GET
@public_page
def ocid_releases(request: HttpRequest, ocid: str) -> HttpResponse:
    """Every release of one process, as a release package."""
    releases = list(Release.objects.for_ocid(ocid).select_related("publisher"))
    if not releases:
        raise Http404
    uri = request.build_absolute_uri()
    return _json(packaging.release_package(uri, releases, releases[0].publisher))


@require_GET
@public_page
def ocid_record(request: HttpRequest, ocid: str) -> HttpResponse:
    """The record package of one process; `?versioned=1` adds its versioned release."""
    versioned = request.GET.get("versioned") in ("1", "true")
    if not versioned:
        uri = request.build_absolute_uri()
        body = packaging.record_package_json(uri, ocid, _release_url(request))
        if body is None:
            raise Http404
        return HttpResponse(body, content_type="application/json")
    rec = get_object_or_404(Record.objects.select_related("publisher"), ocid=ocid)
    data = packaging.record(rec, _release_url(request), versioned=versioned)
    return _json(packaging.record_package(request.build_absolute_uri(), [data], rec.publisher))


@require_GET
@public_page
def ocid_process(request: HttpRequest, ocid: str) -> HttpResponse:
    """A process's summary and the quality of its data (not an OCDS package)."""
    rec = get_object_or_404(Record.objects.select_related("publisher"), ocid=ocid)
    releases = Release.objects.for_ocid(ocid)
    return _json(
        {
            "ocid": rec.ocid,
            "publisher": rec.publisher.name,
            "title": rec.title,
            "buyer": rec.buyer_name,
            "procurementMethod": rec.procurement_method,
            "amount": str(rec.amount) if rec.amount is not None else None,
            "currency": rec.currency,
            "year": rec.year,
            "compileError": rec.compile_error,
            "processIssues": rec.issues,
            "releases": [
                {
                    "id": r.release_id,
                    "date": r.data.get("date"),
                    "tag": r.tags,
                    "validity": r.validity,
                    "issues": r.issues,
                }
                for r in releases
            ],
            "redFlags": redflags.as_json(rec.red_flags.all()),
            "links": {
                "releasePackage": reverse("contracting:ocid_releases", args=[ocid]),
                "recordPackage": reverse("contracting:ocid_record", args=[ocid]),
                "redFlags": reverse("contracting:red_flags"),
            },
        }
    )


@require_GET
@public_page
def releases(request: HttpRequest) -> HttpResponse:
    """All releases, oldest first by (date, id), `?since=` and `?page=`."""
    try:
        since = _since(request)
    except ValidationError as exc:
        return _json({"error": exc.messages[0]}, status=400)
    page, size = _page(request), _page_size()
    qs = Release.objects.order_by("date", "id")
    if since is not None:
        qs = qs.filter(date__gte=since)
    rows = list(qs[(page - 1) * size : page * size + 1])
    data = packaging.release_package(request.build_absolute_uri(), rows[:size])
    if len(rows) > size:
        data["links"] = {"next": _next_link(request, page)}
    return _json(data)


@require_GET
@public_page
def records(request: HttpRequest) -> HttpResponse:
    """All records, by (updated_at, ocid), `?since=` and `?page=`."""
    try:
        since = _since(request)
    except ValidationError as exc:
        return _json({"error": exc.messages[0]}, status=400)
    page, size = _page(request), _page_size()
    qs = Record.objects.order_by("updated_at", "ocid")
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    rows = list(qs[(page - 1) * size : page * size + 1])
    url = _release_url(request)
    linked = packaging.linked_releases([r.ocid for r in rows[:size]])
    data = packaging.record_package(
        request.build_absolute_uri(),
        [packaging.record(r, url, releases=linked[r.ocid]) for r in rows[:size]],
    )
    if len(rows) > size:
        data["links"] = {"next": _next_link(request, page)}
    return _json(data)


class UploadForm(forms.Form):
    publisher = forms.ModelChoiceField(Publisher.objects.all(), label=_("Publicador"))
    file = forms.FileField(label=_("Archivo OCDS (JSON o JSON Lines)"), required=False)
    from_endpoint = forms.BooleanField(
        label=_("Descargar de la URL de publicación configurada"), required=False
    )


@staff_member_required
def import_new(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        source = Import.Source.URL if form.cleaned_data["from_endpoint"] else Import.Source.UPLOAD
        try:
            import_ = services.import_start(
                actor=request.user,
                publisher=form.cleaned_data["publisher"],
                source=source,
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("contracting:import_detail", pk=import_.pk)
    return render(request, "contracting/import_new.html", {"form": form})


@staff_member_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    import_ = get_object_or_404(Import.objects.select_related("publisher"), pk=pk)
    return render(
        request,
        "contracting/import_detail.html",
        {"import": import_, "issues": import_.issues.all()},
    )
