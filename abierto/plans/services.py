"""Every write of plan content goes through these functions, which also write the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abierto.core import audit
from abierto.core.models import Document, User
from abierto.core.services import document_attach
from abierto.core.storage import undo_files_on_error
from abierto.core.uploads import check_upload
from abierto.plans import rules as plan_rules
from abierto.plans.models import Milestone, ProgressUpdate, Verification


@undo_files_on_error
@transaction.atomic
def progress_update_report(
    *,
    milestone: Milestone,
    reported_by: User,
    percent: int,
    narrative: str,
    evidence_files: Sequence[UploadedFile] = (),
    evidence_links: Sequence[str] = (),
    corrects: ProgressUpdate | None = None,
    reported_at: dt.datetime | None = None,
) -> ProgressUpdate:
    """Record an implementer's progress on a milestone, with its evidence. Nothing is edited."""
    if not plan_rules.can_report(reported_by, milestone.commitment):
        raise PermissionDenied(_("Solo la institución implementadora puede reportar avances."))
    if percent is None or not 0 <= percent <= 100:
        # The database refuses it too; saying so here names the field for the form and the API.
        raise ValidationError({"percent": _("El avance debe estar entre 0 y 100 %.")})
    if corrects is not None and corrects.milestone_id != milestone.pk:
        raise ValidationError({"corrects": _("La corrección debe ser de la misma meta.")})
    update = ProgressUpdate(
        milestone=milestone,
        percent=percent,
        narrative=narrative.strip(),
        reported_by=reported_by,
        reported_at=reported_at or timezone.now(),
        corrects=corrects,
    )
    update.full_clean()
    # Check every file before anything is written, so a bad one leaves no orphan file behind.
    for upload in evidence_files:
        check_upload(upload, field="evidence")
    update.save()
    for upload in evidence_files:
        document_attach(
            obj=update,
            kind=Document.Kind.EVIDENCE,
            title=upload.name,
            file=upload,
            uploaded_by=reported_by,
            published_on=timezone.localdate(),
            field="evidence",
        )
    for link in evidence_links:
        document_attach(
            obj=update,
            kind=Document.Kind.EVIDENCE,
            title=link,
            url=link,
            uploaded_by=reported_by,
            published_on=timezone.localdate(),
            field="evidence_links",
        )
    _milestone_follow_progress(milestone=milestone, percent=percent, actor=reported_by)
    audit.record_creation(actor=reported_by, verb="progress_update_report", obj=update)
    return update


def _milestone_follow_progress(*, milestone: Milestone, percent: int, actor: User) -> None:
    """Keep the milestone's status in step with its latest reported percent."""
    if milestone.status == Milestone.Status.CANCELLED:
        return
    if percent >= 100:
        status = Milestone.Status.COMPLETED
    elif percent > 0:
        status = Milestone.Status.IN_PROGRESS
    else:
        status = Milestone.Status.PLANNED
    if status != milestone.status:
        with audit.recording_change(actor=actor, verb="milestone_follow_progress", obj=milestone):
            milestone.status = status
            milestone.save(update_fields=["status"])


@transaction.atomic
def verification_record(
    *, update: ProgressUpdate, verifier: User, verdict: str, comment: str = ""
) -> Verification:
    """A civil-society committee member confirms or disputes a progress update."""
    if not plan_rules.can_verify(verifier, update):
        raise PermissionDenied(
            _("Solo la sociedad civil del comité de este compromiso puede validar sus avances.")
        )
    if Verification.objects.filter(update=update, verifier=verifier).exists():
        raise ValidationError({"verdict": _("Ya registró su validación de este reporte.")})
    verification = Verification(
        update=update, verifier=verifier, verdict=verdict, comment=comment.strip()
    )
    if verdict == Verification.Verdict.DISPUTED and not verification.comment:
        raise ValidationError({"comment": _("Explique por qué objeta el avance.")})
    verification.full_clean()
    try:
        with transaction.atomic():
            verification.save()
    except IntegrityError as error:  # a concurrent double submission
        raise ValidationError(
            {"verdict": _("Ya registró su validación de este reporte.")}
        ) from error
    audit.record_creation(actor=verifier, verb="verification_record", obj=verification)
    return verification
