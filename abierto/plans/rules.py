"""Who may do what on plans: the one place where access to plan content is decided."""

from __future__ import annotations

import rules

from abierto.plans.models import Commitment, CommitteeMember, ProgressUpdate

STL_STAFF_GROUP = "Personal del STL"


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


is_stl_staff = rules.is_group_member(STL_STAFF_GROUP) | rules.is_superuser

rules.add_perm("plans.report_progress", is_implementer_of)
rules.add_perm("plans.verify_progress", is_civil_society_on_committee & ~reported_it)
rules.add_perm("plans.manage_exercise", is_stl_staff)
