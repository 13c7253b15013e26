"""A commitment's public page: what it is, its milestones, its public progress timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from abierto.core.factories import DocumentFactory, OrganizationFactory, UserFactory
from abierto.core.models import Document
from abierto.plans.factories import (
    CommitteeMemberFactory,
    MeetingFactory,
    MilestoneFactory,
    PillarFactory,
    ProgressUpdateFactory,
    VerificationFactory,
)
from abierto.plans.models import CommitteeMember, Meeting, ProgressUpdate, Verification

pytestmark = pytest.mark.django_db


def url_of(commitment) -> str:
    plan = commitment.plan
    return f"/{plan.exercise.slug}/planes/{plan.slug}/compromisos/{commitment.slug}/"


def attach(document_owner, **kwargs) -> Document:
    return DocumentFactory(attached_to=document_owner, **kwargs)


@pytest.fixture
def reporter(implementing_org):
    return UserFactory(
        first_name="Ana",
        last_name="Reportera",
        email="ana.reportera@correo.example",
        organization=implementing_org,
        password=None,
    )


def test_commitment_page_shows_what_it_is_and_who_does_it(client, commitment, milestone):
    commitment.problem = "Desconfianza entre vecinos y policía."
    commitment.partners.add(OrganizationFactory(name="Corporativa de Fundaciones"))
    commitment.pillars.add(PillarFactory(code="rendicion", name="Rendición de cuentas"))
    commitment.save()

    page = client.get(url_of(commitment)).content.decode()

    assert commitment.title in page
    assert "Problema público" in page and "Desconfianza entre vecinos y policía." in page
    assert "Objetivo del compromiso." in page
    assert "Secretaría de Planeación" in page
    assert "Corporativa de Fundaciones" in page
    assert "Rendición de cuentas" in page
    assert "Sin iniciar" in page
    assert milestone.description in page
    assert 'lang="es"' in page


def test_milestones_show_weight_latest_percent_and_status(client, commitment, reporter):
    milestone = MilestoneFactory(commitment=commitment, weight=4, description="Instalar comités")
    ProgressUpdateFactory(
        milestone=milestone,
        percent=30,
        reported_by=reporter,
        reported_at=timezone.now() - dt.timedelta(days=2),
    )
    ProgressUpdateFactory(milestone=milestone, percent=60, reported_by=reporter)

    page = client.get(url_of(commitment)).content.decode()

    assert "Instalar comités" in page
    assert '<td data-label="Peso">4</td>' in page
    assert "60,0 %" in page
    assert "Programada" in page


def test_timeline_is_newest_first_with_public_name_and_never_the_email(client, milestone, reporter):
    ProgressUpdateFactory(
        milestone=milestone,
        percent=20,
        narrative="Primer reporte",
        reported_by=reporter,
        reported_at=timezone.now() - dt.timedelta(days=10),
    )
    ProgressUpdateFactory(
        milestone=milestone, percent=70, narrative="Segundo reporte", reported_by=reporter
    )

    page = client.get(url_of(milestone.commitment)).content.decode()

    assert page.index("Segundo reporte") < page.index("Primer reporte")
    assert "Reportado por Ana Reportera" in page
    assert "ana.reportera@correo.example" not in page
    assert "@correo.example" not in page


def test_narrative_is_rendered_as_sanitised_markdown(client, milestone, reporter):
    ProgressUpdateFactory(
        milestone=milestone,
        narrative='**Listo** <script>alert("x")</script> <img src=x onerror=alert(1)>',
        reported_by=reporter,
    )

    page = client.get(url_of(milestone.commitment)).content.decode()

    assert "<strong>Listo</strong>" in page
    assert 'alert("x")' not in page
    assert "onerror" not in page


def test_timeline_shows_evidence_verifications_and_corrections(client, milestone, reporter):
    first = ProgressUpdateFactory(
        milestone=milestone,
        percent=90,
        reported_by=reporter,
        reported_at=timezone.now() - dt.timedelta(days=3),
    )
    attach(first, title="Minuta del comité", kind=Document.Kind.EVIDENCE)
    verifier = UserFactory(first_name="Luis", last_name="Validador", password=None)
    VerificationFactory(
        update=first,
        verifier=verifier,
        verdict=Verification.Verdict.DISPUTED,
        comment="La minuta no respalda el 90 %.",
    )
    correction = ProgressUpdateFactory(
        milestone=milestone, percent=60, reported_by=reporter, corrects=first
    )
    VerificationFactory(update=correction, verifier=verifier)

    page = client.get(url_of(milestone.commitment)).content.decode()

    assert "Minuta del comité" in page
    assert "Objetado</strong> por Luis Validador" in page
    assert "La minuta no respalda el 90 %." in page
    assert "Confirmado</strong> por Luis Validador" in page
    assert f'href="#avance-{first.pk}"' in page
    assert "Corrige el reporte del" in page
    assert "Este reporte fue corregido" in page


def test_report_link_only_for_the_implementing_institution(
    client, commitment, implementer, outsider_implementer
):
    assert "Reportar avance" not in client.get(url_of(commitment)).content.decode()

    client.force_login(outsider_implementer)
    assert "Reportar avance" not in client.get(url_of(commitment)).content.decode()

    client.force_login(implementer)
    page = client.get(url_of(commitment)).content.decode()
    assert "Reportar avance" in page
    assert f"{url_of(commitment)}reportar/" in page


def test_verify_link_only_for_civil_society_on_the_committee(
    client, milestone, implementer, committee_member, other_committee_member
):
    update = ProgressUpdateFactory(milestone=milestone, reported_by=implementer)
    verify_url = f"/avances/{update.pk}/validar/"

    assert verify_url not in client.get(url_of(milestone.commitment)).content.decode()
    client.force_login(other_committee_member)
    assert verify_url not in client.get(url_of(milestone.commitment)).content.decode()
    client.force_login(committee_member)
    assert verify_url in client.get(url_of(milestone.commitment)).content.decode()


def test_committee_members_meetings_and_documents_are_listed(client, commitment):
    CommitteeMemberFactory(
        committee=commitment.committee,
        user=None,
        person_name="María Sociedad",
        organization=OrganizationFactory(name="CIDES"),
    )
    meeting = MeetingFactory(
        exercise=commitment.plan.exercise,
        kind=Meeting.Kind.COMMITTEE,
        committee=commitment.committee,
        held_on=dt.date(2017, 5, 10),
        minutes="Se revisó el avance.",
    )
    attach(meeting, title="Minuta de mayo")
    attach(commitment, title="Nota periodística", kind=Document.Kind.PRESS_NOTE)

    page = client.get(url_of(commitment)).content.decode()

    assert "María Sociedad, CIDES" in page
    assert "sociedad civil" in page
    assert "10 de mayo de 2017" in page
    assert "Se revisó el avance." in page
    assert "Minuta de mayo" in page
    assert "Nota periodística" in page
    assert CommitteeMember.objects.filter(committee=commitment.committee).exists()


def test_unknown_commitment_plan_or_exercise_is_not_found(client, commitment):
    plan = commitment.plan
    base = f"/{plan.exercise.slug}/planes/{plan.slug}/compromisos/"
    assert client.get(f"{base}no-existe/").status_code == 404
    assert (
        client.get(f"/{plan.exercise.slug}/planes/otro/compromisos/{commitment.slug}/").status_code
        == 404
    )
    assert client.get(f"/otro/planes/{plan.slug}/compromisos/{commitment.slug}/").status_code == 404


def _fill(commitment, reporter, *, milestones: int, updates: int) -> None:
    verifier = UserFactory(password=None)
    for position in range(milestones):
        milestone = MilestoneFactory(commitment=commitment, position=position + 10)
        for index in range(updates):
            update = ProgressUpdateFactory(milestone=milestone, percent=index, reported_by=reporter)
            attach(update, title=f"Evidencia {position}-{index}")
            VerificationFactory(update=update, verifier=verifier)
    for _ in range(milestones):
        meeting = MeetingFactory(
            exercise=commitment.plan.exercise,
            kind=Meeting.Kind.COMMITTEE,
            committee=commitment.committee,
        )
        attach(meeting)
        CommitteeMemberFactory(committee=commitment.committee, user=None, person_name="X")


def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_commitment_page_runs_the_same_few_queries_whatever_the_timeline_size(
    client, commitment, reporter
):
    _fill(commitment, reporter, milestones=1, updates=2)
    small = _count(client, url_of(commitment))

    _fill(commitment, reporter, milestones=4, updates=10)
    assert ProgressUpdate.objects.count() > 40
    large = _count(client, url_of(commitment))

    assert small == large <= 16
