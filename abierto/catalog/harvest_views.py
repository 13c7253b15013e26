"""Staff pages of harvesting, under /datos/cosechas/: sources, runs, previews, reports.

Only the data team (model permission catalog.change_harvestsource) may see them: the sources'
URLs and reports are operational, not public content. Starting a run is a POST (CSRF); the
run itself happens in the background and its page refreshes itself until it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from abierto.catalog import harvesting
from abierto.catalog.models import HarvestRun, HarvestSource
from abierto.catalog.rules import can_harvest

REPORT_PAGE_SIZE = 100
ACTIONS = {
    "created": _("creado"),
    "updated": _("actualizado"),
    "unchanged": _("sin cambios"),
    "failed": _("con error"),
    "deleted": _("retirado"),
}


def harvest_team_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; signed-in people without the permission get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_harvest(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@harvest_team_only
def source_list(request: HttpRequest) -> HttpResponse:
    """Every harvest source with its latest run, and the buttons to preview or harvest now."""
    latest = HarvestRun.objects.filter(source=OuterRef("pk")).order_by("-created_at", "-id")
    sources = list(
        HarvestSource.objects.select_related("publisher")
        .annotate(latest_run_id=Subquery(latest.values("pk")[:1]))
        .order_by("title")
    )
    runs = HarvestRun.objects.in_bulk([s.latest_run_id for s in sources if s.latest_run_id])
    rows = [(source, runs.get(source.latest_run_id)) for source in sources]
    return render(request, "catalog/harvest/source_list.html", {"rows": rows})


@harvest_team_only
def source_detail(request: HttpRequest, name: str) -> HttpResponse:
    """One source and its runs, newest first."""
    source = get_object_or_404(HarvestSource.objects.select_related("publisher"), name=name)
    runs = Paginator(source.runs.defer("report").order_by("-created_at", "-id"), 50)
    page = runs.get_page(request.GET.get("pagina"))
    return render(
        request,
        "catalog/harvest/source_detail.html",
        {"source": source, "page": page, "active": harvesting.active_run(source)},
    )


@require_POST
@harvest_team_only
def run_start(request: HttpRequest, name: str) -> HttpResponse:
    """Queue a harvest (or, with preview=1, a preview) of the source and show its progress."""
    source = get_object_or_404(HarvestSource, name=name)
    run = harvesting.start(source=source, preview=request.POST.get("preview") == "1")
    return redirect("harvest:run", pk=run.pk)


@harvest_team_only
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's progress while it works, then its report: each dataset and what became of it."""
    run = get_object_or_404(HarvestRun.objects.select_related("source__publisher"), pk=pk)
    action = request.GET.get("accion", "")
    entries = run.report or []
    if action in ACTIONS:
        entries = [entry for entry in entries if entry.get("action") == action]
    page = Paginator(entries, REPORT_PAGE_SIZE).get_page(request.GET.get("pagina"))
    page.object_list = [
        {**entry, "label": ACTIONS.get(entry.get("action"), "")} for entry in page.object_list
    ]
    finished = run.status in (HarvestRun.Status.DONE, HarvestRun.Status.FAILED)
    return render(
        request,
        "catalog/harvest/run_detail.html",
        {
            "run": run,
            "source": run.source,
            "page": page,
            "action": action if action in ACTIONS else "",
            "finished": finished,
            "actions": [
                (key, HarvestRun._meta.get_field(key).verbose_name, getattr(run, key))
                for key in ACTIONS
            ],
        },
    )
