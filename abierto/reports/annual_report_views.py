"""The annual reports of an exercise (/<exercise>/informe-anual/): the list of years, the
request of a build (STL staff), its progress, the published report and its files.

A report is public once built; its progress and errors are for the people who may build it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abierto.core.pagecache import public_page
from abierto.core.views import get_exercise_or_404
from abierto.reports import annual_report, services
from abierto.reports.forms import AnnualReportRequestForm
from abierto.reports.models import AnnualReport
from abierto.reports.rules import can_build_annual_report

# While a build runs, its progress page reloads itself this often (no JavaScript needed).
REFRESH_SECONDS = 3


def _index(request: HttpRequest, exercise, form: AnnualReportRequestForm, status: int = 200):
    years = annual_report.years_with_data(exercise)
    reports = {r.year: r for r in AnnualReport.objects.filter(exercise=exercise)}
    can_build = can_build_annual_report(request.user, exercise)
    rows = [
        {"year": year, "report": reports.get(year)}
        for year in sorted(set(years) | {y for y, r in reports.items() if r.is_built}, reverse=True)
    ]
    if not can_build:
        rows = [row for row in rows if row["report"] is not None and row["report"].is_built]
    context = {
        "exercise": exercise,
        "rows": rows,
        "years": years,
        "can_build": can_build,
        "form": form,
    }
    return render(request, "reports/annual_report_index.html", context, status=status)


@public_page
def annual_report_index(request: HttpRequest, exercise: str) -> HttpResponse:
    """The years with data and the reports built; STL staff may build one from here."""
    exercise_obj = get_exercise_or_404(exercise)
    return _index(request, exercise_obj, AnnualReportRequestForm())


@require_POST
def annual_report_request(request: HttpRequest, exercise: str) -> HttpResponse:
    """Queue the build of a year's report (STL staff), then show its progress."""
    exercise_obj = get_exercise_or_404(exercise)
    if not can_build_annual_report(request.user, exercise_obj):
        raise PermissionDenied(_("Solo el personal del STL puede generar el informe anual."))
    form = AnnualReportRequestForm(request.POST)
    if form.is_valid():
        try:
            report = services.annual_report_request(
                exercise=exercise_obj, year=form.cleaned_data["year"], by=request.user
            )
        except ValidationError as error:
            for message in error.message_dict.get("year", error.messages):
                form.add_error("year", message)
        else:
            return redirect("annual_report:status", exercise=exercise_obj.slug, year=report.year)
    return _index(request, exercise_obj, form, status=400)


def _report(exercise, year: int) -> AnnualReport:
    return get_object_or_404(
        AnnualReport.objects.select_related("exercise", "document"), exercise=exercise, year=year
    )


def annual_report_status(request: HttpRequest, exercise: str, year: int) -> HttpResponse:
    """The build's progress (a bar and the current section) and its outcome, for STL staff."""
    exercise_obj = get_exercise_or_404(exercise)
    if not can_build_annual_report(request.user, exercise_obj):
        raise Http404(_("No existe esa página."))
    report = _report(exercise_obj, year)
    context = {
        "exercise": exercise_obj,
        "report": report,
        "running": report.in_progress,
        "refresh_seconds": REFRESH_SECONDS,
    }
    return render(request, "reports/annual_report_status.html", context)


def _built_report(exercise_slug: str, year: int) -> AnnualReport:
    exercise_obj = get_exercise_or_404(exercise_slug)
    report = AnnualReport.objects.filter(exercise=exercise_obj, year=year).first()
    if report is None or not report.is_built:
        raise Http404(_("El informe anual de %(year)s aún no se ha publicado.") % {"year": year})
    return report


@public_page
def annual_report_page(request: HttpRequest, exercise: str, year: int) -> HttpResponse:
    """The published report, as built (not recomputed), with its PDF and HTML to download."""
    report = _built_report(exercise, year)
    with report.html.open("rb") as stored:
        body = annual_report.body_of(stored.read().decode("utf-8"))
    context = {
        "exercise": report.exercise,
        "report": report,
        # Rendered by our own template at build time (every value escaped there).
        "body": mark_safe(body),  # noqa: S308
        "can_build": can_build_annual_report(request.user, report.exercise),
    }
    return render(request, "reports/annual_report_page.html", context)


def _download(report: AnnualReport, extension: str, content_type: str, attachment: bool):
    stored = report.pdf if extension == "pdf" else report.html
    response = FileResponse(
        stored.open("rb"),
        content_type=content_type,
        as_attachment=attachment,
        filename=f"informe-anual-{report.exercise.slug}-{report.year}.{extension}",
    )
    response["ETag"] = f'"{report.pdf_sha256 if extension == "pdf" else report.html_sha256}"'
    return response


def annual_report_pdf(request: HttpRequest, exercise: str, year: int) -> HttpResponse:
    """The report's PDF."""
    report = _built_report(exercise, year)
    return _download(report, "pdf", "application/pdf", attachment=False)


def annual_report_html(request: HttpRequest, exercise: str, year: int) -> HttpResponse:
    """The report as one self-contained HTML file (downloaded: it carries its own styles)."""
    report = _built_report(exercise, year)
    return _download(report, "html", "text/html; charset=utf-8", attachment=True)
