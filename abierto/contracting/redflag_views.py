"""Public pages and JSON of the red flags: what each indicator measures and who raises it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from abierto.contracting import redflags
from abierto.contracting.models import RedFlag


def _counts() -> dict[str, int]:
    rows = RedFlag.objects.order_by().values("code").annotate(n=Count("id"))
    return {row["code"]: row["n"] for row in rows}


def _indicators(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"indicator": indicator, "count": counts.get(code, 0)}
        for code, indicator in sorted(
            redflags.DEFINITIONS.items(), key=lambda item: (not item[1].computable, item[0])
        )
    ]


def _thresholds(indicator: redflags.Indicator, config: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, config.get(name, default)) for name, default in indicator.defaults.items()]


@require_GET
def definitions(request: HttpRequest) -> HttpResponse:
    """Every indicator with its definition and the number of processes raising it."""
    config = redflags.config()
    rows = _indicators(_counts())
    for row in rows:
        row["thresholds"] = _thresholds(row["indicator"], config)
    return render(request, "contracting/red_flags.html", {"rows": rows})


@require_GET
def definition(request: HttpRequest, code: str) -> HttpResponse:
    """One indicator and the processes that raise it, paginated."""
    indicator = redflags.DEFINITIONS.get(code.upper())
    if indicator is None:
        raise Http404
    flags = (
        RedFlag.objects.filter(code=indicator.code)
        .select_related("record")
        .only(
            "code",
            "details",
            "computed_at",
            "record__ocid",
            "record__title",
            "record__buyer_name",
            "record__amount",
            "record__currency",
            "record__year",
        )
        .order_by("record__ocid")
    )
    page = Paginator(flags, getattr(settings, "CONTRACTING_PAGE_SIZE", 100)).get_page(
        request.GET.get("page")
    )
    for flag in page.object_list:
        flag.process_url = reverse("contracting:process", args=[flag.record.ocid])
    return render(
        request,
        "contracting/red_flag.html",
        {
            "indicator": indicator,
            "page": page,
            "thresholds": _thresholds(indicator, redflags.config()),
        },
    )


@require_GET
def definitions_json(request: HttpRequest) -> JsonResponse:
    """The indicators as JSON, with their thresholds and the number of processes raising each."""
    config = redflags.config()
    data = [
        {
            "code": row["indicator"].code,
            "title": str(row["indicator"].title),
            "description": str(row["indicator"].description),
            "fields": list(row["indicator"].fields),
            "computable": row["indicator"].computable,
            "whyNotComputable": str(row["indicator"].why_not),
            "thresholds": dict(_thresholds(row["indicator"], config)),
            "processes": row["count"],
            "url": request.build_absolute_uri(
                reverse("contracting:red_flag", args=[row["indicator"].code])
            ),
        }
        for row in _indicators(_counts())
    ]
    return JsonResponse({"indicators": data}, json_dumps_params={"ensure_ascii": False})
