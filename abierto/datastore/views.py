"""The load page of a resource (status, progress, error) and its data dictionary editor.

Both are for the people who may edit the resource's dataset (`catalog.rules.can_edit`);
everyone else gets a 404, as for a private dataset.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abierto.catalog import rules
from abierto.catalog.models import Dataset, Resource
from abierto.datastore import infer, schema, services
from abierto.datastore.forms import DictionaryFormSet

# While a load runs, its page reloads itself this often (no JavaScript needed).
REFRESH_SECONDS = 3


def _resource_for_editor(request: HttpRequest, resource_id) -> Resource:
    resource = get_object_or_404(
        Resource.objects.select_related("dataset__publisher"), uuid=resource_id
    )
    dataset = resource.dataset
    if (
        not request.user.is_authenticated
        or dataset.state == Dataset.State.DELETED
        or resource.state == Dataset.State.DELETED
        or not rules.can_edit(request.user, dataset)
    ):
        raise Http404(_("No existe ese recurso."))
    return resource


def load(request: HttpRequest, resource: str) -> HttpResponse:
    """The resource's latest load: progress while it runs, its outcome once finished."""
    resource_obj = _resource_for_editor(request, resource)
    latest = services.latest_load(resource_obj)
    table = schema.get_table(resource_obj.uuid)
    context = {
        "resource": resource_obj,
        "dataset": resource_obj.dataset,
        "load": latest,
        "table": table,
        "fields": [(f, infer.describe(f.type)) for f in table.fields] if table else [],
        "running": latest is not None and not latest.finished,
        "refresh_seconds": REFRESH_SECONDS,
        "cannot_load": services.why_not_loadable(resource_obj),
    }
    return render(request, "datastore/load.html", context)


@require_POST
def load_start(request: HttpRequest, resource: str) -> HttpResponse:
    """Load (or load again) the resource's file into the datastore, in the background."""
    resource_obj = _resource_for_editor(request, resource)
    try:
        services.queue_load(resource=resource_obj, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("datastore:load", resource=resource_obj.uuid)


def dictionary(request: HttpRequest, resource: str) -> HttpResponse:
    """Edit each column's label, notes and type; saving may reload the file with the types."""
    resource_obj = _resource_for_editor(request, resource)
    columns = [c for c in resource_obj.data_dictionary or [] if isinstance(c, dict) and c.get("id")]
    formset = DictionaryFormSet(
        request.POST if request.method == "POST" else None, columns=columns, prefix="col"
    )
    if request.method == "POST" and formset.is_valid():
        reload = "reload" in request.POST
        try:
            services.dictionary_save(
                actor=request.user,
                resource=resource_obj,
                entries=formset.entries(),
                reload=reload,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            if reload:
                messages.success(
                    request, _("Diccionario guardado. El archivo se está cargando de nuevo.")
                )
                return redirect("datastore:load", resource=resource_obj.uuid)
            messages.success(request, _("Diccionario guardado."))
            return redirect("datastore:dictionary", resource=resource_obj.uuid)
    context = {
        "resource": resource_obj,
        "dataset": resource_obj.dataset,
        "rows": list(zip(columns, formset.forms, strict=False)),
        "formset": formset,
        "type_names": infer.TYPE_NAMES,
    }
    return render(request, "datastore/dictionary.html", context)
