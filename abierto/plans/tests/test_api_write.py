"""The two writes of the REST API, through HTTP with tokens: the whole permission matrix,
bad input, and immutability. A refused request changes nothing, not even the media folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from abierto.core.models import AuditEntry, Document
from abierto.plans.factories import (
    ActionPlanFactory,
    CommitmentFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
)
from abierto.plans.models import Milestone, ProgressUpdate, Verification

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PROGRESS = "/api/v1/progress-updates/"
VERIFICATIONS = "/api/v1/verifications/"


def _state() -> tuple:
    """Everything a refused request must leave as it was."""
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


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _report(target, **overrides) -> dict:
    return {
        "milestone": target.pk,
        "percent": 40,
        "narrative": "Se publicó el primer conjunto de datos.",
        "evidence_links": ["https://gobiernoabiertojalisco.org.mx/avance"],
        **overrides,
    }


@pytest.fixture
def update(milestone, implementer):
    return ProgressUpdateFactory(milestone=milestone, reported_by=implementer, percent=30)


@pytest.fixture
def personas(
    implementer,
    outsider_implementer,
    committee_member,
    other_committee_member,
    stl_staff,
    citizen,
):
    return {
        "implementer": implementer,
        "outsider_implementer": outsider_implementer,
        "committee_member": committee_member,
        "other_committee_member": other_committee_member,
        "stl_staff": stl_staff,
        "citizen": citizen,
    }


# --- progress updates: who may report ------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (None, 401),
        ("citizen", 403),
        ("outsider_implementer", 403),
        ("committee_member", 403),
        ("other_committee_member", 403),
        ("stl_staff", 403),
    ],
)
def test_only_the_implementer_may_report_progress(milestone, personas, persona, expected):
    before = _state()

    response = _client(personas.get(persona)).post(PROGRESS, _report(milestone), format="json")

    assert response.status_code == expected
    assert _state() == before


def test_an_anonymous_refusal_asks_for_a_token(milestone):
    response = _client().post(PROGRESS, _report(milestone), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_superuser_outside_the_institution_may_not_report(milestone):
    from abierto.core.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    before = _state()

    response = _client(admin).post(PROGRESS, _report(milestone), format="json")

    assert response.status_code == 403
    assert _state() == before


def test_the_implementer_reports_progress_with_links(milestone, implementer):
    response = _client(implementer).post(PROGRESS, _report(milestone), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    update = ProgressUpdate.objects.get()
    assert body["id"] == update.pk
    assert body["percent"] == 40
    assert body["milestone"] == milestone.pk
    assert body["commitment"] == milestone.commitment_id
    assert body["reported_by"] == {"id": implementer.pk, "name": implementer.public_name}
    assert [e["href"] for e in body["evidence"]] == ["https://gobiernoabiertojalisco.org.mx/avance"]
    assert body["verifications"] == []
    assert update.reported_by == implementer
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.IN_PROGRESS
    assert AuditEntry.objects.filter(verb="progress_update_report").count() == 1


def test_the_implementer_reports_progress_with_files(milestone, implementer):
    data = _report(milestone)
    data["evidence"] = [
        SimpleUploadedFile("minuta.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("lista.csv", b"nombre,asistio\nAna,si\n", content_type="text/csv"),
    ]

    response = _client(implementer).post(PROGRESS, data, format="multipart")

    assert response.status_code == 201, response.content
    evidence = response.json()["evidence"]
    assert sorted(e["media_type"] for e in evidence) == ["", "application/pdf", "text/csv"]
    files = [e for e in evidence if e["size"]]
    assert {e["title"] for e in files} == {"minuta.pdf", "lista.csv"}
    assert all(e["href"].startswith("http://testserver/media/") for e in files)
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))) == 1


def test_a_session_write_needs_the_csrf_token(milestone, implementer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(implementer)
    before = _state()

    response = client.post(PROGRESS, _report(milestone), format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert _state() == before


def test_a_correction_names_the_earlier_update(milestone, implementer, update):
    response = _client(implementer).post(
        PROGRESS, _report(milestone, percent=20, corrects=update.pk), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["corrects"] == update.pk
    earlier = _client().get(f"{PROGRESS}{update.pk}/").json()
    assert earlier["corrected_by"] == [response.json()["id"]]


# --- progress updates: bad input names the field and writes nothing -----------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"percent": 101}, "percent"),
        ({"percent": -1}, "percent"),
        ({"percent": "mucho"}, "percent"),
        ({"milestone": 999_999}, "milestone"),
        ({"narrative": ""}, "narrative"),
        ({"corrects": 999_999}, "corrects"),
        ({"evidence_links": ["no es un enlace"]}, "evidence_links"),
    ],
)
def test_bad_progress_input_is_refused_naming_the_field(milestone, implementer, overrides, field):
    before = _state()

    response = _client(implementer).post(PROGRESS, _report(milestone, **overrides), format="json")

    assert response.status_code == 400
    assert response.json()[field]
    assert _state() == before


def test_a_milestone_of_a_draft_plan_is_unknown(implementing_org, implementer):
    draft = CommitmentFactory(
        plan=ActionPlanFactory(status="draft"), lead_implementers=[implementing_org]
    )
    hidden = MilestoneFactory(commitment=draft)
    before = _state()

    response = _client(implementer).post(PROGRESS, _report(hidden), format="json")

    assert response.status_code == 400
    assert "milestone" in response.json()
    assert _state() == before


def test_a_correction_of_another_milestone_is_refused(milestone, implementer, update):
    other = MilestoneFactory(commitment=milestone.commitment)
    before = _state()

    response = _client(implementer).post(
        PROGRESS, _report(other, corrects=update.pk), format="json"
    )

    assert response.status_code == 400
    assert "corrects" in response.json()
    assert _state() == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("programa.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("informe.pdf", b"MZ\x90\x00 esto no es un PDF"),
        ("grande.pdf", PDF + b"0" * 2048),
    ],
)
def test_a_bad_evidence_file_is_refused_and_leaves_no_file(
    milestone, implementer, settings, name, content
):
    settings.DOCUMENT_MAX_BYTES = 1024
    data = _report(milestone)
    data["evidence"] = [
        SimpleUploadedFile("minuta.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile(name, content, content_type="application/pdf"),
    ]
    before = _state()

    response = _client(implementer).post(PROGRESS, data, format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["evidence"]
    assert Path(name).suffix in response.json()["evidence"][0]
    assert _state() == before
    assert before[-1] == []


# --- verifications: who may verify --------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (None, 401),
        ("citizen", 403),
        ("implementer", 403),
        ("outsider_implementer", 403),
        ("other_committee_member", 403),
        ("stl_staff", 403),
        ("committee_member", 201),
    ],
)
def test_only_civil_society_of_the_committee_verifies(update, personas, persona, expected):
    before = _state()

    response = _client(personas.get(persona)).post(
        VERIFICATIONS, {"update": update.pk, "verdict": "confirmed"}, format="json"
    )

    assert response.status_code == expected, response.content
    if expected == 201:
        verification = Verification.objects.get()
        assert verification.verifier == personas[persona]
        assert response.json()["verifier"]["name"] == personas[persona].public_name
        assert response.json()["update"] == update.pk
    else:
        assert _state() == before


def test_a_committee_member_may_not_verify_their_own_update(milestone, committee_member):
    own = ProgressUpdateFactory(milestone=milestone, reported_by=committee_member)
    before = _state()

    response = _client(committee_member).post(
        VERIFICATIONS, {"update": own.pk, "verdict": "confirmed"}, format="json"
    )

    assert response.status_code == 403
    assert _state() == before


def test_a_dispute_with_its_comment_is_recorded(update, committee_member):
    response = _client(committee_member).post(
        VERIFICATIONS,
        {"update": update.pk, "verdict": "disputed", "comment": "La evidencia no abre."},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["verdict"] == "disputed"
    shown = _client().get(f"{PROGRESS}{update.pk}/").json()["verifications"]
    assert [v["comment"] for v in shown] == ["La evidencia no abre."]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"verdict": "disputed"}, "comment"),
        ({"verdict": "disputed", "comment": "   "}, "comment"),
        ({"verdict": "tal vez"}, "verdict"),
        ({"verdict": "confirmed", "update": 999_999}, "update"),
    ],
)
def test_bad_verification_input_is_refused_naming_the_field(update, committee_member, data, field):
    before = _state()

    response = _client(committee_member).post(
        VERIFICATIONS, {"update": update.pk, **data}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert _state() == before


def test_a_second_verification_of_the_same_update_is_refused(update, committee_member):
    client = _client(committee_member)
    assert client.post(VERIFICATIONS, {"update": update.pk, "verdict": "confirmed"}).status_code
    before = _state()

    response = client.post(VERIFICATIONS, {"update": update.pk, "verdict": "disputed"})

    assert response.status_code == 400
    assert "verdict" in response.json()
    assert _state() == before


# --- immutability ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_progress_updates_and_verifications_are_never_edited(
    update, implementer, committee_member, method
):
    verification = _client(committee_member).post(
        VERIFICATIONS, {"update": update.pk, "verdict": "confirmed"}, format="json"
    )
    before = _state()

    edit_update = getattr(_client(implementer), method)(
        f"{PROGRESS}{update.pk}/", {"percent": 100}, format="json"
    )
    edit_verification = getattr(_client(committee_member), method)(
        f"{VERIFICATIONS}{verification.json()['id']}/", {"verdict": "disputed"}, format="json"
    )

    assert edit_update.status_code == 405
    assert edit_verification.status_code == 405
    assert _state() == before


@pytest.mark.parametrize(
    "path",
    ["/api/v1/commitments/", "/api/v1/milestones/", "/api/v1/plans/", "/api/v1/sessions/"],
)
def test_everything_else_is_read_only_even_for_staff(stl_staff, path):
    response = _client(stl_staff).post(path, {"title": "Nuevo"}, format="json")

    assert response.status_code == 405
