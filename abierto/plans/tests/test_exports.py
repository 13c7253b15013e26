"""CSV and JSON downloads of the plans' public lists: right rows, no personal data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from abierto.core.factories import (
    DocumentFactory,
    ExerciseFactory,
    JurisdictionFactory,
    OrganizationFactory,
    UserFactory,
)
from abierto.plans.factories import (
    ActionPlanFactory,
    CommitmentFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    ThemeFactory,
    VerificationFactory,
)
from abierto.plans.models import Completion, Verification
from abierto.secretariat.factories import AgreementFactory, SecretariatFactory, SessionFactory

pytestmark = pytest.mark.django_db

PLAN = "/jalisco/planes/pal/"


@pytest.fixture
def plan():
    exercise = ExerciseFactory(
        jurisdiction=JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco")
    )
    return ActionPlanFactory(exercise=exercise, slug="pal", title="Plan de Acción Local 2016-2018")


@pytest.fixture
def reporter():
    return UserFactory(
        first_name="Ana",
        last_name="Reportera",
        email="ana.reportera@correo.example",
        phone="33 1234 5678",
        password=None,
    )


def download(client, url: str) -> tuple[StreamingHttpResponse, str]:
    response = client.get(url)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return response, b"".join(response.streaming_content).decode("utf-8")


def csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "CSV lleva BOM para que Excel lea los acentos"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_commitments_csv_has_one_row_per_commitment_with_progress(client, plan):
    org = OrganizationFactory(name="Secretaría de Educación")
    first = CommitmentFactory(
        plan=plan,
        number=1,
        title="Plataforma para la formación de docentes",
        completion=Completion.COMPLETE,
        lead_implementers=[org],
    )
    ProgressUpdateFactory(milestone=MilestoneFactory(commitment=first), percent=100)
    CommitmentFactory(plan=plan, number=2, title="Padrón de jornaleros agrícolas")

    response, text = download(client, f"{PLAN}?format=csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="compromisos-jalisco-pal.csv"' in response["Content-Disposition"]
    rows = csv_rows(text)
    assert [row["numero"] for row in rows] == ["1", "2"]
    assert rows[0]["compromiso"] == "Plataforma para la formación de docentes"
    assert rows[0]["avance_porcentaje"] == "100.0"
    assert rows[0]["nivel_cumplimiento"] == "completo"
    assert rows[0]["implementadores"] == "Secretaría de Educación"
    assert rows[1]["avance_porcentaje"] == "0.0"  # not started and no milestones: 0 for sure


def test_commitments_json_follows_the_dashboard_filters(client, plan):
    CommitmentFactory(plan=plan, number=1, title="Educación", theme=ThemeFactory(slug="edu"))
    CommitmentFactory(plan=plan, number=2, title="Seguridad", theme=ThemeFactory(slug="seg"))

    response, text = download(client, f"{PLAN}?theme=edu&format=json")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    rows = json.loads(text)
    assert [row["compromiso"] for row in rows] == ["Educación"]
    assert rows[0]["url"].endswith("/jalisco/planes/pal/compromisos/" + rows[0]["slug"] + "/")


def test_milestones_download_has_weight_percent_and_overdue(client, plan):
    commitment = CommitmentFactory(plan=plan, number=3)
    milestone = MilestoneFactory(commitment=commitment, position=1, weight=5, description="Meta A")
    ProgressUpdateFactory(milestone=milestone, percent=40)

    _, text = download(client, f"{PLAN}metas.json")
    rows = json.loads(text)

    assert rows == [
        {
            "compromiso_numero": 3,
            "compromiso": commitment.title,
            "meta_numero": 1,
            "meta": "Meta A",
            "peso": 5,
            "inicio": "2017-01-01",
            "fecha_limite": "2030-12-31",
            "estado": "programada",
            "avance_porcentaje": 40,
            "vencida": False,
        }
    ]
    assert csv_rows(download(client, f"{PLAN}metas.csv")[1])[0]["meta"] == "Meta A"


def test_progress_updates_download_names_the_reporter_but_never_their_email_or_phone(
    client, plan, reporter
):
    milestone = MilestoneFactory(commitment=CommitmentFactory(plan=plan))
    update = ProgressUpdateFactory(
        milestone=milestone, percent=70, narrative="=HYPERLINK(1)", reported_by=reporter
    )
    DocumentFactory(attached_to=update, url="https://example.org/evidencia.pdf")
    VerificationFactory(update=update, verifier=UserFactory(password=None))
    VerificationFactory(
        update=update, verifier=UserFactory(password=None), verdict=Verification.Verdict.DISPUTED
    )

    for fmt in ("csv", "json"):
        _, text = download(client, f"{PLAN}avances.{fmt}")
        assert "Ana Reportera" in text
        assert "correo.example" not in text
        assert "1234" not in text

    row = csv_rows(download(client, f"{PLAN}avances.csv")[1])[0]
    assert row["avance_porcentaje"] == "70"
    assert row["validaciones_confirmadas"] == "1"
    assert row["validaciones_objetadas"] == "1"
    assert row["evidencias"] == "https://example.org/evidencia.pdf"
    # A spreadsheet must not run user text as a formula; JSON keeps the text as written.
    assert row["descripcion"] == "'=HYPERLINK(1)"
    assert json.loads(download(client, f"{PLAN}avances.json")[1])[0]["descripcion"] == (
        "=HYPERLINK(1)"
    )


def test_plan_list_download(client, plan):
    ActionPlanFactory(exercise=plan.exercise, slug="borrador", status="draft")
    rows = json.loads(download(client, "/jalisco/planes/?format=json")[1])
    assert [row["slug"] for row in rows] == ["pal"]


def test_sessions_download(client, plan):
    session = SessionFactory(secretariat=SecretariatFactory(exercise=plan.exercise), number=5)
    AgreementFactory(session=session)
    rows = csv_rows(download(client, "/jalisco/stl/sesiones/?format=csv")[1])
    assert rows[0]["sesion"] == "Sesión ordinaria número 5"
    assert rows[0]["acuerdos"] == "1"


def test_unknown_format_or_plan_is_not_a_download(client, plan):
    assert client.get(f"{PLAN}metas.xml").status_code == 404
    assert client.get("/jalisco/planes/otro/metas.csv").status_code == 404
    response = client.get(f"{PLAN}?format=xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
