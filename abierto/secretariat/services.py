"""Writes of STL content (agreements' follow-up, members' terms), each with its audit entry."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from abierto.core import audit
from abierto.core.models import User
from abierto.secretariat.models import Agreement, Membership


def _require_staff(by: User) -> None:
    if not by.has_perm("secretariat.manage_secretariat"):
        raise PermissionDenied(_("Solo el personal del STL puede modificar el Secretariado."))


@transaction.atomic
def agreement_update_status(
    *,
    agreement: Agreement,
    status: str,
    follow_up: str = "",
    done_on: dt.date | None = None,
    by: User,
) -> Agreement:
    """Record the follow-up of an agreement: its status, a note, and when it was done."""
    _require_staff(by)
    if status == Agreement.Status.DONE and done_on is None:
        raise ValidationError({"done_on": _("Indique la fecha en que se cumplió el acuerdo.")})
    if status != Agreement.Status.DONE and done_on is not None:
        raise ValidationError(
            {"done_on": _("Solo un acuerdo cumplido tiene fecha de cumplimiento.")}
        )
    with audit.recording_change(actor=by, verb="agreement_update_status", obj=agreement):
        agreement.status = status
        agreement.follow_up = follow_up.strip()
        agreement.done_on = done_on
        agreement.full_clean()
        agreement.save(update_fields=["status", "follow_up", "done_on"])
    return agreement


@transaction.atomic
def membership_end(
    *, membership: Membership, end_on: dt.date, end_reason: str, by: User
) -> Membership:
    """End a member's term (resignation, end of term, replacement); the history is kept."""
    _require_staff(by)
    if not membership.is_current:
        raise ValidationError({"end_on": _("Este periodo ya terminó.")})
    if not end_reason:
        raise ValidationError({"end_reason": _("Indique el motivo del término.")})
    with audit.recording_change(actor=by, verb="membership_end", obj=membership):
        membership.end_on = end_on
        membership.end_reason = end_reason
        membership.full_clean()
        membership.save(update_fields=["end_on", "end_reason"])
    return membership


@transaction.atomic
def membership_start(
    *,
    seat_id: int,
    role: str,
    person_name: str,
    by: User,
    post: str = "",
    organization_id: int | None = None,
    start_on: dt.date | None = None,
    source: str = "",
) -> Membership:
    """Seat a new titular or suplente; the seat's current one must have been ended first."""
    _require_staff(by)
    membership = Membership(
        seat_id=seat_id,
        role=role,
        person_name=person_name.strip(),
        post=post.strip(),
        organization_id=organization_id,
        start_on=start_on,
        source=source,
    )
    membership.full_clean()
    membership.save()
    audit.record_creation(actor=by, verb="membership_start", obj=membership)
    return membership
