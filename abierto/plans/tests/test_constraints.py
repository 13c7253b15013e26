"""Plan invariants hold in the database itself, whatever code writes the rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from abierto.plans.factories import (
    CommitmentFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    VerificationFactory,
)


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("percent", [101, 1000])
def test_percent_above_100_is_refused_by_the_database(milestone, implementer, percent):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdateFactory(milestone=milestone, reported_by=implementer, percent=percent)


@pytest.mark.django_db
def test_negative_percent_is_refused_by_the_database(milestone, implementer):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdateFactory(milestone=milestone, reported_by=implementer, percent=-1)


@pytest.mark.django_db
def test_milestone_due_before_its_start_is_refused_by_the_database(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneFactory(
            commitment=commitment, start_on=dt.date(2018, 1, 1), due_on=dt.date(2017, 1, 1)
        )


@pytest.mark.django_db
def test_milestone_due_before_its_start_is_refused_by_validation(commitment):
    milestone = MilestoneFactory.build(
        commitment=commitment, start_on=dt.date(2018, 1, 1), due_on=dt.date(2017, 1, 1)
    )

    with pytest.raises(ValidationError, match="La fecha límite no puede ser anterior"):
        milestone.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("weight", [0])
def test_milestone_weight_must_be_positive(commitment, weight):
    with pytest.raises(IntegrityError), transaction.atomic():
        MilestoneFactory(commitment=commitment, weight=weight)


@pytest.mark.django_db
def test_commitment_ending_before_it_starts_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentFactory(start_on=dt.date(2018, 1, 1), end_on=dt.date(2017, 1, 1))


@pytest.mark.django_db
def test_one_verification_per_member_and_update(committee_member, milestone):
    update = ProgressUpdateFactory(milestone=milestone)
    VerificationFactory(update=update, verifier=committee_member)

    with pytest.raises(IntegrityError), transaction.atomic():
        VerificationFactory(update=update, verifier=committee_member)
