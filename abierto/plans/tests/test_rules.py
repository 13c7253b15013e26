"""The permission rules of plans, checked directly (the web matrix is in test_reporting_*)."""

from __future__ import annotations

import pytest

from abierto.core.factories import UserFactory
from abierto.plans import rules as plan_rules
from abierto.plans.factories import (
    CommitmentFactory,
    CommitteeMemberFactory,
    ProgressUpdateFactory,
    VerificationFactory,
)
from abierto.plans.models import CommitteeMember


@pytest.fixture
def update(milestone, implementer):
    return ProgressUpdateFactory(milestone=milestone, reported_by=implementer)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("implementer", True),
        ("outsider_implementer", False),
        ("committee_member", False),
        ("other_committee_member", False),
        ("stl_staff", False),
        ("citizen", False),
    ],
)
def test_report_progress_belongs_to_the_implementing_institution(
    request, commitment, persona, allowed
):
    user = request.getfixturevalue(persona)

    assert user.has_perm("plans.report_progress", commitment) is allowed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("implementer", False),
        ("outsider_implementer", False),
        ("committee_member", True),
        ("other_committee_member", False),
        ("stl_staff", False),
        ("citizen", False),
    ],
)
def test_verify_progress_belongs_to_civil_society_on_the_committee(
    request, update, persona, allowed
):
    user = request.getfixturevalue(persona)

    assert user.has_perm("plans.verify_progress", update) is allowed


@pytest.mark.django_db
def test_an_implementer_on_the_committee_may_not_verify(commitment, update):
    member = CommitteeMemberFactory(
        committee=commitment.committee, role=CommitteeMember.Role.IMPLEMENTER
    ).user

    assert not member.has_perm("plans.verify_progress", update)


@pytest.mark.django_db
def test_nobody_verifies_his_own_report(commitment, milestone, implementing_org):
    member = CommitteeMemberFactory(committee=commitment.committee).user
    member.organization = implementing_org
    member.save()
    own = ProgressUpdateFactory(milestone=milestone, reported_by=member)

    assert member.has_perm("plans.report_progress", commitment)
    assert not member.has_perm("plans.verify_progress", own)


@pytest.mark.django_db
def test_anonymous_visitor_has_no_permission(commitment, update):
    from django.contrib.auth.models import AnonymousUser

    visitor = AnonymousUser()

    assert not visitor.has_perm("plans.report_progress", commitment)
    assert not visitor.has_perm("plans.verify_progress", update)
    assert not visitor.has_perm("plans.manage_exercise")


@pytest.mark.django_db
def test_stl_staff_and_superusers_manage_the_exercise(stl_staff, citizen, implementer):
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert stl_staff.has_perm("plans.manage_exercise")
    assert admin.has_perm("plans.manage_exercise")
    assert stl_staff.has_perm("secretariat.manage_secretariat")
    assert not citizen.has_perm("plans.manage_exercise")
    assert not implementer.has_perm("secretariat.manage_secretariat")


@pytest.mark.django_db
def test_reportable_commitments_match_the_report_rule(
    implementer, outsider_implementer, commitment
):
    CommitmentFactory()  # someone else's
    CommitmentFactory(plan__status="draft", lead_implementers=[implementer.organization])

    assert list(plan_rules.commitments_reportable_by(implementer)) == [commitment]
    assert list(plan_rules.commitments_reportable_by(outsider_implementer)) == []


@pytest.mark.django_db
def test_updates_awaiting_verification_match_the_verify_rule(
    committee_member, other_committee_member, milestone, update
):
    done = ProgressUpdateFactory(milestone=milestone)
    VerificationFactory(update=done, verifier=committee_member)
    superseded = ProgressUpdateFactory(milestone=milestone)
    correction = ProgressUpdateFactory(milestone=milestone, corrects=superseded)

    awaiting = set(plan_rules.updates_awaiting_verification_by(committee_member))

    assert awaiting == {update, correction}
    assert all(committee_member.has_perm("plans.verify_progress", u) for u in awaiting)
    assert list(plan_rules.updates_awaiting_verification_by(other_committee_member)) == []


@pytest.mark.django_db
def test_a_superuser_neither_reports_nor_verifies(commitment, update):
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert not plan_rules.can_report(admin, commitment)
    assert not plan_rules.can_verify(admin, update)


@pytest.mark.django_db
def test_an_inactive_implementer_may_not_report(implementer, commitment):
    implementer.is_active = False

    assert not plan_rules.can_report(implementer, commitment)
