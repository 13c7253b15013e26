"""The whole permission matrix of the reporting workflow, through the web.

Only an implementer of the commitment's institution reports; only civil society on the
commitment's committee, who did not report it, verifies. A refused action changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from abierto.core.factories import UserFactory
from abierto.core.models import AuditEntry, Document
from abierto.plans.factories import CommitteeMemberFactory, ProgressUpdateFactory
from abierto.plans.models import CommitteeMember, Milestone, ProgressUpdate, Verification

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _report_url(commitment) -> str:
    return reverse(
        "reporting:report",
        kwargs={
            "exercise": commitment.plan.exercise.slug,
            "plan": commitment.plan.slug,
            "commitment": commitment.slug,
        },
    )


def _state() -> tuple:
    """Everything a refused action must leave as it was."""
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return (
        ProgressUpdate.objects.count(),
        Verification.objects.count(),
        Document.objects.count(),
        AuditEntry.objects.count(),
        list(Milestone.objects.values_list("status", flat=True).order_by("pk")),
        files,
    )


def _report_data(milestone) -> dict:
    return {
        "milestone": milestone.pk,
        "percent": 40,
        "narrative": "Se publicó el **primer** conjunto de datos.",
        "evidence": [SimpleUploadedFile("minuta.pdf", PDF, content_type="application/pdf")],
        "evidence_links": "https://gobiernoabiertojalisco.org.mx/avance",
    }


@pytest.fixture
def update(milestone, implementer):
    return ProgressUpdateFactory(milestone=milestone, reported_by=implementer, percent=30)


@pytest.fixture
def superuser(db):
    """An administrator: manages everything in the admin, but reports and verifies nothing."""
    return UserFactory(username="administradora", is_staff=True, is_superuser=True)


@pytest.fixture
def implementer_on_committee(commitment, implementer):
    """An implementer who also sits on the committee, in the implementers' role."""
    CommitteeMemberFactory(
        committee=commitment.committee, user=implementer, role=CommitteeMember.Role.IMPLEMENTER
    )
    return implementer


@pytest.fixture
def committee_member_who_reported(commitment, milestone, implementing_org):
    """Civil society on the committee whose account also belongs to the implementing institution."""
    member = CommitteeMemberFactory(committee=commitment.committee).user
    member.organization = implementing_org
    member.save()
    return member


# --- report -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_login_to_report(client, commitment, milestone, method):
    url = _report_url(commitment)
    before = _state()

    response = getattr(client, method)(url, _report_data(milestone) if method == "post" else None)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert f"next={url}" in response.url
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona",
    [
        "citizen",
        "outsider_implementer",
        "committee_member",
        "other_committee_member",
        "stl_staff",
        "superuser",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_implementing_institution_may_report(
    client, request, commitment, milestone, persona, method
):
    client.force_login(request.getfixturevalue(persona))
    before = _state()

    url = _report_url(commitment)
    response = getattr(client, method)(url, _report_data(milestone) if method == "post" else None)

    assert response.status_code == 403
    assert _state() == before


@pytest.mark.django_db
def test_implementer_sees_the_report_form(client, implementer, commitment, milestone):
    client.force_login(implementer)

    response = client.get(_report_url(commitment))

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


@pytest.mark.django_db
def test_implementer_reports_progress_with_evidence(client, implementer, commitment, milestone):
    client.force_login(implementer)
    before = _state()

    response = client.post(_report_url(commitment), _report_data(milestone), follow=True)

    assert response.status_code == 200
    assert "Se registró el reporte de avance" in response.content.decode()
    update = ProgressUpdate.objects.get()
    assert (update.percent, update.reported_by, update.milestone) == (40, implementer, milestone)
    assert update.documents.count() == 2
    assert _state()[2] == before[2] + 2
    assert len(_state()[5]) == 1  # the PDF is stored


# --- verify -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_login_to_verify(client, update, method):
    url = reverse("reporting:verify", kwargs={"pk": update.pk})
    before = _state()

    response = getattr(client, method)(url, {"verdict": "confirmed"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona",
    [
        "citizen",
        "outsider_implementer",
        "implementer",
        "implementer_on_committee",
        "other_committee_member",
        "stl_staff",
        "superuser",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_civil_society_on_the_committee_may_verify(client, request, update, persona, method):
    client.force_login(request.getfixturevalue(persona))
    before = _state()

    response = getattr(client, method)(
        reverse("reporting:verify", kwargs={"pk": update.pk}), {"verdict": "confirmed"}
    )

    assert response.status_code == 403
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_reporter_may_not_verify_his_own_report(
    client, committee_member_who_reported, milestone, method
):
    own = ProgressUpdateFactory(milestone=milestone, reported_by=committee_member_who_reported)
    client.force_login(committee_member_who_reported)
    before = _state()

    response = getattr(client, method)(
        reverse("reporting:verify", kwargs={"pk": own.pk}), {"verdict": "confirmed"}
    )

    assert response.status_code == 403
    assert _state() == before


@pytest.mark.django_db
def test_committee_member_confirms_a_progress_update(client, committee_member, update):
    client.force_login(committee_member)
    url = reverse("reporting:verify", kwargs={"pk": update.pk})

    page = client.get(url)
    response = client.post(url, {"verdict": "confirmed", "comment": ""}, follow=True)

    assert page.status_code == 200
    assert response.status_code == 200
    assert "Se registró su validación" in response.content.decode()
    verification = Verification.objects.get()
    assert (verification.verifier, verification.verdict) == (committee_member, "confirmed")


@pytest.mark.django_db
def test_committee_member_disputes_with_a_comment(client, committee_member, update):
    client.force_login(committee_member)

    client.post(
        reverse("reporting:verify", kwargs={"pk": update.pk}),
        {"verdict": "disputed", "comment": "La evidencia no corresponde a la meta."},
    )

    verification = Verification.objects.get()
    assert verification.verdict == "disputed"
    assert verification.comment == "La evidencia no corresponde a la meta."


@pytest.mark.django_db
def test_unknown_progress_update_is_not_found(client, committee_member):
    client.force_login(committee_member)

    assert client.get(reverse("reporting:verify", kwargs={"pk": 999999})).status_code == 404
