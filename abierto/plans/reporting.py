"""The reporting workflow on the web: implementers report progress, civil society verifies it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from abierto.plans import rules as plan_rules
from abierto.plans import services
from abierto.plans.forms import ProgressReportForm, VerificationForm, apply_service_errors
from abierto.plans.models import Commitment, ProgressUpdate


def _get_commitment(exercise: str, plan: str, commitment: str) -> Commitment:
    """The public commitment named in the URL, by slug (or by number), or 404."""
    commitments = Commitment.objects.public().select_related("plan__exercise")
    commitments = commitments.filter(plan__exercise__slug=exercise, plan__slug=plan)
    found = commitments.filter(slug=commitment).first()
    if found is None and commitment.isdigit():
        found = commitments.filter(number=int(commitment)).first()
    if found is None:
        raise Http404(_("No existe ese compromiso."))
    return found


def _commitment_url(commitment: Commitment) -> str:
    """The public page of the commitment; the report page until that page exists."""
    kwargs = {
        "exercise": commitment.plan.exercise.slug,
        "plan": commitment.plan.slug,
        "commitment": commitment.slug,
    }
    try:
        return reverse("plans:commitment", kwargs=kwargs)
    except NoReverseMatch:
        return reverse("reporting:report", kwargs=kwargs)


@login_required
def report(request: HttpRequest, exercise: str, plan: str, commitment: str) -> HttpResponse:
    """An implementer reports progress on a milestone of one of their institution's commitments."""
    commitment_obj = _get_commitment(exercise, plan, commitment)
    if not plan_rules.can_report(request.user, commitment_obj):
        raise PermissionDenied(_("Solo la institución implementadora puede reportar avances."))
    posted = request.method == "POST"
    form = ProgressReportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        commitment=commitment_obj,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.progress_update_report(
                milestone=data["milestone"],
                reported_by=request.user,
                percent=data["percent"],
                narrative=data["narrative"],
                evidence_files=data["evidence"],
                evidence_links=data["evidence_links"],
                corrects=data["corrects"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Se registró el reporte de avance. Gracias."))
            return redirect(_commitment_url(commitment_obj))
    return render(
        request,
        "plans/reporting/report.html",
        {"commitment": commitment_obj, "form": form},
    )


@login_required
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    """A civil-society committee member confirms or disputes a progress update."""
    update = get_object_or_404(
        ProgressUpdate.objects.select_related(
            "milestone__commitment__plan__exercise", "reported_by", "corrects"
        ),
        pk=pk,
    )
    if not plan_rules.can_verify(request.user, update):
        raise PermissionDenied(
            _("Solo la sociedad civil del comité de este compromiso puede validar sus avances.")
        )
    form = VerificationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_record(
                update=update,
                verifier=request.user,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Se registró su validación. Gracias."))
            return redirect("reporting:my_work")
    return render(
        request,
        "plans/reporting/verify.html",
        {
            "update": update,
            "commitment": update.milestone.commitment,
            "documents": update.documents.all(),
            "verifications": update.verifications.select_related("verifier"),
            "form": form,
        },
    )


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """What is waiting for the signed-in person: commitments to report on, updates to verify."""
    return render(
        request,
        "plans/reporting/my_work.html",
        {
            "commitments": plan_rules.commitments_reportable_by(request.user),
            "awaiting": plan_rules.updates_awaiting_verification_by(request.user),
        },
    )
