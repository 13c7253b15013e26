"""Staff pages of lab content: STL staff create and edit workshops, problems, hackathon
solutions and events, and attach documents to events, without the admin.

Access is decided by participation/rules.py; forms parse; participation/services.py saves and
audits. Pages answer 403 to anyone else (after sign-in).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from abierto.core.views import get_exercise_or_404
from abierto.participation import rules as participation_rules
from abierto.participation import services
from abierto.participation.forms import (
    EventDocumentForm,
    EventForm,
    ProblemForm,
    SolutionForm,
    WorkshopForm,
)
from abierto.participation.models import Event, Lab, Problem, Solution, Workshop
from abierto.participation.views import _add_errors


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Solo el personal del STL gestiona este contenido."))


def _edit(
    request: HttpRequest,
    *,
    form,
    save: Callable[[], models.Model],
    context: dict,
    done: Callable[[models.Model], HttpResponse],
    template: str = "participation/staff_form.html",
) -> HttpResponse:
    """Show the form; on a valid POST save through the service and go back to the page."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save()
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Los cambios quedaron guardados y registrados."))
            return done(obj)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {**context, "form": form}, status=status)


def _lab(request: HttpRequest, exercise: str, lab: str) -> tuple:
    exercise_obj = get_exercise_or_404(exercise)
    _require(participation_rules.can_manage_lab(request.user))
    lab_obj = get_object_or_404(
        Lab.objects.select_related("exercise__jurisdiction"), exercise=exercise_obj, slug=lab
    )
    return exercise_obj, lab_obj


def _back_to_lab(exercise: str, lab: Lab, anchor: str) -> Callable[[models.Model], HttpResponse]:
    def done(_obj) -> HttpResponse:
        response = redirect("participation:lab", exercise=exercise, lab=lab.slug)
        response["Location"] += anchor
        return response

    return done


# ------------------------------------------------------------------------------ workshops


@login_required
def workshop_edit(
    request: HttpRequest, exercise: str, lab: str, pk: int | None = None
) -> HttpResponse:
    """Record a workshop held at one of the lab's sites, or correct one."""
    exercise_obj, lab_obj = _lab(request, exercise, lab)
    workshop = (
        get_object_or_404(Workshop, site__lab=lab_obj, pk=pk) if pk is not None else Workshop()
    )
    form = WorkshopForm(request.POST or None, instance=workshop, lab=lab_obj)
    return _edit(
        request,
        form=form,
        save=lambda: services.workshop_save(
            workshop=form.instance, by=request.user, topics=form.cleaned_data["topics"]
        ),
        context={
            "exercise": exercise_obj,
            "lab": lab_obj,
            "heading": _("Editar taller") if pk else _("Nuevo taller"),
        },
        done=_back_to_lab(exercise, lab_obj, "#sedes"),
    )


# ------------------------------------------------------------------------------- problems


@login_required
def problem_edit(
    request: HttpRequest, exercise: str, lab: str, pk: int | None = None
) -> HttpResponse:
    """Record a problem a community raised at a site, or correct one."""
    exercise_obj, lab_obj = _lab(request, exercise, lab)
    problem = get_object_or_404(Problem, site__lab=lab_obj, pk=pk) if pk is not None else Problem()
    form = ProblemForm(request.POST or None, instance=problem, lab=lab_obj)
    return _edit(
        request,
        form=form,
        save=lambda: services.problem_save(problem=form.instance, by=request.user),
        context={
            "exercise": exercise_obj,
            "lab": lab_obj,
            "heading": _("Editar problema") if pk else _("Nuevo problema"),
        },
        done=_back_to_lab(exercise, lab_obj, "#temas"),
    )


# ------------------------------------------------------------------------------ solutions


@login_required
def solution_edit(
    request: HttpRequest, exercise: str, lab: str, pk: int | None = None
) -> HttpResponse:
    """Record a hackathon solution of the lab, or update it (e.g. when it is delivered)."""
    exercise_obj, lab_obj = _lab(request, exercise, lab)
    solution = (
        get_object_or_404(Solution, lab=lab_obj, pk=pk) if pk is not None else Solution(lab=lab_obj)
    )
    form = SolutionForm(request.POST or None, instance=solution, lab=lab_obj)
    return _edit(
        request,
        form=form,
        save=lambda: services.solution_save(solution=form.instance, by=request.user),
        context={
            "exercise": exercise_obj,
            "lab": lab_obj,
            "heading": _("Editar solución") if pk else _("Nueva solución"),
        },
        done=_back_to_lab(exercise, lab_obj, "#soluciones"),
    )


# --------------------------------------------------------------------------------- events


def _event_page(exercise: str) -> Callable[[Event], HttpResponse]:
    return lambda event: redirect("participation:event", exercise=exercise, event=event.slug)


@login_required
def event_edit(request: HttpRequest, exercise: str, event: str | None = None) -> HttpResponse:
    """Record an event with its attendance, or correct one."""
    exercise_obj = get_exercise_or_404(exercise)
    _require(participation_rules.can_manage_events(request.user))
    event_obj = (
        get_object_or_404(Event, exercise=exercise_obj, slug=event)
        if event is not None
        else Event(exercise=exercise_obj)
    )
    form = EventForm(request.POST or None, instance=event_obj, exercise=exercise_obj)
    return _edit(
        request,
        form=form,
        save=lambda: services.event_save(event=form.instance, by=request.user),
        context={
            "exercise": exercise_obj,
            "event": event_obj if event is not None else None,
            "heading": _("Editar evento") if event else _("Nuevo evento"),
        },
        done=_event_page(exercise),
    )


@login_required
def event_document_create(request: HttpRequest, exercise: str, event: str) -> HttpResponse:
    """Attach a document, photo, video or link to an event (checked like every upload)."""
    exercise_obj = get_exercise_or_404(exercise)
    _require(participation_rules.can_manage_events(request.user))
    event_obj = get_object_or_404(Event, exercise=exercise_obj, slug=event)
    form = EventDocumentForm(request.POST or None, request.FILES or None)
    return _edit(
        request,
        form=form,
        save=lambda: services.event_document_attach(
            event=event_obj, by=request.user, **form.cleaned_data
        ),
        context={
            "exercise": exercise_obj,
            "event": event_obj,
            "heading": _("Adjuntar documento a «%(event)s»") % {"event": event_obj.title},
            "multipart": True,
        },
        done=lambda _document: _event_page(exercise)(event_obj),
    )
