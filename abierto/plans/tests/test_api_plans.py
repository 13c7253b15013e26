"""Plans through the REST API: progress figures as `abierto.plans.progress` computes them,
the filters of every list, and drafts kept out of public view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from abierto.core.factories import DocumentFactory, OrganizationFactory, UserFactory
from abierto.plans.factories import (
    ActionPlanFactory,
    CommitmentFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    MeetingFactory,
    MilestoneFactory,
    PillarFactory,
    ProgressUpdateFactory,
    ThemeFactory,
    VerificationFactory,
)
from abierto.plans.models import Completion, Meeting, Milestone
from abierto.plans.progress import commitments_progress

TODAY = dt.date(2019, 6, 1)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2019, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def plan(db):
    return ActionPlanFactory(slug="pal-2016-2018")


def _results(api, url: str) -> list[dict]:
    response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _ids(api, url: str) -> set[int]:
    return {r["id"] for r in _results(api, url)}


def test_commitments_show_the_progress_that_progress_py_computes(api, plan):
    late = CommitmentFactory(plan=plan)
    slow = MilestoneFactory(commitment=late, weight=3, due_on=dt.date(2018, 12, 31))
    done = MilestoneFactory(commitment=late, weight=1, due_on=dt.date(2018, 12, 31))
    ProgressUpdateFactory(milestone=slow, percent=40)
    ProgressUpdateFactory(milestone=done, percent=100)
    complete = CommitmentFactory(plan=plan, completion=Completion.COMPLETE)
    withdrawn = CommitmentFactory(plan=plan, completion=Completion.WITHDRAWN)
    expected = commitments_progress([late, complete, withdrawn], today=TODAY)

    found = {c["id"]: c for c in _results(api, f"/api/v1/commitments/?plan={plan.pk}")}

    assert found[late.pk]["progress_percent"] == 55.0 == float(expected[late.pk].percent)
    assert found[late.pk]["behind_schedule"] is True
    assert found[late.pk]["milestone_count"] == 2
    assert found[complete.pk]["progress_percent"] == 100.0
    assert found[complete.pk]["behind_schedule"] is False
    assert found[withdrawn.pk]["progress_percent"] is None
    detail = api.get(f"/api/v1/commitments/{late.pk}/").json()
    assert detail["progress_percent"] == 55.0


def test_a_plan_shows_its_weighted_progress(api, plan):
    heavy = CommitmentFactory(plan=plan)
    MilestoneFactory(commitment=heavy, weight=3)
    ProgressUpdateFactory(milestone=heavy.milestones.get(), percent=80)
    CommitmentFactory(plan=plan, completion=Completion.NOT_STARTED)  # weight 1, 0 %
    CommitmentFactory(plan=plan, completion=Completion.LIMITED)  # unknown: left out

    found = _results(api, "/api/v1/plans/")[0]

    assert found["progress_percent"] == float(Decimal("60.0"))
    assert found["commitment_count"] == 3
    assert found["commitments_behind_schedule"] == 0
    assert found["exercise"] == plan.exercise.slug


def test_plans_filter_by_exercise_and_status_and_drafts_are_hidden(api, plan):
    closed = ActionPlanFactory(exercise=plan.exercise, status="closed")
    ActionPlanFactory(exercise=plan.exercise, status="draft")
    ActionPlanFactory()  # another exercise

    assert _ids(api, f"/api/v1/plans/?exercise={plan.exercise.slug}") == {plan.pk, closed.pk}
    assert _ids(api, "/api/v1/plans/?status=closed") == {closed.pk}
    assert _ids(api, "/api/v1/plans/?status=draft") == set()


def test_commitments_filter_by_theme_pillar_completion_and_implementer(api, plan):
    theme = ThemeFactory(slug="seguridad")
    pillar = PillarFactory(code="transparencia")
    organization = OrganizationFactory(slug="seplan")
    first = CommitmentFactory(plan=plan, theme=theme, lead_implementers=[organization])
    first.pillars.add(pillar)
    second = CommitmentFactory(plan=plan, completion=Completion.SUBSTANTIAL)
    CommitmentFactory(plan=ActionPlanFactory(status="draft"), theme=theme)

    assert _ids(api, "/api/v1/commitments/?theme=seguridad") == {first.pk}
    assert _ids(api, "/api/v1/commitments/?pillar=transparencia") == {first.pk}
    assert _ids(api, "/api/v1/commitments/?implementer=seplan") == {first.pk}
    assert _ids(api, "/api/v1/commitments/?completion=substantial") == {second.pk}
    shown = _results(api, "/api/v1/commitments/?theme=seguridad")[0]
    assert shown["pillars"] == ["transparencia"]
    assert shown["lead_implementers"] == ["seplan"]


def test_commitments_filter_by_behind_schedule(api, plan):
    late = CommitmentFactory(plan=plan)
    MilestoneFactory(commitment=late, due_on=dt.date(2018, 1, 1))
    on_time = CommitmentFactory(plan=plan)
    MilestoneFactory(commitment=on_time, due_on=dt.date(2030, 1, 1))
    finished = CommitmentFactory(plan=plan)
    ProgressUpdateFactory(
        milestone=MilestoneFactory(commitment=finished, due_on=dt.date(2018, 1, 1)), percent=100
    )

    behind = _results(api, "/api/v1/commitments/?behind_schedule=true")

    assert [c["id"] for c in behind] == [late.pk]
    assert all(c["behind_schedule"] for c in behind)
    assert _ids(api, "/api/v1/commitments/?behind_schedule=false") == {on_time.pk, finished.pk}


def test_commitments_order_by_number_descending(api, plan):
    for number in (2, 1, 3):
        CommitmentFactory(plan=plan, number=number)

    found = _results(api, "/api/v1/commitments/?ordering=-number")

    assert [c["number"] for c in found] == [3, 2, 1]


def test_milestones_show_their_latest_percent_and_filter(api, plan):
    commitment = CommitmentFactory(plan=plan)
    reported = MilestoneFactory(commitment=commitment, due_on=dt.date(2018, 1, 1))
    ProgressUpdateFactory(milestone=reported, percent=70)
    ProgressUpdateFactory(milestone=reported, percent=35)  # the latest one counts
    cancelled = MilestoneFactory(commitment=commitment, status=Milestone.Status.CANCELLED)
    MilestoneFactory()  # another commitment

    found = {m["id"]: m for m in _results(api, f"/api/v1/milestones/?commitment={commitment.pk}")}

    assert found[reported.pk]["percent"] == 35
    assert found[reported.pk]["overdue"] is True
    assert found[cancelled.pk]["percent"] == 0
    assert _ids(api, "/api/v1/milestones/?status=cancelled") == {cancelled.pk}


def test_progress_updates_filter_by_commitment_milestone_reporter_and_date(api, plan):
    milestone = MilestoneFactory(commitment=CommitmentFactory(plan=plan))
    reporter = UserFactory(first_name="Elena", last_name="Reporta")
    with time_machine.travel(dt.datetime(2018, 1, 10, 12, tzinfo=dt.UTC), tick=False):
        old = ProgressUpdateFactory(milestone=milestone, reported_by=reporter)
    new = ProgressUpdateFactory(milestone=milestone)
    elsewhere = ProgressUpdateFactory()

    assert _ids(api, f"/api/v1/progress-updates/?commitment={milestone.commitment_id}") == {
        old.pk,
        new.pk,
    }
    assert _ids(api, f"/api/v1/progress-updates/?milestone={elsewhere.milestone_id}") == {
        elsewhere.pk
    }
    assert _ids(api, f"/api/v1/progress-updates/?reporter={reporter.pk}") == {old.pk}
    assert _ids(api, "/api/v1/progress-updates/?since=2019-01-01") == {new.pk, elsewhere.pk}
    shown = _results(api, f"/api/v1/progress-updates/?reporter={reporter.pk}")[0]
    assert shown["reported_by"] == {"id": reporter.pk, "name": "Elena Reporta"}


def test_a_progress_update_shows_its_evidence_and_verifications(api, plan):
    update = ProgressUpdateFactory(
        milestone=MilestoneFactory(commitment=CommitmentFactory(plan=plan))
    )
    DocumentFactory(attached_to=update, kind="evidence", url="https://example.org/foto.jpg")
    verifier = UserFactory(first_name="Flor", last_name="Valida")
    VerificationFactory(update=update, verifier=verifier, verdict="disputed", comment="Falta.")

    shown = api.get(f"/api/v1/progress-updates/{update.pk}/").json()

    assert [e["href"] for e in shown["evidence"]] == ["https://example.org/foto.jpg"]
    assert shown["verifications"][0]["verifier"]["name"] == "Flor Valida"
    assert shown["verifications"][0]["verdict"] == "disputed"


def test_updates_of_a_draft_plan_are_not_public(api, db):
    hidden = ProgressUpdateFactory(
        milestone=MilestoneFactory(
            commitment=CommitmentFactory(plan=ActionPlanFactory(status="draft"))
        )
    )
    VerificationFactory(update=hidden)

    assert api.get("/api/v1/progress-updates/").json()["count"] == 0
    assert api.get("/api/v1/verifications/").json()["count"] == 0
    assert api.get("/api/v1/milestones/").json()["count"] == 0
    assert api.get(f"/api/v1/progress-updates/{hidden.pk}/").status_code == 404


def test_verifications_filter_by_verdict_and_commitment(api, plan):
    update = ProgressUpdateFactory(
        milestone=MilestoneFactory(commitment=CommitmentFactory(plan=plan))
    )
    disputed = VerificationFactory(update=update, verdict="disputed", comment="No.")
    confirmed = VerificationFactory(update=update)
    VerificationFactory()  # another commitment

    assert _ids(api, "/api/v1/verifications/?verdict=disputed") == {disputed.pk}
    assert _ids(api, f"/api/v1/verifications/?commitment={update.milestone.commitment_id}") == {
        disputed.pk,
        confirmed.pk,
    }
    assert _ids(api, f"/api/v1/verifications/?update={update.pk}") == {disputed.pk, confirmed.pk}


def test_committees_show_their_members_by_public_name(api, plan):
    committee = CommitteeFactory(commitment=CommitmentFactory(plan=plan))
    CommitteeMemberFactory(
        committee=committee, user=UserFactory(first_name="Gina", last_name="Civil")
    )
    CommitteeMemberFactory(committee=committee, user=None, person_name="Hugo Sin Cuenta")
    CommitteeFactory()  # another plan

    found = _results(api, f"/api/v1/committees/?plan={plan.pk}")

    assert len(found) == 1
    assert sorted(m["name"] for m in found[0]["members"]) == ["Gina Civil", "Hugo Sin Cuenta"]
    assert found[0]["commitment"] == committee.commitment_id


def test_meetings_filter_by_kind_committee_and_year(api, plan):
    committee = CommitteeFactory(commitment=CommitmentFactory(plan=plan))
    of_committee = MeetingFactory(
        exercise=plan.exercise,
        kind=Meeting.Kind.COMMITTEE,
        committee=committee,
        held_on=dt.date(2018, 4, 1),
    )
    liaisons = MeetingFactory(exercise=plan.exercise, held_on=dt.date(2017, 4, 1))

    assert _ids(api, "/api/v1/meetings/?kind=liaison") == {liaisons.pk}
    assert _ids(api, f"/api/v1/meetings/?committee={committee.pk}") == {of_committee.pk}
    assert _ids(api, f"/api/v1/meetings/?year=2018&exercise={plan.exercise.slug}") == {
        of_committee.pk
    }


def test_themes_and_pillars_are_listed_by_slug_and_code(api, db):
    ThemeFactory(name="Educación", slug="educacion")
    PillarFactory(code="participacion", name="Participación ciudadana")

    assert api.get("/api/v1/themes/educacion/").json()["name"] == "Educación"
    assert api.get("/api/v1/pillars/participacion/").json()["name"] == "Participación ciudadana"
    assert [t["slug"] for t in _results(api, "/api/v1/themes/?slug=educacion")] == ["educacion"]
