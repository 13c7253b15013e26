"""The national view: page, downloads, API, map, demo data and query counts."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from abierto.core.factories import ExerciseFactory, JurisdictionFactory
from abierto.core.models import AuditEntry, Exercise, Jurisdiction
from abierto.plans.factories import ActionPlanFactory, CommitmentFactory, ThemeFactory
from abierto.plans.models import ActionPlan
from abierto.reports import services
from abierto.reports.mexico_map import GRID
from abierto.reports.models import NationalFigure, Stage, StageReport
from abierto.secretariat.factories import SecretariatFactory

MISSING = ["Aguascalientes", "Puebla", "Nayarit", "Tamaulipas", "Yucatán"]
SOURCE = "INAI, comunicado INAI/001/19, 1 de enero de 2019"


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]+)<', html))


def _content(response) -> str:
    return (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )


@pytest.fixture
def demo(jalisco_demo):
    """The demo as `manage.py load_demo` leaves it (loaded once for the module)."""


@pytest.fixture
def three_exercises(db):
    """3 exercises, 2 installed STLs, 1 published plan with 4 commitments (and a draft)."""
    exercises = [
        ExerciseFactory(jurisdiction=JurisdictionFactory(inegi_code=c)) for c in ("08", "10", "14")
    ]
    for exercise in exercises[:2]:
        SecretariatFactory(exercise=exercise, installed_on=dt.date(2016, 5, 1))
    plan = ActionPlanFactory(exercise=exercises[0], start_year=2019, end_year=2020)
    theme = ThemeFactory(name="Transparencia", slug="transparencia")
    for _ in range(4):
        CommitmentFactory(plan=plan, theme=theme)
    draft = ActionPlanFactory(exercise=exercises[2], status=ActionPlan.Status.DRAFT)
    CommitmentFactory(plan=draft)
    return exercises


def test_the_national_page_shows_the_seed_003_figures_and_the_missing_states(client, demo):
    response = client.get(reverse("reports:national"))
    assert response.status_code == 200
    html = response.content.decode()
    figures = _figures(html)
    assert figures["exercises"] == "27"
    assert figures["stl_installed"] == "18"
    assert figures["plans_published"] == "12"
    assert figures["commitments"] == "71"
    assert figures["authorities"] == "80"
    assert figures["civil_society_organizations"] == "más de 120"
    assert SOURCE in html
    missing = re.search(r'<ul class="missing-states">(.*?)</ul>', html, re.S).group(1)
    assert sorted(re.findall(r"<li>([^<]+)</li>", missing)) == sorted(MISSING)
    assert '<a href="/jalisco/">Jalisco</a>' in html
    assert "Hacienda pública" in html  # reported agendas
    assert "Vista nacional" in html


def test_the_reported_plans_total_includes_jalisco_instead_of_adding_it(client, demo):
    assert ActionPlan.objects.public().count() == 1
    html = client.get(reverse("reports:national")).content.decode()
    assert "Incluye 1 con detalle disponible" in html
    assert "Incluye 7 con detalle disponible" in html


def test_the_api_returns_the_same_figures_and_stages(client, demo):
    response = client.get("/api/v1/national/")
    assert response.status_code == 200
    data = response.json()
    values = {f["key"]: f["value"] for f in data["figures"]}
    assert values == {
        "exercises": 27,
        "stl_installed": 18,
        "plans_published": 12,
        "commitments": 71,
        "authorities": 80,
        "civil_society_organizations": 120,
    }
    cso = next(f for f in data["figures"] if f["key"] == "civil_society_organizations")
    assert cso["at_least"] is True and cso["sources"] == [SOURCE]
    assert sorted(data["missing_states"]) == sorted(MISSING)
    assert len(data["states"]) == 32
    jalisco = next(s for s in data["states"] if s["inegi_code"] == "14")
    assert jalisco["stage"] == "second_cycle_pending" and jalisco["exercise"] == "jalisco"
    assert jalisco["plans"] == 1 and jalisco["commitments"] == 7


def test_the_api_is_in_the_openapi_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/national/" in schema
    assert "NationalOverview" in schema


def test_figures_come_from_rows_when_no_total_is_reported(client, three_exercises):
    figures = _figures(client.get(reverse("reports:national")).content.decode())
    assert (figures["exercises"], figures["stl_installed"]) == ("3", "2")
    assert (figures["plans_published"], figures["commitments"]) == ("1", "4")
    assert "authorities" not in figures
    data = client.get("/api/v1/national/").json()
    assert [t["count"] for t in data["commitments_by_theme"]] == [4]


def test_a_draft_plan_does_not_count(client, three_exercises):
    data = client.get("/api/v1/national/").json()
    state = next(s for s in data["states"] if s["inegi_code"] == "14")
    assert state["plan_published"] is False and state["plans"] == 0


def test_a_reported_total_supersedes_earlier_rows_and_names_its_source(client, three_exercises):
    for metric, value in (("plans_published", 12), ("commitments", 71)):
        services.national_figure_record(
            metric=metric,
            value=value,
            as_of=dt.date(2019, 12, 1),
            as_of_precision="month",
            source="Fuente de prueba",
        )
    html = client.get(reverse("reports:national")).content.decode()
    figures = _figures(html)
    assert (figures["plans_published"], figures["commitments"]) == ("12", "71")
    assert "Fuente de prueba" in html and "diciembre de 2019" in html


def test_rows_dated_after_a_reported_total_are_added(client, three_exercises):
    services.national_figure_record(
        metric="plans_published", value=12, as_of=dt.date(2018, 12, 1), source="Fuente"
    )
    data = client.get("/api/v1/national/").json()
    plans = next(f for f in data["figures"] if f["key"] == "plans_published")
    assert (plans["value"], plans["reported"], plans["added"]) == (13, 12, 1)
    assert AuditEntry.objects.filter(verb="national_figure_record").count() == 1


def test_a_reported_stage_counts_a_state_once(client, three_exercises):
    state = three_exercises[0].jurisdiction
    services.stage_report_record(
        jurisdiction=state, stage=Stage.STL_INSTALLED, as_of=dt.date(2018, 12, 1), source="F"
    )
    other = JurisdictionFactory(inegi_code="20")
    services.stage_report_record(
        jurisdiction=other, stage=Stage.STL_INSTALLED, as_of=dt.date(2018, 12, 1), source="F"
    )
    figures = _figures(client.get(reverse("reports:national")).content.decode())
    assert (figures["exercises"], figures["stl_installed"]) == ("4", "3")


def test_the_map_has_the_32_states_with_accessible_names(client, demo):
    html = client.get(reverse("reports:national")).content.decode()
    svg = re.search(r'<svg class="chart tile-map".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    tiles = re.findall(r'<g class="map-state" data-inegi="(\d\d)"><title>([^<]+)</title>', svg)
    assert len(tiles) == 32 == len({code for code, _ in tiles})
    names = dict(tiles)
    assert names["14"] == "Jalisco: por iniciar su segundo ciclo"
    assert names["21"] == "Puebla: sin ejercicio local"
    assert "style=" not in svg and "<script" not in html


def test_the_grid_places_32_states_in_distinct_squares():
    assert len(GRID) == 32
    assert len({(column, row) for _abbr, column, row in GRID.values()}) == 32


def test_the_states_table_downloads_as_csv_and_json(client, demo):
    response = client.get(reverse("reports:national"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = _content(response).strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("clave_inegi,entidad,etapa")
    assert len(lines) == 33
    response = client.get(reverse("reports:national"), {"format": "json"})
    rows = json.loads(_content(response))
    jalisco = next(r for r in rows if r["clave_inegi"] == "14")
    assert jalisco["etapa"] == "second_cycle_pending" and jalisco["ejercicio_url"] == "/jalisco/"
    assert sum(r["ejercicio_local"] for r in rows) == 27


def _exercise_with_everything(code: str) -> Exercise:
    exercise = ExerciseFactory(jurisdiction=JurisdictionFactory(inegi_code=code))
    SecretariatFactory(exercise=exercise, installed_on=dt.date(2016, 1, 1))
    CommitmentFactory(plan=ActionPlanFactory(exercise=exercise), theme=ThemeFactory())
    StageReport.objects.create(
        jurisdiction=exercise.jurisdiction,
        stage=Stage.SECOND_CYCLE_PENDING,
        as_of=dt.date(2018, 12, 1),
        source="F",
    )
    return exercise


@pytest.mark.parametrize("url", ["/nacional/", "/api/v1/national/"])
def test_the_national_view_costs_the_same_queries_for_1_or_32_exercises(
    client, db, django_assert_num_queries, url
):
    NationalFigure.objects.create(
        metric="authorities", value=80, as_of=dt.date(2018, 12, 1), source="F"
    )
    _exercise_with_everything("01")
    with django_assert_num_queries(6) as one:
        assert client.get(url).status_code == 200
    for code in range(2, 33):
        _exercise_with_everything(f"{code:02d}")
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


def test_loading_the_demo_twice_changes_nothing(demo):
    entries = AuditEntry.objects.count()
    counts = (Exercise.objects.count(), StageReport.objects.count(), NationalFigure.objects.count())
    call_command("load_demo", verbosity=0)
    assert AuditEntry.objects.count() == entries
    assert counts == (27, 27 + 18 + 10 + 5, 4)
    assert (Exercise.objects.count(), StageReport.objects.count()) == counts[:2]
    assert Jurisdiction.objects.filter(kind="state").count() == 32
    assert Exercise.objects.get(slug="jalisco").name == "Gobierno Abierto Jalisco"


def test_an_exercise_home_created_by_the_national_demo_opens(client, demo):
    assert client.get("/durango/").status_code == 200
