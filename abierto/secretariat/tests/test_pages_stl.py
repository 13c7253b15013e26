"""The STL's public pages: members (as in the 2017 annual report), sessions, agreements."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.core.factories import (
    DocumentFactory,
    ExerciseFactory,
    JurisdictionFactory,
    OrganizationFactory,
)
from abierto.core.models import DatePrecision, Jurisdiction
from abierto.secretariat.factories import (
    AgreementFactory,
    LiaisonFactory,
    MembershipFactory,
    SeatFactory,
    SecretariatFactory,
    SessionFactory,
)
from abierto.secretariat.models import Agreement, GovernanceMechanism, Membership

pytestmark = pytest.mark.django_db

STL = "/jalisco/stl/"


@pytest.fixture
def stl():
    jalisco = JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco")
    exercise = ExerciseFactory(jurisdiction=jalisco, name="Gobierno Abierto Jalisco")
    return SecretariatFactory(exercise=exercise, name="Secretariado Técnico Local de Jalisco")


def _section(page: str, start_id: str, end_id: str) -> str:
    return page[page.index(f'id="{start_id}"') : page.index(f'id="{end_id}"')]


def test_members_table_shows_member_post_sector_and_role(client, stl):
    seat = SeatFactory(secretariat=stl, name="Poder Ejecutivo del Estado", position=2)
    MembershipFactory(
        seat=seat,
        person_name="Jorge Aristóteles Sandoval Díaz",
        post="Gobernador Constitucional del Estado de Jalisco",
    )
    MembershipFactory(
        seat=seat,
        role=Membership.Role.ALTERNATE,
        person_name="Sonia Carolina Toro Morales",
        post="Subsecretario de Planeación y Evaluación",
    )

    page = client.get(STL).content.decode()

    titulares = _section(page, "tabla-titulares", "tabla-suplentes")
    assert "Jorge Aristóteles Sandoval Díaz" in titulares
    assert "Gobernador Constitucional del Estado de Jalisco" in titulares
    assert "Poder Ejecutivo del Estado" in titulares
    assert "Titular" in titulares
    suplentes = _section(page, "tabla-suplentes", "historial")
    assert "Sonia Carolina Toro Morales" in suplentes
    assert "Suplente" in suplentes
    assert '<th scope="col">' in page and "<caption" in page


def test_vacant_seat_shows_vacante(client, stl):
    SeatFactory(secretariat=stl, name="Comunidad Tecnológica de la Sociedad Civil")

    page = client.get(STL).content.decode()

    titulares = _section(page, "tabla-titulares", "historial")
    assert "Vacante" in titulares
    assert "Comunidad Tecnológica de la Sociedad Civil" in titulares


def test_resigned_member_appears_in_history_not_in_the_current_table(client, stl):
    seat = SeatFactory(secretariat=stl, name="Poder Legislativo del Estado")
    MembershipFactory(
        seat=seat,
        person_name="Diputado que renunció",
        end_on=dt.date(2017, 8, 15),
        end_reason=Membership.EndReason.RESIGNATION,
    )

    page = client.get(STL).content.decode()

    current = _section(page, "integracion", "historial")
    assert "Diputado que renunció" not in current
    assert "Vacante" in current
    history = page[page.index('id="historial"') : page.index('id="enlaces"')]
    assert "Diputado que renunció" in history
    assert "Renuncia" in history
    assert "15 de agosto de 2017" in history


def test_liaisons_invited_municipalities_and_governance_are_shown(client, stl):
    LiaisonFactory(secretariat=stl, organization=OrganizationFactory(name="COPARMEX"))
    state = stl.exercise.jurisdiction
    stl.invited_municipalities.add(
        Jurisdiction.objects.create(
            inegi_code="14039",
            name="Guadalajara",
            slug="guadalajara",
            kind=Jurisdiction.Kind.MUNICIPALITY,
            parent=state,
        )
    )
    session = SessionFactory(secretariat=stl, number=4)
    GovernanceMechanism.objects.create(
        secretariat=stl,
        title="Mecanismo de Gobernanza",
        summary="Relevo **escalonado** de los miembros.",
        approved_at=session,
    )

    page = client.get(STL).content.decode()

    assert "COPARMEX" in page
    assert "Guadalajara" in page
    assert "Relevo <strong>escalonado</strong> de los miembros." in page
    assert "sesión ordinaria número 4" in page


def test_members_download_has_current_vacant_and_ended_rows(client, stl):
    seat = SeatFactory(secretariat=stl, name="Académico")
    MembershipFactory(seat=seat, person_name="José Morales Orozco")
    SeatFactory(secretariat=stl, name="Poder Legislativo")
    MembershipFactory(
        seat=SeatFactory(secretariat=stl, name="Ayuntamientos"),
        person_name="Quien renunció",
        end_on=dt.date(2017, 8, 1),
        end_reason=Membership.EndReason.RESIGNATION,
    )

    response = client.get(f"{STL}?format=json")
    rows = json.loads(b"".join(response.streaming_content))

    states = {(row["lugar"], row["estado"]) for row in rows}
    assert ("Académico", "vigente") in states
    assert ("Poder Legislativo", "vacante") in states
    assert ("Ayuntamientos", "renuncia") in states
    csv_text = b"".join(client.get(f"{STL}?format=csv").streaming_content).decode("utf-8")
    assert csv_text.startswith("\ufefflugar,sector")
    assert "José Morales Orozco" in csv_text


def test_sessions_show_dates_with_their_precision_and_agreements(client, stl):
    session = SessionFactory(
        secretariat=stl,
        number=4,
        held_on=dt.date(2017, 8, 1),
        held_on_precision=DatePrecision.MONTH,
    )
    AgreementFactory(
        session=session,
        text="Se aprueba el proyecto LIIGA.",
        status=Agreement.Status.DONE,
        done_on=dt.date(2017, 12, 1),
    )
    DocumentFactory(attached_to=session, title="Minuta de la cuarta sesión")

    listing = client.get(f"{STL}sesiones/").content.decode()
    assert "Sesión ordinaria número 4" in listing
    assert "agosto de 2017" in listing
    assert "1 de agosto" not in listing
    assert "Se aprueba el proyecto LIIGA." in listing
    assert "Cumplido" in listing

    detail = client.get(f"{STL}sesiones/{session.pk}/").content.decode()
    assert "Minuta de la cuarta sesión" in detail
    assert "1 de diciembre de 2017" in detail


def test_agreements_filter_by_status(client, stl):
    session = SessionFactory(secretariat=stl)
    AgreementFactory(session=session, text="Acuerdo ya cumplido", status=Agreement.Status.DONE)
    AgreementFactory(session=session, text="Acuerdo pendiente", status=Agreement.Status.PENDING)

    page = client.get(f"{STL}acuerdos/?status=pending").content.decode()

    assert "Acuerdo pendiente" in page
    assert "Acuerdo ya cumplido" not in page
    assert '<label for="id_status">Estado</label>' in page
    rows = json.loads(
        b"".join(client.get(f"{STL}acuerdos/?status=done&format=json").streaming_content)
    )
    assert [row["acuerdo"] for row in rows] == ["Acuerdo ya cumplido"]


def test_unknown_exercise_session_or_stl_is_not_found(client, stl):
    other = SecretariatFactory()
    foreign = SessionFactory(secretariat=other)
    ExerciseFactory(slug="sin-stl")

    assert client.get("/no-existe/stl/").status_code == 404
    assert client.get("/sin-stl/stl/").status_code == 404
    assert client.get(f"{STL}sesiones/{foreign.pk}/").status_code == 404
    assert client.get(f"{STL}sesiones/999999/").status_code == 404


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def _grow(stl, seats: int) -> None:
    for _ in range(seats):
        seat = SeatFactory(secretariat=stl)
        MembershipFactory(seat=seat, organization=OrganizationFactory())
        MembershipFactory(seat=seat, role=Membership.Role.ALTERNATE)
        MembershipFactory(seat=seat, end_on=dt.date(2016, 12, 31), end_reason="replaced")
        LiaisonFactory(secretariat=stl)
        session = SessionFactory(secretariat=stl)
        AgreementFactory(session=session)
        DocumentFactory(attached_to=session)


def test_stl_pages_run_the_same_few_queries_whatever_their_size(client, stl):
    _grow(stl, 1)
    urls = [STL, f"{STL}sesiones/", f"{STL}acuerdos/?status=pending"]
    small = [_count(client, url) for url in urls]
    _grow(stl, 8)
    large = [_count(client, url) for url in urls]
    assert small == large
    assert max(large) <= 7
