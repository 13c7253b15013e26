"""Pages where officials publish contracting data: capture stage by stage, spreadsheet import,
and the reports of their imports. Who may is decided in rules.py («contracting.import_for»)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from abierto.contracting import capture, capture_forms, rules, spreadsheet
from abierto.contracting.models import Import, Record, Release

RECENT = 50


def _allowed(request: HttpRequest, publisher) -> None:
    if not rules.can_import(request.user, publisher):
        raise PermissionDenied(_("Solo los funcionarios del publicador pueden capturar sus datos."))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start a process; the publisher's recently captured processes."""
    publishers = list(rules.publishers_of(request.user))
    if not publishers:
        raise PermissionDenied(_("Su cuenta no pertenece a la institución de ningún publicador."))
    form = capture_forms.StartForm(request.POST or None, publishers=publishers)
    if request.method == "POST" and form.is_valid():
        publisher = form.cleaned_data["publisher"]
        ocid = capture.new_ocid(publisher)
        where: capture_forms.Where = {}
        release = capture.build(ocid, "planning", form.body(where))
        try:
            capture.publish(actor=request.user, publisher=publisher, release=release)
        except capture.CaptureRefused as exc:
            capture_forms.refuse(form, {}, exc.issues, where)
        else:
            messages.success(request, _("Proceso iniciado: %(ocid)s.") % {"ocid": ocid})
            return redirect("contracting:capture_process", ocid=ocid)
    captured = Release.objects.filter(source_import__source=Import.Source.CAPTURE).values("ocid")
    records = (
        Record.objects.filter(publisher__in=publishers, ocid__in=captured)
        .select_related("publisher")
        .order_by("-updated_at")[:RECENT]
    )
    return render(
        request,
        "contracting/capture_home.html",
        {"form": form, "records": records, "recent": RECENT},
    )


def _record(request: HttpRequest, ocid: str) -> Record:
    record = get_object_or_404(Record.objects.select_related("publisher"), ocid=ocid)
    _allowed(request, record.publisher)
    return record


@login_required
def process(request: HttpRequest, ocid: str) -> HttpResponse:
    """A process being captured: its releases so far and the stages that can be added."""
    record = _record(request, ocid)
    state = record.compiled_release
    stages = [
        {"key": key, "title": form.title, "available": form.available(state)}
        for key, form in capture_forms.STAGES.items()
    ]
    return render(
        request,
        "contracting/capture_process.html",
        {
            "record": record,
            "stages": stages,
            "releases": Release.objects.for_ocid(ocid).only(
                "release_id", "date", "tags", "validity", "ocid"
            ),
        },
    )


@login_required
def stage(request: HttpRequest, ocid: str, key: str) -> HttpResponse:
    """One stage's form; a valid submission becomes one new release of the process."""
    form_class = capture_forms.STAGES.get(key)
    if form_class is None:
        raise Http404
    record = _record(request, ocid)
    state = record.compiled_release
    if not form_class.available(state):
        messages.error(
            request,
            _("La etapa «%(stage)s» aún no se puede capturar en este proceso.")
            % {"stage": form_class.title},
        )
        return redirect("contracting:capture_process", ocid=ocid)
    data = request.POST if request.method == "POST" else None
    show_errors = True
    if data is not None and data.get("agregar") in form_class.rows:
        data = capture_forms.add_row(data, data["agregar"])
        show_errors = False
    page = capture_forms.StagePage(form_class, data, state=state, ocid=ocid)
    if data is not None and show_errors and page.is_valid():
        tag, body, where = page.release_body()
        release = capture.build(ocid, tag, body)
        try:
            capture.publish(actor=request.user, publisher=record.publisher, release=release)
        except capture.CaptureRefused as exc:
            page.refuse(exc.issues, where)
        else:
            messages.success(
                request,
                _("Se publicó la entrega %(id)s (%(stage)s).")
                % {"id": release["id"], "stage": form_class.title},
            )
            return redirect("contracting:capture_process", ocid=ocid)
    return render(
        request,
        "contracting/capture_stage.html",
        {
            "record": record,
            "stage_title": form_class.title,
            "page": page,
            "show_errors": show_errors and data is not None,
        },
    )


@login_required
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The report of an import, for those who may import for its publisher."""
    import_ = get_object_or_404(Import.objects.select_related("publisher"), pk=pk)
    _allowed(request, import_.publisher)
    return render(
        request,
        "contracting/import_detail.html",
        {"import": import_, "issues": import_.issues.all()},
    )


@login_required
def spreadsheet_import(request: HttpRequest) -> HttpResponse:
    """Upload a procurement spreadsheet, review its mapping and preview, then import it."""
    publishers = list(rules.publishers_of(request.user))
    if not publishers:
        raise PermissionDenied(_("Su cuenta no pertenece a la institución de ningún publicador."))
    if request.method != "POST" or "token" not in request.POST:
        form = spreadsheet.UploadForm(
            request.POST or None, request.FILES or None, publishers=publishers
        )
        if request.method == "POST" and form.is_valid():
            staged = spreadsheet.stage_upload(
                form.cleaned_data["file"], form.cleaned_data["publisher"], request.user
            )
            return _preview(request, staged, None)
        return render(request, "contracting/spreadsheet_upload.html", {"form": form})
    staged = spreadsheet.Staged.from_token(request.POST["token"], request.user)
    if staged is None:
        messages.error(request, _("La vista previa caducó; suba el archivo otra vez."))
        return redirect("contracting:spreadsheet_import")
    _allowed(request, staged.publisher)
    return _preview(request, staged, request.POST)


def _preview(request: HttpRequest, staged: spreadsheet.Staged, data) -> HttpResponse:
    try:
        table = staged.table()
    except spreadsheet.SpreadsheetError as exc:
        staged.discard()
        form = spreadsheet.UploadForm(publishers=list(rules.publishers_of(request.user)))
        form.add_error(None, str(exc))
        return render(request, "contracting/spreadsheet_upload.html", {"form": form})
    mapping_form = spreadsheet.MappingForm(data, headers=table.headers)
    confirmed = data is not None and "confirmar" in data
    result = None
    if mapping_form.is_valid():
        result = spreadsheet.convert(table, mapping_form.mapping(), staged.publisher)
        if confirmed and result.releases:
            import_ = spreadsheet.start_import(actor=request.user, staged=staged, result=result)
            messages.success(
                request,
                _("Importación en curso: %(n)s entregas de «%(name)s».")
                % {"n": len(result.releases), "name": staged.original_name},
            )
            return redirect("contracting:capture_import", pk=import_.pk)
        if confirmed:
            mapping_form.add_error(
                None, _("Ninguna fila produce una entrega: no hay nada que importar.")
            )
    return render(
        request,
        "contracting/spreadsheet_preview.html",
        {
            "staged": staged,
            "table": table,
            "form": mapping_form,
            "result": result,
            "columns": list(zip(mapping_form.column_fields(), table.rows[0][1], strict=False)),
            "preview_rows": spreadsheet.preview_rows(result) if result else [],
            "refused": result.refused[: spreadsheet.REFUSED_SHOWN] if result else [],
        },
    )
