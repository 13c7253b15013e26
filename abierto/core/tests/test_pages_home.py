"""The home page: the exercise at a glance, with figures computed from the data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.core.factories import (
    DocumentFactory,
    ExerciseFactory,
    JurisdictionFactory,
    UserFactory,
)
from abierto.core.models import ReportedFigure
from abierto.plans.factories import (
    ActionPlanFactory,
    CommitmentFactory,
    MilestoneFactory,
    PillarFactory,
    ProgressUpdateFactory,
)
from abierto.plans.models import Completion
from abierto.secretariat.factories import (
    MembershipFactory,
    SeatFactory,
    SecretariatFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def jalisco():
    return ExerciseFactory(
        jurisdiction=JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco"),
        name="Gobierno Abierto Jalisco",
    )


def test_home_without_exercises_is_a_friendly_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Todavía no hay ningún ejercicio" in response.content.decode()


def test_home_shows_the_default_exercise_with_its_pillars(client, jalisco, settings):
    settings.DEFAULT_EXERCISE = "jalisco"
    ExerciseFactory(jurisdiction=JurisdictionFactory(inegi_code="01"), name="Otro ejercicio")
    for position, name in enumerate(
        ["Transparencia", "Rendición de cuentas", "Participación ciudadana", "Tecnología"]
    ):
        PillarFactory(code=f"p{position}", name=name)

    page = client.get("/").content.decode()

    assert "<h1>Gobierno Abierto Jalisco</h1>" in page
    assert "Otro ejercicio" not in page
    for name in ("Transparencia", "Rendición de cuentas", "Participación ciudadana"):
        assert name in page
    assert 'href="/jalisco/stl/"' in page
    assert 'href="/jalisco/planes/"' in page
    assert 'href="/api/docs/"' in page


def test_home_falls_back_to_the_first_exercise(client, jalisco, settings):
    settings.DEFAULT_EXERCISE = "no-existe"
    assert "Gobierno Abierto Jalisco" in client.get("/").content.decode()


def test_home_figures_are_computed_and_reported_totals_name_their_source(client, jalisco):
    plan = ActionPlanFactory(exercise=jalisco, title="Plan de Acción Local 2016-2018")
    done = CommitmentFactory(plan=plan, completion=Completion.COMPLETE)
    ProgressUpdateFactory(milestone=MilestoneFactory(commitment=done), percent=100)
    MilestoneFactory(commitment=CommitmentFactory(plan=plan))
    stl = SecretariatFactory(exercise=jalisco)
    MembershipFactory(seat=SeatFactory(secretariat=stl))
    MembershipFactory(seat=SeatFactory(secretariat=stl))
    SessionFactory(secretariat=stl, number=6)
    ReportedFigure.objects.create(
        exercise=jalisco,
        metric=ReportedFigure.Metric.COMMITTEE_MEETINGS,
        period_start=dt.date(2017, 1, 1),
        period_end=dt.date(2017, 12, 31),
        value=30,
        source="Informe anual 2017",
    )

    page = client.get("/jalisco/").content.decode()

    assert "compromisos en el Plan de Acción Local 2016-2018" in page
    assert "compromiso con cumplimiento completo" in page
    assert "50,0 %" in page
    assert "integrantes vigentes del STL" in page
    assert "sesión del STL registrada" in page
    assert "reuniones de comités de acompañamiento" in page
    assert "(según Informe anual 2017)" in page
    assert "Sesión ordinaria número 6" in page


def test_home_lists_latest_activity_without_emails(client, jalisco):
    plan = ActionPlanFactory(exercise=jalisco)
    reporter = UserFactory(first_name="Ana", last_name="Reportera", email="ana@correo.example")
    update = ProgressUpdateFactory(
        milestone=MilestoneFactory(commitment=CommitmentFactory(plan=plan, title="Padrón")),
        reported_by=reporter,
        percent=40,
    )
    DocumentFactory(attached_to=update, title="Fotografía del taller")

    page = client.get("/").content.decode()

    assert "Padrón" in page
    assert "reportado por Ana Reportera" in page
    assert "Fotografía del taller" in page
    assert "ana@correo.example" not in page


def test_unknown_exercise_home_is_not_found(client, jalisco):
    assert client.get("/no-existe/").status_code == 404


def test_home_runs_the_same_few_queries_whatever_the_data_size(client, jalisco):
    plan = ActionPlanFactory(exercise=jalisco)
    stl = SecretariatFactory(exercise=jalisco)
    reporter = UserFactory(password=None)

    def grow(n):
        for _ in range(n):
            milestone = MilestoneFactory(commitment=CommitmentFactory(plan=plan))
            update = ProgressUpdateFactory(milestone=milestone, reported_by=reporter)
            DocumentFactory(attached_to=update)
            MembershipFactory(seat=SeatFactory(secretariat=stl))
            SessionFactory(secretariat=stl)

    def count():
        client.get("/")
        with CaptureQueriesContext(connection) as context:
            assert client.get("/").status_code == 200
        return len(context.captured_queries)

    grow(1)
    small = count()
    grow(10)
    assert count() == small <= 12
