"""Who may do what on plans: the one place where access to plan content is decided."""

from __future__ import annotations

import rules
from django.db.models import QuerySet

from abierto.plans.models import Commitment, CommitteeMember, ProgressUpdate
from abierto.secretariat.rules import STL_STAFF_GROUP, is_stl_staff  # noqa: F401 (re-exported)


@rules.predicate
def is_implementer_of(user, commitment: Commitment | None) -> bool:
    """The user works at one of the commitment's lead implementing institutions."""
    if commitment is None or not user.is_authenticated or user.organization_id is None:
        return False
    return commitment.lead_implementers.filter(pk=user.organization_id).exists()


@rules.predicate
def is_civil_society_on_committee(user, update: ProgressUpdate | None) -> bool:
    """The user sits for civil society on the committee of the update's commitment."""
    if update is None or not user.is_authenticated:
        return False
    return CommitteeMember.objects.filter(
        committee__commitment_id=update.milestone.commitment_id,
        user=user,
        role=CommitteeMember.Role.CIVIL_SOCIETY,
    ).exists()


@rules.predicate
def reported_it(user, update: ProgressUpdate | None) -> bool:
    return update is not None and update.reported_by_id == user.pk


rules.add_perm("plans.report_progress", is_implementer_of)
rules.add_perm("plans.verify_progress", is_civil_society_on_committee & ~reported_it)
rules.add_perm("plans.manage_exercise", is_stl_staff)


# Reporting and verifying are testimony, not administration: the rule alone decides, so a
# superuser (whom Django's `user.has_perm` grants everything) reports or verifies only when
# the rule says so. Views, API and services ask these two functions.
def can_report(user, commitment: Commitment) -> bool:
    """The rule «plans.report_progress», without the superuser shortcut."""
    return user.is_active and rules.has_perm("plans.report_progress", user, commitment)


def can_verify(user, update: ProgressUpdate) -> bool:
    """The rule «plans.verify_progress», without the superuser shortcut."""
    return user.is_active and rules.has_perm("plans.verify_progress", user, update)


def commitments_reportable_by(user) -> QuerySet[Commitment]:
    """Commitments on which the user may report progress (the «plans.report_progress» test)."""
    if not user.is_authenticated or user.organization_id is None:
        return Commitment.objects.none()
    return (
        Commitment.objects.public()
        .implemented_by(user.organization_id)
        .select_related("plan__exercise")
        .prefetch_related("milestones")
        .order_by("plan__exercise__slug", "plan__slug", "number")
        .distinct()
    )


def updates_awaiting_verification_by(user) -> QuerySet[ProgressUpdate]:
    """Current progress updates the user may verify («plans.verify_progress») and has not yet."""
    if not user.is_authenticated:
        return ProgressUpdate.objects.none()
    return (
        ProgressUpdate.objects.filter(
            milestone__commitment__committee__members__user=user,
            milestone__commitment__committee__members__role=CommitteeMember.Role.CIVIL_SOCIETY,
            # A corrected update is superseded: only the correction waits for a verdict.
            corrections__isnull=True,
        )
        .exclude(reported_by=user)
        .exclude(verifications__verifier=user)
        .select_related("milestone__commitment__plan__exercise", "reported_by")
        .order_by("reported_at", "id")
        .distinct()
    )
