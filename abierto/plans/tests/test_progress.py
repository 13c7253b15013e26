"""The plan arithmetic a citizen reads on the dashboard: weighted, latest update wins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from abierto.plans.factories import CommitmentFactory, MilestoneFactory, ProgressUpdateFactory
from abierto.plans.models import Commitment, Completion, Milestone
from abierto.plans.progress import commitments_progress, plan_percent

TODAY = dt.date(2017, 6, 1)


def _at(day: int) -> dt.datetime:
    return dt.datetime(2017, 5, day, 12, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_commitment_progress_is_weighted_by_milestone_and_latest_update_wins():
    commitment = CommitmentFactory()
    heavy = MilestoneFactory(commitment=commitment, weight=3)
    light = MilestoneFactory(commitment=commitment, weight=1)
    ProgressUpdateFactory(milestone=heavy, percent=100, reported_at=_at(1))
    ProgressUpdateFactory(milestone=heavy, percent=40, reported_at=_at(2))  # a correction
    ProgressUpdateFactory(milestone=light, percent=80, reported_at=_at(1))

    progress = commitments_progress([commitment], today=TODAY)[commitment.pk]

    assert progress.percent == Decimal("50.0")  # (3*40 + 1*80) / 4
    assert progress.weight == 4
    assert progress.milestones == 2


@pytest.mark.django_db
def test_cancelled_milestones_do_not_count():
    commitment = CommitmentFactory()
    done = MilestoneFactory(commitment=commitment)
    MilestoneFactory(commitment=commitment, status=Milestone.Status.CANCELLED)
    ProgressUpdateFactory(milestone=done, percent=100)

    assert commitments_progress([commitment])[commitment.pk].percent == Decimal("100.0")


@pytest.mark.django_db
def test_without_milestones_only_what_the_completion_level_states_for_sure():
    complete = CommitmentFactory(completion=Completion.COMPLETE)
    substantial = CommitmentFactory(completion=Completion.SUBSTANTIAL)
    withdrawn = CommitmentFactory(completion=Completion.WITHDRAWN)

    progress = commitments_progress([complete, substantial, withdrawn])

    assert progress[complete.pk].percent == Decimal(100)
    assert progress[substantial.pk].percent is None
    assert progress[withdrawn.pk].percent is None


@pytest.mark.django_db
def test_overdue_unfinished_milestone_puts_commitment_behind_schedule():
    late = CommitmentFactory()
    milestone = MilestoneFactory(
        commitment=late, start_on=dt.date(2017, 1, 1), due_on=dt.date(2017, 3, 31)
    )
    ProgressUpdateFactory(milestone=milestone, percent=60)
    on_time = CommitmentFactory()
    finished = MilestoneFactory(
        commitment=on_time, start_on=dt.date(2017, 1, 1), due_on=dt.date(2017, 3, 31)
    )
    ProgressUpdateFactory(milestone=finished, percent=100)

    progress = commitments_progress([late, on_time], today=TODAY)

    assert progress[late.pk].behind_schedule
    assert not progress[on_time.pk].behind_schedule
    assert list(Commitment.objects.behind_schedule(TODAY)) == [late]


@pytest.mark.django_db
def test_plan_percent_weighs_commitments_by_their_milestones():
    big = CommitmentFactory()
    for _ in range(3):
        ProgressUpdateFactory(milestone=MilestoneFactory(commitment=big), percent=100)
    small = CommitmentFactory(plan=big.plan)
    ProgressUpdateFactory(milestone=MilestoneFactory(commitment=small), percent=0)
    unknown = CommitmentFactory(plan=big.plan, completion=Completion.LIMITED)

    progress = commitments_progress([big, small, unknown])

    assert plan_percent(progress.values()) == Decimal("75.0")  # (3*100 + 1*0) / 4


@pytest.mark.django_db
def test_progress_of_many_commitments_takes_one_query(django_assert_num_queries):
    commitments = CommitmentFactory.create_batch(5)
    for commitment in commitments:
        ProgressUpdateFactory.create_batch(3, milestone=MilestoneFactory(commitment=commitment))

    with django_assert_num_queries(1):
        commitments_progress(commitments)


def test_plan_percent_is_unknown_without_any_known_commitment():
    assert plan_percent([]) is None
