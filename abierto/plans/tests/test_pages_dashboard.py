"""The plan list and the monitoring dashboard, as a citizen sees them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.core.factories import (
    ExerciseFactory,
    JurisdictionFactory,
    OrganizationFactory,
    UserFactory,
)
from abierto.plans.factories import (
    ActionPlanFactory,
    CommitmentFactory,
    MilestoneFactory,
    PillarFactory,
    ProgressUpdateFactory,
    ThemeFactory,
)
from abierto.plans.models import ActionPlan, Completion

pytestmark = pytest.mark.django_db

DASHBOARD = "/jalisco/planes/pal-2016-2018/"


@pytest.fixture
def plan():
    exercise = ExerciseFactory(
        jurisdiction=JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco"),
        name="Gobierno Abierto Jalisco",
    )
    return ActionPlanFactory(
        exercise=exercise, slug="pal-2016-2018", title="Plan de Acción Local 2016-2018"
    )


def add_commitments(plan, count, *, milestones=2, updates=2, start=1):
    """Commitments with weighted milestones and progress updates, like a real plan."""
    made = []
    reporter = UserFactory(password=None)
    for number in range(start, start + count):
        commitment = CommitmentFactory(
            plan=plan,
            number=number,
            slug=f"compromiso-{plan.pk}-{number}",
            lead_implementers=[OrganizationFactory()],
        )
        commitment.pillars.add(PillarFactory(code="transparencia", name="Transparencia"))
        for position in range(1, milestones + 1):
            milestone = MilestoneFactory(commitment=commitment, position=position)
            for percent in range(1, updates + 1):
                ProgressUpdateFactory(
                    milestone=milestone, percent=min(percent * 10, 100), reported_by=reporter
                )
        made.append(commitment)
    return made


def queries_for(client, url: str) -> int:
    client.get(url)  # warm caches shared by every request (content types)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_dashboard_shows_every_commitment_with_progress_level_theme_and_implementer(client, plan):
    theme = ThemeFactory(name="Seguridad ciudadana", slug="seguridad")
    org = OrganizationFactory(name="Ayuntamiento de Guadalajara", slug="guadalajara")
    commitment = CommitmentFactory(
        plan=plan,
        number=1,
        title="Intervención en Lomas de Polanco",
        theme=theme,
        completion=Completion.SUBSTANTIAL,
        lead_implementers=[org],
    )
    MilestoneFactory(commitment=commitment, weight=3)
    ProgressUpdateFactory(milestone=MilestoneFactory(commitment=commitment, weight=1), percent=80)

    page = client.get(DASHBOARD).content.decode()

    assert "Intervención en Lomas de Polanco" in page
    assert "Seguridad ciudadana" in page
    assert "Ayuntamiento de Guadalajara" in page
    assert "Sustancial" in page
    # weighted: (3 × 0 + 1 × 80) / 4 = 20 %, written as text next to the bar
    assert "20,0 %" in page
    assert 'role="img"' in page and "<title" in page
    assert 'style="' not in page
    assert "<script" not in page


def test_dashboard_shows_the_plans_weighted_progress(client, plan):
    first = CommitmentFactory(plan=plan, number=1)
    ProgressUpdateFactory(milestone=MilestoneFactory(commitment=first, weight=1), percent=100)
    second = CommitmentFactory(plan=plan, number=2)
    MilestoneFactory(commitment=second, weight=3)

    page = client.get(DASHBOARD).content.decode()

    assert "25,0 %" in page
    assert "de avance ponderado del plan" in page


def test_dashboard_filters_by_theme_pillar_level_and_implementer(client, plan):
    education = ThemeFactory(name="Educación", slug="educacion")
    security = ThemeFactory(name="Seguridad", slug="seguridad")
    org = OrganizationFactory(name="Secretaría de Educación", slug="educacion-jalisco")
    pillar = PillarFactory(code="participacion", name="Participación ciudadana")
    school = CommitmentFactory(
        plan=plan,
        number=1,
        title="Plataforma para docentes",
        theme=education,
        completion=Completion.COMPLETE,
        lead_implementers=[org],
    )
    school.pillars.add(pillar)
    CommitmentFactory(plan=plan, number=2, title="Policía de proximidad", theme=security)

    for query in (
        "theme=educacion",
        "pillar=participacion",
        "completion=complete",
        "implementer=educacion-jalisco",
    ):
        page = client.get(f"{DASHBOARD}?{query}").content.decode()
        assert "Plataforma para docentes" in page, query
        assert "Policía de proximidad" not in page, query
        assert "Se muestran 1 de 2 compromisos" in page, query


def test_filter_form_labels_every_control_and_offers_only_the_plans_choices(client, plan):
    CommitmentFactory(plan=plan, theme=ThemeFactory(name="Educación", slug="educacion"))
    ThemeFactory(name="Tema de otro plan", slug="otro")

    page = client.get(DASHBOARD).content.decode()

    for name in ("theme", "pillar", "completion", "implementer", "behind_schedule"):
        assert f'<label for="id_{name}">' in page
    assert '<form method="get"' in page
    assert "Educación" in page
    assert "Tema de otro plan" not in page


@time_machine.travel(dt.datetime(2017, 8, 1, 12, tzinfo=dt.UTC), tick=False)
def test_commitment_with_an_overdue_milestone_is_flagged_behind_schedule(client, plan):
    late = CommitmentFactory(plan=plan, number=1, title="Padrón de jornaleros")
    MilestoneFactory(commitment=late, start_on=dt.date(2017, 1, 1), due_on=dt.date(2017, 6, 30))
    on_time = CommitmentFactory(plan=plan, number=2, title="Brecha salarial")
    done = MilestoneFactory(
        commitment=on_time, start_on=dt.date(2017, 1, 1), due_on=dt.date(2017, 6, 30)
    )
    ProgressUpdateFactory(milestone=done, percent=100)

    page = client.get(DASHBOARD).content.decode()
    assert page.count('class="flag-late"') == 2  # the summary figure and the late row
    assert "Con retraso" in page

    only_late = client.get(f"{DASHBOARD}?behind_schedule=true").content.decode()
    assert "Padrón de jornaleros" in only_late
    assert "Brecha salarial" not in only_late

    not_late = client.get(f"{DASHBOARD}?behind_schedule=false").content.decode()
    assert "Brecha salarial" in not_late
    assert "Padrón de jornaleros" not in not_late


def test_dashboard_links_to_filtered_downloads(client, plan):
    CommitmentFactory(plan=plan, theme=ThemeFactory(slug="educacion"))

    page = client.get(f"{DASHBOARD}?theme=educacion").content.decode()

    assert "?theme=educacion&amp;format=csv" in page
    assert "?theme=educacion&amp;format=json" in page
    assert f"{DASHBOARD}metas.csv" in page
    assert f"{DASHBOARD}avances.json" in page


def test_draft_and_unknown_plans_are_not_found(client, plan):
    ActionPlanFactory(exercise=plan.exercise, slug="borrador", status=ActionPlan.Status.DRAFT)

    assert client.get("/jalisco/planes/borrador/").status_code == 404
    assert client.get("/jalisco/planes/no-existe/").status_code == 404
    assert client.get("/no-existe/planes/pal-2016-2018/").status_code == 404
    assert client.get("/no-existe/planes/").status_code == 404


def test_plan_list_shows_public_plans_with_their_progress(client, plan):
    ActionPlanFactory(exercise=plan.exercise, title="Plan en borrador", status="draft")
    commitment = CommitmentFactory(plan=plan, completion=Completion.COMPLETE)
    ProgressUpdateFactory(milestone=MilestoneFactory(commitment=commitment), percent=100)

    page = client.get("/jalisco/planes/").content.decode()

    assert "Plan de Acción Local 2016-2018" in page
    assert "Plan en borrador" not in page
    assert "100,0 %" in page
    assert "1 (1 completos)" in page


def test_dashboard_runs_the_same_few_queries_whatever_the_plans_size(client, plan):
    add_commitments(plan, 2, milestones=1, updates=1)
    small = queries_for(client, DASHBOARD)
    small_filtered = queries_for(client, f"{DASHBOARD}?theme=tema-x&behind_schedule=true")

    add_commitments(plan, 12, milestones=4, updates=3, start=3)
    large = queries_for(client, DASHBOARD)
    large_filtered = queries_for(client, f"{DASHBOARD}?theme=tema-x&behind_schedule=true")

    assert small == large
    assert small_filtered == large_filtered
    assert large <= 10
    assert large_filtered <= 12


def test_plan_list_runs_the_same_few_queries_whatever_the_size(client, plan):
    add_commitments(plan, 1, milestones=1, updates=1)
    small = queries_for(client, "/jalisco/planes/")
    other = ActionPlanFactory(
        exercise=plan.exercise, slug="pal-2019", start_year=2019, end_year=2021
    )
    add_commitments(other, 5, milestones=3, updates=2, start=1)
    add_commitments(plan, 5, milestones=3, updates=2, start=2)
    assert queries_for(client, "/jalisco/planes/") == small <= 5
