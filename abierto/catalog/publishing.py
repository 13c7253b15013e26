"""Publishing on the web: a publisher's members create, change and delete its datasets.

Sign-in is required; rules.can_publish decides the rest (the publisher's members and the
portal's data team), and a refusal is a 403 that changes nothing. Every write goes through
services.py, which validates again, keeps the history and never leaves half a change.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from abierto.catalog import rules, services
from abierto.catalog.forms import DatasetForm, ResourceForm, apply_service_errors
from abierto.catalog.models import Dataset, Publisher, Resource

MY_PAGE_SIZE = 50


def _editable_dataset(request: HttpRequest, name: str) -> Dataset:
    """The (not deleted) dataset named in the URL, if the user may edit it; else 404 or 403."""
    dataset = get_object_or_404(
        Dataset.objects.exclude(state=Dataset.State.DELETED).select_related(
            "publisher__jurisdiction", "licence"
        ),
        name=name,
    )
    if not rules.can_edit(request.user, dataset):
        raise PermissionDenied(_("Solo la dependencia que publica este conjunto puede cambiarlo."))
    return dataset


def _editable_resource(request: HttpRequest, name: str, resource: str) -> Resource:
    dataset = _editable_dataset(request, name)
    found = get_object_or_404(Resource.objects.active(), dataset=dataset, uuid=resource)
    found.dataset = dataset
    return found


@login_required
def my_datasets(request: HttpRequest) -> HttpResponse:
    """The datasets of the user's publishers, private ones and drafts included."""
    publishers = list(rules.publishers_of(request.user).order_by("title"))
    datasets = (
        Dataset.objects.exclude(state=Dataset.State.DELETED)
        .filter(publisher__in=rules.publishers_of(request.user))
        .with_listing()
        .order_by("publisher__title", "title", "pk")
    )
    page = Paginator(datasets, MY_PAGE_SIZE).get_page(request.GET.get("pagina"))
    token = Token.objects.filter(user=request.user).first() if publishers else None
    return render(
        request,
        "catalog/my_datasets.html",
        {
            "publishers": publishers,
            "page": page,
            "datasets": list(page.object_list),
            "token": token,
        },
    )


@login_required
@require_POST
def api_token(request: HttpRequest) -> HttpResponse:
    """Create or replace the user's API key (for ckanapi and scripts); the old one stops working.

    Only people who may publish somewhere get one: reading needs no key.
    """
    if not rules.publishers_of(request.user).exists():
        raise PermissionDenied(_("Solo quien publica datos necesita una clave de API."))
    Token.objects.filter(user=request.user).delete()
    Token.objects.create(user=request.user)
    messages.success(request, _("Se generó una clave de API nueva; la anterior ya no funciona."))
    return redirect(reverse("catalog:my_datasets") + "#clave-api")


@login_required
@require_http_methods(["GET", "POST"])
def dataset_create(request: HttpRequest, name: str) -> HttpResponse:
    """A new dataset of the publisher named in the URL."""
    publisher = get_object_or_404(Publisher.objects.select_related("jurisdiction"), name=name)
    if not rules.can_publish(request.user, publisher):
        raise PermissionDenied(_("Solo los integrantes de la dependencia pueden publicar en ella."))
    form = DatasetForm(request.POST if request.method == "POST" else None, publisher=publisher)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = services.dataset_save(actor=request.user, **form.service_values())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Se creó el conjunto «%(title)s». Ahora agregue sus recursos.")
                % {"title": dataset.title},
            )
            return redirect("catalog:resource_create", name=dataset.name)
    return render(
        request,
        "catalog/dataset_form.html",
        {"form": form, "publisher": publisher, "dataset": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_edit(request: HttpRequest, name: str) -> HttpResponse:
    """Change a dataset's metadata; the change is kept in its history."""
    dataset = _editable_dataset(request, name)
    form = DatasetForm(
        request.POST if request.method == "POST" else None,
        publisher=dataset.publisher,
        dataset=dataset,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.dataset_save(actor=request.user, dataset=dataset, **form.service_values())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Se guardaron los cambios del conjunto."))
            return redirect(dataset.get_absolute_url())
    return render(
        request,
        "catalog/dataset_form.html",
        {"form": form, "publisher": dataset.publisher, "dataset": dataset},
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_delete(request: HttpRequest, name: str) -> HttpResponse:
    """Delete a dataset (it leaves the catalog; its files, addresses and history stay)."""
    dataset = _editable_dataset(request, name)
    if request.method == "POST":
        services.dataset_delete(actor=request.user, dataset=dataset)
        messages.success(
            request, _("Se eliminó el conjunto «%(title)s».") % {"title": dataset.title}
        )
        return redirect("catalog:my_datasets")
    return render(
        request,
        "catalog/confirm_delete.html",
        {"dataset": dataset, "resource": None, "cancel_url": dataset.get_absolute_url()},
    )


def _resource_form_page(
    request: HttpRequest, dataset: Dataset, resource: Resource | None
) -> HttpResponse:
    posted = request.method == "POST"
    form = ResourceForm(
        request.POST if posted else None, request.FILES if posted else None, resource=resource
    )
    if posted and form.is_valid():
        values = form.service_values()
        if resource is not None and resource.is_upload and values.get("url"):
            # A file replaced by a link: its facts no longer describe anything.
            values.update(size=None, sha256="")
        try:
            saved = services.resource_save(
                actor=request.user,
                dataset=dataset,
                resource=resource,
                upload=form.cleaned_data["upload"] or None,
                **values,
            )
        except ValidationError as error:
            apply_service_errors(form, error, renames={"file": "upload"})
        else:
            messages.success(
                request, _("Se guardó el recurso «%(title)s».") % {"title": saved.title}
            )
            return redirect(
                reverse("catalog:resource", kwargs={"name": dataset.name, "resource": saved.uuid})
            )
    return render(
        request,
        "catalog/resource_form.html",
        {"form": form, "dataset": dataset, "resource": resource},
    )


@login_required
@require_http_methods(["GET", "POST"])
def resource_create(request: HttpRequest, name: str) -> HttpResponse:
    """Add a resource to a dataset: an uploaded file or a link."""
    return _resource_form_page(request, _editable_dataset(request, name), None)


@login_required
@require_http_methods(["GET", "POST"])
def resource_edit(request: HttpRequest, name: str, resource: str) -> HttpResponse:
    """Change a resource, or replace its file or link; its download address stays the same."""
    found = _editable_resource(request, name, resource)
    return _resource_form_page(request, found.dataset, found)


@login_required
@require_http_methods(["GET", "POST"])
def resource_delete(request: HttpRequest, name: str, resource: str) -> HttpResponse:
    """Delete a resource (it leaves the dataset; its download address keeps answering)."""
    found = _editable_resource(request, name, resource)
    if request.method == "POST":
        services.resource_delete(actor=request.user, resource=found)
        messages.success(request, _("Se eliminó el recurso «%(title)s».") % {"title": found.title})
        return redirect(found.dataset.get_absolute_url())
    return render(
        request,
        "catalog/confirm_delete.html",
        {
            "dataset": found.dataset,
            "resource": found,
            "cancel_url": reverse(
                "catalog:resource", kwargs={"name": found.dataset.name, "resource": found.uuid}
            ),
        },
    )
